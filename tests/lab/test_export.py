"""Synthesis batches: exact masses, correct wt.%, spreadsheet-safe cells, atomic write, store in step with the file."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from decimal import Decimal

import pytest
from sqlmodel import select

from hea_campaign.campaign import export as export_mod
from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.export import export_batch, neutralise
from hea_campaign.campaign.lifecycle import TransitionError, approve
from hea_campaign.db.tables import AuditEvent, ExportBatch

from .conftest import candidate_statuses, counts, insert_candidates

FE, NI = 55.845, 58.693  # g/mol, from a periodic table (not from the code under test)
AWKWARD = ["FeNi", "Al0.3CoCrFeNiTi0.1", "HfNbTaTiZr", "Co17Cr23Fe29Mn13Ni18", "Al0.5CoCrCuFeNi", "MoNbTaVW"]
TEXT_COLUMNS = {"formula", "flags", "flag_reasons", "approval_note", "mass_unit", "conformal_set", "nearest_measured",
                "price_source"}


def _approved(store, formulas, **kw):
    ids = insert_candidates(store, formulas, **kw)
    approve(store, ids, by="alice")
    return ids


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _store_state(store):
    with store.read() as s:
        return counts(store) | {"batches": len(s.exec(select(ExportBatch)).all())}


def test_fe_ni_weight_percent_and_grams_match_a_hand_computation(store, tmp_path):
    (cid,) = _approved(store, ["FeNi"])
    out = tmp_path / "b.csv"
    export_batch(store, mass=20, out=out, by="bob")
    (row,) = _read_csv(out)
    wt_fe = 100 * FE / (FE + NI)
    assert float(row["wt_pct_Fe"]) == pytest.approx(wt_fe, abs=2e-3)
    assert float(row["wt_pct_Ni"]) == pytest.approx(100 - wt_fe, abs=2e-3)
    assert float(row["at_pct_Fe"]) == 50.0
    assert float(row["grams_Fe"]) == pytest.approx(20 * FE / (FE + NI), abs=2e-4)
    assert Decimal(row["grams_Fe"]) + Decimal(row["grams_Ni"]) == Decimal(20)
    assert row["candidate_id"] == str(cid) and row["formula"] == "FeNi"


@pytest.mark.parametrize(("mass", "unit"), [(20, "g"), (7.3, "g"), (2.5001, "g"), (500, "mg"), (1234.5, "mg")])
def test_masses_sum_exactly_to_the_target_and_stay_within_rounding(store, tmp_path, mass, unit):
    _approved(store, AWKWARD)
    out = tmp_path / "b.csv"
    result = export_batch(store, mass=mass, unit=unit, out=out)
    col = "grams" if unit == "g" else "milligrams"
    rows = _read_csv(out)
    assert len(rows) == len(AWKWARD)
    for row in rows:
        comp = parse_formula(row["formula"])
        masses = {e: Decimal(row[f"{col}_{e}"]) for e in comp.elements}
        assert sum(masses.values()) == Decimal(str(mass)), row["formula"]
        assert all(row[f"{col}_{e}"] == "" for e in result.elements if e not in comp.elements)
        molar = {e: f * export_mod.atomic_mass(e) for e, f in comp.as_dict().items()}
        total = sum(molar.values())
        step = Decimal("0.0001") if unit == "g" else Decimal("0.1")
        for e, m in masses.items():
            exact = Decimal(mass * molar[e] / total)
            assert abs(m - exact) < step, (row["formula"], e)  # largest remainder moves each by < one step
            assert m % step == 0
        assert sum(float(row[f"wt_pct_{e}"]) for e in comp.elements) == pytest.approx(100, abs=1e-3)
        assert sum(float(row[f"at_pct_{e}"]) for e in comp.elements) == pytest.approx(100, abs=1e-3)


def test_text_cells_are_neutralised_and_numbers_stay_numbers(store, tmp_path):
    flags = [{"flag": "+low_density", "reason": "@SUM(A1)"}, {"flag": "out_of_range", "reason": "-2+3"}]
    ids = insert_candidates(store, ["FeNi", "CoCrFeNi"], flags=flags, p_single=0.61)
    approve(store, ids, by="alice", reason='=HYPERLINK("http://x","y")')
    out = tmp_path / "b.csv"
    export_batch(store, mass=20, out=out)
    rows = _read_csv(out)
    for row in rows:
        assert row["approval_note"] == "'" + '=HYPERLINK("http://x","y")'
        assert row["flags"] == "'+low_density;out_of_range"
        assert row["flag_reasons"].startswith("'+low_density: @SUM(A1)")
        for name, value in row.items():
            if name in TEXT_COLUMNS or value == "":
                continue
            float(value)  # every other cell is a plain number
            assert not value.startswith("'")
        assert float(row["p_single"]) == 0.61
        assert int(row["candidate_id"]) in ids
    for dangerous in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "  =x"):
        assert neutralise(dangerous) == "'" + dangerous
    for safe in ("FeNi", "low density", "1-2", "a=b"):
        assert neutralise(safe) == safe


def test_json_batch_has_numbers_as_numbers_and_text_kept_exactly(store, tmp_path):
    ids = insert_candidates(store, AWKWARD[:3], flags=[{"flag": "inconsistent", "reason": "=gap 0.3"}])
    approve(store, ids, reason="-promising")
    out = tmp_path / "b.json"  # format from the suffix
    result = export_batch(store, mass=10, out=out)
    assert result.format == "json"
    doc = json.loads(out.read_text())
    assert doc["target_mass"] == 10 and doc["mass_unit"] == "g"
    assert [c["candidate_id"] for c in doc["candidates"]] == ids
    priced = [c["cost_usd_per_ingot"] for c in doc["candidates"] if c.get("cost_usd_per_ingot") is not None]
    assert doc["batch_cost_usd"] == pytest.approx(sum(priced), abs=0.005 * (len(priced) + 1)) and priced
    assert doc["candidates_without_price"] == len(ids) - len(priced)
    for c in doc["candidates"]:
        assert isinstance(c["candidate_id"], int) and isinstance(c["p_single"], float)
        assert c["approval_note"] == "-promising" and c["flags"][0]["reason"] == "=gap 0.3"
        assert all(isinstance(e["mass"], float) and isinstance(e["wt_pct"], float) for e in c["elements"])
        assert sum(Decimal(str(e["mass"])) for e in c["elements"]) == 10


def test_export_marks_candidates_and_records_the_batch(store, tmp_path):
    ids = _approved(store, ["FeNi", "CoCrFeNi"])
    (left,) = insert_candidates(store, ["AlCoCrFeNi"])  # proposed: not part of the batch
    before = counts(store)
    out = tmp_path / "batch.csv"
    result = export_batch(store, mass=20, out=out, by="bob")
    assert result.candidate_ids == ids
    assert candidate_statuses(store, ids + [left]) == {ids[0]: "exported", ids[1]: "exported", left: "proposed"}
    with store.read() as s:
        (batch,) = s.exec(select(ExportBatch)).all()
        events = s.exec(select(AuditEvent).where(AuditEvent.id > before["audit"])).all()
    assert batch.file_sha256 == hashlib.sha256(out.read_bytes()).hexdigest() == result.sha256
    assert batch.candidate_ids == ids and batch.path == str(out.resolve()) and batch.format == "csv"
    assert batch.mass_g == 20 and batch.created_by == "bob"
    assert counts(store)["audit"] == before["audit"] + len(ids) + 1
    assert sorted(e.action for e in events) == ["candidate.export"] * 2 + ["export_batch.create"]
    assert all(e.payload.get("export_batch_id") == batch.id for e in events if e.entity == "candidate")
    with pytest.raises(CampaignError, match="no approved candidates"):
        export_batch(store, mass=20, out=tmp_path / "again.csv")  # exported ones cannot go out twice


def test_mg_unit_and_stored_mass_in_grams(store, tmp_path):
    _approved(store, ["FeNi"])
    out = tmp_path / "b.csv"
    export_batch(store, mass=750, unit="mg", out=out)
    (row,) = _read_csv(out)
    assert row["mass_unit"] == "mg" and Decimal(row["milligrams_Fe"]) + Decimal(row["milligrams_Ni"]) == 750
    with store.read() as s:
        assert s.exec(select(ExportBatch)).one().mass_g == 0.75


def test_a_failed_write_leaves_no_file_and_an_unchanged_store(store, tmp_path, monkeypatch):
    ids = _approved(store, ["FeNi", "CoCrFeNi"])
    before = _store_state(store)
    folder = tmp_path / "out"
    folder.mkdir()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(CampaignError, match="could not write.*nothing was exported"):
        export_batch(store, mass=20, out=folder / "b.csv")
    assert list(folder.iterdir()) == []  # neither the file nor its temporary file
    assert _store_state(store) == before
    assert set(candidate_statuses(store, ids).values()) == {"approved"}


def test_a_failing_store_update_removes_the_new_file(store, tmp_path, monkeypatch):
    _approved(store, ["FeNi"])
    before = _store_state(store)

    def broken(*a, **kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(export_mod, "mark_exported", broken)
    out = tmp_path / "b.csv"
    with pytest.raises(RuntimeError):
        export_batch(store, mass=20, out=out)
    assert not out.exists() and not list(tmp_path.glob(".b.csv*"))
    assert _store_state(store) == before


def test_selection_problems_are_refused_with_nothing_written(store, tmp_path):
    approved = _approved(store, ["FeNi"])
    (proposed,) = insert_candidates(store, ["CoCrFeNi"])
    before = _store_state(store)
    out = tmp_path / "b.csv"
    with pytest.raises(TransitionError, match=rf"only approved.*candidate {proposed} is proposed"):
        export_batch(store, ids=[approved[0], proposed], mass=20, out=out)
    with pytest.raises(CampaignError, match="no candidate with id 999"):
        export_batch(store, ids=[999], mass=20, out=out)
    with pytest.raises(CampaignError, match="no candidates selected"):
        export_batch(store, ids=[], mass=20, out=out)
    with pytest.raises(CampaignError, match="no rejected candidates"):
        export_batch(store, status="rejected", mass=20, out=out)
    with pytest.raises(CampaignError, match="candidate .* is proposed"):
        export_batch(store, status="proposed", mass=20, out=out)
    for mass, unit, msg in [(0, "g", "positive"), (-1, "g", "positive"), (20.00001, "g", "0.1 mg"),
                            (float("nan"), "g", "positive"), (20, "kg", "unit")]:  # fmt: skip
        with pytest.raises(CampaignError, match=msg):
            export_batch(store, mass=mass, unit=unit, out=out)
    assert not out.exists()
    assert _store_state(store) == before


def test_an_element_lighter_than_the_balance_step_is_refused(store, tmp_path):
    (cid,) = _approved(store, ["Al0.01CoCrFeNi"])  # Al is about 0.12 wt.%
    before = _store_state(store)
    with pytest.raises(CampaignError, match=rf"candidate {cid} .*Al would weigh less than 0.1 mg"):
        export_batch(store, mass=20, unit="mg", out=tmp_path / "b.csv", confirm=True)  # a small ingot, confirmed
    assert _store_state(store) == before and not (tmp_path / "b.csv").exists()
    export_batch(store, mass=1, unit="g", out=tmp_path / "b.csv")  # 1.2 mg of Al is fine


def test_an_existing_file_is_never_overwritten(store, tmp_path):
    _approved(store, ["FeNi"])
    out = tmp_path / "b.csv"
    out.write_text("precious")
    before = _store_state(store)
    with pytest.raises(CampaignError, match="already exists"):
        export_batch(store, mass=20, out=out)
    assert out.read_text() == "precious" and _store_state(store) == before
    with pytest.raises(CampaignError, match="does not exist"):
        export_batch(store, mass=20, out=tmp_path / "missing" / "b.csv")
    with pytest.raises(CampaignError, match="format"):
        export_batch(store, mass=20, out=tmp_path / "b.xlsx", fmt="xlsx")


def test_a_candidate_whose_alloy_was_measured_since_is_not_exported_without_a_yes(store, tmp_path, capsys):
    """A result typed by formula for an approved candidate's alloy does not move the candidate; making the
    alloy again would spend a furnace day on a known answer, so the export asks."""
    from hea_campaign.campaign.candidates import _lab_results
    from hea_campaign.campaign.export import AlreadyMeasured
    from hea_campaign.campaign.results import add_result
    from hea_campaign.tui.cli import main

    a, b = insert_candidates(store, ["CoCr0.6FeNi1.4", "FeNi"])
    approve(store, [a, b])
    m = add_result(store, "CoCr0.6FeNi1.4", single_phase=False, phases="FCC+BCC")
    before = counts(store)
    with pytest.raises(AlreadyMeasured, match=rf"candidate {a} \(CoCr0.6FeNi1.4\): measurement {m.id} says multi "
                                              r"phase\. Reject them, or export anyway"):
        export_batch(store, ids=[a, b], mass=20, out=tmp_path / "b.csv")
    assert counts(store) == before and not (tmp_path / "b.csv").exists()
    assert main(["export", "--ids", f"{a},{b}", "--mass", "20", "--out", str(tmp_path / "c.csv"),
                 "--db", store.url]) == 2
    assert "already measured" in capsys.readouterr().err
    with store.read() as session:  # what the candidate's detail lists under "Lab results"
        results = _lab_results(session, store.campaign_id, a, "CoCr0.6FeNi1.4")
    assert [(r["id"], r["single_phase"], r["for_candidate"]) for r in results] == [(m.id, False, False)]
    res = export_batch(store, ids=[a, b], mass=20, out=tmp_path / "b.csv", allow_measured=True)  # a replicate
    assert sorted(res.candidate_ids) == [a, b]


def test_a_dataset_row_for_an_approved_candidates_alloy_does_not_stop_its_export(store, tmp_path):
    """Only the lab's own results make an alloy "already measured"; the literature may disagree with a furnace."""
    from hea_campaign.campaign.importing import import_csv

    (a,) = insert_candidates(store, ["AlCoCrFeNi"])
    approve(store, [a])
    dataset = tmp_path / "papers.csv"
    dataset.write_text("formula,phases\nAlCoCrFeNi,BCC+B2\n")
    import_csv(store, dataset)
    assert export_batch(store, ids=[a], mass=20, out=tmp_path / "b.csv").candidate_ids == [a]


