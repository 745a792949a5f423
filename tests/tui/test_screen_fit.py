"""What fits on the screen: the results browser's columns and the footer's key hints, at 120x40 and 80x24.

A new-user review found the results browser cut at 120 columns (the right-hand
columns needed a sideways scroll) and, at 80x24, footer hints and columns cut.
These tests read what is drawn: the table's columns against its visible width,
and the footer's line as the terminal shows it.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from hea_campaign.campaign.lifecycle import fail
from hea_campaign.campaign.results import add_result, correct_result
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.results_browser import ResultsBrowser

from .test_app import candidates_shown, wait_for
from .test_snapshots import _tables_settled, fixed_store  # noqa: F401

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")

EVERY_COLUMN = ["id", "alloy", "single", "phases", "state", "candidate", "date", "operator"]
LONG_FORMULA = "Al0.5CoCrCu0.5FeNiTi0.3V0.2Mo0.1"  # canonical: Al0.5CoCrCu0.5FeMo0.1NiTi0.3V0.2
LONG_OPERATOR = "Dr. Katharina Oberhauser-Lindqvist"
LONG_REASON = "quenched too fast, split along the ingot on the second remelt"


def screen_lines(app) -> list[str]:
    """The screen as the terminal shows it, one string per line (the compositor's own output)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _long_results(store) -> int:
    """A result with long free text (formula, phases, method, operator), corrected; a failed synthesis with a
    long reason (candidate 5 of fixed_store is exported).  Returns the id of the corrected result."""
    first = add_result(store, LONG_FORMULA, single_phase="no", phases="FCC+BCC+Laves+sigma",
                       method="XRD (Cu K-alpha) + SEM-EDS", operator=LONG_OPERATOR, by="kat")
    correct_result(store, first.id, single_phase="no", phases="FCC+BCC+Laves", by="kat", notes="second pattern")
    fail(store, [5], "cracked", notes=LONG_REASON, by="ana")
    return first.id


async def _browser(pilot) -> tuple[ResultsBrowser, DataTable]:
    await pilot.press("b")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and app.screen.rows and app.screen.failures)
    await _tables_settled(pilot)
    await pilot.pause()
    return app.screen, app.screen.query_one("#results-table", DataTable)


def _columns_fit(table: DataTable) -> None:
    """Every column drawn within the table's visible width: nothing to scroll sideways to."""
    drawn = sum(column.get_render_width(table) for column in table.ordered_columns)
    assert drawn <= table.scrollable_content_region.width, (drawn, table.scrollable_content_region.width)
    assert table.max_scroll_x == 0


async def test_every_column_of_the_results_browser_fits_a_120_column_screen(fixed_store):  # noqa: F811
    corrected = _long_results(fixed_store)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await _browser(pilot)
        _columns_fit(table)
        assert [str(column.label) for column in table.ordered_columns] == EVERY_COLUMN
        header = next(line for line in screen_lines(app) if line.lstrip().startswith("id "))
        assert header.split() == EVERY_COLUMN  # the header line shows them all, whole
        # long free text is cut with an ellipsis in its cell, and whole in the panel under the table
        operator = str(table.get_cell(str(corrected), "operator"))
        assert operator.endswith("…") and LONG_OPERATOR.startswith(operator[:-1])
        table.move_cursor(row=table.get_row_index(str(corrected)))
        await pilot.pause()
        panel = str(screen.query_one("#result-chain").render())
        assert LONG_OPERATOR in panel and "method XRD (Cu K-alpha) + SEM-EDS" in panel
        assert f"superseded by {corrected + 1}" in panel  # the correction chain, whole
        (failure,) = screen.failures
        reason = str(table.get_cell(failure, "phases"))
        assert reason.endswith("…") and f"cracked: {LONG_REASON}".startswith(reason[:-1])


async def test_at_80x24_the_results_browser_keeps_its_main_columns_filter_and_keys(fixed_store):  # noqa: F811
    _long_results(fixed_store)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await _browser(pilot)
        shown = [str(column.label) for column in table.ordered_columns]
        assert shown[:5] == ["id", "alloy", "single", "phases", "state"]
        _columns_fit(table)  # what is left out (operator, candidate) is in the panel
        assert screen.query_one("#apply-filter").region.right <= 80, "the Filter button is on screen"
        footer = screen_lines(app)[-1]
        assert all(hint in footer for hint in ("esc Back", "c Correct", "f1 Help")), footer
        await pilot.resize_terminal(120, 40)  # widened: the columns come back
        await wait_for(pilot, lambda: "operator" in [str(c.label) for c in table.ordered_columns])
        await pilot.pause()
        _columns_fit(table)


def _footer_hints(app) -> list[str]:
    """The text of each key hint the footer shows (the ones it left out are not displayed)."""
    from textual.widgets._footer import FooterKey

    hints = []
    for key in app.screen.query(FooterKey):
        if all(node.display for node in key.ancestors_with_self if node is not app.screen and node is not app):
            hints.append(f"{key.key_display} {key.description}".strip())
    return hints


