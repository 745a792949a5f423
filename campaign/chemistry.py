"""Formulas -> validated, normalised, canonically written compositions.

A formula is checked for the mistakes people make (empty, too long, stray
characters, unbalanced parentheses, zero/negative/non-finite amounts, unknown
elements), so every bad input gets one sentence naming the problem instead of
a parser traceback.  Element symbols are pymatgen's; amounts are multiplied out
here with pymatgen's arithmetic (see ``_amounts`` for why not by pymatgen).

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
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from .errors import CampaignError

if TYPE_CHECKING:  # numpy is loaded where a vector is built, so `status` and `--help` need not import it
    import numpy as np

# A canonical formula has at most 9 characters per element (Fe99.999, Fe1000.49), so with
# MAX_ELEMENTS every canonical formula fits the store's 400-character column and parses again.
MAX_FORMULA_LENGTH = 400
MAX_ELEMENTS = 40
_ALLOWED_CHARS = re.compile(r"^[A-Za-z0-9.()\[\]\s]*$")
# What spreadsheets and pandas write for a missing or non-finite value: never element symbols or amounts.
_MISSING_WHOLE = {"NaN", "nan", "NAN", "NA", "N/A", "n/a", "#N/A", "None", "none", "NULL", "null", "inf", "+inf",
                  "-inf", "Inf", "-Inf", "Infinity", "-Infinity", "-", "?", "#VALUE!", "#DIV/0!", "#REF!", "#NUM!"}
_MISSING_INSIDE = re.compile(r"NaN(?![a-z])|nan|None|null|NULL|Inf(?:inity)?|inf|#N/A|N/A")
_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)|(\()|(\))(\d*\.?\d*)|(\s+)")
_SYMBOL = re.compile(r"[A-Z][a-z]?")
_NICE_TOL = 1e-6  # in hundredths: ratio amounts this close to two decimals are exact
# The atomic-percent form keeps amounts in steps of 0.001 at.% (1e-5 as a fraction), and lifts
# any amount below one step to one step (an element is never written as 0): an amount below half
# a step would be stored rounded up, so the parser refuses it instead (_refuse_lost_traces).
_STEP_AT_PCT = 0.001
_HALF_STEP = _STEP_AT_PCT / 100 / 2


class FormulaError(CampaignError, ValueError):
    """A formula that cannot be read as an alloy composition (a user error; also a ValueError)."""


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
        import numpy as np

        out = np.zeros(len(vocabulary))
        for e, f in zip(self.elements, self.fractions, strict=True):
            out[index[e]] = f
        return out

    def __len__(self) -> int:
        return len(self.elements)


def _quote(text: str, limit: int = 80) -> str:
    """``text`` in quotes for a message: one line, control and invisible characters
    escaped, cut to about ``limit`` characters."""
    shown = ""
    for ch in text:
        shown += ch if ch.isprintable() else repr(ch)[1:-1]
        if len(shown) > limit:
            return f"'{shown[:limit]}...'"
    return f"'{shown}'"


class _Shown:
    """``_quote(text)``, computed only when a message is written (parsing good input needs none)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return _quote(self.text)

    def rest(self, pos: int) -> str:
        """What the user typed from the ``pos``-th character of the squeezed text on (brackets and
        whitespace as typed), so a message never quotes text the parser made up."""
        seen = 0
        for i, ch in enumerate(self.text):
            if not re.match(r"\s", ch):
                if seen == pos:
                    return self.text[i:]
                seen += 1
        return ""

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731


def _number(text: str, element: str, shown: str) -> float:
    if text in ("", None):
        return 1.0
    if text == ".":
        raise FormulaError(f"{shown}: the amount after {element} is not a number")
    return float(text)


def _precheck(formula: str) -> tuple[str, str]:
    """Reject text that is not a formula; return the squeezed text and its quoted form."""
    if formula is None or not str(formula).strip():
        raise FormulaError("the formula is empty")
    text = str(formula).strip()
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(
            f"the formula is {len(text)} characters long; at most {MAX_FORMULA_LENGTH} are accepted"
        )
    shown = _Shown(text)
    if text in _MISSING_WHOLE:
        raise FormulaError(f"{shown} is a missing value (as a spreadsheet writes it), not a formula")
    token = _MISSING_INSIDE.search(text)
    if token:
        raise FormulaError(f"{shown}: '{token.group()}' is a spreadsheet missing or non-finite value, "
                           "not an element or an amount")
    if re.search(r"\d[eE][-+]?\d", text):
        raise FormulaError(f"{shown}: write amounts as plain decimals, not in exponent notation")
    if re.search(r"-\s*[\d.]", text):
        raise FormulaError(f"{shown}: amounts cannot be negative")
    if not _ALLOWED_CHARS.match(text):
        bad = sorted({ch for ch in text if not _ALLOWED_CHARS.match(ch)})
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise FormulaError(f"{shown}: unexpected character {' '.join(repr(c) for c in bad[:10])}{more}")
    text = text.replace("[", "(").replace("]", ")")
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            break
    if depth != 0:
        raise FormulaError(f"{shown}: unbalanced parentheses")
    return re.sub(r"\s+", "", text), shown


