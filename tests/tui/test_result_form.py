"""The Lab results form says where a candidate id goes.

A user review: the formula field's placeholder said "e.g. AlCoCrFeNi, or a candidate id",
but typing 23 there gave "'23': cannot read '23' (element symbols start with a capital
letter)".  The CLI's `result add` takes a candidate with --candidate, not as the formula;
the form's own "candidate id" field is that option, so the placeholders say so, and a
number typed as the formula is pointed there.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from hea_campaign.tui.app import CampaignApp

from .test_app import wait_for
from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")


async def _results_tab(pilot):
    await pilot.app.panes_ready.wait()
    await pilot.press("l")
    await pilot.pause()
    return pilot.app.query_one("#results-pane")


async def test_the_formula_field_does_not_offer_a_candidate_id_and_the_candidate_field_does(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await _results_tab(pilot)
        formula, candidate = app.query_one("#r-formula", Input), app.query_one("#r-candidate", Input)
        assert "candidate" not in formula.placeholder
        assert "AlCoCrFeNi" in formula.placeholder
        assert "instead of a formula" in candidate.placeholder
        # the whole placeholder is shown at 80 columns
        assert len(candidate.placeholder) <= candidate.content_region.width, candidate.content_region


async def test_a_number_typed_as_the_formula_points_to_the_candidate_field_and_saves_nothing(fixed_store):  # noqa: F811
    from hea_campaign.campaign.status import campaign_status

    before = campaign_status(fixed_store).measurements
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await _results_tab(pilot)
        await pilot.press(*"23")
        error = app.query_one("#err-formula")
        await wait_for(pilot, lambda: "candidate id" in str(error.render()))
        shown = " ".join(str(error.render()).split())
        assert shown == "'23' is a number, not a formula: a candidate id goes in 'candidate id' below", shown
        assert "capital letter" not in shown
        pane.query_one("#r-single").value = "yes"
        await pilot.pause()
        pane.save()
        await pilot.pause()
        assert "Not saved" in str(pane.query_one("#result-status").render())
    assert campaign_status(fixed_store).measurements == before


async def test_a_formula_in_capitals_is_asked_about_before_it_is_saved(fixed_store):  # noqa: F811
    """CONI parses as C O N I: the form asks (as the CLI refuses without --yes); No saves nothing."""
    from hea_campaign.campaign.status import campaign_status
    from hea_campaign.tui.app.modals import ConfirmModal

    before = campaign_status(fixed_store).measurements
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await _results_tab(pilot)
        await pilot.press(*"CONI")
        pane.query_one("#r-single").value = "yes"
        await pilot.pause()
        pane.save()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = app.screen.question
        assert "'CONI' read as C O N I; did you mean CoNi?" in question
        assert "Read it as C O N I anyway (No: type CoNi instead)?" in question and "--yes" not in question
        await pilot.press("escape")
        await pilot.pause()
        assert "Not saved yet" in str(pane.query_one("#result-status").render())
    assert campaign_status(fixed_store).measurements == before


async def test_enter_in_a_field_saves_and_clear_asks_before_throwing_typed_text_away(fixed_store):  # noqa: F811
    """A review lost a filled form: Enter did nothing, and Clear (one Tab after Save) erased it at once."""
    from hea_campaign.campaign.status import campaign_status
    from hea_campaign.tui.app.modals import ConfirmModal

    before = campaign_status(fixed_store).measurements
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await _results_tab(pilot)
        pane.query_one("#r-formula", Input).value = "CoCrFeNiMn0.25"
        pane.query_one("#r-notes", Input).value = "[red]ingot 7[/red]"
        pane.query_one("#r-single").value = "yes"
        await pilot.pause()
        pane.query_one("#clear-result").press()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")  # No has the focus: the form stays as typed
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmModal))
        assert pane.query_one("#r-formula", Input).value == "CoCrFeNiMn0.25"
        assert campaign_status(fixed_store).measurements == before
        pane.query_one("#r-notes", Input).focus()
        await pilot.press("enter")  # saves, as Save does
        await wait_for(pilot, lambda: campaign_status(fixed_store).measurements == before + 1)
        await wait_for(pilot, lambda: pane.query_one("#r-formula", Input).value == "")
        pane.query_one("#clear-result").press()  # an empty form clears without a question
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        assert "Cleared" in str(pane.query_one("#result-status").render())
