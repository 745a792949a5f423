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
        await wait_for(pilot, lambda: not app.is_running, timeout=120)
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
        await wait_for(pilot, lambda: not app.is_running, timeout=120)


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


async def test_tab_keys_work_from_a_focused_select_and_letters_still_type_in_fields(fixed_store):  # noqa: F811
    """A Select keeps no letters for itself: d, c, ... switch tabs from it as from a button or a table
    (the focus used to fall to the next field of the hidden tab, which showed that tab again)."""
    from textual.widgets import Input, Select

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.panes_ready.wait()
        tabs = app.query_one("TabbedContent")
        await pilot.press("l", "tab", "tab", "enter")  # the single-phase Select, its menu open
        await pilot.pause()
        await pilot.press("escape")  # the menu closed, the Select focused
        await pilot.pause()
        assert app.focused is app.query_one("#r-single", Select)
        await pilot.press("d")
        await pilot.pause()
        assert tabs.active == "dashboard" and not isinstance(app.focused, Input)
        await pilot.press("c")
        await pilot.pause()
        assert tabs.active == "candidates"
        assert app.query_one("#r-formula", Input).value == "", "no letter went into the lab-results form"
        app.query_one("#status-filter", Select).focus()  # the candidates' filters are Selects too
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert tabs.active == "dashboard"
        await pilot.press("p")  # the Propose tab opens on its mode Select
        await pilot.pause()
        assert isinstance(app.focused, Select)
        await pilot.press("d")
        await pilot.pause()
        assert tabs.active == "dashboard"
        await pilot.press("l")  # and in a text field a letter is typed, not a tab key
        await pilot.pause()
        await pilot.press("d", "c")
        await pilot.pause()
        assert tabs.active == "results" and app.query_one("#r-formula", Input).value == "dc"


async def test_v_opens_the_model_versions_from_the_candidates_tab_too(fixed_store):  # noqa: F811
    """The palette and F1 say "key v" for Model versions: the Candidates tab voids a batch with V instead."""
    from hea_campaign.tui.app.models_screen import ModelsScreen

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        assert app.focused is app.query_one("#candidate-table")
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen))


async def test_ctrl_c_says_how_to_quit_in_plain_words(fixed_store):  # noqa: F811
    """Textual's Ctrl+C hint is markup; the app's notifications never read markup, so it says it plainly."""
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: any("quit" in n.message for n in app._notifications), timeout=120)
        (note,) = [n for n in app._notifications if "quit" in n.message]
        assert note.message == "Press ctrl+q to quit the app (q too, outside a text field)."
        assert "[" not in note.message and note.title == "Do you want to quit?"
        assert app.is_running


async def test_letters_typed_on_the_import_screen_away_from_its_field_stay_there(fixed_store):  # noqa: F811
    """Typing a file name with the "skip bad rows" box focused went to Lab results (l), the results browser
    (b) and a correction (c): the import screen and its report were gone.  The app's letter keys do nothing
    on the screens over the tabs that hold a form or keys of their own; Escape goes back."""
    from hea_campaign.tui.app.import_screen import ImportScreen

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await app.panes_ready.wait()
        app.action_import_data()
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen) and app.screen.query("#skip-bad"))
        screen = app.screen
        screen.query_one("#skip-bad").focus()
        await pilot.pause()
        await pilot.press(*"alloys_bad.csv")
        await pilot.pause()
        assert app.screen is screen and len(app.screen_stack) == 2
        assert app.query_one("TabbedContent").active == "dashboard"
        footer = " ".join(b.binding.key for b in screen.active_bindings.values())
        assert "d" not in footer.split() and "escape" in footer.split()
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1)


@pytest.mark.parametrize("key, screen_name", [("b", "ResultsBrowser"), ("v", "ModelsScreen")])
async def test_letters_do_not_leave_the_results_browser_or_the_model_versions(fixed_store, key, screen_name):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await app.panes_ready.wait()
        await pilot.press(key)
        await wait_for(pilot, lambda: type(app.screen).__name__ == screen_name)
        screen = app.screen
        await pilot.press("d", "l", "p", "m", "t")
        await pilot.pause()
        assert app.screen is screen and app.query_one("TabbedContent").active == "dashboard"
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1)
        await pilot.press("c")  # back on the tabs the letters switch tabs again
        await wait_for(pilot, lambda: app.query_one("TabbedContent").active == "candidates")


async def test_on_the_import_screen_q_types_in_the_path_and_quits_from_the_checkbox(fixed_store):  # noqa: F811
    """q quits from everything that takes no text: the import's "skip bad rows" checkbox (space ticks it) takes
    none, so q there quits as from a button or a table; in the path field q is a letter of the name."""
    from textual.widgets import Checkbox, Input

    from hea_campaign.tui.app.import_screen import ImportScreen

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        app.action_import_data()
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        await pilot.pause()
        assert app.focused is app.screen.query_one("#import-path", Input)
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and app.screen.query_one("#import-path", Input).value == "q"
        box = app.screen.query_one("#skip-bad", Checkbox)
        box.focus()
        await pilot.pause()
        await pilot.press("space")  # what a checkbox takes
        await pilot.pause()
        assert box.value and app.is_running and isinstance(app.screen, ImportScreen)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=120)
    assert app.return_code in (0, None)
