"""Plain-text rendering of training outcomes: the new model version against the active one."""

from __future__ import annotations

import math


def _m(d: dict | None, key: str) -> str:
    if not d:
        return "-"
    v = d.get(key, math.nan)
    return "n/a" if v != v else f"{v:.3f}"


def _table(rows) -> list[str]:
    lines = [f"{'':24}{'accuracy':>10}{'ROC AUC':>10}"]
    lines += [f"{name:24}{_m(d, 'accuracy'):>10}{_m(d, 'roc_auc'):>10}" for name, d in rows]
    return lines


def _no_evidence(c) -> list[str]:
    """When the compared alloys are too few or of one class: say they tell nothing, and show each
    version's own validation figures instead (labelled: not the same alloys)."""
    from hea_campaign.campaign import retraining as r  # here, not at the top: views imports this module

    weakness = r.comparison_weakness(c)
    if not weakness:
        return []
    lines = [f"These alloys tell the two versions nothing ({weakness}; a comparison needs at least "
             f"{r.MIN_COMPARISON_ROWS} alloys, {r.MIN_COMPARISON_PER_CLASS} of each class)."]
    if c.new_validation or c.active_validation:
        lines.append("Each version's SSVAE head on its own validation alloys instead (different alloys, "
                     "so not a like-for-like comparison; the figures above are the versions' scorers):")
        lines += _table([(f"new v{c.new_id} validation", c.new_validation),
                         (f"active v{c.active_id} validation", c.active_validation)])
    return lines


def render_comparison(c) -> str:
    lines = [f"New model version v{c.new_id} (not active yet)" if not c.activated else f"v{c.new_id} is now active"]
    lines.append(f"Comparison alloys kept out of the new version: {c.n_heldout}; "
                 f"used by neither version (training or selection): {c.n_unseen_by_both}")
    if c.n_heldout:
        lines.append("  (recorded with the version: `hea-campaign history FORMULA` says whether an alloy is one of them)")
    versions = [(f"new v{c.new_id}", c.new), (f"active v{c.active_id}", c.active)]
    if c.active_id is None:
        lines += _table(versions[:1])
        lines.append("There is no active model to compare with. The kept-out alloys stay out of later retrainings, "
                     "so that those can be compared with this version (`hea-campaign train` without --activate uses every label).")
    elif c.n_unseen_by_both == 0 and not c.active:
        lines.append(f"No comparison with v{c.active_id}: no labelled alloy was kept out of the new version.")
    elif c.n_unseen_by_both == 0:
        lines.append(f"v{c.active_id} used every alloy kept out of the new version, so this comparison favours it:")
        lines += _table(versions) + _no_evidence(c)
    else:
        lines += _table(versions) + _difference(c) + _no_evidence(c)
    return "\n".join(lines)


def _difference(c) -> list[str]:
    """new - active on the compared alloys, with how much resampling them moves it."""
    from hea_campaign.campaign import retraining as r

    d = getattr(c, "difference", None)
    if d is None:
        return []
    metric, diff, lo, hi = d
    verdict = "within noise" if lo <= 0.0 <= hi else ("better beyond noise" if lo > 0 else "worse beyond noise")
    return [f"new - active in {r.METRIC_NAMES.get(metric, metric)}: {diff:+.3f}, {verdict}",
            f"  ({100 * r.INTERVAL:.0f} % of {r.RESAMPLES} resamplings of these alloys give {lo:+.3f} to {hi:+.3f})"]


# name shown, format; metrics not listed here are shown with their key and 3 significant figures
METRICS = {
    "val_accuracy": ("validation accuracy", "{:.3f}"),
    "val_auc": ("validation ROC AUC", "{:.3f}"),
    "train_accuracy": ("training accuracy", "{:.3f}"),
    "best_epoch": ("best epoch", "{:.0f}"),
    "train_seconds": ("training time", "{:.1f} s"),
}


