"""Lab results: a form validated as you type; corrections supersede, never overwrite.

A correction started from the results browser (``start_correction``) fills
every field with the result being corrected; which result it corrects is
shown but disabled until the form is saved or cleared.  Only there can the
masses really weighed be typed (a mistyped mass on the weigh sheet).  Changing its alloy or
candidate moves the result there (it was entered for the wrong one:
``campaign.result_moves``).  A correction typed by hand (an id in "corrects
result") with a formula or a candidate id is refused: nothing on the form
says which alloy that result is for, so a move starts from the browser.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.message import Message
from rich.markup import escape
from rich.text import Text
from textual.widgets import Button, Input, Label, Select, Static

from hea_campaign.tui.present.checks import record_id
from hea_campaign.tui.present.results_text import weighed_field
from hea_campaign.tui.present.text import notes_for_field, notes_from_field, plain

FIXED_IN_CORRECTION = ("corrects",)  # which result a correction supersedes; its alloy or candidate may change (a move)

FIELDS = (
    ("formula", "alloy formula", "e.g. AlCoCrFeNi"),
    ("candidate", "candidate id", "e.g. 12 (instead of a formula)"),  # as the CLI's result add --candidate
    ("phases", "phases (XRD)", "e.g. FCC or FCC+BCC (optional)"),
    ("method", "method", "e.g. XRD"),
    ("operator", "measured by", "optional (default: you)"),
    ("measured-on", "measured on", "YYYY-MM-DD (optional)"),
    ("notes", "notes", "optional"),
    ("corrects", "corrects result", "measurement id to supersede (optional)"),
    ("weighed-g", "weighed (g)", "e.g. Fe:10.12,Ni:9.88"),
)
ONLY_IN_CORRECTION = ("weighed-g",)  # a mistyped mass is fixed by a correction; a new result has none


def _canonical(formula: str) -> str:
    """The canonical formula of ``formula`` (the text itself when it does not parse)."""
    from hea_campaign.campaign.chemistry import FormulaError, parse_formula

    try:
        return parse_formula(formula).formula if formula else ""
    except FormulaError:
        return formula


class ResultsPane(VerticalScroll):
    correcting: int | None = None  # the id of the result being corrected (start_correction), until saved or cleared
    corrected_place: tuple[str, str] = ("", "")  # its formula and candidate as shown: a change moves the result
    corrected_weighed: str = ""  # its masses weighed as shown: left as they are, they are kept (not retyped)

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
                         id="r-single", compact=True)
            yield Static("", id="err-single", classes="field-error")
            for key, label, hint in FIELDS[2:]:
                shown = key not in ONLY_IN_CORRECTION  # those appear when a correction starts
                yield Label(label, id=f"label-{key}").set_styles(display="block" if shown else "none")
                yield Input(placeholder=hint, id=f"r-{key}", compact=True, disabled=not shown).set_styles(
                    display="block" if shown else "none")
                yield Static("", id=f"err-{key}", classes="field-error").set_styles(
                    display="block" if shown else "none")
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
        from hea_campaign.campaign.results import check_phases, check_result_text, parse_measured_on

        errors: dict[str, str] = {}
        formula, cand, corrects = self._value("formula"), self._value("candidate"), self._value("corrects")
        if formula.isascii() and formula.isdigit():  # no formula is a number: a candidate id in the wrong field
            errors["formula"] = (f"'{formula}' is a number, not a formula: a candidate id goes in 'candidate id' "
                                 "below")
        elif formula:
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
        if corrects and self.correcting is None:  # typed by hand: the alloy is the corrected result's, never this one
            for key, text, what in (("formula", formula, "alloy"), ("candidate", cand, "candidate")):
                if text and key not in errors:
                    errors[key] = (f"a correction keeps the {what} of the result it corrects: leave this blank "
                                   "(or clear 'corrects result'); to move a result to another alloy or candidate, "
                                   "correct it from the results browser (b)")
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
        for key in ("method", "operator", "notes"):  # kept, exported and shown again: no control characters
            try:
                value = self.query_one(f"#r-{key}", Input).value
                check_result_text(key, notes_from_field(value) if key == "notes" else value)
            except CampaignError as exc:
                errors[key] = str(exc)
        if self._value("weighed-g"):
            errors.update(self._weighed_errors(formula))
        return errors

    def _weighed_errors(self, formula: str) -> dict[str, str]:
        """The masses typed in a correction, checked as ``result correct --weighed-g`` checks them."""
        from hea_campaign.campaign.chemistry import FormulaError, parse_formula
        from hea_campaign.campaign.errors import CampaignError
        from hea_campaign.campaign.weigh_sheet import check_made_near_nominal, made_composition, parse_weighed

        if self._move_target():
            if self._value("weighed-g") == self.corrected_weighed:
                return {}  # the masses shown, untouched: a move keeps or drops them as the CLI's does
            return {"weighed-g": "move the result first (Save), then correct its masses at its new place"}
        try:
            nominal = parse_formula(formula).as_dict() if formula else None
        except FormulaError:
            return {}  # the formula field says what is wrong
        if nominal is None:
            return {}
        try:
            made = made_composition(parse_weighed(self._value("weighed-g"), list(nominal)))
            check_made_near_nominal(_canonical(formula), nominal, made, what="the alloy")
        except CampaignError as exc:
            return {"weighed-g": str(exc)}
        return {}

    def _weighed_typed(self) -> str | None:
        """The masses of a correction when the person changed them; None (kept as recorded) when left as shown."""
        typed = self._value("weighed-g")
        return typed if typed and typed != self.corrected_weighed else None

    def show_errors(self) -> dict[str, str]:
        errors = self.field_errors()
        for key in ("formula", "candidate", "single", "phases", "method", "operator", "measured-on", "notes",
                    "corrects", "weighed-g"):
            self.query_one(f"#err-{key}", Static).update(Text(plain(errors.get(key, ""))))  # quotes user text
        return errors

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.show_errors()

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.show_errors()

    def start_correction(self, row) -> None:
        """Fill the form with ``row`` (the newest result of its chain, a campaign.results_browser.ResultRow) to
        correct it: every field shows that result; the id is fixed (disabled), a changed alloy or candidate
        moves the result."""
        self.correcting = row.id
        values = {"corrects": str(row.id), "formula": row.formula,
                  "candidate": "" if row.candidate_id is None else str(row.candidate_id),
                  "phases": row.phases or "", "method": row.method or "", "notes": notes_for_field(row.notes),
                  "operator": row.operator or "",
                  "measured-on": "" if row.measured_on is None else row.measured_on.isoformat(),
                  "weighed-g": weighed_field(row.weighed_g)}
        for key, value in values.items():
            field = self.query_one(f"#r-{key}", Input)
            field.value = value
            field.disabled = key in FIXED_IN_CORRECTION
        self._show_correction_fields(True)
        self.corrected_place = (values["formula"], values["candidate"])
        self.corrected_weighed = values["weighed-g"]
        select = self.query_one("#r-single", Select)
        if row.single_phase is None:
            select.clear()
        else:
            select.value = "yes" if row.single_phase else "no"
        select.focus()
        self.query_one("#result-status", Static).update(Text(
            f"Correcting result {row.id} ({row.formula}): say what the lab found, then Save result; every field "
            "is stored as shown, notes included (the CLI's result correct leaves them out unless given); a "
            "blank 'measured by' keeps the corrected result's. "
            "Change the alloy or the candidate only if it was entered for the wrong one: it moves there; "
            "type the masses really weighed if one was mistyped. Clear to enter a new result instead."))

    def _show_correction_fields(self, on: bool) -> None:
        """The fields only a correction has (the masses weighed): shown and enabled while correcting."""
        for key in ONLY_IN_CORRECTION:
            for selector in (f"#label-{key}", f"#r-{key}", f"#err-{key}"):
                self.query_one(selector).display = on
            self.query_one(f"#r-{key}", Input).disabled = not on

    def _move_target(self) -> dict:
        """Where a correction from the browser moves its result, as the CLI's --candidate/--formula would say
        it, when the candidate or the alloy was changed; else {}.  A candidate still shown beside a changed
        alloy is passed too, so that a disagreement is refused as in the CLI, not the candidate dropped."""
        if self.correcting is None:
            return {}
        formula, cand = self._value("formula"), self._value("candidate")
        was_formula, was_cand = self.corrected_place
        new_cand, new_formula = cand != was_cand, _canonical(formula) != _canonical(was_formula)
        if not (new_cand or new_formula):
            return {}
        return {"candidate_id": cand or None, "formula": formula if new_formula or not cand else None}

    def focus_first(self) -> None:
        """The first field that takes input: the formula, or in a correction (formula fixed) the single-phase choice."""
        formula = self.query_one("#r-formula", Input)
        (self.query_one("#r-single", Select) if formula.disabled else formula).focus()

    def clear_form(self) -> None:
        self.correcting = None
        self.corrected_place = ("", "")
        self.corrected_weighed = ""
        for w in self.query(Input):
            w.value = ""
            w.disabled = False
        self._show_correction_fields(False)
        self.query_one("#r-single", Select).clear()
        for e in self.query(".field-error"):
            e.update("")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "clear-result":
            self.ask_to_clear()
            return
        if event.button.id == "save-result":
            self.save()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        """Enter in a field saves, as every other form and dialog of the TUI does (the checks still run)."""
        self.save()

    def typed(self) -> bool:
        """Whether the form holds anything a person typed or chose (what Clear would throw away)."""
        return any(w.value.strip() for w in self.query(Input)) or not self.query_one("#r-single", Select).is_blank()

    def ask_to_clear(self) -> None:
        """Clear, asking first when something is typed: Clear sits one Tab after Save."""
        from ..modals import ConfirmModal

        def clear(yes: bool | None) -> None:
            if yes:
                self.clear_form()
                self.query_one("#result-status", Static).update("Cleared: type a new result.")

        if not self.typed():
            clear(True)
            return
        self.app.push_screen(ConfirmModal("Clear the form? What is typed in it has not been saved and is lost."),
                             clear)

    def _ask(self, exc: Exception, question: str, confirmed: frozenset) -> None:
        """Nothing was saved: say why, and save again with ``confirmed`` if the person says yes."""
        from hea_campaign.campaign.chemistry import CapitalsFormula
        from hea_campaign.campaign.results import DuplicateResult, NearCandidate, PublishedResult

        from ..modals import ConfirmModal

        why = ("the formula is typed all in capitals" if isinstance(exc, CapitalsFormula)
               else "the same result was just entered" if isinstance(exc, DuplicateResult)
               else "it corrects a published result" if isinstance(exc, PublishedResult)
               else f"the formula is next to candidate {exc.candidate_id}" if isinstance(exc, NearCandidate)
               else "it contradicts an earlier result")
        self.query_one("#result-status", Static).update(f"[yellow]Not saved yet: {why}.[/]")
        self.app.push_screen(ConfirmModal(f"{getattr(exc, 'reason', exc)}. {question}?"),
                             lambda yes: self.save(confirmed) if yes else None)

    def _offer_newer(self, exc, confirmed: frozenset) -> None:
        """The result being corrected was corrected meanwhile (another terminal, a colleague): nothing was
        saved; offer to correct the newer one with what the form holds (the 'corrects' field is locked).
        The question says where the newer result differs from the form (moved to another alloy or
        candidate, other masses), since saving applies the form's."""
        from hea_campaign.campaign.results_browser import result_chain

        from ..modals import ConfirmModal

        old = self._value("corrects")
        self.query_one("#result-status", Static).update(
            Text(f"Not saved: result {old} was corrected meanwhile (result {exc.newer_id}).", style="yellow"))
        chain = self.app.guard(result_chain, self.app.store, exc.newer_id)
        newer = next((r for r in chain or [] if r.id == exc.newer_id), None)
        if newer is None:
            return
        place = (newer.formula, "" if newer.candidate_id is None else str(newer.candidate_id))
        masses = weighed_field(newer.weighed_g)
        differs = []
        if _canonical(self._value("formula")) != _canonical(place[0]) or self._value("candidate") != place[1]:
            shown = place[0] + (f" (candidate {place[1]})" if place[1] else "")
            differs.append(f"it is on {shown} now, and saving moves it to this form's alloy")
        if self.query_one("#r-weighed-g", Input).value.strip() != masses.strip():
            differs.append("its masses weighed differ, and saving keeps this form's")

        def retarget(yes: bool | None) -> None:
            if yes:
                self.query_one("#r-corrects", Input).value = str(exc.newer_id)
                self.correcting, self.corrected_place, self.corrected_weighed = exc.newer_id, place, masses
                self.save(confirmed)

        said = f" ({'; '.join(differs)})" if differs else ""
        self.app.push_screen(ConfirmModal(f"Result {old} was corrected meanwhile: result {exc.newer_id} counts now"
                                          f"{said}. Correct {exc.newer_id} instead, with what this form holds?"),
                             retarget)

    def save(self, confirmed: frozenset = frozenset()) -> None:
        """Save the form (a second Save of the same result asks first), then clear it for the next one."""
        from hea_campaign.campaign.chemistry import CapitalsFormula
        from hea_campaign.campaign.result_moves import move_result
        from hea_campaign.campaign.results import (AlreadyCorrected, DuplicateResult, NearCandidate, NeedsConfirmation,
                                                   PublishedResult, correct_result, record_result)

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
            operator=self._value("operator") or None,
            notes=notes_from_field(self._value("notes")) or None,
            measured_on=self._value("measured-on") or None,
            by=self.app.actor,
        )
        moved, conflicting, proportions, dated = None, False, None, None
        capitals = "capitals" in confirmed
        if self._value("corrects") and self._move_target():
            try:
                moved = move_result(self.app.store, int(self._value("corrects")), **self._move_target(),
                                    allow_capitals=capitals, **common)
            except CapitalsFormula as exc:  # CONI: C O N I, or CoNi?
                self._ask(exc, f"Read it as {exc.read} anyway (No: type {exc.suggestion} instead)",
                          confirmed | {"capitals"})
                return
            except AlreadyCorrected as exc:
                self._offer_newer(exc, confirmed)
                return
            except Exception as exc:  # every failure becomes a modal, never a traceback
                self.app.show_error(exc)
                moved = None
            m = moved.measurement if moved is not None else None
        elif self._value("corrects"):
            try:
                m = correct_result(self.app.store, int(self._value("corrects")), **common,
                                   weighed_g=self._weighed_typed(), literature="literature" in confirmed)
            except PublishedResult as exc:
                self._ask(exc, "Correct the published result", confirmed | {"literature"})
                return
            except AlreadyCorrected as exc:
                self._offer_newer(exc, confirmed)
                return
            except Exception as exc:  # every failure becomes a modal, never a traceback
                self.app.show_error(exc)
                m = None
        else:
            try:
                done = record_result(self.app.store, self._value("formula") or None,
                                     int(self._value("candidate")) if self._value("candidate") else None,
                                     check_duplicates="twin" not in confirmed,
                                     check_conflicts="conflict" not in confirmed,
                                     check_near="near" not in confirmed, allow_capitals=capitals,
                                     **common)  # fmt: skip
                m, conflicting, proportions = done.measurement, done.now_conflicting, done.formula_note
                dated = done.date_note
            except CapitalsFormula as exc:  # CONI: C O N I, or CoNi?
                self._ask(exc, f"Read it as {exc.read} anyway (No: type {exc.suggestion} instead)",
                          confirmed | {"capitals"})
                return
            except NearCandidate as exc:  # record it on the candidate (its id in the form) or store a new alloy
                self._ask(exc, "Store it as a new alloy anyway (No: type the candidate id instead)",
                          confirmed | {"near"})
                return
            except NeedsConfirmation as exc:
                twin = isinstance(exc, DuplicateResult)
                kind = "twin" if twin else "conflict"  # a yes answers this question only; the other still asks
                self._ask(exc, "Store it again" if twin else "Store both results", confirmed | {kind})
                return
            except Exception as exc:  # every failure becomes a modal, never a traceback
                self.app.show_error(exc)
                m = None
        if m is None:
            self.query_one("#result-status", Static).update("[red]Not saved.[/]")
            return
        note = f" (supersedes {m.supersedes_id})" if m.supersedes_id else ""
        self.clear_form()  # ready for the next result; Save again on an empty form saves nothing
        if moved is not None:
            from hea_campaign.tui.present.report import format_move

            self.query_one("#result-status", Static).update(Text(f"Saved. {format_move(moved)}", style="green"))
        else:
            self.query_one("#result-status", Static).update(f"[green]Saved result {m.id}{note}.[/]" + (
                " [yellow]Its alloy's current results now disagree (the literature says otherwise): it is left "
                "out of training until one is corrected.[/]" if conflicting else "") + (
                f" Note: {escape(proportions)}." if proportions else "") + (
                f" [yellow]Note: {escape(dated)}.[/]" if dated else "") + (
                f" Phases stored as {escape(m.phases)}." if m.phases and m.phases != (common["phases"] or "").strip() else ""))
        self.post_message(self.Saved(m.id))
