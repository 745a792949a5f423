"""The cockpit of a SQLite file draws its dashboard first and opens the store after (tui/app/store_opening.py)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.lifecycle import approve
from hea_campaign.campaign.status import campaign_status, quick_status
from hea_campaign.db.location import plain_sqlite_file
from hea_campaign.tui.app import CampaignApp, cockpit_for
from hea_campaign.tui.app.panes.dashboard import RECENT
from hea_campaign.tui.app.store_opening import StoreOpening

from .test_app import SIZE, candidates_shown, error_shown, wait_for, with_candidates


def _file_of(store):
    path = plain_sqlite_file(store.url)
    if path is None:
        pytest.skip("the opening after the first frame is for SQLite files")
    return path


def test_importing_the_app_loads_no_store_library_nor_numpy():
    probe = ("import sys\nimport hea_campaign.tui.app\n"
             "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'numpy', 'torch', 'sklearn')"
             " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_opening_runs_once_and_gives_its_error_to_every_caller():
    calls, ended = [], threading.Event()
    gate = threading.Event()

    def open_store():
        calls.append(1)
        gate.wait(30)
        raise CampaignError("the disk went away")

    opening = StoreOpening(open_store, "default", "sqlite:///x.db")
    opening.on_done(ended.set)
    opening.start()
    opening.start()
    assert not opening.done
    gate.set()
    for _ in range(2):
        with pytest.raises(CampaignError, match="the disk went away"):
            opening.result()
    assert ended.wait(30) and calls == [1]
    late = []
    opening.on_done(lambda: late.append(threading.get_ident()))  # already ended: at once, here
    assert late == [threading.get_ident()]


def test_anything_but_a_current_sqlite_campaign_is_opened_first(trained_store, tmp_path):
    """A missing file, an unknown campaign: ``open_store`` runs before any app exists, and says what is wrong."""
    path = _file_of(trained_store)

    def open_store():
        raise CampaignError("opened first")

    for db, campaign in ((tmp_path / "missing.db", "default"), (path, "no-such-campaign")):
        with pytest.raises(CampaignError, match="opened first"):
            cockpit_for(str(db), campaign, open_store)


async def test_the_dashboard_comes_first_and_everything_works_once_the_store_is_open(trained_store):
    ids = with_candidates(trained_store)
    path = _file_of(trained_store)
    opened_first = []
    app = cockpit_for(str(path), trained_store.campaign_name, lambda: opened_first.append(1))
    assert opened_first == [] and app._store is None
    assert app.first_status == campaign_status(trained_store, recent=RECENT)
    async with app.run_test(size=SIZE) as pilot:
        status = str(app.query_one("#status").render())
        assert "Active model" in status and f"Alloys: {app.first_status.alloys} " in status
        await wait_for(pilot, lambda: app._opening.done)
        await candidates_shown(pilot)
        pane = app.query_one("#candidates-pane")
        assert set(ids) <= set(pane.shown)
        await wait_for(pilot, lambda: "Proposals use the active model" in str(app.query_one("#propose-model").render()))
        approve(trained_store, [ids[0]], by="another-terminal")  # live refresh follows the other writer
        await wait_for(pilot, lambda: pane.rows[ids[0]].status == "approved")
        assert app.store.url == trained_store.url and app.store is not trained_store


async def test_a_store_that_fails_to_open_after_the_first_frame_says_why(trained_store):
    path = _file_of(trained_store)
    first = quick_status(path, trained_store.campaign_name, recent=RECENT)

    def open_store():
        raise CampaignError("the disk went away")

    app = CampaignApp(opening=StoreOpening(open_store, first.campaign, first.store_url), first_status=first)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: error_shown(app))
        assert "the disk went away" in str(app.screen.query_one("#error-message").render())


def test_an_app_needs_a_store_or_an_opening(trained_store):
    with pytest.raises(ValueError):
        CampaignApp()
    with pytest.raises(ValueError):
        CampaignApp(trained_store, opening=StoreOpening(lambda: trained_store, "default", "u"))


async def test_a_key_pressed_before_the_tabs_panes_are_mounted_waits_for_them(trained_store):
    """Only the dashboard is composed for the first frame; the other tabs' panes are mounted just after
    (``Lazy``).  Input that comes before they are there is held until they are, then does what it says."""
    import asyncio

    from textual.widgets import TabbedContent

    app = CampaignApp(trained_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await app.panes_ready.wait()
        assert all(pane.is_mounted for pane in app._lazy_panes)
        app.panes_ready.clear()  # as in the first moments after the first frame
        press = asyncio.create_task(pilot.press("l"))
        await asyncio.sleep(0.3)
        assert app.query_one(TabbedContent).active == "dashboard" and not press.done()  # held
        app.panes_ready.set()
        await press
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "results"
        assert app.focused is app.query_one("#r-formula")


@pytest.mark.sqlite_only("a backup file's bytes and the log files beside it")
async def test_looking_at_a_backup_in_the_cockpit_leaves_the_file_as_it_was(store, tmp_path):
    """Opening a backup (one file in rollback-journal mode) in the TUI switched it to WAL mode: looking at
    a backup modified it.  After the first status, the opened store, the candidates' page and quitting,
    its bytes are unchanged and nothing is left beside it."""
    import hashlib

    from hea_campaign.campaign.backup import backup_at
    from hea_campaign.campaign.results import add_result
    from hea_campaign.campaign.store import close_sqlite_stores

    add_result(store, "CoCrFeNi", single_phase=True)
    copy = backup_at(store.url, tmp_path / "bk" / "lab.db").path
    before = hashlib.sha256(copy.read_bytes()).digest()

    app = cockpit_for(str(copy), store.campaign_name, lambda: pytest.fail("a current store is opened after"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app._opening.done)
        assert app.store.url.endswith("lab.db")
        await candidates_shown(pilot)
        await pilot.press("q")
    close_sqlite_stores()  # what the process's exit does
    assert hashlib.sha256(copy.read_bytes()).digest() == before
    assert sorted(p.name for p in copy.parent.iterdir()) == ["lab.db"]
