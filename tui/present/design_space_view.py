"""The design space: checking what a user types for `space set` (and the TUI form), and showing it.

All amounts are at.% (``Al:5`` is 5 at.%); blank values change nothing.
"""

from __future__ import annotations

from hea_campaign.campaign.errors import CampaignError

from .checks import integer, is_blank, names, number
from .proposal_request import granularity_pct, parse_bounds
from .text import counted


def _range(text, name: str, lo: float, hi: float, kind) -> tuple | None:
    """'4-6' or '5-35' -> (low, high); one number means low = high."""
    if is_blank(text):
        return None
    a, dash, b = str(text).strip().partition("-")
    first = kind(a, f"{name} (low)", lo=lo, hi=hi)
    second = kind(b, f"{name} (high)", lo=lo, hi=hi) if dash else first
    if second < first:
        raise CampaignError(f"{name} must be 'low-high' with low <= high (got '{text}')")
    return first, second


def _int(value, name, lo, hi):
    return integer(value, name, lo=int(lo), hi=int(hi))


def _pct(value, name, lo, hi):
    return number(value, name, lo=lo, hi=hi)


def _given(value) -> bool:
    """A typed value or a repeated option's values (a list from the CLI) with something in them."""
    if isinstance(value, (list, tuple)):
        return any(not is_blank(v) for v in value)
    return not is_blank(value)


def _says_none(value, word: str = "none") -> bool:
    """The value is the one word that clears a setting ('none' for bounds, 'any' for allowed elements)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return [str(v).strip().lower() for v in items] == [word]


def space_changes(*, allowed=None, banned=None, elements=None, at_pct=None, min_frac=None, max_frac=None,
                  granularity=None, max_cost=None, max_density=None, no_max_cost: bool = False,
                  no_max_density: bool = False, any_elements: bool = False) -> dict:
    """Checked ``Constraints`` field changes from the user's values (strings or numbers)."""
    out: dict = {}
    if _given(allowed) and _says_none(allowed, "any"):
        out["allowed"] = None  # every element of the vocabulary, as --any-elements
    elif _given(allowed):
        out["allowed"] = frozenset(names(allowed, "--allowed"))
    if any_elements:
        out["allowed"] = None
    if _given(banned):
        given = names(banned, "--banned")
        none = [t.lower() for t in given] == ["none"]
        out["banned"] = frozenset() if none else frozenset(given)
    n = _range(elements, "--elements", 1, 118, _int)
    if n:
        out["min_elements"], out["max_elements"] = n
    b = _range(at_pct, "--at-pct", 0, 100, _pct)
    if b:
        out["element_min"], out["element_max"] = b[0] / 100, b[1] / 100
    if _given(min_frac):
        out["min_fraction"] = {} if _says_none(min_frac) else parse_bounds(min_frac, "--min")
    if _given(max_frac):
        out["max_fraction"] = {} if _says_none(max_frac) else parse_bounds(max_frac, "--max")
    if not is_blank(granularity):
        out["granularity"] = granularity_pct(granularity) / 100
    if not is_blank(max_cost):  # 'none' (the TUI form) removes the limit, as --no-max-cost
        out["max_cost_per_kg"] = (None if _says_none(max_cost)
                                  else number(max_cost, "--max-cost (USD/kg)", lo=0, lo_open=True))
    if no_max_cost:
        out["max_cost_per_kg"] = None
    if not is_blank(max_density):
        out["max_density"] = (None if _says_none(max_density)
                              else number(max_density, "--max-density (g/cm3)", lo=0, hi=30, lo_open=True))
    if no_max_density:
        out["max_density"] = None
    return out


