"""Backing up a campaign store before risky steps (schema upgrades, bulk imports).

SQLite stores are copied online (db/backup.py): consistent while the TUI or a
worker is writing, checked with ``PRAGMA integrity_check``, row counts
reported.  A store on a database server is the server's business: this tool
does not pretend to back it up and says which tool to use instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from hea_campaign.db.backup import BackupError, backup_sqlite
from hea_campaign.db.engine import is_sqlite

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


def backup(store: CampaignStore, path: str | Path) -> BackupResult:
    """Copy the store to ``path`` (a new file), check the copy and return its row counts."""
    if not (is_sqlite(store.url) and is_sqlite(store.engine)):
        backend = make_url(store.url).get_backend_name()
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
        report = backup_sqlite(store.engine, target)
    except FileExistsError as exc:
        raise CampaignError(str(exc)) from None
    except (BackupError, OSError) as exc:
        raise CampaignError(f"backup failed, no file was written: {exc}") from exc
    return BackupResult(report.path, report.integrity, report.counts, report.size_bytes)
