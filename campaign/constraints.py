"""What a lab can make: allowed elements, bounds, element count, granularity.

Every proposal mode rounds its compositions to the lab's granularity
(default 1 at.%) and then keeps only those that satisfy the constraints; a
candidate that violates one is never stored.  Rounding uses largest
remainders, so rounded fractions still sum to exactly 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import CampaignError


class ConstraintError(CampaignError):
    """Constraints that contradict each other or name unknown elements."""


@dataclass(frozen=True)
class Constraints:
    allowed: frozenset[str] | None = None  # None: the whole vocabulary
    banned: frozenset[str] = frozenset()
    min_fraction: Mapping[str, float] = field(default_factory=dict)  # element -> minimum (0-1)
    max_fraction: Mapping[str, float] = field(default_factory=dict)  # element -> maximum (0-1)
    max_elements: int | None = None
    min_elements: int = 1
    granularity: float = 0.01  # lab granularity as a fraction (0.01 = 1 at.%)

    def validate(self, vocabulary: Sequence[str]) -> None:
        known = set(vocabulary)
        named = set(self.allowed or ()) | set(self.banned) | set(self.min_fraction) | set(self.max_fraction)
        unknown = sorted(named - known)
        if unknown:
            raise ConstraintError(f"constraints name elements outside the model vocabulary: {', '.join(unknown)}")
        if self.allowed is not None and self.allowed & self.banned:
            raise ConstraintError(f"elements both allowed and banned: {', '.join(sorted(self.allowed & self.banned))}")
        for el, lo in self.min_fraction.items():
            if el in self.banned or (self.allowed is not None and el not in self.allowed):
                raise ConstraintError(f"{el} has a minimum fraction but is not allowed")
            hi = self.max_fraction.get(el, 1.0)
            if not 0 <= lo <= hi <= 1:
                raise ConstraintError(f"bounds for {el} must satisfy 0 <= min <= max <= 1 (got {lo}, {hi})")
        if sum(self.min_fraction.values()) > 1 + 1e-9:
            raise ConstraintError("the minimum fractions add up to more than 100 at.%")
        if not 0 < self.granularity <= 0.5:
            raise ConstraintError("granularity must be between 0 and 50 at.%")
        units = 1 / self.granularity
        if abs(units - round(units)) > 1e-6:
            raise ConstraintError("granularity must divide 100 at.% evenly (e.g. 1, 2, 5 at.%)")
        if self.max_elements is not None and self.max_elements < max(1, self.min_elements):
            raise ConstraintError("max_elements is smaller than min_elements")

    def allowed_mask(self, vocabulary: Sequence[str]) -> np.ndarray:
        mask = np.array([(self.allowed is None or e in self.allowed) and e not in self.banned for e in vocabulary])
        return mask

    def describe(self) -> dict:
        return {
            "allowed": sorted(self.allowed) if self.allowed is not None else None,
            "banned": sorted(self.banned),
            "min_fraction": dict(self.min_fraction),
            "max_fraction": dict(self.max_fraction),
            "max_elements": self.max_elements,
            "min_elements": self.min_elements,
            "granularity": self.granularity,
        }


def round_to_granularity(fractions: np.ndarray, granularity: float = 0.01) -> np.ndarray:
    """Round rows of fractions to multiples of ``granularity`` that still sum to 1.

    Largest remainder: floor every entry, then give the missing units to the
    entries with the largest remainders.  Negative inputs are clipped to 0.
    """
    x = np.clip(np.asarray(fractions, dtype=np.float64), 0, None)
    x = x / np.maximum(x.sum(axis=1, keepdims=True), 1e-300)
    n_units = int(round(1 / granularity))
    scaled = x * n_units
    base = np.floor(scaled + 1e-9)
    missing = (n_units - base.sum(axis=1)).astype(int)
    remainder = scaled - base
    order = np.argsort(-remainder, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(x.shape[0])[:, None]
    ranks[rows, order] = np.arange(x.shape[1])[None, :]
    base += ranks < missing[:, None]
    return base / n_units


def satisfies(fractions: np.ndarray, constraints: Constraints, vocabulary: Sequence[str]) -> np.ndarray:
    """Boolean mask of rows (fractions on ``vocabulary``) that meet every constraint."""
    x = np.asarray(fractions)
    tol = 1e-9
    present = x > tol
    ok = ~np.any(present & ~constraints.allowed_mask(vocabulary)[None, :], axis=1)
    count = present.sum(axis=1)
    ok &= count >= constraints.min_elements
    if constraints.max_elements is not None:
        ok &= count <= constraints.max_elements
    index = {e: i for i, e in enumerate(vocabulary)}
    for el, lo in constraints.min_fraction.items():
        ok &= x[:, index[el]] >= lo - tol
    for el, hi in constraints.max_fraction.items():
        ok &= x[:, index[el]] <= hi + tol
    return ok


def violations(fraction_row: np.ndarray, constraints: Constraints, vocabulary: Sequence[str]) -> list[str]:
    """Human-readable reasons why one composition breaks the constraints (empty if none)."""
    x = np.asarray(fraction_row)
    out = []
    mask = constraints.allowed_mask(vocabulary)
    bad = [vocabulary[i] for i in np.flatnonzero((x > 1e-9) & ~mask)]
    if bad:
        out.append(f"contains elements that are not allowed: {', '.join(bad)}")
    n = int((x > 1e-9).sum())
    if constraints.max_elements is not None and n > constraints.max_elements:
        out.append(f"has {n} elements, more than the maximum of {constraints.max_elements}")
    if n < constraints.min_elements:
        out.append(f"has {n} elements, fewer than the minimum of {constraints.min_elements}")
    index = {e: i for i, e in enumerate(vocabulary)}
    for el, lo in constraints.min_fraction.items():
        if x[index[el]] < lo - 1e-9:
            out.append(f"{el} is {100 * x[index[el]]:.1f} at.%, below the minimum {100 * lo:.1f}")
    for el, hi in constraints.max_fraction.items():
        if x[index[el]] > hi + 1e-9:
            out.append(f"{el} is {100 * x[index[el]]:.1f} at.%, above the maximum {100 * hi:.1f}")
    return out