def test_a_batch_of_tiny_ingots_costs_what_its_raw_materials_cost_not_0_00_usd(store, tmp_path):
    """100 mg ingots of FeNi and Fe2Ni cost about a tenth of a cent each: the file, the batch total and the lines
    of the CLI and the TUI say so, where rounding to the cent showed 0.00 USD."""
    import re

    from hea_campaign.campaign.economics import pymatgen_prices
    from hea_campaign.tui.present.report import export_notice, format_export

    price = pymatgen_prices().prices  # USD/kg, pymatgen's table (the store has no lab price list)
    hand = {}
    for formula, n_fe in (("FeNi", 1), ("Fe2Ni", 2)):
        m_fe, m_ni = n_fe * FE, NI
        per_kg = (m_fe * price["Fe"] + m_ni * price["Ni"]) / (m_fe + m_ni)
        hand[formula] = per_kg * 0.1 / 1000  # a 100 mg ingot
    assert all(0 < v < 0.005 for v in hand.values()), hand  # below half a cent: what rounding made 0.00
    ids = _approved(store, list(hand))
    out = tmp_path / "tiny.csv"
    res = export_batch(store, mass=100, unit="mg", out=out)
    rows = {int(r["candidate_id"]): r for r in _read_csv(out)}
    for cid, formula in zip(ids, hand):
        assert float(rows[cid]["cost_usd_per_ingot"]) == pytest.approx(hand[formula], rel=0.05)
    total, unpriced = res.batch_cost
    assert unpriced == 0 and total == pytest.approx(sum(hand.values()), rel=0.05)
    for text, pattern in ((format_export(res), r"raw-material cost of the batch: ([0-9.]+) USD for one ingot"),
                          (export_notice(res), r"; raw materials ([0-9.]+) USD for one ingot")):
        assert "0.00 USD" not in text
        shown = re.search(pattern, text)
        assert shown and float(shown.group(1)) == pytest.approx(sum(hand.values()), rel=0.05), text


