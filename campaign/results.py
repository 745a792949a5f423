"""Lab results: entered one by one or from a CSV, corrected, never changed.

A result is a ``Measurement`` of an alloy.  It is append-only: no code path
updates or deletes one.  A mistake is fixed by ``correct_result``, which adds a
new measurement whose ``supersedes_id`` points at the old one; the current
label of an alloy (campaign.labels) only counts measurements nothing
supersedes, so training follows the latest word while the history keeps
everything.

Why the checks are strict: a label goes straight into the next training run.
Input is validated before anything is written, and a write is one
transaction with its audit events:

* a formula is parsed by campaign.chemistry (FormulaError on bad input); a
  result for a composition not in the store adds the alloy, flagging
  elements outside the model vocabulary (stored, cannot be encoded);
* a result for a candidate attaches it and moves the candidate
  ``exported -> measured``; a candidate that was never exported (proposed,
  approved, rejected) or whose synthesis failed is refused: the lab cannot
  have made it from this campaign's batch.  A candidate already ``measured``
  may get further results (a second method, a repeat) without a status
  change.  A result given by formula for the alloy of exported candidates
  is their result too: it is linked to them and moves them to measured;
* a result equal to one entered for the same alloy in the last
  ``DUPLICATE_WINDOW`` (Save pressed twice) is refused unless confirmed
  (the front doors ask for the check; scripts and imports have their own keys);
* ``phases`` must be a phase list such as ``FCC``, ``BCC+B2`` or ``FCC + Laves``
  (letters, digits, ``+ - / ( ) , . _ '`` and spaces, starting with a letter or
  digit, no empty part between ``+``) and must not contradict
  ``single_phase`` (``FCC+BCC`` with single phase yes, or exactly ``FCC``
  with no, is refused);
* ``measured_on`` cannot be in the future.

A CSV import is all or nothing: every bad row is reported with its line
number and nothing from the file is written.  Each row is keyed by its
content and its occurrence among identical rows of the file (not by line
number), so importing the same file again adds nothing and a grown file adds
only its new rows.  ``result import`` also takes a filled weigh sheet
(weigh_sheet.py): one measurement per candidate with a result, recording the
masses weighed (``Measurement.weighed_g``: grams, the decimals typed) and the
composition actually made from them.

``correct_result`` restates the result: ``single_phase`` (required) is taken
as given, and the phases carry over only while the label stays (a corrected
label never keeps a phase list that contradicts it); method and measured_on
are inherited from the corrected measurement unless given, and so is the
operator (who measured it; whoever enters the correction when the corrected
result names none); the notes are the correction's own, and ``history`` shows
every entry under the person who entered it.  The candidate link and the composition made are kept, unless the
correction moves the result to the candidate or alloy it was really for
(``result_moves``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from hea_campaign.db import store as q
from hea_campaign.db.tables import Alloy, Candidate, Measurement, utcnow
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY, outside

from .actors import actor_name, plain_text
from .chemistry import Composition, FormulaError, half_l1_change, parse_formula, parse_typed_formula, proportion_note
from .datasets import parse_label, phase_to_label, separator_hint, sha256_of
from .errors import CampaignError
from .importing import DATASET_SOURCE, content_keys
from .input_files import input_file
from .labels import label_of
from .model_use import ModelUse, model_use
from .result_matching import match_stored, other_day_twins, squeezed, weighed_differ
from .lifecycle import allowed_moves, mark_measured
from .store import CampaignStore, current_user
from .weigh_sheet import (
    check_made_near_nominal,
    check_weighed_total,
    group_sheet,
    is_sheet,
    made_composition,
    parse_weighed_text,
    same_weighed,
    sheet_columns_read,
    sheet_unit,
    target_grams,
    weighed_grams_text,
    weighed_masses,
)

MAX_PHASES = 200
MAX_METHOD = 100
MAX_OPERATOR = 100
MAX_NOTES = 2000
MAX_ID = 2**31 - 1  # the largest id a store holds: PostgreSQL's integer columns (tui.present.checks.DB_ID_MAX)
DUPLICATE_WINDOW = timedelta(minutes=10)
NEAR_CANDIDATE_AT_PCT = 1.0  # a new alloy closer than this (half-L1) to a made candidate is probably that one
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits: \d would take any script's
EARLIEST_YEAR = 1900  # X-ray diffraction of alloys starts in the 1910s: an earlier year is a typo (0206 for 2026)
_PHASE_CHARS = re.compile(r"^[^\W_][\w +\-/(),.']*$", re.UNICODE)
CSV_COLUMNS = ("formula", "candidate_id", "single_phase", "phases", "method", "operator", "notes", "measured_on")


class AlreadyCorrected(CampaignError):
    """The result to correct has been corrected since (by someone else, or in another window): the
    correction that counts is ``newer_id``, which a form can offer to correct instead."""

    def __init__(self, message: str, newer_id: int):
        super().__init__(message)
        self.newer_id = newer_id


class NeedsConfirmation(CampaignError):
    """Nothing was stored: the result may be a mistake; the person confirms to store it anyway.

    ``reason``: what is wrong, without the CLI's way to confirm (the TUI asks its own question)."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


class DuplicateResult(NeedsConfirmation):
    """The same result was entered for this alloy a moment ago; confirm to store it again."""


class PublishedResult(NeedsConfirmation):
    """The result to correct is a dataset's row (the literature), not one of this lab's.

    Correcting it replaces the published label in training; a lab that measured the alloy itself
    usually means 'result add', which keeps the literature beside its own result."""


class ConflictingResult(NeedsConfirmation):
    """The result contradicts a current lab result of the same candidate's alloy.

    A fixed weigh sheet or results file re-imported (or a typo re-entered) would otherwise add a
    second, contradicting measurement: the alloy becomes "conflicting" and drops out of training,
    where a correction (``result correct``) was meant."""


class NearCandidate(NeedsConfirmation):
    """A result typed by formula for a new alloy within NEAR_CANDIDATE_AT_PCT of a candidate the lab made
    (exported or measured): most likely that candidate's result, mistyped (Ti11 for Ti10, at.% adding to
    101); stored as it is, it would add an alloy beside the candidate and leave the candidate waiting."""

    def __init__(self, message: str, reason: str, candidate_id: int):
        super().__init__(message, reason)
        self.candidate_id = candidate_id


class ResultsImportFailed(CampaignError):
    """Some rows of a results file are bad; nothing from the file was written."""

    def __init__(self, source: str, errors: list[tuple[int, str]], conflicts: list[tuple[int, str]] | None = None):
        self.source = source
        self.errors = errors
        self.conflicts = conflicts or []  # the errors that are contradictions: allow_conflicts imports those rows
        shown = "; ".join(f"line {line}: {msg}" for line, msg in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} bad row(s) in {source}, nothing was imported: {shown}{more}")


# --- validation of single values (no store access) ---------------------------


def parse_single_phase(text: str | bool | None) -> bool:
    """yes/no (also 1/0, true/false, single/multi) -> bool; anything else is refused."""
    if isinstance(text, bool):
        return text
    try:
        value = parse_label(text)
    except ValueError as exc:
        raise CampaignError(str(exc)) from None
    if value is None:
        raise CampaignError("say whether the alloy is single phase: yes or no")
    return value


def parse_measured_on(text: str | date | None) -> date | None:
    """YYYY-MM-DD (or a date) -> date; blank -> None."""
    if text is None or isinstance(text, date):
        return text
    raw = str(text).strip()
    if not raw:
        return None
    try:  # only YYYY-MM-DD: fromisoformat alone also reads 20261120 and week dates (2026-W47-5)
        if not _ISO_DAY.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise CampaignError(f"{raw!r} is not a date; write it as YYYY-MM-DD") from None


