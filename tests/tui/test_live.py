"""Live refresh: writes by another process show up without a key press."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from hea_campaign.tui.app import CampaignApp

from .test_app import candidates_shown, wait_for
from .test_snapshots import fixed_store  # noqa: F401  (fixture: seed dataset + six fixed candidates)

pytestmark = pytest.mark.sqlite_only("the other process writes to the same SQLite file")


def cli(store, *args: str) -> str:
    """Run the real command line in another process against the same store."""
    done = subprocess.run([sys.executable, "-m", "hea_campaign.tui.cli", *args, "--db", store.url, "--by", "colleague"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_write_from_another_process_reaches_the_dashboard_and_the_table(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        table = app.query_one("#candidate-table")
        assert table.get_cell("2", "status") == "proposed"
        status = app.query_one("#status")
        assert "(current measurements: 1375)" in str(status.render())
        app.query_one("#status-filter").focus()  # focus elsewhere must stay where it is

        await asyncio.to_thread(cli, fixed_store, "approve", "2")
        await asyncio.to_thread(cli, fixed_store, "result", "add", "Al0.3CoCrFeNiTi0.2", "--single-phase", "no")
        await wait_for(pilot, lambda: table.get_cell("2", "status") == "approved", timeout=60)
        await wait_for(pilot, lambda: "(current measurements: 1376)" in str(status.render()), timeout=60)
        assert "colleague" in str(status.render())  # the recent-activity list names who wrote
        assert app.focused is app.query_one("#status-filter")


def test_refreshing_the_activity_keeps_labels_and_reads_new_candidate_counts(fixed_store):  # noqa: F811
    from hea_campaign.campaign.lifecycle import approve
    from hea_campaign.campaign.status import campaign_status, refresh_activity

    before = campaign_status(fixed_store, recent=3)
    approve(fixed_store, [2], by="colleague")
    after = refresh_activity(fixed_store, before, recent=3)
    assert after == campaign_status(fixed_store, recent=3)
    assert after.candidates["approved"] == before.candidates["approved"] + 1
    assert "colleague: candidate.approve candidate 2" in after.recent[0]


async def test_a_batch_voided_in_another_terminal_is_counted_on_the_dashboard(fixed_store, tmp_path):  # noqa: F811
    from hea_campaign.campaign.export import export_batch

    batch = export_batch(fixed_store, ids=[1], mass=20, out=tmp_path / "batch.csv", by="setup")  # candidate 1: approved
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        status = app.query_one("#status")
        await wait_for(pilot, lambda: "measurements: 1375" in str(status.render()))
        assert "voided export batches" not in str(status.render())
        await asyncio.to_thread(cli, fixed_store, "export", "void", str(batch.batch_id), "--reason", "wrong mass")
        await wait_for(pilot, lambda: "voided export batches: 1" in str(status.render()), timeout=60)


async def test_an_open_candidate_detail_follows_a_write_from_another_terminal(fixed_store):  # noqa: F811
    """The detail said 'status proposed' (and the old note) after another terminal rejected the candidate."""
    from hea_campaign.campaign.lifecycle import reject
    from hea_campaign.tui.app.screens import CandidateScreen

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        app.push_screen(CandidateScreen(2))
        await wait_for(pilot, lambda: isinstance(app.screen, CandidateScreen) and app.screen.detail is not None)
        shown = lambda: str(app.screen.query_one("#detail").render())  # noqa: E731
        assert "status proposed" in shown()

        await asyncio.to_thread(reject, fixed_store, [2], reason="too dear", by="colleague")
        await wait_for(pilot, lambda: "status rejected" in shown(), timeout=60)
        assert "too dear" in shown()
        assert app.screen.detail.candidate.status == "rejected"
