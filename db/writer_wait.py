"""How long a writer in this thread waits for another writer's lock (standard library only).

Kept apart from ``db.engine`` so the TUI can set its own thread's wait before
SQLAlchemy is imported (the first frame does not wait for it).  ``db.engine``
applies the wait when a write unit begins: SQLite's ``busy_timeout``,
PostgreSQL's ``lock_timeout``.
"""

from __future__ import annotations

import threading

_THREAD = threading.local()


def wait_for_writers(seconds: float | None) -> None:
    """Make write units begun in this thread wait at most ``seconds`` for another writer (None: the default)."""
    _THREAD.wait_ms = None if seconds is None else max(1, int(seconds * 1000))


def thread_wait_ms() -> int | None:
    """This thread's wait in milliseconds, or None for the store's default."""
    return getattr(_THREAD, "wait_ms", None)
