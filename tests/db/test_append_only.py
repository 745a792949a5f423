"""Measurements and audit events are append-only in the database itself (migration 0002's triggers).

Run on the --backend: a direct UPDATE or DELETE, the way someone with a SQL
prompt would try it, must fail on SQLite and on PostgreSQL, and leave the row
as it was.  Inserting (what the tool does) still works.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hea_campaign.campaign.results import add_result, correct_result
from hea_campaign.db.migrate import current_revision, downgrade, upgrade

STATEMENTS = [
    "UPDATE measurement SET single_phase = NOT single_phase",
    "UPDATE measurement SET notes = 'edited' WHERE id = :mid",
    "DELETE FROM measurement WHERE id = :mid",
    "DELETE FROM measurement",
    "UPDATE audit_event SET actor = 'someone else'",
    "DELETE FROM audit_event",
    "DELETE FROM audit_event WHERE id = :eid",
]


def _snapshot(engine) -> tuple[list, list]:
    with engine.connect() as conn:
        ms = conn.execute(text("SELECT id, single_phase, notes, supersedes_id FROM measurement ORDER BY id")).all()
        es = conn.execute(text("SELECT id, actor, action FROM audit_event ORDER BY id")).all()
        conn.rollback()
    return ms, es


@pytest.mark.parametrize("statement", STATEMENTS)
def test_direct_update_or_delete_is_refused_by_the_database(store, statement):
    m = add_result(store, "CoCrFeNi", single_phase=True, notes="first")
    correct_result(store, m.id, single_phase=False, by="bob")
    before = _snapshot(store.engine)
    with store.engine.connect() as conn:
        eid = conn.execute(text("SELECT max(id) FROM audit_event")).scalar_one()
        conn.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as conn:
            conn.execute(text(statement), {"mid": m.id, "eid": eid})
    assert _snapshot(store.engine) == before
    add_result(store, "FeNi", single_phase=True)  # inserting still works
    ms, es = _snapshot(store.engine)
    assert len(ms) == len(before[0]) + 1 and len(es) > len(before[1])


@pytest.mark.postgresql_only("TRUNCATE is PostgreSQL's; SQLite has none")
@pytest.mark.parametrize("table", ["measurement", "audit_event"])
def test_truncate_is_refused_too(store, table):
    add_result(store, "CoCrFeNi", single_phase=True)
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))


def test_the_triggers_go_with_a_downgrade_and_come_back_with_the_upgrade(store):
    add_result(store, "CoCrFeNi", single_phase=True)
    engine = store.engine
    downgrade(engine, "0001")
    with engine.begin() as conn:  # at 0001 the database did not refuse (the code did)
        conn.execute(text("UPDATE measurement SET notes = 'at 0001'"))
    upgrade(engine)
    assert current_revision(engine) == "0002" or current_revision(engine) > "0002"
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("UPDATE measurement SET notes = 'after upgrade'"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT notes FROM measurement")).scalar_one() == "at 0001"
        conn.rollback()
