"""A store opened after the cockpit's first frame.

Importing SQLAlchemy and SQLModel takes longer than composing the whole app
(about 0.7 s of a 2 s start at 10^5 candidates, bench/tui.py).  For a plain
SQLite file the dashboard's first status is read with the standard library
(``campaign.status.quick_status``, the same counts as ``campaign_status``), the
first frame is drawn, and only then is the store opened in a thread.  Whoever
needs the store before that waits for it; a failure to open reaches every
caller as the exception itself, which the app shows in its error modal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hea_campaign.campaign.store import CampaignStore


class StoreOpening:
    """``open_store`` run once, in a daemon thread, when first started or asked for."""

    def __init__(self, open_store: Callable[[], CampaignStore], campaign_name: str, display_url: str):
        self.campaign_name = campaign_name
        self.display_url = display_url
        self._open_store = open_store
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._store: CampaignStore | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[], None]] = []

    def start(self) -> None:
        """Begin opening, once."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="store-opening", daemon=True)
                self._thread.start()

    def on_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when opening has ended either way: in the opening thread, or at once
        (in the caller's thread) if it already has."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def _run(self) -> None:
        try:
            self._store = self._open_store()
        except BaseException as exc:  # handed to every caller of result()
            self._error = exc
        with self._lock:
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def result(self) -> CampaignStore:
        """The open store, waiting for it if needed; raises what opening raised."""
        self.start()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._store
