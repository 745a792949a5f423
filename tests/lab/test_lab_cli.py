"""The lab-loop commands through the real CLI entry point: output, one-line errors, nothing written on refusal."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest

from hea_campaign.tui.cli import main

from .conftest import candidate_statuses, counts, insert_candidates


@pytest.fixture
def db(store):
    return ["--db", store.url]


def _ok(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def _refused(capsys, *args) -> str:
    code = main(list(args))
    out = capsys.readouterr()
    assert code == 2, out
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.err
    assert "Traceback" not in out.err + out.out
    return lines[0]


def test_result_add_correct_and_history(capsys, store, db):
    out = _ok(capsys, "result", "add", "NiFe", "--single-phase", "yes", "--phases", "FCC", "--method", "XRD",
              "--measured-on", "2024-02-03", "--by", "amy", *db)  # fmt: skip
    assert "Recorded measurement 1: FeNi single phase (FCC) by XRD, measured 2024-02-03" in out
    assert "new alloy FeNi" in out
    out = _ok(capsys, "result", "correct", "1", "--single-phase", "no", "--phases", "FCC+L12",
              "--notes", "ordered peaks", "--by", "raj", *db)  # fmt: skip
    assert "measurement 2" in out and "supersedes measurement 1" in out
    out = _ok(capsys, "history", "FeNi", *db)
    assert "current label multi phase" in out
    lines = out.splitlines()
    assert "measurement 1: single phase (FCC) by XRD" in lines[1] and "SUPERSEDED by 2" in lines[1]
    assert "measurement 2: multi phase (FCC+L12)" in lines[2]
    assert "corrects 1, measured by amy - ordered peaks" in lines[2]  # who measured it carries over
    err = _refused(capsys, "result", "correct", "1", "--single-phase", "yes", *db)
    assert "already corrected by measurement 2" in err


def test_result_correct_of_a_published_result_asks_for_literature(capsys, store, db, tmp_path):
    data = tmp_path / "papers.csv"
    data.write_text("formula,phase\nMgNi,FCC+BCC\n")
    _ok(capsys, "import", str(data), *db)
    before = counts(store)
    err = _refused(capsys, "result", "correct", "1", "--single-phase", "yes", *db)
    assert "measurement 1 is a published result" in err and "new result instead (result add)" in err and "--literature" in err
    assert counts(store) == before
    assert "a published result is never moved" in _refused(capsys, "result", "correct", "1", "--single-phase", "yes",
                                                           "--formula", "FeNi", "--literature", *db)
    out = _ok(capsys, "result", "correct", "1", "--single-phase", "yes", "--phases", "FCC", "--literature", *db)
    assert "supersedes measurement 1" in out
    assert "current label single phase" in _ok(capsys, "history", "MgNi", *db)


def test_result_refusals_write_nothing(capsys, store, db):
    before = counts(store)
    assert "Q is not a chemical element" in _refused(capsys, "result", "add", "FeQ", "--single-phase", "yes", *db)
    assert "contradictory" in _refused(capsys, "result", "add", "FeNi", "--single-phase", "yes", "--phases", "FCC+BCC", *db)
    assert "formula or the candidate id" in _refused(capsys, "result", "add", "--single-phase", "no", *db)
    assert "in the future" in _refused(capsys, "result", "add", "FeNi", "--single-phase", "no", "--measured-on", "2999-01-01", *db)
    assert "not a single-phase label" in _refused(capsys, "result", "add", "FeNi", "--single-phase", "perhaps", *db)
    assert counts(store) == before


def test_result_for_a_candidate_and_import(capsys, store, db, tmp_path):
    (cid,) = insert_candidates(store, ["CoCrFeNi"], status="exported")
    out = _ok(capsys, "result", "add", "--candidate", str(cid), "--single-phase", "yes", *db)
    assert f"candidate {cid}: exported -> measured" in out
    good = tmp_path / "r.csv"
    good.write_text("formula,single_phase,phases\nFeNi,yes,FCC\nMoNbTaW,yes,BCC\n")
    out = _ok(capsys, "result", "import", str(good), *db)
    assert "measurements added: 2" in out and "new alloys: 2" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("formula,single_phase\nFeNi,yes\nFeNi,maybe\n")
    before = counts(store)
    err = _refused(capsys, "result", "import", str(bad), *db)
    assert "line 3" in err and "nothing was imported" in err
    assert counts(store) == before


def test_result_correct_moves_a_result_typed_for_the_wrong_candidate(capsys, store, db):
    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    _ok(capsys, "result", "add", "--candidate", str(wrong), "--single-phase", "yes", "--phases", "FCC", *db)
    out = _ok(capsys, "result", "correct", "1", "--single-phase", "yes", "--candidate", str(right), *db)
    assert out.splitlines() == [
        f"Recorded measurement 2: single phase (FCC) for CoCrFeNi (candidate {right}); it supersedes measurement 1 "
        f"of FeNi (candidate {wrong}), which is kept in the history",
        f"  measured now: candidate {right}",
        f"  exported again, awaiting their own result: candidate {wrong}",
    ]
    assert candidate_statuses(store, [wrong, right]) == {wrong: "exported", right: "measured"}
    old = _ok(capsys, "history", "FeNi", *db)
    assert "current label none (no current result)" in old and "(SUPERSEDED by 2 (moved to CoCrFeNi))" in old
    assert "corrects 1 (moved here from FeNi)" in _ok(capsys, "history", "CoCrFeNi", *db)
    before = counts(store)
    assert "already for CoCrFeNi" in _refused(capsys, "result", "correct", "2", "--single-phase", "yes",
                                             "--formula", "NiFeCrCo", *db)  # fmt: skip
    assert "--candidate must be between 1" in _refused(capsys, "result", "correct", "2", "--single-phase", "yes",
                                           "--candidate", "0", *db)  # fmt: skip
    assert counts(store) == before


def test_approve_reject_and_their_refusals(capsys, store, db):
    ids = insert_candidates(store, ["FeNi", "CoCrFeNi", "AlCoCrFeNi"])
    out = _ok(capsys, "approve", str(ids[0]), str(ids[1]), "--reason", "diverse", "--by", "amy", *db)
    assert f"2 candidate(s) approved: {ids[0]}, {ids[1]} (reason: diverse)" in out
    _ok(capsys, "reject", str(ids[2]), *db)
    before = counts(store)
    err = _refused(capsys, "approve", str(ids[0]), *db)
    assert f"candidate {ids[0]} is approved" in err and "Allowed from approved" in err
    assert "no candidate with id 77" in _refused(capsys, "reject", "77", *db)
    assert counts(store) == before
    assert candidate_statuses(store, ids) == {ids[0]: "approved", ids[1]: "approved", ids[2]: "rejected"}


def test_export_csv_and_json(capsys, store, db, tmp_path):
    ids = insert_candidates(store, ["FeNi", "CoCrFeNi", "HfNbTaTiZr"])
    _ok(capsys, "approve", *map(str, ids), *db)
    out = _ok(capsys, "export", "--ids", f"{ids[0]},{ids[1]}", "--mass", "20", "--out", str(tmp_path / "b.csv"), *db)
    assert "Exported 2 candidate(s)" in out and "batch 1" in out
    with open(tmp_path / "b.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["candidate_id"]) for r in rows] == ids[:2]
    assert sum(Decimal(v) for k, v in rows[1].items() if k.startswith("grams_") and v) == 20
    out = _ok(capsys, "export", "--mass", "500", "--unit", "mg", "--out", str(tmp_path / "b2.json"), *db)
    doc = json.loads((tmp_path / "b2.json").read_text())
    assert [c["candidate_id"] for c in doc["candidates"]] == [ids[2]] and doc["mass_unit"] == "mg"
    assert candidate_statuses(store, ids) == {i: "exported" for i in ids}
    before = counts(store)
    assert "no approved candidates" in _refused(capsys, "export", "--mass", "20", "--out", str(tmp_path / "c.csv"), *db)
    assert "already exists" in _refused(capsys, "export", "--mass", "20", "--out", str(tmp_path / "b.csv"), *db)
    assert "not a candidate id" in _refused(capsys, "export", "--ids", "1,x", "--mass", "20", "--out",
                                            str(tmp_path / "d.csv"), *db)  # fmt: skip
    assert counts(store) == before and not (tmp_path / "c.csv").exists()


@pytest.mark.sqlite_only("backup copies a SQLite file")
def test_backup_command(capsys, store, db, tmp_path):
    _ok(capsys, "result", "add", "FeNi", "--single-phase", "yes", *db)
    out = _ok(capsys, "backup", str(tmp_path / "copy.db"), *db)
    assert "integrity check: ok" in out and "measurement 1" in out and "alloy 1" in out
    assert "already exists" in _refused(capsys, "backup", str(tmp_path / "copy.db"), *db)


@pytest.mark.parametrize("args", [["result", "--help"], ["result", "add", "--help"], ["export", "--help"],
                                  ["history", "--help"], ["approve", "--help"], ["backup", "--help"]])  # fmt: skip
def test_help_explains(args, capsys):
    assert main(args) == 0
    assert "Usage" in capsys.readouterr().out


def test_result_correct_replaces_mistyped_masses(capsys, store, db):
    """A mass mistyped on the weigh sheet is fixed by a correction with the masses really weighed; the
    composition made is computed from them as from a sheet, and one far from the alloy is refused."""
    from hea_campaign.campaign.labels import alloy_labels

    _ok(capsys, "result", "add", "FeNi", "--single-phase", "yes", "--phases", "FCC", *db)
    before = counts(store)
    for masses, why in (("Fe:10,Ni:1", "where the alloy has 50.0 at.%"), ("Fe:10", "every element of the alloy"),
                        ("Fe:10,Ni:0", "must be positive"), ("Fe=10,Ni=10", "is not a weighed mass"),
                        ("Fe:10,Ni:9,Co:1", "and no other")):
        assert why in _refused(capsys, "result", "correct", "1", "--single-phase", "yes", "--weighed-g", masses, *db)
    assert "masses are blank" in _refused(capsys, "result", "correct", "1", "--single-phase", "yes", "--weighed-g",
                                          "  ", *db)  # not taken for 'no masses'  # fmt: skip
    assert counts(store) == before
    out = _ok(capsys, "result", "correct", "1", "--single-phase", "yes", "--weighed-g", " Fe: 10.00 , Ni:10.51", *db)
    assert "supersedes measurement 1" in out
    with store.read() as s:
        (label,) = [a for a in alloy_labels(s, store.campaign_id).values() if a.alloy.formula == "FeNi"]
    fe = (10.00 / 55.845) / (10.00 / 55.845 + 10.51 / 58.6934)
    assert label.made == ({"Fe": round(fe, 6), "Ni": round(1 - fe, 6)},) and label.label is True
    assert "FCC" in _ok(capsys, "history", "FeNi", *db).splitlines()[-1]  # the rest of the result carries over


def test_an_ingot_below_100_mg_is_refused_unless_confirmed(capsys, store, db, tmp_path):
    """`--mass 20 --unit mg` meant as 20 g wrote 20 mg ingots without a word."""
    (cid,) = insert_candidates(store, ["CoCrFeNi"])
    _ok(capsys, "approve", str(cid), *db)
    before = counts(store)
    err = _refused(capsys, "export", "--mass", "20", "--unit", "mg", "--out", str(tmp_path / "b.csv"), *db)
    assert "less than 100 mg" in err and "--mass 20000 --unit mg" in err and "--yes" in err
    assert counts(store) == before and not (tmp_path / "b.csv").exists()
    out = _ok(capsys, "export", "--mass", "20", "--unit", "mg", "--yes", "--out", str(tmp_path / "b.csv"), *db)
    assert "Exported 1 candidate(s)" in out
