"""Hypothesis strategies for fuzzing: formulas with a known meaning, and CSV files.

Structured formulas are drawn as a tree (elements with amounts, groups with
multipliers) and rendered to text in many notations; each rendering knows what
it means ("ok" with a value, "zero", "bad" or "unknown"), so the test can say
whether the parser must accept the text, and to which fractions, or must refuse it.
A composition with a trace (an element below half of the store's 0.001 at.% step)
must be refused unless the ratio form writes it exactly (see ``trace_verdict``).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

from hypothesis import assume
from hypothesis import strategies as st
from pymatgen.core import Element

from hea_campaign.campaign.chemistry import MAX_ELEMENTS, MAX_FORMULA_LENGTH, capitals_reading
from hea_campaign.campaign.chemistry import _MISSING_INSIDE as MISSING_TOKEN  # the parser's own rule
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

ELEMENTS = tuple(e.symbol for e in Element)  # the 118 elements (no D/T isotope labels)
# Never elements, whatever comes before or after them (the tree puts a capital
# letter or '(' after every token, so a stray lowercase letter stays stray).
BAD_SYMBOLS = ("Xx", "Q", "J", "Uue", "fe", "D", "T", "E", "A", "G", "L", "M", "R", "X", "Z", "Ab", "Dd")
WHITESPACE = (" ", "  ", "\t", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2003",
              "\u2028", "\u3000")  # fmt: skip
BAD_SEPARATORS = ("-", ",", ";", "\u00b7", "\u200b", "*", "+", "_", "/", "&", "=", "|", "'", '"', "\x00", "\x1b",
                  "\ufeff", "\u2013")  # fmt: skip
BAD_AMOUNTS = ("-1", "-0.5", "- 2", "1e3", "1E-3", "2e+5", "1_000", "0,5", "1/2", "+1", "1.2.3", ".", "..", "1..",
               "\u0661", "\uff11", "\u00b2", "\u2082", "\u0663.\u0665", "\u00bd", "nan", "inf", "Infinity",
               "\u221e", "\u22121", "1.5.", "0x1F", "5%", "1,000", "\U0001d7d9")  # fmt: skip
UNKNOWN_AMOUNTS = ("NaN", "INF", "NAN", "Inf", "NaNa")  # read as element symbols: Na N, I N F ...
ZERO_AMOUNTS = ("0", "00", "0.", "0.0", "0.000", ".0", "000.00")


@dataclass(frozen=True)
class Amount:
    text: str
    kind: str  # ok | zero | bad | unknown
    value: float = 1.0


def _digits_decimal(n: int, places: int) -> str:
    s = str(n).rjust(places + 1, "0")
    return s if places == 0 else s[:-places] + "." + s[-places:]


@st.composite
def ok_amounts(draw) -> Amount:
    how = draw(st.sampled_from(["implicit", "int", "lead0", "decimal", "dot-first", "dot-last", "huge", "tiny"]))
    if how == "implicit":
        return Amount("", "ok", 1.0)
    if how == "int":
        n = draw(st.integers(1, 10**7))
        return Amount(str(n), "ok", float(n))
    if how == "lead0":
        n = draw(st.integers(1, 999))
        text = "0" * draw(st.integers(1, 4)) + str(n)
        return Amount(text, "ok", float(text))
    if how == "decimal":
        text = _digits_decimal(draw(st.integers(1, 10**8)), draw(st.integers(1, 9)))
        return Amount(text, "ok", float(text))
    if how == "dot-first":
        text = "." + str(draw(st.integers(1, 10**6))).rjust(draw(st.integers(1, 7)), "0")
        return Amount(text, "ok", float(text))
    if how == "dot-last":
        text = str(draw(st.integers(1, 10**4))) + "."
        return Amount(text, "ok", float(text))
    if how == "huge":
        text = draw(st.sampled_from("123456789")) + "9" * draw(st.integers(8, 60))
        return Amount(text, "ok", float(text))
    text = "0." + "0" * draw(st.integers(6, 60)) + str(draw(st.integers(1, 99)))
    return Amount(text, "ok", float(text))


amounts = st.one_of(
    ok_amounts(),
    ok_amounts(),
    ok_amounts(),
    st.sampled_from(ZERO_AMOUNTS).map(lambda t: Amount(t, "zero", 0.0)),
    st.sampled_from(BAD_AMOUNTS).map(lambda t: Amount(t, "bad")),
    st.sampled_from(UNKNOWN_AMOUNTS).map(lambda t: Amount(t, "unknown")),
)
good_symbols = st.one_of(st.sampled_from(DEFAULT_VOCABULARY), st.sampled_from(ELEMENTS))
symbols = st.one_of(good_symbols, good_symbols, good_symbols, st.sampled_from(BAD_SYMBOLS))


@dataclass
class Node:
    """An element with an amount, or a group of nodes with a multiplier."""

    symbol: str | None = None
    amount: Amount = field(default_factory=lambda: Amount("", "ok", 1.0))
    children: list[Node] = field(default_factory=list)
    brackets: str = "()"


def _node(depth: int, valid: bool = False):
    element = st.builds(Node, symbol=good_symbols if valid else symbols, amount=ok_amounts() if valid else amounts)
    if depth <= 0:
        return element
    group = st.builds(
        Node,
        amount=ok_amounts() if valid else amounts,
        children=st.lists(_node(depth - 1, valid), min_size=int(valid), max_size=4),
        brackets=st.sampled_from(["()", "[]"] if valid else ["()", "()", "[]", "(]", "[)"]),
    )
    return st.one_of(element, element, element, group)


# The store keeps amounts in steps of 0.001 at.%: an element below half a step (as a fraction,
# after normalisation) would be stored rounded up, so the parser refuses it, unless the ratio
# form (amounts relative to one of them, each at most 1000 and written with at most two
# decimals, none as 0) writes it exactly.  Worked out here from the amounts themselves.
TRACE_FRACTION = 0.001 / 100 / 2
RATIO_MAX = 1000.5  # a ratio amount above this is not written
RATIO_TOL = 1e-6  # in hundredths: a ratio amount this close to two decimals is exact
_FLOAT_SLACK = 1e-8  # relative: closer than this to a boundary, rounding order decides ("unknown")


def _ratio_form_exists(amounts: list[float]) -> bool | None:
    """Whether some amount, taken as 1, writes every amount exactly with at most two decimals
    (and none as 0, none above 1000.5); None when a ratio sits on the edge of either rule."""
    edge = False
    for unit in sorted(set(amounts), reverse=True):
        verdict: bool | None = True
        for a in amounts:
            r = a / unit
            if not r <= RATIO_MAX * (1 + _FLOAT_SLACK):
                verdict = False
                break
            if r > RATIO_MAX * (1 - _FLOAT_SLACK):
                verdict = None  # 1000.5 itself: the parser's own division decides
            h = 100 * r
            n = round(h)
            off = abs(h - n)
            if n == 0 or off > RATIO_TOL * (1 + 1e-2):
                verdict = False
                break
            if off > RATIO_TOL * (1 - 1e-2):
                verdict = None
        if verdict:
            return True
        edge = edge or verdict is None
    return None if edge else False


def trace_verdict(amounts: dict[str, float]) -> str:
    """"ok", "refused" or "unknown" for positive amounts (element -> amount) under the trace rule."""
    total = math.fsum(amounts.values())
    fractions = [a / total for a in amounts.values()]
    traces = [f for f in fractions if f < TRACE_FRACTION * (1 - _FLOAT_SLACK)]
    edge = [f for f in fractions if TRACE_FRACTION * (1 - _FLOAT_SLACK) <= f < TRACE_FRACTION]
    if not traces and not edge:
        return "ok"
    kept = _ratio_form_exists(list(amounts.values()))
    if kept:
        return "ok"
    if kept is None or not traces:
        return "unknown"
    return "refused"


@dataclass
class FormulaCase:
    text: str
    allow_zero: bool
    expected: dict[str, float] | None | str  # see props.check_formula


def _render(nodes: list[Node], seps: list[str]) -> str:
    out = []
    for i, n in enumerate(nodes):
        if i:
            out.append(seps[i % len(seps)])
        if n.symbol is not None:
            out.append(n.symbol + n.amount.text)
        else:
            out.append(n.brackets[0] + _render(n.children, seps) + n.brackets[1] + n.amount.text)
    return "".join(out)


def _meaning(nodes: list[Node], allow_zero: bool, symbols_seen: set[str]) -> dict[str, float] | None | str:
    """Element -> amount, None if the text must be refused, 'unknown' if it could go either way."""
    total: dict[str, float] = {}
    unknown = False
    for n in nodes:
        if n.amount.kind == "bad":
            return None
        if n.amount.kind == "unknown":
            unknown = True
        if n.symbol is not None:
            symbols_seen.add(n.symbol)
            if n.symbol not in ELEMENTS:
                return None
            if n.amount.kind == "zero":
                if not allow_zero:
                    return None
                continue
            part = {n.symbol: n.amount.value}
        else:
            if not n.children or n.amount.kind == "zero":
                return None  # empty parentheses, zero multiplier
            inner = _meaning(n.children, allow_zero, symbols_seen)
            if inner is None:
                return None
            if inner == "unknown":
                unknown = True
                continue
            part = {e: a * n.amount.value for e, a in inner.items()}
        for e, a in part.items():
            total[e] = total.get(e, 0.0) + a
    return "unknown" if unknown else total


@st.composite
def formula_cases(draw, max_depth: int = 2, valid: bool = False) -> FormulaCase:
    """``valid``: only real elements, positive amounts and whitespace (the text must parse
    unless it is too long, has too many elements or has a trace the store would round up)."""
    nodes = draw(st.lists(_node(max_depth, valid), min_size=1, max_size=draw(st.sampled_from([3, 6, 12, 40]))))
    good_seps = st.sampled_from(("",) * 6 + WHITESPACE)
    bad_too = not valid and draw(st.booleans())
    seps = draw(st.lists(good_seps | st.sampled_from(BAD_SEPARATORS) if bad_too else good_seps, min_size=1, max_size=3))
    lead = draw(st.sampled_from(("", "", " ", "\t", "\n", " \u3000")))
    trail = draw(st.sampled_from(("", "", " ", "\r\n", "\xa0")))
    text = lead + _render(nodes, seps) + trail
    allow_zero = draw(st.booleans())
    seen: set[str] = set()
    expected = _meaning(nodes, allow_zero, seen)
    if any(s in text for s in BAD_SEPARATORS):
        expected = None  # a separator that is not whitespace is always refused
    if MISSING_TOKEN.search(text.strip()):
        expected = None  # spreadsheet missing-value tokens are refused, even where they could spell Na N ...
    if len(text.strip()) > MAX_FORMULA_LENGTH:
        expected = None
    elif isinstance(expected, dict):
        if not expected:
            expected = None  # every element written with zero
        elif len(expected) > MAX_ELEMENTS:
            expected = None
        else:
            verdict = trace_verdict(expected)
            if verdict == "refused":
                expected = None  # a trace the store would round up
            elif verdict == "unknown":
                # on the edge of the rule, floating point decides: either outcome is right; a valid
                # case must know its outcome, so one this close to the edge is not drawn
                assume(not valid)
                expected = "unknown"
    return FormulaCase(text, allow_zero, expected)


# --- raw text ------------------------------------------------------------------

formula_alphabet = st.sampled_from(list("FeNiCoCrAlTiMnCuVNbMoZrHfTaWSiBC()[]0123456789.  -+eE"))
formula_like_text = st.text(formula_alphabet, max_size=80)
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)  # surrogates included
control_text = st.text(st.characters(max_codepoint=0x9F), max_size=120)


# --- CSV files -------------------------------------------------------------------

GOOD_LABELS = {"yes": True, "YES": True, " y ": True, "1": True, "True": True, "single": True,
               "Single-Phase": True, "ss": True, "no": False, "No": False, "0": False, "false": False,
               "multi": False, "multiple phases": False, "MP": False, "": None, "  ": None}  # fmt: skip
BAD_LABELS = ("maybe", "2", "=1+1", "yes please", "-1", "\u2713", "oui", "+", "@x", "n/a", "\x00")
PHASES = ("FCC", "bcc", "HCP ", "FCC+BCC", "BCC + Laves", "FCC+L12", "Laves", "B2", "amorphous", "", "+",
          "=HYPERLINK(\"x\")", "FCC\nBCC", "FCC\x0bBCC", "BCC\u2028FCC", "\u00e9ta", "FCC\x1cBCC")  # fmt: skip
UNPRINTABLE_IN_PHASES = "\x0b\x1c\u2028"  # of PHASES: control characters other than a new line in a quoted cell
BAD_FORMULAS = ("=cmd|' /C calc'!A0", "+FeNi", "-2+3", "@SUM(A1:A9)", "\t=1+1", "Xx", "FeNi!", "fe", "Fe" * 201,
                "Fe-Ni", "Al-Co-Cr", "Fe\u200bNi", "Fe\x00Ni", "Fe1e3", "Fe0", "(Fe", "D2", "Fe\u0661",
                "#FeNi", '"FeNi"x', "CoCrFeNi;", "Fe\x1bNi", "()", "NaN", "FeNaN", "#N/A", "None",
                # traces below half of the store's 0.001 at.% step: refused, not rounded up
                "Fe0.0000001Ni", "Fe" + "9" * 30 + "Ni")  # fmt: skip
FORMULA_DECOYS = ("CoCrFeMnNi", "Al0.5CoCrCuFeNi", " HfNbTaTiZr ", "Al0CoCrFeNi", "Fe\nNi", "Fe\r\nCo",
                  "(FeNi)2Cr", "[CoCr]0.5Ni", "Fe\u2028Ni", "Fe\x0bNi", "Fe\x0cNi", "Fe\x1cNi", "Fe\x85Ni",
                  "Fe\u3000Ni", "Mo Nb Ta W", "INF")  # fmt: skip


@st.composite
def good_formulas(draw) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(FORMULA_DECOYS))
    els = draw(st.lists(st.sampled_from(DEFAULT_VOCABULARY), min_size=1, max_size=6, unique=True))
    parts = []
    for e in els:
        a = draw(st.sampled_from(["", "1", "0.5", "2", "0.25", "1.5", "10", "33.3", "0.1"]))
        parts.append(e + a)
    sep = draw(st.sampled_from(["", "", " ", "  "]))
    return sep.join(parts)


@dataclass
class CsvRow:
    cells: list[str]
    bad: bool  # by construction: this row must be reported
    formula: str
    label: bool | None
    phases: str | None


@dataclass
class CsvCase:
    data: bytes
    layout: str
    rows: list[CsvRow]
    spans: list[tuple[int, int]]  # physical (first, last) line of each data row
    skip_bad: bool


def _physical(text: str) -> int:
    return len(io.StringIO(text, newline="").readlines())


def _csv_record(cells: list[str], newline: str, quote_all: bool = False) -> str:
    """One CSV record, quoting what must be quoted (csv.writer leaves a bare \r unquoted
    when the line terminator is \n, which makes files it cannot read back)."""
    out = []
    for c in cells:
        if quote_all or any(ch in c for ch in ',"\r\n'):
            c = '"' + c.replace('"', '""') + '"'
        out.append(c)
    return ",".join(out) + newline


FORMULA_HEADERS = ("formula", "Formula", " FORMULA ", "alloy", "Alloy", "alloys", "Composition", "composition ")
LABEL_HEADERS = ("single_phase", "Single Phase", "label", "Class", "class", "is_single_phase")
PHASE_HEADERS = ("phases", "Phase", "microstructure", "PHASES")
RECOGNISED = {h.strip().lower() for h in FORMULA_HEADERS + LABEL_HEADERS + PHASE_HEADERS} | {
    "formula", "property: microstructure", "property: processing method", "alloys", "class"}  # fmt: skip
extra_header = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=12).filter(
    # a header line starting with '#' is a comment to read_table (a known ambiguity, not fuzzed)
    lambda h: h.strip().lower() not in RECOGNISED and "\x00" not in h and not h.startswith("#")
)


def _expected_label(label_text: str | None, phases: str | None) -> bool | None:
    label = GOOD_LABELS.get(label_text) if label_text is not None else None
    if label is not None:
        return label
    if phases is None or not phases.strip():
        return None
    value = phases.strip().upper()
    if value in ("BCC", "FCC", "HCP"):
        return True
    return False if "+" in value else None


@st.composite
def dataset_csvs(draw) -> CsvCase:
    """A well-formed dataset CSV (written by csv.writer) whose every row's fate is known."""
    layout = draw(st.sampled_from(["generic", "generic", "seed", "mpea"]))
    if layout == "seed":
        f_name, l_name, p_name = "Alloys", "Class", None
    elif layout == "mpea":
        f_name, l_name, p_name = "FORMULA", None, "PROPERTY: Microstructure"
    else:
        f_name = draw(st.sampled_from(FORMULA_HEADERS))
        l_name = draw(st.none() | st.sampled_from(LABEL_HEADERS))
        p_name = draw(st.none() | st.sampled_from(PHASE_HEADERS))
        if f_name.strip() == "Alloys" and l_name == "Class":
            layout = "seed"
    named = [n for n in (f_name, l_name, p_name) if n is not None]
    extras = draw(st.lists(extra_header, max_size=3))
    stripped = {n.strip() for n in named}
    extras = [e for i, e in enumerate(extras) if e.strip() not in stripped | {x.strip() for x in extras[:i]}]
    header = named + extras
    order = draw(st.permutations(range(len(header))))
    header = [header[i] for i in order]

    rows: list[CsvRow] = []
    faulty = draw(st.integers(0, 2)) == 0  # a third of the files have bad rows (ragged rows aside)
    for _ in range(draw(st.integers(0, 12))):
        bad_formula = faulty and draw(st.integers(0, 5)) == 0
        formula = draw(st.sampled_from(BAD_FORMULAS)) if bad_formula else draw(good_formulas())
        bad_label = faulty and l_name is not None and draw(st.integers(0, 7)) == 0
        label_text = draw(st.sampled_from(BAD_LABELS) if bad_label else st.sampled_from(sorted(GOOD_LABELS)))
        phases = draw(st.sampled_from(PHASES)) if p_name else ""
        values = {f_name: formula, l_name: label_text, p_name: phases}
        cells = [values.get(h, draw(st.sampled_from(["", "x", "=cmd", "1,2", 'say "hi"', "\n"]))) for h in header]
        bad_cells = False
        if draw(st.integers(0, 9)) == 0:  # ragged: a short row drops trailing cells
            cut = draw(st.integers(0, len(cells)))
            dropped = header[cut:]
            cells = cells[:cut]
            formula = formula if f_name not in dropped else ""
            label_text = label_text if l_name not in dropped else ""
            phases = phases if p_name not in dropped else ""
            bad_formula = bad_formula if f_name not in dropped else True
            bad_label = bad_label and l_name not in dropped
            bad_cells = any(n in dropped for n in named)  # a column that is read has no cell: refused
        elif draw(st.integers(0, 9)) == 0:  # ragged: a long row; filled extra cells are refused, blank ones not
            filled = draw(st.booleans())
            cells = cells + (["extra", "FeNi"] if filled else ["", " "])
            bad_cells = filled
        if not cells or all(not c.strip() for c in cells):
            continue  # blank rows are not rows
        if not formula.strip():
            bad_formula = True  # a row with cells but no formula
        phases_value = phases.strip() or None
        single = None if bad_label else _expected_label(label_text if l_name is not None else None, phases_value)
        bad_phases = any(ch in phases for ch in UNPRINTABLE_IN_PHASES)  # refused as result add refuses it
        rows.append(CsvRow(cells, bad_formula or bad_label or bad_cells or bad_phases, formula.strip(), single,
                           phases_value))

    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    buf = io.StringIO(newline="")
    preamble = draw(st.lists(st.sampled_from(["# exported by the lab", "#", "", "   ", "#a,b,c"]), max_size=3))
    for p in preamble:
        buf.write(p + newline)
    quote_all = draw(st.booleans())
    buf.write(_csv_record(header, newline, quote_all))
    line = _physical(buf.getvalue())
    spans = []
    for r in rows:
        record = _csv_record(r.cells, newline, quote_all)
        buf.write(record)
        n = _physical(record)
        spans.append((line + 1, line + n))
        line += n
    if draw(st.booleans()):
        buf.write(newline * draw(st.integers(1, 2)))  # trailing blank lines
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return CsvCase(bom + buf.getvalue().encode("utf-8"), layout, rows, spans, skip_bad=draw(st.booleans()))


