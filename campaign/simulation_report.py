"""Summaries of a simulation: the per-strategy table and the targets-found plot."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .simulation import SimulationResult
from .simulation_metrics import Spread, acceleration, enhancement


@dataclass(frozen=True)
class SummaryRow:
    strategy: str
    experiments: int
    found: Spread
    ef: Spread
    af: Spread
    test_accuracy: Spread


def milestones(result: SimulationResult, wanted: tuple[int, ...] = (8, 16, 40, 80, 160)) -> list[int]:
    """Experiment counts to tabulate: the wanted ones the run reaches (rounded to whole batches) and the last."""
    exps = result.experiments[1:]
    out = sorted({int(exps[np.argmin(np.abs(exps - w))]) for w in wanted if w <= exps[-1]} | {int(exps[-1])})
    return out


def summarise(result: SimulationResult, at: list[int] | None = None) -> list[SummaryRow]:
    """Median and IQR over repeats of found, EF, AF and test accuracy at each milestone."""
    at = at or milestones(result)
    exps = result.experiments
    random_found = result.curves("random")
    rows = []
    for strategy in result.settings.strategies:
        found = result.curves(strategy)
        acc = result.curves(strategy, "test_accuracy")
        ef = np.vstack([enhancement(f, r) for f, r in zip(found, random_found, strict=True)])
        af = np.vstack([acceleration(exps, f, r) for f, r in zip(found, random_found, strict=True)])
        for n in at:
            j = int(np.flatnonzero(exps == n)[0])
            rows.append(SummaryRow(strategy, n, Spread.of(found[:, j]), Spread.of(ef[:, j]), Spread.of(af[:, j]),
                                   Spread.of(acc[:, j])))  # fmt: skip
    return rows


def plot(result: SimulationResult, path: str | os.PathLike) -> Path:
    """Targets found and test accuracy vs experiments: median line, interquartile band, per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = result.settings
    exps = result.experiments
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for strategy in s.strategies:
        for ax, column in ((ax1, "found"), (ax2, "test_accuracy")):
            values = result.curves(strategy, column)
            q1, med, q3 = np.nanpercentile(values, [25, 50, 75], axis=0)
            style = {"color": "0.35", "linestyle": "--"} if strategy == "random" else {}
            line = ax.plot(exps, med, label=strategy, **style)[0]
            ax.fill_between(exps, q1, q3, color=line.get_color(), alpha=0.18, linewidth=0)
    ax1.set_xlabel("experiments after the initial alloys")
    ax1.set_ylabel(f"targets found ({s.target.text})")
    ax1.set_title("Targets found (median, IQR band)")
    ax2.set_xlabel("experiments after the initial alloys")
    ax2.set_ylabel("test accuracy (held-out alloys)")
    ax2.set_title("Learning curve")
    ax1.legend(loc="upper left")
    fig.suptitle(f"{result.pool_name}: {s.repeats} repeats, {s.initial} initial alloys, batch {s.batch}", fontsize=10)
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)
    return path
