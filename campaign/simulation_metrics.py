"""How much faster than random choice a strategy finds targets.

Definitions follow MacLeod et al. (Nat. Commun. 13:995, 2022) and Rohr et
al. (Chem. Sci. 2020): with ``found(n)`` the cumulative number of targets
after ``n`` experiments,

- enhancement factor EF(n) = found_strategy(n) / found_random(n), at equal
  experiments (undefined while random has found nothing);
- acceleration factor AF(n) = n_random / n, where ``n_random`` is the number
  of experiments random choice needs to find as many targets as the strategy
  found in ``n`` (linearly interpolated between rounds; infinite when random
  never gets there within the run, shown as "> bound": at least the run's
  length over ``n``).

Both are computed per repeat, pairing each strategy with the random run that
started from the same initial alloys, and summarised by median and quartiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def enhancement(found: np.ndarray, found_random: np.ndarray) -> np.ndarray:
    """EF at each point of two curves sampled at the same experiment counts: infinite where random found
    none and the strategy some (a repeat it won outright, not one to leave out of the median), undefined
    (nan) only where neither found any."""
    s = np.asarray(found, dtype=float)
    r = np.asarray(found_random, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r > 0, s / np.where(r > 0, r, 1.0), np.where(s > 0, np.inf, np.nan))


def experiments_to_reach(experiments: np.ndarray, found: np.ndarray, count: float) -> float:
    """Experiments a (non-decreasing) curve needs to reach ``count`` targets; inf if never."""
    x = np.asarray(experiments, dtype=float)
    y = np.asarray(found, dtype=float)
    if count <= 0:
        return 0.0
    hits = np.flatnonzero(y >= count)
    if len(hits) == 0:
        return math.inf
    j = int(hits[0])
    if j == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[j - 1], x[j], y[j - 1], y[j]
    return float(x0 + (count - y0) / (y1 - y0) * (x1 - x0))


def acceleration(experiments: np.ndarray, found: np.ndarray, found_random: np.ndarray) -> np.ndarray:
    """AF at each point of a strategy's curve against the random curve (same sampling)."""
    x = np.asarray(experiments, dtype=float)
    out = np.full(len(x), np.nan)
    for i, (n, count) in enumerate(zip(x, np.asarray(found, dtype=float), strict=True)):
        if n <= 0 or count <= 0:
            continue
        out[i] = experiments_to_reach(x, found_random, count) / n
    return out


@dataclass(frozen=True)
class Spread:
    """Median and interquartile range of a quantity over repeats (nan values left out).

    Infinite values (random never caught up) count as larger than any other,
    so the quartiles are taken from the values themselves, not interpolated.
    """

    median: float
    q1: float
    q3: float
    n: int

    @classmethod
    def of(cls, values) -> Spread:
        v = np.asarray(values, dtype=float)
        v = v[~np.isnan(v)]
        if len(v) == 0:
            return cls(math.nan, math.nan, math.nan, 0)
        method = "linear" if np.all(np.isfinite(v)) else "inverted_cdf"
        q1, med, q3 = np.percentile(v, [25, 50, 75], method=method)
        return cls(float(med), float(q1), float(q3), int(len(v)))

    def format(self, digits: int = 2, bound: float | None = None) -> str:
        """'median [q1, q3]' (the median alone for one value); an infinite value prints as '>bound' (or 'inf')."""

        def one(x: float) -> str:
            if math.isinf(x):
                return f">{bound:.{digits}f}" if bound is not None else "inf"
            return f"{x:.{digits}f}"

        if self.n == 0:
            return "n/a"
        if self.n == 1:  # one repeat: no spread to show
            return one(self.median)
        return f"{one(self.median)} [{one(self.q1)}, {one(self.q3)}]"  # also [8.0, 8.0]: every row alike
