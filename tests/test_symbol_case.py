"""An element symbol typed in the wrong case gets a hint with the right one, in formulas and in the
design space's element names (a user review: 'al' was "outside the model vocabulary", FE20NI80 said
"E is not a chemical element")."""

from __future__ import annotations

import pytest

from hea_campaign.campaign.chemistry import FormulaError, parse_formula
from hea_campaign.campaign.constraints import ConstraintError, Constraints
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

from .test_cli_front_door import refused


@pytest.mark.parametrize(("text", "hint"), [
    ("FE20NI80", "did you mean Fe20Ni80?"),
    ("fe20ni80", "did you mean Fe20Ni80?"),
    ("fe", "did you mean Fe?"),
    ("CoCrFeNiMN", "did you mean CoCrFeNiMn?"),
])
def test_a_formula_in_the_wrong_case_suggests_the_right_one(text, hint):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert hint in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["FeQ", "Xx2Fe", "CoCrFeNiX"])
def test_no_case_hint_when_no_casing_makes_it_a_formula(text):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert "did you mean" not in str(info.value)


def test_parse_command_gives_the_case_hint(capsys):
    line = refused(capsys, "parse", "FE20NI80")
    assert "E is not a chemical element" in line and "did you mean Fe20Ni80?" in line


@pytest.mark.parametrize(("field", "value", "said"), [
    ("min_fraction", {"al": 0.05}, "al: element symbols start with a capital letter (Al?)"),
    ("max_fraction", {"CR": 0.3}, "CR: the second letter of an element symbol is lower case (Cr?)"),
    ("banned", frozenset({"al"}), "al: element symbols start with a capital letter (Al?)"),
    ("allowed", frozenset({"Fe", "Ni", "Co", "Cr", "mn"}), "mn: element symbols start with a capital letter (Mn?)"),
])
def test_constraints_name_the_right_case_of_a_symbol(field, value, said):
    with pytest.raises(ConstraintError) as info:
        Constraints(**{field: value}).validate(DEFAULT_VOCABULARY)
    assert said in str(info.value)
    assert "outside the model vocabulary" not in str(info.value)


def test_an_unknown_name_beside_a_wrong_case_one_is_still_named():
    with pytest.raises(ConstraintError) as info:
        Constraints(banned=frozenset({"al", "Xx"})).validate(DEFAULT_VOCABULARY)
    message = str(info.value)
    assert "outside the model vocabulary: Xx" in message and "(Al?)" in message


@pytest.mark.parametrize("args", [("space", "set", "--min", "al:5"), ("space", "set", "--banned", "al")])
def test_space_set_gives_the_case_hint(args, seeded_store, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEA_CAMPAIGN_DB", seeded_store.url)
    line = refused(capsys, *args)
    assert "al: element symbols start with a capital letter (Al?)" in line