@pytest.mark.parametrize("keys, wanted", [
    (("c",), ["a Approve", "r Reject", "e Export", "f Synthesis failed", "V Void batch"]),
    (("v",), ["esc Back", "a Activate", "space Compare", "s PNG"]),
    (("b",), ["esc Back", "c Correct"]),
    (("m",), ["n Next", "s PNG"]),
    ((), []),
], ids=["candidates", "models", "results", "map", "dashboard"])
async def test_at_80x24_the_footer_shows_the_current_keys_and_help_whole(fixed_store, keys, wanted):  # noqa: F811
    """Every hint the footer shows is whole on its line; the screen's own keys and Help are among them
    (F1 and the command palette list every key)."""
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.panes_ready.wait()
        if keys == ("c",):
            await candidates_shown(pilot)
        else:
            await pilot.press(*keys)
        await wait_for(pilot, lambda: all(w in _footer_hints(app) for w in wanted) and "f1 Help" in _footer_hints(app))
        await pilot.pause()
        await pilot.pause()
        footer = screen_lines(app)[-1]
        shown = _footer_hints(app)
        for hint in [*wanted, "f1 Help", *shown]:
            assert hint in footer, (hint, footer)


async def test_the_dashboard_scrolls_to_its_recent_activity_at_80x24(fixed_store):  # noqa: F811
    """At 80x24 the counts and the active model fill the dashboard: Page Down from its field reaches the
    recent activity below them (it was cut off, with nothing to scroll)."""
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.panes_ready.wait()
        await wait_for(pilot, lambda: "Recent activity" in str(app.query_one("#status").render()))
        assert not any("Recent activity" in line for line in screen_lines(app))
        await pilot.press("tab")
        assert app.focused is app.query_one("#import-source")
        await pilot.press("pagedown", "pagedown", "pagedown")
        await wait_for(pilot, lambda: any("Recent activity" in line for line in screen_lines(app)))


async def test_marking_a_model_version_shows_at_80x24(fixed_store):  # noqa: F811
    """Space on the Models screen marked a version with nothing to see at 80x24: the row now shows the mark
    and a line under the table says what is marked and where the comparison goes; the version columns that
    matter (the scorer's and the SSVAE head's validation figures) are whole on the screen, not cut to "val A"."""
    from hea_campaign.tui.app.models_screen import ModelsScreen

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.panes_ready.wait()
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen) and app.screen.versions)
        screen = app.screen
        (vid,) = screen.versions
        header = next(line for line in screen_lines(app) if "version" in line)
        for name in ("scorer acc", "scorer AUC", "SSVAE head acc", "SSVAE head AUC"):
            assert name in header, header
        await pilot.press("space")
        await pilot.pause()
        table = screen.query_one("#versions-table", DataTable)
        assert str(table.get_cell(str(vid), "cmp")) == "x"
        lines = screen_lines(app)
        row = next(line for line in lines if f"v{vid} " in line and "active" in line)
        assert row.split()[0] == "x", row
        # the store's only version: no other to move to, so the line says to train another (whole at 80 columns)
        assert any(f"v{vid} marked; it is the only version: train another on the Retrain tab to compare" in line
                   for line in lines), lines
        assert not any("move to another version" in line for line in lines), lines
        await pilot.press("space")  # again: unmarked
        await pilot.pause()
        assert str(table.get_cell(str(vid), "cmp")) == ""
        lines = screen_lines(app)
        assert not any("marked" in line for line in lines)
        assert any("only one version so far: train another on the Retrain tab to compare two" in line
                   for line in lines), lines


@pytest.mark.parametrize("key", ["end", "pagedown", "down"])
async def test_after_d_the_dashboard_scrolls_from_the_keyboard_at_80x24(fixed_store, key):  # noqa: F811
    """After d, End / Page Down / Down did nothing until three Tabs reached something in the pane: d now
    focuses the status text, whose scrolling keys are the pane's; letters still switch tabs from it."""
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.panes_ready.wait()
        await wait_for(pilot, lambda: "Recent activity" in str(app.query_one("#status").render()))
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        pane = app.query_one("#dashboard-pane")
        assert pane.scroll_y == 0 and not any("Recent activity" in line for line in screen_lines(app))
        for _ in range(1 if key != "down" else 30):
            await pilot.press(key)
        await pilot.pause()
        assert pane.scroll_y > 0
        if key != "down":
            await wait_for(pilot, lambda: any("Recent activity" in line for line in screen_lines(app)))
        await pilot.press("c")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "candidates"


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (120, 50), (160, 70)])
async def test_the_help_dialog_shows_its_close_button_whole(fixed_store, size):  # noqa: F811
    """A review: at 80x24 F1's dialog (and an alloy's history, the same dialog) ran to the screen's edge and
    only the top line of its Close button showed."""
    from textual.widgets import Button

    from hea_campaign.tui.app.modals import HelpScreen

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=size) as pilot:
        await app.panes_ready.wait()
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        button = app.screen.query_one("#close", Button)
        region, clip = app.screen._compositor.visible_widgets[button]  # where it is, and what shows of it
        assert region.height == 3 and clip.contains_region(region), (region, clip, size)
        assert region.y + region.height <= size[1] - 1, (region, size)  # above the dialog's own key line
