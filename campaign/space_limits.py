"""Whether a design space's cost and density limits leave any composition, and how close the best one comes.

Cost per kg and the rule-of-mixtures density are ratios of linear functions of the atomic
fractions x (masses m, prices p, element densities rho):

    cost = sum(x m p) / sum(x m)        density = sum(x m) / sum(x m / rho)

so "cost <= C" is the linear constraint sum(x m (p - C)) <= 0, and likewise for density.  With
amounts in whole granularity steps and a presence switch per element, the space and its limits
form a small mixed-integer program (HiGHS through ``scipy.optimize.milp``), solved exactly in
milliseconds.  The cheapest (or lightest) composition comes from Dinkelbach's iteration on the
same program, so a refusal can say how far the limit is from what the space allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np



TIME_LIMIT_S = 10.0  # a program this small solves in milliseconds; a slower one is assumed feasible


@dataclass
class _Program:
    """The space as linear rows over [amounts in granularity steps, presence switches]."""

    elements: list[str]
    mass: np.ndarray
    price: np.ndarray
    rho: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    required: np.ndarray
    counts: tuple[int, int]
    total: int

    def solve(self, objective: np.ndarray, rows: list[tuple[np.ndarray, float]]) -> np.ndarray | None:
        """Amounts (steps) minimising ``objective`` under the space and ``rows`` (a x <= b); None if none."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        n = len(self.elements)
        if n == 0:
            return None
        eye = np.eye(n)
        a = [np.hstack([np.ones(n), np.zeros(n)]), np.hstack([np.zeros(n), np.ones(n)])]
        lb, ub = [self.total, self.counts[0]], [self.total, self.counts[1]]
        a_box = np.vstack([np.hstack([eye, -np.diag(self.hi)]), np.hstack([eye, -np.diag(self.lo)])])
        lb_box = np.concatenate([np.full(n, -np.inf), np.zeros(n)])
        ub_box = np.concatenate([np.zeros(n), np.full(n, np.inf)])
        extra = [np.hstack([r, np.zeros(n)]) for r, _ in rows]
        constraints = [LinearConstraint(np.vstack(a), lb, ub), LinearConstraint(a_box, lb_box, ub_box)]
        if extra:
            constraints.append(LinearConstraint(np.vstack(extra), -np.inf, [b for _, b in rows]))
        bounds = Bounds(np.concatenate([np.zeros(n), self.required.astype(float)]),
                        np.concatenate([self.hi.astype(float), np.ones(n)]))
        res = milp(np.concatenate([objective, np.zeros(n)]), constraints=constraints, bounds=bounds,
                   integrality=np.ones(2 * n), options={"time_limit": TIME_LIMIT_S})
        if res.status == 1:  # time limit: treat as feasible rather than refuse a space on a guess
            return np.full(n, np.nan)
        return None if res.x is None else np.round(res.x[:n])

    def rows(self, cost: float | None, density: float | None) -> list[tuple[np.ndarray, float]]:
        out = []
        if cost is not None:
            out.append((self.mass * (self.price - cost), 0.0))
        if density is not None:
            out.append((self.mass * (1.0 - density / self.rho), 0.0))
        return out

    def least(self, top: np.ndarray, bottom: np.ndarray, rows) -> tuple[float, np.ndarray] | None:
        """The smallest top.x / bottom.x over the space and ``rows`` (Dinkelbach), with its amounts."""
        x = self.solve(np.zeros(len(self.elements)), rows)
        for _ in range(50):
            if x is None or np.isnan(x).any():
                return None
            ratio = float(top @ x / (bottom @ x))
            nxt = self.solve(top - ratio * bottom, rows)
            if nxt is None or np.isnan(nxt).any() or float((top - ratio * bottom) @ nxt) >= -1e-9 * abs(top @ x):
                return ratio, x
            x = nxt
        return ratio, x


def _program(space, vocabulary: Sequence[str], prices) -> _Program:
    """The usable elements (allowed, not banned, with room for one step, priced if cost is limited)."""
    from .constraints import ConstraintError
    from .economics import element_data

    mass, rho = element_data(tuple(vocabulary))
    price = prices.vector(vocabulary)
    required = {e for e, v in space.min_fraction.items() if v > 0}
    keep = []
    for i, e in enumerate(vocabulary):
        lo, hi = space._units(e)
        usable = (space.allowed is None or e in space.allowed) and e not in space.banned and lo <= hi
        if space.max_cost_per_kg is not None and np.isnan(price[i]):
            if e in required:
                raise ConstraintError(f"{e} is required but has no price, so the cost limit cannot be checked: "
                                      f"add it to the lab price list (hea-campaign space set --prices)")
            usable = False
        if usable:
            keep.append(i)
    idx = np.array(keep, dtype=int)
    units = [space._units(vocabulary[i]) for i in keep]
    n_max = space.max_elements if space.max_elements is not None else len(keep)
    return _Program(
        elements=[vocabulary[i] for i in keep], mass=mass[idx], price=np.nan_to_num(price[idx]), rho=rho[idx],
        lo=np.array([u[0] for u in units], float), hi=np.array([u[1] for u in units], float),
        required=np.array([vocabulary[i] in required for i in keep]),
        counts=(space.min_elements, n_max), total=round(1 / space.granularity),
    )


def _formula(prog: _Program, x: np.ndarray, granularity: float) -> str:
    """The composition in at.%, e.g. Co5Cr35Fe25Mn35."""
    return "".join(f"{e}{100 * granularity * v:g}" for e, v in zip(prog.elements, x, strict=True) if v > 0)


def check_limits(space, vocabulary: Sequence[str], prices=None) -> None:
    """Refuse cost and density limits that no composition of the space meets, saying what the best reaches."""
    from .constraints import ConstraintError

    cost, dens = space.max_cost_per_kg, space.max_density
    if cost is None and dens is None:
        return
    from .economics import price_table

    prog = _program(space, vocabulary, prices or price_table())
    if prog.solve(np.zeros(len(prog.elements)), prog.rows(cost, dens)) is not None:
        return
    if cost is not None and prog.solve(np.zeros(len(prog.elements)), prog.rows(cost, None)) is None:
        best = prog.least(prog.mass * prog.price, prog.mass, [])
        raise ConstraintError(f"no composition of the design space costs at most {cost:g} USD/kg"
                              + _best(prog, best, "the cheapest costs {:.2f} USD/kg", space.granularity))
    if dens is not None and prog.solve(np.zeros(len(prog.elements)), prog.rows(None, dens)) is None:
        best = prog.least(prog.mass, prog.mass / prog.rho, [])
        raise ConstraintError(f"no composition of the design space has a density of at most {dens:g} g/cm3"
                              + _best(prog, best, "the lightest is about {:.2f} g/cm3", space.granularity))
    best = prog.least(prog.mass * prog.price, prog.mass, prog.rows(None, dens))
    raise ConstraintError(f"the cost and density limits together leave no composition: at most {dens:g} g/cm3"
                          + _best(prog, best, "the cheapest costs {:.2f} USD/kg", space.granularity)
                          + f", above the maximum of {cost:g} USD/kg")


def _best(prog: _Program, best, words: str, granularity: float) -> str:
    if best is None:
        return ""
    value, x = best
    return f" ({words.format(value)}: {_formula(prog, x, granularity)})"
