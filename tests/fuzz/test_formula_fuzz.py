"""Fuzzing the formula parser (issue 8).

Property (tests/fuzz/props.py): parse_formula returns a finite, positive,
normalised Composition whose canonical formula re-parses to exactly the same
composition, or raises FormulaError (a CampaignError) with one printable line;
nothing else escapes and nothing takes long.  Structured inputs also know their
meaning, so a formula that must parse is checked against its fractions and one
that must be refused is checked to be refused.

Crashing or interesting inputs go into tests/fuzz/corpus/formulas.jsonl, which
test_corpus.py runs every time.  More examples: --hypothesis-profile=long.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hea_campaign.campaign.chemistry import MAX_FORMULA_LENGTH, FormulaError, from_fractions, parse_formula
from hea_campaign.campaign.errors import CampaignError

from .props import PARSE_SECONDS, check_composition, check_formula, check_user_message, time_limit
from .strategies import ELEMENTS, any_text, control_text, formula_cases, formula_like_text, trace_verdict


def setup_module(module):
    parse_formula("Fe")  # imports pymatgen once, outside the time budget


@given(formula_cases())
def test_structured_formulas_parse_to_their_meaning_or_are_refused(case):
    check_formula(case.text, allow_zero=case.allow_zero, expected=case.expected)


@given(formula_cases(valid=True))
def test_valid_structured_formulas_parse_to_their_meaning(case):
    assert case.expected is None or isinstance(case.expected, dict)
    check_formula(case.text, allow_zero=case.allow_zero, expected=case.expected)


@given(formula_like_text, st.booleans())
def test_formula_alphabet_soup(text, allow_zero):
    check_formula(text, allow_zero=allow_zero)


@given(any_text, st.booleans())
def test_any_unicode_text_including_surrogates(text, allow_zero):
    check_formula(text, allow_zero=allow_zero)


@given(control_text, st.booleans())
def test_control_characters(text, allow_zero):
    check_formula(text, allow_zero=allow_zero)


@given(st.text(st.sampled_from("FeNi()0123456789. \n"), min_size=MAX_FORMULA_LENGTH - 5,
               max_size=MAX_FORMULA_LENGTH + 5))  # fmt: skip
def test_inputs_around_the_length_limit(text):
    comp = check_formula(text)
    if len(text.strip()) > MAX_FORMULA_LENGTH:
        assert comp is None


@pytest.mark.parametrize(
    "text",
    [
        "Fe" * 2500,
        "(" * 2500 + ")" * 2500,
        "(" * 99 + "Fe" + ")" * 99,
        "(" * 66 + "Fe" + ")2" * 66,
        "9" * 5000,
        "Fe" + "0" * 4998,
        "Fe" + "." * 4998,
        "Fe" + " " * 4990 + "Ni",
        "Fe1e" * 1250,
        "-" * 5000,
        "\x00" * 5000,
        "\U0010ffff" * 5000,
        "Fe" + "9" * 196,
        "Fe0." + "0" * 194 + "1",
        "Fe" * 10**6,
    ],
    ids=lambda t: f"{t[:12]!r}x{len(t)}",
)
def test_long_and_deep_inputs_finish_fast(text):
    for allow_zero in (False, True):
        check_formula(text, allow_zero=allow_zero)


fraction_values = st.one_of(
    st.floats(min_value=1e-12, max_value=1e12),
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.sampled_from([0.0, -0.0, 5e-324, 1e-300, 1e300, 1.7976931348623157e308, float("nan"), float("inf")]),
)


@given(st.dictionaries(st.sampled_from(ELEMENTS), fraction_values, min_size=0, max_size=12))
@example({"H": 1797694.0, "He": 1e-300})  # once overflowed to infinity in the ratio form (CI, 2026-11-28)
def test_from_fractions_is_canonical_or_refuses(amounts):
    with time_limit(PARSE_SECONDS, "from_fractions"):
        try:
            comp = from_fractions(amounts)
        except FormulaError as exc:
            assert isinstance(exc, CampaignError)
            check_user_message(exc)
            return
    assert all(a > 0 for a in amounts.values() if a != 0), f"{amounts} accepted with a negative amount"
    check_composition(comp, repr(amounts))
    assert set(comp.elements) == {e for e, a in amounts.items() if a != 0}


@st.composite
def plain_formulas(draw):
    """Formulas pymatgen reads correctly: amounts 0.01 to 1e4 (1e-6 to 1e12 multiplied out), groups in groups."""
    decimals = st.decimals(min_value="0.01", max_value="1000", places=3).map(lambda d: format(d, "f"))
    amount = st.one_of(st.just(""), st.integers(1, 10_000).map(str), decimals)
    element = st.tuples(st.sampled_from(ELEMENTS), amount).map("".join)
    group = st.tuples(st.lists(element, min_size=1, max_size=4).map("".join), amount).map(lambda t: f"({t[0]}){t[1]}")
    outer = st.tuples(st.lists(element | group, min_size=1, max_size=3).map("".join), amount).map(
        lambda t: f"[{t[0]}]{t[1]}"
    )
    return draw(st.lists(element | group | outer, min_size=1, max_size=5).map("".join))


@given(plain_formulas())
def test_amounts_agree_exactly_with_pymatgen_where_it_works(text):
    """Differential: the amounts multiplied out here are pymatgen's, bit for bit."""
    from pymatgen.core import Composition as PmgComposition

    from hea_campaign.campaign import chemistry

    comp = check_formula(text)
    if comp is None:  # too long, more than MAX_ELEMENTS elements, or a trace below half of 0.001 at.%
        return
    squeezed, shown = chemistry._precheck(text)
    ours = chemistry._amounts(squeezed, shown, allow_zero=False)
    theirs = {el.symbol: float(a) for el, a in PmgComposition(squeezed, strict=True).items()}
    assert ours == theirs
    assert comp == from_fractions(theirs)


