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
    """A SQLite URI that reads ``path`` now and writes nothing, not even beside it; asked anew for every
    connection, since another program may start or stop writing to the store meanwhile.

    With its log files beside it a program has the store open: it is read through
    them.  With neither, no program has it open, and it is read as an unchanging
    file (``immutable``: SQLite would otherwise create the log files beside it).  A
    log left without its index (a writer that was killed) needs recovering by a
    program that may write there: reading around it would miss committed results.
    """
    uri = f"file:{quote(str(path))}?mode=ro"
    wal, shm = Path(f"{path}-wal").exists(), Path(f"{path}-shm").exists()
    if wal and shm:
        return uri
    if wal:
        import sqlite3

        raise sqlite3.OperationalError(
            f"{path.name}-wal holds results not yet in the store file, and this user cannot recover them: open "
            "the store once as someone who may write to its folder (any hea-campaign command), then try again")
    return uri + "&immutable=1"