# raw CSV-ish bytes: recognised headers, separators, quotes and nasties glued at random
CSV_FRAGMENTS = (
    b"formula", b"Formula", b"alloy", b"Alloys", b"Class", b"FORMULA", b"PROPERTY: Microstructure", b"label",
    b"phases", b"single_phase", b"candidate_id", b"measured_on", b"notes", b"method", b"operator",
    b",", b",", b",", b";", b"\t", b"\n", b"\n", b"\r\n", b"\r", b'"', b'""', b"#", b"# comment\n",
    b"FeNi", b"CoCrFeMnNi", b"Al0.5CoCrCuFeNi", b"Fe\nNi", b"yes", b"no", b"1", b"0", b"FCC", b"BCC+FCC",
    b"=cmd|' /C calc'!A0", b"+1", b"@SUM(1)", b"-2", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3\x28", b"\xe9", b"\x00",
    b"\x0b", b"\x0c", b"\xe2\x80\xa8", b"\xc2\x85", b"\x1c", b"2024-05-01", b"2999-01-01", b"\xc2\xb2",
    b"99999999999999999999999", b"   ", b"x" * 300,
)  # fmt: skip
RAW_HEADERS = (b"", b"", b"formula,label\n", b"formula,single_phase\n", b"Alloys,Class\n", b"formula,phases\n",
               b"FORMULA,PROPERTY: Microstructure\n", b"candidate_id,single_phase,phases,notes\n")  # fmt: skip
