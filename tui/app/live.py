"""Live refresh: the cockpit follows writes by anyone, without a key press.

A timer asks the store for its change marker (two numbers, see
campaign.changes) off the UI thread every ``INTERVAL`` seconds.  When it
moved, the new events are read in the same worker and every widget of the
open screens that has a ``store_changed(changes)`` method gets them on the UI
thread; each one redraws only what the changes touch (the dashboard its
counts, the candidate table the rows whose candidates changed, ...).  Focus,
cursors and half-filled forms are left alone: no widget is recreated.
"""

from __future__ import annotations

from textual.worker import get_current_worker

INTERVAL = 1.0  # seconds between two looks at the change marker


class LiveRefresh:
    def __init__(self, app, interval: float = INTERVAL):
        self.app = app
        self.interval = interval
        self.marker = None
        self._timer = None
        self._busy = False
        self._said = None  # the store-file problem last shown, so a file that stays gone is said once

    def start(self) -> None:
        from hea_campaign.campaign.changes import change_marker

        self.marker = change_marker(self.app.store)
        self._timer = self.app.set_interval(self.interval, self._tick, name="live-refresh")

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def _tick(self) -> None:
        if self._busy or self.marker is None:
            return
        self._busy = True
        self.app.run_worker(self._look, thread=True, group="live", exit_on_error=False, exclusive=True)

    def _look(self) -> None:
        from hea_campaign.campaign.changes import changes_since
        from hea_campaign.campaign.store import StoreReplaced

        problem = None
        try:
            changes = changes_since(self.app.store, self.marker)
        except StoreReplaced as exc:  # the file was moved away or replaced (a restore): say so
            problem, changes = exc, self._all_anew()
        except Exception:  # a store that is busy or briefly unreachable: look again next tick
            changes = None
        worker = get_current_worker()
        if worker.is_cancelled:
            return
        self.app.call_from_thread(self._deliver, changes, problem)

    def _all_anew(self):
        """Everything changed, read from the file now at the store's path (None while there is none)."""
        from hea_campaign.campaign.changes import StoreChanges, change_marker

        try:
            return StoreChanges(before=self.marker, after=change_marker(self.app.store), everything=True)
        except Exception:
            return None

    def _deliver(self, changes, problem=None) -> None:
        self._busy = False
        if problem is None:
            self._said = None
        elif str(problem) != self._said:
            self._said = str(problem)
            self.app.show_error(problem)
        if changes is None:
            return
        self.marker = changes.after
        self.app.deliver_changes(changes)
