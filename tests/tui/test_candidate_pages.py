"""The candidate table pages: it holds one page, the database filters, sorts and counts.

The store holds 456 candidates (more than two pages of ``PAGE_SIZE``), written
straight to the tables with varied statuses, flags, p values (with ties),
changes and reasons; every expectation is computed here from all candidates
read back in id order, not from the pane's own query.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlmodel import select

from hea_campaign.campaign.candidates import list_candidates
from hea_campaign.db.tables import Alloy, AuditEvent, Candidate, ExportBatch, ModelVersion, ProposalRun
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.panes.candidate_table import cut
from hea_campaign.tui.app.panes.candidates import CANDIDATE_STATUSES, PAGE_SIZE, SORTABLE, CandidatesPane

from .test_app import run_from_palette, wait_for
from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
SIZE = (120, 40)
EXTRA = 450  # with the fixture's six: 456 candidates, three pages
STATUSES = ("proposed", "approved", "proposed", "rejected", "proposed", "exported", "proposed", "approved")


def add_candidates(store, n: int, first: int = 0) -> list[int]:
    """n more candidates (one audit event each, as a proposal leaves); their ids."""
    from hea_campaign.campaign.chemistry import parse_formula

    ids = []
    with store.write() as s:
        mv = s.exec(select(ModelVersion)).first()
        run = s.exec(select(ProposalRun)).first()
        for i in range(first, first + n):
            comp = parse_formula(f"Co300Cr200Fe{i + 1}Ni500")
            alloy = Alloy(campaign_id=store.campaign_id, formula=comp.formula, composition=comp.as_dict(),
                          n_elements=4, source=f"proposal:run {run.id}")
            s.add(alloy)
            s.flush()
            status = STATUSES[i % len(STATUSES)]
            flags = [{"flag": "novel", "reason": "far from the labelled alloys"}] if i % 5 == 0 else []
            if i % 11 == 0:
                flags.append({"flag": "uncertain", "reason": "heads disagree"})
            cand = Candidate(campaign_id=store.campaign_id, alloy_id=alloy.id, proposal_run_id=run.id,
                             model_version_id=mv.id, origin="screen", p_single=((i * 37) % 23) / 23,
                             flags=flags, status=status, change_at_pct=None if i % 3 == 0 else float(i % 17),
                             status_reason=f"reason {i % 4}" if status == "rejected" else ("" if i % 2 else None))
            s.add(cand)
            s.flush()
            s.add(AuditEvent(campaign_id=store.campaign_id, actor="colleague", action="candidate.propose",
                             entity="candidate", entity_id=cand.id))
            ids.append(cand.id)
    return ids


@pytest.fixture
def paged_store(fixed_store):  # noqa: F811
    add_candidates(fixed_store, EXTRA)
    return fixed_store


def everything(store) -> list:
    """Every candidate, in id order, as the pane's rows are (read models)."""
    from hea_campaign.campaign.read_models import CandidateView

    return [CandidateView.from_row(c, f) for c, f in list_candidates(store)]


VALUE = {"id": lambda c: c.id, "p": lambda c: c.p_single, "change": lambda c: c.change_at_pct,
         "status": lambda c: c.status, "formula": lambda c: c.formula, "model": lambda c: c.model_version_id,
         "reason": lambda c: c.status_reason or None, "flags": None, "cost": lambda c: c.cost_per_kg,
         "density": lambda c: c.density}


def expected_order(cands, sort: str = "id", descending: bool = False) -> list[int]:
    """The documented order: by the value, empty values last, ties in id order."""
    value = VALUE[sort]
    if sort == "id":
        return sorted((c.id for c in cands), reverse=descending)
    by_id = sorted(cands, key=lambda c: c.id)
    filled = sorted((c for c in by_id if value(c) is not None), key=value, reverse=descending)  # stable: ties by id
    return [c.id for c in filled] + [c.id for c in by_id if value(c) is None]


def pane_of(app) -> CandidatesPane:
    return app.query_one(CandidatesPane)


def count_line(app) -> str:
    return str(app.query_one("#candidate-count").render())


async def page_read(pilot) -> None:
    pane = pane_of(pilot.app)
    await wait_for(pilot, lambda: pane.loaded and not pane.loading)
    await pilot.pause()