def format_metrics(metrics: dict | None) -> str:
    """'validation accuracy 0.912, validation ROC AUC 0.950, best epoch 120, training time 12.3 s, interrupted'."""
    parts = []
    m = dict(metrics or {})
    # the scorer ranks candidates: its figures on the validation rows it was chosen on come first, and the
    # SSVAE head's (val_accuracy, val_auc, train_accuracy) are named as the head's
    chosen = m.pop("scorer", None)
    scored = (m.pop("scorer_validation", None) or {}).get(chosen) if chosen and chosen != "ssvae" else None
    if isinstance(scored, dict):
        acc, auc = scored.get("accuracy", math.nan), scored.get("roc_auc", math.nan)
        parts.append(f"scorer ({chosen}, ranks candidates) validation accuracy "
                     f"{'n/a' if acc != acc else f'{acc:.3f}'}, ROC AUC {'n/a' if auc != auc else f'{auc:.3f}'} "
                     "(where it was chosen)")
    head = "SSVAE head " if chosen and chosen != "ssvae" else ""  # without another scorer the head ranks
    for key, (name, fmt) in METRICS.items():
        v = m.pop(key, None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            parts.append(f"{head if key == 'val_accuracy' else ''}{name} " + ("n/a" if v != v else fmt.format(v)))
    if m.pop("cancelled", False):
        parts.append("interrupted")
    start = m.pop("warm_start_from", None)
    if start is not None:
        parts.append(f"warm start from v{start}")
    for key, v in m.items():
        if isinstance(v, bool):
            if v:
                parts.append(key.replace("_", " "))
        elif isinstance(v, (int, float)):
            parts.append(f"{key.replace('_', ' ')} {v:.3g}")
    return ", ".join(parts)


def format_trained(version_id: int, metrics: dict, n_labelled: int, n_unlabelled: int, *, activated: bool) -> str:
    """The outcome of `train`: the version, its metrics by name, and what to do next."""
    interrupted = bool(metrics.get("cancelled"))
    lines = []
    if interrupted:
        lines.append(f"Interrupted: kept the best model so far as version v{version_id}, marked interrupted; "
                     "it was not activated.")
    lines.append(f"Model version v{version_id}: {format_metrics(metrics)}")
    lines.append(f"  trained on {n_labelled} labelled + {n_unlabelled} unlabelled alloys"
                 + (" - active" if activated else ""))
    if not activated:
        lines.append(f"Activate it with: hea-campaign activate {version_id}")
    return "\n".join(lines)


def _f(value, width: int) -> str:
    return f"{'-':>{width}}" if value is None or value != value else f"{value:{width}.3f}"


def format_versions(rows) -> str:
    """The `models` table: one line per version, * for the active one; the scorer's and the SSVAE head's
    validation figures side by side, each named."""
    from hea_campaign.campaign.model_catalog import scorer_figures  # here: `status` imports this module, light

    if not rows:
        return "No model versions yet: hea-campaign train --activate"
    lines = [f"{'':2}{'id':>4}  {'created (UTC)':19}  {'scorer acc':>10}  {'scorer AUC':>10}  {'SSVAE head acc':>14}  "
             f"{'SSVAE head AUC':>14}  {'labelled':>8}  {'seed':>10}  {'data':10}  note"]
    for v in rows:
        m = v.metrics or {}
        note = "interrupted" if m.get("cancelled") else ""
        acc, auc = scorer_figures(m) or (None, None)
        lines.append(
            f"{'*' if v.active else ' ':2}{v.id:>4}  {v.created_at:%Y-%m-%d %H:%M:%S}  {_f(acc, 10)}  {_f(auc, 10)}  "
            f"{_f(m.get('val_accuracy'), 14)}  {_f(m.get('val_auc'), 14)}  "
            f"{v.n_labelled:>8}  {v.seed:>10}  {v.data_hash[:10]:10}  {note}".rstrip()
        )
    lines.append("accuracy and ROC AUC on each version's validation alloys: scorer = the model that ranks candidates "
                 "(chosen on those alloys; - when they were too few to choose on), SSVAE head = the SSVAE's classifier")
    return "\n".join(lines)
