"""How long a writer in this thread waits for another writer's lock (standard library only).

Kept apart from ``db.engine`` so the TUI can set its own thread's wait before
SQLAlchemy is imported (the first frame does not wait for it).  ``db.engine``
applies the wait when a write unit begins: SQLite's ``busy_timeout``,
PostgreSQL's ``lock_timeout``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_THREAD = threading.local()


def wait_for_writers(seconds: float | None) -> None:
    """Make write units begun in this thread wait at most ``seconds`` for another writer (None: the default)."""
    _THREAD.wait_ms = None if seconds is None else max(1, int(seconds * 1000))


def thread_wait_ms() -> int | None:
    """This thread's wait in milliseconds, or None for the store's default."""
    return getattr(_THREAD, "wait_ms", None)


def say_when_waiting(notice: Callable[[], None] | None, after_s: float = 2.0) -> None:
    """Call ``notice`` (from a timer thread) when a write unit begun in this thread has waited ``after_s`` for
    another writer's lock: a command that sits silent for half a minute looks hung."""
    _THREAD.notice = None if notice is None else (after_s, notice)


@contextmanager
def noticed_wait() -> Iterator[None]:
    """Around taking the write lock: this thread's notice fires if taking it lasts long."""
    pending = getattr(_THREAD, "notice", None)
    timer = None if pending is None else threading.Timer(pending[0], pending[1])
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()
