"""PostgreSQL specifics: the write lock, read snapshots, the CLI on a server URL, one-line refusals.

Most tests here need ``--backend postgresql`` (a server from HEA_TEST_PG_URL);
the refused-connection checks need only the psycopg driver and run on every
backend.
"""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from sqlmodel import func, select

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.results import add_result
from hea_campaign.campaign.store import CampaignStore
from hea_campaign.db.engine import PG_WRITE_LOCK_KEY, make_engine, safe_url, unit_of_work
from hea_campaign.db.migrate import current_revision, head_revision
from hea_campaign.db.tables import Alloy, AuditEvent, Measurement
from hea_campaign.tui.cli import main

server = pytest.mark.postgresql_only("needs the PostgreSQL server")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@server
def test_the_store_fixtures_are_on_the_server(store, seeded_store):
    assert store.engine.dialect.name == seeded_store.engine.dialect.name == "postgresql"
    assert store.engine.url.database != seeded_store.engine.url.database


@server
def test_write_units_hold_the_write_lock_and_read_units_do_not(store):
    other = create_engine(store.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try_lock = text(f"SELECT pg_try_advisory_xact_lock({PG_WRITE_LOCK_KEY})")
    with unit_of_work(store.engine) as session:
        assert session.exec(text("SHOW transaction_isolation")).scalar_one() == "read committed"
        with other.connect() as conn:
            assert conn.execute(try_lock).scalar_one() is False  # another writer would wait
    with unit_of_work(store.engine, write=False) as session:
        assert session.exec(text("SHOW transaction_isolation")).scalar_one() == "repeatable read"
        with other.connect() as conn:
            assert conn.execute(try_lock).scalar_one() is True
    with store.engine.connect() as conn:
        assert conn.execute(text("SHOW lock_timeout")).scalar_one() == "30s"  # like SQLite's busy timeout
    other.dispose()


@server
def test_a_read_unit_sees_one_snapshot(store):
    add_result(store, "FeNi", single_phase=True)
    with store.read() as session:
        first = session.exec(select(func.count()).select_from(Measurement)).one()
        add_result(store, "CoNi", single_phase=True)  # committed by another unit meanwhile
        assert session.exec(select(func.count()).select_from(Measurement)).one() == first
    with store.read() as session:
        assert session.exec(select(func.count()).select_from(Measurement)).one() == first + 1


@server
def test_threads_adding_the_same_new_formula_make_one_alloy(store):
    n = 8
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results.append(add_result(store, "CoCrFeMnNi", single_phase=True, by=f"t{i}").id)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(set(results)) == n
    with store.read() as s:
        assert s.exec(select(func.count()).select_from(Alloy).where(Alloy.formula == "CoCrFeMnNi")).one() == 1
        assert s.exec(select(func.count()).select_from(Measurement)).one() == n
        actions = s.exec(select(AuditEvent.action, func.count()).group_by(AuditEvent.action)).all()
    assert dict(actions) == {"campaign.create": 1, "alloy.add": 1, "measurement.add": n}


@server
def test_db_upgrade_and_status_on_a_server_url(make_db, capsys):
    url = make_db()
    assert main(["db", "upgrade", "--db", url]) == 0
    out = capsys.readouterr().out
    assert f"schema empty -> {head_revision()}" in out
    assert current_revision(make_engine(url)) == head_revision()
    assert main(["db", "current", "--db", url]) == 0
    assert main(["status", "--db", url]) == 2  # no campaign yet: only init creates one
    assert main(["init", "--db", url]) == 0
    capsys.readouterr()
    assert main(["status", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "Alloys: 0" in out and "campaign: default" in out
    password = make_engine(url).url.password
    if password:
        assert f":{password}@" not in out and ":***@" in out


@server
def test_an_existing_database_that_is_not_a_store_is_refused(make_db, capsys):
    url = make_db()
    with make_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE inventory (id integer)"))
    assert main(["status", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not a campaign store" in err


def test_a_server_that_refuses_gives_one_line(capsys):
    url = f"postgresql+psycopg://lab:secret@127.0.0.1:{_closed_port()}/hea"
    for args in (["status", "--db", url], ["db", "upgrade", "--db", url], ["db", "current", "--db", url]):
        assert main(args) == 2
        out = capsys.readouterr()
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "refused" in lines[0].lower(), out.err
        assert "Traceback" not in out.err + out.out and "secret" not in out.err + out.out
    with pytest.raises(CampaignError, match="cannot open the store"):
        CampaignStore.open(url)


def test_urls_are_shown_without_their_password():
    assert safe_url("postgresql+psycopg://lab:s3cret@db.example:5432/hea") == "postgresql+psycopg://lab:***@db.example:5432/hea"
    assert safe_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_driver_errors_become_one_line_without_the_statement():
    from hea_campaign.db.engine import describe_db_error

    raw = Exception("permission denied for schema public\nLINE 2: CREATE TABLE alembic_version (\n        ^\n")
    assert describe_db_error(raw) == "permission denied for schema public"
    refused = Exception('connection failed: connection to server at "10.0.0.9", port 5432 failed: Connection refused\n'
                        "\tIs the server running on that host and accepting TCP/IP connections?")
    assert describe_db_error(refused) == ('connection failed: connection to server at "10.0.0.9", port 5432 failed: '
                                          "Connection refused; Is the server running on that host and accepting "
                                          "TCP/IP connections?")
