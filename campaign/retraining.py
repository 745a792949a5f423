"""Retraining: a new model version from the current labels, compared with the active one.

A fair comparison needs alloys that neither version learned from or was
selected on.  A stable tenth of the campaign's labelled alloys (chosen by a
hash of the alloy id, so it is the same tenth at every retraining) is kept
out of the new version's training and validation; the comparison uses those
of them that the active version did not use either (its training and
validation ids are stored beside its checkpoint).  When there are none (the
active version saw every label), the report says so instead of comparing on
rows that favour one side.  Nothing becomes active unless asked, and
``--activate`` (``activate_new``) refuses a version that is worse than the
active one on those rows unless forced: ``activation_refusal`` is the one rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hea_campaign.db import store as q

from .model_versions import TrainedVersion, activate, load_version, located, train_version, version_arrays
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
    refused: str | None = None  # why --activate did not activate it (worse than the active one)


def comparison_ids(lab_ids, fraction: float = COMPARISON_FRACTION) -> set[int]:
    """The stable share of labelled alloys kept for comparing versions (hash of the id)."""
    out = set()
    for i in np.asarray(lab_ids).tolist():
        h = int.from_bytes(hashlib.sha256(f"compare:{int(i)}".encode()).digest()[:8], "big")
        if h / 2**64 < fraction:
            out.add(int(i))
    return out


def _used_ids(version) -> set[int] | None:
    """Alloys a version trained or was selected on (the ids stored with it); None when unknown."""
    ref = version_arrays(version)
    if "val_ids" not in ref:  # an old version: its validation rows are unknown, so all labels count
        return None
    return set(np.asarray(ref["train_ids"]).tolist()) | set(np.asarray(ref["val_ids"]).tolist())


def compare_with_active(store: CampaignStore, trained: TrainedVersion, held_ids: set[int] | None = None
                        ) -> Comparison:
    """Both versions on the labelled alloys neither of them trained or was selected on."""
    from hea_campaign.model.training import binary_metrics

    ts = trained.training_set
    held = np.array([int(i) in (held_ids or set()) for i in ts.lab_ids], dtype=bool)
    new_model = trained.result.model
    with store.read() as session:
        active = q.active_model(session, store.campaign_id)
        if active is not None:
            session.expunge(active)
    active = located(store, active)
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
    # No row unseen by both: the kept-out tenth still speaks, with a bias towards the active version
    # (it may have trained on those rows), so a new version that is no worse there is no worse.
    rows = unseen if unseen.any() else held
    X, y = ts.X_lab[rows], ts.y_lab[rows]
    new = binary_metrics(y, new_model.predict_proba(X)) if rows.any() else {}
    old = binary_metrics(y, old_model.predict_proba(X)) if rows.any() else None
    return Comparison(trained.version.id, active.id, int(held.sum()), int(unseen.sum()), new, old,
                      new if unseen.any() else None, old if unseen.any() else None, len(train_ids - old_used), False)


def activation_refusal(comparison: Comparison) -> str | None:
    """Why the new version must not replace the active one without --force, or None.

    Judged on the rows neither version saw (compare_with_active): ROC AUC,
    or accuracy where AUC is undefined.  No such rows: no evidence, refused too.
    """
    if comparison.active_id is None:
        return None
    new, old = comparison.new_unseen, comparison.active_unseen
    where = f"{comparison.n_unseen_by_both} rows neither saw"
    if not new or not old:  # fall back to the kept-out rows, which favour the active version
        new, old = comparison.new, comparison.active
        where = f"{comparison.n_heldout} kept-out rows (the active version may have trained on them)"
    if not new or not old:
        return (f"no labelled rows that version {comparison.new_id} did not see, so it cannot be shown to be "
                f"no worse than the active version {comparison.active_id}")  # fmt: skip
    metric = "roc_auc" if new.get("roc_auc") is not None and old.get("roc_auc") is not None else "accuracy"
    if new[metric] < old[metric]:
        return (f"version {comparison.new_id} is worse than the active version {comparison.active_id} on the "
                f"{where} ({metric} {new[metric]:.3f} < {old[metric]:.3f})")
    return None


def comparison_holdout(store: CampaignStore) -> set[int] | None:
    """The alloys to keep out of a training that may replace the active version (None: no active one)."""
    with store.read() as session:
        if q.active_model(session, store.campaign_id) is None:
            return None
    return comparison_ids(snapshot(store).lab_ids)


def activate_unless_worse(store: CampaignStore, trained: TrainedVersion, *, force: bool = False,
                          by: str | None = None, held_ids: set[int] | None = None) -> Comparison:
    """Compare with the active version on ``held_ids`` that neither saw, and activate the new one
    unless it is worse (or ``force``)."""
    comparison = compare_with_active(store, trained, held_ids)
    refusal = activation_refusal(comparison)
    if refusal and not force:
        comparison.refused = refusal
        return comparison
    activate(store, trained.version.id, by)
    comparison.activated = True
    return comparison


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
    force: bool = False,
) -> tuple[TrainedVersion, Comparison]:
    """Train a new version on the current labels (less the comparison tenth), compare it with
    the active one on rows neither used, maybe activate (not if it is worse on those rows, unless
    ``force``: see ``Comparison.refused``)."""
    held = comparison_ids(snapshot(store).lab_ids)
    trained = train_version(store, seed=seed, epochs=epochs, by=by, progress=progress, should_stop=should_stop,
                            keep_if_cancelled=keep_if_cancelled, holdout_ids=held)
    if activate_new and not trained.result.cancelled:  # an interrupted model is kept, never activated silently
        return trained, activate_unless_worse(store, trained, force=force, by=by, held_ids=held)
    return trained, compare_with_active(store, trained, held)
