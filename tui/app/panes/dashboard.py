"""Dashboard: counts, labels, candidates, the active model and recent activity."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Static

from hea_campaign.campaign.status import CampaignStatus, campaign_status
from hea_campaign.tui.present.views import status_text

EMPTY_HINT = (
    "This store has no alloys yet. Import the seed dataset (type yan2021) or the path of a CSV "
    "with a formula column, then press Import."
)
RECENT = 8  # events listed under "recent activity"
MORE_HINT = "Import another dataset or CSV of alloys at any time (here, or Ctrl+P then \"import\")."


class StatusText(Static, can_focus=True):
    """The counts, the model and the recent activity: focused by key d on a store with alloys, and without
    keys of its own, so Down, Page Down and End reach the pane and scroll it to the recent activity."""


class DashboardPane(VerticalScroll, can_focus=False):
    """Scrolls (Page Up/Down from its fields or its status text, or the mouse), so that a small terminal
    reaches the recent activity below the counts.

    The pane itself takes no focus (so Tab from nowhere goes to its import field, the tab's first control:
    tests/tui/test_screen_fit.py); key d focuses the status text instead (``focus_status``), whose
    scrolling keys are the pane's."""

    _shown = ""
    _status: CampaignStatus | None = None
    class Imported(Message):
        """A dataset was imported; other tabs should reload."""

        def __init__(self, summary: str):
            super().__init__()
            self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="import-box"):
            yield Static(EMPTY_HINT, id="import-hint")
            with Horizontal():
                yield Input(placeholder="yan2021 or path/to/alloys.csv", id="import-source")
                yield Button("Import", variant="primary", id="import")
        yield StatusText("", id="status")

    def on_mount(self) -> None:
        first = self.app.first_status  # read before the store was opened (see store_opening)
        if first is not None:
            self.show_status(first)
        else:
            self.refresh_status()
        self._focus_field_if_empty()

    def focus_if_empty(self) -> None:
        """Back from an import: read the counts again, and if the store is still empty, see below."""
        if self._status is not None and self._status.alloys == 0:
            self.refresh_status()  # the import may have just filled the store
        self._focus_field_if_empty()

    def focus_status(self) -> None:
        """Key d: the import field on an empty store, else the status text, so that the arrows, Page Down
        and End scroll the dashboard at once (at 80x24 the recent activity is below the fold)."""
        if self._status is not None and self._status.alloys == 0:
            self._focus_field_if_empty()
        else:
            self.query_one("#status", StatusText).focus()

    def _focus_field_if_empty(self) -> None:
        """On a store without alloys the hint says "type yan2021": typing goes to the field at once
        (otherwise letter keys switch tabs)."""
        if self._status is not None and self._status.alloys == 0:
            self.query_one("#import-source", Input).focus()

    def refresh_status(self) -> None:
        self.show_status(campaign_status(self.app.store, recent=RECENT))

    def show_status(self, status: CampaignStatus) -> None:
        self._status = status
        text = status_text(status, train_hint="train one on the Retrain tab, key t", show_store=False)
        if text.markup != self._shown:  # redraw only when the counts or the activity changed
            self._shown = text.markup
            self.query_one("#status", Static).update(text)
        hint = EMPTY_HINT if status.alloys == 0 else MORE_HINT
        self.query_one("#import-hint", Static).update(hint)

    def store_changed(self, changes) -> None:
        """Live refresh, off the UI thread; the whole status is read again only when alloys, results or
        export batches changed (else only the candidate counts, the model and the activity)."""
        # proposals add alloys too (counted as "alloys only proposed, without a current result"); an export, a void or
        # a settled interrupted export changes the batch counts ("voided export batches", "interrupted")
        self.load_status(labels=changes.measurements
                         or changes.touches("proposal.", "candidate.propose", "export_batch."))

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def load_status(self, labels: bool = True) -> None:
        """Read the status in a worker: all of it, or (``labels`` False) only what changes without an alloy,
        a result or an export batch being written (``refresh_activity``: recounting labels takes seconds)."""
        from hea_campaign.campaign.status import refresh_activity

        previous = self._status
        if labels or previous is None:
            status = campaign_status(self.app.store, recent=RECENT)
        else:
            status = refresh_activity(self.app.store, previous, recent=RECENT)
        self.app.call_from_thread(self.show_status, status)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "import":
            self.open_import()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "import-source":
            self.open_import()

    def open_import(self) -> None:
        """The import screen, with the source typed here; it runs the import and shows the whole report.
        The field keeps what was typed until an import of it succeeds (``import_closed``)."""
        source = self.query_one("#import-source", Input).value.strip()
        self.app.set_focus(None)  # back from the import screen, letter keys switch tabs instead of typing here
        self.app.action_import_data(source, run=bool(source), on_close=self.import_closed)

    def import_closed(self, kept: str) -> None:
        """The import screen opened from here is gone: the field holds the path as last typed (on that
        screen too) after a refused import, to correct one character of it, and nothing after a successful one."""
        for field in self.query("#import-source").results(Input):  # none when the app is closing
            field.value = kept

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