@st.composite
def atomic_percent_texts(draw):
    """Atomic-percent strings with 0.001 at.% steps, many of them tiny (the rounding edge)."""
    els = draw(st.lists(st.sampled_from(ELEMENTS), min_size=2, max_size=10, unique=True))
    units = [draw(st.integers(1, 5) | st.integers(1, 99_000)) for _ in els[1:]]
    first = 100_000 - sum(units)
    if first < 1:
        units = [max(1, u * 100_000 // (sum(units) + len(units))) for u in units]
        first = 100_000 - sum(units)
    units.insert(0, first)
    return "".join(f"{e}{u / 1000:.3f}".rstrip("0").rstrip(".") for e, u in zip(els, units, strict=True))


@given(atomic_percent_texts())
def test_atomic_percent_strings_parse_to_themselves(text):
    comp = check_formula(text)
    assert comp is not None


@st.composite
def nearly_nice_texts(draw):
    """Amounts a hair off two decimals (0.020000001): the ratio form is picked within a
    tolerance, and the string it picks must still be its own canonical form.  Drawn with
    the amounts written (element -> amount)."""
    els = draw(st.lists(st.sampled_from(ELEMENTS), min_size=2, max_size=draw(st.sampled_from([2, 3, 5])), unique=True))
    parts = []
    amounts = {}
    for e in els:
        base = draw(st.sampled_from(["1", "2", "4", "5", "50", "0.5", "0.25", "0.2", "0.1", "0.05", "0.04", "0.02"]))
        if draw(st.integers(0, 3)) == 0:
            base = f"{draw(st.integers(1, 100_000)) / 100:.2f}"
        if draw(st.booleans()):
            base += ("" if "." in base else ".") + "0" * draw(st.integers(4, 7)) + str(draw(st.integers(1, 9)))
        parts.append(e + base)
        amounts[e] = float(base)
    return "".join(parts), amounts


@given(nearly_nice_texts())
def test_nearly_nice_amounts_settle_on_a_fixed_point(case):
    text, amounts = case
    verdict = trace_verdict(amounts)  # Fe0.01 beside four elements at 1000 is a trace (0.00025 at.%)
    comp = check_formula(text, expected=None if verdict == "refused" else "unknown")
    if verdict == "ok":
        assert comp is not None
