"""Did the model that proposes know this alloy's result?  Read from the roles the store keeps with each
version (migration 0008), so ``history`` and the candidate detail answer without loading a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hea_campaign.db import store as q


@dataclass(frozen=True)
class ModelUse:
    """What the active version did with one alloy, and whether a result arrived after it was trained."""

    version_id: int | None  # the active version; None: no version is active
    trained_at: datetime | None
    recorded: bool  # False: the version was trained before its roles were kept (release 0.8.0)
    role: str | None  # db.states.MODEL_ROLES, or None: the version did not use the alloy
    label_state: str  # the alloy's now: none, unlabelled, single, multi, conflict
    entered_since: int | None  # the newest measurement of the alloy its training set did not include
    outside_vocabulary: str = ""  # the alloy's elements no model version can read (comma-separated)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def model_use(session, campaign_id: int, alloy, measurements) -> ModelUse:
    """The active version's use of ``alloy``; ``measurements``: the alloy's, as ``history`` read them."""
    version = q.active_model(session, campaign_id)
    if version is None:
        return ModelUse(None, None, False, None, alloy.label_state, None, alloy.outside_vocabulary)
    if version.last_measurement_id is not None:  # what it could know: the labels as its training read them
        later = [m for m in measurements if m.id > version.last_measurement_id]
    else:  # a version before 0008: what was entered before it was saved
        later = [m for m in measurements if _utc(m.entered_at) > _utc(version.created_at)]
    return ModelUse(
        version_id=version.id,
        trained_at=_utc(version.created_at),
        recorded=q.model_roles_recorded(session, version.id),
        role=q.model_role(session, version.id, alloy.id),
        label_state=alloy.label_state,
        entered_since=max((m.id for m in later), default=None),
        outside_vocabulary=alloy.outside_vocabulary or "",
    )


def version_use(store, version_id: int) -> dict[str, int]:
    """role -> how many alloys the version used so (empty: not recorded, trained before release 0.8.0)."""
    with store.read() as session:
        return q.model_role_counts(session, version_id)
