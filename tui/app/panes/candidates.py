"""Candidates: a paged table keyed by candidate id, filters, sorting, approve / reject / export / failed synthesis / void batch.

The table holds one page (``PAGE_SIZE`` rows) of the candidates, never all of
them: the database filters (status, flag), sorts (a column header; a fixed set
of keys, ties in id order) and counts, and a thread worker reads the page and
the counts (``campaign.read_models.candidate_page``) and hands them to the UI
thread.  A page that arrives after the filter, the sort or the page asked for
changed is dropped.  Moving down past the last row (down, PageDown, or ``]``)
reads the next page, up past the first row (up, PageUp, or ``[``) the one
before; Ctrl+Home and Ctrl+End go to the first and the last page.  Selection
(space) is a set of ids, kept across pages; actions read what they need
(statuses, every approved candidate for an export) from the database, not
from the page.

Cells avoid Rich's measuring (bench/tui.py, 10,000 candidates: re-adding
10,000 rows froze the screen for 2 to 2.5 s, most of it the DataTable measuring
every cell with Rich when the app was next idle, about 1.9 s):

* cells are ``Cell`` objects: the value (compared on, so
  ``get_cell(...) == value`` behaves as for plain values) and the text the
  DataTable would have shown, rendered as plain text.  A Cell has no
  ``__rich_measure__``, so the table does not measure it; the pane sets the
  column widths itself, from the texts of the pages seen so far (they only
  grow, so columns do not jump between pages), and their order and spacing
  for the table's width (``present.candidate_columns``: at 80 columns the
  reason comes right after the flags);
* a status change updates only the cells whose value changed (updating a
  cell to a narrower value makes the DataTable re-measure its whole column),
  and a page read again with the same rows (live refresh) does the same.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, Select
from textual.worker import get_current_worker

from hea_campaign.tui.present.choices import CandidateStatus, Flag, values
from hea_campaign.tui.present.text import one_line

from hea_campaign.tui.present.candidate_columns import (COLUMNS, FORMATS, LABELS, REASON_WIDTH, RIGHT, fit_columns,
                                                         flags_text, natural_widths)

from ..modals import ConfirmModal, ExportModal, FailModal, ReasonModal
from .candidate_table import CandidateTable, Cell, CountLine

FLAGS = values(Flag)
CANDIDATE_STATUSES = values(CandidateStatus)
NO_FLAG = "-"  # the flag filter's "no flag" (campaign.candidates reads it so)
# the columns (present.candidate_columns): their order on screen depends on the width (fit_columns)
SORTABLE = tuple(key for key, _ in COLUMNS if key != "sel")  # = campaign.candidates.CANDIDATE_SORTS
PAGE_SIZE = 200  # rows per page: several screenfuls, read in one query
FIRST_DESCENDING = frozenset({"p"})  # the first click on "p single" sorts best first
PAST_TENSE = {"approve": "Approved", "reject": "Rejected"}
KEYS = tuple(key for key, _ in COLUMNS)  # the order of _cells' values (the table's order may differ)


def _flags(c) -> str:
    return flags_text(c.flag_names, c.outside_space)


def _label(key: str) -> Text:
    """A column's header: over numbers at the right, as they are (present.candidate_columns.RIGHT)."""
    return Text(LABELS[key], justify="right" if key in RIGHT else None)


