"""Status, candidate pages and history answered by queries: the same answers as the row-by-row rules."""

from __future__ import annotations

import pytest

from hea_campaign.campaign.candidates import count_candidates, list_candidates
from hea_campaign.campaign.labels import alloy_labels
from hea_campaign.campaign.results import add_result, correct_result, history
from hea_campaign.campaign.status import campaign_status
from hea_campaign.campaign.training_set import PROPOSAL_SOURCE
from hea_campaign.db import store as q


def _row_by_row(store) -> dict[str, int]:
    """The counts as campaign_status made them before: one row per alloy into Python."""
    with store.read() as session:
        summary = q.label_summary(session, store.campaign_id)
    single = multi = conflicts = proposed = measurements = 0
    for _, source, n, lo, hi, n_labelled in summary:
        measurements += n
        if n_labelled and bool(lo) != bool(hi):
            conflicts += 1
        elif n_labelled:
            single += bool(lo)
            multi += not bool(lo)
        elif n == 0 and source.startswith(PROPOSAL_SOURCE):
            proposed += 1
    return {"alloys": len(summary), "measurements": measurements, "single_phase": single, "multi_phase": multi,
            "conflicts": conflicts, "proposed_only": proposed}


def test_status_counts_match_the_row_by_row_rules(seeded_store):
    store = seeded_store
    m = add_result(store, "Fe30Ni30Cr40", single_phase=True)
    correct_result(store, m.id, single_phase=False)  # a correction: the old one no longer counts
    add_result(store, "CoCrFeMnNi", single_phase=False)  # may disagree with the seed: a conflict
    expected = _row_by_row(store)
    s = campaign_status(store)
    got = {"alloys": s.alloys, "measurements": s.measurements, "single_phase": s.single_phase,
           "multi_phase": s.multi_phase, "conflicts": s.conflicts, "proposed_only": s.proposed_only}
    assert got == expected
    assert s.alloys > 1000 and s.conflicts >= 1 and s.multi_phase >= 1
    with store.read() as session:
        labels = alloy_labels(session, store.campaign_id)
    assert s.single_phase == sum(v.label is True for v in labels.values())
    assert s.conflicts == sum(v.conflict for v in labels.values())


def test_candidate_pages_cover_every_candidate_once(trained_store):
    from hea_campaign.campaign.proposals import ProposalRequest, propose

    store = trained_store
    propose(store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Al"], step=0.05, batch=7))
    everything = list_candidates(store)
    assert everything and count_candidates(store) == len(everything)
    pages = [list_candidates(store, limit=3, offset=o) for o in range(0, len(everything) + 3, 3)]
    ids = [c.id for page in pages for c, _ in page]
    assert ids == [c.id for c, _ in everything]  # id order, nothing lost, nothing twice
    assert [f for page in pages for _, f in page] == [f for _, f in everything]
    for flag in {x["flag"] for c, _ in everything for x in c.flags} | {"no_such_flag", "low%", "_"}:
        want = [c.id for c, _ in everything if any(x.get("flag") == flag for x in c.flags)]
        assert [c.id for c, _ in list_candidates(store, flag=flag)] == want
        assert count_candidates(store, flag=flag) >= len(want)
    assert list_candidates(store, status="approved") == []


def test_pages_near_the_end_are_read_from_the_end_in_the_same_order(trained_store):
    """Every sort and direction, with and without a filter: the pages, read forwards near the start and
    backwards near the end, are the whole forward order, nothing lost, nothing twice."""
    from hea_campaign.campaign.candidates import CANDIDATE_SORTS, candidate_page
    from hea_campaign.campaign.lifecycle import approve, reject
    from hea_campaign.campaign.proposals import ProposalRequest, propose

    store = trained_store
    ids = propose(store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Al"], step=0.05,
                                         batch=23)).candidate_ids
    approve(store, ids[:5], by="t")
    reject(store, ids[5:9], by="t", reason="too much Cr")
    reject(store, ids[9:11], by="t", reason="")
    for status in (None, "proposed"):
        for sort in CANDIDATE_SORTS:
            for descending in (False, True):
                with store.read() as session:
                    want = [c.id for c, _ in q.candidates_sorted_page(session, store.campaign_id, status, None, sort,
                                                                      descending)]
                pages = [candidate_page(store, status, None, sort, descending, limit=4, offset=o)
                         for o in range(0, len(want), 4)]
                assert pages[-1].offset > pages[-1].total - pages[-1].offset - 4  # the last ones came from the end
                assert [c.id for p in pages for c, _ in p.rows] == want, (status, sort, descending)