def test_the_batch_cost_sums_the_ingots_before_rounding(store, tmp_path):
    """Six Fe-Ni ingots of 20 g at 0.7 USD/kg cost 0.014 USD each, 0.084 USD together: the batch cost is 0.08
    USD (it summed the ingot costs rounded to the cent, 6 x 0.01 = 0.06 USD, and drifted by up to half a cent
    an ingot); the file's per-ingot cells stay rounded to the cent."""
    from hea_campaign.campaign.design_space import import_price_list
    from hea_campaign.tui.present.report import format_export

    prices = tmp_path / "prices.csv"
    prices.write_text("element,usd_per_kg\nFe,0.7\nNi,0.7\n")
    import_price_list(store, prices)
    _approved(store, ["FeNi", "Fe2Ni", "FeNi2", "Fe3Ni", "FeNi3", "Fe3Ni2"])
    out = tmp_path / "b.json"
    res = export_batch(store, mass=20, out=out)
    doc = json.loads(out.read_text())
    assert [c["cost_usd_per_ingot"] for c in doc["candidates"]] == [0.01] * 6
    assert all(not k.startswith("_") for c in doc["candidates"] for k in c)
    assert res.batch_cost == (0.08, 0) and doc["batch_cost_usd"] == 0.08
    assert "raw-material cost of the batch: 0.08 USD for one ingot of each" in format_export(res)


