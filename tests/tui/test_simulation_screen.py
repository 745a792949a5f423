"""The simulation from the TUI: a small replay in a worker, its plot saved as a PNG."""

from __future__ import annotations

import pytest

from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.simulation_screen import SimulationScreen

from .test_app import error_shown, run_from_palette, wait_for

PNG = b"\x89PNG\r\n\x1a\n"


async def test_key_s_runs_a_small_simulation_and_saves_its_plot(seeded_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = CampaignApp(seeded_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, SimulationScreen))
        screen = app.screen
        # the smallest run the service allows: one repeat, one round, random against itself
        screen.query_one("#sim-repeats").value = "1"
        screen.query_one("#sim-rounds").value = "1"
        screen.query_one("#sim-strategies").value = "random"
        screen.query_one("#sim-run").press()
        await wait_for(pilot, lambda: screen.saved is not None, timeout=300)
        assert screen.query_one("#sim-progress").progress == 2  # 1 repeat x (first model + 1 round)
        said = str(screen.query_one("#sim-status").render())
        assert "Plot saved" in said and "Targets (single phase with at least 4 elements) found after" in said
    (png,) = tmp_path.glob("simulation-*.png")
    assert screen.saved == tmp_path / png.name
    assert png.read_bytes()[:8] == PNG


async def test_a_bad_setting_is_refused_in_the_error_window(seeded_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = CampaignApp(seeded_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await run_from_palette(pilot, "Simulate a campaign")
        await wait_for(pilot, lambda: isinstance(app.screen, SimulationScreen))
        app.screen.query_one("#sim-strategies").value = "greedy"  # random is what the others are measured against
        app.screen.query_one("#sim-run").press()
        await wait_for(pilot, lambda: error_shown(app), timeout=60)
        assert "must include random" in str(app.screen.query_one("#error-message").render())
    assert not list(tmp_path.glob("*.png"))


async def test_cancel_stops_the_run_and_saves_nothing(seeded_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = CampaignApp(seeded_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, SimulationScreen))
        screen = app.screen
        await pilot.press("enter")  # Run has the focus; the default run: 2 repeats x (1 + 4 x 3) = 26 trainings
        await wait_for(pilot, lambda: screen.query_one("#sim-progress").progress >= 1, timeout=300)
        assert app.focused is screen.query_one("#sim-cancel")
        await pilot.press("enter")  # Cancel run
        # the message comes when the worker's thread has ended, so no training runs on behind it
        await wait_for(pilot, lambda: "stopped" in str(screen.query_one("#sim-status").render()), timeout=120)
        status = str(screen.query_one("#sim-status").render())
        assert "cancelled after" in status and "of 26 trainings" in status and "no plot" in status
        assert screen.query_one("#sim-progress").progress < 26 and screen.saved is None
        assert not screen.query_one("#sim-run").disabled
    assert not list(tmp_path.glob("*.png"))
