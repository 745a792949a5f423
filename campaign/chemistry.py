"""Formulas -> validated, normalised, canonically written compositions.

A formula is checked for the mistakes people make (empty, too long, stray
characters, unbalanced parentheses, zero/negative/non-finite amounts, unknown
elements) before pymatgen's strict ``Composition`` parses it, so every bad
input gets one sentence naming the problem instead of a parser traceback.

The canonical string lists elements alphabetically.  It uses a "nice" ratio
form when one exists (amounts relative to one element, at most two decimals,
as many elements at 1 as possible, then the shortest: ``Al0.5CoCrCuFeNi``), otherwise atomic percent with three
decimals (``Al22.951Co14.754...``).  Fractions are re-derived from the
canonical string, so parse(canonical(x)) is exactly x.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

MAX_FORMULA_LENGTH = 200
_ALLOWED_CHARS = re.compile(r"^[A-Za-z0-9.()\[\]\s]*$")
_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)|(\()|(\))(\d*\.?\d*)|(\s+)")
_NICE_TOL = 1e-6  # in hundredths: ratio amounts this close to two decimals are exact


class FormulaError(ValueError):
    """A formula that cannot be read as an alloy composition."""


@dataclass(frozen=True)
class Composition:
    """An alloy composition: elements (alphabetical) and atomic fractions."""

    elements: tuple[str, ...]
    fractions: tuple[float, ...]

    @cached_property
    def formula(self) -> str:
        return canonical_formula(dict(zip(self.elements, self.fractions, strict=True)))

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.elements, self.fractions, strict=True))

    def atomic_percent(self) -> dict[str, float]:
        return {e: 100.0 * f for e, f in zip(self.elements, self.fractions, strict=True)}

    def vector(self, vocabulary: Sequence[str]) -> np.ndarray:
        """Fractions laid out on ``vocabulary``; raises if an element is outside it."""
        index = {e: i for i, e in enumerate(vocabulary)}
        missing = [e for e in self.elements if e not in index]
        if missing:
            raise FormulaError(
                f"{self.formula} contains {', '.join(missing)}, outside the model's element vocabulary"
            )
        out = np.zeros(len(vocabulary))
        for e, f in zip(self.elements, self.fractions, strict=True):
            out[index[e]] = f
        return out

    def __len__(self) -> int:
        return len(self.elements)


def _number(text: str, element: str, formula: str) -> float:
    if text in ("", None):
        return 1.0
    if text == ".":
        raise FormulaError(f"'{formula}': the amount after {element} is not a number")
    return float(text)


def _precheck(formula: str, allow_zero: bool = False) -> str:
    """Reject what pymatgen would misread or crash on; return the squeezed text."""
    if formula is None or not str(formula).strip():
        raise FormulaError("the formula is empty")
    text = str(formula).strip()
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(
            f"the formula is {len(text)} characters long; at most {MAX_FORMULA_LENGTH} are accepted"
        )
    if re.search(r"\d[eE][-+]?\d", text):
        raise FormulaError(f"'{text}': write amounts as plain decimals, not in exponent notation")
    if "-" in text:
        raise FormulaError(f"'{text}': amounts cannot be negative")
    if not _ALLOWED_CHARS.match(text):
        bad = sorted({ch for ch in text if not _ALLOWED_CHARS.match(ch)})
        raise FormulaError(f"'{text}': unexpected character {' '.join(repr(c) for c in bad)}")
    text = text.replace("[", "(").replace("]", ")")
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            break
    if depth != 0:
        raise FormulaError(f"'{text}': unbalanced parentheses")
    # Walk the tokens to find zero amounts and garbage that the regex skips.
    pos = 0
    squeezed = re.sub(r"\s+", "", text)
    while pos < len(squeezed):
        m = _TOKEN.match(squeezed, pos)
        if not m or m.end() == pos:
            if re.match(r"(?i)(nan|inf)", squeezed[pos:]):
                raise FormulaError(f"'{text}': amounts must be finite numbers")
            raise FormulaError(f"'{text}': cannot read '{squeezed[pos:]}' (element symbols start with a capital letter)")
        if m.group(1):
            amount = _number(m.group(2), m.group(1), text)
            if amount == 0 and not allow_zero:
                raise FormulaError(f"'{text}': the amount of {m.group(1)} is zero")
        elif m.group(4):
            if m.group(5) and _number(m.group(5), "')'", text) == 0:
                raise FormulaError(f"'{text}': a group has a zero multiplier")
        pos = m.end()
    return squeezed


def _pymatgen_amounts(squeezed: str, original: str) -> dict[str, float]:
    from pymatgen.core import Composition as PmgComposition
    from pymatgen.core import Element

    for sym in sorted(set(re.findall(r"[A-Z][a-z]?", squeezed))):
        if sym in ("D", "T"):
            raise FormulaError(f"'{original}': {sym} is an isotope label, not an element; write H")
        if not Element.is_valid_symbol(sym):
            raise FormulaError(f"'{original}': {sym} is not a chemical element")
    try:
        comp = PmgComposition(squeezed, strict=True)
    except (ValueError, KeyError) as exc:
        raise FormulaError(f"'{original}' is not a valid formula ({exc})") from None
    amounts: dict[str, float] = {}
    for el, amt in comp.items():
        sym = getattr(el, "symbol", str(el))
        amounts[sym] = amounts.get(sym, 0.0) + float(amt)
    return amounts


def normalise(amounts: Mapping[str, float]) -> dict[str, float]:
    """Atomic fractions (alphabetical), validating each amount."""
    if not amounts:
        raise FormulaError("the composition has no elements")
    for el, a in amounts.items():
        if not math.isfinite(a):
            raise FormulaError(f"the amount of {el} is not a finite number")
        if a < 0:
            raise FormulaError(f"the amount of {el} is negative")
        if a == 0:
            raise FormulaError(f"the amount of {el} is zero")
    total = math.fsum(amounts.values())
    return {el: amounts[el] / total for el in sorted(amounts)}


def _fmt(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return text


def _nice_ratio_form(fr: Mapping[str, float]) -> str | None:
    """Amounts relative to one element with at most two decimals, if such a form is exact."""
    els = list(fr)
    best: tuple[int, int, str] | None = None  # (-elements at 1, length, text)
    for unit in sorted(set(fr.values()), reverse=True):
        ratios = [fr[e] / unit for e in els]
        if max(ratios) > 1000.5 or any(abs(r * 100 - round(r * 100)) > _NICE_TOL for r in ratios):
            continue
        parts = [e if _fmt(r, 2) == "1" else e + _fmt(r, 2) for e, r in zip(els, ratios, strict=True)]
        text = "".join(parts)
        key = (-sum(p.isalpha() for p in parts), len(text), text)
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


def canonical_formula(amounts: Mapping[str, float]) -> str:
    """The canonical string for any positive amounts (see module docstring)."""
    fr = normalise(amounts)
    units = _milli_percent(fr)
    exact = _exact_percent(fr, units)
    percent = "".join(e + _fmt(u / 1000, 3) for e, u in zip(fr, units, strict=True))
    nice = _nice_ratio_form(fr)
    if nice is None and not exact:  # rounding to 0.001 at.% can make a ratio form exact
        nice = _nice_ratio_form(dict(zip(fr, (u / 100_000 for u in units), strict=True)))
    if nice is None or (exact and len(percent) < len(nice)):
        return percent
    return nice


def _exact_percent(fr: Mapping[str, float], units: list[int]) -> bool:
    return all(abs(f * 100_000 - u) < 1e-6 for f, u in zip(fr.values(), units, strict=True))


def _milli_percent(fr: Mapping[str, float]) -> list[int]:
    """Amounts in thousandths of an at.% summing to exactly 100000 (largest remainder).

    Exact sums make the atomic-percent form a fixed point of parse -> canonical.
    """
    raw = [f * 100_000 for f in fr.values()]
    units = [max(1, math.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    short = 100_000 - sum(units)
    i = 0
    while short > 0:
        units[order[i % len(order)]] += 1
        short -= 1
        i += 1
    while short < 0:  # only when tiny amounts were lifted to 1
        j = max(range(len(units)), key=units.__getitem__)
        units[j] -= 1
        short += 1
    return units


def _from_canonical(text: str) -> Composition:
    amounts = {m.group(1): float(m.group(2) or 1) for m in re.finditer(r"([A-Z][a-z]?)([\d.]*)", text)}
    fr = normalise(amounts)
    return Composition(tuple(fr), tuple(fr.values()))


def zero_amount_elements(formula: str) -> list[str]:
    """Elements written with amount 0 (literature series notation such as Al0CoCrFeNi)."""
    return [m.group(1) for m in re.finditer(r"([A-Z][a-z]?)(0+(?:\.0*)?)(?![\d.])", re.sub(r"\s+", "", formula))]


def parse_formula(formula: str, *, allow_zero: bool = False) -> Composition:
    """Parse user or dataset text into a canonical Composition, or raise FormulaError.

    ``allow_zero`` drops elements written with amount 0 (dataset series
    notation) instead of refusing them, as user input is.
    """
    squeezed = _precheck(formula, allow_zero=allow_zero)
    if allow_zero:
        squeezed = re.sub(r"([A-Z][a-z]?)0+(?:\.0*)?(?![\d.])", "", squeezed)
    amounts = _pymatgen_amounts(squeezed, str(formula).strip())
    text = canonical_formula(amounts)
    comp = _from_canonical(text)
    comp.__dict__["formula"] = text  # cached_property seed: the string we built from
    return comp


def from_fractions(fractions: Mapping[str, float]) -> Composition:
    """A canonical Composition from element -> amount (e.g. a fraction row)."""
    kept = {e: float(a) for e, a in fractions.items() if a != 0}
    return _from_canonical(canonical_formula(kept))


def from_vector(vector: Sequence[float], vocabulary: Sequence[str]) -> Composition:
    """A canonical Composition from a fraction row on ``vocabulary``."""
    return from_fractions({e: float(v) for e, v in zip(vocabulary, vector, strict=True) if v > 0})


def half_l1_change(a: Composition, b: Composition) -> float:
    """Composition change in at.%: half the L1 distance between fraction vectors."""
    fa, fb = a.as_dict(), b.as_dict()
    return 50.0 * sum(abs(fa.get(e, 0.0) - fb.get(e, 0.0)) for e in set(fa) | set(fb))