def test_a_cost_below_a_cent_is_shown_to_two_significant_digits_and_cents_stay_cents():
    from types import SimpleNamespace

    from hea_campaign.campaign.export import round_usd
    from hea_campaign.tui.present.design_report import trust_lines
    from hea_campaign.tui.present.money import usd

    assert [usd(v) for v in (0, 0.00117, 0.0099, 0.00999, 0.01, 0.05, 12.3456, 4.2e-5, 0.001)] == [
        "0.00 USD", "0.0012 USD", "0.0099 USD", "0.01 USD", "0.01 USD", "0.05 USD", "12.35 USD", "0.000042 USD",
        "0.001 USD"]
    assert [round_usd(v) for v in (0, 0.00117, 4.26e-5, 0.0149, 12.3456)] == [0, 0.0012, 4.3e-5, 0.01, 12.35]
    detail = SimpleNamespace(candidate=SimpleNamespace(uncertainty={}), cost_per_kg=11.74, cost_per_ingot=0.001174,
                             ingot_g=0.1, price_source="pymatgen", density=None, ingot_batch=7)
    (line,) = trust_lines(detail)  # the candidate detail, in the CLI and the TUI
    assert line == ("  raw-material cost: 11.74 USD/kg, 0.0012 USD per 0.1 g ingot (the mass of export batch 7; "
                    "prices: pymatgen)")


