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
    lines.append(f"Comparison alloys kept out of the new version: {c.n_heldout}; "
                 f"used by neither version (training or selection): {c.n_unseen_by_both}")
    if c.active_id is None:
        lines.append(f"{'':24}{'accuracy':>10}{'ROC AUC':>10}")
        lines.append(f"{'new v' + str(c.new_id):24}{_m(c.new, 'accuracy'):>10}{_m(c.new, 'roc_auc'):>10}")
        lines.append("There is no active model to compare with.")
    elif c.n_unseen_by_both == 0:
        lines.append(f"No fair comparison with v{c.active_id}: it used every alloy kept out of the new version. "
                     "Add lab results (or retrain again later) to compare them.")
    else:
        lines.append(f"{'':24}{'accuracy':>10}{'ROC AUC':>10}")
        lines.append(f"{'new v' + str(c.new_id):24}{_m(c.new, 'accuracy'):>10}{_m(c.new, 'roc_auc'):>10}")
        lines.append(f"{'active v' + str(c.active_id):24}{_m(c.active, 'accuracy'):>10}{_m(c.active, 'roc_auc'):>10}")
    return "\n".join(lines)
