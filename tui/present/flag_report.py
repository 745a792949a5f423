"""Plain-text rendering of `evaluate --flags`."""

from __future__ import annotations

import math


def _f(x: float, fmt: str = ".3f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def format_flag_figures(f) -> str:
    level = f"{100 * f.conformal_level:g} %"
    lines = [
        f"Flags on held-out alloys: {f.setting}; seeds {', '.join(map(str, f.seeds))} pooled, {f.n} alloys, "
        f"accuracy {_f(f.accuracy)} (second opinion alone {_f(f.second_opinion_accuracy)})",
        "  error ROC AUC of each uncertainty signal (1 = ranks every wrong prediction above every right one):",
    ]
    lines += [f"    {name:<46} {_f(v)}" for name, v in f.auc_error.items()]
    lines.append(f"  accuracy flagged vs unflagged:")
    lines.append(f"    {'flag':<14}{'n':>6}{'flagged':>10}{'unflagged':>11}{'gap':>8}")
    for name, m in f.per_flag.items():
        gap = m["accuracy_unflagged"] - m["accuracy"] if m["n"] else math.nan
        lines.append(f"    {name:<14}{m['n']:>6}{_f(m['accuracy']):>10}{_f(m['accuracy_unflagged']):>11}{_f(gap, '+.3f'):>8}")
    s = f.set_sizes
    lines.append(f"  conformal sets at {level}: coverage {_f(f.coverage)}; one class {_f(s[1], '.2f')} "
                 f"(accuracy {_f(f.single_set_accuracy)}), both {_f(s[2], '.2f')}, empty {_f(s[0], '.2f')}")
    lines.append(f"  calibration of p(single phase): expected calibration error {_f(f.ece)} (10 bins)")
    if f.png is not None:
        lines.append(f"  reliability diagram: {f.png}")
    return "\n".join(lines)
