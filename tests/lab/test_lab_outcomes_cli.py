"""The new lab-loop commands through the real CLI: result failed, export void, --yes, the weigh sheet,
--confirm-duplicate, and train --epochs 0; one-line errors and nothing written on refusal."""

from __future__ import annotations

import csv

import pytest


from .conftest import candidate_statuses, counts, insert_candidates
from .test_lab_cli import _ok, _refused


@pytest.fixture
def db(store):
    return ["--db", store.url]


def _approved(store, formulas):
    ids = insert_candidates(store, formulas)
    from hea_campaign.campaign.lifecycle import approve

    approve(store, ids)
    return ids


def test_result_failed_and_status(capsys, store, db, tmp_path):
    (cid,) = _approved(store, ["FeNi"])
    _ok(capsys, "export", "--mass", "20", "--out", str(tmp_path / "b.csv"), *db)
    out = _ok(capsys, "result", "failed", "--candidate", str(cid), "--reason", "oxidised", "--notes", "blue ingot", *db)
    assert f"1 candidate(s) failed in synthesis: {cid} (oxidised: blue ingot)" in out
    assert candidate_statuses(store, [cid]) == {cid: "failed"}
    assert "failed 1" in _ok(capsys, "status", *db)
    before = counts(store)
    assert "'burnt' is not one of" in _refused(capsys, "result", "failed", "--candidate", str(cid),
                                                       "--reason", "burnt", *db)  # fmt: skip
    assert counts(store) == before


def test_a_failure_entered_by_mistake_is_withdrawn_and_both_stay_in_the_history(capsys, store, db, tmp_path):
    cid, other = _approved(store, ["FeNi", "CoCrFeNi"])
    _ok(capsys, "export", "--mass", "20", "--out", str(tmp_path / "b.csv"), *db)
    _ok(capsys, "result", "failed", "--candidate", str(cid), "--reason", "cracked", "--by", "carol", *db)
    before = counts(store)
    line = _refused(capsys, "result", "not-failed", "--candidate", str(other), "--reason", "typo", *db)
    assert f"candidate {other} is exported, not failed" in line
    assert "say why" in _refused(capsys, "result", "not-failed", "--candidate", str(cid), "--reason", "  ", *db)
    assert counts(store) == before
    out = _ok(capsys, "result", "not-failed", "--candidate", str(cid), "--reason", "meant candidate 99",
              "--by", "dave", *db)
    assert f"1 failed synthesis(es) withdrawn: {cid}" in out
    assert candidate_statuses(store, [cid]) == {cid: "exported"}
    assert counts(store)["audit"] == before["audit"] + 1
    history = _ok(capsys, "history", "FeNi", *db)
    assert f"[carol] candidate {cid}: fail (exported -> failed): cracked" in history
    assert f"[dave] candidate {cid}: withdraw-failure (failed -> exported): meant candidate 99" in history
    from hea_campaign.campaign.read_models import candidates_with_ids

    (view,) = candidates_with_ids(store, [cid])  # the candidate detail's note
    assert view.status_reason == "failure (cracked) withdrawn: meant candidate 99"
    # its real result can now be entered; a second withdrawal is refused (it is not failed any more)
    _ok(capsys, "result", "add", "--candidate", str(cid), "--single-phase", "yes", *db)
    assert candidate_statuses(store, [cid]) == {cid: "measured"}
    assert f"candidate {cid} is measured, not failed" in _refused(
        capsys, "result", "not-failed", "--candidate", str(cid), "--reason", "again", *db)


def test_export_void_and_a_mass_that_needs_yes(capsys, store, db, tmp_path):
    ids = _approved(store, ["FeNi", "CoCrFeNi"])
    before = counts(store)
    line = _refused(capsys, "export", "--mass", "1e9", "--out", str(tmp_path / "huge.csv"), *db)
    assert "--yes" in line and not (tmp_path / "huge.csv").exists() and counts(store) == before
    out = _ok(capsys, "export", "--mass", "20", "--out", str(tmp_path / "b.csv"), *db)
    assert "batch 1" in out
    out = _ok(capsys, "export", "void", "1", "--reason", "wrong furnace", "--by", "dave", *db)
    assert "Batch 1 is void (wrong furnace)" in out and (tmp_path / "b.csv").exists()
    assert f"candidates {ids[0]}, {ids[1]} are approved again" in out
    assert set(candidate_statuses(store, ids).values()) == {"approved"}
    assert "already voided by dave" in _refused(capsys, "export", "void", "1", "--reason", "again", *db)
    out = _ok(capsys, "export", "--mass", "1500", "--yes", "--out", str(tmp_path / "big.csv"), *db)
    assert "1500 g per ingot" in out


def test_export_format_sheet_with_loss_and_import_it_back(capsys, store, db, tmp_path):
    (cid,) = _approved(store, ["AlCoCrFeMnNi"])
    sheet = tmp_path / "sheet.csv"
    out = _ok(capsys, "export", "--mass", "20", "--format", "sheet", "--loss", "Mn:2%,Al:1%", "--out", str(sheet), *db)
    assert "weigh sheet" in out and "summing exactly to it before the loss allowances (Al +1 %, Mn +2 %)" in out
    rows = list(csv.reader(sheet.open(newline="")))
    assert rows[0][:7] == ["candidate_id", "formula", "element", "at_pct", "grams", "loss_pct", "weighed_g"]
    assert len([r for r in rows[1:] if r[0] == str(cid)]) == 6 and len([r for r in rows if r[0] == "total"]) == 6
    for r in rows[1:]:
        if r[0] == str(cid):
            r[6] = r[4]  # weighed exactly what the sheet asked for
            r[7] = "yes"
    with sheet.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    out = _ok(capsys, "result", "import", str(sheet), *db)
    assert "measurements added: 1" in out and "composition made recorded for 1" in out
    out = _ok(capsys, "history", "AlCoCrFeMnNi", *db)
    assert "made (at.%)" in out
    assert "rows imported before: 1" in _ok(capsys, "result", "import", str(sheet), *db)
    # what was weighed, allowances included: more Mn and Al than the nominal sixths (the wording says so)
    from sqlmodel import select

    from hea_campaign.db.tables import Measurement

    with store.read() as s:
        made = s.exec(select(Measurement).where(Measurement.candidate_id == cid)).one().made_composition
    assert made["Mn"] > made["Al"] > made["Co"] and abs(sum(made.values()) - 1) < 1e-5


def test_result_add_twice_needs_confirm_duplicate(capsys, store, db):
    _ok(capsys, "result", "add", "FeNi", "--single-phase", "yes", "--method", "XRD", *db)
    before = counts(store)
    assert "--confirm-duplicate" in _refused(capsys, "result", "add", "FeNi", "--single-phase", "yes",
                                             "--method", "XRD", *db)  # fmt: skip
    assert counts(store) == before
    _ok(capsys, "result", "add", "FeNi", "--single-phase", "yes", "--method", "XRD", "--confirm-duplicate", *db)
    assert counts(store)["measurement"] == before["measurement"] + 1


@pytest.mark.parametrize("command", ["train", "retrain"])
def test_training_refuses_zero_epochs(capsys, store, db, command):
    assert "--epochs must be between 1" in _refused(capsys, command, "--epochs", "0", "--activate", *db)
