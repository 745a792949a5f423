"""The current label of every alloy, derived from its measurements.

A measurement counts while nothing supersedes it.  An alloy whose current
measurements agree is labelled; one whose current measurements disagree is a
conflict and is left out of training until someone enters a correction.
A measurement may record the composition actually made (weighed masses from
the weigh sheet); training then uses it instead of the nominal formula.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from hea_campaign.db import store as q
from hea_campaign.db.tables import Alloy


@dataclass(frozen=True)
class AlloyLabel:
    alloy: Alloy
    label: bool | None  # None: unlabelled or conflicting
    conflict: bool
    n_measurements: int
    made: tuple[dict, ...] = ()  # compositions actually made (weighed), of the current labelled measurements


@dataclass(frozen=True, slots=True)
class LabelState:
    """An alloy's current label state as plain values (no row object): what training reads."""

    alloy_id: int
    formula: str
    composition: dict
    source: str
    label: bool | None  # None: unlabelled or conflicting
    conflict: bool
    n_measurements: int
    made: tuple[dict, ...] = ()  # compositions actually made (weighed), of the current labelled measurements


def label_states(session: Session, campaign_id: int) -> list[LabelState]:
    """Every alloy of the campaign with its current label state, in alloy id order.

    Read as plain tuples (SQLAlchemy Core), so a store of 10^5 alloys costs no
    row object per alloy or measurement."""
    seen: dict[int, set[bool]] = {}
    counts: dict[int, int] = {}
    made: dict[int, list[dict]] = {}
    for alloy_id, single_phase, made_composition in q.current_measurement_rows(session, campaign_id):
        counts[alloy_id] = counts.get(alloy_id, 0) + 1
        if made_composition and single_phase is not None:
            made.setdefault(alloy_id, []).append(made_composition)
        if single_phase is not None:
            seen.setdefault(alloy_id, set()).add(bool(single_phase))
    out: list[LabelState] = []
    for alloy_id, formula, composition, source in q.alloy_rows(session, campaign_id):
        values = seen.get(alloy_id, ())
        out.append(LabelState(alloy_id, formula, composition, source,
                              next(iter(values)) if len(values) == 1 else None, len(values) > 1,
                              counts.get(alloy_id, 0), tuple(made.get(alloy_id, ()))))
    return out


def alloy_labels(session: Session, campaign_id: int) -> dict[int, AlloyLabel]:
    """Every alloy of the campaign with its current label state and its row object
    (by the same rule as ``label_states``, which training uses)."""
    alloys = {a.id: a for a in q.alloys_by_formula(session, campaign_id).values()}
    return {st.alloy_id: AlloyLabel(alloys[st.alloy_id], st.label, st.conflict, st.n_measurements, st.made)
            for st in label_states(session, campaign_id) if st.alloy_id in alloys}


def label_of(measurements, superseded) -> tuple[bool | None, bool]:
    """(label, conflict) of one alloy from all its measurements, skipping the ids in ``superseded``
    (``db.store.superseded_by``), by the same rule as ``alloy_labels``."""
    values = {bool(m.single_phase) for m in measurements
              if m.id not in superseded and m.single_phase is not None and not getattr(m, "withdrawn", False)}
    return (next(iter(values)) if len(values) == 1 else None), len(values) > 1