def check_measured_on(value: date | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise CampaignError(f"measured_on must be a date, not {value!r}")
    if value > date.today():
        raise CampaignError(f"the measurement date {value.isoformat()} is in the future")
    if value.year < EARLIEST_YEAR:
        raise CampaignError(f"the measurement date {value.isoformat()} is before {EARLIEST_YEAR}; "
                            "is the year mistyped?")
    return value


def check_phases(phases: str | None, single_phase: bool) -> str | None:
    """A validated phase string (stripped) or None; refuses nonsense and contradictions."""
    if phases is None:
        return None
    text = str(phases).strip()
    if not text:
        raise CampaignError("the phases are empty; leave them out or write e.g. FCC or FCC+BCC")
    if len(text) > MAX_PHASES:
        raise CampaignError(f"the phases text is {len(text)} characters long; at most {MAX_PHASES} are accepted")
    if not _PHASE_CHARS.match(text):
        raise CampaignError(
            f"{text!r} is not a phase list: use letters, digits, + - / ( ) , . _ ' and spaces, "
            "starting with a letter or digit (e.g. FCC or BCC+B2)"
        )
    if any(not part.strip() for part in text.split("+")):
        raise CampaignError(f"{text!r} has an empty phase between '+' signs")
    if single_phase and _AMORPHOUS.search(text):
        raise CampaignError(f"contradictory result: '{text}' is not a crystalline solid solution, and single phase "
                            "here means one (FCC, BCC, HCP, ...): record it as not single phase")
    implied = phase_to_label(text)
    if implied is None and single_phase and _names_several_phases(text):
        implied = False
    if implied is not None and implied != single_phase:
        said = "single phase" if single_phase else "not single phase"
        means = "one phase" if implied else "more than one phase"
        raise CampaignError(f"contradictory result: the alloy is said to be {said} but the phases '{text}' mean {means}")
    return normalise_phases(text)


# Structure names written one way whatever the case they are typed in (fcc, Fcc -> FCC; LAVES -> Laves).
PHASE_NAMES = {name.lower(): name for name in (
    "FCC", "BCC", "HCP", "BCT", "B2", "B19", "L12", "L1_2", "L10", "L1_0", "L21", "L2_1", "D019", "D0_19", "D022",
    "D0_22", "D03", "D0_3", "A15", "C14", "C15", "C36", "Laves", "sigma", "mu", "chi", "eta", "IM", "AM")}
_PHASE_WORD = re.compile(r"(?<![^\W_])[A-Za-z][A-Za-z0-9_]*(?![^\W_])")


def normalise_phases(text: str | None) -> str | None:
    """A phase list written one way: standard structure names in their usual case (``fcc + bcc`` ->
    ``FCC+BCC``, ``Fcc + LAVES`` -> ``FCC+Laves``), no spaces around '+'; any other word, symbol or
    note kept as typed (``FCC + µ`` -> ``FCC+µ``, ``FCC (a = 3.59, ordered)`` unchanged)."""
    if text is None:
        return None
    joined = re.sub(r"\s*\+\s*", "+", str(text).strip())
    return _PHASE_WORD.sub(lambda m: PHASE_NAMES.get(m.group().lower(), m.group()), joined)


_AMORPHOUS = re.compile(r"\bamorph\w*|\bglass\w*|^\s*AM\s*$", re.IGNORECASE)  # a glass, not a solid solution
_PHASE_SEPARATORS = re.compile(r"\s*(?:[+,;&/]|\band\b|\bwith\b)\s*", re.IGNORECASE)
_SEVERAL_WORDS = re.compile(r"\b(?:two|three|four|dual|duplex|multi\w*|several|mixed|mixture)\b", re.IGNORECASE)
# one phase whose ordering XRD may not settle: "BCC/B2" is one phase, "FCC/BCC" two
_ORDERED_VARIANTS = ({"BCC", "B2"}, {"FCC", "L12", "L1_2"}, {"HCP", "D019", "D0_19"})


def _names_several_phases(text: str) -> bool:
    """True when a phase list names more than one phase in any common way ("FCC, BCC", "FCC/BCC",
    "FCC and BCC", "two phases"): only '+' used to count, so such a list passed as single phase."""
    if _SEVERAL_WORDS.search(text):
        return True
    outside = re.sub(r"\([^()]*\)", "", text)  # "FCC (a = 3.59, ordered)" is one phase
    parts = {p.strip().upper() for p in _PHASE_SEPARATORS.split(outside) if p.strip()}
    if len(parts) <= 1:
        return False
    return not (("/" in outside) and not re.search(r"[+,;&]|\band\b|\bwith\b", outside, re.IGNORECASE)
                and any(parts <= variants for variants in _ORDERED_VARIANTS))


def _check_text(value: str | None, what: str, limit: int, kind: str = "plain text") -> str | None:
    """Free text as typed: stripped, None when blank; too long, or with a control, escape or invisible
    character (``actors.plain_text``: it reaches export files and terminals), refused in one line."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    plural = what == "notes"
    if len(text) > limit:
        raise CampaignError(f"the {what} {'are' if plural else 'is'} {len(text)} characters long; at most {limit} "
                            "are accepted")
    return plain_text(text, f"the {what}", kind, contains="contain" if plural else "contains", lines=plural)


def _check_operator(value: str | None) -> str | None:
    """Who measured, by the rule for --by and --operator (one line, no control or escape characters);
    blank: not given."""
    text = _check_text(value, "operator", MAX_OPERATOR, "a plain name")
    return None if text is None else actor_name(text, "the operator")


def check_result_text(what: str, value: str | None) -> str | None:
    """A result's method, notes or operator checked as storing it checks it (None: blank); the TUI's result
    form says what is wrong under the field as it is typed."""
    if what == "operator":
        return _check_operator(value)
    return _check_text(value, what, {"method": MAX_METHOD, "notes": MAX_NOTES}[what])


def _check_candidate_id(value) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    # ASCII digits only ('²'.isdigit() is true but int('²') fails), and within the id columns' integers
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        raise CampaignError(f"{text!r} is not a candidate id")
    return int(text)


@dataclass
class ResultInput:
    """One validated result, ready to write (store-dependent checks come later)."""

    composition: Composition | None
    source_formula: str | None
    candidate_id: int | None
    single_phase: bool
    phases: str | None
    method: str | None
    operator: str | None
    notes: str | None
    measured_on: date | None
    made_composition: dict[str, float] | None = None
    # the masses weighed (element -> grams, the decimal typed) made_composition was computed from
    weighed_g: dict[str, str] | None = None


def prepare(
    *,
    formula: str | None,
    candidate_id,
    single_phase,
    phases: str | None = None,
    method: str | None = None,
    operator: str | None = None,
    notes: str | None = None,
    measured_on: date | str | None = None,
    allow_capitals: bool = False,
) -> ResultInput:
    """Validate everything that does not need the store; raise FormulaError/CampaignError (CapitalsFormula
    for a formula typed all in capitals that also reads as another alloy, unless ``allow_capitals``)."""
    cid = _check_candidate_id(candidate_id)
    text = None if formula is None or not str(formula).strip() else str(formula).strip()
    if text is None and cid is None:
        raise CampaignError("give the alloy's formula or the candidate id the result is for")
    comp = parse_typed_formula(text, confirmed=allow_capitals) if text is not None else None
    if not isinstance(single_phase, bool):
        single_phase = parse_single_phase(single_phase)
    return ResultInput(
        composition=comp,
        source_formula=text,
        candidate_id=cid,
        single_phase=single_phase,
        phases=check_phases(phases, single_phase),
        method=_check_text(method, "method", MAX_METHOD),
        operator=_check_operator(operator),
        notes=_check_text(notes, "notes", MAX_NOTES),
        measured_on=check_measured_on(parse_measured_on(measured_on)),
    )


# --- writing -----------------------------------------------------------------


@dataclass
class RecordedResult:
    """What ``record_result`` wrote: the measurement, its alloy, and what changed."""

    measurement: Measurement
    alloy: Alloy
    new_alloy: bool = False
    outside_vocabulary: list[str] = field(default_factory=list)
    candidate: Candidate | None = None
    candidate_moved: bool = False  # exported -> measured
    also_measured: list[int] = field(default_factory=list)  # other exported candidates of the alloy, moved too
    now_conflicting: bool = False  # the alloy's current results disagree since this one (it leaves training)
    formula_note: str | None = None  # the formula's amounts look like at.% but do not add to 100 (chemistry)
    date_note: str | None = None  # measured before its candidate was exported: a date to check


def _candidate_for(session: Session, store: CampaignStore, r: ResultInput, measured: set[int]) -> Candidate | None:
    """The candidate a result is for, checked: it exists, was exported, matches the formula."""
    if r.candidate_id is None:
        return None
    found = q.candidates_by_id(session, store.campaign_id, [r.candidate_id])
    cand = found.get(r.candidate_id)
    if cand is None:
        raise CampaignError(f"no candidate with id {r.candidate_id} in this campaign")
    status = "measured" if cand.id in measured else cand.status
    if status not in ("exported", "measured"):
        raise CampaignError(
            f"candidate {cand.id} is {status}; results can only be entered for exported candidates "
            f"(allowed from {status}: {allowed_moves(status)})"
        )
    if r.composition is not None:
        alloy = q.alloys_by_id(session, store.campaign_id, [cand.alloy_id])[cand.alloy_id]
        if alloy.formula != r.composition.formula:
            raise CampaignError(
                f"candidate {cand.id} is {alloy.formula}, not {r.composition.formula}; "
                "give the candidate id or the formula, or make them agree"
            )
    return cand


def _write(
    session: Session,
    store: CampaignStore,
    r: ResultInput,
    *,
    actor: str,
    source: str = "lab",
    source_key: str | None = None,
    supersedes: Measurement | None = None,
    moved_from: Alloy | None = None,
    vocabulary: tuple[str, ...] = DEFAULT_VOCABULARY,
) -> RecordedResult:
    """Add one measurement (and its alloy if new) with audit events, in the caller's transaction.

    ``moved_from``: the alloy of ``supersedes`` when the correction moves the result elsewhere; it then
    keeps neither the old candidate link nor (on another alloy) the composition made, and a result given
    by formula becomes the result of that alloy's exported candidates as a new one would."""
    inherit = supersedes if moved_from is None else None
    cand = _candidate_for(session, store, r, set())
    if cand is not None:
        alloy, new_alloy, missing = q.alloys_by_id(session, store.campaign_id, [cand.alloy_id])[cand.alloy_id], False, []
    else:
        alloy, new_alloy, missing = _alloy_for(session, store, r.composition, actor, source, vocabulary)
    if alloy.outside_vocabulary and not missing:
        missing = alloy.outside_vocabulary.split(",")
    by_formula: list[Candidate] = []
    if cand is None and inherit is None and not new_alloy:  # a result for the alloy of exported candidates
        by_formula = [c for c in q.candidates_of_alloy(session, store.campaign_id, alloy.id) if c.status == "exported"]
        cand = by_formula[0] if by_formula else None
    m = Measurement(
        alloy_id=alloy.id,
        single_phase=r.single_phase,
        phases=r.phases,
        method=r.method,
        operator=r.operator or actor,
        notes=r.notes,
        measured_on=r.measured_on,
        entered_at=utcnow(),
        source=source,
        source_formula=r.source_formula,
        source_key=source_key,
        candidate_id=cand.id if cand is not None else (inherit.candidate_id if inherit else None),
        supersedes_id=supersedes.id if supersedes else None,
        # the composition made and the masses it was computed from go together: given, or kept from the
        # result corrected (on the same alloy)
        made_composition=r.made_composition if r.made_composition is not None
        else (inherit.made_composition if inherit else None),
        weighed_g=r.weighed_g if r.made_composition is not None else (inherit.weighed_g if inherit else None),
    )
    session.add(m)
    session.flush()
    _audit_measurement(session, store, actor, m, alloy, source, by_formula, moved_from, supersedes)
    moved = False
    if cand is not None and cand.status == "exported":
        mark_measured(session, store.campaign_id, cand.id, by=actor, measurement_id=m.id)
        moved = True
    for other in by_formula[1:]:
        mark_measured(session, store.campaign_id, other.id, by=actor, measurement_id=m.id)
    return RecordedResult(m, alloy, new_alloy, missing, cand, moved, [c.id for c in by_formula[1:]])


def _alloy_for(session: Session, store: CampaignStore, comp, actor: str, source: str,
               vocabulary) -> tuple[Alloy, bool, list[str]]:
    """The campaign's alloy of this composition, added (with its audit event) if new; whether it is
    new, and the elements outside the model's vocabulary it was added with."""
    alloy = q.alloys_by_formula(session, store.campaign_id, [comp.formula]).get(comp.formula)
    if alloy is not None:
        return alloy, False, []
    missing = outside(comp.elements, vocabulary)
    alloy = Alloy(campaign_id=store.campaign_id, formula=comp.formula, composition=comp.as_dict(),
                  n_elements=len(comp), outside_vocabulary=",".join(missing), source=source)
    session.add(alloy)
    session.flush()
    q.audit(session, actor=actor, action="alloy.add", entity="alloy", entity_id=alloy.id,
            campaign_id=store.campaign_id,
            payload={"formula": alloy.formula, "source": source, "outside_vocabulary": missing})  # fmt: skip
    return alloy, True, missing


def _audit_measurement(session: Session, store: CampaignStore, actor: str, m: Measurement, alloy: Alloy,
                       source: str, by_formula: list[Candidate], moved_from: Alloy | None,
                       supersedes: Measurement | None) -> None:
    """The measurement's audit event: what was recorded, the candidates it was linked to by formula, and
    where a moved correction came from."""
    q.audit(
        session,
        actor=actor,
        action="measurement.correct" if supersedes else "measurement.add",
        entity="measurement",
        entity_id=m.id,
        campaign_id=store.campaign_id,
        payload={
            "alloy_id": alloy.id, "formula": alloy.formula, "single_phase": m.single_phase, "phases": m.phases,
            "method": m.method, "measured_on": m.measured_on.isoformat() if m.measured_on else None,
            "candidate_id": m.candidate_id, "supersedes_id": m.supersedes_id, "source": source,
            **({"made_composition": m.made_composition} if m.made_composition else {}),
            **({"weighed_g": m.weighed_g} if m.weighed_g else {}),
            **({"linked_by_formula": [c.id for c in by_formula]} if by_formula else {}),
            **({"moved_from": {"alloy_id": moved_from.id, "formula": moved_from.formula,
                               "candidate_id": supersedes.candidate_id}} if moved_from else {}),
        },
    ).at = m.entered_at  # fmt: skip


def record_result(
    store: CampaignStore,
    formula: str | None = None,
    candidate_id: int | None = None,
    *,
    single_phase: bool | str,
    phases: str | None = None,
    method: str | None = None,
    operator: str | None = None,
    by: str | None = None,
    notes: str | None = None,
    measured_on: date | str | None = None,
    check_duplicates: bool = False,
    check_conflicts: bool = False,
    check_near: bool = False,
    allow_capitals: bool = False,
) -> RecordedResult:
    """Add one lab result and say what changed (new alloy, candidate moved).

    With ``check_duplicates`` (what the CLI and the TUI pass unless the person
    confirms), a result equal to one entered for the same alloy within
    DUPLICATE_WINDOW raises DuplicateResult; with ``check_conflicts``, one that
    contradicts a current lab result of a candidate's alloy raises
    ConflictingResult; with ``check_near``, one typed by formula for a new alloy
    within NEAR_CANDIDATE_AT_PCT of an exported or measured candidate raises
    NearCandidate.  A formula typed all in capitals that also reads as another alloy (CONI: CoNi?)
    raises CapitalsFormula unless ``allow_capitals``.  Either way nothing is written.
    """
    actor = by or current_user()
    r = prepare(formula=formula, candidate_id=candidate_id, single_phase=single_phase, phases=phases,
                method=method, operator=operator, notes=notes, measured_on=measured_on,
                allow_capitals=allow_capitals)  # fmt: skip
    with store.write() as session:
        _candidate_for(session, store, r, set())  # a candidate id and a formula that disagree: said first
        if check_duplicates:
            _refuse_recent_twin(session, store, r, actor)
            _refuse_stored_twin(session, store, r)
        why = contradiction(session, store, r) if check_conflicts else None
        if why:
            raise ConflictingResult(f"nothing was stored: {why} (--allow-conflict in the CLI)", why)
        if check_near:
            _refuse_near_candidate(session, store, r)
        done = _write(session, store, r, actor=actor)
        session.refresh(done.alloy)  # its label state, as the database's trigger left it
        done.now_conflicting = done.alloy.label_state == "conflict"
        done.formula_note = proportion_note(r.source_formula) if r.source_formula else None
        done.date_note = measured_before_export(session, store, done.measurement)
        return done


def measured_before_export(session: Session, store: CampaignStore, m: Measurement) -> str | None:
    """'measured 2026-11-29, before candidate 4 was exported (2026-12-01): check the date' for a result of a
    candidate dated before the candidate's newest export (a typo, or a date carried over by a move); a note,
    not a refusal, since an ingot may be made and measured before the batch file is written."""
    if m.candidate_id is None or m.measured_on is None:
        return None
    from hea_campaign.db.tables import ExportBatch

    batches = session.exec(select(ExportBatch).where(ExportBatch.campaign_id == store.campaign_id,
                                                     col(ExportBatch.voided_at).is_(None))).all()
    days = [b.created_at.date() for b in batches if m.candidate_id in (b.candidate_ids or [])]
    if not days or m.measured_on >= max(days):
        return None
    return (f"measured {m.measured_on.isoformat()}, before candidate {m.candidate_id} was exported "
            f"({max(days).isoformat()}): check the date")


def made_candidates(session: Session, store: CampaignStore) -> list[tuple[Candidate, str]]:
    """The candidates the lab made (exported or measured), with their formulas."""
    return [row for status in ("exported", "measured")
            for row in q.candidates_with_formulas(session, store.campaign_id, status)]


def near_candidates(session: Session, store: CampaignStore, comp: Composition,
                    within: float = NEAR_CANDIDATE_AT_PCT, made=None) -> list[tuple[float, Candidate, str]]:
    """(distance in at.%, candidate, its formula) for the exported and measured candidates (``made``, read
    when not given) whose alloy is not ``comp`` but lies closer than ``within`` to it (half-L1), nearest first."""
    found = []
    for cand, formula in made_candidates(session, store) if made is None else made:
        if formula == comp.formula:
            continue
        d = half_l1_change(comp, parse_formula(formula))
        if d < within:
            found.append((d, cand, formula))
    return sorted(found, key=lambda t: (t[0], t[1].id))


def _refuse_near_candidate(session: Session, store: CampaignStore, r: ResultInput) -> None:
    """Refuse a result typed by formula that would add a new alloy next to a candidate the lab made."""
    if r.candidate_id is not None or r.composition is None:
        return
    if q.alloys_by_formula(session, store.campaign_id, [r.composition.formula]).get(r.composition.formula):
        return  # a stored alloy: the result is for it
    near = near_candidates(session, store, r.composition)
    if not near:
        return
    d, cand, formula = near[0]
    typed = r.source_formula or r.composition.formula
    note = proportion_note(typed, with_percent=False)
    said = (f"{typed}{f' ({note})' if note else ''} would be a new alloy, {d:.2f} at.% from {cand.status} "
            f"candidate {cand.id} ({formula})")
    raise NearCandidate(
        f"nothing was stored: {said}; if the result is that candidate's, record it on it "
        f"(hea-campaign result add --candidate {cand.id} ...); if it is another alloy, confirm it (--yes)",
        said, cand.id)


def _alloy_id_of(session: Session, store: CampaignStore, r: ResultInput) -> int | None:
    """The stored alloy a result is for (by candidate or formula), or None for a new alloy."""
    if r.candidate_id is not None:
        cand = q.candidates_by_id(session, store.campaign_id, [r.candidate_id]).get(r.candidate_id)
        return cand.alloy_id if cand is not None else None
    alloy = q.alloys_by_formula(session, store.campaign_id, [r.composition.formula]).get(r.composition.formula)
    return alloy.id if alloy is not None else None


def contradiction(session: Session, store: CampaignStore, r: ResultInput) -> str | None:
    """Why ``r`` contradicts a current lab result of its alloy (its label, or the composition made for
    a candidate), or None.  Dataset rows (the literature) may disagree: that is what a dataset holds;
    a lab result typed by formula, without a candidate, counts as the lab's."""
    alloy_id = _alloy_id_of(session, store, r)
    if alloy_id is None:
        return None
    ms = q.measurements_of_alloy(session, alloy_id)
    superseded = q.superseded_by(session, [m.id for m in ms])
    for m in ms:
        if m.id in superseded or m.withdrawn or m.source.startswith(DATASET_SOURCE):
            continue
        of = f"candidate {m.candidate_id}" if m.candidate_id is not None else "entered by formula"
        said = f"measurement {m.id} ({of}, from {m.source}"
        fix = (f"; if that one was wrong, correct it (hea-campaign result correct {m.id} ...); if both are real "
               "(another ingot), confirm it")
        if m.single_phase is not None and r.single_phase is not None and m.single_phase != r.single_phase:
            return (f"{said}) says single phase {_yes_no(m.single_phase)} and this result says "
                    f"{_yes_no(r.single_phase)}{fix}")
        same_ingot = r.candidate_id is not None and m.candidate_id == r.candidate_id  # a replicate weighs its own
        if same_ingot and weighed_differ(r, m):
            return (f"{said}) recorded other masses weighed for this candidate; if these replace them (a mistyped "
                    f"mass), correct that result with them (hea-campaign result correct {m.id} --single-phase "
                    f"{'...' if m.single_phase is None else _yes_no(m.single_phase)} --weighed-g EL:G,...); if it is another ingot, confirm it: both are "
                    "kept in the history")
    return None


def contradictions_within(prepared: list[tuple[int, ResultInput]], target=None) -> list[tuple[int, str]]:
    """Rows of one file that give one alloy opposite labels, whether they name it by candidate id or by
    formula: (line, why) for each later row.  ``target(r)``: the alloy a row is about (default: its
    candidate id, or else its formula)."""
    target = target or (lambda r: ("candidate", r.candidate_id) if r.candidate_id is not None
                        else ("formula", r.composition.formula if r.composition is not None else None))
    first: dict[tuple, tuple[int, bool, ResultInput]] = {}
    out = []
    for line, r in prepared:
        if r.single_phase is None:
            continue
        seen = first.setdefault(target(r), (line, r.single_phase, r))
        if seen[1] != r.single_phase:
            other = "" if _named(r) == _named(seen[2]) else f" ({_named(r)}, the same alloy)"
            out.append((line, f"{_named(seen[2])} is single phase {_yes_no(seen[1])} on line {seen[0]} and "
                              f"{_yes_no(r.single_phase)} here{other}"))
    return out


def _named(r: ResultInput) -> str:
    return f"candidate {r.candidate_id}" if r.candidate_id is not None else r.composition.formula


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _refuse_recent_twin(session: Session, store: CampaignStore, r: ResultInput, actor: str) -> None:
    """Refuse a result equal to one entered for the same alloy within DUPLICATE_WINDOW."""
    alloy_id = _alloy_id_of(session, store, r)
    if alloy_id is None:
        return
    since = utcnow() - DUPLICATE_WINDOW
    wanted = (r.single_phase, r.phases, r.method, r.operator or actor, r.measured_on, r.notes)
    ms = q.measurements_of_alloy(session, alloy_id)
    gone = q.superseded_by(session, [m.id for m in ms])  # corrected, or moved to the alloy it was really for
    for m in ms:
        if _utc(m.entered_at) < since or m.supersedes_id is not None or m.id in gone:
            continue
        if (m.single_phase, m.phases, m.method, m.operator, m.measured_on, m.notes) == wanted:
            seconds = (utcnow() - _utc(m.entered_at)).total_seconds()
            ago = "less than a minute ago" if seconds < 60 else f"{round(seconds / 60)} min ago"
            said = f"the same result for this alloy was entered {ago} (measurement {m.id})"
            raise DuplicateResult(
                f"{said}; nothing was stored. If it is a real repeat, confirm it (--confirm-duplicate in the CLI)",
                said)


def _refuse_stored_twin(session: Session, store: CampaignStore, r: ResultInput) -> None:
    """Refuse a result that a current lab result already says (campaign.result_matching): on the same
    day, or, without a date, entered within DUPLICATE_WINDOW (Save pressed again with fewer details)."""
    found = match_stored(session, store.campaign_id, _alloy_id_of(session, store, r), r, set())
    if found is None or found.kind != "same":
        return
    m = found.measurement
    if r.measured_on is None and _utc(m.entered_at) < utcnow() - DUPLICATE_WINDOW:
        return  # no date to tell: the same label entered long after is a new measurement
    of = f"candidate {m.candidate_id}" if m.candidate_id is not None else "this alloy"
    said = (f"measurement {m.id} already says this for {of} (single phase {_yes_no(m.single_phase)}"
            + (f", measured {m.measured_on.isoformat()}" if m.measured_on else "") + ")")
    raise DuplicateResult(
        f"{said}; nothing was stored. If it is another ingot, confirm it (--confirm-duplicate in the CLI)", said)


def add_result(store: CampaignStore, formula: str | None = None, candidate_id: int | None = None,
               **fields) -> Measurement:
    """Add one lab result (by formula or candidate id) and return the new measurement.

    Takes the keyword fields of ``record_result``; ``operator`` (who measured)
    defaults to ``by`` (who enters it), which defaults to the OS user.
    """
    return record_result(store, formula, candidate_id, **fields).measurement


# --- CSV import --------------------------------------------------------------


@dataclass
class StoredBeside:
    """A row stored as a new measurement beside a current lab result that says the same (candidate or alloy,
    label) but was measured on another day: another ingot, or a date fixed in the file (then withdraw it)."""

    line: int
    formula: str
    candidate_id: int | None
    single_phase: bool
    stored: list[tuple[int, date]]  # (measurement, measured on) of the results it was stored beside
    measurement_id: int  # the new one
    measured_on: date


@dataclass
class ResultsImportReport:
    source: str
    rows: int = 0
    measurements_added: int = 0
    alloys_added: int = 0
    candidates_measured: int = 0
    already_imported: int = 0
    outside_vocabulary: dict[str, list[str]] = field(default_factory=dict)
    measurement_ids: list[int] = field(default_factory=list)
    weighed: int = 0  # weigh sheet: candidates whose composition made was recorded
    waiting: int = 0  # weigh sheet: candidates without a result yet (skipped)
    blank_measured: int = 0  # weigh sheet: candidates left blank (all their lines) as measured or failed already
    waiting_ids: list[int] = field(default_factory=list, repr=False)
    already_recorded: list[tuple[int, int]] = field(default_factory=list)  # (line, the stored result it repeats)
    masses_added: list[tuple[int, int, int]] = field(default_factory=list)  # (line, stored result, its correction)
    # weigh sheet: candidates whose masses were typed without a result and could not be stored, and why
    weighed_unstored: list[tuple[int, str]] = field(default_factory=list)
    proportions: list[tuple[int, str, str]] = field(default_factory=list)  # (line, formula, its at.% note)
    # (line, formula, measurement, at.%, candidate, its formula): new alloys next to a candidate the lab made
    near_candidates: list[tuple[int, str, int, float, int, str]] = field(default_factory=list)
    # alloys this import wrote to whose current results now disagree (left out of training)
    now_conflicting: list[str] = field(default_factory=list)
    # rows stored beside a current result of the same candidate and label measured on another day
    stored_beside: list[StoredBeside] = field(default_factory=list)


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[tuple[int, str]]]:
    """(column names, (line, cells by column) for every non-blank data row, row errors).

    A results CSV or a filled weigh sheet (recognised by its element and
    weighed_g/weighed_mg columns)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CampaignError(f"{path.name} is not a UTF-8 text file") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CampaignError(f"{path.name} is empty; expected a header row ({', '.join(CSV_COLUMNS)})") from None
    except csv.Error as exc:
        raise CampaignError(f"{path.name}: cannot read the header ({exc})") from None
    # " Single Phase " is single_phase; a column without a name (Excel's empty trailing columns) is
    # ignored while its cells are blank
    names = [re.sub(r"[\s_-]+", "_", h.strip().lower()) for h in header]
    unnamed = [i for i, h in enumerate(names) if not h]
    sheet = is_sheet(names)
    allowed = sheet_columns_read(sheet_unit(names)) if sheet else CSV_COLUMNS
    unknown = [h for h in names if h and h not in allowed]
    if unknown and separator_hint(header):
        raise CampaignError(f"{path.name}: {separator_hint(header)}")
    if unknown:
        raise CampaignError(f"{path.name}: unknown column(s) {', '.join(repr(u) for u in unknown)}; "
                            f"expected some of {', '.join(allowed)}")  # fmt: skip
    dupes = sorted({h for h in names if h and names.count(h) > 1})
    if dupes:
        raise CampaignError(f"{path.name}: column(s) {', '.join(dupes)} appear more than once")
    if sheet and ("candidate_id" not in names or "single_phase" not in names):
        raise CampaignError(f"{path.name}: a weigh sheet needs its candidate_id and single_phase columns")
    if "formula" not in names and "candidate_id" not in names:
        raise CampaignError(f"{path.name}: needs a formula or a candidate_id column")
    if "single_phase" not in names:
        raise CampaignError(f"{path.name}: needs a single_phase column (yes/no)")
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[tuple[int, str]] = []
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) > len(names):
                errors.append((start, f"{len(cells)} cells but the header has {len(names)} columns"))
                continue
            stray = next((i for i in unnamed if i < len(cells) and cells[i].strip()), None)
            if stray is not None:
                errors.append((start, f"{cells[stray].strip()!r} is in column {stray + 1}, which has no name in "
                                      f"the header"))
                continue
            rows.append((start, {n: (cells[i] if i < len(cells) else "") for i, n in enumerate(names) if n}))
    except csv.Error as exc:
        raise CampaignError(f"{path.name}: malformed CSV near line {reader.line_num} ({exc})") from None
    return names, rows, errors


def _csv_content(cells: dict[str, str]) -> str:
    return "csv|" + "|".join((cells.get(c) or "").strip() for c in CSV_COLUMNS)


def _prepare_csv(rows, errors, allow_capitals: bool = False) -> tuple[list[tuple[int, ResultInput]], dict[int, str]]:
    prepared: list[tuple[int, ResultInput]] = []
    contents: dict[int, str] = {}
    for line, cells in rows:
        try:
            r = prepare(
                formula=cells.get("formula"),
                candidate_id=cells.get("candidate_id"),
                single_phase=(cells.get("single_phase") or "").strip()
                or _label_from_phases(cells.get("phases")),
                phases=cells.get("phases") or None,
                method=cells.get("method"),
                operator=cells.get("operator"),
                notes=cells.get("notes"),
                measured_on=cells.get("measured_on"),
                allow_capitals=allow_capitals,
            )
        except (CampaignError, FormulaError) as exc:
            errors.append((line, str(exc)))
            continue
        prepared.append((line, r))
        contents[line] = _csv_content(cells)
    return prepared, contents


def _prepare_sheet(rows, unit: str, errors, report, batches: dict[int, str] | None = None,
                   weighed_only: list | None = None) -> tuple[list[tuple[int, ResultInput]], dict[int, str]]:
    """One result per candidate of a filled weigh sheet; candidates without a result yet are counted.
    ``batches`` receives the export batch each candidate's lines name (line -> batch id as written);
    ``weighed_only`` the (line, result without a label) of candidates with masses but no result typed,
    which the store decides about (``_masses_only``)."""
    prepared: list[tuple[int, ResultInput]] = []
    contents: dict[int, str] = {}
    for g in group_sheet(rows):
        if batches is not None and g.batch:
            batches[g.line] = g.batch
        if g.errors:
            errors.extend(g.errors)
            continue
        blank = not g.single_phase and not g.phases
        if blank and not any(t.strip() for t in g.weighed.values()):
            report.waiting += 1
            if str(g.candidate_id).strip().isdigit():
                report.waiting_ids.append(int(str(g.candidate_id).strip()))
            continue
        try:
            r = prepare(formula=g.formula or None, candidate_id=g.candidate_id,
                        single_phase=False if blank else g.single_phase or _label_from_phases(g.phases),
                        phases=None if blank else g.phases or None,
                        method=g.method, operator=g.operator, notes=g.notes, measured_on=g.measured_on,
                        allow_capitals=True)  # the sheet's formula is the export's canonical one
            if r.candidate_id is None:
                raise CampaignError("a weigh sheet line needs its candidate_id")
            r.made_composition = _sheet_made(g, unit, r)
            r.weighed_g = weighed_grams_text(g, unit) if r.made_composition is not None else None
        except (CampaignError, FormulaError) as exc:
            errors.append((g.line, str(exc)))
            continue
        contents[g.line] = g.content()
        if blank:
            r.single_phase = None  # masses without a result: the store says whose result they belong to
            if weighed_only is not None:
                weighed_only.append((g.line, r))
            continue
        prepared.append((g.line, r))
    return prepared, contents


def _sheet_made(g, unit: str, r: ResultInput) -> dict[str, float] | None:
    """The composition made from a sheet candidate's weighed masses (None if none are filled), checked
    against its formula."""
    grams = weighed_masses(g, unit)
    if grams is None:
        return None
    nominal = set(r.composition.elements) if r.composition is not None else set(grams)
    if set(grams) != nominal:
        raise CampaignError(f"candidate {g.candidate_id}: weighed elements {', '.join(sorted(grams))} "
                            f"differ from its formula's {', '.join(sorted(nominal))}")  # fmt: skip
    made = made_composition(grams)
    if r.composition is not None:
        check_made_near_nominal(f"candidate {g.candidate_id}", r.composition.as_dict(), made)
    check_weighed_total(f"candidate {g.candidate_id}", grams, target_grams(g, unit), unit)  # milligrams as grams
    return made


def _masses_only(session: Session, store: CampaignStore, rows: list[tuple[int, ResultInput]],
                 report: ResultsImportReport, errors: list) -> list[tuple[int, ResultInput]]:
    """Sheet candidates with masses typed but no result: a measured candidate's masses go to its stored
    result (as its correction, by the rows it returns, which repeat that result); a candidate without a
    result keeps waiting, and a failed one has no result to take them: both are reported, not lost."""
    found = q.candidates_by_id(session, store.campaign_id, [r.candidate_id for _, r in rows])
    out = []
    for line, r in rows:
        c = found.get(r.candidate_id)
        if c is None or c.status != "measured":
            failed = c is not None and c.status == "failed"
            report.weighed_unstored.append((r.candidate_id, "failed" if failed else "no result yet"))
            report.waiting += not failed
            continue
        results = _current_results_of(session, c)
        if len(results) != 1:
            errors.append((line, f"candidate {c.id} has {len(results)} current results: type single_phase on this "
                                 "line, or add the masses to one with hea-campaign result correct ID --weighed-g ..."))
            continue
        m = results[0]
        out.append((line, ResultInput(composition=r.composition, source_formula=r.source_formula, candidate_id=c.id,
                                      single_phase=m.single_phase, phases=m.phases, method=r.method or m.method,
                                      operator=r.operator or m.operator, notes=r.notes or m.notes,
                                      measured_on=r.measured_on or m.measured_on,  # details typed on the sheet
                                      made_composition=r.made_composition, weighed_g=r.weighed_g)))
    return out


def _current_results_of(session: Session, candidate: Candidate) -> list[Measurement]:
    """The candidate's own current labelled results."""
    mine = [m for m in q.measurements_of_alloy(session, candidate.alloy_id) if m.candidate_id == candidate.id]
    gone = q.superseded_by(session, [m.id for m in mine])
    return [m for m in mine if m.id not in gone and m.single_phase is not None]


