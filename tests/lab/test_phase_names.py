"""Phases are stored written one way (a user review: the results browser showed fcc+bcc, FCC + µ and
FCC+BCC side by side): standard structure names in their usual case, no spaces around '+', anything
else as typed; every way a result is entered goes through campaign.results.check_phases."""

from __future__ import annotations

import csv

import pytest
from sqlmodel import select

from hea_campaign.campaign.export import export_batch
from hea_campaign.campaign.lifecycle import approve
from hea_campaign.campaign.results import correct_result, normalise_phases, record_result
from hea_campaign.db.tables import Measurement
from hea_campaign.tui.cli import main

from .conftest import insert_candidates


@pytest.mark.parametrize(("typed", "stored"), [
    ("fcc+bcc", "FCC+BCC"),
    ("FCC + µ", "FCC+µ"),
    ("FCC+BCC", "FCC+BCC"),
    ("Fcc + LAVES", "FCC+Laves"),
    ("bcc/b2", "BCC/B2"),
    ("Sigma + fcc + l12", "sigma+FCC+L12"),
    ("FCC + Laves (C14)", "FCC+Laves (C14)"),
    ("fcc (a = 3.59, ordered)", "FCC (a = 3.59, ordered)"),
    ("gamma prime + FCC", "gamma prime+FCC"),  # unknown words as typed
    ("fcc_1 + fcc_2", "fcc_1+fcc_2"),
])
def test_phase_lists_are_written_one_way(typed, stored):
    assert normalise_phases(typed) == stored


def _phases(store) -> list[str]:
    with store.read() as s:
        return [m.phases for m in s.exec(select(Measurement).order_by(Measurement.id))]


def test_result_add_stores_and_shows_the_normalised_phases(store, capsys):
    assert main(["result", "add", "FeNiCo", "--single-phase", "no", "--phases", "fcc + bcc", "--db", store.url]) == 0
    assert "multi phase (FCC+BCC)" in capsys.readouterr().out
    assert _phases(store) == ["FCC+BCC"]


def test_result_correct_and_import_store_the_normalised_phases(store, tmp_path):
    first = record_result(store, "FeNi", single_phase="yes", phases="fcc").measurement
    fixed = correct_result(store, first.id, single_phase="no", phases="Fcc + LAVES")
    assert fixed.phases == "FCC+Laves"
    path = tmp_path / "xrd.csv"
    path.write_text("formula,single_phase,phases\nCoCrFeNi,no,fcc + sigma\n")
    assert main(["result", "import", str(path), "--db", store.url]) == 0
    assert _phases(store) == ["FCC", "FCC+Laves", "FCC+sigma"]


def test_a_correction_that_only_recases_the_phases_changes_nothing(store, capsys):
    first = record_result(store, "FeNi", single_phase="no", phases="FCC+BCC").measurement
    assert main(["result", "correct", str(first.id), "--single-phase", "no", "--phases", "fcc + bcc",
                 "--db", store.url]) == 2
    assert "nothing to correct" in capsys.readouterr().err


def test_a_weigh_sheet_import_stores_the_normalised_phases(store, tmp_path):
    ids = insert_candidates(store, ["FeNi"])
    approve(store, ids)
    out = tmp_path / "sheet.csv"
    export_batch(store, mass=20, out=out, fmt="sheet")
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for r in rows[1:]:
        if r[0] == str(ids[0]):
            r[header.index("single_phase")], r[header.index("phases")] = "no", "fcc + b2"
    with open(out, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    assert main(["result", "import", str(out), "--db", store.url]) == 0
    assert _phases(store) == ["FCC+B2"]