def _amounts(squeezed: str, shown: str, allow_zero: bool) -> dict[str, float]:
    """Element -> amount with groups multiplied out, every amount checked on the way.

    The arithmetic is pymatgen's (each term of a group times the group's factor,
    summed in order of appearance), so the amounts are those pymatgen's
    ``Composition`` gives where it works.  It is done here because pymatgen
    silently drops amounts below 1e-8 and misreads amounts of 1e16 or more once
    a group is multiplied out (it re-parses ``1e+16``).  With ``allow_zero``,
    elements written with amount 0 are left out.
    """
    stack: list[list[tuple[str, float]]] = [[]]
    written = [False]  # per open group: was any element written in it
    pos = 0
    while pos < len(squeezed):
        m = _TOKEN.match(squeezed, pos)
        if not m or m.end() == pos:
            if re.match(r"(?i)(nan|inf)", squeezed[pos:]):
                raise FormulaError(f"{shown}: amounts must be finite numbers")
            raise FormulaError(
                f"{shown}: cannot read {_quote(_rest(shown, squeezed, pos))} "
                f"(element symbols start with a capital letter{_did_you_mean(squeezed)})"
            )
        if m.group(1):
            amount = _number(m.group(2), m.group(1), shown)
            written[-1] = True
            if amount != 0:
                stack[-1].append((m.group(1), amount))
            elif not allow_zero:
                raise FormulaError(f"{shown}: the amount of {m.group(1)} is zero")
        elif m.group(3):
            stack.append([])
            written.append(False)
        elif m.group(4):
            factor = _number(m.group(5), "')'", shown)
            if factor == 0:
                raise FormulaError(f"{shown}: a group has a zero multiplier")
            terms = stack.pop()
            if not written.pop():
                raise FormulaError(f"{shown}: empty parentheses")
            written[-1] = True
            group: dict[str, float] = {}
            for el, amt in terms:
                group[el] = group.get(el, 0.0) + amt * factor
            stack[-1].extend(group.items())
        pos = m.end()
    amounts: dict[str, float] = {}
    for el, amt in stack[0]:
        amounts[el] = amounts.get(el, 0.0) + amt
    return amounts


def _rest(shown, squeezed: str, pos: int) -> str:
    """The user's text from squeezed position ``pos`` on (the squeezed text if ``shown`` cannot map it)."""
    return shown.rest(pos) if isinstance(shown, _Shown) else squeezed[pos:]


def _check_symbols(symbols, shown, squeezed: str = "") -> None:
    from hea_campaign.model.elements import valid_symbols  # with numpy: not needed until a formula is read

    valid = valid_symbols()
    for sym in sorted(set(symbols)):
        if sym in ("D", "T"):
            raise FormulaError(f"{shown}: {sym} is an isotope label, not an element; write H")
        if sym not in valid:
            hint = _did_you_mean(squeezed)
            case = f" (an element symbol is a capital letter, then a lower-case one if any{hint})" if hint else ""
            raise FormulaError(f"{shown}: {sym} is not a chemical element{case}")


def _did_you_mean(squeezed: str) -> str:
    """': did you mean Fe20Ni80?' when the text reads as a formula once its letters are put in the
    right case (FE20NI80, fe20ni80), else ''."""
    fixed = case_fixed(squeezed)
    return f": did you mean {_quote(fixed, 60)[1:-1]}?" if fixed else ""


def case_fixed(text: str) -> str | None:
    """``text`` with every run of letters re-cased into element symbols (FE20NI80 -> Fe20Ni80, fe -> Fe),
    when that changes something and every run splits into symbols; else None.  Two-letter symbols are
    tried first (NI is Ni, not N and I)."""
    from hea_campaign.model.elements import valid_symbols

    lower = {s.lower(): s for s in valid_symbols() if s not in ("D", "T")}
    out = []
    for part in re.split(r"([A-Za-z]+)", text):
        if not part.isascii() or not part.isalpha():
            out.append(part)
            continue
        symbols = _split_symbols(part.lower(), lower)
        if symbols is None:
            return None
        out.append("".join(symbols))
    fixed = "".join(out)
    return fixed if fixed != text else None


