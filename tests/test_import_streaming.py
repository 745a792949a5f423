"""Streaming import: chunks give the same store and report as one pass; all or nothing; fast re-import."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from hea_campaign.campaign import importing
from hea_campaign.campaign.importing import ImportFailed, import_csv
from hea_campaign.campaign.store import CampaignStore
from hea_campaign.db.tables import Alloy, Measurement

from .conftest import MPEA_CSV, SEED_CSV


def _contents(store):
    with store.read() as s:
        alloys = sorted((a.formula, a.n_elements, a.outside_vocabulary, a.source, tuple(sorted(a.composition.items())))
                        for a in s.exec(select(Alloy)))
        formula = {a.id: a.formula for a in s.exec(select(Alloy))}
        ms = sorted((m.source_key, formula[m.alloy_id], m.single_phase, m.phases, m.method, m.source, m.source_formula)
                    for m in s.exec(select(Measurement)))
    return alloys, ms


@pytest.mark.parametrize("csv", [SEED_CSV, MPEA_CSV], ids=["seed", "mpea"])
def test_small_chunks_give_the_same_store_and_report_as_one_chunk(make_db, monkeypatch, csv):
    out = []
    for chunk in (10**7, 37):
        monkeypatch.setattr(importing, "CHUNK_ROWS", chunk)
        store = CampaignStore.open(make_db(name=f"c{chunk}"), actor="tester")
        try:
            report = import_csv(store, csv, source="data.csv")
            out.append((dataclasses.asdict(report), _contents(store)))
        finally:
            store.close()
    (r1, c1), (r2, c2) = out
    assert r1 == r2
    assert c1 == c2
    assert r1["measurements_added"] == r1["rows"] - len(r1["errors"]) > 37
    assert len(c1[1]) == r1["measurements_added"]


def test_an_import_reports_the_rows_read_after_every_chunk(store, tmp_path, monkeypatch):
    """`import` of 200,000 rows printed nothing for 81 s: it is now told the rows read after each chunk."""
    monkeypatch.setattr(importing, "CHUNK_ROWS", 4)
    f = tmp_path / "d.csv"
    f.write_text("formula,single_phase\n" + "".join(f"Fe{i}Ni,yes\n" for i in range(1, 11)))
    seen: list[int] = []
    report = import_csv(store, f, progress=seen.append)
    assert seen == [4, 8, 10] and report.measurements_added == 10


def test_a_bad_row_in_a_late_chunk_writes_nothing(store, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 3)
    f = tmp_path / "late.csv"
    f.write_text("formula,single_phase\n" + "".join(f"Fe{i}Ni,yes\n" for i in range(1, 20)) + "FeXx,no\nCoCr,no\n")
    with pytest.raises(ImportFailed) as exc:
        import_csv(store, f)
    assert [line for line, _ in exc.value.report.errors] == [21]
    assert _contents(store) == ([], [])
    report = import_csv(store, f, skip_bad=True)
    assert (report.measurements_added, report.alloys_added) == (20, 20)


def test_an_unchanged_reimport_is_recognised_without_parsing_its_rows(store, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 4)
    f = tmp_path / "d.csv"
    f.write_text("formula,single_phase\nFeNi,yes\nCoCr,no\nFeNi,yes\nAlCoCrFeNi,\nbad,yes\n")
    first = import_csv(store, f, skip_bad=True)
    assert (first.measurements_added, first.rows) == (4, 5)
    before = _contents(store)

    parsed = []
    real = importing.parse_formula

    def counting(text, **k):
        parsed.append(text)
        return real(text, **k)

    monkeypatch.setattr(importing, "parse_formula", counting)
    again = import_csv(store, f, skip_bad=True)
    assert parsed == ["bad"]  # only the row the store does not hold (still bad)
    assert again.errors == first.errors
    assert (again.measurements_added, again.alloys_added, again.already_imported, again.rows) == (0, 0, 4, 5)
    assert (again.labelled_rows, again.unlabelled_rows) == (3, 1)
    assert _contents(store) == before
    # a grown file is imported (and parsed) again, adding only the new row
    monkeypatch.undo()
    f.write_text(f.read_text() + "CoCrNi,yes\n")
    grown = import_csv(store, f, skip_bad=True)
    assert (grown.measurements_added, grown.already_imported, grown.alloys_added) == (1, 4, 1)


def test_an_empty_campaign_skips_store_lookups_and_gives_the_same_rows(make_db, monkeypatch, tmp_path):
    """Into an empty campaign nothing is looked up but formulas repeated in the file (across chunks too);
    the store ends as it does when every row is looked up (a campaign that already holds an alloy)."""
    monkeypatch.setattr(importing, "CHUNK_ROWS", 37)
    calls = []
    real = importing.q.existing_source_keys
    monkeypatch.setattr(importing.q, "existing_source_keys", lambda s, keys: calls.append(1) or real(s, keys))
    out = []
    for name, first in (("empty", None), ("held", "W")):
        store = CampaignStore.open(make_db(name=name), actor="tester")
        try:
            if first:
                pre_csv = tmp_path / "pre.csv"
                pre_csv.write_text(f"formula,single_phase\n{first},yes\n")
                pre = import_csv(store, pre_csv)
                assert pre.alloys_added == 1
            calls.clear()
            report = import_csv(store, SEED_CSV, source="data.csv")
            alloys, ms = _contents(store)
            out.append((report.alloys_added, report.measurements_added, report.already_imported,
                        [a for a in alloys if a[0] != first], [m for m in ms if m[5] == "import:data.csv"]))
            out[-1] += (len(calls),)
        finally:
            store.close()
    (*empty, empty_calls), (*held, held_calls) = out
    assert empty == held
    assert empty[1] == len(empty[4]) > 1000 and empty[0] < empty[1]  # the seed file repeats formulas
    assert held_calls - empty_calls >= report.rows // 37  # one source-key lookup per chunk, only when held