raw_csv_bytes = st.tuples(
    st.sampled_from(RAW_HEADERS),
    st.lists(st.sampled_from(CSV_FRAGMENTS) | st.binary(max_size=8), max_size=60).map(b"".join),
).map(b"".join)

# lab-results CSVs --------------------------------------------------------------

RESULT_HEADER_SPELLINGS = {
    "formula": ("formula", "Formula", " FORMULA"), "candidate_id": ("candidate_id", "Candidate_ID"),
    "single_phase": ("single_phase", "Single_Phase ", "Single Phase"), "phases": ("phases",),
    "method": ("method", "Method"),
    "operator": ("operator",), "notes": ("notes", "NOTES"), "measured_on": ("measured_on", "Measured On"),
}  # fmt: skip
# (single_phase, phases) pairs: the first list is consistent, the second is refused
GOOD_LABEL_PHASES = (("yes", "FCC"), ("yes", ""), ("no", "FCC+BCC"), ("no", "BCC + Laves"), ("", "FCC"),
                     (" YES ", "bcc"), ("no", "Laves"), ("1", "B2"), ("0", ""), ("", "FCC + L12"),
                     ("single", "HCP"), ("no", "FCC/BCC (mixed)"), ("no", "amorphous"))  # fmt: skip
BAD_LABEL_PHASES = (("yes", "FCC+BCC"), ("no", "FCC"), ("", ""), ("maybe", ""), ("yes", "+FCC"), ("yes", "=cmd"),
                    ("", "Laves"), ("yes", "FCC++BCC"), ("no", "x" * 201), ("\u00b2", ""),
                    ("yes", "FCC\x00"), ("yes", "amorphous"))  # fmt: skip
