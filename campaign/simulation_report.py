"""Summaries of a simulation: the per-strategy table and the targets-found plot."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .simulation import REFERENCE_STRATEGIES, SimulationResult
from .simulation_metrics import Spread, acceleration, enhancement


@dataclass(frozen=True)
class Paired:
    """Targets found by a strategy minus those of a reference, repeat by repeat (same initial alloys)."""

    reference: str
    difference: Spread
    wins: int
    ties: int
    losses: int
    p_value: float  # Wilcoxon signed-rank, two-sided (nan when every difference is 0)

    def format(self) -> str:
        p = "n/a" if self.p_value != self.p_value else f"{self.p_value:.3f}"
        return f"{self.difference.format(1)} vs {self.reference}: {self.wins}/{self.ties}/{self.losses}, p={p}"


@dataclass(frozen=True)
class SummaryRow:
    strategy: str
    experiments: int
    found: Spread
    ef: Spread
    af: Spread
    test_accuracy: Spread
    paired: Paired | None = None


def paired(found: np.ndarray, reference: np.ndarray, name: str) -> Paired:
    """Wins / ties / losses and a Wilcoxon signed-rank test of found - reference over repeats."""
    from scipy.stats import wilcoxon

    a = np.asarray(found, dtype=float)
    b = np.asarray(reference, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    d = a[keep] - b[keep]
    p = float("nan")
    if np.any(d != 0):
        p = float(wilcoxon(d, zero_method="zsplit", alternative="two-sided").pvalue)
    return Paired(name, Spread.of(d), int((d > 0).sum()), int((d == 0).sum()), int((d < 0).sum()), p)


def best_reference(result: SimulationResult, column: int) -> str | None:
    """The reference strategy (forest, rule) with the most targets found (median) at one point."""
    refs = [r for r in result.settings.strategies if r in REFERENCE_STRATEGIES]
    if not refs:
        return None
    return max(refs, key=lambda r: (np.nanmedian(result.curves(r)[:, column]), -refs.index(r)))


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
            ref = best_reference(result, j)
            pair = None
            if ref is not None and strategy != ref and strategy != "random":
                pair = paired(found[:, j], result.curves(ref)[:, j], ref)
            rows.append(SummaryRow(strategy, n, Spread.of(found[:, j]), Spread.of(ef[:, j]), Spread.of(af[:, j]),
                                   Spread.of(acc[:, j]), pair))  # fmt: skip
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
            if np.all(np.isnan(values)):
                continue  # the physics rule has no model, hence no learning curve
            q1, med, q3 = np.nanpercentile(values, [25, 50, 75], axis=0)
            style = {"color": "0.35", "linestyle": "--"} if strategy == "random" else {}
            if strategy in REFERENCE_STRATEGIES:
                style = {"linestyle": ":", "linewidth": 2.0}
            label = f"{strategy} (reference)" if strategy in REFERENCE_STRATEGIES else strategy
            line = ax.plot(exps, med, label=label, **style)[0]
            ax.fill_between(exps, q1, q3, color=line.get_color(), alpha=0.18, linewidth=0)
    ax1.set_xlabel("experiments after the initial alloys")
    ax1.set_ylabel(f"targets found ({s.target.text})")
    ax1.set_title("Targets found (median, IQR band)")
    ax2.set_xlabel("experiments after the initial alloys")
    ax2.set_ylabel("test accuracy (held-out alloys)")
    ax2.set_title("Learning curve")
    ax1.legend(loc="upper left")
    fig.suptitle(f"{result.pool_name}: {s.repeats} repeat{'s' if s.repeats != 1 else ''}, {s.initial} initial alloys, batch {s.batch}", fontsize=10)
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class LearningCheck:
    """Does a strategy's held-out accuracy drop from one round to the next beyond noise?"""

    strategy: str
    worst_round: int  # round with the largest mean drop (0 when it never drops)
    worst_drop: float  # mean over repeats of acc[round - 1] - acc[round] (positive = worse)
    noise: float  # half the 95 % t interval of that paired difference (t quantile x standard error)
    rounds_worse: int  # rounds whose mean drop exceeds its noise
    repeats: int = 0  # repeats behind the worst round's difference

    def format(self) -> str:
        if self.worst_round == 0:
            return f"{self.strategy}: held-out accuracy never drops from one round to the next"
        noise = "n/a: one repeat" if not self.noise == self.noise else f"{self.noise:.3f}"
        return (f"{self.strategy}: largest round-over-round drop {self.worst_drop:.3f} at round {self.worst_round} "
                f"(noise, 95 % t interval over {self.repeats} repeats: {noise}); rounds worse than the one before "
                f"beyond noise: {self.rounds_worse}")


def learning_check(result: SimulationResult, strategy: str) -> LearningCheck | None:
    """Round-over-round change of test accuracy, paired within each repeat."""
    acc = result.curves(strategy, "test_accuracy")
    if np.all(np.isnan(acc)):
        return None
    diff = acc[:, :-1] - acc[:, 1:]  # positive: the later round is worse
    n = np.sum(~np.isnan(diff), axis=0)
    mean = np.nanmean(diff, axis=0)
    sd = np.nanstd(diff, axis=0, ddof=1) if diff.shape[0] > 1 else np.zeros(diff.shape[1])
    # a t quantile, not 2: with 2 repeats the standard error is itself a guess (t = 12.7, not 2)
    from scipy.stats import t

    half = np.where(n > 1, t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    worse = int(np.sum(mean > np.nan_to_num(half, nan=np.inf)))
    j = int(np.nanargmax(mean))
    if mean[j] <= 0:
        return LearningCheck(strategy, 0, 0.0, 0.0, 0)
    return LearningCheck(strategy, j + 1, float(mean[j]), float(half[j]), worse, int(n[j]))