def design_space_lines(view, how: str = "with hea-campaign space set") -> list[str]:
    """The design space in words, one setting a line."""
    c = view.constraints
    pct = lambda f: f"{100 * f:g}"  # noqa: E731
    lines = [
        f"elements allowed: {', '.join(sorted(c.allowed)) if c.allowed is not None else 'all of the model vocabulary'}",
        f"elements banned: {', '.join(sorted(c.banned)) or 'none'}",
        f"number of elements: {c.min_elements} to {c.max_elements if c.max_elements is not None else 'any'}",
        f"each element present: {pct(c.element_min)} to {pct(c.element_max)} at.%",
    ]
    if c.min_fraction:
        lines.append("required minimum: " + ", ".join(f"{e} {pct(v)} at.%" for e, v in sorted(c.min_fraction.items())))
    if c.max_fraction:
        never = _never_present(c)
        lines.append("element maximum: " + ", ".join(f"{e} {pct(v)} at.%" + (" (never present: " + never[e] + ")"
                                                                              if e in never else "")
                                                     for e, v in sorted(c.max_fraction.items())))
    lines += [
        f"granularity: {pct(c.granularity)} at.%",
        f"maximum raw-material cost: {'none' if c.max_cost_per_kg is None else f'{c.max_cost_per_kg:g} USD/kg'}",
        "maximum density: " + ("none" if c.max_density is None
                               else f"{c.max_density:g} g/cm3 (rule-of-mixtures estimate)"),
        f"prices: {view.price_summary}",
    ]
    if view.problem:
        lines.append(f"warning: proposals cannot use this design space: {view.problem}; change it {how}")
    lab = (getattr(view, "price_list", None) or {}).get("usd_per_kg") or {}
    if lab:
        lines.append("lab prices: " + ", ".join(f"{el} {float(v):g}" for el, v in sorted(lab.items())) + " USD/kg")
    if view.is_default:
        lines.append(f"(default limits: only a lab price list has been set for this campaign; change the limits "
                     f"{how})" if lab else f"(defaults: no design space has been set for this campaign; change it {how})")
    return lines


def design_space_change_line(done, prices_file=None) -> str:
    """What a `space set` (or the TUI's save) did to the price list and the space, in one line."""
    said = []
    if done.prices_imported is not None:
        n = len(done.prices_imported)
        said.append(f"Imported {counted(n, 'price')}" + (f" from {prices_file}" if prices_file else "")
                    + f"; {'it overrides' if n == 1 else 'they override'} pymatgen's table.")
        said += _unused_prices_note(getattr(done, "prices_unused", []))
        said += _dropped_prices_note(getattr(done, "prices_dropped", []))
    if done.prices_cleared:
        said.append("Removed the lab price list; pymatgen's prices apply again.")
    if done.no_list_to_clear:
        said.append("There was no lab price list to remove; pymatgen's prices apply.")
    if done.space_written:
        said.append("Design space saved.")
        unallowed = getattr(done, "unallowed", [])
        if unallowed:
            said.append(f"{', '.join(unallowed)} {'is' if len(unallowed) == 1 else 'are'} banned now, so "
                        f"{'it was' if len(unallowed) == 1 else 'they were'} taken off the allowed elements.")
        said += _floor_notes(done.space)
        said += _grid_notes(done.space)
        said += _never_present_notes(done.space)
    return " ".join(said) or "Nothing changed."


def _unused_prices_note(unused) -> list[str]:
    """Priced elements no proposal can contain: a typo (Np for Nb) leaves the element meant at pymatgen's price."""
    if not unused:
        return []
    return [f"Note: {', '.join(unused)} {'is' if len(unused) == 1 else 'are'} in no alloy the model can propose "
            f"(not in its element vocabulary), so {'its price is' if len(unused) == 1 else 'their prices are'} "
            f"never used: check for a mistyped symbol."]


def _dropped_prices_note(dropped) -> list[str]:
    """A new list replaces the old one whole: elements only the old one priced fall back to pymatgen's table."""
    if not dropped:
        return []
    shown = ", ".join(dropped[:12]) + (f" and {len(dropped) - 12} more" if len(dropped) > 12 else "")
    return [f"It replaces the lab price list set before: {shown} {'is' if len(dropped) == 1 else 'are'} no longer "
            f"on it, so pymatgen's 2013 {'price applies' if len(dropped) == 1 else 'prices apply'} again (list every "
            "element the lab prices in one file)."]


def _floor_notes(space) -> list[str]:
    """A required minimum below the floor every element has: it only makes the element required, and may
    be a fraction typed where at.% was meant (Fe:0.1 for 10 at.%)."""
    low = {el: v for el, v in sorted((space.min_fraction or {}).items()) if 0 < v < space.element_min}
    if not low:
        return []
    typed = ", ".join(f"{el}:{100 * v:g}" for el, v in low.items())
    return [f"Note: {typed} at.% is below the {100 * space.element_min:g} at.% every element present already has, "
            f"so it only requires {', '.join(low)} to be present (amounts are at.%: Fe:10 is 10 at.%)."]


