"""Backing up a campaign store before risky steps (schema upgrades, bulk imports).

SQLite stores are copied online (db/backup.py): consistent while the TUI or a
worker is writing, checked with ``PRAGMA integrity_check``, row counts
reported.  A store on a database server is the server's business: this tool
does not pretend to back it up and says which tool to use instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from hea_campaign.db.backup import BackupError, backup_sqlite
from hea_campaign.db.engine import is_sqlite, make_engine, resolve_url

from .errors import CampaignError
from .files import fsync_dir, new_temp_file, write_failure
from .store import CampaignStore, refuse_missing_store

_SERVER_TOOLS = {
    "postgresql": "pg_dump (e.g. pg_dump -Fc DBNAME > backup.dump)",
    "mysql": "mysqldump",
    "mariadb": "mariadb-dump",
}


@dataclass
class BackupResult:
    path: Path
    integrity: str
    counts: dict[str, int]
    size_bytes: int
    models: Path | None = None  # the folder the model checkpoints were copied to
    model_files: int = 0
    models_missing: tuple[str, ...] = ()  # checkpoints the store names that were not found
    models_damaged: tuple[str, ...] = ()  # found, but not the file the store records (sha256), so not copied
    created_folder: Path | None = None  # the folder made for the copy (it did not exist), the topmost one


def backup_at(db: str | os.PathLike | None, path: str | Path) -> BackupResult:
    """Back up the store at ``db`` without opening a campaign in it.

    A backup copies a file and needs no schema: it works on a store an older or
    a newer hea-campaign wrote, which is exactly when ``db upgrade`` asks for one.
    """
    url = resolve_url(db)
    refuse_missing_store(url)
    try:
        engine = make_engine(url)
    except FileNotFoundError as exc:
        raise CampaignError(str(exc)) from None
    try:
        return _backup(engine, url, path)
    finally:
        engine.dispose()


def backup(store: CampaignStore, path: str | Path) -> BackupResult:
    """Copy the store to ``path`` (a new file), check the copy and return its row counts."""
    return _backup(store.engine, store.url, path)


def _backup(engine: Engine, url: str, path: str | Path) -> BackupResult:
    if not (is_sqlite(url) and is_sqlite(engine)):
        backend = make_url(url).get_backend_name()
        tool = _SERVER_TOOLS.get(backend, "the database server's own backup tool")
        raise CampaignError(
            f"the store is a {backend} database on a server; hea-campaign only backs up SQLite files. "
            f"Use the server's own tools: {tool}"
        )
    target = Path(path).expanduser()
    if target.is_dir():
        raise CampaignError(f"{target} is a folder; name a new file for the copy, e.g. {target / 'campaign.db'}")
    if target.exists():
        raise CampaignError(f"{target} already exists; a backup never overwrites a file, choose a new name")
    made = _make_folder(target.parent)
    try:
        report = backup_sqlite(engine, target)
    except FileExistsError as exc:
        _remove_made(made, target.parent)
        raise CampaignError(str(exc)) from None
    except OSError as exc:  # writing the copy: a full disk, a file-size limit, no rights
        _remove_made(made, target.parent)
        raise CampaignError(f"backup failed, no file was written: {write_failure(exc, target)}") from None
    except BackupError as exc:
        _remove_made(made, target.parent)
        raise CampaignError(f"backup failed, no file was written: {exc}") from exc
    except BaseException:  # a Ctrl+C while copying the store: its temporary file is gone, so are the folders made
        _remove_made(made, target.parent)
        raise
    result = BackupResult(report.path, report.integrity, report.counts, report.size_bytes, created_folder=made)
    created: list[Path] = []  # what copying the checkpoints made, in order (files and the .models folder)
    try:
        return _copy_models(result, url, created)
    except BaseException:  # a full disk, a Ctrl+C...: no half backup stays, the .db included
        _undo(created, target)
        _remove_made(made, target.parent)
        raise


def _undo(created: list[Path], target: Path) -> None:
    """Remove what a failed backup made: the checkpoint copies and the folder made for them, then the copy of the store."""
    for p in reversed([*created, target]):
        with contextlib.suppress(OSError):
            if p.is_dir() and not p.is_symlink():
                p.rmdir()
            else:
                p.unlink(missing_ok=True)
    fsync_dir(target.parent)


def _make_folder(folder: Path) -> Path | None:
    """Create ``folder`` (and its missing parents) for a backup; the topmost folder made, or None when it
    existed.  A file where a folder is needed is refused."""
    if folder.is_dir():
        return None
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    blocked = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise CampaignError(f"cannot make the folder {folder} for the backup: {blocked} is a file")
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise CampaignError(f"cannot make the folder {folder} for the backup: {exc.strerror or exc}") from None
    return missing[-1]


def _remove_made(made: Path | None, folder: Path) -> None:
    """Remove the folders a failed backup made (only while they are empty)."""
    if made is None:
        return
    for p in (folder, *folder.parents):
        try:
            p.rmdir()
        except OSError:
            return
        if p == made:
            return


def _copy_models(result: BackupResult, url: str, created: list[Path]) -> BackupResult:
    """Copy the checkpoints the store names into ``<backup stem>.models`` beside the backup.

    A store without its models cannot propose: restored beside this folder (same stem, e.g.
    ``lab.db`` with ``lab.models``), the store finds them by name (``model_versions.located``).

    Each file is copied to a temporary file beside its destination, fsynced, checked (size and sha256:
    a checkpoint against the sha256 the store records, a file beside it against what was read), and
    only then linked to its name.  A file already in the folder is kept only when it is the same
    (same check); any other is refused, never overwritten.  What is made is appended to ``created``
    so that a failure (or a Ctrl+C) can remove it all.  A checkpoint that is no longer the one the
    store records is not copied and is named in ``models_damaged``."""
    from sqlalchemy import create_engine, text

    from .model_versions import checkpoint_file, checkpoint_files

    engine = create_engine(f"sqlite:///{result.path}")
    try:
        with engine.connect() as c:
            recorded = [(r[0], (r[1] or "").lower()) for r in
                        c.execute(text("SELECT checkpoint_path, checkpoint_sha256 FROM model_version")) if r[0]]
    except Exception:  # noqa: BLE001 - a store of another schema (or none yet): nothing to copy
        return result
    finally:
        engine.dispose()
    folder = result.path.with_name(result.path.stem + ".models")
    placed, missing, damaged = 0, [], []
    for rec, sha in recorded:
        found = checkpoint_file(rec, url)
        if found is None:
            missing.append(Path(rec).name)
            continue
        if sha and _sha256(found) != sha:  # changed on disk: a copy of it would be refused on restore
            damaged.append(found.name)
            continue
        for f in checkpoint_files(found):
            if not folder.is_dir():
                try:
                    folder.mkdir()
                except OSError as exc:
                    raise CampaignError(f"backup failed, nothing was kept: {write_failure(exc, folder)}") from None
                created.append(folder)
            expected = sha if (f == found and sha) else _sha256(f)
            dest = folder / f.name
            if dest.exists() or dest.is_symlink():
                if not dest.is_file() or _sha256(dest) != expected:
                    raise CampaignError(
                        f"backup failed, nothing was kept: {dest} is already there and is not the file the store's "
                        f"model needs (its sha256 differs); a backup never overwrites a file: move it away, or "
                        f"choose another name")
            else:
                _copy_checked(f, dest, expected, created)
            placed += 1
    result.models, result.model_files = (folder if placed else None), placed
    result.models_missing, result.models_damaged = tuple(missing), tuple(damaged)
    if placed:
        fsync_dir(folder)
    return result


def _sha256(path: Path) -> str:
    from hea_campaign.model.checkpoint import sha256_file

    return sha256_file(path)


def _write(out, chunk: bytes) -> None:
    """One chunk of a checkpoint copy (a seam for the tests of a disk that fills up part-way)."""
    out.write(chunk)


def _copy_checked(src: Path, dest: Path, expected: str, created: list[Path]) -> None:
    """Copy ``src`` to ``dest`` (which does not exist) through a checked, fsynced temporary file."""
    import hashlib
    import shutil

    def failed(exc: OSError) -> CampaignError:
        return CampaignError(f"backup failed, nothing was kept: {write_failure(exc, dest)}")

    try:
        fd, tmp = new_temp_file(dest)
    except OSError as exc:
        raise failed(exc) from None
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            try:
                fin = open(src, "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise CampaignError(f"backup failed, nothing was kept: cannot read {src}: {exc.strerror or exc}") from None
            with fin:
                while True:
                    try:
                        chunk = fin.read(1 << 20)
                    except OSError as exc:
                        raise CampaignError(
                            f"backup failed, nothing was kept: cannot read {src}: {exc.strerror or exc}") from None
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
                    try:
                        _write(out, chunk)
                    except OSError as exc:
                        raise failed(exc) from None
            try:
                out.flush()
                os.fsync(out.fileno())
            except OSError as exc:
                raise failed(exc) from None
        if digest.hexdigest() != expected:
            raise CampaignError(f"backup failed, nothing was kept: {src} changed while it was copied; try again")
        if tmp.stat().st_size != size or _sha256(tmp) != expected:
            raise CampaignError(f"backup failed, nothing was kept: the copy {dest} does not read back as written")
        with contextlib.suppress(OSError):
            shutil.copystat(src, tmp)
        created.append(dest)
        try:
            os.link(tmp, dest)
        except FileExistsError:
            created.remove(dest)
            raise CampaignError(f"backup failed, nothing was kept: {dest} appeared while copying; a backup never "
                                f"overwrites a file") from None
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise failed(exc) from None
            if dest.exists():
                created.remove(dest)
                raise CampaignError(f"backup failed, nothing was kept: {dest} appeared while copying; a backup "
                                    f"never overwrites a file") from None
            try:  # file systems without hard links
                os.replace(tmp, dest)
            except OSError as exc2:
                raise failed(exc2) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
