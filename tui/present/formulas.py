"""One way to write a composition: the canonical formula, with at.% where compositions are compared."""

from __future__ import annotations

from hea_campaign.campaign.chemistry import parse_formula


def at_percent(formula: str) -> str:
    """'Al 20.0 Co 12.9 ...': the atomic percentages of a canonical formula, alphabetical like the formula."""
    comp = parse_formula(formula)
    return " ".join(f"{e} {p:.1f}" for e, p in comp.atomic_percent().items())


OUTSIDE = "outside the limits"  # the mark of a path step outside the design space (its reasons follow)


def path_lines(path: list[dict], split: bool = False) -> list[str]:
    """An inversion path, one step a line: p, the canonical formula and its at.%, so steps compare at a glance.

    A run of three or more identical steps (formula and p as shown) is one line and a "steps a-b: unchanged"
    line; a step beyond the design space's cost or density limit is marked (its ``outside`` reasons).
    ``split``: the at.% on a line of their own under each step (a narrow view then never wraps inside them)."""
    width = max((len(s["formula"]) for s in path), default=0)

    def line(s: dict) -> list[str]:
        mark = f"  [{OUTSIDE}: {'; '.join(s['outside'])}]" if s.get("outside") else ""
        head = f"  step {s['step']:>2}: p={s['p']:.2f}  {s['formula']:<{0 if split else width}}"
        at = f"at.% {at_percent(s['formula'])}{mark}"
        return [head, " " * 12 + at] if split else [f"{head}  {at}"]

    def shown(s: dict) -> tuple:
        return s["formula"], f"{s['p']:.2f}"

    lines, i = [], 0
    while i < len(path):
        j = i
        while j + 1 < len(path) and shown(path[j + 1]) == shown(path[i]):
            j += 1
        lines += line(path[i])
        if j - i >= 2:
            lines.append(f"  steps {path[i + 1]['step']}-{path[j]['step']}: unchanged "
                         f"(p={path[i]['p']:.2f} {path[i]['formula']})")
        elif j > i:
            lines += line(path[j])
        i = j + 1
    return lines
