"""The candidates table at 80 columns shows why a candidate was proposed or rejected.

A user review: at 80x24 the columns at.%, model and reason were off to the right (the table needed
about 86 columns without the reason), so a scientist on a laptop had to scroll sideways to read a
rejection's reason.  The layout now depends on the width (present.candidate_columns.fit_columns): at
80 columns one blank separates the columns and cost, density, at.% and model follow the reason; at
120 columns the table is laid out as before.  Resizing lays it out again; sorting and filtering (in
the database) work in every layout.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from hea_campaign.campaign.read_models import reject
from hea_campaign.db.tables import Candidate
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.present.candidate_columns import (AFTER_REASON, COLUMNS, FIRST, FLAGS_SOFT, REASON_MIN,
                                                         fit_columns, natural_widths)

from .test_candidate_columns import _wide_figures
from .test_candidate_pages import count_line, everything, expected_order, open_candidates, page_read, sort_by
from .test_screen_fit import screen_lines
from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")

REASON = "Mo above 1600 C reacts with the crucible; too expensive this quarter"
KEYS = tuple(key for key, _ in COLUMNS)


def _rejected(store) -> int:
    _wide_figures(store)  # cost (one of 1,773.84 USD/kg) and density for each, three flags on one
    cid = everything(store)[1].id
    reject(store, [cid], by="ana", reason=REASON)
    return cid


def _header(app) -> str:
    return next(line for line in screen_lines(app) if " formula " in line)


def _row(app, formula: str) -> str:
    return next(line for line in screen_lines(app) if f" {formula} " in line)


async def test_at_80x24_the_reason_is_on_screen_without_scrolling_sideways(fixed_store):  # noqa: F811
    cid = _rejected(fixed_store)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_candidates(pilot)
        await pilot.pause()
        table = app.query_one("#candidate-table")
        assert table.scroll_x == 0
        header = _header(app)
        for label in ("id", "formula", "p", "status", "flags", "reason"):
            assert f" {label} " in f"{header} ", (label, header)
        row = _row(app, pane.rows[cid].formula)
        assert " rejected " in row and REASON[:REASON_MIN - 1] in row and "…" in row, row
        assert f" {cid} " in row and " 0.88 " in row, row
        for key in FIRST + ("reason",):  # all of them inside the screen
            assert table.columns[key].get_render_width(table) > 0
        shown = sum(table.columns[key].get_render_width(table) for key in FIRST + ("reason",))
        assert shown <= table.scrollable_content_region.width
        assert list(table.columns) == [*FIRST, "reason", *AFTER_REASON]


async def test_at_120x40_the_layout_is_as_before(fixed_store):  # noqa: F811
    cid = _rejected(fixed_store)
    with fixed_store.write() as session:  # one flag at most (three flags leave the reason too little room)
        for c in session.exec(select(Candidate)).all():
            c.flags = c.flags[:1]
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_candidates(pilot)
        await pilot.pause()
        table = app.query_one("#candidate-table")
        assert list(table.columns) == list(KEYS) and table.cell_padding == 1 and table.gap == 0
        header = _header(app)
        assert header.index("USD/kg") < header.index(" at.% ") < header.index(" model ") < header.index(" reason")
        row = _row(app, pane.rows[cid].formula)
        assert REASON[:REASON_MIN] in row and row.rstrip().endswith("…"), row


async def test_resizing_the_terminal_lays_the_table_out_again(fixed_store):  # noqa: F811
    cid = _rejected(fixed_store)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_candidates(pilot)
        await pilot.press("down")
        await pilot.press("space")  # a selection and the cursor survive a new layout
        table = app.query_one("#candidate-table")
        formula = pane.rows[cid].formula
        for size in ((80, 24), (120, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            for _ in range(20):
                await pilot.pause(0.05)
            header = _header(app)
            assert " reason" in header, (size, header)
            assert ("USD/kg" in header) == (size[0] == 120), (size, header)
            row = _row(app, formula)
            assert REASON[:REASON_MIN - 1] in row and re.match(rf"x +{cid} ", row.lstrip()), (size, row)  # id at the right
            assert table.cursor_row == 1 and pane.selected == {cid}


async def test_at_80_columns_sorting_and_filtering_still_go_to_the_database(fixed_store):  # noqa: F811
    from textual.widgets import Select

    cid = _rejected(fixed_store)
    cands = everything(fixed_store)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_candidates(pilot)
        for key in ("reason", "cost", "p"):  # a header on screen, one after the reason, one before
            await sort_by(pilot, key)
            assert pane.shown == expected_order(cands, key, pane.descending), key
        await pilot.press("o")  # the next column in the usual order (p -> status), whatever the layout
        await page_read(pilot)
        assert pane.sort == "status" and "by status ↑" in count_line(app)
        app.query_one("#status-filter", Select).value = "rejected"
        await page_read(pilot)
        await pilot.pause()
        rejected = [c.id for c in cands if c.status == "rejected"]
        assert sorted(pane.shown) == sorted(rejected) and cid in rejected
        assert REASON[:REASON_MIN - 1] in _row(app, pane.rows[cid].formula)


def test_fit_columns_chooses_the_layout_by_the_room():
    natural = natural_widths({"sel": 1, "id": 3, "formula": 24, "p": 4, "status": 8, "cost": 7, "density": 4,
                              "flags": 30, "change": 5, "model": 2, "reason": 40})
    wide = fit_columns(natural, 200)
    assert wide.order == KEYS and (wide.padding, wide.gap) == (1, 0) and wide.widths == natural
    today = fit_columns(natural, 140)  # every column as wide as its text, the reason cut to the rest
    assert today.order == KEYS and today.padding == 1 and REASON_MIN <= today.widths["reason"] < 40
    assert sum(today.render_width(k) for k in today.order) == 140
    closer = fit_columns(natural, 130)  # one blank between columns, the same order
    assert closer.order == KEYS and (closer.padding, closer.gap) == (0, 1) and closer.widths["flags"] == 30
    assert closer.widths["reason"] >= REASON_MIN and sum(closer.render_width(k) for k in KEYS) == 130
    cut = fit_columns(natural, 118)  # 120 columns, three flags: the flags are cut, the same order
    assert cut.order == KEYS and cut.widths["flags"] == FLAGS_SOFT and cut.widths["reason"] >= REASON_MIN
    narrow = fit_columns(natural, 80)  # 80 columns
    assert narrow.order == (*FIRST, "reason", *AFTER_REASON) and (narrow.padding, narrow.gap) == (0, 1)
    assert FLAGS_SOFT <= narrow.widths["flags"] < 30  # cut only as much as the reason needs
    assert sum(narrow.render_width(k) for k in (*FIRST, "reason")) == 80 and narrow.widths["reason"] >= REASON_MIN
    short = fit_columns({**natural, "reason": 12, "flags": 8}, 78)  # a short reason: nothing cut, others follow
    assert short.widths["reason"] == 12 and short.widths["flags"] == 8
    tiny = fit_columns(natural, 40)  # narrower than anything fits: the reason keeps REASON_MIN, the table scrolls
    assert tiny.widths["reason"] == REASON_MIN and tiny.widths["flags"] == FLAGS_SOFT
