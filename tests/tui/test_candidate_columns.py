"""The candidates' table at 80 columns shows each candidate's status whole.

A user review: at 80x24 the status column was cut to "me", "pr" or "appr" (it came after
the flags, whose width has no bound: several flags, a 7-digit cost), and at.%, model and
reason were off-screen.  The status now comes right after p; at 120x40 every column but the
reason (cut with '…' to the room left) is on screen.  At 80 columns the reason is on screen too, and
cost, density, at.% and model follow it (test_candidate_layout.py).
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from hea_campaign.db.tables import Candidate
from hea_campaign.tui.app import CampaignApp

from .test_candidate_pages import open_candidates
from .test_screen_fit import screen_lines
from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")

MANY_FLAGS = [{"flag": f, "reason": f"{f} (test)"} for f in ("uncertain", "low_density", "disputed")]


def _wide_figures(store) -> None:
    """What a real campaign has and the fixture lacks: cost and density for each candidate (one of
    them a rhenium alloy at 1,773.84 USD/kg), and a candidate with three flags."""
    with store.write() as session:
        rows = session.exec(select(Candidate).order_by(Candidate.id)).all()
        for i, c in enumerate(rows):
            c.uncertainty = {**(c.uncertainty or {}), "cost_usd_per_kg": [21.32, 1773.84, 30.99][i % 3],
                             "density_g_cm3": 8.63 - i / 10}
        rows[2].flags = MANY_FLAGS


def _row_lines(app, pane) -> dict[int, str]:
    lines = screen_lines(app)
    found = {}
    for cid in pane.shown:
        formula = pane.rows[cid].formula
        found[cid] = next(line for line in lines if f" {formula} " in line)
    return found


async def test_at_80x24_every_status_is_shown_whole(fixed_store):  # noqa: F811
    _wide_figures(fixed_store)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_candidates(pilot)
        await pilot.pause()
        header = next(line for line in screen_lines(app) if " formula " in line)
        assert " status " in header and " flags " in header and header.rstrip().endswith(" reason"), header
        keys = list(app.query_one("#candidate-table").columns)  # cost and density: after the reason, by scrolling
        assert keys.index("reason") < keys.index("cost") < keys.index("density"), keys
        statuses = {c.status for c in pane.rows.values()}
        assert statuses >= {"approved", "proposed", "rejected", "exported"}
        for cid, line in _row_lines(app, pane).items():
            assert f" {pane.rows[cid].status} " in line, line
        assert "uncertain,low_density,disputed" in app.query_one("#candidate-table").get_cell(
            str(pane.shown[2]), "flags").text


async def test_at_120x40_every_column_but_the_reason_is_on_screen(fixed_store):  # noqa: F811
    _wide_figures(fixed_store)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_candidates(pilot)
        await pilot.pause()
        header = next(line for line in screen_lines(app) if " formula " in line)
        for label in ("id", "formula", "p", "status", "USD/kg", "g/cm3", "flags", "at.%", "model", "reason"):
            assert f" {label} " in f"{header} ", (label, header)
        for cid, line in _row_lines(app, pane).items():
            c = pane.rows[cid]
            assert f" {c.status} " in line and f" v{c.model_version_id} " in line, line


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_numbers_are_right_aligned_as_the_cli_aligns_them(fixed_store, size):  # noqa: F811
    """id, p, USD/kg, g/cm3, at.% and model end at their column's right edge (their header too), as the
    CLI's `candidates` writes them, with the blank between columns kept after them at 80 columns; the
    formula, the status and the other texts start at the left edge."""
    from hea_campaign.tui.app.panes.candidate_table import cut
    from hea_campaign.tui.present.candidate_columns import LABELS

    numbers = {"id", "p", "cost", "density", "change", "model"}  # right-aligned by the CLI

    _wide_figures(fixed_store)  # costs of 5 and 8 characters in one column
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=size) as pilot:
        pane = await open_candidates(pilot)
        await pilot.pause()
        table = app.query_one("#candidate-table")
        lines = screen_lines(app)
        top = table.region.y
        pad, gap = table.cell_padding, table.gap
        x, checked = table.region.x - round(table.scroll_x), set()
        for column in table.ordered_columns:
            width = column.get_render_width(table)
            if x >= table.region.x and x + width <= table.region.right:  # on screen whole
                key = column.key.value
                inner = width - 2 * pad - gap
                shown = [(LABELS[key], lines[top])] + [
                    (table.get_cell(str(cid), key).text, lines[top + table.header_height + row])
                    for row, cid in enumerate(pane.shown)]
                for text, line in shown:
                    text = cut(text, inner) if len(text) > inner else text  # a long one ends in '…'
                    cell = line[x + pad: x + pad + inner]
                    assert cell == (text.rjust(inner) if key in numbers else text.ljust(inner)), (key, cell, text)
                    assert line[x + pad + inner: x + width].strip() == "", (key, line)
                checked.add(key)
            x += width
        wanted = {"id", "p", "formula", "status"} | (numbers if size[0] >= 120 else set())  # at 80: after the reason
        assert checked >= wanted, checked
        assert len({pane.rows[cid].cost_per_kg and len(f"{pane.rows[cid].cost_per_kg:.2f}") for cid in pane.shown}) > 1
