"""Plain-text rendering of `evaluate --flags` and `evaluate --inversion`."""

from __future__ import annotations

import math
import statistics


def _f(x: float, fmt: str = ".3f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def format_flag_figures(f) -> str:
    level = f"{100 * f.conformal_level:g} %"
    lines = [
        f"Flags on held-out alloys: {f.setting}; seed{'s' if len(f.seeds) != 1 else ''} {', '.join(map(str, f.seeds))} pooled, {f.n} alloys, "
        f"accuracy {_f(f.accuracy)} (second opinion alone {_f(f.second_opinion_accuracy)})",
        "  error ROC AUC of each uncertainty signal (1 = ranks every wrong prediction above every right one):",
    ]
    if f.scorer_members:
        lines.insert(1, "  p_single: the campaign's scorer, members chosen on validation per seed: "
                     + ", ".join(f.scorer_members) + "; conformal calibrated on "
                     + ", ".join(map(str, f.calibration_rows))
                     + f" validation rows ({'per seed, ' if len(f.calibration_rows) > 1 else ''}scorer fitted without them)")
    val = getattr(f, "auc_error_validation", None) or {}
    if val:
        lines[-1] = (lines[-1][:-1] + f"; test rows, and validation rows ({f.n_validation}, p from the scorer "
                     "fitted without them: where a signal may be chosen):")
        lines += [f"    {name:<48} {_f(v)}   validation {_f(val.get(name, math.nan))}" for name, v in f.auc_error.items()]
    else:
        lines += [f"    {name:<48} {_f(v)}" for name, v in f.auc_error.items()]
    by_seed = [a for a in getattr(f, "auc_error_per_seed", None) or [] if not math.isnan(a)]
    if len(by_seed) > 1:
        lines.append(f"    uncertainty score within each seed's model: {', '.join(_f(a) for a in by_seed)} "
                     f"(mean {_f(statistics.fmean(by_seed))}; the figure above pools the seeds' models)")
    lines.append(f"  accuracy flagged vs unflagged:")
    lines.append(f"    {'flag':<14}{'n':>6}{'flagged':>10}{'unflagged':>11}{'gap':>8}")
    for name, m in f.per_flag.items():
        gap = m["accuracy_unflagged"] - m["accuracy"] if m["n"] else math.nan
        lines.append(f"    {name:<14}{m['n']:>6}{_f(m['accuracy']):>10}{_f(m['accuracy_unflagged']):>11}{_f(gap, '+.3f'):>8}")
    s = f.set_sizes
    lines.append(f"  conformal sets at {level}: coverage {_f(f.coverage)}; one class {_f(s[1], '.2f')} "
                 f"(accuracy {_f(f.single_set_accuracy)}), both {_f(s[2], '.2f')}, empty {_f(s[0], '.2f')}")
    per_seed = getattr(f, "coverage_per_seed", None) or []
    if len(per_seed) > 1:
        lines.append(f"    coverage per seed: {', '.join(_f(c) for c in per_seed)} (sd {_f(statistics.stdev(per_seed))})")
    lines.append(f"  calibration of p(single phase): expected calibration error {_f(f.ece)} (10 bins)")
    if f.png is not None:
        lines.append(f"  reliability diagram: {f.png}")
    return "\n".join(lines)


def format_inversion_figures(rows, cutoff: float = 0.6, split: str | None = None) -> str:
    """One line per loop: reach, change, and what the independent model and the flags say of the reached.

    ``split``: which split's test alloys were inverted (``inversion_evaluation.split_description``)."""
    lines = [
        f"Inverse design from the multi-phase test alloys{f' of the {split}' if split else ''} (cutoff {cutoff:g}); "
        "the last three columns are shares of the candidates that reached it:",
        f"  {'loop':<26}{'starts':>7}{'reached':>9}{'median change at.%':>20}{'median steps':>14}"
        f"{'kept elements':>15}{'independent: single':>21}{'uncertain':>11}{'disputed':>10}",
    ]
    for r in rows:
        lines.append(f"  {r.loop:<26}{r.n_starts:>7}{_f(r.reached, '.2f'):>9}{_f(r.median_change, '.1f'):>20}"
                     f"{_f(r.median_steps, '.1f'):>14}{_f(r.kept_element_set, '.2f'):>15}"
                     f"{_f(r.independent_single, '.2f'):>21}{_f(r.uncertain, '.2f'):>11}{_f(r.disputed, '.2f'):>10}")
    lines.append("  independent: k nearest neighbours on composition, trained on the same labelled rows; "
                 "uncertain: 90 % conformal set calibrated on the validation rows")
    return "\n".join(lines)


_INVERSION_FIELDS = (("reached", "reached", ".2f"), ("median_change", "median change at.%", ".1f"),
                     ("median_steps", "median steps", ".1f"), ("kept_element_set", "kept elements", ".2f"),
                     ("independent_single", "independent: single", ".2f"), ("uncertain", "uncertain", ".2f"),
                     ("disputed", "disputed", ".2f"))


def format_inversion_over_seeds(per_seed, cutoff: float = 0.6, split: str | None = None) -> str:
    """``format_inversion_figures`` of one seed; over several, each loop's figures as mean +/- sd over the
    seeds (``per_seed``: one list of InversionFigures per seed, loops in the same order)."""
    if len(per_seed) == 1:
        return format_inversion_figures(per_seed[0], cutoff, split)
    from .evaluation_text import mean_sd

    lines = [f"Inverse design from the multi-phase test alloys{f' of the {split}' if split else ''} (cutoff "
             f"{cutoff:g}), mean +/- sd over the {len(per_seed)} seeds; the last three figures are shares of the "
             "candidates that reached it:"]
    for rows in zip(*per_seed):
        starts = mean_sd(r.n_starts for r in rows)
        cells = [f"starts {starts[0]:.1f}"]
        for name, label, fmt in _INVERSION_FIELDS:
            m, sd = mean_sd(getattr(r, name) for r in rows)
            cells.append(f"{label} {_f(m, fmt)}" + ("" if m != m else f" +/- {_f(sd, fmt)}"))
        lines.append(f"  {rows[0].loop}: " + ", ".join(cells))
    lines.append("  independent: single: the share k nearest neighbours on composition (trained on the same labelled "
                 "rows) call single phase; uncertain: 90 % conformal set calibrated on the validation rows")
    return "\n".join(lines)