def import_results(store: CampaignStore, csv_path: str | Path, by: str | None = None,
                   allow_conflicts: bool = False, allow_capitals: bool = False) -> ResultsImportReport:
    """Import results from a CSV (columns: formula or candidate_id, single_phase, phases,
    method, operator, notes, measured_on); all rows or none.  A row that contradicts a current
    lab result of a candidate's alloy is a bad row unless ``allow_conflicts``; so is a formula typed
    all in capitals that also reads as another alloy (CONI: CoNi?) unless ``allow_capitals``."""
    actor = by or current_user()
    path = input_file(csv_path, "the results CSV or weigh sheet")
    names, rows, errors = _read_rows(path)
    report = ResultsImportReport(source=path.name, rows=len(rows) + len(errors))
    if not rows and not errors:
        raise CampaignError(f"{path.name} has no result rows")
    batches: dict[int, str] = {}  # a weigh sheet's line -> the export batch it names
    weighed_only: list[tuple[int, ResultInput]] = []  # sheet candidates with masses and no result typed
    if is_sheet(names):
        prepared, contents = _prepare_sheet(rows, sheet_unit(names), errors, report, batches, weighed_only)
    else:
        prepared, contents = _prepare_csv(rows, errors, allow_capitals)

    digest = sha256_of(path)
    prefix = f"r{store.campaign_id}"
    with store.write() as session:
        prepared += _masses_only(session, store, weighed_only, report, errors)
        written = content_keys(prefix, [(line, contents[line]) for line, _ in prepared])  # the cells as typed
        # what a row says, not how it is typed ("YES" or "yes"): the key stored from now on (CSV rows)
        keys = written if is_sheet(names) else content_keys(prefix, [(line, _meaning(r)) for line, r in prepared])
        legacy = {line: f"{prefix}:{digest[:32]}:{line}" for line, _ in prepared}
        known = q.existing_source_keys(session, [*keys.values(), *written.values(), *legacy.values()])
        todo = [(line, r) for line, r in prepared if not {keys[line], written[line], legacy[line]} & known]
        report.already_imported = len(prepared) - len(todo)
        _count_blank_measured(session, store, report)
        file_keys = frozenset([*keys.values(), *written.values(), *legacy.values()])
        todo, completes = _split_repeats(session, store, todo, report, allow_conflicts, file_keys)
        if not allow_conflicts:  # the person says the rows are other ingots
            errors += _said_twice(session, store, prepared, {line for line, _ in todo})
        errors += _not_the_current_batch(session, store, todo, batches)
        measured: set[int] = set()
        conflicts = [] if allow_conflicts else contradictions_within(todo, lambda r: _target_of(session, store, r))
        conflicts += completes.pop("differs", [])
        for line, r in todo:  # store-dependent checks for every row before writing any
            try:
                cand = _candidate_for(session, store, r, measured)
            except CampaignError as exc:
                errors.append((line, str(exc)))
                continue
            why = None if allow_conflicts or line in completes else contradiction(session, store, r)
            if why:
                conflicts.append((line, why.replace("confirm it", "import with --allow-conflicts")))
                continue
            if cand is not None:
                measured.add(cand.id)
        errors += conflicts
        if errors:  # rows bad in themselves and rows bad for this store, all reported at once
            raise ResultsImportFailed(path.name, sorted(errors), sorted(conflicts))
        made = made_candidates(session, store) if any(r.candidate_id is None for _, r in todo) else []
        # before writing any row: an earlier row of this file is not a result the store already had
        other_days = {line: other_day_twins(session, store.campaign_id, _alloy_id_of(session, store, r), r)
                      for line, r in todo if line not in completes}
        for line, r in todo:
            note = proportion_note(r.source_formula) if r.source_formula else None
            if note:  # amounts that look like at.% but do not add to 100
                report.proportions.append((line, r.source_formula, note))
            stored = completes.get(line)
            if stored is not None:  # only the masses are new: a correction keeps the rest of the stored result
                r = _with_masses(stored, r)
            done = _write(session, store, r, actor=actor, source=f"results:{path.name}", source_key=keys[line],
                          supersedes=stored)
            if stored is not None:
                report.masses_added.append((line, stored.id, done.measurement.id))
            report.measurements_added += 1
            report.weighed += r.made_composition is not None
            report.alloys_added += done.new_alloy
            report.candidates_measured += done.candidate_moved
            report.measurement_ids.append(done.measurement.id)
            if other_days.get(line):
                report.stored_beside.append(StoredBeside(
                    line, done.alloy.formula, done.measurement.candidate_id, bool(r.single_phase),
                    [(m.id, m.measured_on) for m in other_days[line]], done.measurement.id, r.measured_on))
            if done.outside_vocabulary:
                report.outside_vocabulary[done.alloy.formula] = done.outside_vocabulary
            if done.new_alloy and r.candidate_id is None and made:  # a candidate's result, mistyped?
                near = near_candidates(session, store, r.composition, made=made)
                if near:
                    d, cand, formula = near[0]
                    report.near_candidates.append((line, r.source_formula or done.alloy.formula,
                                                   done.measurement.id, d, cand.id, formula))
        report.now_conflicting = _conflicting_among(session, report.measurement_ids)
        if todo:
            q.audit(session, actor=actor, action="results.import", entity="campaign", entity_id=store.campaign_id,
                    campaign_id=store.campaign_id,
                    payload={"source": path.name, "sha256": digest, "rows": report.rows,
                             "measurement_ids": report.measurement_ids})  # fmt: skip
    return report


