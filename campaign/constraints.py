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
    element_max: float = 1.0  # every element present: at most this fraction (max_fraction can only lower it)
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

    def validate(self, vocabulary: Sequence[str], prices=None) -> None:
        """Refuse contradictory settings with one sentence, so no impossible space is stored or run.

        ``prices`` (an ``economics.PriceTable``, default pymatgen's) decide whether a cost limit can be met."""
        self._check_names(vocabulary)
        self._check_bounds()
        self._check_counts(vocabulary)
        self._check_limits()
        self._check_feasible(vocabulary)
        if self.max_cost_per_kg is not None or self.max_density is not None:
            from .space_limits import check_limits

            check_limits(self, vocabulary, prices)

    def _check_names(self, vocabulary: Sequence[str]) -> None:
        """Every named element is known, and none is both allowed and banned or required and not allowed."""
        named = set(self.allowed or ()) | set(self.banned) | set(self.min_fraction) | set(self.max_fraction)
        unknown = sorted(named - set(vocabulary))
        if unknown:
            from .chemistry import outside_vocabulary_message

            raise ConstraintError(outside_vocabulary_message(
                unknown, "constraints name elements outside the model vocabulary"))
        if self.allowed is not None and self.allowed & self.banned:
            raise ConstraintError(f"elements both allowed and banned: {', '.join(sorted(self.allowed & self.banned))}")
        for el in sorted(self.min_fraction):
            if el in self.banned or (self.allowed is not None and el not in self.allowed):
                raise ConstraintError(f"{el} has a minimum fraction but is not allowed")

    def _check_bounds(self) -> None:
        """Per-element bounds in order, minima within 100 at.%, and a granularity that divides 100 at.%."""
        for el, lo in sorted(self.min_fraction.items()):
            hi = self.max_fraction.get(el, 1.0)
            if not 0 <= lo <= hi <= 1:
                raise ConstraintError(f"bounds for {el} must satisfy 0 <= min <= max <= 100 at.% "
                                      f"(got min {_pct(lo)} at.%, max {_pct(hi)} at.%)")
        total = sum(self.min_fraction.values())
        if total > 1 + 1e-9:
            raise ConstraintError(f"the minimum fractions add up to more than 100 at.% ({_pct(total)} at.%)")
        if not 0 < self.granularity <= 0.5:
            raise ConstraintError("granularity must be between 0 and 50 at.%")
        units = 1 / self.granularity
        if abs(units - round(units)) > 1e-6:
            raise ConstraintError("granularity must divide 100 at.% evenly (e.g. 1, 2, 5 at.%)")
        if not 0 <= self.element_min <= self.element_max <= 1:
            raise ConstraintError("per-element bounds must satisfy 0 <= min <= max <= 100 at.%")

    def _check_counts(self, vocabulary: Sequence[str]) -> None:
        """Element-count range in order and reachable with the per-element bounds."""
        if self.max_elements is not None and self.max_elements < max(1, self.min_elements):
            raise ConstraintError(f"the maximum number of elements ({self.max_elements}) is smaller than the minimum "
                                  f"({self.min_elements})")
        if self.min_elements < 1:
            raise ConstraintError("an alloy needs at least one element (a minimum number of elements of 1 or more)")
        if self.element_min * max(self.min_elements, 1) > 1 + 1e-9:
            raise ConstraintError(
                f"{self.min_elements} elements of at least {100 * self.element_min:g} at.% add up to more than 100 at.%")
        most = self.max_elements if self.max_elements is not None else len(vocabulary)
        if self.element_max * most < 1 - 1e-9:
            raise ConstraintError(
                f"{most} elements of at most {100 * self.element_max:g} at.% cannot make up 100 at.%")

    def _check_limits(self) -> None:
        for name, v in (("max_cost_per_kg", self.max_cost_per_kg), ("max_density", self.max_density)):
            if v is not None and not (v > 0 and v == v and v != float("inf")):
                raise ConstraintError(f"{name} must be a positive number (got {v})")

    def _check_feasible(self, vocabulary: Sequence[str]) -> None:
        """Refuse a space that no composition satisfies (each check alone can pass while together they fail)."""
        usable = [e for e in vocabulary if (self.allowed is None or e in self.allowed) and e not in self.banned]
        if len(usable) < self.min_elements:
            raise ConstraintError(f"only {len(usable)} element(s) are allowed ({_listed(sorted(usable))}), "
                                  f"fewer than the minimum of {self.min_elements} elements")
        lo, hi = _least_units(self), int(np.floor(self.element_max / self.granularity + 1e-6))
        if lo > hi:
            raise ConstraintError(f"no multiple of the granularity ({_pct(self.granularity)} at.%) lies within the "
                                  f"per-element bounds ({_pct(self.element_min)} to {_pct(self.element_max)} at.%)")
        required = sorted(e for e, v in self.min_fraction.items() if v > 0)  # satisfies() needs those present
        for el in required:
            self._check_required(el)
        if self.max_elements is not None and len(required) > self.max_elements:
            raise ConstraintError(f"{len(required)} elements have a required minimum ({', '.join(required)}), "
                                  f"more than the maximum of {self.max_elements} elements")
        optional = [e for e in usable if e not in required and self._units(e)[0] <= self._units(e)[1]]
        if len(required) + len(optional) < self.min_elements:
            unusable = sorted(set(usable) - set(optional) - set(required))
            raise ConstraintError(
                f"only {len(required) + len(optional)} allowed element(s) can be present, fewer than the minimum of "
                f"{self.min_elements}: the maximum of {_listed(unusable)} is below the per-element minimum "
                f"({_pct(self.element_min)} at.%) or the granularity ({_pct(self.granularity)} at.%)")
        _check_total(self, required, optional)

    def _units(self, element: str) -> tuple[int, int]:
        """An element's (low, high) amount when present, in whole granularity steps (rounded inwards)."""
        g = self.granularity
        lo = max(self.element_min, float(self.min_fraction.get(element, 0.0)))
        return max(1, int(np.ceil(lo / g - 1e-6))), int(np.floor(self.upper(element) / g + 1e-6))

    def _check_required(self, el: str) -> None:
        """A required element's minimum must fit under its own maximum and the per-element one."""
        lo, hi = self._units(el)
        if lo <= hi:
            return
        need, g = max(self.element_min, float(self.min_fraction[el])), self.granularity
        if need > self.upper(el) + 1e-9 and self.upper(el) == self.element_max:
            why = f"no element may have more than {_pct(self.element_max)} at.% (the per-element maximum)"
        elif self.max_fraction.get(el, 1.0) < self.element_min - 1e-9:
            why = (f"its maximum is {_pct(self.max_fraction[el])} at.%, below the per-element minimum "
                   f"of {_pct(self.element_min)} at.%")
        elif self.upper(el) < g - 1e-9:
            why = f"its maximum ({_pct(self.upper(el))} at.%) is less than one granularity step ({_pct(g)} at.%)"
        else:
            why = (f"no multiple of the granularity ({_pct(g)} at.%) lies between {_pct(need)} and "
                   f"{_pct(self.upper(el))} at.%")
        raise ConstraintError(f"{el} is required with at least {_pct(self.min_fraction[el])} at.% but {why}")

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


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.6g}"


