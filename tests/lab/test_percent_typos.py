"""Amounts that look like at.% but do not add to 100, and results typed next to a candidate the lab made
(a user review: Fe25Ni25Co25Cr26 was silently renormalised, and Co14Cr21Fe28Ni27Ti11, summing to 101,
was stored as a new alloy beside exported candidate Co14Cr21Fe28Ni27Ti10)."""

from __future__ import annotations

import pytest

from hea_campaign.campaign.chemistry import proportion_note
from hea_campaign.campaign.results import NearCandidate, record_result

from .conftest import candidate_statuses, counts, insert_candidates
from .test_lab_cli import _ok, _refused


@pytest.fixture
def db(store):
    return ["--db", store.url]


@pytest.mark.parametrize(("text", "note"), [
    ("Fe25Ni25Co25Cr26", "amounts sum to 101, read as proportions: Co 24.75, Cr 25.74, Fe 24.75, Ni 24.75 at.%"),
    ("Fe33.3Ni33.3Co33.3", "amounts sum to 99.9, read as proportions: Co 33.33, Fe 33.33, Ni 33.33 at.%"),
    ("Fe45Ni45", "amounts sum to 90, read as proportions: Fe 50, Ni 50 at.%"),
])
def test_amounts_near_100_but_not_100_get_a_note(text, note):
    assert proportion_note(text) == note


@pytest.mark.parametrize("text", ["Fe25Ni25Co25Cr25", "CoCrFeNi", "Al0.5CoCrCuFeNi", "Fe60Ni60", "Fe20Ni60",
                                  "Fe2Ni2", "FeQ", ""])
def test_no_note_for_100_for_ratios_or_for_text_that_is_no_formula(text):
    assert proportion_note(text) is None


def test_parse_says_the_amounts_were_read_as_proportions(capsys):
    out = _ok(capsys, "parse", "Fe25Ni25Co25Cr26", "CoCrFeNi")
    lines = out.splitlines()
    assert lines[0].startswith("Fe25Ni25Co25Cr26 -> CoCr1.04FeNi")
    assert lines[1] == "  note: amounts sum to 101, not 100: read as proportions (the at.% above)", lines[1]
    assert lines[2].startswith("CoCrFeNi -> CoCrFeNi") and len(lines) == 3


