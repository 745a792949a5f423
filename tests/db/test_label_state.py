"""Each alloy's label state and current-measurement count, kept by the database (migration 0004).

Run on the --backend.  The oracle is ``label_summary``, which recounts from
the measurements themselves: after every kind of insert (a lab result, a
correction, a result without a phase label, a conflicting result, a raw SQL
insert that supersedes a measurement of another alloy, a dataset import) the
trigger-kept columns must equal it for every alloy, and ``status_summary``
(which reads only the columns) must equal the counts taken from the oracle.
"""

from __future__ import annotations

from sqlalchemy import text

from hea_campaign.campaign.alloy_sources import PROPOSAL_SOURCE
from hea_campaign.campaign.results import add_result, correct_result
from hea_campaign.db import store as q
from hea_campaign.db.migrate import downgrade, upgrade


def _oracle(session, campaign_id) -> dict[int, tuple[str, int]]:
    """alloy id -> (label state, current measurements), recounted from every measurement."""
    out = {}
    for alloy_id, _source, n, lo, hi, n_labelled in q.label_summary(session, campaign_id):
        if n == 0:
            state = "none"
        elif n_labelled == 0:
            state = "unlabelled"
        elif lo != hi:
            state = "conflict"
        else:
            state = "single" if lo == 1 else "multi"
        out[alloy_id] = (state, n)
    return out


def _kept(engine) -> dict[int, tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, label_state, n_current FROM alloy")).all()
        conn.rollback()
    return {i: (s, n) for i, s, n in rows}


def _expected_status(oracle: dict[int, tuple[str, int]], sources: dict[int, str]) -> dict[str, int]:
    states = [s for s, _ in oracle.values()]
    return {
        "alloys": len(oracle),
        "measurements": sum(n for _, n in oracle.values()),
        "single_phase": states.count("single"),
        "multi_phase": states.count("multi"),
        "conflicts": states.count("conflict"),
        "proposed_only": sum(1 for i, (s, _) in oracle.items() if s == "none"
                             and sources[i].startswith(PROPOSAL_SOURCE)),
        "unlabelled": states.count("unlabelled"),
        "moved_away": sum(1 for i, (s, _) in oracle.items() if s == "none"
                          and not sources[i].startswith(PROPOSAL_SOURCE)),
    }


def _check(store) -> dict[int, tuple[str, int]]:
    with store.read() as session:
        oracle = _oracle(session, store.campaign_id)
        sources = {i: s for i, s, *_ in q.label_summary(session, store.campaign_id)}
        summary = q.status_summary(session, store.campaign_id, PROPOSAL_SOURCE)
    assert _kept(store.engine) == oracle
    assert summary == _expected_status(oracle, sources)
    _check_labelled_compositions(store, oracle)
    _check_conflicting_alloys(store, oracle)
    return oracle


def _check_conflicting_alloys(store, oracle) -> None:
    """The conflicts an import reports (read from the kept state) are the oracle's, with their formulas."""
    with store.read() as session:
        conflicting = q.conflicting_alloys(session, store.campaign_id)
        formulas = {i: f for i, f in session.connection().execute(text("SELECT id, formula FROM alloy")).all()}
    assert conflicting == {i: formulas[i] for i, (state, _) in oracle.items() if state == "conflict"}


def _check_labelled_compositions(store, oracle) -> None:
    """The labelled alloys that known-alloy checks and nearest neighbours read (from the kept state,
    compositions parsed in one call) are the oracle's, with their ORM-read compositions."""
    from sqlmodel import select

    from hea_campaign.db.tables import Alloy

    with store.read() as session:
        labelled = q.labelled_compositions(session, store.campaign_id)
        alloys = {a.id: (a.formula, a.composition) for a in session.exec(select(Alloy)).all()}
    expected = [(*alloys[i], state == "single", state == "conflict")
                for i, (state, _) in sorted(oracle.items()) if state in ("single", "multi", "conflict")]
    assert labelled == expected


def _raw_measurement(engine, alloy_id: int, single_phase, supersedes_id=None) -> int:
    """Insert a measurement with SQL, as another program would (the trigger must still see it)."""
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO measurement (alloy_id, single_phase, entered_at, source, supersedes_id) "
                 "VALUES (:a, :s, CURRENT_TIMESTAMP, 'sql', :sup)"),
            {"a": alloy_id, "s": single_phase, "sup": supersedes_id},
        )
        return conn.execute(text("SELECT max(id) FROM measurement")).scalar_one()