def _listed(elements: Sequence[str], most: int = 8) -> str:
    shown = ", ".join(elements[:most])
    return shown + (f" and {len(elements) - most} more" if len(elements) > most else "") if elements else "none"


def _check_total(c: Constraints, required: list[str], optional: list[str]) -> None:
    """Some element count in range must let the bounds (in granularity steps) add up to exactly 100 at.%.

    Optional elements all share the per-element minimum, so the largest maxima are the best choice."""
    total, g, r = round(1 / c.granularity), c.granularity, len(required)
    lo_req = sum(c._units(e)[0] for e in required)
    hi_req = sum(c._units(e)[1] for e in required)
    lo_opt = _least_units(c)
    hi_opt = sorted((c._units(e)[1] for e in optional), reverse=True)
    counts = range(max(c.min_elements, r), min(c.max_elements or len(required) + len(optional), r + len(optional)) + 1)
    low = {k: lo_req + (k - r) * lo_opt for k in counts}
    high = {k: hi_req + sum(hi_opt[:k - r]) for k in counts}
    if any(low[k] <= total <= high[k] for k in counts):
        return
    k0, k1 = counts[0], counts[-1]
    if low[k0] > total:
        raise ConstraintError(f"{k0} elements need at least {_pct(low[k0] * g)} at.% together "
                              f"({_parts(c, required, k0 - r)}), more than 100 at.%")
    if high[k1] < total:
        raise ConstraintError(f"{k1} elements (the most the space allows) cannot make up 100 at.%: "
                              f"their maxima reach only {_pct(high[k1] * g)} at.%")
    k = max(k for k in counts if high[k] < total)
    raise ConstraintError(f"no element count from {k0} to {k1} makes 100 at.%: {k} elements reach at most "
                          f"{_pct(high[k] * g)} at.% and {k + 1} need at least {_pct(low[k + 1] * g)} at.%")


