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
active one on those rows, beyond what resampling them moves the difference
(``paired_difference``), unless forced: ``activation_refusal`` is the one rule.
Rows too few, or of one class, are no evidence either way
(``comparison_weakness``): ``--activate`` refuses then too, and the report
shows each version's own validation figures beside them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hea_campaign.db import store as q

from .model_versions import (TrainedVersion, activate, check_checkpoint, load_version, located, train_version,
                             version_arrays)
from .store import CampaignStore
from .training_set import snapshot

COMPARISON_FRACTION = 0.1
# Fewest rows (and of each class) that can show one version to be no worse than the other.  The rows
# compared are the labelled alloys in the stable tenth that neither version used: after a model trained
# on every label, only a tenth of the lab's new results, so a handful for a long while, and usually of
# one class (a lab makes what the model likes).  On 20 rows one alloy moves accuracy by 0.05, already
# more than versions trained on nearly the same labels tend to differ by; on fewer, one alloy's luck
# decides.  ROC AUC ranks each single-phase row against each multi-phase one: with 5 of
# each (at least 5 x 15 pairs) it is no longer the rank of one or two alloys; with one class it is
# undefined, and accuracy then only counts one kind of error (calling every alloy single phase scores
# 1.000 on single-phase rows).
MIN_COMPARISON_ROWS = 20
MIN_COMPARISON_PER_CLASS = 5
# "Worse" means worse beyond noise: the difference (new - active) in the judged metric is resampled over
# the compared alloys (each class resampled within itself, both versions on the same draw), and the new
# version is worse only when the whole central 90 % interval of that difference is below zero.  Two
# versions trained on nearly the same labels differ by a few thousandths of ROC AUC on a few hundred
# alloys, which is the luck of which alloys were compared, not a worse model.
RESAMPLES = 1000
INTERVAL = 0.90


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
    refused: str | None = None  # why --activate did not activate it (worse than the active one, or no evidence)
    # (single phase, multi phase) among the rows ``new``/``active`` were scored on; None: not counted
    compared_classes: tuple[int, int] | None = None
    # each version's own validation figures ({"accuracy", "roc_auc"}), on its own validation rows: different
    # rows for each, so not a like-for-like comparison (shown when the compared rows are no evidence)
    new_validation: dict[str, float] | None = None
    active_validation: dict[str, float] | None = None
    # (metric, new - active, interval low, interval high) on the rows neither used; None: not resampled
    difference: tuple[str, float, float, float] | None = None


def _hashed_in(i: int, fraction: float) -> bool:
    h = int.from_bytes(hashlib.sha256(f"compare:{int(i)}".encode()).digest()[:8], "big")
    return h / 2**64 < fraction


def comparison_ids(lab_ids, fractions=None, fraction: float = COMPARISON_FRACTION) -> set[int]:
    """The stable share of labelled alloys kept for comparing versions (hash of the id).

    With ``fractions`` (one row per id), a near-duplicate of a kept-out alloy is kept out with it: its
    near-copy among the new version's training rows would flatter that version.  An alloy once kept out
    stays kept out as labels arrive (its own hash says so); new alloys can only add to the share.
    """
    ids = np.asarray(lab_ids, dtype=np.int64)
    hashed = np.fromiter((_hashed_in(i, fraction) for i in ids.tolist()), dtype=bool, count=len(ids))
    if fractions is not None and hashed.any():
        from hea_campaign.model.splits import near_duplicate_groups

        groups = near_duplicate_groups(np.asarray(fractions, dtype=np.float64))
        hashed = np.isin(groups, groups[hashed])
    return set(ids[hashed].tolist())


def _used_ids(version) -> set[int] | None:
    """Alloys a version trained or was selected on (the ids stored with it); None when unknown."""
    ref = version_arrays(version)
    if "val_ids" not in ref:  # an old version: its validation rows are unknown, so all labels count
        return None
    return set(np.asarray(ref["train_ids"]).tolist()) | set(np.asarray(ref["val_ids"]).tolist())


def _validation(version) -> dict[str, float] | None:
    """A version's accuracy and ROC AUC on its own validation rows (stored with it), or None."""
    m = getattr(version, "metrics", None) or {}
    if "val_accuracy" not in m and "val_auc" not in m:
        return None
    return {"accuracy": m.get("val_accuracy", math.nan), "roc_auc": m.get("val_auc", math.nan)}


def _classes(y) -> tuple[int, int]:
    y = np.asarray(y)
    return int((y >= 0.5).sum()), int((y < 0.5).sum())


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
                          len(train_ids), False, compared_classes=_classes(ts.y_lab[held]),
                          new_validation=_validation(trained.version))
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
    p_new = new_model.predict_proba(X) if rows.any() else None
    p_old = old_model.predict_proba(X) if rows.any() else None
    new = binary_metrics(y, p_new) if rows.any() else {}
    old = binary_metrics(y, p_old) if rows.any() else None
    return Comparison(trained.version.id, active.id, int(held.sum()), int(unseen.sum()), new, old,
                      new if unseen.any() else None, old if unseen.any() else None, len(train_ids - old_used), False,
                      compared_classes=_classes(y), new_validation=_validation(trained.version),
                      active_validation=_validation(active),
                      difference=paired_difference(y, p_new, p_old) if unseen.any() else None)


