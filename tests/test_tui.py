"""The Textual app, driven headlessly."""

from __future__ import annotations

from textual.widgets import Static

from hea_campaign.tui.app import CampaignApp, Dashboard


async def test_empty_store_offers_an_import(store):
    app = CampaignApp(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = str(app.query_one(Dashboard).render())
        assert "no alloys yet" in text and "hea-campaign init --dataset yan2021" in text


async def test_dashboard_shows_the_seeded_counts(seeded_store):
    app = CampaignApp(seeded_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = str(app.query_one(Dashboard).render())
        assert "Alloys: 1369" in text and "conflicting labels: 3" in text
        await pilot.press("q")