def _least_units(c: Constraints) -> int:
    """The smallest amount of an element without its own minimum, in granularity steps (present: at least one)."""
    return max(1, int(np.ceil(c.element_min / c.granularity - 1e-6)))


def _parts(c: Constraints, required: list[str], extra: int) -> str:
    """What a minimal alloy is made of, in words: the required minima and the other elements' minimum."""
    parts = [f"{e} {_pct(c._units(e)[0] * c.granularity)}" for e in required]
    if extra:
        parts.append(f"{extra} more of at least {_pct(_least_units(c) * c.granularity)}")
    return ", ".join(parts) + " at.%"


def check_screening_step(step: float, granularity: float, whose: str = "the granularity") -> None:
    """Screened compositions are not rounded, so the step must be a whole number of granularity steps.

    ``whose``: the granularity as the error names it (the design space's, when the run did not give one)."""
    ratio = step / granularity
    if ratio < 1 - 1e-6 or abs(ratio - round(ratio)) > 1e-6:
        units = round(1 / granularity)
        fits = [k * granularity for k in range(1, units + 1) if units % k == 0 and k * granularity >= step - 1e-9]
        raise ConstraintError(
            f"the screening step ({_pct(step)} at.%) must be a multiple of {whose} ({_pct(granularity)} at.%), "
            f"and so at least the granularity: use e.g. --step {_pct(fits[0] if fits else 1.0)}")


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


