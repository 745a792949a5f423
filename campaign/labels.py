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


def alloy_labels(session: Session, campaign_id: int) -> dict[int, AlloyLabel]:
    """Every alloy of the campaign with its current label state."""
    alloys = q.alloys_by_formula(session, campaign_id)
    seen: dict[int, set[bool]] = {}
    counts: dict[int, int] = {}
    made: dict[int, list[dict]] = {}
    for m, alloy in q.current_measurements(session, campaign_id):
        counts[alloy.id] = counts.get(alloy.id, 0) + 1
        if m.made_composition and m.single_phase is not None:
            made.setdefault(alloy.id, []).append(m.made_composition)
        if m.single_phase is not None:
            seen.setdefault(alloy.id, set()).add(bool(m.single_phase))
    out: dict[int, AlloyLabel] = {}
    for alloy in alloys.values():
        values = seen.get(alloy.id, set())
        conflict = len(values) > 1
        label = next(iter(values)) if len(values) == 1 else None
        out[alloy.id] = AlloyLabel(alloy, label, conflict, counts.get(alloy.id, 0), tuple(made.get(alloy.id, ())))
    return out


def label_of(measurements) -> tuple[bool | None, bool]:
    """(label, conflict) of one alloy from all its measurements (superseded ones are skipped),
    by the same rule as ``alloy_labels``, without reading the rest of the campaign."""
    superseded = {m.supersedes_id for m in measurements if m.supersedes_id is not None}
    values = {bool(m.single_phase) for m in measurements if m.id not in superseded and m.single_phase is not None}
    return (next(iter(values)) if len(values) == 1 else None), len(values) > 1
