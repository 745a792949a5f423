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
from hea_campaign.db.engine import is_file_store, is_sqlite, make_engine, resolve_url, store_file

from .errors import CampaignError
from .store import CampaignStore

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


def backup_at(db: str | os.PathLike | None, path: str | Path) -> BackupResult:
    """Back up the store at ``db`` without opening a campaign in it.

    A backup copies a file and needs no schema: it works on a store an older or
    a newer hea-campaign wrote, which is exactly when ``db upgrade`` asks for one.
    """
    url = resolve_url(db)
    if is_file_store(url) and not store_file(url).exists():
        raise CampaignError(f"there is no store at {store_file(url)}")
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
    if target.exists():
        raise CampaignError(f"{target} already exists; a backup never overwrites a file, choose a new name")
    if not target.parent.is_dir():
        raise CampaignError(f"the folder {target.parent} does not exist")
    try:
        report = backup_sqlite(engine, target)
    except FileExistsError as exc:
        raise CampaignError(str(exc)) from None
    except (BackupError, OSError) as exc:
        raise CampaignError(f"backup failed, no file was written: {exc}") from exc
    return BackupResult(report.path, report.integrity, report.counts, report.size_bytes)
