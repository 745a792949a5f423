"""Keys that work: q quits from every screen but types in a text field; refusals show at once."""

from __future__ import annotations

import pytest

from hea_campaign.tui.app import CampaignApp

from .test_app import candidates_shown, error_shown, wait_for
from .test_snapshots import fixed_store  # noqa: F401

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
SIZE = (80, 24)


@pytest.mark.parametrize("keys", [(), ("c",), ("b",), ("v",), ("m",), ("f1",), ("c", "enter")],
                         ids=["dashboard", "candidates", "results", "models", "map", "help", "detail"])
async def test_q_quits_from_every_screen(fixed_store, keys):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        assert app.is_running
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=30)
    assert app.return_code in (0, None)


async def test_q_types_in_a_text_field_and_the_footer_says_how_to_leave_it(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")  # the lab-results form, its first field focused
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and app.query_one("#r-formula").value == "q"
        assert any(ab.binding.action == "leave_field" and ab.enabled for ab in app.screen.active_bindings.values())
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=30)


async def test_a_refusal_shows_at_once(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        table = app.query_one("#candidate-table")
        table.move_cursor(row=table.get_row_index("5"))  # exported: cannot be approved
        await pilot.pause()
        await pilot.press("a")
        await wait_for(pilot, lambda: error_shown(app))
        assert "exported" in str(app.screen.query_one("#error-message").render())


async def test_the_help_scrolls_with_the_keyboard_at_80x24(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        scroll = app.screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 0, "the list is longer than the window"
        scroll.focus()
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