def _metric_of(new: dict, old: dict) -> str:
    """ROC AUC where both versions have one (two classes), else accuracy."""
    return "roc_auc" if _defined(new.get("roc_auc")) and _defined(old.get("roc_auc")) else "accuracy"


METRIC_NAMES = {"roc_auc": "ROC AUC", "accuracy": "accuracy"}  # as a user reads them


def paired_difference(y, p_new, p_old, resamples: int = RESAMPLES,
                      level: float = INTERVAL) -> tuple[str, float, float, float] | None:
    """(metric, new - active, low, high): the difference on these alloys and its central ``level`` interval
    over resamplings of them (stratified by class, seeded, so the same rows give the same answer)."""
    from hea_campaign.model.training import binary_metrics

    y = np.asarray(y, dtype=np.float64).ravel()
    if len(y) < 2:
        return None
    metric = _metric_of(binary_metrics(y, p_new), binary_metrics(y, p_old))
    score = _auc if metric == "roc_auc" else _accuracy
    p_new, p_old = np.asarray(p_new, np.float64).ravel(), np.asarray(p_old, np.float64).ravel()
    rng = np.random.default_rng(0)
    classes = [np.flatnonzero(y >= 0.5), np.flatnonzero(y < 0.5)]
    diffs = np.empty(resamples)
    for i in range(resamples):
        idx = np.concatenate([rng.choice(c, len(c)) for c in classes if len(c)])
        diffs[i] = score(y[idx], p_new[idx]) - score(y[idx], p_old[idx])
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(diffs, [tail, 100 - tail])
    return metric, score(y, p_new) - score(y, p_old), float(lo), float(hi)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC by ranks (Mann-Whitney, ties halved): fast enough to resample a thousand times."""
    from scipy.stats import rankdata

    pos = y >= 0.5
    n1, n0 = int(pos.sum()), int((~pos).sum())
    r = rankdata(p)
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _accuracy(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p >= 0.5) == (y >= 0.5)))


def within_noise(comparison: Comparison, metric: str) -> bool:
    """The new version scores lower, but by no more than resampling the compared alloys moves it."""
    d = comparison.difference
    return d is not None and d[0] == metric and d[3] >= 0.0


def _defined(v) -> bool:
    """A metric that says something: not None and not NaN (binary_metrics' ROC AUC on one class)."""
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def _judged_on(comparison: Comparison) -> tuple[dict | None, dict | None, int, bool]:
    """The metrics ``activation_refusal`` judges on: (new, active, number of rows, unseen by both?)."""
    if comparison.new_unseen and comparison.active_unseen:
        return comparison.new_unseen, comparison.active_unseen, comparison.n_unseen_by_both, True
    # no row unseen by both: the kept-out rows, which favour the active version
    return comparison.new, comparison.active, comparison.n_heldout, False


def comparison_weakness(comparison: Comparison) -> str | None:
    """Why the rows the two versions were compared on cannot show either to be no worse (a phrase such as
    "8 alloys, all single phase"), or None when they can (or when there is nothing to compare with)."""
    if comparison.active_id is None:
        return None
    new, old, n, _ = _judged_on(comparison)
    if not new or not old:
        return None  # no rows at all: activation_refusal says so in its own words
    counts = comparison.compared_classes
    one_class = (min(counts) == 0 if counts is not None
                 else not (_defined(new.get("roc_auc")) and _defined(old.get("roc_auc"))))  # fmt: skip
    alloys = f"{n} alloy" + ("" if n == 1 else "s")
    if one_class:
        if counts is None:
            return f"{alloys}, all of one class"
        kind = "single phase" if counts[1] == 0 else "multi phase"
        return f"{alloys}, {kind}" if n == 1 else f"{alloys}, {'both' if n == 2 else 'all'} {kind}"
    if n < MIN_COMPARISON_ROWS:
        return f"only {alloys}"
    if counts is not None and min(counts) < MIN_COMPARISON_PER_CLASS:
        few = min(counts)
        return f"{alloys}, only {few} of them {'single phase' if counts[0] == few else 'multi phase'}"
    return None


def activation_refusal(comparison: Comparison) -> str | None:
    """Why the new version must not replace the active one without --force, or None.

    Judged on the rows neither version saw (compare_with_active): ROC AUC,
    or accuracy where AUC is undefined (None or NaN: one class).  No such rows,
    or rows that cannot be evidence (``comparison_weakness``: fewer than
    ``MIN_COMPARISON_ROWS``, one class, or fewer than
    ``MIN_COMPARISON_PER_CLASS`` of a class), refused too: nothing shows
    the new version to be no worse.
    """
    if comparison.active_id is None:
        return None
    new, old, n, unseen = _judged_on(comparison)
    where = f"{n} rows neither saw"
    if not new or not old:
        return (f"no labelled rows that version {comparison.new_id} did not see, so it cannot be shown to be "
                f"no worse than the active version {comparison.active_id}")  # fmt: skip
    weakness = comparison_weakness(comparison)
    no_evidence = (f"the comparison alloys cannot show version {comparison.new_id} to be no worse than the active "
                   f"version {comparison.active_id} ({weakness}; that needs at least {MIN_COMPARISON_ROWS} alloys, "
                   f"{MIN_COMPARISON_PER_CLASS} of each class)")  # fmt: skip
    if n < MIN_COMPARISON_ROWS:  # a row or two: not even "worse" means anything
        return no_evidence
    metric = _metric_of(new, old)
    said = METRIC_NAMES[metric]
    if not (_defined(new.get(metric)) and _defined(old.get(metric))):
        return no_evidence if weakness else (f"no {said} for version {comparison.new_id} or the active version "
                                             f"{comparison.active_id}, so they cannot be compared")  # fmt: skip
    if new[metric] < old[metric] and not unseen:  # the active version's figures there are in-sample
        return (f"version {comparison.new_id} scores lower than the active version {comparison.active_id} on the "
                f"{n} kept-out rows ({said} {new[metric]:.3f} < {old[metric]:.3f}), but the active version "
                "learnt from them (a `train` uses every label), so that says little")  # fmt: skip
    if new[metric] < old[metric] and not within_noise(comparison, metric):  # worse even on thin evidence: worse
        return (f"version {comparison.new_id} is worse than the active version {comparison.active_id} on the "
                f"{where} ({said} {new[metric]:.3f} < {old[metric]:.3f}{_interval_text(comparison)})")
    return no_evidence if weakness else None


def _interval_text(comparison: Comparison) -> str:
    d = comparison.difference
    if d is None:
        return ""
    return f"; {100 * INTERVAL:.0f} % interval of the difference {d[2]:+.3f} to {d[3]:+.3f}: beyond noise"


def comparison_outdated(store: CampaignStore, comparison: Comparison) -> tuple[int | None, str | None]:
    """The active version now, and why the comparison no longer speaks for activating its new version
    (another version was activated since, from another terminal; None while it still does)."""
    with store.read() as session:
        active = q.active_model(session, store.campaign_id)
        now = None if active is None else active.id
    if now in (comparison.active_id, comparison.new_id):
        return now, None
    compared = ("no active version" if comparison.active_id is None
                else f"version {comparison.active_id}")  # fmt: skip
    return now, (f"the active version is now {now}, activated since this comparison was made against "
                 f"{compared}; the comparison says nothing about replacing version {now}")


def comparison_holdout(store: CampaignStore, ts=None) -> set[int] | None:
    """The alloys to keep out of a training that may replace the active version (None: no active one),
    from ``ts``: pass the training's own snapshot, so a label arriving in between cannot slip past."""
    with store.read() as session:
        if q.active_model(session, store.campaign_id) is None:
            return None
    ts = ts if ts is not None else snapshot(store)
    return comparison_ids(ts.lab_ids, ts.X_lab)


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


def _check_active_checkpoint(store: CampaignStore) -> None:
    """The comparison loads the active version after the training: a missing or damaged checkpoint was
    found then, and said as an error over a new version already saved. It is now found first."""
    with store.read() as session:
        active = q.active_model(session, store.campaign_id)
        if active is not None:
            session.expunge(active)
    if active is not None:
        check_checkpoint(located(store, active))


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
    config_overrides: dict | None = None,
) -> tuple[TrainedVersion, Comparison]:
    """Train a new version on the current labels (less the comparison tenth), compare it with
    the active one on rows neither used, maybe activate (not if it is worse on those rows, unless
    ``force``: see ``Comparison.refused``)."""
    _check_active_checkpoint(store)
    ts = snapshot(store)  # one reading of the labels for both the kept-out rows and the training
    held = comparison_ids(ts.lab_ids, ts.X_lab)
    trained = train_version(store, seed=seed, epochs=epochs, by=by, progress=progress, should_stop=should_stop,
                            keep_if_cancelled=keep_if_cancelled, holdout_ids=held, config_overrides=config_overrides,
                            training_set=ts)
    stopped = trained.result.cancelled or (should_stop is not None and should_stop())  # a stop after the last
    if activate_new and not stopped:  # epoch too: an interrupted run is kept, never activated silently
        return trained, activate_unless_worse(store, trained, force=force, by=by, held_ids=held)
    return trained, compare_with_active(store, trained, held)