def test_history_label_matches_the_campaign_labels(seeded_store):
    store = seeded_store
    first = add_result(store, "Al0.3CoCrFeNi", single_phase=True)
    correct_result(store, first.id, single_phase=False)
    h = history(store, "Al0.3CoCrFeNi")
    with store.read() as session:
        state = alloy_labels(session, store.campaign_id)[h.alloy_id]
    assert (h.label, h.conflict) == (state.label, state.conflict)
    assert any(e.superseded_by is not None for e in h.entries)


def _labels_from_row_objects(store) -> dict[int, tuple]:
    """alloy id -> (label, conflict, current measurements, made compositions), by the rule as it was
    written over row objects (every Measurement and Alloy loaded)."""
    with store.read() as session:
        alloys = q.alloys_by_formula(session, store.campaign_id)
        seen, counts, made = {}, {}, {}
        for m, alloy in q.current_measurements(session, store.campaign_id):
            counts[alloy.id] = counts.get(alloy.id, 0) + 1
            if m.made_composition and m.single_phase is not None:
                made.setdefault(alloy.id, []).append(m.made_composition)
            if m.single_phase is not None:
                seen.setdefault(alloy.id, set()).add(bool(m.single_phase))
        out = {}
        for a in alloys.values():
            v = seen.get(a.id, set())
            out[a.id] = (next(iter(v)) if len(v) == 1 else None, len(v) > 1, counts.get(a.id, 0),
                         tuple(made.get(a.id, ())))
        return out


def test_training_snapshot_reads_plain_columns_and_keeps_the_label_rules(seeded_store):
    from sqlalchemy import event

    from hea_campaign.campaign.labels import label_states
    from hea_campaign.campaign.training_set import snapshot
    from hea_campaign.db.tables import Alloy, Measurement

    store = seeded_store
    m = add_result(store, "Fe30Ni30Cr40", single_phase=True)
    correct_result(store, m.id, single_phase=False)  # superseded: only the correction counts
    add_result(store, "Al0.3CoCrFeNi", single_phase=True)
    add_result(store, "Al0.3CoCrFeNi", single_phase=False)  # a conflict
    made = add_result(store, "Fe55Ni45", single_phase=True)
    with store.write() as s:  # a weighed composition on a second result of the same alloy
        s.add(Measurement(alloy_id=made.alloy_id, single_phase=True, source="test",
                          made_composition={"Fe": 0.6, "Ni": 0.4}))
        s.add(Alloy(campaign_id=store.campaign_id, formula="Co13Ni87", composition={"Co": 0.13, "Ni": 0.87},
                    n_elements=2, source="proposal:run 1"))  # proposed, never measured
    expected = _labels_from_row_objects(store)
    with store.read() as session:
        states = label_states(session, store.campaign_id)
    assert [s.alloy_id for s in states] == sorted(expected)
    assert {s.alloy_id: (s.label, s.conflict, s.n_measurements, s.made) for s in states} == expected
    assert any(s.conflict for s in states) and any(s.made for s in states)

    loaded = []
    listeners = [(cls, lambda target, context: loaded.append(type(target).__name__)) for cls in (Alloy, Measurement)]
    for cls, fn in listeners:
        event.listen(cls, "load", fn)
    try:
        ts = snapshot(store)
    finally:
        for cls, fn in listeners:
            event.remove(cls, "load", fn)
    assert loaded == []  # no row object per alloy or measurement
    by_id = {s.alloy_id: s for s in states}
    labelled = {i for i in expected if expected[i][0] is not None}
    assert set(ts.lab_ids.tolist()) <= labelled and len(ts.lab_ids) > 1000
    assert len(labelled) - len(ts.lab_ids) == ts.excluded["outside vocabulary"] - sum(
        1 for i in expected if expected[i][0] is None and not expected[i][1] and any(
            el not in ts.vocabulary for el in by_id[i].composition))
    assert ts.excluded["proposed only"] == 1 and ts.excluded["conflicting labels"] >= 1
    vocab = list(ts.vocabulary)
    row = ts.X_lab[ts.lab_ids.tolist().index(made.alloy_id)]  # the weighed composition, not the nominal
    assert row[vocab.index("Fe")] == 0.6 and row[vocab.index("Ni")] == 0.4
    for i, alloy_id in enumerate(ts.lab_ids.tolist()):
        assert ts.y_lab[i] == float(expected[alloy_id][0])


