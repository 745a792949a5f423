"""Plain-text rendering of training outcomes: the new model version against the active one."""

from __future__ import annotations

import math


def _m(d: dict | None, key: str) -> str:
    if not d:
        return "-"
    v = d.get(key, math.nan)
    return "n/a" if v != v else f"{v:.3f}"


def render_comparison(c) -> str:
    lines = [f"New model version v{c.new_id} (not active yet)" if not c.activated else f"v{c.new_id} is now active"]
    lines.append(f"Held-out alloys: {c.n_heldout} (unseen by both models: {c.n_unseen_by_both})")
    lines.append(f"{'':24}{'accuracy':>10}{'ROC AUC':>10}")
    lines.append(f"{'new v' + str(c.new_id):24}{_m(c.new, 'accuracy'):>10}{_m(c.new, 'roc_auc'):>10}")
    if c.active is not None:
        lines.append(f"{'active v' + str(c.active_id):24}{_m(c.active, 'accuracy'):>10}{_m(c.active, 'roc_auc'):>10}")
        if c.new_unseen is not None:
            lines.append(f"{'new, unseen rows':24}{_m(c.new_unseen, 'accuracy'):>10}{_m(c.new_unseen, 'roc_auc'):>10}")
            lines.append(f"{'active, unseen rows':24}{_m(c.active_unseen, 'accuracy'):>10}"
                         f"{_m(c.active_unseen, 'roc_auc'):>10}")
    else:
        lines.append("There is no active model to compare with.")
    return "\n".join(lines)


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
    for key, (name, fmt) in METRICS.items():
        v = m.pop(key, None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            parts.append(f"{name} " + ("n/a" if v != v else fmt.format(v)))
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


def format_versions(rows) -> str:
    """The `models` table: one line per version, * for the active one."""
    if not rows:
        return "No model versions yet: hea-campaign train --activate"
    lines = [f"{'':2}{'id':>4}  {'created (UTC)':19}  {'val acc':>7}  {'val AUC':>7}  {'labelled':>8}  {'seed':>10}  "
             f"{'data':10}  note"]
    for v in rows:
        m = v.metrics or {}
        note = "interrupted" if m.get("cancelled") else ""
        lines.append(
            f"{'*' if v.active else ' ':2}{v.id:>4}  {v.created_at:%Y-%m-%d %H:%M:%S}  "
            f"{m.get('val_accuracy', math.nan):7.3f}  {m.get('val_auc', math.nan):7.3f}  "
            f"{v.n_labelled:>8}  {v.seed:>10}  {v.data_hash[:10]:10}  {note}".rstrip()
        )
    return "\n".join(lines)
