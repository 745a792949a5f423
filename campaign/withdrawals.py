"""Withdrawing a lab result that should never have been entered.

A result typed against the wrong alloy or candidate, entered twice, or a test entry is
not a measurement at all: correcting it (``result correct``) would need a label it
never had.  Nothing is deleted or changed (measurements are append-only, 0002): the
withdrawal is a new ``Measurement`` row, ``withdrawn`` true (migration 0007), that
supersedes the wrong result.  It carries no label; its notes are the reason, its
operator who withdrew it (``--operator``, else whoever enters it).

From then on the withdrawn result and the withdrawal are no current result: the
database's label state (trigger of 0007), training, exports and result matching
read the alloy's remaining current measurements (an alloy whose only result is
withdrawn has none; withdrawing one of two disagreeing results ends the conflict).
The history, the results browser and the candidate's page keep both, marked.

A candidate that the withdrawn result made ``measured`` goes back to ``exported``
(``lifecycle.mark_reopened``) when no current lab result is for it any more, so its
real result can be entered; that move is an audit event like any other.

Refused in one line, nothing written: an unknown id; a result already corrected or
withdrawn (naming what superseded it); a withdrawal itself; a dataset's row (the
literature) or a correction of one, which are not lab entries and are corrected
with ``result correct --literature`` instead (as ``result correct`` asks); a blank
reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hea_campaign.db import store as q
from hea_campaign.db.tables import Alloy, Measurement, utcnow

from .actors import actor_name
from .errors import CampaignError
from .importing import DATASET_SOURCE
from .lifecycle import MAX_REASON_LENGTH, clean_reason, mark_reopened
from .store import CampaignStore, current_user

WITHDRAWAL_SOURCE = "withdrawal"


@dataclass
class Withdrawal:
    """What ``withdraw_result`` wrote: the withdrawal row, the result it withdraws, and what changed."""

    withdrawal: Measurement
    withdrawn: Measurement
    alloy: Alloy
    label_state: str  # the alloy's label state now (kept by the database)
    reopened: list[int] = field(default_factory=list)  # candidates measured -> exported


def check_withdrawal_reason(reason: str | None) -> str:
    """The reason as typed, checked as any reason is (one line kept plain); a blank one is refused."""
    text = clean_reason(reason, "the reason")
    if text is None:
        raise CampaignError("say why the result is withdrawn (--reason TEXT); nothing was saved")
    return text


def withdraw_result(store: CampaignStore, measurement_id: int, *, reason: str | None,
                    operator: str | None = None, by: str | None = None) -> Withdrawal:
    """Withdraw a current lab result (see module docstring), in one transaction with its audit events."""
    actor = by or current_user()
    text = check_withdrawal_reason(reason)
    who = actor_name(operator, "--operator") if operator is not None else actor
    with store.write() as session:
        found = q.measurement_with_alloy(session, store.campaign_id, measurement_id)
        if found is None:
            raise CampaignError(f"no measurement with id {measurement_id} in this campaign")
        old, alloy = found
        if old.withdrawn:
            raise CampaignError(f"measurement {old.id} is itself the withdrawal of measurement {old.supersedes_id}, "
                                "not a result; nothing was saved")
        newer = q.superseding_measurement(session, old.id)
        if newer is not None and newer.withdrawn:
            raise CampaignError(f"measurement {old.id} was already withdrawn (by measurement {newer.id}: "
                                f"{newer.notes}); nothing was saved")
        if newer is not None:
            raise CampaignError(f"measurement {old.id} was already corrected by measurement {newer.id}; withdraw "
                                f"{newer.id} instead (the result that counts); nothing was saved")
        root = _published_root(session, old)
        if root is not None:
            what = (f"a published result ({root.source})" if root is old
                    else f"a correction of published result {root.id} ({root.source})")
            raise CampaignError(f"measurement {old.id} is {what}, not a result this lab entered: it is not "
                                f"withdrawn (to replace the literature's label: hea-campaign result correct {old.id} "
                                "--single-phase yes|no --literature); nothing was saved")
        w = Measurement(alloy_id=old.alloy_id, single_phase=None, operator=who, notes=text, entered_at=utcnow(),
                        source=WITHDRAWAL_SOURCE, supersedes_id=old.id, withdrawn=True)
        session.add(w)
        session.flush()
        q.audit(session, actor=actor, action="measurement.withdraw", entity="measurement", entity_id=w.id,
                campaign_id=store.campaign_id,
                payload={"alloy_id": alloy.id, "formula": alloy.formula, "withdraws": old.id, "reason": text,
                         "operator": who, "candidate_id": old.candidate_id, "single_phase": old.single_phase,
                         "phases": old.phases}).at = w.entered_at
        reopened = _reopen(session, store, old, actor, w.id, text)
        session.flush()
        session.refresh(alloy)
        return Withdrawal(w, old, alloy, alloy.label_state, reopened)


def _published_root(session, m: Measurement) -> Measurement | None:
    """The dataset's row that ``m`` is, or corrects (through any chain of corrections), or None."""
    while m.supersedes_id is not None and not m.source.startswith(DATASET_SOURCE):
        m = session.get(Measurement, m.supersedes_id)
    return m if m.source.startswith(DATASET_SOURCE) else None


def _reopen(session, store: CampaignStore, old: Measurement, actor: str, withdrawal_id: int, reason: str) -> list[int]:
    """measured -> exported for the alloy's candidates that no current lab result is for any more: the
    withdrawn result's own candidate, or every measured one when the alloy has no current lab result left."""
    ms = q.measurements_of_alloy(session, old.alloy_id)
    gone = q.superseded_by(session, [m.id for m in ms])
    current = [m for m in ms if m.id not in gone and not m.withdrawn and not m.source.startswith(DATASET_SOURCE)]
    named = {m.candidate_id for m in current}
    ids = [c.id for c in q.candidates_of_alloy(session, store.campaign_id, old.alloy_id)
           if c.status == "measured" and c.id not in named and (c.id == old.candidate_id or not current)]
    if ids:
        mark_reopened(session, store.campaign_id, ids, by=actor, measurement_id=old.id,
                      withdrawal_id=withdrawal_id, reason=f"result {old.id} withdrawn: {reason}"[:MAX_REASON_LENGTH])
    return ids