def _split_symbols(run: str, lower: dict[str, str]) -> list[str] | None:
    """A lower-case run of letters as element symbols, two-letter ones first (None if it cannot be);
    worked backwards from the end, so a long run takes linear time."""
    best: list[list[str] | None] = [None] * len(run) + [[]]  # best[i]: the symbols of run[i:]
    for i in range(len(run) - 1, -1, -1):
        for n in (2, 1):
            head = lower.get(run[i:i + n]) if i + n <= len(run) else None
            if head is not None and best[i + n] is not None:
                best[i] = [head, *best[i + n]]
                break
    return best[0]


class CapitalsFormula(FormulaError):
    """A formula typed all in capitals that reads as one alloy as written and as another once its letters
    are cased as element symbols (CONI: C O N I, or CoNi?).  Nothing typed this way is taken as written
    unless the person confirms it; ``reason`` says so without the command line's way to confirm,
    ``read`` is how it reads as written ('C O N I'), ``suggestion`` the re-cased text ('CoNi')."""

    def __init__(self, message: str, reason: str, read: str, suggestion: str):
        super().__init__(message)
        self.reason = reason
        self.read = read
        self.suggestion = suggestion


def capitals_reading(formula: str) -> tuple[str, str] | None:
    """(how it is read, 'C O N I'; the re-cased text, 'CoNi') for a formula whose letters are all capitals
    and which also reads, re-cased into element symbols, as another composition; None otherwise, and for
    text that does not parse (parse_formula says what is wrong with it).  Single capitals separated by
    amounts or brackets (V50W50, C1O1N1I1) and runs that re-case to themselves (VW, NbTaVW) are not asked
    about: only a run of capitals that spells two-letter symbols is."""
    if not isinstance(formula, str) or len(formula) > MAX_FORMULA_LENGTH:
        return None
    letters = "".join(ch for ch in formula if ch.isalpha())
    if not letters.isascii() or not letters.isupper() or not re.search(r"[A-Z]{2}", formula):
        return None
    try:
        as_written = parse_formula(formula)
        squeezed, _ = _precheck(formula)
        fixed = case_fixed(squeezed)
        if fixed is None or parse_formula(fixed).as_dict() == as_written.as_dict():
            return None
    except FormulaError:
        return None
    read = " ".join(dict.fromkeys(_SYMBOL.findall(squeezed)))
    return read, fixed


def capitals_message(formula: str) -> str | None:
    """'read as C O N I; did you mean CoNi? write element symbols with a capital then lower case' for a
    formula ``capitals_reading`` asks about, else None."""
    found = capitals_reading(formula)
    if found is None:
        return None
    read, fixed = found
    return (f"read as {read}; did you mean {_quote(fixed, 60)[1:-1]}? "
            "write element symbols with a capital then lower case")


def parse_typed_formula(formula: str, *, confirmed: bool = False) -> Composition:
    """``parse_formula`` for a formula a person typed (a command's argument, a form's field, a results
    CSV's cell): one written all in capitals that also reads as another, capitalised alloy (CONI, CoNi?)
    raises CapitalsFormula unless ``confirmed`` (the CLI's --yes, a yes in the TUI)."""
    comp = parse_formula(formula)
    found = None if confirmed else capitals_reading(formula)
    if found is not None:
        reason = f"{_quote(formula)} {capitals_message(formula)}"
        raise CapitalsFormula(f"{reason}; if {found[0]} is meant, confirm it (--yes)", reason, *found)
    return comp


def outside_vocabulary_message(unknown, lead: str) -> str:
    """``lead`` (e.g. 'constraints name elements outside the model vocabulary') and the names, with a
    case hint for each one that is an element symbol in the wrong case ('al: ... (Al?)')."""
    hints = [h for h in map(symbol_case_hint, unknown) if h]
    rest = [str(u) for u in unknown if not symbol_case_hint(u)]
    parts = ([f"{lead}: {', '.join(rest)}"] if rest else []) + hints
    return "; ".join(parts)


