"""The garbage collector's full passes, moved to moments when nobody is typing.

A full pass scans every tracked object that is not frozen.  With a page of
the candidate table drawn, Textual's strips and their caches (about 36,000
objects, a third of them the strips' own caches) made one pass take 50-100 ms
on the UI thread (bench/tui.py at 10^5 candidates): a frozen screen whenever
one landed between a key and the frame answering it.  While the app runs, the
collector's automatic full passes are off; a timer runs one after ``QUIET``
seconds without a key or a click, at most every ``EVERY`` seconds, and in any
case once ``BACKSTOP`` collections of the middle generation have passed
without one (someone paging without a pause).  The young generations are
collected as always, and the thresholds are put back when the app stops, so
memory stays bounded and nothing outside the app changes.
"""

from __future__ import annotations

import gc
import time

EVERY = 10.0  # seconds between two full passes, at the most frequent
QUIET = 2.0  # seconds without input before one runs
BACKSTOP = 1000  # collections of the middle generation (about 7 million allocations) without a full pass
NO_AUTOMATIC_PASS = 1 << 30  # collections of the middle generation before a full pass: never, in practice


class IdleCollector:
    def __init__(self, app, every: float = EVERY, quiet: float = QUIET):
        self.app = app
        self.every = every
        self.quiet = quiet
        self.last_input = time.monotonic()
        self.last_pass = time.monotonic()
        self.passes = 0  # full passes run by this collector
        self._saved: tuple[int, int, int] | None = None
        self._timer = None

    def start(self) -> None:
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        young, middle, _ = self._saved
        gc.set_threshold(young, middle, NO_AUTOMATIC_PASS)
        self._timer = self.app.set_interval(min(1.0, self.every), self.tick, name="idle-collector")

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def input_seen(self) -> None:
        self.last_input = time.monotonic()

    def tick(self) -> bool:
        """Run a full pass if it is time and the user is idle; whether one ran."""
        now = time.monotonic()
        if self._saved is None:
            return False
        overdue = gc.get_count()[2] >= BACKSTOP
        if not overdue and (now - self.last_pass < self.every or now - self.last_input < self.quiet):
            return False
        gc.collect()
        self.last_pass = time.monotonic()
        self.passes += 1
        return True
