"""After ``db upgrade`` to 0008: record what each older model version did with each alloy, read from its
checkpoint (which holds its training and validation ids), so ``history`` answers for the version a lab
already uses instead of "not recorded" until the next training.

The kept-out comparison tenth of a ``retrain`` is not in a checkpoint: those alloys read "did not use".
A version whose checkpoint is missing or changed stays not recorded, and the upgrade says which; every
later ``db upgrade`` tries again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from hea_campaign.db import store as q
from hea_campaign.db.tables import ModelVersion, ModelVersionAlloy

from .errors import CampaignError


@dataclass
class Backfill:
    recorded: list[int] = field(default_factory=list)  # version ids now recorded
    missed: dict[int, str] = field(default_factory=dict)  # version id -> why not


def _unrecorded(session: Session) -> list[ModelVersion]:
    recorded = select(ModelVersionAlloy.model_version_id).distinct()
    return list(session.exec(select(ModelVersion).where(ModelVersion.id.not_in(recorded)).order_by(ModelVersion.id)))


def _roles_of(version: ModelVersion, store_url: str) -> dict[str, np.ndarray]:
    """role -> alloy ids, from the version's verified checkpoint (CampaignError when it cannot be read)."""
    from .model_versions import checkpoint_file, version_arrays

    found = checkpoint_file(version.checkpoint_path, store_url) if version.checkpoint_path else None
    if found is None:
        raise CampaignError(f"no checkpoint at {version.checkpoint_path or '(none recorded)'}")
    version.checkpoint_path = str(found)
    arrays = version_arrays(version)
    if "train_ids" not in arrays or "val_ids" not in arrays:
        raise CampaignError("its checkpoint does not hold the ids of its rows")
    roles = {"train": arrays["train_ids"], "validation": arrays["val_ids"]}
    if version.n_unlabelled and "unlab_ids" in arrays:
        roles["unlabelled"] = arrays["unlab_ids"]
    return roles


def backfill_model_roles(engine, store_url: str) -> Backfill:
    """Record the roles of every version that has none (each in its own transaction)."""
    out = Backfill()
    with Session(engine) as session:
        versions = _unrecorded(session)
        session.expunge_all()
    for version in versions:
        try:
            roles = _roles_of(version, store_url)
            with Session(engine) as session, session.begin():
                q.record_model_roles(session, version.id, roles)
        except (CampaignError, OSError, SQLAlchemyError) as exc:  # one version missed, the others still recorded
            out.missed[version.id] = str(exc).splitlines()[0].removeprefix(f"model version {version.id}: ")
            continue
        out.recorded.append(version.id)
    return out
