"""The store: connection settings, lock-up-front writes, migrations.

Runs on SQLite by default and on PostgreSQL with ``--backend postgresql``
(``store_url`` is an empty store on the chosen backend); the SQLite pragmas
and file locks are SQLite only, their PostgreSQL counterparts are in
tests/db/test_postgresql.py.
"""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

from hea_campaign.db.engine import make_engine, resolve_url, unit_of_work
from hea_campaign.db.migrate import (
    SchemaOutOfDate,
    SchemaTooNew,
    current_revision,
    downgrade,
    ensure_schema,
    head_revision,
    upgrade,
)
from hea_campaign.db.tables import AuditEvent, Campaign


def test_resolve_url_prefers_argument_then_environment_then_default(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEA_CAMPAIGN_DB", raising=False)
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'hea-campaign.db'}"
    monkeypatch.setenv("HEA_CAMPAIGN_DB", str(tmp_path / "env.db"))
    assert resolve_url(None).endswith("env.db")
    assert resolve_url("other.db").endswith("other.db")
    assert resolve_url("postgresql+psycopg://u@localhost/x") == "postgresql+psycopg://u@localhost/x"


@pytest.mark.sqlite_only("SQLite pragmas")
def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(store_path):
    engine = make_engine(store_path)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


@pytest.mark.sqlite_only("SQLite's file lock; see tests/db/test_postgresql.py for the server's")
def test_write_units_take_the_lock_when_they_begin(store_path):
    engine = make_engine(store_path)
    ensure_schema(engine)
    with unit_of_work(engine) as session:
        session.exec(select(Campaign)).all()  # a read inside a write unit still holds the write lock
        other = sqlite3.connect(store_path, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    # a read unit does not block writers
    with unit_of_work(engine, write=False) as session:
        session.exec(select(Campaign)).all()
        other = sqlite3.connect(store_path, timeout=0.1, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()


def test_foreign_keys_are_enforced(store_url):
    engine = make_engine(store_url)
    ensure_schema(engine)
    with pytest.raises(Exception, match="(?i)foreign key"):
        with unit_of_work(engine) as session:
            session.add(AuditEvent(campaign_id=999, actor="x", action="a", entity="e"))


def test_unit_of_work_rolls_back_on_error(store_url):
    engine = make_engine(store_url)
    ensure_schema(engine)
    with pytest.raises(RuntimeError):
        with unit_of_work(engine) as session:
            session.add(Campaign(name="doomed"))
            session.flush()
            raise RuntimeError("boom")
    with unit_of_work(engine, write=False) as session:
        assert session.exec(select(Campaign)).all() == []


def test_new_store_is_created_at_the_head_revision_and_matches_the_tables(store_url):
    engine = make_engine(store_url)
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"tables and migrations disagree: {diff}"


def test_migrations_go_down_and_up_again(store_url):
    engine = make_engine(store_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_out_of_date_store_is_refused_with_instructions(store_url):
    engine = make_engine(store_url)
    upgrade(engine)
    downgrade(engine, "0001")  # a store an older hea-campaign wrote
    with pytest.raises(SchemaOutOfDate, match="hea-campaign db upgrade") as refused:
        ensure_schema(engine)
    assert not isinstance(refused.value, SchemaTooNew) and "hea-campaign backup" in str(refused.value)
    with engine.begin() as conn:  # a revision this version does not know: written by a newer one
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(SchemaTooNew, match="revision ffff"):
        ensure_schema(engine)


def test_an_unknown_revision_the_store_says_this_version_reads_is_not_called_newer(store_url):
    """It said 'written by hea-campaign 0.5.0 or newer ... this is hea-campaign 0.5.0 ... install 0.5.0'."""
    from hea_campaign.db.migrate import program_version

    engine = make_engine(store_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
        conn.execute(text("UPDATE store_info SET value = :v WHERE key = 'schema_requires'"), {"v": "0.0.1"})
    with pytest.raises(SchemaTooNew, match="changed by hand or by a development build") as refused:
        ensure_schema(engine)
    assert "Install" not in str(refused.value) and program_version() in str(refused.value)
    with engine.begin() as conn:
        conn.execute(text("UPDATE store_info SET value = '99.0' WHERE key = 'schema_requires'"))
    with pytest.raises(SchemaTooNew, match=r"written by hea-campaign 99.0 or newer"):
        ensure_schema(engine)


def test_foreign_database_is_not_mistaken_for_a_store(store_url):
    engine = make_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE something (x integer)"))
    with pytest.raises(SchemaOutOfDate, match="not a campaign store"):
        ensure_schema(engine)


# ------------------------------------------------------------------ one campaign per name, whatever its case


@pytest.mark.parametrize(("existing", "name"), [("default", "Default"), ("default", "DEFAULT"),
                                              ("default", "  default"), ("default", "default \t"),
                                              ("caf\u00e9", "cafe\u0301"),  # é written two ways: one name
                                              ("\ufb01le", "FILE")])
def test_a_campaign_differing_only_in_case_or_spaces_is_not_created(store_url, existing, name):
    from hea_campaign.campaign.errors import CampaignError
    from hea_campaign.campaign.store import CampaignStore

    first = CampaignStore.open(store_url, campaign=existing, actor="tester", create=True)
    try:
        with pytest.raises(CampaignError, match=rf"campaign named '{existing}' already exists.*--campaign '{existing}'"):
            CampaignStore.open(store_url, campaign=name, actor="tester", create=True)
        with unit_of_work(first.engine, write=False) as session:
            assert session.exec(select(Campaign.name)).all() == [existing]
        again = CampaignStore.open(store_url, campaign=existing, create=True)  # the existing one still opens
        assert again.campaign_id == first.campaign_id
        again.close()
    finally:
        first.close()


# ------------------------------------------------------------------ who is acting fits the store


def who_columns():
    """Every column that records a person's name (who acted, measured, made or voided something)."""
    return [(t.name, c.name, c.type.length) for t in SQLModel.metadata.sorted_tables for c in t.columns
            if c.name in ("actor", "operator", "created_by", "voided_by")]


def test_the_by_limit_is_the_size_of_every_who_column():
    from hea_campaign.campaign.actors import ACTOR_MAX

    columns = who_columns()
    assert {(t, c) for t, c, _ in columns} >= {("audit_event", "actor"), ("measurement", "operator")}
    assert {length for _, _, length in columns} == {ACTOR_MAX}, columns


@pytest.mark.parametrize(("by", "said"), [("", "is blank"), (" \t ", "is blank"), ("b" * 101, "101 characters long"),
                                          ("a\nb", r"control character \(\\x0a\)"), ("eve\x1b[2J", r"\(\\x1b\)"),
                                          ("x\x7f", r"\(\\x7f\)"), ("x\u202ey", r"\(\\u202e\)"),
                                          ("ana\u200b", r"\(\\u200b\)"), ("\ufeffana", r"\(\\ufeff\)"),
                                          ("ana\u200f", r"\(\\u200f\)")])
def test_actor_name_refuses_what_the_store_cannot_record(by, said):
    from hea_campaign.campaign.actors import actor_name, resolve_actor
    from hea_campaign.campaign.errors import CampaignError

    for check in (actor_name, resolve_actor):
        with pytest.raises(CampaignError, match=f"^--by {said}" if said.startswith("is") else f"^--by .*{said}"):
            check(by)


def test_actor_name_strips_and_keeps_plain_names():
    from hea_campaign.campaign.actors import actor_name, resolve_actor

    assert actor_name(None) is None
    assert actor_name("  Ana María [lab 2] ") == "Ana María [lab 2]"
    assert actor_name("n" * 100) == "n" * 100
    assert actor_name("می‌رضا") == "می‌رضا"  # a Persian name with its ZWNJ
    assert resolve_actor(" alice ") == "alice"


@pytest.mark.parametrize(("raw", "recorded"), [("u" * 300, "u" * 100), ("ev\x1b[2Je\n", "ev[2Je"), ("\n\t", "unknown"),
                                               ("", "unknown"), ("alice", "alice")])
def test_the_os_user_always_fits_the_store(raw, recorded, monkeypatch):
    from hea_campaign.campaign import actors

    monkeypatch.setattr(actors.getpass, "getuser", lambda: raw)  # LOGNAME, USER, ... or the passwd entry
    assert actors.current_user() == recorded
    assert actors.resolve_actor(None) == recorded
    assert actors.actor_name(recorded) == recorded  # the default never trips the --by check