async def open_candidates(pilot) -> CandidatesPane:
    await pilot.press("c")
    await page_read(pilot)
    return pane_of(pilot.app)


def cursor_id(app) -> int:
    table = app.query_one("#candidate-table")
    return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)


async def sort_by(pilot, key: str) -> None:
    """What a click on the column header does."""
    from textual.widgets import DataTable

    table = pilot.app.query_one("#candidate-table", DataTable)
    index = list(table.columns).index(key)
    column = table.columns[key]
    table.post_message(DataTable.HeaderSelected(table, column.key, index, column.label))
    await pilot.pause()
    await page_read(pilot)


async def test_the_table_holds_one_page_and_moving_past_its_end_reads_the_next(paged_store):
    ids = [c.id for c in everything(paged_store)]
    assert len(ids) > 2 * PAGE_SIZE
    app = CampaignApp(paged_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_candidates(pilot)
        table = app.query_one("#candidate-table")
        assert pane.shown == ids[:PAGE_SIZE] and table.row_count == PAGE_SIZE
        assert f"rows 1-{PAGE_SIZE} of {len(ids)}," in count_line(app)
        assert table.virtual_size.height == PAGE_SIZE + table.header_height  # every row of the page scrolls into view

        table.move_cursor(row=PAGE_SIZE - 1)  # the last row: down reads the next page
        await pilot.pause()
        await pilot.press("down")
        await page_read(pilot)
        assert pane.shown == ids[PAGE_SIZE : 2 * PAGE_SIZE] and cursor_id(app) == ids[PAGE_SIZE]
        assert f"rows {PAGE_SIZE + 1}-{2 * PAGE_SIZE} of {len(ids)}," in count_line(app)

        await pilot.press("up")  # up at the first row: the page before, the cursor on its last row
        await page_read(pilot)
        assert pane.shown == ids[:PAGE_SIZE] and cursor_id(app) == ids[PAGE_SIZE - 1]
        await pilot.press("pagedown")  # on the last row: the next page
        await page_read(pilot)
        assert pane.shown == ids[PAGE_SIZE : 2 * PAGE_SIZE]

        await pilot.press("]")
        await page_read(pilot)
        assert pane.shown == ids[2 * PAGE_SIZE :] and f"of {len(ids)}," in count_line(app)
        await pilot.press("]")  # no page after the last
        await pilot.pause()
        assert not pane.loading and pane.shown == ids[2 * PAGE_SIZE :]
        await pilot.press("[")
        await page_read(pilot)
        assert pane.shown == ids[PAGE_SIZE : 2 * PAGE_SIZE]
        await pilot.press("ctrl+home")
        await page_read(pilot)
        assert pane.shown == ids[:PAGE_SIZE]

        await run_from_palette(pilot, "Next page of candidates")
        await wait_for(pilot, lambda: pane.page_offset == PAGE_SIZE and not pane.loading)
        assert pane.shown == ids[PAGE_SIZE : 2 * PAGE_SIZE]
        await run_from_palette(pilot, "Last page of candidates")  # Ctrl+End's entry
        await wait_for(pilot, lambda: pane.page_offset == 2 * PAGE_SIZE and not pane.loading)
        assert pane.shown == ids[2 * PAGE_SIZE :] and cursor_id(app) == ids[-1]
        await run_from_palette(pilot, "First page of candidates")  # Ctrl+Home's
        await wait_for(pilot, lambda: pane.page_offset == 0 and not pane.loading)
        assert pane.shown == ids[:PAGE_SIZE]


async def test_a_page_opened_on_its_last_row_is_scrolled_there_before_it_is_drawn(paged_store):
    """Up past the first row shows the page before with the cursor on its last row: the table is scrolled
    to the bottom when the page is put in, not in a later frame that first shows the page's top."""
    ids = [c.id for c in everything(paged_store)]
    app = CampaignApp(paged_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_candidates(pilot)
        table = app.query_one("#candidate-table")
        await pilot.press("]")
        await page_read(pilot)
        seen = []
        show = pane._show_page

        def show_and_look(*args):
            show(*args)
            seen.append((table.cursor_row, table.scroll_y, table.max_scroll_y))

        pane._show_page = show_and_look
        await pilot.press("up")
        await page_read(pilot)
        assert pane.shown == ids[:PAGE_SIZE] and cursor_id(app) == ids[PAGE_SIZE - 1]
        (row, scroll_y, max_scroll_y), = seen
        assert row == PAGE_SIZE - 1 and max_scroll_y > 0 and scroll_y == max_scroll_y


async def test_filters_and_sorts_give_the_databases_order_page_by_page(paged_store):
    cands = everything(paged_store)
    app = CampaignApp(paged_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_candidates(pilot)
        status = app.query_one("#status-filter")
        flag = app.query_one("#flag-filter")

        status.value = "proposed"
        await pilot.pause()
        await page_read(pilot)
        proposed = [c for c in cands if c.status == "proposed"]
        assert len(proposed) > PAGE_SIZE
        assert pane.shown == [c.id for c in proposed][:PAGE_SIZE]
        assert f"of {len(proposed)} ({len(cands)} in all)" in count_line(app)

        flag.value = "novel"
        await pilot.pause()
        await page_read(pilot)
        both = [c.id for c in proposed if "novel" in c.flag_names]
        assert both and pane.shown == both and pane.total == len(both)
        flag.value = "-"  # no flag
        await pilot.pause()
        await page_read(pilot)
        assert pane.shown == [c.id for c in proposed if not c.flags][:PAGE_SIZE]
        status.clear()
        flag.clear()
        await pilot.pause()
        await page_read(pilot)
        assert pane.total == len(cands)

        for key in ("p", "change", "formula", "reason", "status"):
            await sort_by(pilot, key)
            best_first = key == "p"  # the first click on "p single" sorts best first (README)
            assert (pane.sort, pane.descending) == (key, best_first)
            assert pane.shown == expected_order(cands, key, best_first)[:PAGE_SIZE], key
        await sort_by(pilot, "p")
        await sort_by(pilot, "p")  # twice: ascending (worst first)
        assert (pane.sort, pane.descending) == ("p", False) and "by p ↑" in count_line(app)
        assert pane.shown == expected_order(cands, "p")[:PAGE_SIZE]
        await sort_by(pilot, "p")  # a third time: best first again
        assert (pane.sort, pane.descending) == ("p", True) and "by p ↓" in count_line(app)
        order = expected_order(cands, "p", descending=True)
        assert pane.shown == order[:PAGE_SIZE]
        await pilot.press("]")
        await page_read(pilot)
        assert pane.shown == order[PAGE_SIZE : 2 * PAGE_SIZE]
        status.value = "approved"  # a filter keeps the sort and starts at the first page
        await pilot.pause()
        await page_read(pilot)
        approved = {c.id for c in cands if c.status == "approved"}
        assert pane.page_offset == 0 and pane.shown == [i for i in order if i in approved][:PAGE_SIZE]
        status.value = next(s for s in CANDIDATE_STATUSES if s not in {c.status for c in cands})
        await pilot.pause()
        await page_read(pilot)
        assert pane.shown == [] and count_line(app).startswith(f"none match ({len(cands)} in all), 0 selected")
        assert set(SORTABLE) == set(VALUE)


async def test_a_page_that_arrives_after_the_filter_changed_is_dropped(paged_store, monkeypatch):
    import threading

    from hea_campaign.campaign import read_models

    real = read_models.candidate_page
    release = threading.Event()

    def slow_for_rejected(store, status=None, **kw):
        if status == "rejected":
            release.wait(30)  # the rejected page arrives last, after the approved one was asked for
        return real(store, status=status, **kw)

    monkeypatch.setattr(read_models, "candidate_page", slow_for_rejected)
    cands = everything(paged_store)
    app = CampaignApp(paged_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_candidates(pilot)
        app.query_one("#status-filter").value = "rejected"
        await pilot.pause()
        assert pane.loading
        app.query_one("#status-filter").value = "approved"
        await pilot.pause()
        await page_read(pilot)
        release.set()
        await asyncio.sleep(0.5)
        await pilot.pause()
        assert pane.shown == [c.id for c in cands if c.status == "approved"][:PAGE_SIZE]
        assert all(pane.rows[i].status == "approved" for i in pane.shown)


async def test_selection_survives_paging_and_actions_go_to_the_selected_ids(paged_store, tmp_path):
    cands = everything(paged_store)
    ids = [c.id for c in cands]
    status = {c.id: c.status for c in cands}
    app = CampaignApp(paged_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_candidates(pilot)
        table = app.query_one("#candidate-table")
        chosen = [i for i in ids[:PAGE_SIZE] if status[i] == "proposed"][3:5]
        chosen += [i for i in ids[PAGE_SIZE:] if status[i] == "proposed"][7:8]
        for cid in chosen[:2]:
            table.move_cursor(row=pane.shown.index(cid))
            await pilot.pause()
            await pilot.press("space")
        await pilot.press("]")
        await page_read(pilot)
        table.move_cursor(row=pane.shown.index(chosen[2]))
        await pilot.pause()
        await pilot.press("space")
        await pilot.press("[")
        await page_read(pilot)
        assert pane.selected == set(chosen) and "3 selected" in count_line(app)
        assert [table.get_cell(str(c), "sel") for c in chosen[:2]] == ["x", "x"]  # marked again on the page
        table.move_cursor(row=0)
        await pilot.pause()
        await pilot.press("a")
        await wait_for(pilot, lambda: not pane.selected)
        assert [table.get_cell(str(c), "status") for c in chosen[:2]] == ["approved", "approved"]

        # a failed synthesis of a selected exported candidate on another page: asked of the database
        exported = [i for i in ids[PAGE_SIZE:] if status[i] == "exported"][0]
        await pilot.press("]")
        await page_read(pilot)
        table.move_cursor(row=pane.shown.index(exported))
        await pilot.pause()
        await pilot.press("space", "[")
        await page_read(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen.query("#fail-reason"))
        app.screen.query_one("#fail-reason").value = "cracked"
        await pilot.click("#ok")
        await wait_for(pilot, lambda: not pane.selected)
    with paged_store.read() as s:
        now = {c.id: c.status for c in s.exec(select(Candidate))}
        events = s.exec(select(AuditEvent).where(AuditEvent.actor == "ui-user")).all()
    assert [now[c] for c in chosen] == ["approved"] * 3 and now[exported] == "failed"
    assert sorted(e.entity_id for e in events if e.action == "candidate.approve") == sorted(chosen)
    changed = {i for i in ids if now[i] != status[i]}
    assert changed == {*chosen, exported}


async def test_export_without_a_selection_takes_every_approved_candidate_from_the_database(paged_store, tmp_path):
    from hea_campaign.tui.app.modals import ExportModal

    approved = [c.id for c in everything(paged_store) if c.status == "approved"]
    assert max(approved) > PAGE_SIZE  # beyond the page shown
    out = tmp_path / "all.csv"
    app = CampaignApp(paged_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await open_candidates(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal) and app.screen.query("#path"))
        app.screen.query_one("#path").value = str(out)
        app.screen.query_one("#ok").press()
        await wait_for(pilot, lambda: out.exists(), timeout=120)
    with paged_store.read() as s:
        batch = s.exec(select(ExportBatch)).one()
    assert sorted(batch.candidate_ids) == approved


async def test_live_refresh_updates_the_page_and_the_total(paged_store):
    from hea_campaign.campaign.lifecycle import approve
    from hea_campaign.campaign.store import CampaignStore

    cands = everything(paged_store)
    ids = [c.id for c in cands]
    target = next(c.id for c in cands[:PAGE_SIZE] if c.status == "proposed")
    other = CampaignStore.open(paged_store.url, create=False, actor="colleague")
    app = CampaignApp(paged_store, actor="tester")
    try:
        async with app.run_test(size=SIZE) as pilot:
            pane = await open_candidates(pilot)
            table = app.query_one("#candidate-table")
            await asyncio.to_thread(approve, other, [target], by="colleague")
            await wait_for(pilot, lambda: table.get_cell(str(target), "status") == "approved")
            assert pane.rows[target].status == "approved"

            new = await asyncio.to_thread(add_candidates, other, 5, EXTRA)
            total = len(ids) + 5
            await wait_for(pilot, lambda: f"of {total}," in count_line(app))
            assert pane.total == total and pane.shown == ids[:PAGE_SIZE]  # the page shown stays
            await pilot.press("ctrl+end")
            await wait_for(pilot, lambda: pane.page_offset == 2 * PAGE_SIZE and not pane.loading)
            assert pane.shown == (ids + new)[2 * PAGE_SIZE :]
            assert re.search(rf"rows {2 * PAGE_SIZE + 1}-{total} of {total}", count_line(app))
    finally:
        other.close()


def ended_in_ellipsis(lines, text: str, inner: int):
    """The DataTable's lines for a cell, with a cut text ending in '…' as the candidates table draws it."""
    from rich.cells import cell_len, set_cell_size
    from rich.segment import Segment

    if cell_len(text) <= inner:
        return lines
    cropped = set_cell_size(text, inner)
    return [[Segment(cut(text, inner), seg.style, seg.control) if seg.text == cropped else seg for seg in line]
            for line in lines]


async def test_cells_are_drawn_as_the_datatable_draws_them(fixed_store):  # noqa: F811
    """The table's short cut for drawing a Cell gives the DataTable's own segments, styles and
    mouse metadata included, in every state (cursor, hover, a cut formula), except that a cut text
    ends in '…'."""
    from rich.style import Style
    from textual.coordinate import Coordinate
    from textual.widgets import DataTable

    from hea_campaign.tui.app.panes.candidates import CandidateTable

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await open_candidates(pilot)
        table = app.query_one(CandidateTable)
        assert table.ordered_columns == DataTable.ordered_columns.fget(table)
        compared = 0
        for row in range(table.row_count):
            for column, key in enumerate(table.columns):
                width = table.columns[key].get_render_width(table)
                for w in (width, 4):  # as laid out, and narrower than the text (cut)
                    for cursor, hover in ((False, False), (True, False), (False, True)):
                        for base in (Style(), Style(bgcolor="red", bold=True)):
                            table._cell_render_cache.clear()
                            ours = CandidateTable._render_cell(table, row, column, base, w, cursor, hover)
                            table._cell_render_cache.clear()
                            theirs = DataTable._render_cell(table, row, column, base, w, cursor, hover)
                            text = str(table.get_cell_at(Coordinate(row, column)))
                            assert ours == ended_in_ellipsis(theirs, text, w - 2 * table.cell_padding), (
                                row, key, w, cursor, hover)
                            compared += 1
        assert compared == table.row_count * len(table.columns) * 12


def cut_in_place(table, key) -> dict:
    """Put in the row the texts the candidates table shows (a cut one ends in '…'); returns the row as it was."""
    from rich.cells import cell_len

    from hea_campaign.tui.app.panes.candidate_table import Cell

    saved = dict(table._data[key])
    for column in table.ordered_columns:
        inner = column.get_render_width(table) - 2 * table.cell_padding - table.gap  # a cut text keeps the gap
        text = saved[column.key].text
        if cell_len(text) > inner:
            shown = Cell(text)
            shown.text = cut(text, inner)
            table._data[key] = {**table._data[key], column.key: shown}
    return saved


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["wide", "narrow"])
async def test_rows_are_drawn_as_the_datatable_draws_them(paged_store, size):
    """The short cut that draws a row of Cells in one segment per cell gives the DataTable's own line
    (after merging runs of one style): cells, padding, a cut cell, the filler to the right, styles with
    mouse metadata, for the cursor's row, the hover's and the others, on the first and a later page; a cut
    cell ends in '…'.  At 80 columns (no cell padding, one blank on each cell's right, the columns in
    another order) too: a cut cell keeps its blank."""
    from itertools import chain

    from rich.segment import Segment
    from textual.coordinate import Coordinate
    from textual.widgets import DataTable

    from hea_campaign.tui.app.panes.candidate_table import CandidateTable

    def line(cls, table, key, cursor, hover):
        table._row_render_cache.clear()
        table._cell_render_cache.clear()
        fixed, scrollable = cls._render_line_in_row(table, key, 0, table.rich_style, cursor, hover)
        return list(Segment.simplify(chain.from_iterable(fixed + scrollable)))

    app = CampaignApp(paged_store, actor="tester")
    async with app.run_test(size=size) as pilot:
        await open_candidates(pilot)
        table = app.query_one(CandidateTable)
        compared = 0
        for turn in range(2):
            table.columns["formula"].width = 6 if turn else table.columns["formula"].width  # then cut formulas
            table._pseudo_class_state = table.get_pseudo_class_state()
            for index in (0, 1, 2, 7, table.row_count - 1):
                key = table._row_locations.get_key(index)
                for cursor, hover in ((index, 3), (5, index), (4, 4)):
                    ours = line(CandidateTable, table, key, Coordinate(cursor, 0), Coordinate(hover, 0))
                    saved = cut_in_place(table, key)
                    theirs = line(DataTable, table, key, Coordinate(cursor, 0), Coordinate(hover, 0))
                    table._data[key] = saved
                    assert ours == theirs, (turn, index, cursor, hover)
                    wide = max(table.size.width, sum(c.get_render_width(table) for c in table.columns.values()))
                    assert sum(s.cell_length for s in ours) == wide or turn  # the filler fills the row
                    compared += 1
            await pilot.press("]")
            await page_read(pilot)
        assert compared == 30


async def test_turning_pages_keeps_the_counts_and_a_change_counts_again(paged_store, monkeypatch):
    """A page turn or a sort of the same filter reads only the page (the counts were half of its read); a filter
    or a change in the store counts again, so the count line never keeps a stale total for long."""
    from hea_campaign.db import store as queries

    counted = []
    real = queries.count_candidates
    monkeypatch.setattr(queries, "count_candidates", lambda *a, **k: counted.append(a[2:]) or real(*a, **k))
    app = CampaignApp(paged_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_candidates(pilot)
        total = len(everything(paged_store))
        assert counted and pane.total == total
        counted.clear()
        await pilot.press("]")
        await page_read(pilot)
        await pilot.press("ctrl+end")
        await page_read(pilot)
        await sort_by(pilot, "p")
        assert counted == [] and pane.page_offset == 0 and pane.total == total and pane.sort == "p"
        await pilot.press("ctrl+end")
        await page_read(pilot)
        assert counted == [] and pane.page_offset == 2 * PAGE_SIZE and pane.total == total
        assert f"rows {2 * PAGE_SIZE + 1}-{total} of {total}," in count_line(app)

        app.query_one("#status-filter").value = "approved"
        await pilot.pause()
        await page_read(pilot)
        approved = sum(c.status == "approved" for c in everything(paged_store))
        assert pane.total == approved and counted
        counted.clear()

        add_candidates(paged_store, 3, first=EXTRA)  # as another process would
        pane.store_changed(type("Changes", (), {"everything": True})())
        await page_read(pilot)
        assert counted and pane.total == sum(c.status == "approved" for c in everything(paged_store))


async def test_the_count_line_says_the_first_page_is_being_read_until_it_is(paged_store, monkeypatch):
    import threading

    from hea_campaign.campaign import read_models

    real = read_models.candidate_page
    release = threading.Event()

    def held(store, **kw):
        release.wait(30)
        return real(store, **kw)

    monkeypatch.setattr(read_models, "candidate_page", held)
    app = CampaignApp(paged_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        pane = pane_of(app)
        assert not pane.loaded and count_line(app) == "reading the first page…"
        release.set()
        await page_read(pilot)
        assert count_line(app).startswith(f"rows 1-{PAGE_SIZE} of ")


@pytest.mark.parametrize("width", [140, 120])
async def test_a_long_reason_ends_in_an_ellipsis_at_the_tables_edge(fixed_store, width):  # noqa: F811
    """A rejection reason longer than the room the other columns leave is cut with '…' inside the
    table, rather than cut off by the table's edge (the detail shows it whole).  Where the others leave
    less than REASON_MIN, the columns draw closer and, at 80 columns, cost, density, at.% and model move
    after the reason (the last test)."""
    from hea_campaign.campaign.lifecycle import reject

    with fixed_store.read() as s:
        first = s.exec(select(Candidate.id).order_by(Candidate.id)).first()
    reason = "the crucible reacts with Mo above 1600 C and Mo is too expensive this quarter, so we skip it"
    reject(fixed_store, [first], by="colleague", reason=reason)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(width, 40)) as pilot:
        await open_candidates(pilot)
        await pilot.pause()
        table = app.query_one("#candidate-table")
        shown = [line.text for line in table.render_lines(table.region.reset_offset)]
        row = next(line for line in shown if line.lstrip().startswith(str(first)))
        assert "…" in row and row.rstrip().endswith("…"), row
        assert reason[:10] in row and reason not in row
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.scrollable_content_region.width


async def test_cost_and_density_are_columns_sorted_by_the_database_and_o_cycles_the_sort(fixed_store):  # noqa: F811
    """The CLI's `candidates` lists cost (USD/kg) and density (g/cm3), and the README calls them columns:
    the table shows them (read by the page's query, from the candidate's stored figures), sorts by them
    in the database (a header, or key o moving the sort to the next column; O reverses it), and at 80
    columns the header shows them without scrolling."""
    from textual.widgets import DataTable

    from .test_screen_fit import screen_lines

    with fixed_store.write() as session:  # the figures a proposal stores (the fixture predates them); one without
        rows = session.exec(select(Candidate).order_by(Candidate.id)).all()
        for i, c in enumerate(rows[:-1]):
            c.uncertainty = {**(c.uncertainty or {}), "cost_usd_per_kg": [12.5, 40.25, 3.0, 7.75, 12.5][i % 5],
                             "density_g_cm3": 6.5 + (i * 7 % 5) / 4}
    cands = everything(fixed_store)
    assert sum(c.cost_per_kg is None for c in cands) == 1
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_candidates(pilot)
        table = app.query_one("#candidate-table", DataTable)
        for c in cands:
            assert str(table.get_cell(str(c.id), "cost")) == ("" if c.cost_per_kg is None else f"{c.cost_per_kg:.2f}")
            assert str(table.get_cell(str(c.id), "density")) == ("" if c.density is None else f"{c.density:.2f}")
        header = next(line for line in screen_lines(app) if " formula " in line)
        assert "USD/kg" in header and "g/cm3" in header, header
        seen = []
        while pane.sort != "density":
            await pilot.press("o")
            await page_read(pilot)
            seen.append(pane.sort)
            assert pane.shown == expected_order(cands, pane.sort, pane.descending), pane.sort
        assert seen[:5] == ["formula", "p", "status", "cost", "density"] and pane.descending is False
        await pilot.press("O")
        await page_read(pilot)
        assert (pane.sort, pane.descending) == ("density", True) and "by density ↓" in count_line(app)
        assert pane.shown == expected_order(cands, "density", True)
        await sort_by(pilot, "cost")  # a click on the header
        await page_read(pilot)
        assert pane.shown == expected_order(cands, "cost")


async def test_at_80_columns_a_long_reason_is_on_screen_cut_and_the_rest_follow_it(fixed_store):  # noqa: F811
    """At 80 columns the reason was first cut to a few characters ("batch…"), then kept at its table width
    (40) off to the right, shown only by scrolling sideways.  It is now on screen without scrolling, cut with
    '…' to the room id, formula, p, status and flags leave; cost, density, at.% and model follow it, shown
    by scrolling right."""
    from textual.widgets import DataTable

    from hea_campaign.campaign.read_models import reject

    from .test_screen_fit import screen_lines

    cid = everything(fixed_store)[0].id
    reason = "batch 3 is over budget this month, retry after the audit in March"
    reject(fixed_store, [cid], by="tester", reason=reason)
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_candidates(pilot)
        table = app.query_one("#candidate-table", DataTable)
        await pilot.pause()
        assert table.scroll_x == 0
        width = table.columns["reason"].width - table.gap
        assert 20 <= width < 40
        assert any(reason[: width - 1] + "…" in line for line in screen_lines(app))
        assert not any("USD/kg" in line for line in screen_lines(app))
        table.scroll_to(x=table.max_scroll_x, animate=False, immediate=True)  # scrolled right to the end
        await pilot.pause()
        assert table.scroll_x > 0
        assert any("USD/kg" in line and " model" in line for line in screen_lines(app))
