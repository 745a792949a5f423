"""Propose: choose a mode, constraints and batch size; runs in a worker with progress.

Below the form, the campaign's design space (what every proposal must satisfy):
shown as text and edited with its own fields and Save button.  The form's
allowed/banned/max-elements fields override it for one run only.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Select, Static
from textual.worker import get_current_worker

from hea_campaign.tui.present.design_report import format_proposal
from hea_campaign.tui.present.proposal_request import DEFAULTS, STRATEGIES
from hea_campaign.tui.present.text import plain

MODES = [
    ("inversion, paper loop", "invert:paper"),
    ("inversion, proximal (small changes)", "invert:proximal"),
    ("inversion, damped latent steps", "invert:latent-steps"),
    ("latent point", "latent"),
    ("screening", "screen"),
]


def _pct(fraction: float) -> str:
    return f"{100 * fraction:g}"


def space_placeholders(c) -> dict[str, str]:
    """The form's hints for the fields that default to the design space ``c`` (a Constraints): its values."""
    def bounds(d) -> str:
        return ",".join(f"{e}:{_pct(v)}" for e, v in sorted(d.items()))

    return {
        "allowed": "the design space's (" + (",".join(sorted(c.allowed)) if c.allowed is not None
                                             else "all of the model vocabulary") + ")",
        "banned": f"the design space's ({','.join(sorted(c.banned)) or 'none'})",
        "min-frac": f"the design space's ({bounds(c.min_fraction)}), at.%" if c.min_fraction
        else "e.g. Al:5 (required, at.%)",
        "max-frac": f"the design space's ({bounds(c.max_fraction)}), at.%" if c.max_fraction else "e.g. Cr:30 (at.%)",
        "min-elements": f"the design space's ({c.min_elements})",
        "max-elements": f"the design space's ({c.max_elements if c.max_elements is not None else 'any'})",
        "granularity": f"the design space's ({_pct(c.granularity)})",
    }


def space_form_placeholders(c) -> dict[str, str]:
    """The design-space form's hints: the stored values (a blank field keeps them), so the form never says
    "no limit" where the store has one (``hea-campaign space set --max-cost 40`` from another shell)."""
    def bounds(d) -> str:
        return ",".join(f"{e}:{_pct(v)}" for e, v in sorted(d.items()))

    return {
        "space-elements": f"now {c.min_elements}-{c.max_elements if c.max_elements is not None else 'any'}",
        "space-at-pct": f"now {_pct(c.element_min)}-{_pct(c.element_max)}",
        "space-granularity": f"now {_pct(c.granularity)}",
        "space-allowed": "now " + (",".join(sorted(c.allowed)) if c.allowed is not None else "any") + " ('any' clears)",
        "space-banned": f"now {','.join(sorted(c.banned)) or 'none'} ('none' clears)",
        "space-min": f"now {bounds(c.min_fraction) or 'none'} ('none' clears)",
        "space-max": f"now {bounds(c.max_fraction) or 'none'} ('none' clears)",
        "space-max-cost": ("now no limit" if c.max_cost_per_kg is None
                           else f"now {c.max_cost_per_kg:g} ('none' removes it)"),
        "space-max-density": ("now no limit" if c.max_density is None
                              else f"now {c.max_density:g} ('none' removes it)"),
    }


class ProposalOutput(Static, can_focus=True):
    """The proposal's output, inside the pane's one scrollbar.

    Focusable (drawn with an accent bar when focused) and without keys of its own, so
    PageDown, End, Down and the rest reach the pane and scroll it.
    """


