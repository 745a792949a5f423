"""Where the store lives: the ``--db`` value as a URL, without importing SQLAlchemy.

``status`` reads a SQLite store with the standard library alone (``status_reads``), so
what a ``--db`` value names must be known before SQLAlchemy is imported.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

DEFAULT_DB_FILE = "hea-campaign.db"
ENV_DB = "HEA_CAMPAIGN_DB"
SQLITE_FILE_PREFIX = "sqlite:///"


def resolve_url(db: str | os.PathLike | None = None) -> str:
    """A SQLAlchemy URL from ``--db`` (path or URL), the environment, or the default file."""
    raw = str(db) if db else os.environ.get(ENV_DB) or DEFAULT_DB_FILE
    if "://" in raw:
        return raw
    if raw == ":memory:":
        return "sqlite://"
    return f"{SQLITE_FILE_PREFIX}{Path(raw).expanduser().resolve()}"


def plain_sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL (no driver, options or password); None otherwise."""
    if not url.startswith(SQLITE_FILE_PREFIX) or "?" in url:
        return None
    name = url[len(SQLITE_FILE_PREFIX):]
    return Path(name) if name and name != ":memory:" else None


def unwritable_store(path: Path) -> str | None:
    """Why the existing store file ``path`` cannot be written from here, or None if it can.

    SQLite keeps its write-ahead log beside the file, so a store in a folder this
    user cannot write (a read-only share, a mounted backup) cannot even be opened
    the usual way unless the log files are already there.
    """
    if not path.is_file():
        return None
    if not os.access(path, os.W_OK):
        return "the file is read-only"
    logs_there = Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()
    if not os.access(path.parent, os.W_OK) and not logs_there:
        return "its folder is read-only"
    return None


def read_only_uri(path: Path) -> str:
    """A SQLite URI that reads ``path`` and writes nothing, not even beside it.

    With no write-ahead log beside the file no program has the store open, so it
    is read as an unchanging file (``immutable``); otherwise through the log.
    """
    uri = f"file:{quote(str(path))}?mode=ro"
    return uri if Path(f"{path}-wal").exists() else uri + "&immutable=1"
