"""How long a writer waits for another's lock is set per thread: the TUI's thread waits a few seconds,
everything else the store's default, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from hea_campaign.campaign.results import record_result
from hea_campaign.campaign.writer_wait import wait_for_writers
from hea_campaign.db.engine import BUSY_TIMEOUT_MS, describe_db_error, is_sqlite


def _writer_wait_ms(store) -> int:
    """The lock wait a write unit begun in this thread runs with, as the database reports it."""
    with store.write() as s:
        if is_sqlite(store.engine):
            return int(s.exec(text("PRAGMA busy_timeout")).one()[0])
        shown = s.exec(text("SHOW lock_timeout")).one()[0]  # e.g. '250ms', '30s'
        return int(shown.removesuffix("ms")) if shown.endswith("ms") else int(shown.removesuffix("s")) * 1000


@pytest.fixture
def restore_wait():
    yield
    wait_for_writers(None)


def test_a_thread_sets_its_own_wait_and_no_other(store, restore_wait):
    assert _writer_wait_ms(store) == BUSY_TIMEOUT_MS
    wait_for_writers(0.25)
    assert _writer_wait_ms(store) == 250
    seen = []
    other = threading.Thread(target=lambda: seen.append(_writer_wait_ms(store)))
    other.start()
    other.join()
    assert seen == [BUSY_TIMEOUT_MS]  # a worker thread keeps the default
    assert _writer_wait_ms(store) == 250  # the same pooled connection, set again for this thread
    wait_for_writers(None)
    assert _writer_wait_ms(store) == BUSY_TIMEOUT_MS


@pytest.mark.sqlite_only("a SQLite file locked by another connection")
def test_a_short_wait_gives_up_on_a_busy_store_and_says_how_long_it_waited(store, restore_wait):
    path = store.url.removeprefix("sqlite:///")
    other = sqlite3.connect(path)
    other.execute("BEGIN IMMEDIATE")
    try:
        wait_for_writers(0.2)
        with pytest.raises(OperationalError) as refused:
            record_result(store, "FeNi", single_phase=True)
        assert "for more than 0.2 s" in describe_db_error(refused.value)  # what the CLI and the TUI say
    finally:
        other.rollback()
        other.close()
    assert record_result(store, "FeNi", single_phase=True).measurement.id is not None  # free again: it writes


@pytest.mark.sqlite_only("a SQLite file locked by another connection")
def test_a_command_waiting_for_another_writer_says_so_then_writes(seeded_store, capsys, monkeypatch, restore_wait):
    """The CLI prints one line on stderr while a write waits for another program's lock, and goes on when the
    lock is released; the lock is released only once that line has been printed, so nothing here is timed."""
    from hea_campaign.campaign.writer_wait import say_when_waiting
    from hea_campaign.tui.cli import main, root

    said = threading.Event()
    printed = root._say_waiting

    def notice():
        printed()
        said.set()

    other = sqlite3.connect(seeded_store.url.removeprefix("sqlite:///"), check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Thread(target=lambda: (said.wait(120), other.rollback()))
    release.start()
    monkeypatch.setattr(root, "_say_waiting", notice)
    try:
        code = main(["result", "add", "CoCrFeNi", "--single-phase", "yes", "--db", seeded_store.url])
    finally:
        release.join()
        other.close()
        say_when_waiting(None)
    out = capsys.readouterr()
    assert said.is_set() and code == 0, out
    assert out.err.count("waiting for the store: another program is writing to it") == 1
    assert "Recorded measurement" in out.out


@pytest.mark.sqlite_only("a SQLite file locked by another connection")
@pytest.mark.parametrize("command", [["status"], ["candidates"], ["history", "CoCrFeNi"],
                                     ["space", "show"], ["models"]])
def test_a_command_that_only_reads_never_waits_for_a_writer(seeded_store, capsys, monkeypatch, restore_wait, command):
    """Opening the store and reading take no write lock: a colleague's long import never holds up a look
    at the campaign.  Were the lock taken, the waiting notice would fire (and release the lock, so nothing
    here is timed)."""
    from hea_campaign.tui.cli import main, root

    fired, release = [], threading.Event()
    other = sqlite3.connect(seeded_store.url.removeprefix("sqlite:///"), check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    releaser = threading.Thread(target=lambda: (release.wait(120), other.rollback()))
    releaser.start()
    monkeypatch.setattr(root, "_say_waiting", lambda: (fired.append(True), release.set()))
    try:
        code = main([*command, "--db", seeded_store.url])
    finally:
        release.set()
        releaser.join()
        other.close()
    out = capsys.readouterr()
    assert code == 0, out
    assert fired == [], f"{command} took the write lock"
