"""Lab results: a form validated as you type; corrections supersede, never overwrite."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.message import Message
from rich.text import Text
from textual.widgets import Button, Input, Label, Select, Static

from hea_campaign.tui.present.checks import record_id
from hea_campaign.tui.present.text import plain

FIELDS = (
    ("formula", "alloy formula", "e.g. AlCoCrFeNi (or give the candidate id)"),
    ("candidate", "candidate id", "optional"),
    ("phases", "phases (XRD)", "e.g. FCC or FCC+BCC (optional)"),
    ("method", "method", "e.g. XRD"),
    ("measured-on", "measured on", "YYYY-MM-DD (optional)"),
    ("notes", "notes", "optional"),
    ("corrects", "corrects result", "measurement id to supersede (optional)"),
)


class ResultsPane(VerticalScroll):
    class Saved(Message):
        def __init__(self, measurement_id: int):
            super().__init__()
            self.measurement_id = measurement_id

    def compose(self) -> ComposeResult:
        with Grid(id="result-form", classes="form3"):
            for key, label, hint in FIELDS[:2]:
                yield Label(label)
                yield Input(placeholder=hint, id=f"r-{key}", compact=True)
                yield Static("", id=f"err-{key}", classes="field-error")
            yield Label("single phase?")
            yield Select([("yes, single phase", "yes"), ("no, multiple phases", "no")], prompt="choose",
                         id="r-single")
            yield Static("", id="err-single", classes="field-error")
            for key, label, hint in FIELDS[2:]:
                yield Label(label)
                yield Input(placeholder=hint, id=f"r-{key}", compact=True)
                yield Static("", id=f"err-{key}", classes="field-error")
        with Horizontal(classes="buttons"):
            yield Button("Save result", variant="primary", id="save-result")
            yield Button("Clear", id="clear-result")
        yield Static("", id="result-status")

    def _value(self, key: str) -> str:
        return self.query_one(f"#r-{key}", Input).value.strip()

    def _single(self):
        select = self.query_one("#r-single", Select)
        return None if select.is_blank() else select.value == "yes"

    def field_errors(self) -> dict[str, str]:
        """Check each field on its own, as the user types."""
        from hea_campaign.campaign.chemistry import FormulaError, parse_formula
        from hea_campaign.campaign.errors import CampaignError
        from hea_campaign.campaign.results import check_phases, parse_measured_on

        errors: dict[str, str] = {}
        formula, cand, corrects = self._value("formula"), self._value("candidate"), self._value("corrects")
        if formula:
            try:
                parse_formula(formula)
            except FormulaError as exc:
                errors["formula"] = str(exc)
        for key, text, what in (("candidate", cand, "candidate id"), ("corrects", corrects, "measurement id")):
            if text:
                try:
                    record_id(text, f"the {what}")
                except CampaignError:
                    errors[key] = f"'{text}' is not a {what}"
        phases = self.query_one("#r-phases", Input).value
        single = self._single()
        if phases:
            try:
                check_phases(phases, True if single is None else single)
            except CampaignError as exc:
                if single is not None or "contradictory" not in str(exc):
                    errors["phases"] = str(exc)
        try:
            parse_measured_on(self._value("measured-on"))
        except CampaignError as exc:
            errors["measured-on"] = str(exc)
        return errors

    def show_errors(self) -> dict[str, str]:
        errors = self.field_errors()
        for key in ("formula", "candidate", "single", "phases", "method", "measured-on", "notes", "corrects"):
            self.query_one(f"#err-{key}", Static).update(Text(plain(errors.get(key, ""))))  # quotes user text
        return errors

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.show_errors()

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.show_errors()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "clear-result":
            for w in self.query(Input):
                w.value = ""
            self.query_one("#r-single", Select).clear()
            return
        if event.button.id == "save-result":
            self.save()

    def save(self) -> None:
        from hea_campaign.campaign.results import add_result, correct_result

        errors = self.show_errors()
        single = self._single()
        if single is None:
            errors["single"] = "say whether the alloy is single phase"
            self.query_one("#err-single", Static).update(Text(errors["single"]))
        if not (self._value("formula") or self._value("candidate") or self._value("corrects")):
            errors["formula"] = "give the formula, a candidate id, or the result to correct"
            self.query_one("#err-formula", Static).update(Text(errors["formula"]))
        if errors:
            self.query_one("#result-status", Static).update("[red]Not saved: fix the fields marked above.[/]")
            return
        common = dict(
            single_phase=single,
            phases=self.query_one("#r-phases", Input).value or None,
            method=self._value("method") or None,
            notes=self._value("notes") or None,
            measured_on=self._value("measured-on") or None,
            by=self.app.actor,
        )
        if self._value("corrects"):
            m = self.app.guard(correct_result, self.app.store, int(self._value("corrects")), **common)
        else:
            m = self.app.guard(
                add_result, self.app.store, self._value("formula") or None,
                int(self._value("candidate")) if self._value("candidate") else None, **common,
            )
        if m is None:
            self.query_one("#result-status", Static).update("[red]Not saved.[/]")
            return
        note = f" (supersedes {m.supersedes_id})" if m.supersedes_id else ""
        self.query_one("#result-status", Static).update(f"[green]Saved result {m.id}{note}.[/]")
        self.post_message(self.Saved(m.id))
