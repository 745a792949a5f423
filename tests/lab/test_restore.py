"""Restoring a store from a backup: the file copied in place, or `hea-campaign backup COPY --db BACKUP`.

A restore goes wrong in ways a backup does not: a copy cut short (0 bytes, a truncated file), and the
old store's SQLite log files (-wal, -shm) left beside the restored file, which SQLite replays onto it.
"""

from __future__ import annotations

import sqlite3

import pytest

from hea_campaign.campaign.backup import backup, backup_at
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.results import add_result
from hea_campaign.campaign.store import CampaignStore

from .test_backup import _counts


def _cli(argv, capsys) -> tuple[int, str, str]:
    from hea_campaign.tui.cli import main

    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.sqlite_only("a store file cut short")
def test_a_backup_of_a_damaged_store_file_is_one_plain_error(store, tmp_path, capsys):
    """`hea-campaign backup` of a truncated or non-SQLite file said "internal error ... please report it"."""
    add_result(store, "CoCrFeNi", single_phase=True)
    good = backup(store, tmp_path / "good.db").path
    damaged = {"truncated.db": good.read_bytes()[: good.stat().st_size // 2],
               "header-only.db": good.read_bytes()[:50],
               "not-sqlite.db": b"candidate_id,formula\n1,CoCrFeNi\n"}  # fmt: skip
    for name, data in damaged.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(CampaignError, match="backup failed, no file was written"):
            backup_at(tmp_path / name, tmp_path / f"copy-of-{name}")
        code, out, err = _cli(["backup", str(tmp_path / "out" / f"copy-of-{name}"), "--db", str(tmp_path / name)],
                              capsys)  # fmt: skip
        assert code == 2, (name, out, err)
        assert err.startswith("error: backup failed, no file was written") and "internal error" not in err
        assert len(err.strip().splitlines()) == 1
        assert not (tmp_path / f"copy-of-{name}").exists() and not (tmp_path / "out").exists()


@pytest.mark.sqlite_only("a store file of 0 bytes")
def test_an_empty_file_is_not_taken_for_a_store(tmp_path, capsys):
    """A restore cut short leaves a 0-byte hea-campaign.db: reading commands made a new empty store in
    it and said "no campaign named 'default'", as if the lab's campaign were elsewhere."""
    empty = tmp_path / "hea-campaign.db"
    empty.write_bytes(b"")
    with pytest.raises(CampaignError, match="empty"):
        CampaignStore.open(empty, create=False)
    for argv in (["status"], ["candidates"], ["history", "CoCrFeNi"], ["models"]):
        code, out, err = _cli([*argv, "--db", str(empty)], capsys)
        assert code == 2 and "is empty (0 bytes)" in err and "no campaign" not in err, (argv, err)
    with pytest.raises(CampaignError, match="empty"):
        backup_at(empty, tmp_path / "copy.db")
    assert empty.stat().st_size == 0  # nothing was written into it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hea-campaign.db"]
    s = CampaignStore.open(empty, actor="tester", create=True)  # init may still make a store there
    s.close()


@pytest.mark.sqlite_only("SQLite log files beside a store file")
def test_a_backup_is_never_written_beside_another_stores_log_files(store, store_path, tmp_path, capsys):
    """Restoring by `hea-campaign backup hea-campaign.db --db BACKUP` after moving the old store away
    without its -wal file: SQLite replays that log onto the restored copy, so changes made after the
    backup came back (or the copy is corrupted).  The backup is refused while such a file is there."""
    add_result(store, "CoCrFeNi", single_phase=True)
    saved = backup(store, tmp_path / "bk" / "lab.db")
    restored = tmp_path / "lab" / "hea-campaign.db"
    restored.parent.mkdir()

    # the old store, in use when the lab's terminal was closed: a log holding a result entered after the backup
    old = sqlite3.connect(restored.parent / "old.db", isolation_level=None)
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("PRAGMA wal_autocheckpoint=0")
    old.execute("CREATE TABLE after_the_backup (x)")
    old.execute("INSERT INTO after_the_backup VALUES (1)")
    wal = (restored.parent / "old.db-wal").read_bytes()
    old.close()
    (restored.parent / "old.db").unlink()
    (restored.parent / "hea-campaign.db-wal").write_bytes(wal)  # the old store was moved away without its log

    with pytest.raises(CampaignError, match="hea-campaign.db-wal"):
        backup_at(saved.path, restored)
    code, out, err = _cli(["backup", str(restored), "--db", str(saved.path)], capsys)
    assert code == 2 and "hea-campaign.db-wal" in err and len(err.strip().splitlines()) == 1
    assert not restored.exists()

    (restored.parent / "hea-campaign.db-wal").unlink()
    done = backup_at(saved.path, restored)  # the documented restore, once the log is gone
    assert done.counts == _counts(saved.path) and _counts(restored) == _counts(saved.path)
    assert "after_the_backup" not in _counts(restored)


@pytest.mark.sqlite_only("SQLite's write-ahead log beside the store file")
def test_after_a_command_the_store_file_alone_holds_every_change(tmp_path):
    """A command's changes are in the store file when it ends (no lab.db-wal left beside it), so a scientist
    who copies lab.db alone, as one copies a file, has the whole store."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("hea-campaign")
    db = tmp_path / "lab.db"
    env = {**os.environ, "HEA_CAMPAIGN_MODELS": str(tmp_path / "models")}
    for argv in (["init"], ["result", "add", "CoCrFeNi", "--single-phase", "yes"]):
        done = subprocess.run([str(exe), *argv, "--db", str(db)], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        assert not (tmp_path / "lab.db-wal").exists(), argv
    shutil.copyfile(db, tmp_path / "copy.db")  # the file alone
    assert _counts(tmp_path / "copy.db")["measurement"] == 1


@pytest.mark.sqlite_only("SQLite's write-ahead log beside the store file")
def test_the_tui_leaving_busy_threads_behind_still_folds_the_log_into_the_store(tmp_path):
    """`q` with a worker still running ends the process with os._exit, which skips the exit hooks: the quick
    start's first store was a 4 KiB lab.db beside a 160 KiB lab.db-wal holding the whole schema and campaign,
    so a copy of the file alone was not a store.  The stores are now closed first."""
    from hea_campaign.tui.app.launch import _close_stores

    s = CampaignStore.open(f"sqlite:///{tmp_path / 'lab.db'}", create=True)
    add_result(s, "CoCrFeNi", single_phase=True)
    assert (tmp_path / "lab.db-wal").exists()  # the store is open: its changes may sit in the log
    _close_stores()
    assert not (tmp_path / "lab.db-wal").exists()
    assert _counts(tmp_path / "lab.db")["measurement"] == 1