def violations(fraction_row: np.ndarray, constraints: Constraints, vocabulary: Sequence[str], prices=None, *,
               short: bool = False) -> list[str]:
    """Human-readable reasons why one composition breaks the constraints (empty if none).

    The same checks as ``satisfies``; ``short`` words each reason as a note does ("Cu is banned",
    "12.19 USD/kg > 12", "3 elements < 4", "Fe 40 at.% > 35")."""
    x = np.asarray(fraction_row)
    out = []

    def say(long: str, brief: str) -> None:
        out.append(brief if short else long)

    mask = constraints.allowed_mask(vocabulary)
    bad = [vocabulary[i] for i in np.flatnonzero((x > 1e-9) & ~mask)]
    if bad and not short:
        out.append(f"contains elements that are not allowed: {', '.join(bad)}")
    for el in bad if short else ():
        out.append(f"{el} is banned" if el in constraints.banned else f"{el} is not allowed")
    n = int((x > 1e-9).sum())
    if constraints.max_elements is not None and n > constraints.max_elements:
        say(f"has {n} elements, more than the maximum of {constraints.max_elements}",
            f"{n} elements > {constraints.max_elements}")
    if n < constraints.min_elements:
        say(f"has {n} elements, fewer than the minimum of {constraints.min_elements}",
            f"{n} elements < {constraints.min_elements}")
    index = {e: i for i, e in enumerate(vocabulary)}
    for el, lo in constraints.min_fraction.items():
        if x[index[el]] < lo - 1e-9:
            say(f"{el} is {100 * x[index[el]]:.1f} at.%, below the minimum {100 * lo:.1f}",
                f"{el} {_pct(round(x[index[el]], 9))} at.% < {_pct(lo)}")
    for el, hi in constraints.max_fraction.items():
        if x[index[el]] > hi + 1e-9:
            say(f"{el} is {100 * x[index[el]]:.1f} at.%, above the maximum {100 * hi:.1f}",
                f"{el} {_pct(round(x[index[el]], 9))} at.% > {_pct(hi)}")
    for i in np.flatnonzero(x > 1e-9):
        el = vocabulary[i]
        if x[i] < constraints.element_min - 1e-9:
            say(f"{el} is {100 * x[i]:.1f} at.%, below the per-element minimum {100 * constraints.element_min:g}",
                f"{el} {_pct(round(x[i], 9))} at.% < {_pct(constraints.element_min)}")
        elif x[i] > constraints.upper(el) + 1e-9 and not x[i] > constraints.max_fraction.get(el, 1.0) + 1e-9:
            say(f"{el} is {100 * x[i]:.1f} at.%, above the per-element maximum {100 * constraints.upper(el):g}",
                f"{el} {_pct(round(x[i], 9))} at.% > {_pct(constraints.upper(el))}")
    if constraints.max_cost_per_kg is not None or constraints.max_density is not None:
        from .economics import cost_per_kg, density, price_table

        if constraints.max_cost_per_kg is not None:
            cost = float(cost_per_kg(x[None], vocabulary, prices or price_table())[0])
            if not cost <= constraints.max_cost_per_kg + 1e-9:
                say(f"costs {cost:.2f} USD/kg, above the maximum {constraints.max_cost_per_kg:g}",
                    f"{cost:.2f} USD/kg > {constraints.max_cost_per_kg:g}" if cost == cost
                    else f"no price for an element (limit {constraints.max_cost_per_kg:g} USD/kg)")
        if constraints.max_density is not None:
            rho = float(density(x[None], vocabulary)[0])
            if rho > constraints.max_density + 1e-9:
                say(f"density about {rho:.2f} g/cm3, above the maximum {constraints.max_density:g}",
                    f"{rho:.2f} g/cm3 > {constraints.max_density:g}")
    return out


GRID_TOLERANCE = 1e-6  # in granularity steps: a stored fraction's float error is far below it


def on_grid(fractions: np.ndarray, granularity: float) -> np.ndarray:
    """Boolean mask of rows whose every fraction is a whole number of granularity steps (what every proposal
    mode rounds to); a row proposed on a coarser or other grid than the space's current one is not."""
    units = np.asarray(fractions) / granularity
    return ~np.any(np.abs(units - np.rint(units)) > GRID_TOLERANCE, axis=1)


def grid_violation(fraction_row: np.ndarray, granularity: float, vocabulary: Sequence[str]) -> str | None:
    """Why one composition is off the granularity grid, worded as ``violations(short=True)`` words its
    reasons ("Cr 6, Ni 18 at.% off the 5 at.% grid"); None when it is on it."""
    x = np.asarray(fraction_row)
    units = x / granularity
    off = [i for i in np.flatnonzero(np.abs(units - np.rint(units)) > GRID_TOLERANCE)]
    if not off:
        return None
    return f"{', '.join(f'{vocabulary[i]} {_pct(round(x[i], 9))}' for i in off)} at.% off the {_pct(granularity)} at.% grid"


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
