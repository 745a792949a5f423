"""The Textual app.  For now: the dashboard of a campaign store.

Domain work happens in campaign/; this module only shows what it returns.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from hea_campaign.campaign.status import CampaignStatus, campaign_status
from hea_campaign.campaign.store import CampaignStore

from .report import format_status

EMPTY_HINT = (
    "This store has no alloys yet.\n\n"
    "Import the seed dataset:   hea-campaign init --dataset yan2021\n"
    "or your own CSV:           hea-campaign import alloys.csv\n"
)


class Dashboard(Static):
    """Counts, labels, candidates and recent activity of the campaign."""

    def show(self, status: CampaignStatus) -> None:
        text = format_status(status)
        if status.alloys == 0:
            text = EMPTY_HINT + "\n" + text
        self.update(text)


class CampaignApp(App):
    TITLE = "hea-campaign"
    CSS = "Dashboard { padding: 1 2; }"
    BINDINGS = [
        Binding("r", "refresh", "Refresh"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, store: CampaignStore):
        super().__init__()
        self.store = store
        self.sub_title = f"{store.campaign_name} @ {store.url}"

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Dashboard(id="dashboard")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one(Dashboard).show(campaign_status(self.store))
