"""What a lab can make: allowed elements, bounds, element count, granularity,
cost and density.

Every proposal mode rounds its compositions to the lab's granularity
(default 1 at.%) and then keeps only those that satisfy the constraints; a
candidate that violates one is never stored.  Rounding uses largest
remainders, so rounded fractions still sum to exactly 1.

Two kinds of per-element bound: ``element_min``/``element_max`` hold for
every element an alloy contains (a HEA lab's 5 to 35 at.%), and
``min_fraction``/``max_fraction`` name single elements (a minimum there also
requires the element).  ``Constraints()`` allows everything; a campaign's
design space (``design_space.py``) starts from ``HEA_DEFAULTS``.
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
    element_min: float = 0.0  # every element present: at least this fraction
    element_max: float = 1.0  # every element present: at most this fraction (max_fraction overrides)
    max_cost_per_kg: float | None = None  # USD per kg of raw materials
    max_density: float | None = None  # g/cm3, rule-of-mixtures estimate

    @classmethod
    def from_dict(cls, d: Mapping) -> Constraints:
        """The inverse of ``describe`` (unknown keys are refused, so a typo is not ignored)."""
        known = set(cls.__dataclass_fields__)
        bad = sorted(set(d) - known)
        if bad:
            raise ConstraintError(f"unknown design-space settings: {', '.join(bad)}")
        kw = dict(d)
        if kw.get("allowed") is not None:
            kw["allowed"] = frozenset(kw["allowed"])
        if "banned" in kw:
            kw["banned"] = frozenset(kw["banned"] or ())
        for k in ("min_fraction", "max_fraction"):
            if k in kw:
                kw[k] = {str(e): float(v) for e, v in (kw[k] or {}).items()}
        return cls(**kw)

    def replace(self, **changes) -> Constraints:
        from dataclasses import replace

        return replace(self, **changes)

    def upper(self, element: str) -> float:
        return min(float(self.max_fraction.get(element, 1.0)), self.element_max)

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
        if self.min_elements < 1:
            raise ConstraintError("an alloy needs at least one element (min_elements >= 1)")
        if not 0 <= self.element_min <= self.element_max <= 1:
            raise ConstraintError("per-element bounds must satisfy 0 <= min <= max <= 100 at.%")
        if self.element_min * max(self.min_elements, 1) > 1 + 1e-9:
            raise ConstraintError(
                f"{self.min_elements} elements of at least {100 * self.element_min:g} at.% add up to more than 100 at.%")
        most = self.max_elements if self.max_elements is not None else len(vocabulary)
        if self.element_max * most < 1 - 1e-9:
            raise ConstraintError(
                f"{most} elements of at most {100 * self.element_max:g} at.% cannot make up 100 at.%")
        for name, v in (("max_cost_per_kg", self.max_cost_per_kg), ("max_density", self.max_density)):
            if v is not None and not (v > 0 and v == v and v != float("inf")):
                raise ConstraintError(f"{name} must be a positive number (got {v})")

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
            "element_min": self.element_min,
            "element_max": self.element_max,
            "max_cost_per_kg": self.max_cost_per_kg,
            "max_density": self.max_density,
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


def satisfies(fractions: np.ndarray, constraints: Constraints, vocabulary: Sequence[str], prices=None) -> np.ndarray:
    """Boolean mask of rows (fractions on ``vocabulary``) that meet every constraint.

    ``prices`` (an ``economics.PriceTable``) is needed for a cost limit;
    without one, pymatgen's table is used."""
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
    if constraints.element_min > 0:
        ok &= ~np.any(present & (x < constraints.element_min - tol), axis=1)
    if constraints.element_max < 1:
        ok &= ~np.any(x > _upper_vector(constraints, vocabulary)[None, :] + tol, axis=1)
    if len(x) and (constraints.max_cost_per_kg is not None or constraints.max_density is not None):
        from .economics import cost_per_kg, density, price_table

        if constraints.max_cost_per_kg is not None:
            cost = cost_per_kg(x, vocabulary, prices or price_table())
            ok &= np.nan_to_num(cost, nan=np.inf) <= constraints.max_cost_per_kg + tol
        if constraints.max_density is not None:
            ok &= density(x, vocabulary) <= constraints.max_density + tol
    return ok


