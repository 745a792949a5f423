"""Backing up a campaign store before risky steps (schema upgrades, bulk imports).

SQLite stores are copied online (db/backup.py): consistent while the TUI or a
worker is writing, checked with ``PRAGMA integrity_check``, row counts
reported.  A store on a database server is the server's business: this tool
does not pretend to back it up and says which tool to use instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from hea_campaign.db.backup import BackupError, backup_sqlite
from hea_campaign.db.engine import is_sqlite, make_engine, resolve_url

from .errors import CampaignError
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
    except (BackupError, OSError) as exc:
        _remove_made(made, target.parent)
        raise CampaignError(f"backup failed, no file was written: {exc}") from exc
    result = BackupResult(report.path, report.integrity, report.counts, report.size_bytes, created_folder=made)
    return _copy_models(result, url)


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


def _copy_models(result: BackupResult, url: str) -> BackupResult:
    """Copy the checkpoints the store names into ``<backup stem>.models`` beside the backup.

    A store without its models cannot propose: restored beside this folder (same stem, e.g.
    ``lab.db`` with ``lab.models``), the store finds them by name (``model_versions.located``)."""
    import shutil

    from sqlalchemy import create_engine, text

    from .model_versions import checkpoint_file, checkpoint_files

    engine = create_engine(f"sqlite:///{result.path}")
    try:
        with engine.connect() as c:
            recorded = [r[0] for r in c.execute(text("SELECT checkpoint_path FROM model_version")) if r[0]]
    except Exception:  # noqa: BLE001 - a store of another schema (or none yet): nothing to copy
        return result
    finally:
        engine.dispose()
    folder = result.path.with_name(result.path.stem + ".models")
    copied, missing = 0, []
    for rec in recorded:
        found = checkpoint_file(rec, url)
        if found is None:
            missing.append(Path(rec).name)
            continue
        folder.mkdir(exist_ok=True)
        for f in checkpoint_files(found):
            if not (folder / f.name).exists():
                shutil.copy2(f, folder / f.name)
                copied += 1
    result.models, result.model_files, result.models_missing = (folder if copied else None), copied, tuple(missing)
    return result
