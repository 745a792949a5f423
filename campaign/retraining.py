"""Retraining: a new model version from the current labels, compared with the active one.

A fair comparison needs alloys that neither version learned from or was
selected on.  A stable tenth of the campaign's labelled alloys (chosen by a
hash of the alloy id, so it is the same tenth at every retraining) is kept
out of the new version's training and validation; the comparison uses those
of them that the active version did not use either (its training and
validation ids are stored beside its checkpoint).  When there are none (the
active version saw every label), the report says so instead of comparing on
rows that favour one side.  Nothing becomes active unless asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hea_campaign.db import store as q

from .model_versions import TrainedVersion, activate, load_version, train_version
from .store import CampaignStore
from .training_set import snapshot

COMPARISON_FRACTION = 0.1


@dataclass
class Comparison:
    new_id: int
    active_id: int | None
    n_heldout: int  # labelled alloys kept out of the new version (the comparison tenth)
    n_unseen_by_both: int  # of those, the ones the active version did not use either
    new: dict[str, float]  # on the rows neither version used (or on the held-out tenth without an active one)
    active: dict[str, float] | None
    new_unseen: dict[str, float] | None
    active_unseen: dict[str, float] | None
    new_labels: int  # labelled alloys the new version learned from that the active one did not
    activated: bool


def comparison_ids(lab_ids, fraction: float = COMPARISON_FRACTION) -> set[int]:
    """The stable share of labelled alloys kept for comparing versions (hash of the id)."""
    out = set()
    for i in np.asarray(lab_ids).tolist():
        h = int.from_bytes(hashlib.sha256(f"compare:{int(i)}".encode()).digest()[:8], "big")
        if h / 2**64 < fraction:
            out.add(int(i))
    return out


def _used_ids(version) -> set[int]:
    """Alloys a version trained or was selected on (from the rows stored beside its checkpoint)."""
    path = Path(version.checkpoint_path)
    ref = np.load(path.with_name(path.stem + ".reference.npz"), allow_pickle=False)
    used = set()
    for key in ("train_ids", "val_ids"):
        if key in ref.files:
            used |= set(ref[key].tolist())
    if "val_ids" not in ref.files:  # an old version: its validation rows are unknown, so all labels count
        used = None
    return used


def compare_with_active(store: CampaignStore, trained: TrainedVersion, held_ids: set[int] | None = None
                        ) -> Comparison:
    """Both versions on the labelled alloys neither of them trained or was selected on."""
    from hea_campaign.model.training import binary_metrics

    ts = trained.training_set
    held = np.array([int(i) in (held_ids or set()) for i in ts.lab_ids], dtype=bool)
    new_model = trained.result.model
    with store.read() as session:
        active = q.active_model(session, store.campaign_id)
    train_ids = set(ts.lab_ids[~held].tolist())
    if active is None or active.id == trained.version.id:
        new = binary_metrics(ts.y_lab[held], new_model.predict_proba(ts.X_lab[held])) if held.any() else {}
        return Comparison(trained.version.id, None, int(held.sum()), int(held.sum()), new, None, None, None,
                          len(train_ids), False)
    old_model, _, _ = load_version(active)
    old_used = _used_ids(active)
    if old_used is None:
        unseen = np.zeros(len(ts.lab_ids), dtype=bool)
        old_used = set(ts.lab_ids.tolist())
    else:
        unseen = held & np.array([int(i) not in old_used for i in ts.lab_ids], dtype=bool)
    X, y = ts.X_lab[unseen], ts.y_lab[unseen]
    new = binary_metrics(y, new_model.predict_proba(X)) if unseen.any() else {}
    old = binary_metrics(y, old_model.predict_proba(X)) if unseen.any() else None
    return Comparison(trained.version.id, active.id, int(held.sum()), int(unseen.sum()), new, old,
                      new if unseen.any() else None, old, len(train_ids - old_used), False)


def retrain(
    store: CampaignStore,
    *,
    seed: int = 0,
    epochs: int | None = None,
    activate_new: bool = False,
    by: str | None = None,
    progress: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    keep_if_cancelled: bool = True,
) -> tuple[TrainedVersion, Comparison]:
    """Train a new version on the current labels (less the comparison tenth), compare it with
    the active one on rows neither used, maybe activate."""
    held = comparison_ids(snapshot(store).lab_ids)
    trained = train_version(store, seed=seed, epochs=epochs, by=by, progress=progress, should_stop=should_stop,
                            keep_if_cancelled=keep_if_cancelled, holdout_ids=held)
    comparison = compare_with_active(store, trained, held)
    if activate_new:
        activate(store, trained.version.id, by)
        comparison.activated = True
    return trained, comparison