def _conflicting_among(session: Session, measurement_ids: list[int]) -> list[str]:
    """The formulas of the alloys of these measurements whose current results disagree (as the
    database's trigger left their label state), sorted."""
    if not measurement_ids:
        return []
    session.flush()
    a, m = Alloy.__table__, Measurement.__table__
    found = set()
    for i in range(0, len(measurement_ids), 500):
        part = measurement_ids[i : i + 500]
        found.update(session.execute(select(a.c.formula).join(m, m.c.alloy_id == a.c.id)
                                     .where(m.c.id.in_(part)).where(a.c.label_state == "conflict")).scalars())
    return sorted(found)


def _meaning(r: ResultInput) -> str:
    """A CSV row by what it says (canonical formula, label, phases and method without case or
    spacing), so a retyped copy of an imported file is recognised."""
    fields = (r.candidate_id, r.composition.formula if r.composition is not None else None, *_what_it_says(r))
    return "result|" + "|".join("" if f is None else str(f) for f in fields)


def _what_it_says(r: ResultInput) -> tuple:
    """A row's result, whichever way it names its alloy: label, phases and method without case or
    spacing, operator, notes, date."""
    return (r.single_phase, squeezed(r.phases), squeezed(r.method), (r.operator or "").strip().casefold(),
            " ".join((r.notes or "").split()), r.measured_on.isoformat() if r.measured_on else None)