def _grid_notes(space) -> list[str]:
    """Bounds between two grid points act as the grid point inside them: at a 10 at.% step, 5-35 at.% is
    10-30 and Al >= 5 is Al >= 10 (only grid points are proposed); said, as the bounds are shown as typed."""
    import math

    g = space.granularity

    def up(x: float) -> float:
        return math.ceil(x / g - 1e-9) * g

    def down(x: float) -> float:
        return math.floor(x / g + 1e-9) * g

    moved = []
    if space.element_min > 0 and abs(up(space.element_min) - space.element_min) > 1e-9 or \
            abs(down(space.element_max) - space.element_max) > 1e-9:
        moved.append(f"the per-element range {_at(space.element_min)}-{_at(space.element_max)} at.% acts as "
                     f"{_at(up(space.element_min))}-{_at(down(space.element_max))}")
    for el, lo in sorted((space.min_fraction or {}).items()):
        if lo >= space.element_min and abs(up(lo) - lo) > 1e-9:  # below the floor: _floor_notes says it
            moved.append(f"{el} >= {_at(lo)} acts as >= {_at(up(lo))}")
    for el, hi in sorted((space.max_fraction or {}).items()):
        if abs(down(hi) - hi) > 1e-9:
            moved.append(f"{el} <= {_at(hi)} acts as <= {_at(down(hi))}")
    if not moved:
        return []
    return [f"Note: proposals lie on the {_at(g)} at.% grid, so " + "; ".join(moved) + "."]


def _at(x: float) -> str:
    return f"{100 * x:.4g}"


def _never_present(space) -> dict[str, str]:
    """Elements whose own maximum keeps them out of every alloy, with why: below the per-element minimum
    every element present must have, or below one granularity step (a required element is refused instead)."""
    out = {}
    for el, hi in sorted((space.max_fraction or {}).items()):
        if (space.min_fraction or {}).get(el, 0) > 0:
            continue
        if hi < space.element_min - 1e-9:
            out[el] = f"below the {100 * space.element_min:g} at.% every element present must have"
        elif hi < space.granularity - 1e-9:
            out[el] = f"less than one granularity step ({100 * space.granularity:g} at.%)"
    return out


def _never_present_notes(space) -> list[str]:
    """An element maximum that no amount of the element can meet: the element is in effect banned.  Said,
    not refused: the space is consistent, and a metallurgist who meant "a little of it" learns how to get it."""
    never = _never_present(space)
    if not never:
        return []
    notes = [f"{el}:{100 * space.max_fraction[el]:g} at.% is {why}" for el, why in never.items()]
    els, them = ", ".join(never), "it" if len(never) == 1 else "them"
    return [f"Note: {'; '.join(notes)}, so {els} can never be present: in effect banned (to allow a little of "
            f"{them}, {_how_to_allow(space, min(space.max_fraction[e] for e in never))}; to exclude {them}, say so "
            f"with --banned {','.join(never)})."]


def _how_to_allow(space, top: float) -> str:
    """What lets an element with maximum ``top`` (a fraction) be present: a per-element minimum and a
    granularity step no larger than it (a granularity that divides 100 at.%), or else a larger maximum."""
    fixes = []
    if top < space.element_min - 1e-9:
        fixes.append(f"lower the per-element minimum, e.g. --at-pct {100 * top:g}-{100 * space.element_max:g}")
    if top < space.granularity - 1e-9:
        finer = next((g for g in (1, 0.5, 0.25, 0.2, 0.1, 0.05, 0.01) if g <= 100 * top + 1e-9), None)
        if finer is None:
            return "raise its maximum"
        fixes.append(f"a finer granularity, e.g. --granularity {finer:g}")
    return " and ".join(fixes)


def price_list_field(typed: str) -> tuple[str | None, bool]:
    """The TUI's price-list field: (file to import, remove the list); blank changes nothing and 'none'
    removes it, as the form's other fields clear with 'none' (`space set --prices FILE / --no-prices`)."""
    text = (typed or "").strip()
    if text.lower() == "none":
        return None, True
    return (text or None), False
