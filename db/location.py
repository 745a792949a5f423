"""Where the store lives: the ``--db`` value as a URL, without importing SQLAlchemy.

``status`` reads a SQLite store with the standard library alone (``status_reads``), so
what a ``--db`` value names must be known before SQLAlchemy is imported.
"""

from __future__ import annotations

import os
from pathlib import Path

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
