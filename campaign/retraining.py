"""Retraining: a new model version from the current labels, compared with the active one.

Both models are scored on the same held-out rows: the new version's
validation alloys.  The active model may have trained on some of them (the
labels grew since), so the comparison is also given on the rows neither model
saw, which is the fair one.  Nothing becomes active unless asked, and
``--activate`` (``activate_new``) refuses a version that is worse than the
active one on those rows unless forced: ``activation_refusal`` is the one rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hea_campaign.db import store as q

from .model_versions import TrainedVersion, activate, load_version, train_version, version_arrays
from .store import CampaignStore


@dataclass
class Comparison:
    new_id: int
    active_id: int | None
    n_heldout: int
    n_unseen_by_both: int
    new: dict[str, float]
    active: dict[str, float] | None
    new_unseen: dict[str, float] | None
    active_unseen: dict[str, float] | None
    new_labels: int  # labelled alloys the new version learned from that the active one did not
    activated: bool
    refused: str | None = None  # why --activate did not activate it (worse than the active one)


def compare_with_active(store: CampaignStore, trained: TrainedVersion) -> Comparison:
    from hea_campaign.model.training import binary_metrics

    ts, val = trained.training_set, trained.val_index
    X, y, ids = ts.X_lab[val], ts.y_lab[val], ts.lab_ids[val]
    new_model = trained.result.model
    new = binary_metrics(y, new_model.predict_proba(X))
    with store.read() as session:
        active = q.active_model(session, store.campaign_id)
    if active is None or active.id == trained.version.id:
        return Comparison(trained.version.id, None, len(y), len(y), new, None, None, None, len(ts.lab_ids), False)
    old_model, _, _ = load_version(active)
    ref = version_arrays(active)
    old_train = set(ref["train_ids"].tolist()) if "train_ids" in ref else set()
    unseen = np.array([i not in old_train for i in ids], dtype=bool)
    old = binary_metrics(y, old_model.predict_proba(X))
    fair_new = binary_metrics(y[unseen], new_model.predict_proba(X[unseen])) if unseen.any() else None
    fair_old = binary_metrics(y[unseen], old_model.predict_proba(X[unseen])) if unseen.any() else None
    train_ids = set(ts.lab_ids[np.setdiff1d(np.arange(len(ts.lab_ids)), val)].tolist())
    return Comparison(trained.version.id, active.id, len(y), int(unseen.sum()), new, old, fair_new, fair_old,
                      len(train_ids - old_train) if old_train else len(train_ids), False)


def activation_refusal(comparison: Comparison) -> str | None:
    """Why the new version must not replace the active one without --force, or None.

    Judged on the rows neither version saw (compare_with_active): ROC AUC,
    or accuracy where AUC is undefined.  No such rows: no evidence, refused too.
    """
    if comparison.active_id is None:
        return None
    new, old = comparison.new_unseen, comparison.active_unseen
    if not new or not old:
        return (f"no labelled rows that neither version {comparison.new_id} nor the active version "
                f"{comparison.active_id} saw, so it cannot be shown to be no worse")  # fmt: skip
    metric = "roc_auc" if new.get("roc_auc") is not None and old.get("roc_auc") is not None else "accuracy"
    if new[metric] < old[metric]:
        return (f"version {comparison.new_id} is worse than the active version {comparison.active_id} on the "
                f"{comparison.n_unseen_by_both} rows neither saw ({metric} {new[metric]:.3f} < {old[metric]:.3f})")
    return None


def activate_unless_worse(store: CampaignStore, trained: TrainedVersion, *, force: bool = False,
                          by: str | None = None) -> Comparison:
    """Compare with the active version and activate the new one unless it is worse (or ``force``)."""
    comparison = compare_with_active(store, trained)
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
    """Train a new version on all current labels, compare it with the active one, maybe activate
    (not if it is worse on rows neither saw, unless ``force``: see ``Comparison.refused``)."""
    trained = train_version(store, seed=seed, epochs=epochs, by=by, progress=progress, should_stop=should_stop,
                            keep_if_cancelled=keep_if_cancelled)
    if activate_new:
        return trained, activate_unless_worse(store, trained, force=force, by=by)
    return trained, compare_with_active(store, trained)
