"""One way to write a composition: the canonical formula, with at.% where compositions are compared."""

from __future__ import annotations

from hea_campaign.campaign.chemistry import parse_formula


def at_percent(formula: str) -> str:
    """'Al 20.0 Co 12.9 ...': the atomic percentages of a canonical formula, alphabetical like the formula."""
    comp = parse_formula(formula)
    return " ".join(f"{e} {p:.1f}" for e, p in comp.atomic_percent().items())


def path_lines(path: list[dict]) -> list[str]:
    """An inversion path, one step a line: p, the canonical formula and its at.%, so steps compare at a glance."""
    width = max((len(s["formula"]) for s in path), default=0)
    return [f"  step {s['step']:>2}: p={s['p']:.2f}  {s['formula']:<{width}}  at.% {at_percent(s['formula'])}"
            for s in path]