GOOD_DATES = ("", "2024-05-01", "2000-01-01", " 2023-12-31 ", "1900-01-01")
BAD_DATES = ("2999-01-01", "yesterday", "2024-13-01", "01/05/2024", "=TODAY()", "\u0662\u0660\u0662\u0664-01-01",
             "20240501", "2024-W18-3", "0206-01-01", "2024-5-1")  # only YYYY-MM-DD, from 1900
GOOD_TEXT = ("", "XRD", "arc melted, 3x", "=cmd", "@me", "line\nbreak", "x" * 100, "caf\u00e9", "\t tab")
# who measured and the method: one line without control characters, as --operator (a tab around the
# text is stripped); notes may run over several lines, but hold no other control character
GOOD_NAMES = tuple(t for t in GOOD_TEXT if "\n" not in t) + ("Zo\u00eb \u00d8deg\u00e5rd",)
BAD_NAMES = ("line\nbreak", "Ana \x1b[2J", "Eve\u202eevil", "a\tb")
BAD_NOTES = ("n" * 2001,) + tuple(t for t in BAD_NAMES if "\n" not in t)
BAD_CANDIDATE_IDS = ("999", "\u00b2", "\u0661\u0662", "99999999999999999999999", "9223372036854775808", "-1", "0",
                     "abc", "1.0", "+1", "1e3")  # fmt: skip


