"""A command that only reads a SQLite store leaves it as it found it: the file's bytes unchanged and nothing
beside it once the command has ended (no -wal, no -shm), whether the store is a lab's (WAL mode) or a
backup (one self-contained file in rollback-journal mode), so a scientist can copy the folder, or restore
into it, after looking.  Each command runs in a process of its own, so its exit is the real one."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hea_campaign.campaign.backup import backup_at
from hea_campaign.campaign.results import add_result
from hea_campaign.campaign.store import CampaignStore, close_sqlite_stores

pytestmark = pytest.mark.sqlite_only("SQLite files and the log files beside them")

READING = (["status"], ["candidates"], ["history", "CoCrFeNi"], ["models"])


def _run(argv: list[str], tmp_path: Path, **env) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("hea-campaign")
    env = {**os.environ, "HEA_CAMPAIGN_MODELS": str(tmp_path / "models"), **env}
    done = subprocess.run([str(exe), *argv], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and not done.stderr.strip(), (argv, done.stdout, done.stderr)
    return done


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _journal_mode(path: Path) -> str:
    """'wal' or 'delete' as the file's header says (bytes 18-19), read without opening it in SQLite."""
    with open(path, "rb") as fh:
        header = fh.read(20)
    return {b"\x02\x02": "wal", b"\x01\x01": "delete"}[header[18:20]]


def _lab_store(folder: Path) -> Path:
    """A lab's store as writing commands leave it: WAL mode, one result, the .db file alone."""
    folder.mkdir()
    db = folder / "lab.db"
    s = CampaignStore.open(db, actor="tester", create=True)
    add_result(s, "CoCrFeNi", single_phase=True)
    s.close()
    close_sqlite_stores()
    assert sorted(p.name for p in folder.iterdir()) == ["lab.db"] and _journal_mode(db) == "wal"
    return db


def test_a_reading_command_leaves_a_lab_store_alone(tmp_path):
    """`status` left 0-byte lab.db-wal and lab.db-shm beside the store (its standard-library read opened the
    store read-only, and a read-only connection can neither fold the log back nor remove it)."""
    db = _lab_store(tmp_path / "lab")
    before = _sha256(db)
    for argv in READING:
        _run([*argv, "--db", str(db)], tmp_path)
        assert sorted(p.name for p in db.parent.iterdir()) == ["lab.db"], argv
        assert _sha256(db) == before, argv


def test_reading_a_backup_does_not_change_it(tmp_path):
    """Opening a backup (one file in rollback-journal mode) switched it to WAL mode, so merely reading a
    backup modified it.  Reading leaves its bytes alone, by --db or HEA_CAMPAIGN_DB, and so does copying it
back into place with `backup` (the README's restore); a writing command
    still puts it in WAL mode, and the file alone holds the change once it has ended."""
    db = _lab_store(tmp_path / "lab")
    copy = backup_at(db, tmp_path / "bk" / "lab.db").path
    close_sqlite_stores()
    assert _journal_mode(copy) == "delete"
    before = _sha256(copy)
    for argv in READING:
        _run([*argv, "--db", str(copy)], tmp_path)
        _run(argv, tmp_path, HEA_CAMPAIGN_DB=str(copy))
        assert _sha256(copy) == before, argv
        assert sorted(p.name for p in copy.parent.iterdir()) == ["lab.db"], argv
    assert _journal_mode(copy) == "delete"
    (tmp_path / "restored").mkdir()  # the README's restore: a copy of the backup under the store's name
    _run(["backup", str(tmp_path / "restored" / "lab.db"), "--db", str(copy)], tmp_path)
    assert _sha256(copy) == before and sorted(p.name for p in copy.parent.iterdir()) == ["lab.db"]

    _run(["result", "add", "FeNi", "--single-phase", "yes", "--db", str(copy)], tmp_path)
    assert _journal_mode(copy) == "wal"
    assert sorted(p.name for p in copy.parent.iterdir()) == ["lab.db"]


def test_a_backup_can_be_restored_where_a_store_was_only_read(tmp_path):
    """`status` on lab.db left lab.db-wal beside it; moving lab.db away and restoring a backup under its
    name was then refused ("lab.db-wal is there, a log file of the store that was at lab.db ..."), though
    the log was an empty one left by a command that wrote nothing."""
    db = _lab_store(tmp_path / "lab")
    saved = backup_at(db, tmp_path / "bk" / "saved.db").path
    close_sqlite_stores()
    _run(["status", "--db", str(db)], tmp_path)
    (tmp_path / "old").mkdir()
    shutil.move(db, tmp_path / "old" / "lab.db")  # the store alone, as one moves a file
    done = _run(["backup", str(db), "--db", str(saved)], tmp_path)
    assert "lab.db" in done.stdout
    assert sorted(p.name for p in db.parent.iterdir()) == ["lab.db"]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM measurement").fetchone()[0] == 1