def test_result_add_says_the_amounts_were_read_as_proportions(capsys, db):
    out = _ok(capsys, "result", "add", "Fe25Ni25Co25Cr26", "--single-phase", "yes", *db)
    assert "note: amounts sum to 101, read as proportions: Co 24.75, Cr 25.74, Fe 24.75, Ni 24.75 at.%" in out
    assert "note" not in _ok(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", *db)


def test_result_import_names_rows_read_as_proportions(capsys, db, tmp_path):
    path = tmp_path / "xrd.csv"
    path.write_text("formula,single_phase\nFe25Ni25Co25Cr26,yes\nCoCrFeNi,yes\n")
    out = _ok(capsys, "result", "import", str(path), *db)
    assert "1 row(s) whose amounts look like at.% but are read otherwise" in out
    assert "line 2: Fe25Ni25Co25Cr26: amounts sum to 101" in out and "line 3" not in out


def test_a_formula_next_to_an_exported_candidate_is_refused_naming_it(capsys, store, db):
    [cid] = insert_candidates(store, ["Co14Cr21Fe28Ni27Ti10"], status="exported")
    before = counts(store)
    line = _refused(capsys, "result", "add", "Co14Cr21Fe28Ni27Ti11", "--single-phase", "no", *db)
    assert f"exported candidate {cid} (Co14Cr21Fe28Ni27Ti10)" in line
    assert "amounts sum to 101" in line and "0.89 at.%" in line
    assert f"hea-campaign result add --candidate {cid}" in line and "--yes" in line
    assert counts(store) == before
    out = _ok(capsys, "result", "add", "--candidate", str(cid), "--single-phase", "no", *db)
    assert f"candidate {cid}: exported -> measured" in out


def test_yes_stores_the_new_alloy_beside_the_candidate(capsys, store, db):
    [cid] = insert_candidates(store, ["Co14Cr21Fe28Ni27Ti10"], status="exported")
    out = _ok(capsys, "result", "add", "Co14Cr21Fe28Ni27Ti11", "--single-phase", "no", "--yes", *db)
    assert "new alloy" in out and "amounts sum to 101" in out
    assert candidate_statuses(store, [cid]) == {cid: "exported"}


def test_far_formulas_stored_alloys_and_unmade_candidates_are_not_asked_about(capsys, store, db):
    insert_candidates(store, ["Co14Cr21Fe28Ni27Ti10"], status="exported")
    insert_candidates(store, ["Al10Co20Cr20Fe25Ni25"], status="approved")  # never made: no result can be its
    _ok(capsys, "result", "add", "Co16Cr21Fe28Ni25Ti10", "--single-phase", "no", *db)  # 2 at.% away
    _ok(capsys, "result", "add", "Al10Co20Cr20Fe25Ni26", "--single-phase", "no", *db)  # 0.75 at.% away
    _ok(capsys, "result", "add", "Co14Cr21Fe28Ni27Ti10", "--single-phase", "no", *db)  # the candidate's own alloy


def test_the_tui_gets_the_same_question(store):
    """The TUI's form calls record_result with check_near until the person confirms."""
    [cid] = insert_candidates(store, ["Co14Cr21Fe28Ni27Ti10"], status="exported")
    with pytest.raises(NearCandidate) as info:
        record_result(store, "Co14Cr21Fe28Ni27Ti11", single_phase="no", check_near=True)
    assert info.value.candidate_id == cid and "--yes" not in info.value.reason
    done = record_result(store, "Co14Cr21Fe28Ni27Ti11", single_phase="no")
    assert done.new_alloy and done.formula_note.startswith("amounts sum to 101")


def test_result_correct_moving_to_a_formula_says_it_was_read_as_proportions(capsys, store, db):
    first = record_result(store, "CoCrFeNi", single_phase="yes").measurement
    out = _ok(capsys, "result", "correct", str(first.id), "--single-phase", "yes", "--formula", "Fe25Ni25Co25Cr26",
              *db)
    assert "note: amounts sum to 101, read as proportions" in out


def test_result_import_names_new_alloys_next_to_a_made_candidate(capsys, store, db, tmp_path):
    [cid] = insert_candidates(store, ["Co14Cr21Fe28Ni27Ti10"], status="exported")
    path = tmp_path / "xrd.csv"
    path.write_text("formula,single_phase\nCo14Cr21Fe28Ni27Ti11,no\nCoCrFeNi,yes\n")
    out = _ok(capsys, "result", "import", str(path), *db)
    assert "1 row(s) added a new alloy within 1 at.% of a candidate the lab made" in out
    assert f"line 2: Co14Cr21Fe28Ni27Ti11 (measurement 1) is 0.89 at.% from candidate {cid}" in out
    assert "result correct MEASUREMENT --single-phase ... --candidate ID" in out
    assert not any(ln.strip().startswith("line 3:") for ln in out.splitlines())  # CoCrFeNi is no candidate's


@pytest.mark.parametrize(("text", "written"), [
    ("(CoCrFeNi)95Al5", "Al5Co23.75Cr23.75Fe23.75Ni23.75"),
    ("Al5(CoCrFeNi)95", "Al5Co23.75Cr23.75Fe23.75Ni23.75"),
    ("(FeCoNiCr)90Mn10", "Co22.5Cr22.5Fe22.5Mn10Ni22.5"),
    ("(CoCoNi)90Mn10", "Co60Mn10Ni30"),  # a repeated element in a group adds up (Co2Ni)
])
def test_a_group_written_as_at_pct_of_the_alloy_says_how_it_was_read_and_how_to_write_it(text, written):
    """A review: (CoCrFeNi)95Al5, the metallurgist's 95 at.% CoCrFeNi + 5 at.% Al, was stored as 1.3 at.% Al
    without a word (a group's number multiplies each element in it, as in chemistry)."""
    note = proportion_note(text)
    assert note is not None and note.endswith(f"if the numbers are at.% of the alloy, write {written}"), note
    assert "read as Al 1.3," in note or "Mn 2.7," in note or "Mn 3.57," in note


@pytest.mark.parametrize("text", ["(FeNi)50(CoCr)50", "Al0.5(CoCrFeNi)", "(AlCoCrFeNi)100", "Fe2(NiCo)3",
                                  "(Fe(CoNi)2)50Cr50"])
def test_no_group_note_where_both_readings_agree_or_the_numbers_are_not_at_pct(text):
    assert proportion_note(text) is None


def test_result_add_of_a_group_formula_says_how_it_was_read(capsys, db):
    out = _ok(capsys, "result", "add", "(CoCrFeNi)95Al5", "--single-phase", "yes", *db)
    assert "if the numbers are at.% of the alloy, write Al5Co23.75Cr23.75Fe23.75Ni23.75" in out


def test_a_note_points_to_the_at_pct_above_only_where_they_are_shown():
    """`parse` prints the at.% above its note; a refusal that quotes the note (near a candidate) shows none."""
    assert proportion_note("Fe25Ni25Co25Cr26", with_percent=False) == "amounts sum to 101, not 100: read as proportions"
    assert proportion_note("Fe25Ni25Co25Cr26", with_percent=False, above=True).endswith("(the at.% above)")
    group = proportion_note("(CoCrFeNi)95Al5", with_percent=False)
    assert "(the at.% above)" not in group and "read as" not in group