def _not_the_current_batch(session: Session, store: CampaignStore, rows: list[tuple[int, ResultInput]],
                           batches: dict[int, str]) -> list[tuple[int, str]]:
    """Weigh-sheet lines to be written whose batch is not their candidate's current one: the batch was
    voided (its ingots were not to be made), or the candidate was exported again since (its first ingot
    failed): a result from that sheet would be credited to the ingot of another batch."""
    named = {line: batches[line] for line, _ in rows if batches.get(line)}
    if not named:
        return []
    done = q.written_batches(session, store.campaign_id)
    current = {}  # candidate -> its newest batch not voided
    for b in done:
        for cid in b.candidate_ids or []:
            if b.voided_at is None:
                current[cid] = b.id
    by_id = {str(b.id): b for b in done}
    out = []
    for line, r in rows:
        said = named.get(line)
        if said is None or r.candidate_id is None:
            continue
        b = by_id.get(said)
        if b is None or r.candidate_id not in (b.candidate_ids or []):
            out.append((line, f"the sheet names batch {said}, which did not export candidate {r.candidate_id}"))
        elif b.voided_at is not None:
            out.append((line, f"batch {said} was voided ({one_line_reason(b.void_reason)}): its ingots were not to "
                              f"be made; use the sheet of candidate {r.candidate_id}'s current batch"
                              + (f" ({current[r.candidate_id]})" if r.candidate_id in current else "")))
        elif current.get(r.candidate_id) != b.id:
            out.append((line, f"candidate {r.candidate_id} was exported again in batch {current[r.candidate_id]} "
                              f"after this sheet's batch {said}: use the newer sheet"))
    return out


