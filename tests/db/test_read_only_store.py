"""A store that cannot be written from here (a read-only share, a mounted backup, a colleague's file) opens
for reading, writes nothing beside itself, and refuses a write in one line."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from hea_campaign.db.location import read_only_uri, unwritable_store

pytestmark = pytest.mark.sqlite_only("read-only SQLite files")


def _deny_writes(monkeypatch, *paths: Path) -> None:
    """os.access answers as on a read-only file system for these paths (root ignores chmod)."""
    denied = {str(p) for p in paths}
    real = os.access

    def access(path, mode, *a, **k):
        if mode & os.W_OK and str(path) in denied:
            return False
        return real(path, mode, *a, **k)

    monkeypatch.setattr("hea_campaign.db.location.os.access", access)


def test_why_a_store_cannot_be_written(tmp_path, monkeypatch):
    db = tmp_path / "lab.db"
    db.write_bytes(b"")
    assert unwritable_store(db) is None
    assert unwritable_store(tmp_path / "missing.db") is None  # nothing to read: opened (and made) as usual
    _deny_writes(monkeypatch, tmp_path)
    assert unwritable_store(db) == "its folder is read-only"
    Path(f"{db}-wal").write_bytes(b"")
    Path(f"{db}-shm").write_bytes(b"")
    assert unwritable_store(db) is None  # the log files are there: SQLite writes only to them
    _deny_writes(monkeypatch, db)
    assert unwritable_store(db) == "the file is read-only"


def test_an_open_store_is_read_through_its_log_and_a_closed_one_as_an_unchanging_file(tmp_path):
    import sqlite3

    db = tmp_path / "lab db #1?.db"
    assert read_only_uri(db).endswith("?mode=ro&immutable=1") and "lab%20db%20%231%3F.db" in read_only_uri(db)
    Path(f"{db}-wal").write_bytes(b"")
    with pytest.raises(sqlite3.OperationalError, match="cannot recover them"):  # a killed writer's log
        read_only_uri(db)
    Path(f"{db}-shm").write_bytes(b"")
    assert read_only_uri(db).endswith("?mode=ro")


def test_a_read_only_reader_sees_what_the_owner_writes_while_it_stays_open(shared_copy, monkeypatch):
    """The TUI keeps the store open for hours: a colleague's results must reach it, whether the colleague's
    program is still connected (read through the log) or has closed (the file read anew)."""
    import posix

    from hea_campaign.campaign.results import record_result
    from hea_campaign.campaign.store import CampaignStore
    from hea_campaign.db.tables import Measurement
    from sqlalchemy import func
    from sqlmodel import select

    reader = CampaignStore.open(shared_copy, create=False)

    def seen() -> int:
        with reader.read() as s:
            return s.exec(select(func.count()).select_from(Measurement)).one()

    try:
        before = seen()
        with monkeypatch.context() as owners_view:  # the owner may write: its store is opened as usual
            owners_view.setattr("hea_campaign.db.location.os.access", posix.access)
            owner = CampaignStore.open(shared_copy, create=False)
        record_result(owner, "FeNi", single_phase=True)
        assert seen() == before + 1  # the owner still connected
        owner.close()
        assert seen() == before + 1  # the owner gone, its log folded into the file
    finally:
        reader.close()


@pytest.fixture
def shared_copy(seeded_store, tmp_path, monkeypatch):
    """A closed copy of the seeded store in a folder this process may not write."""
    folder = tmp_path / "share"
    folder.mkdir()
    seeded_store.close()  # the last connection checkpoints: no log left beside the file
    db = folder / "lab.db"
    shutil.copy(seeded_store.url.removeprefix("sqlite:///"), db)
    _deny_writes(monkeypatch, folder, db)
    return db


def test_a_read_only_store_is_read_and_left_untouched(shared_copy, capsys):
    from hea_campaign.tui.cli import main

    before = hashlib.sha256(shared_copy.read_bytes()).hexdigest()
    for command in (["status"], ["candidates"], ["history", "CoCrFeNi"], ["models"], ["space", "show"]):
        assert main([*command, "--db", str(shared_copy)]) == 0, capsys.readouterr()
    shown = capsys.readouterr().out
    assert "CoCrFeNi (alloy" in shown
    assert "read-only here (the file is read-only): commands that only read work" in shown  # status says it first
    assert main(["result", "add", "FeNi", "--single-phase", "yes", "--db", str(shared_copy)]) == 2
    err = capsys.readouterr().err
    assert "cannot be written from here" in err and "Traceback" not in err and err.count("\n") == 1
    assert hashlib.sha256(shared_copy.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in shared_copy.parent.iterdir()) == ["lab.db"]  # no log files made beside it


def test_a_write_through_the_service_fails_as_read_only(shared_copy):
    from sqlalchemy.exc import OperationalError

    from hea_campaign.campaign.results import record_result
    from hea_campaign.campaign.store import CampaignStore
    from hea_campaign.db.engine import READ_ONLY_SAYS, describe_db_error

    store = CampaignStore.open(shared_copy, create=False)
    try:
        with pytest.raises(OperationalError) as refused:
            record_result(store, "FeNi", single_phase=True)
        assert describe_db_error(refused.value) == READ_ONLY_SAYS
    finally:
        store.close()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes read-only files")
def test_a_store_made_read_only_by_its_permissions(seeded_store, tmp_path, capsys):
    from hea_campaign.tui.cli import main

    folder = tmp_path / "share"
    folder.mkdir()
    seeded_store.close()
    db = folder / "lab.db"
    shutil.copy(seeded_store.url.removeprefix("sqlite:///"), db)
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        assert main(["history", "CoCrFeNi", "--db", str(db)]) == 0, capsys.readouterr()
        assert main(["result", "add", "FeNi", "--single-phase", "yes", "--db", str(db)]) == 2
        assert "cannot be written from here" in capsys.readouterr().err
    finally:
        folder.chmod(0o755)


def test_the_writable_copy_the_refusal_suggests_is_one_command_away(shared_copy, tmp_path, capsys):
    from hea_campaign.tui.cli import main

    copy = tmp_path / "mine.db"
    assert main(["backup", str(copy), "--db", str(shared_copy)]) == 0, capsys.readouterr()
    assert main(["result", "add", "FeNi", "--single-phase", "yes", "--db", str(copy)]) == 0, capsys.readouterr()
    assert "Recorded measurement" in capsys.readouterr().out
    assert sorted(p.name for p in shared_copy.parent.iterdir()) == ["lab.db"]


def test_the_cockpit_header_says_the_store_is_read_only(shared_copy):
    from hea_campaign.tui.app.launch import cockpit_for

    app = cockpit_for(str(shared_copy), "default", open_store=lambda: None)
    assert app.sub_title.startswith("read-only (the file is read-only) · default @ ")
