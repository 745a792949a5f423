"""Plain-text rendering of `evaluate --external`: one seed as measured, several as mean +/- sd."""

from __future__ import annotations

import math
import statistics

from .text import one_line


def mean_sd(values) -> tuple[float, float]:
    """Mean and sample sd of the defined values (sd NaN for one value: no spread; NaN, NaN for none)."""
    v = [float(x) for x in values if x is not None and x == x]
    if not v:
        return math.nan, math.nan
    return statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else math.nan


def _ms(t: tuple[float, float]) -> str:
    if t[0] != t[0]:
        return "n/a"
    return f"{t[0]:.3f}" if t[1] != t[1] else f"{t[0]:.3f} +/- {t[1]:.3f}"


def _metrics(runs: list[dict]) -> str:
    """'accuracy 0.700, ROC AUC 0.650 (n=187)'; over several seeds each figure as mean +/- sd."""
    n = runs[0].get("n", 0)
    if len(runs) == 1:
        m = runs[0]
        return f"accuracy {m.get('accuracy', math.nan):.3f}, ROC AUC {m.get('roc_auc', math.nan):.3f} (n={n})"
    acc, auc = (mean_sd(m.get(k, math.nan) for m in runs) for k in ("accuracy", "roc_auc"))
    return f"accuracy {_ms(acc)}, ROC AUC {_ms(auc)} (n={n})"


def format_external(name: str, results: list, seeds: str) -> list[str]:
    """The lines of `evaluate --external` on file ``name``; ``results``: one ExternalResult per seed,
    ``seeds``: which, in words ('seed 0', 'seeds 0-4')."""
    first = results[0]
    over = "" if len(results) == 1 else "; mean +/- sd over the seeds"
    lines = [f"External set {one_line(name)}: {first.n_rows} rows -> {first.n_alloys} labelled alloys evaluated "
             f"(models trained on the seed set, {seeds}{over})",
             "  left out (each row once; the counts add up to the rows): "
             + ", ".join(f"{k} {v}" for k, v in first.excluded.items()),
             f"  SSVAE head:        {_metrics([r.ssvae for r in results])}"]
    for name in first.others:
        label = name.replace("_", " ")
        if name == "scorer" and len(results) == 1:
            label = f"scorer ({first.scorer_members})"
        lines.append(f"  {label + ':':<18} {_metrics([r.others[name] for r in results])}")
    if len(results) > 1:
        lines.append("  scorer members chosen on validation, per seed: "
                     + ", ".join(r.scorer_members for r in results))
    return lines