class CandidatesPane(Vertical):
    BINDINGS = [
        Binding("a", "approve", "Approve"),
        Binding("A", "approve_with_note", "Approve with a note", show=False),  # shift+a: the export's approval_note
        Binding("r", "reject", "Reject"),
        Binding("space", "toggle_select", "Select", show=False),
        Binding("enter", "open", "Open"),
        Binding("e", "export", "Export"),
        Binding("f", "fail", "Synthesis failed"),
        Binding("V", "void", "Void batch"),  # shift+v: v alone opens the model versions, from every tab
        Binding("]", "next_page", "Next page", show=False),
        Binding("[", "previous_page", "Previous page", show=False),
        Binding("o", "sort_next", "Sort", show=False),  # o: order by the next column; O (shift+o): reverse it
        Binding("O", "sort_reverse", "Reverse sort", show=False),
    ]

    class Changed(Message):
        """Candidates changed status; the dashboard should refresh."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.rows: dict = {}  # id -> campaign.read_models.CandidateView, the page shown
        self.shown: list[int] = []  # ids of the page, in table order
        self.selected: set[int] = set()  # kept across pages and filters
        self.sort: str = "id"
        self.descending: bool = False
        self.page_offset = 0  # of the page shown
        self.total = 0  # candidates matching the filter (the database's count)
        self.everything = 0  # candidates in the campaign
        self.loaded = False  # a page has been shown
        self._want = 0  # the offset last asked for (the page shown, or one on its way)
        self._request = 0  # bumped by every page asked for: a page for an older request is dropped
        self._shown_request = -1  # the request whose page is shown
        self._widths: dict[str, int] = {}  # column key -> width (cells); only grows
        self._asked: tuple | None = None  # (status, flag) of the page asked for last
        self._counted: tuple | None = None  # (status, flag) that self.total counts

    def compose(self) -> ComposeResult:
        with Horizontal(id="candidate-filters"):
            yield Label("status")
            yield Select([(s, s) for s in CANDIDATE_STATUSES], prompt="any", id="status-filter")
            yield Label("flag")
            yield Select([(f, f) for f in FLAGS] + [("no flag", NO_FLAG)], prompt="any", id="flag-filter")
            yield CountLine(id="candidate-count").with_text("reading the first page…")
        table = CandidateTable(id="candidate-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(_label(key), key=key, width=cell_len(label))
        yield table

    def on_mount(self) -> None:
        self.call_after_refresh(self.reload)  # the first screen (the dashboard) need not wait for it

    # ------------------------------------------------------------ pages

    def filters(self) -> tuple[str | None, str | None]:
        status_select = self.query_one("#status-filter", Select)
        flag_select = self.query_one("#flag-filter", Select)
        status = None if status_select.is_blank() else status_select.value
        flag = None if flag_select.is_blank() else flag_select.value
        return status, flag

    @property
    def loading(self) -> bool:
        """A page has been asked for and not shown yet."""
        return self._shown_request != self._request

    def load(self, offset: int, cursor="first", *, recount: bool = True) -> None:
        """Ask for the page from ``offset`` (clamped to the last page) in the background.

        ``cursor``: "first" or "last" row of the new page, or "keep" (the same candidate if it is
        still there, else the same row).  ``recount=False`` (turning pages, sorting) keeps the counts of
        the page shown when it has the same filter: a change in the store reloads with new counts."""
        self._request += 1
        self._want = max(0, offset)
        status, flag = self.filters()
        counts = None
        if not recount and self.loaded and self._counted == (status, flag):
            counts = (self.everything, self.total)
        query = {"status": status, "flag": flag, "sort": self.sort, "descending": self.descending,
                 "limit": PAGE_SIZE, "offset": self._want, "counts": counts,
                 "check_space": True}  # the flags column marks candidates outside the current design space
        self._asked = (status, flag)
        self._fetch(self._request, query, cursor)
        if self.loaded and cursor != "keep":
            self._update_count()  # says "reading" until the page is there

    @work(thread=True, exclusive=True, exit_on_error=False, group="candidate-page")
    def _fetch(self, request: int, query: dict, cursor) -> None:
        from hea_campaign.campaign.read_models import candidate_page

        page = candidate_page(self.app.store, **query)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_page, request, page, cursor)

    def reload(self) -> None:
        """Read the page shown again (counts too), keeping the cursor on its candidate."""
        self.load(self._want, "keep")

    def turn_page(self, step: int, cursor: str = "first") -> bool:
        """Ask for the page ``step`` pages on (back if negative); False when there is none that way."""
        if not self.loaded:
            return False
        last = max(0, (self.total - 1) // PAGE_SIZE * PAGE_SIZE)
        offset = min(last, max(0, self._want + step * PAGE_SIZE))
        if offset == self._want:
            return False
        self.load(offset, cursor, recount=False)
        return True

    def _show_page(self, request: int, page, cursor) -> None:
        if request != self._request:
            return  # the filter, the sort or the page asked for changed meanwhile
        self._shown_request = request
        self.loaded = True
        self._counted = self._asked  # the filter the counts below are for
        table = self.query_one(DataTable)
        before = None
        if cursor == "keep" and table.row_count:
            before = (self._cursor_id(), table.cursor_row)
        self.page_offset, self._want, self.total, self.everything = page.offset, page.offset, page.total, page.everything
        ids = [c.id for c in page.rows]
        if ids == self.shown:  # the same rows (read again): only the cells that changed
            self.update_rows(page.rows, space_checked=True)
        else:
            self.rows = {c.id: c for c in page.rows}
            self.shown = ids
            cells = [self._make_cells(cid) for cid in ids]
            for j, (key, label) in enumerate(COLUMNS):
                width = max([self._widths.get(key, cell_len(label))] + [cell_len(row[j].text) for row in cells])
                self._widths[key] = width
            if not self.fit_columns():  # (laid out again with the new page's rows, in a new order)
                table.clear()
                order = [KEYS.index(key) for key in table.columns]
                for cid, row in zip(ids, cells, strict=True):
                    table.add_row(*(row[j] for j in order), key=str(cid))
                table.settle_dimensions()
        if table.row_count:
            if before is not None:
                row = self.shown.index(before[0]) if before[0] in self.rows else min(before[1], table.row_count - 1)
            else:
                row = table.row_count - 1 if cursor == "last" else 0
            if row != table.cursor_row or cursor != "keep":
                table.move_cursor(row=row, animate=False)
        self._update_count()

    def cursor_id(self) -> int | None:
        """The id of the candidate under the cursor (None: an empty table)."""
        return self._cursor_id()

    def _cursor_id(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _update_count(self) -> None:
        status, flag = self.filters()
        if self.total and len(self.shown) == self.total:  # one page: short enough for an 80-column screen
            text = f"{self.total:,} row{'s' if self.total > 1 else ''}"
        elif self.total:
            text = f"rows {self.page_offset + 1:,}-{self.page_offset + len(self.shown):,} of {self.total:,}"
        elif status or flag:
            text = f"none match ({self.everything:,} in all)"
        else:
            text = "no candidates"
        if self.total and (status or flag):
            text += f" ({self.everything:,} in all)"
        text += f", {len(self.selected)} selected"
        if self.sort != "id" or self.descending:
            text += f", by {self.sort} {'↓' if self.descending else '↑'}"  # arrows: short enough for 80 columns
        if self.total > PAGE_SIZE:
            text += ", [ ] page"
        if self.loading:
            text += ", reading…"
        self.query_one("#candidate-count", CountLine).update(text)

    def action_next_page(self) -> None:
        self.turn_page(1, "first")

    def action_previous_page(self) -> None:
        self.turn_page(-1, "first")

    def action_first_page(self) -> None:
        """Ctrl+Home on the table."""
        self.turn_page(-(1 << 40), "first")

    def action_last_page(self) -> None:
        """Ctrl+End on the table."""
        self.turn_page(1 << 40, "last")

    def apply_filter(self) -> None:
        self.load(0, "first")

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.apply_filter()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        self.sort_by(event.column_key.value)

    def sort_by(self, key: str) -> None:
        """Sort by a column (a header clicked): again by the same column reverses the order."""
        if key in SORTABLE:
            self.descending = not self.descending if key == self.sort else key in FIRST_DESCENDING
            self.sort = key
            self.load(0, "first", recount=False)  # the same rows in another order: the same counts

    def action_sort_next(self) -> None:
        """Key o: sort by the next column to the right (after the last, by id again), in its first order."""
        self.sort_by(SORTABLE[(SORTABLE.index(self.sort) + 1) % len(SORTABLE)])  # the count line says which

    def action_sort_reverse(self) -> None:
        """Key O (shift+o): the same column in the other order."""
        self.sort_by(self.sort)

    # ------------------------------------------------------------ cells

    def _cells(self, cid: int) -> tuple:
        """The values shown for a candidate, one per column."""
        c = self.rows[cid]
        formula = c.formula
        change = round(c.change_at_pct, 1) if c.change_at_pct is not None else ""
        reason = one_line(" ".join((c.status_reason or "").split()))  # typed by a user: never sent to the terminal
        if len(reason) > REASON_WIDTH:
            reason = reason[: REASON_WIDTH - 1] + "…"
        cost = round(c.cost_per_kg, 2) if c.cost_per_kg is not None else None
        density = round(c.density, 2) if c.density is not None else None
        return ("x" if cid in self.selected else "", cid, formula, c.p_single, c.status, cost, density,
                _flags(c), change, f"v{c.model_version_id}", reason)

    def _make_cells(self, cid: int) -> tuple[Cell, ...]:
        return tuple(Cell(v, FORMATS.get(key, ".2f"), "right" if key in RIGHT else "left")
                     for key, v in zip(KEYS, self._cells(cid), strict=True))

    def _set_cell(self, cid: int, key: str, cell: Cell) -> None:
        """Put a new cell in the table (widening its column if needed)."""
        table = self.query_one(DataTable)
        width = cell_len(cell.text)
        if width > self._widths.get(key, 0):
            self._widths[key] = width
            self.fit_columns()
        if str(cid) in table.rows:
            table.update_cell(str(cid), key, cell)

    def fit_columns(self) -> bool:
        """Lay the columns out for the table's width (``present.candidate_columns.fit_columns``): every column
        as wide as its longest value, but the reason only as wide as the others leave of the table, a long
        reason ending in '…' at the edge (the detail, Enter, has the rest).  On a narrow screen (80 columns)
        one blank separates the columns instead of two, and cost, density, at.% and model move after the
        reason, so that id, formula, p, status, flags and the reason are on screen without scrolling.
        True when the columns were put in a new order (the page's rows added again)."""
        table = self.query_one(CandidateTable)
        layout = fit_columns(natural_widths(self._widths), table.scrollable_content_region.width)
        rebuilt = tuple(table.columns) != layout.order
        if rebuilt:
            rows = []
            for cid in self.shown:
                cells = dict(zip(KEYS, self._make_cells(cid), strict=True))
                rows.append((str(cid), [cells[key] for key in layout.order]))
            table.set_columns([(key, _label(key), layout.widths[key] + layout.gap) for key in layout.order], rows)
        table.set_spacing(layout.padding, layout.gap)
        for key in layout.order:
            table.set_width(key, layout.widths[key] + layout.gap)
        return rebuilt

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_columns)  # once the table has its new size

    def update_rows(self, candidates, space_checked: bool = False) -> None:
        """Refresh only the cells whose value changed, for the candidates on the page; unless ``space_checked``
        (a page read), a row keeps whether it lies outside the design space until the page is read again."""
        table = self.query_one(DataTable)
        for c in candidates:
            if c.id not in self.rows or str(c.id) not in table.rows:
                continue
            if not space_checked and not c.outside_space and self.rows[c.id].outside_space:
                c = replace(c, outside_space=self.rows[c.id].outside_space)
            before = [table.get_cell(str(c.id), key) for key in KEYS]
            self.rows[c.id] = c
            after = self._make_cells(c.id)
            for key, old, new in zip(KEYS, before, after, strict=True):
                if not isinstance(old, Cell) or old.text != new.text or old.value != new.value:
                    self._set_cell(c.id, key, new)

    def store_changed(self, changes) -> None:
        """Live refresh: redraw the rows on the page whose candidates changed at once, then read the
        page and the counts again in the background (new candidates, rows that left the filter)."""
        if changes.everything:
            self.reload()
            return
        if not changes.candidates:
            return
        on_page = [cid for cid in changes.candidate_ids if cid in self.rows]
        if on_page:
            from hea_campaign.campaign.changes import candidates_by_ids

            self.update_rows(candidates_by_ids(self.app.store, on_page))
        self.reload()

    # ------------------------------------------------------------ actions

    def targets(self) -> list[int]:
        if self.selected:
            return sorted(self.selected)
        cid = self._cursor_id()
        return [] if cid is None else [cid]

    def action_toggle_select(self) -> None:
        cid = self._cursor_id()
        if cid is None:
            return
        self.selected.symmetric_difference_update({cid})
        self._set_cell(cid, "sel", Cell("x" if cid in self.selected else ""))
        self._update_count()

    def _after_change(self, ids: list[int], changed) -> None:
        self.selected -= set(ids)
        for cid in ids:
            if str(cid) in self.query_one(DataTable).rows:
                self._set_cell(cid, "sel", Cell(""))
        self.update_rows(changed)
        self._update_count()

    def _transition(self, verb: str, ids: list[int], reason: str | None) -> None:
        from hea_campaign.campaign import read_models

        changed = getattr(read_models, verb)(self.app.store, ids, by=self.app.actor, reason=reason or None)
        self._after_change(ids, changed)
        self.notify(f"{PAST_TENSE[verb]} {len(changed)} candidate(s): {', '.join(map(str, ids))}")
        from hea_campaign.tui.present.report import outside_space_note

        note = outside_space_note({c.id: c.outside_space for c in changed if c.outside_space},
                                   PAST_TENSE[verb].lower())
        if note:  # a warning, not a refusal: the scientist may approve it on purpose
            self.notify(note, severity="warning", timeout=15, markup=False)
        # after the table has been redrawn: the dashboard's refresh takes a while with many alloys
        self.call_after_refresh(self.post_message, self.Changed())

    def action_approve(self) -> None:
        ids = self.targets()
        if ids and not self._all_already(ids, "approved"):
            self.app.guard(self._transition, "approve", ids, None)

    def _all_already(self, ids: list[int], status: str) -> bool:
        """A repeated key (a second `a` on the same row) is no mistake to stop at: say so in a notice
        instead of the refusal dialog, which still comes when only some of them are there."""
        from hea_campaign.campaign.read_models import candidate_ids

        already = self.app.guard(candidate_ids, self.app.store, status, ids)
        if not already or len(already) < len(ids):
            return False
        self.notify(f"Candidate(s) {', '.join(map(str, ids))} already {status}: nothing to do.")
        return True

    def action_approve_with_note(self) -> None:
        """Approve with a note for the synthesis batch (the CLI's approve --reason; the export's approval_note)."""
        self._transition_asking("approve", "a note for the batch?", "note (optional), e.g. arc melt twice")

    def action_reject(self) -> None:
        self._transition_asking("reject", "why?")

    def _transition_asking(self, verb: str, question: str, placeholder: str | None = None) -> None:
        """Ask for the optional reason or note first; Cancel changes nothing."""
        ids = self.targets()
        if not ids or self._all_already(ids, PAST_TENSE[verb].lower()):
            return

        def done(text: str | None) -> None:
            if text is not None:
                self.app.guard(self._transition, verb, ids, text)

        prompt = f"{verb.capitalize()} candidate(s) {', '.join(map(str, ids))}: {question}"
        self.app.push_screen(ReasonModal(prompt, placeholder=placeholder), done)

    def action_fail(self) -> None:
        from hea_campaign.campaign.read_models import candidate_ids

        targets = self.targets()
        ids = self.app.guard(candidate_ids, self.app.store, "exported", targets) if targets else []
        if not ids:
            self.notify("Only exported candidates can fail in synthesis.", severity="warning")
            return

        def done(answer: dict | None) -> None:
            if answer is not None:
                self.app.guard(self._failed, ids, answer["reason"], answer["notes"])

        self.app.push_screen(FailModal(f"Synthesis of candidate(s) {', '.join(map(str, ids))} failed: why?"), done)

    def _failed(self, ids: list[int], reason: str, notes: str | None) -> None:
        from hea_campaign.campaign.read_models import fail

        changed = fail(self.app.store, ids, reason, notes=notes, by=self.app.actor)
        self._after_change(ids, changed)
        self.notify(f"Recorded failed synthesis ({reason}) for {len(changed)} candidate(s)")
        self.call_after_refresh(self.post_message, self.Changed())

    def action_void(self) -> None:
        from hea_campaign.campaign.export_batches import batch_of

        ids = self.targets()
        if not ids:
            return
        batch = self.app.guard(batch_of, self.app.store, ids[0])
        if batch is None:
            return

        def done(reason: str | None) -> None:
            if reason is not None:
                self.app.guard(self._voided, batch, reason)

        self.app.push_screen(ReasonModal(f"Void export batch {batch} (candidate {ids[0]}'s): why?", required=True),
                             done)

    def _voided(self, batch: int, reason: str) -> None:
        from hea_campaign.campaign.export_batches import void_batch

        out = void_batch(self.app.store, batch, reason, by=self.app.actor)
        self.reload()
        self.notify(f"Batch {out.batch_id} is void; candidate(s) {', '.join(map(str, out.candidate_ids))} approved "
                    f"again. The file {out.path} is kept: do not weigh from it.", timeout=10)  # fmt: skip
        self.post_message(self.Changed())

    def action_open(self) -> None:
        cid = self._cursor_id()
        if cid is not None:
            from ..screens import CandidateScreen

            self.app.push_screen(CandidateScreen(cid))

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_export(self) -> None:
        """Export the selected approved candidates, or every approved one (asked of the database)."""
        self.ask_export(sorted(self.selected) or None)

    def ask_export(self, among: list[int] | None, initial: dict | None = None) -> None:
        """The export dialog for the approved candidates (among ``among``, the selection), counted in the
        store now, every time it opens (again after a refused export too) and while it is open (live
        refresh); a refused export opens it again with the entries as they were."""
        from hea_campaign.campaign.batch_names import default_batch_path
        from hea_campaign.campaign.read_models import candidate_ids

        def now() -> tuple[list[int], str]:
            return (candidate_ids(self.app.store, "approved", among),
                    str(default_batch_path(self.app.store, Path.cwd())))

        counted = self.app.guard(now)
        if counted is None:
            return
        approved, default = counted
        if not approved:
            why = (initial or {}).get("error")
            self.notify(f"Not exported: {why.rstrip('.')}. No approved candidates are left to export." if why else
                        "No approved candidates to export (approve some with a).", severity="warning")
            return

        def go(settings: dict) -> None:
            """The mass is settled: ask about candidates measured since they were proposed, then export."""
            from hea_campaign.campaign.export import AlreadyMeasured, check_not_measured

            ids = settings["ids"]
            if not settings.get("allow_measured"):
                try:
                    check_not_measured(self.app.store, ids)
                except AlreadyMeasured as exc:
                    self.app.push_screen(ConfirmModal(f"{exc}. Export anyway?"), lambda yes: go(
                        settings | {"allow_measured": True}) if yes else self.ask_export(among, settings))
                    return
                except Exception as exc:  # every failure becomes a modal, never a traceback
                    self.app.show_error(exc)
                    return
            self._pending_export = (among, settings)
            self.export(ids, settings)

        def confirmed(settings: dict, yes: bool) -> None:
            if yes:
                go(settings | {"confirm": True})
            else:  # back to the dialog, its entries as they were, to correct the mass or the unit
                self.ask_export(among, settings)

        def done(settings: dict | None) -> None:
            if not settings:
                return
            from hea_campaign.campaign.export import MassNeedsConfirmation, check_sane_mass

            try:
                check_sane_mass(settings["mass"], settings["unit"], False)
            except MassNeedsConfirmation as exc:
                self.app.push_screen(ConfirmModal(f"{exc}. Export anyway?"), lambda yes: confirmed(settings, yes))
                return
            except Exception as exc:  # an unknown unit: the export names it
                self.app.show_error(exc)
                return
            go(settings)

        self.app.push_screen(ExportModal(len(approved), default, initial, ids=approved, recount=now), done)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export(self, ids: list[int], settings: dict):
        from hea_campaign.campaign.export import export_batch

        result = export_batch(self.app.store, ids=ids, mass=settings["mass"], unit=settings["unit"],
                              out=settings["out"], fmt=settings["fmt"], by=self.app.actor,
                              confirm=settings.get("confirm", False), loss=settings.get("loss"),
                              allow_measured=settings.get("allow_measured", False))
        self.app.call_from_thread(self._exported, result)
        return result

    def _exported(self, result) -> None:
        self._pending_export = None
        self.reload()
        from hea_campaign.tui.present.report import export_notice

        self.notify(export_notice(result), timeout=15 if result.outside_space else 10, markup=False,
                    severity="warning" if result.outside_space else "information")  # a path may hold [brackets]
        self.post_message(self.Changed())

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        pending = getattr(self, "_pending_export", None)
        if event.worker.group == "export" and event.state == WorkerState.ERROR and pending:
            among, settings = pending  # the dialog again, as it was, under the error message, counted again
            self._pending_export = None
            self.ask_export(among, {**settings, "error": str(event.worker.error)})
        self.app.handle_worker_event(event)