@dataclass
class ResultsCase:
    data: bytes
    bad_lines: set[int]  # first physical line of every row that must be refused
    n_rows: int


@st.composite
def results_csvs(draw, candidates: dict[int, str]) -> ResultsCase:
    """A well-formed results CSV; ``candidates``: id -> formula of exported candidates in the store."""
    cols = ["single_phase"]
    key = draw(st.sampled_from(["formula", "candidate_id", "both"]))
    cols += ["formula", "candidate_id"] if key == "both" else [key]
    cols += draw(st.lists(st.sampled_from(["phases", "method", "operator", "notes", "measured_on"]), unique=True))
    order = draw(st.permutations(cols))
    header = [draw(st.sampled_from(RESULT_HEADER_SPELLINGS[c])) for c in order]
    rows = []
    faulty = draw(st.integers(0, 2)) == 0  # a third of the files have bad rows
    for _ in range(draw(st.integers(1, 8))):
        bad = False
        label, phases = draw(st.sampled_from(GOOD_LABEL_PHASES))
        if "phases" not in order:
            phases = ""
            if not label.strip():
                label = "yes"
        values = {"single_phase": label, "phases": phases}
        if faulty and draw(st.integers(0, 6)) == 0:
            values["single_phase"], values["phases"] = draw(st.sampled_from(BAD_LABEL_PHASES))
            if "phases" not in order and values["phases"]:
                values["phases"] = ""
                values["single_phase"] = "maybe"
            bad = True
        use_candidate = "candidate_id" in order and candidates and (key == "candidate_id" or draw(st.booleans()))
        if use_candidate:
            cid = draw(st.sampled_from(sorted(candidates)))
            values["candidate_id"] = str(cid)
            values["formula"] = draw(st.sampled_from(["", candidates[cid]]))
        else:
            values["candidate_id"] = ""
            values["formula"] = draw(good_formulas()).replace("Al0Co", "AlCo")
            # typed all in capitals and spelling another alloy (INF: I N F, or InF?): refused unless confirmed
            bad = bad or capitals_reading(values["formula"]) is not None
            if "formula" not in order:
                values["candidate_id"] = draw(st.sampled_from(BAD_CANDIDATE_IDS))
                bad = True
        if faulty and draw(st.integers(0, 6)) == 0:
            if "formula" in order:
                values["formula"] = draw(st.sampled_from(BAD_FORMULAS))
                values["candidate_id"] = ""
            elif "candidate_id" in order:
                values["candidate_id"] = draw(st.sampled_from(BAD_CANDIDATE_IDS))
            bad = True
        if faulty and "candidate_id" in order and draw(st.integers(0, 3)) == 0:
            values["candidate_id"] = draw(st.sampled_from(BAD_CANDIDATE_IDS))
            bad = True
        for c in ("method", "operator", "notes"):
            values[c] = draw(st.sampled_from(GOOD_TEXT if c == "notes" else GOOD_NAMES))
        for c in ("operator", "method"):
            if faulty and c in order and draw(st.integers(0, 9)) == 0:
                values[c] = draw(st.sampled_from(BAD_NAMES))
                bad = True
        if faulty and "notes" in order and draw(st.integers(0, 9)) == 0:
            values["notes"] = draw(st.sampled_from(BAD_NOTES))
            bad = True
        values["measured_on"] = draw(st.sampled_from(GOOD_DATES))
        if faulty and "measured_on" in order and draw(st.integers(0, 8)) == 0:
            values["measured_on"] = draw(st.sampled_from(BAD_DATES))
            bad = True
        cells = [values[c] for c in order]
        if all(not c.strip() for c in cells):
            continue
        if faulty and draw(st.integers(0, 12)) == 0:
            cells.append("one too many")
            bad = True
        rows.append((cells, bad))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    buf = io.StringIO(newline="")
    buf.write(_csv_record(header, newline))
    line = _physical(buf.getvalue())
    bad_lines = set()
    for cells, bad in rows:
        record = _csv_record(cells, newline)
        buf.write(record)
        n = _physical(record)
        if bad:
            bad_lines.add(line + 1)
        line += n
    return ResultsCase(buf.getvalue().encode("utf-8"), bad_lines, len(rows))
