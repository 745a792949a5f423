"""Key h in the results browser and in a candidate's detail opens the alloy's history, as `history` prints it."""

from __future__ import annotations

from hea_campaign.campaign.results import add_result, history
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.modals import HelpScreen
from hea_campaign.tui.app.results_browser import ResultsBrowser
from hea_campaign.tui.present.report import format_history

from .test_app import wait_for


async def _on_result(app, pilot, measurement_id: int) -> None:
    """The results browser open, its cursor on the result."""
    await pilot.press("b")
    await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and measurement_id in app.screen.rows)
    table = app.screen.query_one("#results-table")
    table.move_cursor(row=table.get_row_index(str(measurement_id)))
    await pilot.pause()


async def test_h_on_a_result_opens_its_alloys_history_with_what_the_model_did(trained_store):
    note = "[b]not markup[/b]"
    m = add_result(trained_store, "Au10Co30Fe30Ni30", single_phase="yes", phases="FCC", notes=note, by="ana")
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await _on_result(app, pilot, m.id)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = str(app.screen.query_one("#help-scroll Static").render())
        h = history(trained_store, "Au10Co30Fe30Ni30")
        assert shown == format_history(h)  # the CLI's text, as typed
        assert note in shown and "began training before this alloy's result was entered" in shown
        assert str(app.screen.query_one(".modal-title").render()) == f"History of {h.formula}"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser))


async def test_h_in_a_candidates_detail_opens_its_alloys_history(trained_store):
    from hea_campaign.tui.app.screens import CandidateScreen

    from .test_app import with_candidates

    (cid,) = with_candidates(trained_store, 1)
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.panes_ready.wait()
        app.push_screen(CandidateScreen(cid))
        await wait_for(pilot, lambda: isinstance(app.screen, CandidateScreen) and app.screen.detail is not None)
        formula = app.screen.detail.formula
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = str(app.screen.query_one("#help-scroll Static").render())
        assert shown.startswith(f"{formula} (alloy ") and f"candidates: {cid}" in shown.splitlines()[0]


async def test_h_twice_opens_one_history_and_none_after_its_screen_has_closed(trained_store, monkeypatch):
    """A slow read (a remote server) must not stack two dialogs, nor open one over the screen behind."""
    import time

    import hea_campaign.campaign.results as results

    m = add_result(trained_store, "Au10Co30Fe30Ni30", single_phase="yes", phases="FCC", by="ana")
    read = results.history
    monkeypatch.setattr(results, "history", lambda *a, **k: (time.sleep(0.5), read(*a, **k))[1])
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await _on_result(app, pilot, m.id)
        browser = app.screen
        await pilot.press("h", "h")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause(1.0)
        assert [type(s).__name__ for s in app.screen_stack].count("HelpScreen") == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is browser)
        await pilot.press("h", "escape")  # the browser closes while its read goes on
        await wait_for(pilot, lambda: not isinstance(app.screen, ResultsBrowser))
        await pilot.pause(1.0)
        assert not any(isinstance(s, HelpScreen) for s in app.screen_stack)
