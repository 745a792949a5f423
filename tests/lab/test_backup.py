"""Backups: consistent while another connection writes, verified, never overwriting, honest about servers."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from pathlib import Path

import pytest

from hea_campaign.campaign import model_versions
from hea_campaign.campaign.backup import backup
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.results import add_result, history
from hea_campaign.campaign.store import CampaignStore
from hea_campaign.db.backup import table_counts


def _counts(path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return table_counts(con)
    finally:
        con.close()


@pytest.mark.sqlite_only("SQLite online backup of a store file")
def test_backup_while_another_connection_holds_a_write_transaction(store, store_path, tmp_path):
    for text in ("FeNi", "CoCrFeNi", "AlCoCrFeNi"):
        add_result(store, text, single_phase=True)
    committed = _counts(store_path)

    writer = sqlite3.connect(store_path, isolation_level=None, timeout=0.1)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO audit_event (campaign_id, at, actor, action, entity, payload) "
                   "VALUES (1, '2024-01-01 00:00:00', 'w', 'uncommitted', 'x', '{}')")  # fmt: skip
    target = tmp_path / "copies" / "b.db"
    target.parent.mkdir()
    started = time.monotonic()
    result = backup(store, target)
    assert time.monotonic() - started < 5  # did not wait for the writer's lock
    writer.execute("COMMIT")
    writer.close()

    assert result.integrity == "ok" and result.path == target and result.size_bytes == target.stat().st_size
    assert result.counts == committed == _counts(target)  # the uncommitted row is not in the copy
    assert _counts(store_path)["audit_event"] == committed["audit_event"] + 1
    assert sorted(p.name for p in target.parent.iterdir()) == ["b.db"]  # one self-contained file, no temp/-wal left
    con = sqlite3.connect(target)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()
    copy = CampaignStore.open(target, create=False)  # the copy is a working store
    assert [e.entity_id for e in history(copy, "FeNi").entries] == [e.entity_id for e in history(store, "FeNi").entries]
    copy.close()


@pytest.mark.sqlite_only("SQLite online backup of a store file")
def test_backup_never_overwrites(store, tmp_path):
    target = tmp_path / "b.db"
    target.write_bytes(b"keep me")
    with pytest.raises(CampaignError, match="already exists"):
        backup(store, target)
    assert target.read_bytes() == b"keep me"


@pytest.mark.sqlite_only("SQLite online backup of a store file")
def test_backup_makes_a_missing_folder_and_says_so(store, tmp_path, monkeypatch, capsys):
    """The README's `hea-campaign backup backups/lab.db` on a fresh machine: the folder is made."""
    from hea_campaign.tui.cli import main

    done = backup(store, tmp_path / "no" / "such" / "b.db")
    assert done.created_folder == tmp_path / "no" and (tmp_path / "no" / "such" / "b.db").is_file()
    monkeypatch.chdir(tmp_path)
    assert main(["backup", "backups/lab.db", "--db", store.url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Created the folder backups for the backup\nBackup written to backups/lab.db")
    assert (tmp_path / "backups" / "lab.db").is_file()
    assert main(["backup", "bk/new/lab.db", "--db", store.url]) == 0  # two folders made: the message names both
    assert capsys.readouterr().out.startswith(f"Created the folder {Path('bk/new')} for the backup\n")
    assert "Created the folder" not in (main(["backup", "backups/lab2.db", "--db", store.url]) == 0
                                        and capsys.readouterr().out)
    (tmp_path / "file").write_text("")
    with pytest.raises(CampaignError, match="file is a file"):
        backup(store, tmp_path / "file" / "sub" / "b.db")


@pytest.mark.sqlite_only("SQLite online backup of a store file")
@pytest.mark.parametrize("name", ["nosuch", "default"])
def test_backup_refuses_campaign_as_it_copies_every_campaign(store, tmp_path, monkeypatch, capsys, name):
    """`backup x.db --campaign nosuch` succeeded, copying the whole store: one line now, nothing made."""
    from hea_campaign.tui.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["backup", "backups/x.db", "--campaign", name, "--db", store.url]) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: backup copies the whole store, every campaign in it")
    assert "leave out --campaign" in lines[0] and "Traceback" not in out.err + out.out
    assert not (tmp_path / "backups").exists()


def test_backup_help_says_how_to_restore(capsys):
    from hea_campaign.tui.cli import main

    assert main(["backup", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "every campaign in it" in text and "To restore: close every program using the store" in text
    assert "mv hea-campaign.db* old/" in text and "hea-campaign backup hea-campaign.db --db backups/lab.db" in text
    assert "hea-campaign.models" in text


@pytest.mark.sqlite_only("SQLite online backup of a store file")
def test_a_failed_backup_leaves_no_folder_it_made(store, tmp_path, monkeypatch):
    import hea_campaign.campaign.backup as campaign_backup
    from hea_campaign.db.backup import BackupError

    def failing(engine, target):
        raise BackupError("the copy failed its check")

    monkeypatch.setattr(campaign_backup, "backup_sqlite", failing)
    (tmp_path / "kept").mkdir()
    with pytest.raises(CampaignError, match="backup failed"):
        backup(store, tmp_path / "kept" / "new" / "deeper" / "b.db")
    assert (tmp_path / "kept").is_dir() and list((tmp_path / "kept").iterdir()) == []


@pytest.mark.sqlite_only("SQLite online backup of a store file")
def test_a_copy_that_fails_its_check_is_not_kept(store, tmp_path, monkeypatch):
    from hea_campaign.db import backup as db_backup

    real = db_backup.table_counts
    calls = []

    def lying_counts(conn):
        calls.append(1)
        counts = real(conn)
        if len(calls) == 2:  # the copy's counts
            counts["alloy"] += 1
        return counts

    monkeypatch.setattr(db_backup, "table_counts", lying_counts)
    with pytest.raises(CampaignError, match="row counts differ"):
        backup(store, tmp_path / "b.db")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("campaign.db")) == []


def test_server_stores_are_sent_to_their_own_tools(store, tmp_path):
    server = dataclasses.replace(store, url="postgresql+psycopg://lab@db.example/hea")
    with pytest.raises(CampaignError, match="pg_dump"):
        backup(server, tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists()


def _restore(backup_file, models, folder, stem: str, gone: str) -> CampaignStore:
    """Copy a backup (and its model folder, if given) to ``folder/stem.db`` and record its checkpoint
    paths under ``gone``, as a store moved from another machine or folder records them."""
    import shutil

    folder.mkdir()
    shutil.copy(backup_file, folder / f"{stem}.db")
    if models is not None:
        shutil.copytree(models, folder / f"{stem}.models")
    con = sqlite3.connect(folder / f"{stem}.db")
    with con:
        for vid, path in con.execute("SELECT id, checkpoint_path FROM model_version").fetchall():
            con.execute("UPDATE model_version SET checkpoint_path = ? WHERE id = ?", (f"{gone}/{Path(path).name}", vid))
    con.close()
    return CampaignStore.open(folder / f"{stem}.db", actor="tester")


@pytest.mark.sqlite_only("the model folder beside a SQLite store file")
def test_a_backup_carries_its_models_and_a_restored_store_finds_them(trained_store, tmp_path):
    from hea_campaign.campaign.model_versions import get_version, load_version
    from hea_campaign.tui.present.report import format_backup

    (tmp_path / "bk").mkdir()
    r = backup(trained_store, tmp_path / "bk" / "lab.db")
    assert r.models == tmp_path / "bk" / "lab.models" and r.model_files >= 1 and r.models_missing == ()
    assert any(f.suffix == ".pt" for f in r.models.iterdir())
    assert f"{r.model_files} file(s) copied to {r.models}" in format_backup(r)
    original = load_version(get_version(trained_store))[0].predict_proba

    restored = _restore(r.path, r.models, tmp_path / "elsewhere", "hea", "/no/longer/here")
    model_versions._cache.clear()  # as in a new process: nothing loaded yet
    version = get_version(restored)
    assert version.checkpoint_path.startswith(str(tmp_path / "elsewhere" / "hea.models"))
    X = load_version(version)[1][:5]
    assert (load_version(version)[0].predict_proba(X) == original(X)).all()
    restored.close()

    bare = _restore(r.path, None, tmp_path / "bare", "hea", "/no/longer/here")
    model_versions._cache.clear()
    with pytest.raises(CampaignError, match="no checkpoint at /no/longer/here/"):
        load_version(get_version(bare))
    bare.close()


@pytest.mark.sqlite_only("the model folder beside a SQLite store file")
def test_a_checkpoint_that_is_not_the_versions_is_refused_where_it_is_found(trained_store, tmp_path):
    """The folder is searched by file name only; the sha256 check decides whether it is the version's."""
    from hea_campaign.campaign.model_versions import get_version, load_version

    (tmp_path / "bk").mkdir()
    r = backup(trained_store, tmp_path / "bk" / "lab.db")
    pt = next(f for f in r.models.iterdir() if f.suffix == ".pt")
    pt.write_bytes(pt.read_bytes()[:-8] + b"tampered")
    restored = _restore(r.path, r.models, tmp_path / "elsewhere", "hea", "/no/longer/here")
    model_versions._cache.clear()
    with pytest.raises(CampaignError, match="sha256"):
        load_version(get_version(restored))
    restored.close()


# --- a destination that fills up (or is interrupted) while the checkpoints are copied ---------------


def _left_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _store_file(store) -> Path:
    from sqlalchemy.engine import make_url

    return Path(make_url(store.url).database)


def _checkpoint(store) -> Path:
    con = sqlite3.connect(_store_file(store))
    (path,) = con.execute("SELECT checkpoint_path FROM model_version").fetchone()
    con.close()
    return Path(path)


def _fill_up_after(monkeypatch, nbytes: int, exc: BaseException) -> None:
    """The destination takes ``nbytes`` of a checkpoint copy, part of the next chunk, then ``exc``."""
    from hea_campaign.campaign import backup as backup_module

    left = {"n": nbytes}

    def write(out, chunk):
        if len(chunk) > left["n"]:
            out.write(chunk[: left["n"]])
            out.flush()
            raise exc
        left["n"] -= len(chunk)
        out.write(chunk)

    monkeypatch.setattr(backup_module, "_write", write)


@pytest.mark.sqlite_only("the model folder beside a SQLite store file")
def test_a_disk_full_during_the_checkpoint_copy_leaves_no_half_backup(trained_store, tmp_path, monkeypatch):
    import errno

    (tmp_path / "bk").mkdir()
    _fill_up_after(monkeypatch, 1000, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(CampaignError) as got:
        backup(trained_store, tmp_path / "bk" / "lab.db")
    said = str(got.value)
    assert f"the disk holding {tmp_path / 'bk' / 'lab.models'} is full" in said, said
    assert str(_checkpoint(trained_store).parent) not in said  # not the source's name
    assert _left_in(tmp_path / "bk") == []  # neither the .db nor a cut-short checkpoint nor the folder

    monkeypatch.undo()  # space freed: the retry makes a whole backup that restores
    r = backup(trained_store, tmp_path / "bk" / "lab.db")
    from hea_campaign.model.checkpoint import load_checkpoint

    con = sqlite3.connect(_store_file(trained_store))
    sha = {Path(p).name: d for p, d in con.execute("SELECT checkpoint_path, checkpoint_sha256 FROM model_version")}
    con.close()
    for name, digest in sha.items():
        load_checkpoint(r.models / name, expected_sha256=digest)


@pytest.mark.sqlite_only("the model folder beside a SQLite store file")
def test_a_ctrl_c_during_the_checkpoint_copy_leaves_no_half_backup(trained_store, tmp_path, monkeypatch):
    _fill_up_after(monkeypatch, 1000, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        backup(trained_store, tmp_path / "new" / "lab.db")
    assert not (tmp_path / "new").exists()  # the folder the backup made goes too


@pytest.mark.sqlite_only("the model folder beside a SQLite store file")
def test_a_file_size_limit_during_the_checkpoint_copy_leaves_no_half_backup(trained_store, tmp_path):
    """A real ``ulimit -f``: the kernel refuses the write past the limit (Python ignores SIGXFSZ)."""
    import resource

    pt = _checkpoint(trained_store)
    db_size = _store_file(trained_store).stat().st_size
    limit = db_size + 64 * 1024
    assert pt.stat().st_size > limit, "the test needs a checkpoint larger than the store"
    (tmp_path / "bk").mkdir()
    old = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, old[1]))
    try:
        with pytest.raises(CampaignError, match=r"a file-size limit \(ulimit -f\) stopped writing .*lab\.models"):
            backup(trained_store, tmp_path / "bk" / "lab.db")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old)
    assert _left_in(tmp_path / "bk") == []


@pytest.mark.sqlite_only("the model folder beside a SQLite store file")
def test_a_cut_short_checkpoint_already_in_the_models_folder_is_refused_not_kept(trained_store, tmp_path):
    (tmp_path / "bk").mkdir()
    whole = backup(trained_store, tmp_path / "bk" / "first.db")
    pt = next(f for f in whole.models.iterdir() if f.suffix == ".pt")
    (tmp_path / "bk" / "lab.models").mkdir()
    (tmp_path / "bk" / "lab.models" / pt.name).write_bytes(pt.read_bytes()[:1000])  # what a full disk left
    with pytest.raises(CampaignError, match=f"{pt.name} is already there and is not the file"):
        backup(trained_store, tmp_path / "bk" / "lab.db")
    assert not (tmp_path / "bk" / "lab.db").exists()
    assert _left_in(tmp_path / "bk" / "lab.models") == [pt.name]  # not removed: this run did not make it

    for f in whole.models.iterdir():  # the same files (sha256 checked) are kept and count as copied
        (tmp_path / "bk" / "lab.models" / f.name).write_bytes(f.read_bytes())
    r = backup(trained_store, tmp_path / "bk" / "lab.db")
    assert r.models == tmp_path / "bk" / "lab.models" and r.model_files == whole.model_files


@pytest.mark.sqlite_only("the model folder beside a SQLite store file")
def test_a_checkpoint_changed_on_disk_is_not_copied_and_is_named(trained_store, tmp_path):
    from hea_campaign.tui.present.report import format_backup

    pt = _checkpoint(trained_store)
    changed = tmp_path / "moved" / pt.name  # a copy of its own: the session's template is shared
    changed.parent.mkdir()
    changed.write_bytes(pt.read_bytes()[:-8] + b"tampered")
    con = sqlite3.connect(_store_file(trained_store))
    with con:
        con.execute("UPDATE model_version SET checkpoint_path = ?", (str(changed),))
    con.close()
    r = backup(trained_store, tmp_path / "lab.db")
    assert pt.name in r.models_damaged and not (tmp_path / "lab.models" / pt.name).exists()
    assert f"so not copied: {pt.name}" in format_backup(r)


@pytest.mark.sqlite_only("SQLite online backup of a store file")
def test_a_full_destination_is_named_not_the_store(store, tmp_path, monkeypatch):
    """SQLite's "database or disk is full" while writing the copy: the destination is full, the store is fine."""
    from hea_campaign.db import backup as db_backup

    real, calls = db_backup.table_counts, []

    def full_on_the_copy(conn):
        calls.append(conn)
        if len(calls) == 2:  # the source's counts first, then the copy's
            exc = sqlite3.OperationalError("database or disk is full")
            exc.sqlite_errorcode = 13
            raise exc
        return real(conn)

    monkeypatch.setattr(db_backup, "table_counts", full_on_the_copy)
    with pytest.raises(CampaignError) as got:
        backup(store, tmp_path / "b.db")
    said = str(got.value)
    assert f"the disk holding {tmp_path} is full" in said and "store could not" not in said, said
    assert not [p for p in _left_in(tmp_path) if p.startswith(("b.db", ".b.db"))]


@pytest.mark.sqlite_only("SQLite online backup of a store file")
def test_a_ctrl_c_while_the_store_is_copied_leaves_no_folder_it_made(store, tmp_path, monkeypatch):
    import hea_campaign.campaign.backup as campaign_backup

    def interrupted(engine, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(campaign_backup, "backup_sqlite", interrupted)
    with pytest.raises(KeyboardInterrupt):
        backup(store, tmp_path / "new" / "deeper" / "b.db")
    assert not (tmp_path / "new").exists()
