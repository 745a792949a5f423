"""The export dialog counts the approved candidates in the store, not as they were when it opened.

A user review: with the dialog open, another shell ran `hea-campaign export --ids 17`; the
dialog still said "Export 5 approved candidate(s)" and, opened again, still said 5.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from hea_campaign.campaign.export import export_batch
from hea_campaign.campaign.lifecycle import approve
from hea_campaign.db.tables import ExportBatch
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.modals import ExportModal

from .test_app import candidates_shown, error_shown, wait_for
from .test_snapshots import fixed_store  # noqa: F401  (candidate 1 approved, 2, 3 and 6 proposed)

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")


def _title(app) -> str:
    return str(app.screen.query_one(".modal-title").render())


async def _dialog(pilot) -> ExportModal:
    app = pilot.app
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(app.screen, ExportModal) and app.screen.query("#path"))
    await pilot.pause()
    return app.screen


def _batches(store) -> list[list[int]]:
    with store.read() as s:
        return [sorted(b.candidate_ids) for b in s.exec(select(ExportBatch).order_by(ExportBatch.id))]


async def test_the_open_dialog_follows_an_export_made_elsewhere_and_exports_what_it_says(fixed_store, tmp_path,  # noqa: F811
                                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    approve(fixed_store, [2, 6], by="setup")
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        dialog = await _dialog(pilot)
        assert _title(app) == "Export 3 approved candidate(s) as a synthesis batch"
        first_path = dialog.query_one("#path").value
        assert "synthesis-batch-1-" in first_path

        # another terminal exports candidate 1 (to a file of its own)
        await asyncio.to_thread(export_batch, fixed_store, ids=[1], mass=20, out=tmp_path / "elsewhere.csv",
                                by="colleague")
        await wait_for(pilot, lambda: _title(app) == "Export 2 approved candidate(s) as a synthesis batch")
        assert "synthesis-batch-2-" in dialog.query_one("#path").value  # the next batch's name, as it was not edited

        dialog.query_one("#ok").press()
        await wait_for(pilot, lambda: len(_batches(fixed_store)) == 2, timeout=120)
    assert _batches(fixed_store) == [[1], [2, 6]]  # the two the dialog said, not candidate 1 again


async def test_opened_again_after_a_refused_export_it_counts_again(fixed_store, tmp_path, monkeypatch):  # noqa: F811
    """Live refresh held back: the export the dialog asked for is refused (candidate 1 was exported meanwhile)
    and the dialog opened again counts what is approved now, under the reason."""
    monkeypatch.chdir(tmp_path)
    approve(fixed_store, [2, 6], by="setup")
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        app.live.stop()
        dialog = await _dialog(pilot)
        assert _title(app) == "Export 3 approved candidate(s) as a synthesis batch"
        export_batch(fixed_store, ids=[1], mass=20, out=tmp_path / "elsewhere.csv", by="colleague")
        dialog.query_one("#ok").press()
        await wait_for(pilot, lambda: error_shown(app), timeout=120)  # the refusal, over the dialog opened again
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal) and app.screen is not dialog
                       and app.screen.query(".modal-title"))
        await pilot.pause()
        assert _title(app) == "Export 2 approved candidate(s) as a synthesis batch"
        assert "candidate 1 " in str(app.screen.query_one("#export-error").render())  # why the first try was refused
        await pilot.press("escape")
        await pilot.pause()
        dialog = await _dialog(pilot)  # and opened by hand: the same
        assert _title(app) == "Export 2 approved candidate(s) as a synthesis batch"
    assert _batches(fixed_store) == [[1]]


async def test_when_none_are_left_the_dialog_says_so_and_exports_nothing(fixed_store, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        dialog = await _dialog(pilot)
        assert _title(app) == "Export 1 approved candidate(s) as a synthesis batch"
        await asyncio.to_thread(export_batch, fixed_store, ids=[1], mass=20, out=tmp_path / "elsewhere.csv",
                                by="colleague")
        await wait_for(pilot, lambda: _title(app).startswith("No approved candidates left to export"))
        dialog.query_one("#ok").press()
        await pilot.pause()
        assert app.screen is dialog and "nothing to export" in str(dialog.query_one("#export-error").render())
    assert _batches(fixed_store) == [[1]]