def _new_alloy(engine, campaign_id: int, formula: str, source: str) -> int:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO alloy (campaign_id, formula, composition, n_elements, outside_vocabulary, source, "
                 "created_at) VALUES (:c, :f, '{}', 2, '', :s, CURRENT_TIMESTAMP)"),
            {"c": campaign_id, "f": formula, "s": source},
        )
        return conn.execute(text("SELECT id FROM alloy WHERE formula = :f"), {"f": formula}).scalar_one()


def test_every_kind_of_insert_keeps_the_alloy_state_equal_to_a_recount(store):
    cocrfeni = add_result(store, "CoCrFeNi", single_phase=True)
    assert _check(store)[cocrfeni.alloy_id] == ("single", 1)
    add_result(store, "CoCrFeNi", single_phase=False, notes="second lab")
    assert _check(store)[cocrfeni.alloy_id] == ("conflict", 2)
    fix = correct_result(store, cocrfeni.id, single_phase=False, by="bob")
    assert _check(store)[fix.alloy_id] == ("multi", 2)  # the corrected one no longer counts

    proposal = _new_alloy(store.engine, store.campaign_id, "Fe50Ni50", f"{PROPOSAL_SOURCE} v1")
    plain = _new_alloy(store.engine, store.campaign_id, "Cu50Ni50", "my list")
    oracle = _check(store)
    assert oracle[proposal] == ("none", 0) and oracle[plain] == ("none", 0)
    unlabelled = _raw_measurement(store.engine, proposal, None)
    assert _check(store)[proposal] == ("unlabelled", 1)
    # a correction that moves a result to another alloy: both alloys change
    moved = _raw_measurement(store.engine, plain, True, supersedes_id=unlabelled)
    oracle = _check(store)
    assert oracle[proposal] == ("none", 0) and oracle[plain] == ("single", 1)
    _raw_measurement(store.engine, plain, False, supersedes_id=moved)
    assert _check(store)[plain] == ("multi", 1)
    with store.engine.begin() as conn:  # counted through ix_alloy_campaign_outside as a range above ''
        conn.execute(text("UPDATE alloy SET outside_vocabulary = 'Xe' WHERE id = :a"), {"a": plain})
    with store.read() as session:
        assert q.count_outside_vocabulary(session, store.campaign_id) == 1


def test_a_dataset_import_fills_the_state_of_every_alloy(seeded_store):
    oracle = _check(seeded_store)
    states = [s for s, _ in oracle.values()]
    assert states.count("single") > 500 and states.count("multi") > 500 and states.count("conflict") >= 1


def test_the_upgrade_fills_the_columns_for_an_existing_store(seeded_store):
    """Measurements added while the store was at 0003 (no trigger, no columns) are counted by the upgrade."""
    engine = seeded_store.engine
    downgrade(engine, "0003")
    with engine.begin() as conn:
        ids = conn.execute(text("SELECT alloy_id FROM measurement ORDER BY id LIMIT 2")).scalars().all()
        for alloy_id in ids:  # a conflicting result for two alloys
            old = conn.execute(text("SELECT single_phase FROM measurement WHERE alloy_id = :a"), {"a": alloy_id})
            flipped = not bool(old.scalars().first())
            conn.execute(text("INSERT INTO measurement (alloy_id, single_phase, entered_at, source) "
                              "VALUES (:a, :s, CURRENT_TIMESTAMP, 'at 0003')"), {"a": alloy_id, "s": flipped})
    upgrade(engine)
    oracle = _check(seeded_store)
    assert all(oracle[a][0] == "conflict" for a in ids)