def one_line_reason(text: str | None) -> str:
    return " ".join((text or "no reason given").split())[:120]


def _said_twice(session: Session, store: CampaignStore, rows: list[tuple[int, ResultInput]],
                writing: set[int]) -> list[tuple[int, str]]:
    """Rows about to be written that say exactly what an earlier row of the file says about the same
    alloy (by candidate id or by formula; masses included): most often a row pasted twice, which would
    store one result as two measurements.  Rows that repeat a stored result were taken out before."""
    first: dict[tuple, int] = {}
    out = []
    for line, r in rows:
        said = (_target_of(session, store, r), *_what_it_says(r), json.dumps(r.made_composition, sort_keys=True))
        if said not in first:
            first[said] = line
        elif line in writing:
            out.append((line, f"says exactly what line {first[said]} says about this alloy (a row pasted "
                              "twice?); if it is another ingot, say so in its notes, or import with "
                              "--allow-conflicts"))
    return out


def _target_of(session: Session, store: CampaignStore, r: ResultInput) -> tuple:
    """The alloy a row is about, whether given by candidate id or formula (a formula new to the store:
    itself); a candidate that does not exist is left to the checks that name it."""
    try:
        alloy_id = _alloy_id_of(session, store, r)
    except CampaignError:
        alloy_id = None
    if alloy_id is not None:
        return ("alloy", alloy_id)
    return ("formula", r.composition.formula) if r.composition is not None else ("candidate", r.candidate_id)


