"""A program left open while its SQLite file is moved away and a backup restored under that name must not
go on writing to the old file and report success (README, Store: restoring a backup)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from hea_campaign.campaign.backup import backup
from hea_campaign.campaign.results import add_result
from hea_campaign.campaign.store import CampaignStore, StoreReplaced

pytestmark = pytest.mark.sqlite_only("a SQLite file moved and restored")


def _measurements(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM measurement").fetchone()[0]


def _move_store(db: Path, to: Path) -> None:
    """What the README's restore does first: the store and its log files moved away together."""
    to.mkdir()
    for p in db.parent.glob(db.name + "*"):
        shutil.move(p, to / p.name)


@pytest.fixture
def open_store(tmp_path):
    db = tmp_path / "lab.db"
    store = CampaignStore.open(db)
    add_result(store, "CoCrFeNi", single_phase=True, phases="FCC", method="XRD")
    yield db, store
    store.close()


def test_a_write_after_a_restore_is_refused_once_then_goes_to_the_restored_file(open_store, tmp_path):
    db, store = open_store
    saved = tmp_path / "saved.db"
    backup(store, saved)
    _move_store(db, tmp_path / "old")
    restorer = CampaignStore.open(saved, create=False)
    backup(restorer, db)  # the restore: a backup of the backup, under the store's name
    restorer.close()
    with pytest.raises(StoreReplaced, match="replaced by another file.*nothing was saved"):
        add_result(store, "AlCoCrFeNi", single_phase=False, phases="BCC+B2", method="XRD")
    add_result(store, "CoCrFeNiMn", single_phase=True, phases="FCC", method="XRD")
    store.close()
    assert _measurements(tmp_path / "old" / "lab.db") == 1  # the moved file got nothing after the move
    assert _measurements(db) == 2  # the restored one got the write made after the refusal, once


def test_a_store_moved_away_is_refused_every_time_and_never_made_anew(open_store, tmp_path):
    db, store = open_store
    _move_store(db, tmp_path / "old")
    for _ in range(2):
        with pytest.raises(StoreReplaced, match="moved away or deleted"):
            with store.read() as session:
                session.execute(text("SELECT count(*) FROM measurement"))
    assert not db.exists()  # an empty store was not created in its place
    assert _measurements(tmp_path / "old" / "lab.db") == 1


def test_the_cli_says_it_in_one_line(open_store, tmp_path, capsys):
    from hea_campaign.tui.cli.errors import USAGE, handle

    db, store = open_store
    _move_store(db, tmp_path / "old")
    with pytest.raises(StoreReplaced) as caught:
        add_result(store, "AlCoCrFeNi", single_phase=False, phases="BCC+B2", method="XRD")
    assert handle(caught.value) == USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "moved away or deleted" in err and "internal error" not in err, err


def test_a_store_written_in_place_is_not_taken_for_a_replaced_one(open_store):
    """WAL checkpoints, a VACUUM and other programs' writes keep the file: no refusal."""
    db, store = open_store
    with sqlite3.connect(db) as other:
        other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        other.execute("VACUUM")
    os.utime(db)
    add_result(store, "AlCoCrFeNi", single_phase=False, phases="BCC+B2", method="XRD")
    assert _measurements(db) == 2


def test_a_write_that_outlives_the_move_is_not_committed(open_store, tmp_path):
    """An import ran on while its store was deleted, then said it had imported everything (exit 0)."""
    db, store = open_store
    with pytest.raises(StoreReplaced, match="while this program wrote to it"):
        with store.write() as session:
            session.execute(text("UPDATE campaign SET name = 'renamed'"))
            _move_store(db, tmp_path / "old")
    store.close()
    with sqlite3.connect(f"file:{tmp_path / 'old' / 'lab.db'}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT name FROM campaign").fetchall() == [("default",)]
