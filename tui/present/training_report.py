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