def _count_blank_measured(session: Session, store: CampaignStore, report: ResultsImportReport) -> None:
    """Blank sheet lines of candidates measured (or failed) already are not 'waiting' for a result."""
    found = q.candidates_by_id(session, store.campaign_id, report.waiting_ids)
    done = sum(1 for c in found.values() if c.status in ("measured", "failed"))
    report.waiting -= done
    report.blank_measured += done


def _split_repeats(session: Session, store: CampaignStore, todo: list[tuple[int, ResultInput]],
                   report: ResultsImportReport, allow_conflicts: bool,
                   file_keys: frozenset[str]) -> tuple[list[tuple[int, ResultInput]], dict]:
    """Rows that repeat a stored lab result (campaign.result_matching) taken out of ``todo`` and reported;
    returns the rows left and {line: stored result} for rows that only add masses, plus under "differs"
    the (line, why) of rows that give other details (refused unless ``allow_conflicts``).  A row whose
    candidate and formula disagree is left in ``todo``, where it is refused."""
    kept, completes, used = [], {"differs": []}, set()
    for line, r in todo:
        try:
            _candidate_for(session, store, r, set())
            found = match_stored(session, store.campaign_id, _alloy_id_of(session, store, r), r, used, file_keys)
        except CampaignError:
            found = None
        if found is None or (found.kind == "differs" and allow_conflicts):
            kept.append((line, r))
            continue
        m = found.measurement
        if found.kind == "same":
            report.already_recorded.append((line, m.id))
        elif found.kind == "masses":
            completes[line] = m
            kept.append((line, r))
        else:
            completes["differs"].append((line, _differs_text(m, found)))
        used.add(m.id)
    return kept, completes


def _differs_text(m: Measurement, found) -> str:
    who = f"candidate {m.candidate_id}" if m.candidate_id is not None else "this alloy"
    names = lambda fields: ", ".join(f.replace("_", " ") for f in fields)  # noqa: E731
    said = [f"gives other {names(found.fields)}"] if found.fields else []
    said += [f"adds {names(found.adds)}, which it lacks"] if found.adds else []
    return (f"{who} already has measurement {m.id} with this label (and no other date), and this row "
            f"{' and '.join(said)}; if the file was fixed, correct that one (hea-campaign result correct "
            f"{m.id} ...); if it is another ingot, import with --allow-conflicts")


def _with_masses(m: Measurement, r: ResultInput) -> ResultInput:
    """The stored result ``m`` with the masses weighed (``r``'s, and the composition made from them) added."""
    return ResultInput(composition=r.composition, source_formula=r.source_formula, candidate_id=m.candidate_id,
                       single_phase=m.single_phase, phases=m.phases, method=m.method, operator=m.operator,
                       notes=m.notes, measured_on=m.measured_on, made_composition=r.made_composition,
                       weighed_g=r.weighed_g)


def _label_from_phases(phases: str | None) -> str:
    """A blank single_phase cell may be read from an unambiguous phase list."""
    label = phase_to_label(phases)
    if label is None:
        raise CampaignError("single_phase is blank (write yes or no)")
    return "yes" if label else "no"


# --- corrections -------------------------------------------------------------


def correct_result(
    store: CampaignStore,
    measurement_id: int,
    *,
    single_phase: bool | str,
    phases: str | None = None,
    method: str | None = None,
    operator: str | None = None,
    measured_on: date | str | None = None,
    by: str | None = None,
    notes: str | None = None,
    weighed_g: str | None = None,
    literature: bool = False,
    weighed_mg: str | None = None,
) -> Measurement:
    """Add a measurement that supersedes ``measurement_id`` (see module docstring).

    A dataset's row (the literature) is corrected only with ``literature=True``: PublishedResult otherwise.

    ``weighed_g`` ('Fe:10.12,Ni:9.88'): the masses really weighed, replacing the composition made the old
    result recorded (a mistyped mass on the weigh sheet); checked as a weigh sheet's are.  ``weighed_mg``: the
    same in milligrams, stored in grams as a weigh sheet's weighed_mg column is (not both)."""
    actor = by or current_user()
    if weighed_g is not None and weighed_mg is not None:
        raise CampaignError("give the masses weighed once, in grams (--weighed-g) or in milligrams (--weighed-mg), "
                            "not both; nothing was saved")
    weighed_unit = "g" if weighed_mg is None else "mg"
    weighed_g = weighed_g if weighed_mg is None else weighed_mg
    with store.write() as session:
        old, alloy = current_measurement(session, store, measurement_id)
        root = _published_root(session, old)
        what = None if root is None else (f"a published result ({root.source})" if root is old else
                                           f"a correction of published result {root.id} ({root.source})")
        if literature and root is None:
            raise CampaignError(f"measurement {old.id} is a lab result ({old.source}), not a published one: leave out "
                                "--literature; nothing was saved")
        if root is not None and weighed_g is not None:
            raise CampaignError(f"measurement {old.id} is {what}: no masses were weighed for it in this lab, so "
                                "there are none to correct; nothing was saved")
        r = restated(old, alloy, single_phase=single_phase, phases=phases, method=method, operator=operator,
                     notes=notes, measured_on=measured_on, actor=actor)
        if weighed_g is not None:
            r.made_composition = _made_from(weighed_g, alloy, _ingot_of(session, store, old), weighed_unit)
            r.weighed_g = parse_weighed_text(weighed_g, list(alloy.composition), weighed_unit)
        # the masses are kept as weighed: other masses are a change, even in the same proportions (another
        # scale), and so are masses given to a result that recorded none (one stored before 0006 kept only
        # the composition made); the same masses retyped ('10.1' as '10.10') are not
        same_masses = weighed_g is None or (old.weighed_g is not None and same_weighed(old.weighed_g, r.weighed_g))
        if same_masses and _says_the_same(old, r, published=root is not None):
            made = "" if weighed_g is None else ", and these are the masses weighed it records"
            raise CampaignError(
                f"measurement {old.id} already says {'single phase' if old.single_phase else 'not single phase'}"
                f"{f' ({old.phases})' if old.phases else ''} with this method, date and notes{made}: nothing to "
                "correct, nothing was saved (a new measurement of the same alloy is 'result add')")
        if root is not None and not literature:
            said = (f"measurement {old.id} is {what}, not one of this lab's: a correction replaces the "
                    "literature's label in training (the published one stays in the history); if your lab "
                    f"measured {alloy.formula} itself, record that as a new result instead")
            raise PublishedResult(
                f"{said} (result add); nothing was saved (to correct the published label, confirm: --literature "
                "in the CLI)", said)
        return _write(session, store, r, actor=actor, source="correction", supersedes=old).measurement


