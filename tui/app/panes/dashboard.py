"""Dashboard: counts, labels, candidates, the active model and recent activity."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static

from hea_campaign.campaign.status import campaign_status
from hea_campaign.tui.present.views import status_text

EMPTY_HINT = (
    "This store has no alloys yet. Import the seed dataset (type yan2021) or the path of a CSV "
    "with a formula column, then press Import."
)


class DashboardPane(Vertical):
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
        yield Static("", id="status")

    def on_mount(self) -> None:
        self.refresh_status()

    def refresh_status(self) -> None:
        status = campaign_status(self.app.store, recent=8)
        self.query_one("#status", Static).update(status_text(status, train_hint="train one on the Retrain tab, key t", show_store=False))
        empty = status.alloys == 0
        self.query_one("#import-box").display = empty
        if empty:
            self.query_one("#import-source", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "import":
            source = self.query_one("#import-source", Input).value.strip()
            if source:
                self.notify(f"Importing {source}...")
                self.import_source(source)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "import-source" and event.value.strip():
            self.import_source(event.value.strip())

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def import_source(self, source: str) -> str:
        from pathlib import Path

        from hea_campaign.campaign.datasets import DATASETS, fetch
        from hea_campaign.campaign.importing import import_csv

        if source in DATASETS:
            report = import_csv(self.app.store, fetch(source), source=source, actor=self.app.actor)
        else:
            report = import_csv(self.app.store, Path(source).expanduser(), actor=self.app.actor)
        summary = (
            f"Imported {report.source}: {report.alloys_added} alloys, {report.measurements_added} results; "
            f"{len(report.conflicts)} conflicting, {len(report.outside_vocabulary)} outside the vocabulary"
        )
        self.post_message(self.Imported(summary))
        return summary

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
