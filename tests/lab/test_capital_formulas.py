"""Formulas typed all in capitals that parse, but as other elements than the alloy they spell (a user
review: CONI was stored as carbon, oxygen, nitrogen and iodine where CoNi was meant).  Wherever a person
types a formula (parse, result add, result import, result correct --formula, history, explain,
propose --from, the TUI's results form and Propose tab), such a formula is refused with the reading and the
alloy it may mean, unless confirmed (--yes; a yes in the TUI).  Dataset imports are not asked about."""

from __future__ import annotations

import pytest

from hea_campaign.campaign.chemistry import (CapitalsFormula, FormulaError, capitals_reading, parse_formula,
                                             parse_typed_formula)
from hea_campaign.campaign.results import record_result

from .conftest import counts
from .test_lab_cli import _ok, _refused

SAID = "read as C O N I; did you mean CoNi? write element symbols with a capital then lower case"


@pytest.fixture
def db(store):
    return ["--db", store.url]


@pytest.mark.parametrize(("text", "read", "meant"), [
    ("CONI", "C O N I", "CoNi"),
    ("CO20NI80", "C O N I", "Co20Ni80"),
    ("(CO)2NI", "C O N I", "(Co)2Ni"),
    ("NB", "N B", "Nb"),
])
def test_capitals_that_spell_another_alloy_are_refused_with_the_alloy_meant(text, read, meant):
    with pytest.raises(CapitalsFormula) as info:
        parse_typed_formula(text)
    message = str(info.value)
    assert f"read as {read}; did you mean {meant}? write element symbols with a capital then lower case" in message
    assert "--yes" in message and "--yes" not in info.value.reason and "\n" not in message
    assert (info.value.read, info.value.suggestion) == (read, meant)
    assert isinstance(info.value, FormulaError)
    assert parse_typed_formula(text, confirmed=True) == parse_formula(text)  # confirmed: read as written


@pytest.mark.parametrize("text", ["V", "W", "VW", "V50W50", "NbTaVW", "CoNi", "C1O1N1I1", "Al0.5CoCrCuFeNi",
                                  "BN", "FeNi"])
def test_single_capitals_and_right_casing_are_not_asked_about(text):
    assert capitals_reading(text) is None
    assert parse_typed_formula(text) == parse_formula(text)


def test_text_that_does_not_parse_keeps_its_own_case_hint():
    with pytest.raises(FormulaError) as info:
        parse_typed_formula("FE20NI80")
    assert "did you mean Fe20Ni80?" in str(info.value) and not isinstance(info.value, CapitalsFormula)


def test_datasets_are_not_asked_about():
    assert parse_formula("CONI").formula == "CINO"


def test_parse_refuses_and_yes_reads_it_as_written(capsys):
    line = _refused(capsys, "parse", "CONI")
    assert f"'CONI' {SAID}" in line and "--yes" in line
    assert _ok(capsys, "parse", "CONI", "--yes").startswith("CONI -> CINO")
    assert _ok(capsys, "parse", "V", "NbTaVW").splitlines()[1].startswith("NbTaVW -> NbTaVW")


def test_result_add_refuses_and_stores_nothing_until_yes(capsys, store, db):
    before = counts(store)
    line = _refused(capsys, "result", "add", "CONI", "--single-phase", "yes", *db)
    assert SAID in line
    assert counts(store) == before
    assert "CINO" in _ok(capsys, "result", "add", "CONI", "--single-phase", "yes", "--yes", *db)
    _ok(capsys, "result", "add", "CoNi", "--single-phase", "yes", *db)


def test_result_import_names_each_row_and_writes_nothing_until_yes(capsys, store, db, tmp_path):
    path = tmp_path / "xrd.csv"
    path.write_text("formula,single_phase\nCoNi,yes\nCONI,yes\nCOCUNI,no\n")
    before = counts(store)
    code = __import__("hea_campaign.tui.cli", fromlist=["main"]).main(["result", "import", str(path), *db])
    out = capsys.readouterr()
    assert code == 2 and "Traceback" not in out.err
    assert f"line 3: 'CONI' {SAID}" in out.err
    assert "line 4: 'COCUNI' read as C O U N I; did you mean CoCuNi?" in out.err
    assert "line 2" not in out.err
    assert counts(store) == before
    assert "3 " in _ok(capsys, "result", "import", str(path), "--yes", *db)


def test_result_correct_to_a_formula_refuses_until_yes(capsys, store, db):
    first = record_result(store, "CoCrFeNi", single_phase="yes").measurement
    before = counts(store)
    line = _refused(capsys, "result", "correct", str(first.id), "--single-phase", "yes", "--formula", "CONI", *db)
    assert SAID in line
    assert counts(store) == before
    assert "CINO" in _ok(capsys, "result", "correct", str(first.id), "--single-phase", "yes", "--formula", "CONI",
                         "--yes", *db)


def test_history_refuses_until_yes(capsys, store, db):
    record_result(store, "CONI", single_phase="yes", allow_capitals=True)
    assert SAID in _refused(capsys, "history", "CONI", *db)
    assert "CINO" in _ok(capsys, "history", "CONI", "--yes", *db)


def test_explain_and_propose_refuse_before_reading_a_model(capsys, store, db):
    assert SAID in _refused(capsys, "explain", "CONI", *db)
    assert SAID in _refused(capsys, "propose", "--from", "CoCrFeNi,CONI", *db)


def test_the_shared_request_builder_and_the_tuis_calls_ask_the_same():
    """The TUI's forms call record_result / move_result / build_proposal_request and ask a yes-no question
    on CapitalsFormula; a yes passes allow_capitals."""
    from hea_campaign.tui.present.proposal_request import build_proposal_request

    with pytest.raises(CapitalsFormula):
        build_proposal_request(starts="CoCrFeNi, CONI")
    assert build_proposal_request(starts="CoCrFeNi, CONI", allow_capitals=True).starts == ["CoCrFeNi", "CONI"]
    assert build_proposal_request(starts="V, W, NbTaVW").starts == ["V", "W", "NbTaVW"]


def test_the_tui_form_gets_the_question(store):
    with pytest.raises(CapitalsFormula) as info:
        record_result(store, "CONI", single_phase="yes")
    assert info.value.reason == f"'CONI' {SAID}"
    assert record_result(store, "CONI", single_phase="yes", allow_capitals=True).alloy.formula == "CINO"