@pytest.mark.parametrize("step", ["temp-written", "renamed", "before-commit"])
def test_a_ctrl_c_while_the_file_is_written_leaves_no_file_and_nothing_exported(store, tmp_path, monkeypatch, step):
    """Ctrl+C after the file was renamed into place but before the write returned (while the folder is
    synced) left the file beside a store that had forgotten the batch: a sheet to weigh from whose
    candidates were still approved, and exported again into a second file by the next export."""
    ids = _approved(store, ["FeNi", "CoCrFeNi"])
    folder = tmp_path / "batches"
    folder.mkdir()
    out = folder / "b.csv"

    def interrupt(name):
        if name == step:
            raise KeyboardInterrupt

    monkeypatch.setattr(export_mod, "STEP_HOOK", interrupt)
    with pytest.raises(KeyboardInterrupt):
        export_batch(store, mass=20, out=out)
    monkeypatch.setattr(export_mod, "STEP_HOOK", None)
    assert not out.exists() and sorted(p.name for p in folder.iterdir()) == []  # no file, no temporary file
    assert candidate_statuses(store, ids) == {i: "approved" for i in ids}
    with store.read() as s:
        assert s.exec(select(ExportBatch)).all() == []
    again = export_batch(store, mass=20, out=folder / "c.csv")
    assert again.candidate_ids == ids and sorted(p.name for p in folder.iterdir()) == ["c.csv"]


def test_a_ctrl_c_after_the_store_committed_keeps_the_file_of_the_batch_it_records(store, tmp_path, monkeypatch):
    """Ctrl+C after the final commit but before the write block returned (the session still closing) ran
    the cleanup of a failed export: the file of a batch the store records as complete was deleted, and its
    candidates stayed exported with no sheet to weigh from."""
    from hea_campaign.db import engine as engine_mod

    ids = _approved(store, ["FeNi", "CoCrFeNi"])
    folder = tmp_path / "batches"
    folder.mkdir()
    out = folder / "b.csv"
    armed = []

    class InterruptedAfterCommit(engine_mod.Session):
        def commit(self):
            super().commit()
            if armed:
                armed.clear()
                raise KeyboardInterrupt

    monkeypatch.setattr(export_mod, "STEP_HOOK", lambda name: name == "before-commit" and armed.append(name))
    monkeypatch.setattr(engine_mod, "Session", InterruptedAfterCommit)
    with pytest.raises(KeyboardInterrupt):
        export_batch(store, mass=20, out=out)
    monkeypatch.setattr(export_mod, "STEP_HOOK", None)
    with store.read() as s:
        (batch,) = s.exec(select(ExportBatch)).all()
    assert batch.state == "complete" and batch.candidate_ids == ids
    assert sorted(p.name for p in folder.iterdir()) == ["b.csv"]  # the file of the recorded batch, nothing else
    assert hashlib.sha256(out.read_bytes()).hexdigest() == batch.file_sha256
    assert candidate_statuses(store, ids) == {i: "exported" for i in ids}
    with pytest.raises(CampaignError, match="no approved candidates"):  # nothing goes out a second time
        export_batch(store, mass=20, out=folder / "c.csv")
    assert sorted(p.name for p in folder.iterdir()) == ["b.csv"]


def test_the_readme_lists_the_export_columns_the_file_has():
    """A review scripted against the README's column list, which had fallen behind the file (seven trust
    and cost columns sit between mass_unit and the element columns)."""
    import re
    from pathlib import Path

    from hea_campaign.campaign.export import render_csv

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = re.search(r"`export` writes one row per candidate: `([^`]+)`, then `at_pct_<El>`", readme)
    assert listed is not None
    header = render_csv([], [], 0, "g").decode().strip().split(",")
    assert [c.strip() for c in listed.group(1).split(",")] == header
