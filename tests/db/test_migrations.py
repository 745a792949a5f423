"""Migrations under test, on the --backend (SQLite by default, PostgreSQL with --backend postgresql).

pytest-alembic's standard checks run against an empty store (``alembic_engine``
in tests/db/conftest.py): one head, base -> head upgrades, the SQLModel tables
match what the migrations build, and every revision goes down and up again.
The seeded check runs every migration over a store holding the seed dataset
and requires every row to survive.
"""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from pytest_alembic.tests import (  # noqa: F401  (collected here: the standard checks)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import inspect, text

from hea_campaign.db.migrate import (
    SCHEMA_HEAD,
    alembic_config,
    current_revision,
    downgrade,
    ensure_schema,
    head_revision,
    upgrade,
)
from hea_campaign.tui.cli import main


def _row_counts(engine) -> dict[str, int]:
    names = sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in names}


def _rows(engine, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table (the given columns, or all of them), by primary key, as text."""
    out = {}
    with engine.connect() as conn:
        insp = inspect(conn)
        tables = sorted(set(insp.get_table_names()) - {"alembic_version"})
        for t in tables if columns is None else sorted(columns):
            cols = columns[t] if columns is not None else sorted(c["name"] for c in insp.get_columns(t))
            keys = insp.get_pk_constraint(t)["constrained_columns"]
            sql = f'SELECT {", ".join(cols)} FROM "{t}" ORDER BY {", ".join(keys)}'
            out[t] = [tuple(map(str, row)) for row in conn.execute(text(sql))]
    return out


def _columns(engine) -> dict[str, list[str]]:
    insp = inspect(engine)
    return {t: sorted(c["name"] for c in insp.get_columns(t))
            for t in set(insp.get_table_names()) - {"alembic_version"}}  # fmt: skip


def _revisions_oldest_first() -> list:
    script = ScriptDirectory.from_config(alembic_config())
    return list(reversed(list(script.walk_revisions("base", "heads"))))


def _lab_rows(engine, columns):
    """Every row but store_info's, whose schema_requires each revision sets (test_0003 checks it)."""
    return {t: r for t, r in _rows(engine, columns).items() if t != "store_info"}


def test_every_migration_keeps_the_rows_of_a_seeded_store(seeded_store, capsys):
    """For each revision r after the first: seeded store at r's parent, upgrade to r, every row kept.

    Rows are compared value for value on the columns the parent revision had
    (0001 -> 0002 is the first real upgrade: a 0001 store with the seed data).

    The seed goes in with this version's code (at head) and the store is taken
    down to r's parent first, so the check needs nothing per revision and
    covers each future revision as it is added.  Finally ``upgrade head`` on
    the seeded store at head (what ``hea-campaign db upgrade`` does on an
    up-to-date store) must change nothing.
    """
    engine = seeded_store.engine
    at_head = _row_counts(engine)
    rows_at_head = _rows(engine)
    assert at_head["alloy"] > 1000 and at_head["measurement"] > 1000 and at_head["audit_event"] > 0
    for rev in _revisions_oldest_first():
        if rev.down_revision is None:
            continue
        downgrade(engine, rev.down_revision)
        before = _row_counts(engine)
        old_columns = _columns(engine)
        old_rows = _lab_rows(engine, old_columns)
        upgrade(engine, rev.revision)
        after = _row_counts(engine)
        assert {t: after.get(t) for t in before} == before, f"migration {rev.revision} lost or added rows"
        # row for row: every value of every column that existed before is still there
        assert _lab_rows(engine, old_columns) == old_rows, f"migration {rev.revision} changed rows"
    upgrade(engine, "head")
    assert current_revision(engine) == head_revision()
    assert _row_counts(engine) == at_head
    assert _rows(engine) == rows_at_head, "down and up again, the seeded store is not what it was"

    seeded_store.engine.dispose()
    assert main(["db", "upgrade", "--db", seeded_store.url]) == 0
    out = capsys.readouterr().out
    assert f"schema {head_revision()} -> {head_revision()}" in out
    assert _row_counts(engine) == at_head


INDEXES_0003 = {"audit_event": ("ix_audit_event_entity", ["entity", "entity_id"]),
                "candidate": ("ix_candidate_campaign_id", ["campaign_id", "id"])}


def _index_columns(engine, table: str) -> dict[str, list[str]]:
    return {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes(table)}


def test_0003_creates_the_history_and_page_indexes_and_downgrade_removes_them(seeded_store):
    engine = seeded_store.engine
    downgrade(engine, "0003")
    for table, (name, columns) in INDEXES_0003.items():
        assert _index_columns(engine, table).get(name) == columns, (table, _index_columns(engine, table))
    from hea_campaign.db.migrate import schema_requires

    assert schema_requires(engine) == "0.3.0"  # a 0.2.0 reading this store names the release to install
    before = _row_counts(engine)
    downgrade(engine, "0002")
    for table, (name, _) in INDEXES_0003.items():
        assert name not in _index_columns(engine, table)
    assert _row_counts(engine) == before and schema_requires(engine) == "0.2.0"
    upgrade(engine, "0003")
    for table, (name, columns) in INDEXES_0003.items():
        assert _index_columns(engine, table).get(name) == columns
    assert _row_counts(engine) == before and schema_requires(engine) == "0.3.0"


def test_0005_creates_the_index_for_candidates_by_p_and_downgrade_removes_it(seeded_store):
    engine = seeded_store.engine
    index = ("ix_candidate_campaign_p", ["campaign_id", "p_single", "id"])
    from hea_campaign.db.migrate import schema_requires

    downgrade(engine, "0005")
    assert _index_columns(engine, "candidate").get(index[0]) == index[1] and schema_requires(engine) == "0.5.0"
    before = _row_counts(engine)
    downgrade(engine, "0004")
    assert index[0] not in _index_columns(engine, "candidate")
    assert _row_counts(engine) == before and schema_requires(engine) == "0.4.0"
    upgrade(engine, "0005")
    assert _index_columns(engine, "candidate").get(index[0]) == index[1]
    assert _row_counts(engine) == before and schema_requires(engine) == "0.5.0"


def test_a_0005_store_upgrades_to_0006_keeping_its_rows_with_no_masses_weighed(seeded_store, capsys):
    """A store at revision 0005 holding lab results (one with a composition made) goes to 0006 with
    ``db upgrade``: every row kept value for value, the new measurement.weighed_g NULL on each (their
    masses were never stored); the upgraded store then keeps the masses of a new correction."""
    from hea_campaign.campaign.results import correct_result, record_result
    from hea_campaign.campaign.store import CampaignStore
    from hea_campaign.db.migrate import schema_requires

    store = seeded_store
    m = record_result(store, "Fe50Ni50", single_phase="yes", phases="FCC").measurement
    weighed = correct_result(store, m.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.25")
    engine = store.engine
    downgrade(engine, "0005")
    assert "weighed_g" not in _columns(engine)["measurement"] and schema_requires(engine) == "0.5.0"
    old_columns = _columns(engine)
    before, old_rows = _row_counts(engine), _lab_rows(engine, old_columns)
    with engine.connect() as conn:  # the composition made survives the way down; the masses do not
        made = conn.execute(text("SELECT made_composition FROM measurement WHERE id = :i"), {"i": weighed.id}).scalar()
    assert made is not None
    with pytest.raises(Exception, match="db upgrade"):
        ensure_schema(engine)  # an old store is refused until upgraded
    engine.dispose()
    assert main(["db", "upgrade", "--db", store.url]) == 0
    assert f"schema 0005 -> {SCHEMA_HEAD}" in capsys.readouterr().out  # 0006, and any later revision
    assert current_revision(engine) == SCHEMA_HEAD
    assert _kept_counts(engine, before) == before and _lab_rows(engine, old_columns) == old_rows
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM measurement WHERE weighed_g IS NOT NULL")).scalar() == 0
    upgraded = CampaignStore.open(store.url)
    fixed = correct_result(upgraded, weighed.id, single_phase="yes", weighed_g="Fe:9.70,Ni:10.25")
    with upgraded.read() as s:
        from hea_campaign.db.tables import Measurement

        assert s.get(Measurement, fixed.id).weighed_g == {"Fe": "9.70", "Ni": "10.25"}
        assert s.get(Measurement, weighed.id).weighed_g is None


def _kept_counts(engine, before: dict[str, int]) -> dict[str, int]:
    """Row counts of the tables ``before`` names; a table a later revision adds must be empty."""
    counts = _row_counts(engine)
    assert {t: n for t, n in counts.items() if t not in before and n} == {}
    return {t: n for t, n in counts.items() if t in before}


def _head_requires() -> str:
    """The release the newest revision says reads the store (its SCHEMA_REQUIRES)."""
    return ScriptDirectory.from_config(alembic_config()).get_revision(SCHEMA_HEAD).module.SCHEMA_REQUIRES


def _lab_rows_of(rows: dict) -> dict:
    return {t: r for t, r in rows.items() if t != "store_info"}


def _label_states(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, label_state, n_current FROM alloy ORDER BY id"))]


def test_a_0006_store_upgrades_to_0007_and_then_withdraws_a_result(store, capsys):
    """A 0.6.0 store (revision 0006) holding lab results, a conflict and a measured candidate goes to 0007
    with ``db upgrade``: every row kept value for value, none a withdrawal, the alloys' label states as
    they were; the upgraded store's trigger then leaves a withdrawal out of the label state.  A store
    holding a withdrawal is not downgraded (0006 could not say the result was withdrawn)."""
    from hea_campaign.campaign.results import record_result
    from hea_campaign.campaign.store import CampaignStore
    from hea_campaign.campaign.withdrawals import withdraw_result
    from hea_campaign.db.migrate import schema_requires

    from ..lab.conftest import candidate_statuses, insert_candidates

    (cid,) = insert_candidates(store, ["CoCrFeNi"], status="exported")
    record_result(store, candidate_id=cid, single_phase=True, phases="FCC")
    ok = record_result(store, "FeNi", single_phase=True).measurement
    wrong = record_result(store, "FeNi", single_phase=False).measurement
    engine = store.engine
    states = _label_states(engine)
    downgrade(engine, "0006")
    assert "withdrawn" not in _columns(engine)["measurement"] and schema_requires(engine) == "0.6.0"
    old_columns = _columns(engine)
    before, old_rows = _row_counts(engine), _rows(engine, old_columns)
    with pytest.raises(Exception, match="db upgrade"):
        ensure_schema(engine)  # an old store is refused until upgraded
    engine.dispose()
    assert main(["db", "upgrade", "--db", store.url]) == 0
    assert f"schema 0006 -> {SCHEMA_HEAD}" in capsys.readouterr().out  # 0007, and any later revision
    assert current_revision(engine) == SCHEMA_HEAD and schema_requires(engine) == _head_requires()
    assert _kept_counts(engine, before) == before and _lab_rows(engine, old_columns) == _lab_rows_of(old_rows)
    assert _label_states(engine) == states
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM measurement WHERE withdrawn")).scalar() == 0
    upgraded = CampaignStore.open(store.url)
    measured = [m for m in old_rows["measurement"] if m[old_columns["measurement"].index("candidate_id")] == str(cid)]
    w = withdraw_result(upgraded, wrong.id, reason="entered against the wrong alloy")
    assert w.label_state == "single" and ok.id != wrong.id
    first = int(measured[0][old_columns["measurement"].index("id")])
    assert withdraw_result(upgraded, first, reason="test entry").reopened == [cid]
    assert candidate_statuses(upgraded, [cid]) == {cid: "exported"}
    assert [s for _, s, _ in _label_states(engine)] == ["none", "single"]
    upgraded.close()
    with pytest.raises(Exception, match="withdrawn result"):
        downgrade(engine, "0006")
    assert current_revision(engine) != "0006" and "withdrawn" in _columns(engine)["measurement"]


def _model_roles(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT model_version_id, alloy_id, role FROM model_version_alloy "
                                                     "ORDER BY model_version_id, alloy_id"))]


def test_a_0007_store_upgrades_to_0008_reading_its_versions_roles_from_their_checkpoints(trained_store, capsys):
    """A 0.7.0 store (revision 0007) with an active version goes to 0008 with ``db upgrade``: every row kept,
    and the version's training and validation alloys read back from its checkpoint, as training records them."""
    from hea_campaign.db.migrate import schema_requires

    engine = trained_store.engine
    roles = _model_roles(engine)
    assert {r for _, _, r in roles} == {"train", "validation"}
    downgrade(engine, "0007")
    assert "model_version_alloy" not in _columns(engine) and schema_requires(engine) == "0.7.0"
    old_columns = _columns(engine)
    before, old_rows = _row_counts(engine), _lab_rows(engine, old_columns)
    engine.dispose()
    assert main(["db", "upgrade", "--db", trained_store.url]) == 0
    out = capsys.readouterr().out
    assert f"schema 0007 -> {SCHEMA_HEAD}" in out and "recorded what model version(s) v1 did with each alloy" in out
    assert {t: n for t, n in _row_counts(engine).items() if t in before} == before
    assert _lab_rows(engine, old_columns) == old_rows and _model_roles(engine) == roles


def test_a_version_whose_checkpoint_is_gone_stays_not_recorded_until_an_upgrade_finds_it(trained_store, capsys):
    from pathlib import Path

    from hea_campaign.campaign.results import history
    from hea_campaign.campaign.store import CampaignStore
    from hea_campaign.tui.present.report import format_history

    engine = trained_store.engine
    with engine.connect() as conn:
        alloy_id = conn.execute(text("SELECT alloy_id FROM model_version_alloy WHERE role = 'train'")).first()[0]
        formula = conn.execute(text("SELECT formula FROM alloy WHERE id = :i"), {"i": alloy_id}).scalar()
        ckpt = Path(conn.execute(text("SELECT checkpoint_path FROM model_version")).scalar())
    downgrade(engine, "0007")
    engine.dispose()
    ckpt.rename(ckpt.with_name("elsewhere.pt"))
    try:
        assert main(["db", "upgrade", "--db", trained_store.url]) == 0
    finally:
        ckpt.with_name("elsewhere.pt").rename(ckpt)
    out = capsys.readouterr().out
    assert f"schema 0007 -> {SCHEMA_HEAD}" in out.splitlines()[0]  # the upgrade is said first: it is done
    assert "v1: what it did with each alloy stays not recorded: no checkpoint at" in out
    assert _model_roles(engine) == []
    upgraded = CampaignStore.open(trained_store.url)
    line = format_history(history(upgraded, formula)).splitlines()[1]
    upgraded.close()
    assert line.endswith("what it did with each alloy is not recorded (trained before release 0.8.0)")
    assert main(["db", "upgrade", "--db", trained_store.url]) == 0  # the checkpoint is back: the next upgrade
    out = capsys.readouterr().out
    assert f"schema {SCHEMA_HEAD} -> {SCHEMA_HEAD}" in out and "recorded what model version(s) v1 did" in out
    assert {r for _, _, r in _model_roles(engine)} == {"train", "validation"}


@pytest.mark.sqlite_only("EXPLAIN QUERY PLAN is SQLite's")
def test_pages_sorted_by_p_are_read_from_the_index_from_either_end(trained_store):
    """The first and the last page of the candidates by p ask the index, not a sort of every candidate."""
    from sqlalchemy import event

    from hea_campaign.campaign.candidates import candidate_page
    from hea_campaign.campaign.proposals import ProposalRequest, propose

    store = trained_store
    propose(store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr"], step=0.1, batch=12))
    sent: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, executemany):
        if "ORDER BY" in statement and "FROM candidate" in statement:
            sent.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", grab)
    try:
        first = candidate_page(store, sort="p", limit=5)
        last = candidate_page(store, sort="p", limit=5, offset=first.total)
    finally:
        event.remove(store.engine, "before_cursor_execute", grab)
    assert len(sent) == 2 and last.offset > 0
    with store.engine.connect() as conn:
        for statement, params in sent:
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
            assert any("ix_candidate_campaign_p" in step for step in plan), plan
            assert not any(step.startswith("SCAN") or "TEMP B-TREE" in step for step in plan), (statement, plan)


@pytest.mark.sqlite_only("EXPLAIN QUERY PLAN is SQLite's")
def test_history_events_and_candidate_pages_are_read_through_indexes(seeded_store):
    """The statements history and a candidate page send are answered from an index, not a scan or a sort."""
    from sqlalchemy import event

    from hea_campaign.campaign.candidates import count_candidates, list_candidates
    from hea_campaign.campaign.results import add_result, history

    store = seeded_store
    add_result(store, "Fe30Ni30Cr40", single_phase=True)
    sent: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", grab)
    try:
        history(store, "Fe30Ni30Cr40")
        list_candidates(store, limit=10, offset=5)
        list_candidates(store, flag="novel", limit=10)
        count_candidates(store)
    finally:
        event.remove(store.engine, "before_cursor_execute", grab)
    audit = [(s, p) for s, p in sent if "FROM audit_event" in s]
    pages = [(s, p) for s, p in sent if "FROM candidate" in s and "LIMIT" in s]
    assert audit and len(pages) == 2
    with store.engine.connect() as conn:
        for statement, params in audit + pages:
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
            assert not any(step.startswith("SCAN") or "TEMP B-TREE" in step for step in plan), (statement, plan)


def test_schema_head_constant_is_alembics_head():
    """Opening a store compares its revision with SCHEMA_HEAD without Alembic: a new migration must update it."""
    assert SCHEMA_HEAD == head_revision()


def test_a_store_one_revision_behind_is_refused_on_open(alembic_engine):
    """The fast path (one SELECT) must not wave through a store whose revision is not the head."""
    upgrade(alembic_engine)
    ensure_schema(alembic_engine)  # at the head: accepted
    downgrade(alembic_engine, "-1")
    with pytest.raises(Exception, match="db upgrade"):
        ensure_schema(alembic_engine)


@pytest.mark.sqlite_only("EXPLAIN QUERY PLAN is SQLite's")
def test_results_since_a_version_are_counted_by_range_not_by_reading_every_measurement(trained_store):
    """status (through SQLAlchemy and through the standard library) counts the results a version's training set
    did not include from the measurement id range, or, for a version before 0008, from the entered_at index."""
    import sqlite3

    from sqlalchemy import event

    from hea_campaign.campaign.status import campaign_status
    from hea_campaign.db.location import plain_sqlite_file
    from hea_campaign.db.status_reads import _results_since

    store = trained_store
    sent: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, executemany):
        if statement.startswith("SELECT count(") and "FROM measurement JOIN alloy" in statement:
            sent.append((statement, params))

    def plans(statements, run) -> list[list[str]]:
        return [[row[-1] for row in run("EXPLAIN QUERY PLAN " + s, p)] for s, p in statements]

    traced: list[str] = []
    con = sqlite3.connect(plain_sqlite_file(store.url))
    con.set_trace_callback(traced.append)
    event.listen(store.engine, "before_cursor_execute", grab)
    try:
        for legacy, wanted in ((False, "(rowid>?)"), (True, "ix_measurement_entered_at (entered_at>?)")):
            if legacy:  # a version trained before 0008: no last_measurement_id
                with store.engine.begin() as conn:
                    conn.execute(text("UPDATE model_version SET last_measurement_id = NULL"))
            sent.clear()
            traced.clear()
            version_id = campaign_status(store).active_model["id"]
            _results_since(con, store.campaign_id, version_id)
            with store.engine.connect() as conn:
                via_orm = plans(sent, conn.exec_driver_sql)
            counts = [t for t in traced if t.lstrip().upper().startswith("SELECT COUNT")]
            via_stdlib = plans([(t, ()) for t in counts], con.execute)
            assert len(via_orm) == 1 and len(via_stdlib) == 1
            for plan in via_orm + via_stdlib:
                assert any(step.startswith("SEARCH") and wanted in step for step in plan), plan
                assert not any(step.startswith("SCAN") for step in plan), plan
    finally:
        event.remove(store.engine, "before_cursor_execute", grab)
        con.close()
