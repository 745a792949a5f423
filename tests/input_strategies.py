"""What a careless or hostile user types: numbers of every kind, empty and huge strings, markup,
control characters, unknown names.  Shared by the CLI and TUI property tests."""

from __future__ import annotations

from hypothesis import strategies as st

MARKUP = ["[/]", "[b]", "Fe[/b]", "[red]x[/red]", "alice [admin]", "[link=http://x]y[/link]", "[@click=app.quit]q[/]",
          "\\[", "[", "]"]
CONTROL = ["\x1b[2J", "\x1b]0;owned\x07", "\r", "\x00", "\x08", "\u202e", "\x9b31m", "\t", "\n"]
MISSING = ["NaN", "nan", "None", "inf", "-inf", "#N/A", "N/A", "null", ""]
NUMBERS = ["0", "-1", "1", "2", "0.5", "1e308", "-1e308", "1e-320", "3", "5", "100", "200", "0.01", "9" * 30,
           str(2**63), str(2**63 - 1), str(-2**63), str(2**64), "²", "٣", "1_000", "0x10", "1,5", " 7 ", "+3", "1e3"]
NAMES = ["Fe,Ni", "Fe,Fe", "Xx", "CoCrFeNi", "Al0.5CoCrCuFeNi", "FeNaN", "Fe0Ni", ",", ";", "Fe:5%", "Cr:-5%",
         "Al:200%", "0,0", "0,0;1", "1,inf", "defualt", "typo.db", "paper", "proximal", "foo", "g", "mg", "kg", "csv",
         "json", "approved", "bogus", "yes", "no", "maybe"]

numbers = st.one_of(
    st.sampled_from(NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
text = st.one_of(
    st.sampled_from(MARKUP + CONTROL + MISSING + NAMES),
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from(list("FeNiCoCrAl0123456789.[]/,;:%-")), max_size=20),
    st.just("x" * 5000),
)
values = st.one_of(numbers, text)
