"""Modal screens: errors, reasons, export settings, help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from rich.text import Text
from textual.widgets import Button, Input, Label, Select, Static

from hea_campaign.tui.present.export_request import DEFAULT_MASS_G, check_mass
from hea_campaign.tui.present.text import plain

from .footer import KeyFooter


class ErrorModal(ModalScreen[None]):
    """One place where failures are shown: the message, never a traceback."""

    BINDINGS = [Binding("escape,enter", "dismiss", "Close"), Binding("q", "app.quit", "Quit")]

    def __init__(self, title: str, message: str):
        super().__init__()
        self.title_text, self.message = title, message

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal error"):
            yield Label(self.title_text, classes="modal-title")
            yield Static(Text(plain(self.message)), id="error-message")  # user text: never markup
            yield Button("Close", variant="error", id="close")
        yield KeyFooter()  # its own keys: the footer behind it offers keys that do nothing here

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self.dismiss()


class ReasonModal(ModalScreen[str | None]):
    """Ask for a reason: optional (rejecting candidates) or ``required`` (voiding a batch: OK with
    nothing typed says so under the field instead of closing).  ``kept_with``: what a required reason is
    kept with, in that message; ``check``: the service's own check of the reason (a CampaignError's
    message is shown under the field, and the dialog stays open)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, *, required: bool = False, placeholder: str | None = None,
                 kept_with: str = "the batch", check=None):
        super().__init__()
        self.prompt = prompt
        self.required = required
        self.placeholder = placeholder or ("reason (required)" if required else "reason (optional)")
        self.kept_with = kept_with
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text(plain(self.prompt)), classes="modal-title")
            yield Input(placeholder=self.placeholder, id="reason", compact=True)
            yield Static("", id="reason-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()  # its own keys: the footer behind it offers keys that do nothing here

    def submit(self) -> None:
        reason = self.query_one("#reason", Input).value
        problem = None
        if self.required and not reason.strip():
            problem = f"give a reason: it is kept with {self.kept_with}"
        elif self.check is not None:
            from hea_campaign.campaign.errors import CampaignError

            try:
                self.check(reason)
            except CampaignError as exc:
                problem = str(exc)
        if problem is not None:
            self.query_one("#reason-error", Static).update(Text(plain(problem)))
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(reason)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _typed(value) -> str:
    """A number as it would be typed (2000, not 2000.0)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _export_title(n: int) -> str:
    if n == 0:
        return "No approved candidates left to export: they changed since this dialog opened"
    return f"Export {n} approved candidate(s) as a synthesis batch"


class ExportModal(ModalScreen[dict | None]):
    """Ask for ingot mass, unit, file path and format of a synthesis batch.

    With ``recount`` (a function giving the candidate ids to export and the proposed file path, as they
    are in the store now) the dialog follows the store while it is open (live refresh, ``store_changed``):
    a candidate exported or rejected in another terminal leaves the count, and the dialog's answer carries
    the ids it showed last (``ids``)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, n: int, default_path: str, initial: dict | None = None, *, ids: list[int] | None = None,
                 recount=None):
        super().__init__()
        self.n, self.default_path = n, default_path
        self.initial = initial or {}  # the entries of a refused export, shown again as they were
        self.ids, self.recount = ids, recount

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(_export_title(self.n), classes="modal-title", id="export-title")
            with Grid(classes="form"):
                yield Label("ingot mass")
                yield Input(_typed(self.initial.get("mass", DEFAULT_MASS_G)), id="mass", compact=True)
                yield Label("unit")
                yield Select([("g", "g"), ("mg", "mg")], value=self.initial.get("unit", "g"), allow_blank=False,
                             id="unit", compact=True)
                yield Label("file")
                yield Input(self.initial.get("out", self.default_path), id="path", compact=True)
                yield Label("format")
                yield Select([("csv", "csv"), ("json", "json"), ("weigh sheet", "sheet")],
                             value=self.initial.get("fmt", "csv"), allow_blank=False, id="fmt", compact=True)
                yield Label("loss allowance")
                yield Input(self.initial.get("loss") or "", placeholder="weigh sheet only, e.g. Mn:2%,Al:1%", id="loss",
                            compact=True)
            yield Static(self.initial.get("error", ""), id="export-error", classes="field-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()  # its own keys: the footer behind it offers keys that do nothing here

    def on_mount(self) -> None:
        self.query_one(self._field_to_fix(), Input).focus()

    def _field_to_fix(self) -> str:
        """Where the cursor starts: the mass, or, when the dialog comes back after the export refused it,
        the field the refusal is about (the mass was checked before it left; what the export itself refuses
        is the file or the loss allowance)."""
        error = str(self.initial.get("error", ""))
        out = str(self.initial.get("out", ""))
        if not error or (out and out in error):
            return "#path" if error else "#mass"
        if "--mass" in error:  # an element lighter than the balance weighs: a larger ingot
            return "#mass"
        return "#loss" if "loss allowance" in error else "#path"

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "ok":
            self.dismiss(None)
            return
        self.submit()

    def store_changed(self, changes) -> None:
        """Live refresh: count the candidates to export again (another terminal may have exported, rejected
        or approved some); the proposed file name follows too, unless it was edited."""
        if self.recount is None or not (changes.everything or changes.candidates):
            return
        fresh = self.app.guard(self.recount)
        if fresh is None:
            return
        ids, default_path = fresh
        self.ids, self.n = list(ids), len(ids)
        self.query_one("#export-title", Label).update(_export_title(self.n))
        path = self.query_one("#path", Input)
        if path.value == self.default_path:
            path.value = default_path
        self.default_path = default_path

    def submit(self) -> None:
        from hea_campaign.campaign.errors import CampaignError

        if self.n == 0:
            self.query_one("#export-error", Static).update("nothing to export: Cancel, then approve candidates")
            return
        try:
            mass = check_mass(self.query_one("#mass", Input).value, str(self.query_one("#unit", Select).value),
                              allow_large=True)  # a heavy ingot is confirmed after the dialog
        except CampaignError as exc:  # the same check and message as `hea-campaign export`
            self.query_one("#export-error", Static).update(Text(plain(exc)))
            return
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.query_one("#export-error", Static).update("give a file path")
            return
        from pathlib import Path

        if Path(path).expanduser().exists():
            self.query_one("#export-error", Static).update(
                f"{path} already exists; choose another name (batch files are never overwritten)")
            return
        loss = self.query_one("#loss", Input).value.strip()
        if loss:  # checked here, where the field is, as the mass is
            from hea_campaign.campaign.weigh_sheet import parse_loss

            try:
                parse_loss(loss)
            except CampaignError as exc:
                self.query_one("#export-error", Static).update(Text(f"loss allowance: {plain(exc)}"))
                self.query_one("#loss", Input).focus()
                return
        self.dismiss({
            "ids": self.ids,
            "mass": mass,
            "unit": self.query_one("#unit", Select).value,
            "out": path,
            "fmt": self.query_one("#fmt", Select).value,
            "loss": self.query_one("#loss", Input).value.strip() or None,
        })

    def action_cancel(self) -> None:
        self.dismiss(None)


class FailModal(ModalScreen[dict | None]):
    """Why a synthesis failed: one of the reasons, and optional notes."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str):
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        from ..present.choices import FailureReason, values

        with Vertical(classes="modal"):
            yield Label(self.prompt, classes="modal-title", markup=False)
            with Grid(classes="form"):
                yield Label("reason")
                yield Select([(r, r) for r in values(FailureReason)], prompt="choose", id="fail-reason", compact=True)
                yield Label("notes")
                yield Input("", placeholder="optional", id="fail-notes", compact=True)
            yield Static("", id="fail-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Record failure", variant="error", id="ok")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()  # its own keys: the footer behind it offers keys that do nothing here

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "ok":
            self.dismiss(None)
            return
        reason = self.query_one("#fail-reason", Select)
        if reason.is_blank():
            self.query_one("#fail-error", Static).update("choose why the synthesis failed")
            return
        self.dismiss({"reason": reason.value, "notes": self.query_one("#fail-notes", Input).value.strip() or None})

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question about doing something risky anyway: No has the focus, so a stray Enter declines.

    Its own footer names its keys: the screen behind it (dimmed, its footer too) offered keys that do
    nothing while the question is up."""

    AUTO_FOCUS = "#no"
    BINDINGS = [Binding("y", "yes", "Yes"), Binding("n,escape", "no", "No", key_display="n/esc"),
                Binding("left,right", "other_button", "Other answer", key_display="←→"),
                Binding("q", "app.quit", "Quit")]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label(Text(plain(self.question)), classes="modal-title")
            with Horizontal(classes="buttons"):
                yield Button("Yes", variant="primary", id="yes")
                yield Button("No", id="no")
        yield KeyFooter()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_other_button(self) -> None:
        """Left and right move between Yes and No (Tab does too)."""
        self.query_one("#no" if self.focused is self.query_one("#yes") else "#yes", Button).focus()


HELP_RESERVED_ROWS = 14  # key line, borders, padding, a title of two lines and its margin, the button


class HelpScreen(ModalScreen[None]):
    """F1: every key and what it does (and, titled otherwise, any long read-only text: an alloy's history)."""

    BINDINGS = [Binding("escape,f1", "dismiss", "Close"), Binding("q", "app.quit", "Quit")]

    def __init__(self, text, title: str = "hea-campaign: keys and actions"):
        """``text``: a string (shown as typed, never markup) or a Rich renderable."""
        super().__init__()
        self.text = text
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal help"):
            yield Label(Text(self.title_text), classes="modal-title")
            with VerticalScroll(id="help-scroll", can_focus=True):  # arrows and PageDown scroll it at 80x24
                yield Static(Text(self.text) if isinstance(self.text, str) else self.text)
            yield Button("Close", id="close")
        yield KeyFooter()  # its own keys: the footer behind it offers keys that do nothing here

    def on_mount(self) -> None:
        self._fit()

    def on_resize(self, _event) -> None:
        self._fit()

    def _fit(self) -> None:
        """The text scrolls inside what the screen leaves: title, Close button, borders and the key line
        stay whole (at 80x24 a fixed share of the height cut the button)."""
        self.query_one("#help-scroll").styles.max_height = max(3, self.size.height - HELP_RESERVED_ROWS)

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self.dismiss()
