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


async def test_a_backup_restored_under_the_store_is_said_and_shown_and_then_written(fixed_store, tmp_path):  # noqa: F811
    """A TUI left open through the README's restore went on showing and writing the moved-away file, and
    reported an approval as done that the restored store never got."""
    import shutil
    import sqlite3
    from pathlib import Path

    from hea_campaign.campaign.backup import backup
    from hea_campaign.campaign.lifecycle import approve
    from hea_campaign.campaign.store import CampaignStore
    from hea_campaign.tui.app.modals import ErrorModal

    db = Path(fixed_store.engine.url.database)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        table = app.query_one("#candidate-table")
        assert table.get_cell("2", "status") == "proposed"

        saved = tmp_path / "saved.db"
        await asyncio.to_thread(backup, fixed_store, saved)
        other = CampaignStore.open(saved, create=False)
        await asyncio.to_thread(approve, other, [2], by="colleague")  # the backup differs from the open file
        (tmp_path / "old").mkdir()
        for p in db.parent.glob(db.name + "*"):
            shutil.move(p, tmp_path / "old" / p.name)
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal)
                       and "moved away or deleted" in app.screen.message, timeout=60)
        await asyncio.to_thread(backup, other, db)  # the restore
        other.close()

        await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal)
                       and "replaced by another file" in app.screen.message, timeout=60)
        await wait_for(pilot, lambda: table.get_cell("2", "status") == "approved", timeout=60)
        await pilot.press("escape")
        # one notice, the newest: the stale 'moved away' one is not left under it (a review found it was)
        assert not isinstance(app.screen, ErrorModal), app.screen.message
        await asyncio.to_thread(approve, fixed_store, [3], by="tester")  # the TUI's store handle writes on
    fixed_store.close()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT status FROM candidate WHERE id = 3").fetchone()[0] == "approved"
    with sqlite3.connect(f"file:{tmp_path / 'old' / db.name}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT status FROM candidate WHERE id IN (2, 3) ORDER BY id").fetchall() == \
            [("proposed",), ("proposed",)]


async def test_p_is_shown_as_the_cli_shows_it(fixed_store):  # noqa: F811
    """p = 0.6449 showed as 0.65 in the table (rounded to 0.645 first) and 0.64 in `candidates`."""
    from hea_campaign.db.tables import Candidate

    with fixed_store.write() as session:
        session.get(Candidate, 2).p_single = 0.6449
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        assert app.query_one("#candidate-table").get_cell("2", "p").text == "0.64"