def symbol_case_hint(name: str) -> str | None:
    """For a name that is an element symbol in the wrong case ('al', 'AL'): 'al: element symbols start
    with a capital letter (Al?)'; None for anything else."""
    from hea_campaign.model.elements import valid_symbols

    text = str(name).strip()
    if not (1 <= len(text) <= 3 and text.isascii() and text.isalpha()):
        return None
    right = text[0].upper() + text[1:].lower()
    if right == text or right not in valid_symbols():
        return None
    rule = ("element symbols start with a capital letter" if text[0].islower()
            else "the second letter of an element symbol is lower case")
    return f"{text}: {rule} ({right}?)"


def normalise(amounts: Mapping[str, float]) -> dict[str, float]:
    """Atomic fractions (alphabetical), validating each amount."""
    if not amounts:
        raise FormulaError("the composition has no elements")
    if len(amounts) > MAX_ELEMENTS:
        raise FormulaError(f"the composition has {len(amounts)} elements; at most {MAX_ELEMENTS} are accepted")
    for el, a in amounts.items():
        if not math.isfinite(a):
            raise FormulaError(f"the amount of {el} is not a finite number")
        if a < 0:
            raise FormulaError(f"the amount of {el} is negative")
        if a == 0:
            raise FormulaError(f"the amount of {el} is zero")
    try:
        total = math.fsum(amounts.values())
    except OverflowError:
        total = math.inf
    if not math.isfinite(total):
        raise FormulaError("the amounts are too large to add up; scale them down")
    fractions = {el: amounts[el] / total for el in sorted(amounts)}
    for el, f in fractions.items():
        if f == 0:
            raise FormulaError(f"the amount of {el} is too small next to the others to be represented")
    return fractions