def _published_root(session: Session, m: Measurement) -> Measurement | None:
    """The dataset's row that ``m`` is, or corrects (through any chain of corrections), or None."""
    while m.supersedes_id is not None and not m.source.startswith(DATASET_SOURCE):
        m = session.get(Measurement, m.supersedes_id)
    return m if m.source.startswith(DATASET_SOURCE) else None


def _says_the_same(old: Measurement, r: ResultInput, published: bool = False) -> bool:
    """A correction that would restate the result as it is (a form saved unchanged, an entry retyped).

    Notes are the correction's own (none given: no notes), so leaving them out of a correction of a
    result that has them is a change, and is stored; the operator carries over unless given.  A
    published result has no operator: whoever restates it as it is changes nothing."""
    return (old.single_phase == r.single_phase and normalise_phases(old.phases) == r.phases and old.method == r.method
            and old.measured_on == r.measured_on and old.notes == r.notes
            and (published or old.operator == r.operator))


def _made_from(weighed_g: str, alloy: Alloy, ingot_g: float | None = None, unit: str = "g") -> dict[str, float]:
    """The composition made from masses typed as 'Fe:10.12,Ni:9.88' (in ``unit``), refused when their total is
    no ingot (``ingot_g``: its export batch's, checked as a weigh sheet's masses are) or far from the alloy's."""
    from .weigh_sheet import check_made_near_nominal, made_composition, parse_weighed

    if not str(weighed_g).strip():
        example = "grams for every element, e.g. Fe:10.12,Ni:9.88" if unit == "g" else \
            "milligrams for every element, e.g. Fe:10120,Ni:9880"
        raise CampaignError(f"the weighed masses are blank: give element:{example}")
    grams = parse_weighed(weighed_g, list(alloy.composition), unit)
    made = made_composition(grams)
    check_made_near_nominal(alloy.formula, dict(alloy.composition), made, what="the alloy")
    check_weighed_total(alloy.formula, grams, ingot_g, unit)  # milligrams typed as grams keep the composition
    return made


def _ingot_of(session: Session, store: CampaignStore, m: Measurement) -> float | None:
    """The ingot mass (g) of the export batch the measured candidate went out in; None without one."""
    from .export_batches import export_of

    if m.candidate_id is None:
        return None
    batch = export_of(session, store.campaign_id, m.candidate_id)
    return float(batch.mass_g) if batch is not None and batch.mass_g and batch.mass_g > 0 else None


def current_measurement(session: Session, store: CampaignStore, measurement_id: int) -> tuple[Measurement, Alloy]:
    """The measurement to correct and its alloy; refuses an unknown one or one already corrected."""
    found = q.measurement_with_alloy(session, store.campaign_id, measurement_id)
    if found is None:
        raise CampaignError(f"no measurement with id {measurement_id} in this campaign")
    old, alloy = found
    if old.withdrawn:
        raise CampaignError(f"measurement {old.id} is the withdrawal of measurement {old.supersedes_id}, not a "
                            "result; nothing to correct (a result of the alloy is 'result add')")
    newer = q.superseding_measurement(session, old.id)
    if newer is not None and newer.withdrawn:
        raise CampaignError(f"measurement {old.id} was withdrawn by measurement {newer.id} ({newer.notes}); it is "
                            "no result to correct (enter the real result with 'result add')")
    if newer is not None:
        raise AlreadyCorrected(
            f"measurement {old.id} was already corrected by measurement {newer.id}; correct {newer.id} instead",
            newer.id)
    return old, alloy


def restated(old: Measurement, alloy: Alloy, *, single_phase, phases, method, operator, notes, measured_on,
             actor: str) -> ResultInput:
    """The correction of ``old`` as a ResultInput for its alloy: what is given, and what carries over."""
    single = parse_single_phase(single_phase)
    return ResultInput(
        composition=parse_formula(alloy.formula),
        source_formula=alloy.formula,
        candidate_id=None,
        single_phase=single,
        # the phases carry over with the label they belong to; method, operator and date always carry over
        phases=check_phases(phases if phases is not None or single != old.single_phase else old.phases, single),
        method=_check_text(method, "method", MAX_METHOD) or old.method,
        operator=_check_operator(operator) or old.operator or actor,
        notes=_check_text(notes, "notes", MAX_NOTES),
        measured_on=check_measured_on(parse_measured_on(measured_on)) or old.measured_on,
    )


# --- history -----------------------------------------------------------------


@dataclass
class HistoryEntry:
    at: datetime  # UTC
    kind: str  # "measurement" or "candidate"
    entity_id: int
    action: str  # measurement.add / measurement.correct / candidate.approve ...
    actor: str | None
    details: dict = field(default_factory=dict)
    superseded_by: int | None = None


@dataclass
class AlloyHistory:
    formula: str
    alloy_id: int
    label: bool | None
    conflict: bool
    candidate_ids: list[int]
    entries: list[HistoryEntry]
    model_use: ModelUse | None = None  # what the active model version did with this alloy


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def history(store: CampaignStore, formula: str, allow_capitals: bool = False) -> AlloyHistory:
    """Every measurement (superseded and withdrawn ones marked, withdrawals as entries of their own) and candidate
    event of an alloy, oldest first (a formula
    typed all in capitals that also reads as another alloy raises CapitalsFormula unless ``allow_capitals``)."""
    comp = parse_typed_formula(formula, confirmed=allow_capitals)
    with store.read() as session:
        alloy = q.alloys_by_formula(session, store.campaign_id, [comp.formula]).get(comp.formula)
        if alloy is None:
            raise CampaignError(f"no alloy {comp.formula} in campaign '{store.campaign_name}'")
        measurements = q.measurements_of_alloy(session, alloy.id)
        candidates = q.candidates_of_alloy(session, store.campaign_id, alloy.id)
        events = q.audit_events_for(session, "candidate", [c.id for c in candidates])
        entered_by = {e.entity_id: e.actor for e in q.audit_events_for(session, "measurement", [m.id for m in measurements])
                      if e.action in ("measurement.add", "measurement.correct", "measurement.withdraw")}  # fmt: skip
        superseded_by = q.superseded_by(session, [m.id for m in measurements])  # a move's correction is elsewhere
        here = {m.id for m in measurements}
        elsewhere = q.formulas_of_measurements(session, [i for i in (*superseded_by.values(),
                                                                      *(m.supersedes_id for m in measurements))
                                                         if i is not None and i not in here])
        use = model_use(session, store.campaign_id, alloy, measurements)
    label, conflict = label_of(measurements, superseded_by)  # this alloy's measurements only
    withdrawals = {w.supersedes_id: w for w in measurements if w.withdrawn}  # same alloy as what they withdraw
    entries: list[HistoryEntry] = []
    for m in measurements:
        w = withdrawals.get(m.id)
        entries.append(
            HistoryEntry(
                at=_utc(m.entered_at),
                kind="measurement",
                entity_id=m.id,
                action=("measurement.withdraw" if m.withdrawn
                        else "measurement.correct" if m.supersedes_id else "measurement.add"),
                actor=entered_by.get(m.id, m.operator),  # who entered it (a correction: the corrector)
                details={
                    "operator": m.operator, "made_composition": m.made_composition, "weighed_g": m.weighed_g,
                    "single_phase": m.single_phase, "phases": m.phases, "method": m.method,
                    "measured_on": m.measured_on, "notes": m.notes, "source": m.source,
                    "candidate_id": m.candidate_id, "supersedes_id": m.supersedes_id,
                    "moved_from": elsewhere.get(m.supersedes_id), "moved_to": elsewhere.get(superseded_by.get(m.id)),
                    "withdrawal": m.withdrawn,  # this entry withdraws the result it supersedes (notes: the reason)
                    "withdrawn": None if w is None else {"by": w.id, "reason": w.notes, "operator": w.operator,
                                                         "at": _utc(w.entered_at)},
                },
                superseded_by=superseded_by.get(m.id),
            )
        )  # fmt: skip
    for e in events:
        entries.append(HistoryEntry(at=_utc(e.at), kind="candidate", entity_id=e.entity_id, action=e.action,
                                    actor=e.actor, details=dict(e.payload or {})))  # fmt: skip
    order = {"measurement": 0, "candidate": 1}
    entries.sort(key=lambda h: (h.at, order[h.kind], h.entity_id))
    return AlloyHistory(
        formula=alloy.formula,
        alloy_id=alloy.id,
        label=label,
        conflict=conflict,
        candidate_ids=[c.id for c in candidates],
        entries=entries,
        model_use=use,
    )