def _upper_vector(constraints: Constraints, vocabulary: Sequence[str]) -> np.ndarray:
    return np.array([constraints.upper(e) for e in vocabulary])


def violations(fraction_row: np.ndarray, constraints: Constraints, vocabulary: Sequence[str], prices=None) -> list[str]:
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
    for i in np.flatnonzero(x > 1e-9):
        el = vocabulary[i]
        if x[i] < constraints.element_min - 1e-9:
            out.append(f"{el} is {100 * x[i]:.1f} at.%, below the per-element minimum {100 * constraints.element_min:g}")
        elif el not in constraints.max_fraction and x[i] > constraints.upper(el) + 1e-9:
            out.append(f"{el} is {100 * x[i]:.1f} at.%, above the per-element maximum {100 * constraints.upper(el):g}")
    if constraints.max_cost_per_kg is not None or constraints.max_density is not None:
        from .economics import cost_per_kg, density, price_table

        if constraints.max_cost_per_kg is not None:
            cost = float(cost_per_kg(x[None], vocabulary, prices or price_table())[0])
            if not cost <= constraints.max_cost_per_kg + 1e-9:
                out.append(f"costs {cost:.2f} USD/kg, above the maximum {constraints.max_cost_per_kg:g}")
        if constraints.max_density is not None:
            rho = float(density(x[None], vocabulary)[0])
            if rho > constraints.max_density + 1e-9:
                out.append(f"density about {rho:.2f} g/cm3, above the maximum {constraints.max_density:g}")
    return out


HEA_DEFAULTS = Constraints(min_elements=4, max_elements=6, element_min=0.05, element_max=0.35, granularity=0.01)


def project(fractions: np.ndarray, constraints: Constraints, vocabulary: Sequence[str]) -> np.ndarray:
    """Move compositions into the element-count and per-element bounds, then round to granularity.

    Keeps the largest allowed elements (all required ones, at least
    ``min_elements``, at most ``max_elements``, dropping those well below
    ``element_min``; never one the row does not hold), then alternately clips
    to the bounds and renormalises.
    Not every row can be repaired: callers still check ``satisfies``.
    """
    x = np.clip(np.atleast_2d(np.asarray(fractions, dtype=np.float64)), 0, None)
    allowed = constraints.allowed_mask(vocabulary)
    x = np.where(allowed[None, :], x, 0.0)
    n, v = x.shape
    index = {e: i for i, e in enumerate(vocabulary)}
    required = np.zeros(v, bool)
    for el in constraints.min_fraction:
        required[index[el]] = True
    order = np.argsort(-(x + 2.0 * required[None, :]), axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(n)[:, None], order] = np.arange(v)[None, :]
    most = constraints.max_elements if constraints.max_elements is not None else v
    keep = (rank < most) & (x > 0.5 * constraints.element_min) | (rank < constraints.min_elements)
    keep &= x > 0  # never invent an element the composition does not hold
    keep |= required[None, :]
    keep &= allowed[None, :]
    lo = np.maximum(constraints.element_min, np.array([constraints.min_fraction.get(e, 0.0) for e in vocabulary]))
    hi = _upper_vector(constraints, vocabulary)
    y = np.where(keep, np.maximum(x, 1e-6), 0.0)
    for _ in range(30):
        y = y / np.maximum(y.sum(axis=1, keepdims=True), 1e-300)
        y = np.where(keep, np.clip(y, lo[None, :], hi[None, :]), 0.0)
    return round_to_granularity(y, constraints.granularity)