def _fmt(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return text


def _fmt_units(n: int, per_unit: int) -> str:
    """``_fmt(n / per_unit, log10(per_unit))`` for a whole number of units, without float formatting."""
    whole, frac = divmod(n, per_unit)
    if frac == 0:
        return str(whole)
    digits = str(frac).rjust(len(str(per_unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def _nice_ratio_form(fr: Mapping[str, float]) -> str | None:
    """Amounts relative to one element with at most two decimals, if such a form is exact."""
    els = list(fr)
    values = list(fr.values())
    best: tuple[int, int, str] | None = None  # (-elements at 1, length, text)
    for unit in sorted(set(values), reverse=True):
        hundredths = []
        for f in values:
            r = f / unit
            if not r <= 1000.5:  # too large (tested first: r * 100 can overflow to infinity)
                break
            h = r * 100
            n = round(h)
            if abs(h - n) > _NICE_TOL or n == 0:  # not two decimals / written as 0
                break
            hundredths.append(n)
        else:
            parts = [e if n == 100 else e + _fmt_units(n, 100) for e, n in zip(els, hundredths, strict=True)]
            text = "".join(parts)
            key = (-hundredths.count(100), len(text), text)
            if best is None or key < best:
                best = key
    return None if best is None else best[2]


def canonical_formula(amounts: Mapping[str, float]) -> str:
    """The canonical string for any positive amounts (see module docstring)."""
    return _settle(amounts)[0]


def _settle(amounts: Mapping[str, float]) -> tuple[str, dict[str, float]]:
    """The canonical string and the fractions read back from it."""
    text = _canonical_once(normalise(amounts))
    # The forms are chosen within a tolerance, so the composition a string stands for
    # may itself read more simply (FeNi0.02000001 -> FeNi0.02, whose own form is
    # Fe50Ni): settle on the string that is the canonical form of its own composition.
    for _ in range(3):
        again = _canonical_of_text(text)
        if again == text:
            return text, _fractions_of(text)
        text = again
    return text, _fractions_of(text)


@lru_cache(maxsize=65_536)
def _canonical_of_text(text: str) -> str:
    """The canonical string of the composition a canonical-looking string stands for
    (remembered: many inputs settle on the same few strings)."""
    return _canonical_once(_fractions_of(text))


def _fractions_of(text: str) -> dict[str, float]:
    """``normalise(_canonical_amounts(text))`` for a string this module wrote (alphabetical,
    positive finite amounts), without re-validating it."""
    amounts = _canonical_amounts(text)
    total = math.fsum(amounts.values())
    return {el: a / total for el, a in amounts.items()}


def _canonical_once(fr: Mapping[str, float]) -> str:
    """The canonical string of normalised fractions (alphabetical)."""
    units = _milli_percent(fr)
    exact = _exact_percent(fr, units)
    nice = _nice_ratio_form(fr)
    if nice is None and not exact:  # rounding to 0.001 at.% can make a ratio form exact
        nice = _nice_ratio_form(dict(zip(fr, (u / 100_000 for u in units), strict=True)))
    if nice is not None and not exact:
        return nice
    percent = "".join(e + _fmt_units(u, 1000) for e, u in zip(fr, units, strict=True))
    if nice is None or len(percent) < len(nice):
        return percent
    return nice


def _exact_percent(fr: Mapping[str, float], units: list[int]) -> bool:
    return all(abs(f * 100_000 - u) < 1e-6 for f, u in zip(fr.values(), units, strict=True))


def _milli_percent(fr: Mapping[str, float]) -> list[int]:
    """Amounts in thousandths of an at.% summing to exactly 100000 (largest remainder).

    Exact sums make the atomic-percent form a fixed point of parse -> canonical.
    """
    raw = [f * 100_000 for f in fr.values()]
    # 2e-05 * 100_000 is 1.9999999999999998: snap to the whole unit it means, so that
    # fractions read back from an atomic-percent string give that string again
    raw = [round(r) if abs(r - round(r)) < 1e-6 else r for r in raw]
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


_CANONICAL_TERM = re.compile(r"([A-Z][a-z]?)([\d.]*)")


def _canonical_amounts(text: str) -> dict[str, float]:
    return {el: float(amt or 1) for el, amt in _CANONICAL_TERM.findall(text)}


def _from_canonical(text: str) -> Composition:
    fr = _fractions_of(text)
    return Composition(tuple(fr), tuple(fr.values()))


def zero_amount_elements(formula: str) -> list[str]:
    """Elements written with amount 0 (literature series notation such as Al0CoCrFeNi)."""
    return [m.group(1) for m in re.finditer(r"([A-Z][a-z]?)(0+(?:\.0*)?)(?![\d.])", re.sub(r"\s+", "", formula))]


def parse_formula(formula: str, *, allow_zero: bool = False) -> Composition:
    """Parse user or dataset text into a canonical Composition, or raise FormulaError.

    ``allow_zero`` drops elements written with amount 0 (dataset series
    notation) instead of refusing them, as user input is.
    """
    if isinstance(formula, str) and len(formula) <= MAX_FORMULA_LENGTH:
        return _parse_cached(formula, allow_zero)  # repeated formulas (datasets, imports) parse once
    return _parse(formula, allow_zero)


@lru_cache(maxsize=16_384)
def _parse_cached(formula: str, allow_zero: bool) -> Composition:
    return _parse(formula, allow_zero)  # a Composition is immutable, so one can be shared


def _parse(formula: str, allow_zero: bool) -> Composition:
    squeezed, shown = _precheck(formula)
    amounts = _amounts(squeezed, shown, allow_zero)
    _check_symbols(_SYMBOL.findall(squeezed), shown, squeezed)
    if not amounts:
        raise FormulaError(f"{shown}: every element is written with amount zero")
    text, fr = _settle(amounts)
    _refuse_lost_traces(amounts, fr, shown)
    comp = Composition(tuple(fr), tuple(fr.values()))
    comp.__dict__["formula"] = text  # cached_property seed: the string we built from
    return comp


PERCENT_LIKE = (90.0, 110.0)  # amounts summing to this look like at.% (a typo off 100, or a part left out)


def proportion_note(formula: str, *, with_percent: bool = True, above: bool = False) -> str | None:
    """One line when a formula's amounts look like at.% (their sum within ``PERCENT_LIKE``) but do not add
    to 100: 'amounts sum to 101, read as proportions: Co 24.75, Cr 25.74, ... at.%'.  None otherwise, and
    for text that does not parse (parse_formula says what is wrong with it).  ``with_percent`` False
    leaves out the at.%; ``above`` then points to them (for a caller that shows them above the note).  A note, not a refusal:
    amounts are proportions (Fe2Ni2 is FeNi), so the alloy is what they say, renormalised."""
    try:
        comp = parse_formula(formula)
        squeezed, shown = _precheck(formula)
        total = math.fsum(_amounts(squeezed, shown, allow_zero=False).values())
    except (FormulaError, TypeError):
        return None
    group = group_percent_note(squeezed, comp, with_percent, above)
    if group is not None:
        return group
    if not PERCENT_LIKE[0] <= total <= PERCENT_LIKE[1] or abs(total - 100.0) < 1e-9:
        return None
    if not with_percent:  # the caller shows the at.% beside it
        return f"amounts sum to {_fmt(total, 3)}, not 100: read as proportions" + (" (the at.% above)" if above else "")
    pct = ", ".join(f"{e} {_fmt(p, 2)}" for e, p in comp.atomic_percent().items())
    return f"amounts sum to {_fmt(total, 3)}, read as proportions: {pct} at.%"


_TOP_TERM = re.compile(r"\(([A-Za-z\d.]+)\)([\d.]*)|([A-Z][a-z]?)([\d.]*)")


def group_percent_note(squeezed: str, comp: Composition, with_percent: bool = True, above: bool = False) -> str | None:
    """A formula with a group whose written numbers read as at.% of the alloy (``(CoCrFeNi)95Al5``: 95 +
    5 = 100) is read as chemistry (95 units of CoCrFeNi: Al 1.30 at.%), which is not what a metallurgist
    writing it means: say so, and how to write 95 at.% CoCrFeNi with 5 at.% Al.  None otherwise (no group,
    nested groups, or top-level numbers that do not look like at.%)."""
    terms = list(_TOP_TERM.finditer(squeezed))
    if "(" not in squeezed or sum(len(m.group(0)) for m in terms) != len(squeezed):
        return None
    intended: dict[str, float] = {}
    for m in terms:
        if m.group(1):
            share = float(m.group(2) or 1)
            inner: dict[str, float] = {}
            for el, a in re.findall(r"([A-Z][a-z]?)([\d.]*)", m.group(1)):  # (CoCoNi) is Co2Ni
                inner[el] = inner.get(el, 0.0) + float(a or 1)
            size = math.fsum(inner.values())
            if not size > 0:
                return None
            for el, a in inner.items():
                intended[el] = intended.get(el, 0.0) + share * a / size
        else:
            intended[m.group(3)] = intended.get(m.group(3), 0.0) + float(m.group(4) or 1)
    total = math.fsum(intended.values())
    if not PERCENT_LIKE[0] <= total <= PERCENT_LIKE[1]:
        return None
    try:
        meant = parse_formula("".join(f"{el}{a:.6g}" for el, a in intended.items()))
    except FormulaError:
        return None
    if meant.formula == comp.formula:
        return None
    read = ", ".join(f"{e} {_fmt(p, 2)}" for e, p in comp.atomic_percent().items())
    written = "".join(f"{e}{_fmt(p, 3)}" for e, p in meant.atomic_percent().items())
    how = f" (read as {read} at.%)" if with_percent else " (the at.% above)" if above else ""
    return (f"a group's number multiplies every element in it{how}; "
            f"if the numbers are at.% of the alloy, write {written}")


def _refuse_lost_traces(amounts: Mapping[str, float], settled: Mapping[str, float], shown) -> None:
    """Refuse an element below half of 0.001 at.% that the canonical string would not keep.

    Rounding to the nearest 0.001 at.% would give 0, and an element is never
    written as 0, so the atomic-percent form would store it as 0.001 at.%: more
    than was written (Fe0.000001Ni -> Fe0.001Ni99.999, ten times the Fe).  An
    amount from half a step up rounds to the nearest step as before, and a tiny
    amount that a ratio form writes exactly (Co1000Cr1000Fe0.01Mn1000Ni) is kept,
    so every canonical string still parses.  ``amounts`` are the positive
    amounts as written (after ``allow_zero`` dropped the zeros; a trace is not a
    zero), ``settled`` the fractions read back from the canonical string.
    """
    total = math.fsum(amounts.values())  # finite: _settle has normalised these amounts
    lost = []
    for el, kept in settled.items():
        f = amounts[el] / total
        if f < _HALF_STEP * (1 - 1e-9) and not math.isclose(kept, f, rel_tol=1e-3):
            lost.append(f"{el} is {_percent_text(100 * f)} at.%")
    if lost:
        step = _fmt(_STEP_AT_PCT, 3)
        raise FormulaError(
            f"{shown}: {' and '.join(lost)}, below the {step} at.% the store keeps; "
            f"leave {'it' if len(lost) == 1 else 'them'} out or write at least {step} at.%"
        )


def _percent_text(pct: float) -> str:
    """An amount below half a step, in at.% for a message: a plain decimal with two significant
    digits, or as many more as it takes to show it below half a step (0.00049999, not 0.0005)."""
    from decimal import Decimal

    if pct < 1e-6:
        return "less than 0.000001"
    half = Decimal(str(_STEP_AT_PCT)) / 2
    for digits in range(2, 17):
        shown = Decimal(f"{pct:.{digits}g}")
        if shown < half:
            break
    return format(shown.normalize(), "f")


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