def _quick_equals_full(store):
    from hea_campaign.campaign.status import quick_status

    quick = quick_status(store.url, store.campaign_name)
    assert quick is not None  # a plain SQLite file at this program's schema: answered without SQLAlchemy
    assert quick == campaign_status(store)
    return quick


@pytest.mark.sqlite_only(reason="the standard-library reader reads SQLite files")
def test_status_read_without_sqlalchemy_is_the_status_of_the_opened_store(trained_store, tmp_path):
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.export_batches import void_batch
    from hea_campaign.campaign.importing import import_csv
    from hea_campaign.campaign.lifecycle import approve, fail, reject
    from hea_campaign.campaign.proposals import ProposalRequest, propose

    store = trained_store
    first = _quick_equals_full(store)
    assert first.active_model is not None and first.recent
    ids = propose(store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Al"],
                                         step=0.05, batch=6)).candidate_ids
    approve(store, ids[:4], by="ana")
    reject(store, ids[4:5], by="ana", reason="too much Al")
    kept = [export_batch(store, ids=ids[i:i + 1], out=tmp_path / f"b{i}.csv", by="ana") for i in (0, 1)]
    voided = export_batch(store, ids=ids[2:4], out=tmp_path / "void.csv", by="ana")
    void_batch(store, voided.batch_id, "wrong mass", by="ana")
    fail(store, ids[:1], "cracked", by="ana")
    m = add_result(store, "Fe30Ni30Cr40", single_phase=True)
    correct_result(store, m.id, single_phase=False)
    add_result(store, "CoCrFeMnNi", single_phase=False)
    csv = tmp_path / "foreign.csv"
    csv.write_text("formula,single_phase\nFe25Ni25Co25B25,1\nFe30Ni30Co20Ta20,0\n")
    import_csv(store, csv, skip_bad=True)
    s = _quick_equals_full(store)
    assert all(k.batch_id for k in kept) and s.voided_batches == 1 and s.candidates["failed"] == 1 and s.candidates["rejected"] == 1
    assert s.outside_vocabulary >= 1 and s.conflicts >= 1 and s.proposed_only >= 1
    assert sum(s.candidates.values()) == len(ids)


@pytest.mark.sqlite_only(reason="the standard-library reader reads SQLite files")
def test_status_goes_the_full_way_when_the_quick_reader_cannot_answer(seeded_store, tmp_path, monkeypatch):
    import sqlite3

    from hea_campaign.campaign.status import quick_status
    from hea_campaign.db.location import plain_sqlite_file

    path = plain_sqlite_file(seeded_store.url)
    assert quick_status(str(path), "default") is not None
    assert quick_status(str(path), "no such campaign") is None
    assert quick_status(str(tmp_path / "missing.db"), "default") is None
    assert quick_status(f"sqlite:///{path}?mode=ro", "default") is None
    assert quick_status("postgresql+psycopg://u:secret@db.example/lab", "default") is None
    monkeypatch.setenv("HEA_CAMPAIGN_DB", str(path))
    assert quick_status(None, "default") == campaign_status(seeded_store)  # --db from the environment
    seeded_store.close()
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE alembic_version SET version_num = '0003'")  # an older store: db upgrade first
    con.close()
    assert quick_status(str(path), "default") is None
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert quick_status(str(tmp_path / "junk.db"), "default") is None
