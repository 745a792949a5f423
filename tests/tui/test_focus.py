"""Focus that is always somewhere visible, and output that scrolls with the keyboard."""

from __future__ import annotations

import pytest

from hea_campaign.tui.app import CampaignApp

from .test_app import wait_for
from .test_snapshots import fixed_store  # noqa: F401

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")


async def test_proposal_output_scrolls_with_the_keyboard(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")
        await pilot.pause()
        app.query_one("#mode").value = "screen"
        app.query_one("#screen").value = "Fe,Ni,Co,Cr,Mn"
        app.query_one("#step").value = "10"
        app.query_one("#batch").value = "12"
        await pilot.pause()
        app.query_one("#run-proposal").focus()
        await pilot.press("enter")  # Propose, from the keyboard
        output = app.query_one("#propose-result")
        await wait_for(pilot, lambda: "Proposal run" in str(output.render()))
        await pilot.pause()
        pane = app.query_one("#propose-pane")
        assert app.focused is output, "the output has the focus once the run is done"
        assert output.styles.border_left[0] == "thick", "and shows it (an accent bar on the left)"
        assert pane.max_scroll_y > 0, "at 80x24 the tab is taller than the window"
        start = pane.scroll_y
        await pilot.press("pagedown")
        await pilot.pause()
        assert pane.scroll_y > start
        await pilot.press("end")
        await pilot.pause()
        assert pane.scroll_y == pane.max_scroll_y
        await pilot.press("home", "down")
        await pilot.pause()
        assert pane.scroll_y == 1
        # one scrollbar: nothing inside the pane scrolls on its own
        assert pane.show_vertical_scrollbar and not [w for w in pane.query("*") if w.show_vertical_scrollbar]


async def test_retrain_keeps_a_visible_focus_and_tab_starts_in_the_tab(trained_store):
    app = CampaignApp(trained_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        start, cancel = app.query_one("#start-training"), app.query_one("#cancel-training")
        assert app.focused is start and "reverse" in str(start.styles.text_style), "Start has a visible focus"
        await pilot.press("enter")  # Start training: the button is disabled while it runs
        pane = app.query_one("#retrain-pane")
        await wait_for(pilot, lambda: len(pane.curve) >= 1)
        assert app.focused is cancel, "the focus moves to Cancel, not nowhere"
        await pilot.press("enter")  # Cancel
        await wait_for(pilot, lambda: "cancelled" in str(app.query_one("#train-live").render()))
        assert app.focused is start and "reverse" in str(start.styles.text_style)
        # with nothing focused (as the disabled button used to leave it), the first Tab goes into the tab:
        # its first field (the seed), then on to Start past the other settings
        app.set_focus(None)
        await pilot.press("tab")
        assert app.focused is app.query_one("#train-seed")
        await pilot.press("tab", "tab", "tab")
        assert app.focused is start
        app.set_focus(None)
        await pilot.press("shift+tab")
        assert app.focused is start, "the tab's last control, Start being the only one enabled"
        await pilot.press("d")  # the dashboard: its status text focused (the arrows scroll it, letters switch tabs)
        await pilot.pause()
        assert app.focused is app.query_one("#status")
        await pilot.press("shift+tab", "shift+tab")  # back through the Import button to the field
        assert app.focused is app.query_one("#import-source")


async def test_back_from_an_import_letter_keys_switch_tabs_again(fixed_store, tmp_path, monkeypatch):  # noqa: F811
    from hea_campaign.tui.app.import_screen import ImportScreen

    monkeypatch.chdir(tmp_path)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("tab")  # nothing focused on the dashboard: Tab goes to its import field
        assert app.focused is app.query_one("#import-source")
        await pilot.press(*"missing.csv", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportScreen))
        assert app.query_one("#import-source").value == "missing.csv"  # kept after the refusal, to correct it
        await pilot.press("c")  # a tab key, not a "c" typed into the import field
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "candidates"


async def test_tab_after_d_on_a_store_with_alloys_goes_to_the_import_field(seeded_store):
    """c then d then Tab highlighted the tab bar, where a typed q quits and half-typed text was lost."""
    from textual.widgets import Input

    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await pilot.press("d")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "status")
        await pilot.press("tab")
        await wait_for(pilot, lambda: isinstance(app.focused, Input))
        assert app.focused.id == "import-source"
        await pilot.press("x", "q")
        await pilot.pause()
        assert app.is_running and app.focused.value == "xq"
