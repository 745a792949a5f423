"""Moving a lab result to the candidate or alloy it was really for.

A result typed under candidate 21 that belongs to candidate 12 is a common
slip at the keyboard.  Correcting only its label would leave it on the wrong
alloy, where it trains the model as a label of an alloy nobody measured.  A
move is a correction like any other (a new measurement that supersedes the
wrong one, which stays in the history) whose new measurement belongs to the
right alloy:

- the right candidate (``--candidate``, which must have been exported) or
  the right alloy (``--formula``; its exported candidates get the result as
  they would from a result typed by formula) becomes measured;
- the candidate the result leaves returns measured -> exported when no
  current lab result is for it any more, and so does any other measured
  candidate of the old alloy once that alloy has no current lab result
  left: their ingots still await their own results;
- the composition made and the masses weighed it was computed from stay only when the alloy stays;
- a current lab result of the right alloy that disagrees is reported, not
  refused: both are real results once the wrong one is moved.

The database keeps each alloy's label state for both alloys (the trigger of
migration 0004 recomputes the alloy of the superseded measurement too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from hea_campaign.db import store as q
from hea_campaign.db.tables import Measurement

from .chemistry import parse_formula, parse_typed_formula, proportion_note
from .errors import CampaignError
from .importing import DATASET_SOURCE
from .lifecycle import mark_reopened
from .results import _check_candidate_id, _write, current_measurement, measured_before_export, restated
from .store import CampaignStore, current_user


@dataclass
class MovedResult:
    """What a move wrote and changed."""

    measurement: Measurement
    from_formula: str
    from_candidate: int | None
    to_formula: str
    to_candidate: int | None
    measured: list[int] = field(default_factory=list)  # exported -> measured by the move
    reopened: list[int] = field(default_factory=list)  # measured -> exported: no result is for them any more
    disagrees: str | None = None  # a current lab result of the new alloy that says otherwise
    formula_note: str | None = None  # the formula's amounts look like at.% but do not add to 100 (chemistry)
    date_note: str | None = None  # measured before the candidate it moved to was exported: a date to check


def move_result(
    store: CampaignStore,
    measurement_id: int,
    *,
    candidate_id: int | str | None = None,
    formula: str | None = None,
    single_phase: bool | str,
    phases: str | None = None,
    method: str | None = None,
    operator: str | None = None,
    measured_on: date | str | None = None,
    by: str | None = None,
    notes: str | None = None,
    allow_capitals: bool = False,
) -> MovedResult:
    """Correct ``measurement_id`` and move it to ``candidate_id`` or to the alloy ``formula`` (see module); a
    formula typed all in capitals that also reads as another alloy raises CapitalsFormula unless
    ``allow_capitals``."""
    actor = by or current_user()
    cid = _check_candidate_id(candidate_id)
    text = None if formula is None or not str(formula).strip() else str(formula).strip()
    if cid is None and text is None:
        raise CampaignError("say where the result belongs: the candidate id or the alloy's formula")
    with store.write() as session:
        old, alloy = current_measurement(session, store, measurement_id)
        if old.source.startswith(DATASET_SOURCE):
            raise CampaignError(f"measurement {old.id} is a row of a dataset ({old.source}), not a lab result: "
                                "only lab results are moved (check the measurement id)")
        r = restated(old, alloy, single_phase=single_phase, phases=phases, method=method, operator=operator,
                     notes=notes, measured_on=measured_on, actor=actor)
        r.composition = parse_typed_formula(text, confirmed=allow_capitals) if text is not None else None
        r.candidate_id = cid
        if r.composition is None:
            r.composition = parse_formula(_formula_of_candidate(session, store, cid))
        r.source_formula = text if text is not None else r.composition.formula
        if r.composition.formula == alloy.formula and cid in (None, old.candidate_id):
            raise CampaignError(f"measurement {old.id} is already for {alloy.formula}"
                                + (f", candidate {cid}" if cid is not None else "")
                                + "; to move it, give another candidate or alloy; to change what it says, "
                                "correct it without moving it")
        if r.composition.formula == alloy.formula:
            r.made_composition = old.made_composition  # the same alloy: the masses weighed still hold
            r.weighed_g = old.weighed_g
        done = _write(session, store, r, actor=actor, source="correction", supersedes=old, moved_from=alloy)
        disagrees = _disagreeing(session, done.alloy, done.measurement)
        reopened = _reopen_left_without_result(session, store, alloy.id, old.candidate_id, actor, done.measurement.id)
        measured = ([done.candidate.id] if done.candidate_moved else []) + list(done.also_measured)
        return MovedResult(done.measurement, alloy.formula, old.candidate_id, done.alloy.formula,
                           done.measurement.candidate_id, measured, reopened, disagrees,
                           proportion_note(text) if text is not None else None,
                           measured_before_export(session, store, done.measurement))


def _formula_of_candidate(session: Session, store: CampaignStore, candidate_id: int) -> str:
    cand = q.candidates_by_id(session, store.campaign_id, [candidate_id]).get(candidate_id)
    if cand is None:
        raise CampaignError(f"no candidate with id {candidate_id} in this campaign")
    return q.alloys_by_id(session, store.campaign_id, [cand.alloy_id])[cand.alloy_id].formula


def _disagreeing(session: Session, alloy, new: Measurement) -> str | None:
    """'measurement 7 says single phase no' for current lab results of the alloy that say otherwise."""
    other = [m for m in _current_lab_results(session, alloy.id)
             if m.id != new.id and m.single_phase is not None and m.single_phase != new.single_phase]
    if not other:
        return None
    said = ", ".join(f"measurement {m.id} says single phase {'yes' if m.single_phase else 'no'}" for m in other)
    return (f"{alloy.formula} now has results that disagree ({said}); if one of them is wrong, correct it "
            f"(hea-campaign result correct ID ...)")


def _reopen_left_without_result(session: Session, store: CampaignStore, alloy_id: int, left: int | None,
                                actor: str, measurement_id: int) -> list[int]:
    """measured -> exported for the old alloy's candidates that no current lab result is for any more."""
    current = _current_lab_results(session, alloy_id)
    named = {m.candidate_id for m in current}
    ids = [c.id for c in q.candidates_of_alloy(session, store.campaign_id, alloy_id)
           if c.status == "measured" and c.id not in named and (c.id == left or not current)]
    if ids:
        mark_reopened(session, store.campaign_id, ids, by=actor, measurement_id=measurement_id)
    return ids


def _current_lab_results(session: Session, alloy_id: int) -> list[Measurement]:
    """The alloy's lab results (not a dataset's) that no correction supersedes, wherever that correction is."""
    ms = q.measurements_of_alloy(session, alloy_id)
    gone = q.superseded_by(session, [m.id for m in ms])
    return [m for m in ms if m.id not in gone and not m.withdrawn and not m.source.startswith(DATASET_SOURCE)]