class ProposePane(VerticalScroll):
    class Proposed(Message):
        def __init__(self, outcome):
            super().__init__()
            self.outcome = outcome

    _cancelling = False  # Cancel was pressed; the run's thread has not ended yet
    _run_token: object | None = None  # the run going on (None: none); its end is handled once
    _thread_started: object | None = None  # the token of the last run whose thread began

    def compose(self) -> ComposeResult:
        yield Static("", id="propose-model", markup=False)
        with Grid(id="propose-form", classes="form"):
            yield Label("mode")
            yield Select(MODES, value=f"invert:{DEFAULTS.loop}", allow_blank=False, id="mode", compact=True)
            yield Label("start alloys")
            yield Input(placeholder="formulas, comma-separated (inversion)", id="starts", compact=True)
            yield Label("or N multi-phase")
            yield Input(placeholder="e.g. 10 (inversion from the store)", id="multi", type="integer", valid_empty=True, compact=True)
            yield Label("cutoff p")
            yield Input(f"{DEFAULTS.cutoff:g}", id="cutoff", type="number", compact=True)
            yield Label("max steps")
            yield Input(placeholder="the loop's own limit (inversion)", id="max-steps", type="integer", valid_empty=True, compact=True)
            yield Label("keep elements")
            yield Checkbox("only the start's elements (inversion)", id="keep-elements", compact=True)
            yield Label("seed of starts")
            yield Input(str(DEFAULTS.seed), id="seed", type="integer", compact=True, tooltip="which multi-phase alloys "
                        "N multi-phase draws (the CLI's --seed)")
            yield Label("latent points")
            yield Input(placeholder="z1,z2[;z1,z2] (latent mode)", id="latent", compact=True)
            yield Label("target p")
            yield Input(f"{DEFAULTS.p:g}", id="p-target", type="number", compact=True)
            yield Label("screen elements")
            yield Input(placeholder="Fe,Ni,Co,Cr,Al,Ti (screening)", id="screen", compact=True)
            yield Label("step at.%")
            yield Input(f"{DEFAULTS.step:g}", id="step", type="number", compact=True)
            yield Label("allowed elements")
            yield Input(placeholder="the design space's", id="allowed", compact=True)
            yield Label("banned elements")
            yield Input(placeholder="the design space's", id="banned", compact=True)
            yield Label("min at.%")
            yield Input(placeholder="e.g. Al:5 (required, at.%)", id="min-frac", compact=True)
            yield Label("max at.%")
            yield Input(placeholder="e.g. Cr:30 (at.%)", id="max-frac", compact=True)
            yield Label("min elements")
            yield Input(placeholder="the design space's (4)", id="min-elements", type="integer", valid_empty=True, compact=True)
            yield Label("max elements")
            yield Input(placeholder="the design space's (6)", id="max-elements", type="integer", valid_empty=True, compact=True)
            yield Label("granularity at.%")
            yield Input(placeholder="the design space's (1)", id="granularity", type="number", valid_empty=True, compact=True)
            yield Label("batch size")
            yield Input(str(DEFAULTS.batch), id="batch", type="integer", compact=True)
            yield Label("strategy")
            yield Select([(s, s) for s in STRATEGIES], value=DEFAULTS.strategy, allow_blank=False, id="strategy", compact=True)
        with Horizontal(classes="buttons"):
            yield Button("Propose", variant="primary", id="run-proposal")
            yield Button("Cancel", id="cancel-proposal", disabled=True)
        yield ProgressBar(id="propose-progress", show_eta=False)
        yield ProposalOutput("", id="propose-result")
        yield Static("Design space", classes="section-title")
        yield Static("", id="space-text", markup=False)
        with Grid(id="space-form", classes="form"):
            yield Label("number of elements")
            yield Input(placeholder="low-high, e.g. 4-6", id="space-elements", compact=True)
            yield Label("at.% each element")
            yield Input(placeholder="low-high, e.g. 5-35", id="space-at-pct", compact=True)
            yield Label("granularity at.%")
            yield Input(placeholder="e.g. 1", id="space-granularity", type="number", valid_empty=True, compact=True)
            yield Label("allowed elements")
            yield Input(placeholder="e.g. Fe,Ni,Co,Cr,Mn,Al ('any' clears)", id="space-allowed", compact=True)
            yield Label("banned elements")
            yield Input(placeholder="e.g. Li,Au ('none' clears)", id="space-banned", compact=True)
            yield Label("element minimum at.%")
            yield Input(placeholder="e.g. Fe:10 ('none' clears)", id="space-min", compact=True)
            yield Label("element maximum at.%")
            yield Input(placeholder="e.g. Cr:30 ('none' clears)", id="space-max", compact=True)
            yield Label("max cost USD/kg")
            yield Input(id="space-max-cost", compact=True)  # a number, or 'none' (checked on save)
            yield Label("max density g/cm3")
            yield Input(id="space-max-density", compact=True)
            yield Label("lab price list CSV")
            yield Input(placeholder="path (columns element, usd_per_kg; 'none' removes it)", id="space-prices",
                        compact=True,
                        tooltip="overrides pymatgen's prices (the CLI's space set --prices)")
        with Horizontal(classes="buttons"):
            yield Button("Save design space", id="save-space")
            yield Button("Reset to defaults", id="reset-space")

    def request(self, allow_capitals: bool = False):
        """The form's values, built and checked by the request builder the CLI uses (a start alloy typed
        all in capitals that also spells another alloy raises CapitalsFormula unless ``allow_capitals``)."""
        from hea_campaign.campaign.chemistry import CapitalsFormula
        from hea_campaign.campaign.errors import CampaignError
        from hea_campaign.tui.present.form_words import PROPOSE_FORM, in_form_words
        from hea_campaign.tui.present.proposal_request import form_mode_gap

        v = {w.id: w.value for w in self.query("#propose-form Input")}
        mode = self.query_one("#mode", Select).value
        invert = mode.startswith("invert")
        gap = form_mode_gap(mode, starts=v["starts"], multi=v["multi"], latent=v["latent"], screen=v["screen"])
        if gap:
            raise CampaignError(gap)
        try:
            return self._build(v, mode, invert, allow_capitals)
        except CapitalsFormula:
            raise  # start() asks whether it is meant
        except CampaignError as e:
            raise CampaignError(in_form_words(str(e), PROPOSE_FORM)) from None

    def _build(self, v: dict, mode: str, invert: bool, allow_capitals: bool = False):
        from hea_campaign.tui.present.proposal_request import build_proposal_request

        return build_proposal_request(
            starts=v["starts"] if invert else None, from_multi_phase=v["multi"] if invert else None,
            loop=mode.split(":")[1] if ":" in mode else None, cutoff=v["cutoff"],
            max_steps=v["max-steps"] if invert else None,
            keep_elements=invert and self.query_one("#keep-elements", Checkbox).value, seed_value=v["seed"],
            latent=v["latent"] if mode == "latent" else None, p=v["p-target"],
            screen=v["screen"] if mode == "screen" else None, step=v["step"],
            allowed=v["allowed"], banned=v["banned"], min_frac=v["min-frac"], max_frac=v["max-frac"],
            min_elements=v["min-elements"], max_elements=v["max-elements"], granularity=v["granularity"],
            batch=v["batch"],
            strategy=self.query_one("#strategy", Select).value, allow_capitals=allow_capitals,
        )

    def on_mount(self) -> None:
        self.query_one("#propose-progress", ProgressBar).display = False  # an idle bar animates
        self.app.when_store_open(self._show_store)

    def _show_store(self) -> None:
        self.show_space()
        self.show_model()

    def show_model(self) -> None:
        """Which model version a proposal will use: the active one, whoever activated it."""
        from hea_campaign.campaign.model_catalog import active_version_line

        self.query_one("#propose-model", Static).update(active_version_line(self.app.store))

    def store_changed(self, changes) -> None:
        if changes.models:
            self.show_model()
        if changes.touches("design_space.", "prices."):  # `hea-campaign space set` from another shell
            self.show_space()

    def show_space(self) -> None:
        """Read the design space from the store (it may have been changed from another shell) and show it,
        in the panel and in the hints of the form's fields that default to it."""
        from hea_campaign.campaign.design_space import show

        from hea_campaign.tui.present.design_space_view import design_space_lines

        view = self.app.guard(show, self.app.store)
        if view is not None:
            # plain text: the price list's file name is the user's, never markup
            self.query_one("#space-text", Static).update(Text("\n".join(design_space_lines(view, "in the fields below"))))
            for wid, hint in (space_placeholders(view.constraints) | space_form_placeholders(view.constraints)).items():
                self.query_one(f"#{wid}", Input).placeholder = hint

    def save_space(self) -> None:
        """Check the design-space fields (blank ones change nothing) and store them."""
        from hea_campaign.campaign.design_space import change_design_space
        from hea_campaign.campaign.errors import CampaignError

        from hea_campaign.tui.present.form_words import SPACE_FORM, in_form_words

        from hea_campaign.tui.present.design_space_view import design_space_change_line, price_list_field, space_changes

        v = {w.id: w.value for w in self.query("#space-form Input")}

        def save():
            try:
                return in_form_words(checked_save(), SPACE_FORM)  # a note names the form's fields too
            except CampaignError as e:
                raise CampaignError(in_form_words(str(e), SPACE_FORM)) from None

        def checked_save():
            changes = space_changes(elements=v["space-elements"], at_pct=v["space-at-pct"],
                                    granularity=v["space-granularity"], allowed=v["space-allowed"],
                                    banned=v["space-banned"], min_frac=v["space-min"], max_frac=v["space-max"],
                                    max_cost=v["space-max-cost"], max_density=v["space-max-density"])
            prices_file, clear = price_list_field(v["space-prices"])
            done = change_design_space(self.app.store, by=self.app.actor, prices_file=prices_file,
                                       clear_prices=clear, **changes)
            return design_space_change_line(done)

        said = self.app.guard(save)
        if said is not None:
            for w in self.query("#space-form Input"):
                w.value = ""
            self.show_space()
            self.app.notify(said, markup=False)

    def reset_space(self) -> None:
        """`space set --reset`, after a yes: the default design space (a lab price list stays)."""
        from hea_campaign.campaign.design_space import update_design_space

        from ..modals import ConfirmModal

        def reset(yes: bool) -> None:
            if yes and self.app.guard(update_design_space, self.app.store, by=self.app.actor, reset=True) is not None:
                self.show_space()
                self.app.notify("Design space reset to the defaults.")

        self.app.push_screen(ConfirmModal("Reset the design space to the defaults (4-6 elements, 5-35 at.%, "
                                          "1 at.%, any element, no cost or density limit)? A lab price list "
                                          "stays ('none' in its field removes it)."), reset)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if (event.input.id or "").startswith("space-"):
            self.save_space()
        else:
            self.start()

    def start(self, allow_capitals: bool = False) -> None:
        if self.query_one("#run-proposal", Button).disabled:
            return
        from hea_campaign.campaign.chemistry import CapitalsFormula
        from hea_campaign.tui.present.proposal_request import screening_warning

        from ..modals import ConfirmModal

        try:
            req = self.request(allow_capitals)
        except CapitalsFormula as exc:  # a start alloy typed CONI: C O N I, or CoNi?
            self.app.push_screen(ConfirmModal(f"{exc.reason}. Read it as {exc.read} anyway (No: type "
                                              f"{exc.suggestion} instead)?"),
                                 lambda yes: self.start(allow_capitals=True) if yes else None)
            return
        except Exception as exc:  # every other failure becomes a modal, never a traceback
            self.app.show_error(exc)
            return
        plan = None
        if req.mode == "screen":  # refused before screening, as on the command line, when it can produce nothing
            plan = self.app.guard(self._plan, req)
            if plan is None:
                return
        warning = screening_warning(req, plan)  # the same warning, with the count, as the command line
        if warning:
            self.app.push_screen(ConfirmModal(f"Warning: {warning}. Screen anyway?"),
                                 lambda yes: self._run(req) if yes else None)
        else:
            self._run(req)

    def _plan(self, req):
        """The screening's plan in the campaign's design space; its refusal in the form's words."""
        from hea_campaign.campaign.errors import CampaignError
        from hea_campaign.campaign.proposals import screening_plan

        from hea_campaign.tui.present.form_words import PROPOSE_FORM, in_form_words

        try:
            return screening_plan(self.app.store, req)
        except CampaignError as e:
            raise CampaignError(in_form_words(str(e), PROPOSE_FORM)) from None

    def _run(self, req) -> None:
        if req is not None:
            self.query_one("#run-proposal", Button).disabled = True
            self.query_one("#cancel-proposal", Button).disabled = False
            output = self.query_one("#propose-result", Static)
            output.update("Working...")
            output.focus()  # the disabled Propose button would otherwise drop the focus (Tab then went to the tab bar)
            self.query_one("#propose-progress", ProgressBar).display = req.mode == "screen"
            self._request = req  # what the summary says the run was asked (cutoff, loop)
            self._run_token = token = object()
            self.run_proposal(req, token)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run-proposal":
            self.start()
        elif event.button.id == "cancel-proposal":
            self.cancel()
        elif event.button.id == "save-space":
            self.save_space()
        elif event.button.id == "reset-space":
            self.reset_space()

    def cancel(self) -> None:
        """Ask the run to stop; its thread says when it has (``finished``), and whether it stored anything."""
        cancel = self.query_one("#cancel-proposal", Button)
        if cancel.disabled:
            return
        self._cancelling = True
        cancel.disabled = True
        output = self.query_one("#propose-result", Static)
        output.update("Cancelling: waiting for the run to stop...")
        output.focus()  # not lost with the disabled Cancel button
        self.workers.cancel_group(self, "propose")

    def _progress(self, done: int, total: int) -> None:
        if self._cancelling:
            return  # a report that was on its way when Cancel was pressed
        bar = self.query_one("#propose-progress", ProgressBar)
        bar.update(total=total, progress=done)

    def _to_ui(self, fn, *args) -> None:
        try:
            self.app.call_from_thread(fn, *args)
        except RuntimeError:  # the app has closed meanwhile
            pass

    @work(thread=True, exclusive=True, exit_on_error=False, group="propose")
    def run_proposal(self, req, token):
        from hea_campaign.campaign.errors import CampaignError
        from hea_campaign.campaign.proposals import propose

        from hea_campaign.tui.present.form_words import PROPOSE_FORM, in_form_words

        self._thread_started = token
        worker = get_current_worker()
        outcome, stored = None, []
        try:
            # None when it stopped on Cancel: nothing was stored
            outcome = propose(
                self.app.store, req, by=self.app.actor,
                progress=lambda d, t: self._to_ui(self._progress, d, t),
                should_stop=lambda: worker.is_cancelled,
            )
            stored = self._stored(outcome)
        except CampaignError as exc:  # checks made while running (the design space's step): the form's words
            raise CampaignError(in_form_words(str(exc), PROPOSE_FORM)) from None
        finally:
            # the thread, not the worker's state, says when the run has ended: a cancelled worker is
            # marked so at once, while its thread goes on until propose() sees should_stop
            self._to_ui(self.finished, outcome, token, stored)
        if outcome is not None:
            self.post_message(self.Proposed(outcome))
        return outcome

    def _stored(self, outcome) -> list:
        """The stored candidates, for the table the CLI prints under the summary; the run is committed
        already, so a failed read only leaves the table out (the Candidates tab shows them)."""
        if outcome is None or not outcome.candidate_ids:
            return []
        from hea_campaign.campaign.read_models import candidates_with_ids

        try:
            return candidates_with_ids(self.app.store, outcome.candidate_ids)
        except Exception:  # noqa: BLE001 - the summary still says what was stored
            return []

    def worker_ended(self, state) -> None:
        """The app's handler of the run's worker: a run cancelled before its thread began ends here (its
        thread never runs); otherwise the thread reports the end itself (``finished``)."""
        from textual.worker import WorkerState

        if state == WorkerState.CANCELLED and self._run_token is not None and self._thread_started is not self._run_token:
            self.finished(None, self._run_token)

    def finished(self, outcome, token=None, stored=()) -> None:
        """The run has ended: ``outcome`` None when it was cancelled (nothing stored) or failed (the error
        modal says why)."""
        if token is not self._run_token:
            return  # this run's end was already handled
        self._run_token = None
        cancelled, self._cancelling = self._cancelling, False
        bar = self.query_one("#propose-progress", ProgressBar)
        self.query_one("#run-proposal", Button).disabled = False
        self.query_one("#cancel-proposal", Button).disabled = True
        if outcome is None:
            bar.update(total=None, progress=0)
            bar.display = False  # ready for the next run (an idle bar animates)
            self.query_one("#propose-result", Static).update("Cancelled: nothing was stored." if cancelled else "")
            self.query_one("#run-proposal", Button).focus()
            return
        bar.update(total=1, progress=1)
        text = format_proposal(self._request, outcome, stored, max_paths=3)
        if cancelled:
            text = "Cancel came too late: the run had already finished, and its candidates were stored.\n" + text
        output = self.query_one("#propose-result", Static)
        output.update(Text(plain(text)))  # start formulas as typed: never markup
        output.focus()  # the keys scroll the pane from here: PageDown, End, Down
        self.call_after_refresh(self.scroll_to_widget, output, top=True, animate=False)

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
