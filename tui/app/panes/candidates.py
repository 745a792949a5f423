"""Candidates: a table keyed by candidate id, filters, approve / reject / export / failed synthesis / void batch.

Rows are loaded once; approving or rejecting updates only the cells whose
value changed, and a filter re-adds only the rows that match, so the table
stays responsive with many thousands of candidates.

What made filtering slow, and what is done about it (bench/tui.py, 10,000
candidates): re-adding 10,000 rows froze the screen for 2 to 2.5 s, most of
it not ``add_row`` (0.35 s) but the DataTable measuring every cell of the new
rows with Rich when the app was next idle (about 1.9 s).  So:

* cells are ``Cell`` objects: the value (compared and sorted on, so sorting
  and ``get_cell(...) == value`` behave as before) and the text the
  DataTable would have shown, rendered as plain text.  A Cell has no
  ``__rich_measure__``, so the table does not measure it; the pane sets the
  column widths itself, from the texts of all candidates (computed once per
  reload, so columns do not jump when the filter changes);
* a filter adds the first ``FIRST_ROWS`` matches at once (a screenful and
  more) and the rest in batches of ``BATCH_ROWS`` after each screen
  refresh, so the filtered table shows at once and keys are handled between
  batches; sorting first adds whatever is still pending;
* a status change updates only the cells whose value changed (updating a
  cell to a narrower value makes the DataTable re-measure its whole column).
"""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, Select

from hea_campaign.tui.present.choices import CandidateStatus, Flag, values

from ..modals import ConfirmModal, ExportModal, FailModal, ReasonModal

FLAGS = values(Flag)
CANDIDATE_STATUSES = values(CandidateStatus)
COLUMNS = (("sel", " "), ("id", "id"), ("formula", "formula"), ("p", "p single"), ("flags", "flags"),
           ("status", "status"), ("change", "change at.%"), ("model", "model"), ("reason", "reason"))
REASON_WIDTH = 40  # a long rejection reason is cut here in the table; the detail shows it whole
FIRST_ROWS = 200  # rows a filter adds at once
BATCH_ROWS = 1000  # rows added per later batch, one batch per screen refresh


def _flags(c) -> str:
    return ",".join(c.flag_names) or "-"


class Cell:
    """A table cell: its value and the text shown for it (as the DataTable would format it).

    Compares, sorts and hashes by value.  No ``__rich_measure__`` on purpose:
    the DataTable then skips measuring it (see the module docstring).
    """

    __slots__ = ("value", "text")

    def __init__(self, value):
        self.value = value
        self.text = "" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)

    def __rich_console__(self, console, options):
        yield Text(self.text, no_wrap=True, end="")

    @staticmethod
    def _other(other):
        return other.value if isinstance(other, Cell) else other

    def __eq__(self, other) -> bool:
        return self.value == self._other(other)

    def __lt__(self, other) -> bool:
        return self.value < self._other(other)

    def __gt__(self, other) -> bool:
        return self.value > self._other(other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Cell({self.value!r})"


class CandidatesPane(Vertical):
    BINDINGS = [
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("space", "toggle_select", "Select", show=False),
        Binding("enter", "open", "Open"),
        Binding("e", "export", "Export"),
        Binding("f", "fail", "Synthesis failed"),
        Binding("v", "void", "Void batch"),
    ]

    class Changed(Message):
        """Candidates changed status; the dashboard should refresh."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.rows: dict = {}  # id -> campaign.read_models.CandidateView
        self.selected: set[int] = set()
        self.shown: list[int] = []  # ids matching the filter, in table order
        self._cell_cache: dict[int, tuple[Cell, ...]] = {}
        self._widths: dict[str, int] = {}  # column key -> width (cells)
        self._filled = 0  # how many of self.shown are in the table so far
        self._fill_round = 0  # bumped by every filter, so a stale batch does nothing

    def compose(self) -> ComposeResult:
        with Horizontal(id="candidate-filters"):
            yield Label("status")
            yield Select([(s, s) for s in CANDIDATE_STATUSES], prompt="any", id="status-filter")
            yield Label("flag")
            yield Select([(f, f) for f in FLAGS] + [("no flag", "-")], prompt="any", id="flag-filter")
            yield Label("", id="candidate-count")
        table = DataTable(id="candidate-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key, width=cell_len(label))
        yield table

    def on_mount(self) -> None:
        self.call_after_refresh(self.reload)  # the first screen (the dashboard) need not wait for it

    # ------------------------------------------------------------ data

    def reload(self) -> None:
        from hea_campaign.campaign.read_models import candidates

        self.rows = {c.id: c for c in candidates(self.app.store)}
        self.selected &= set(self.rows)
        self._cell_cache = {cid: self._make_cells(cid) for cid in self.rows}
        self._widths = {key: max([cell_len(label)] + [cell_len(cells[j].text) for cells in self._cell_cache.values()])
                        for j, (key, label) in enumerate(COLUMNS)}
        self.apply_filter()

    def _cells(self, cid: int) -> tuple:
        """The values shown for a candidate, one per column."""
        c = self.rows[cid]
        formula = c.formula
        change = round(c.change_at_pct, 1) if c.change_at_pct is not None else ""
        reason = " ".join((c.status_reason or "").split())
        if len(reason) > REASON_WIDTH:
            reason = reason[: REASON_WIDTH - 1] + "…"
        return ("x" if cid in self.selected else "", cid, formula, round(c.p_single, 3), _flags(c), c.status,
                change, f"v{c.model_version_id}", reason)

    def _make_cells(self, cid: int) -> tuple[Cell, ...]:
        return tuple(Cell(v) for v in self._cells(cid))

    def _row_cells(self, cid: int) -> tuple[Cell, ...]:
        cells = self._cell_cache.get(cid)
        if cells is None:
            cells = self._cell_cache[cid] = self._make_cells(cid)
        return cells

    def _set_cell(self, cid: int, key: str, cell: Cell) -> None:
        """Put a new cell in the table (widening its column if needed) and in the cache."""
        j = [k for k, _ in COLUMNS].index(key)
        cells = list(self._row_cells(cid))
        cells[j] = cell
        self._cell_cache[cid] = tuple(cells)
        table = self.query_one(DataTable)
        width = cell_len(cell.text)
        if width > self._widths.get(key, 0):
            self._widths[key] = width
            table.columns[key].width = width
        if str(cid) in table.rows:
            table.update_cell(str(cid), key, cell)

    def matching(self, status, flag) -> list[int]:
        out = []
        for cid, c in self.rows.items():
            if status is not None and c.status != status:
                continue
            if flag is not None:
                names = set(c.flag_names)
                if (flag == "-" and names) or (flag != "-" and flag not in names):
                    continue
            out.append(cid)
        return out

    def apply_filter(self) -> None:
        status_select = self.query_one("#status-filter", Select)
        flag_select = self.query_one("#flag-filter", Select)
        status = None if status_select.is_blank() else status_select.value
        flag = None if flag_select.is_blank() else flag_select.value
        table = self.query_one(DataTable)
        self.shown = self.matching(status, flag)
        self._fill_round += 1
        self._filled = 0
        table.clear()
        for key, column in table.columns.items():
            column.width = self._widths.get(key.value, column.width)
        self._add_rows(FIRST_ROWS)
        self._update_count()

    def _update_count(self) -> None:
        self.query_one("#candidate-count", Label).update(
            f"{len(self.shown)} of {len(self.rows)} shown, {len(self.selected)} selected"
        )

    def _add_rows(self, n: int | None) -> None:
        """Add the next ``n`` (None: all) rows of the filter; schedule the rest after the next refresh."""
        table = self.query_one(DataTable)
        end = len(self.shown) if n is None else min(len(self.shown), self._filled + n)
        for cid in self.shown[self._filled : end]:
            table.add_row(*self._row_cells(cid), key=str(cid))
        self._filled = end
        if end < len(self.shown):
            self.call_after_refresh(self._add_batch, self._fill_round)

    def _add_batch(self, fill_round: int) -> None:
        if fill_round == self._fill_round and self._filled < len(self.shown):
            self._add_rows(BATCH_ROWS)

    def finish_filling(self) -> None:
        """Add every row the filter still has pending (before sorting, for instance)."""
        if self._filled < len(self.shown):
            self._fill_round += 1
            self._add_rows(None)

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.apply_filter()

    def update_rows(self, candidates) -> None:
        """Refresh only the cells whose value changed (rows not in the table get them when added)."""
        for c in candidates:
            before = self._cell_cache.get(c.id)
            self.rows[c.id] = c
            after = self._make_cells(c.id)
            if before is None:
                self._cell_cache[c.id] = after
                continue
            for (key, _), old, new in zip(COLUMNS, before, after, strict=True):
                if old.text != new.text or old.value != new.value:
                    self._set_cell(c.id, key, new)

    def store_changed(self, changes) -> None:
        """Live refresh: redraw the rows of the candidates someone changed, add new ones."""
        if changes.everything:
            self.reload()
            return
        if not changes.candidate_ids:
            return
        from hea_campaign.campaign.changes import candidates_by_ids

        views = candidates_by_ids(self.app.store, changes.candidate_ids)
        self.update_rows([c for c in views if c.id in self.rows])
        new = [c for c in views if c.id not in self.rows]
        if new:
            self.add_candidates(new)
        self._update_count()

    def add_candidates(self, views) -> None:
        """Append candidates that are new to the pane; those matching the filter join the table."""
        status_select = self.query_one("#status-filter", Select)
        flag_select = self.query_one("#flag-filter", Select)
        status = None if status_select.is_blank() else status_select.value
        flag = None if flag_select.is_blank() else flag_select.value
        table = self.query_one(DataTable)
        for c in views:
            self.rows[c.id] = c
            cells = self._make_cells(c.id)
            self._cell_cache[c.id] = cells
            for (key, _), cell in zip(COLUMNS, cells, strict=True):
                width = cell_len(cell.text)
                if width > self._widths.get(key, 0):
                    self._widths[key] = width
                    table.columns[key].width = width
        fresh = {c.id for c in views if (status is None or c.status == status) and (
            flag is None or (flag == "-" and not c.flags) or (flag != "-" and flag in c.flag_names))}
        complete = self._filled == len(self.shown)
        for c in views:
            if c.id in fresh:
                self.shown.append(c.id)
        if complete:
            self._add_rows(None)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value
        if key in ("id", "p", "change", "formula", "status", "flags", "model", "reason"):
            reverse = getattr(self, "_sort", None) == key
            self._sort = None if reverse else key
            self.finish_filling()
            event.data_table.sort(key, key=lambda v: (v == "", v), reverse=reverse)

    # ------------------------------------------------------------ actions

    def targets(self) -> list[int]:
        if self.selected:
            return sorted(self.selected)
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return []
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return [int(key)]

    def action_toggle_select(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        cid = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self.selected.symmetric_difference_update({cid})
        self._set_cell(cid, "sel", Cell("x" if cid in self.selected else ""))
        self._update_count()

    def _transition(self, verb: str, ids: list[int], reason: str | None) -> None:
        from hea_campaign.campaign import read_models

        changed = getattr(read_models, verb)(self.app.store, ids, by=self.app.actor, reason=reason or None)
        self.selected -= set(ids)  # the "sel" cells are among the changed ones below
        self.update_rows(changed)
        self._update_count()
        self.notify(f"{verb.capitalize()}d {len(changed)} candidate(s): {', '.join(map(str, ids))}")
        # after the table has been redrawn: the dashboard's refresh takes a while with many alloys
        self.call_after_refresh(self.post_message, self.Changed())

    def action_approve(self) -> None:
        ids = self.targets()
        if ids:
            self.app.guard(self._transition, "approve", ids, None)

    def action_reject(self) -> None:
        ids = self.targets()
        if not ids:
            return

        def done(reason: str | None) -> None:
            if reason is not None:
                self.app.guard(self._transition, "reject", ids, reason)

        self.app.push_screen(ReasonModal(f"Reject candidate(s) {', '.join(map(str, ids))}: why?"), done)

    def action_fail(self) -> None:
        ids = [cid for cid in self.targets() if self.rows[cid].status == "exported"]
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
        self.selected -= set(ids)
        self.update_rows(changed)
        self._update_count()
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

        self.app.push_screen(ReasonModal(f"Void export batch {batch} (candidate {ids[0]}'s): why?"), done)

    def _voided(self, batch: int, reason: str) -> None:
        from hea_campaign.campaign.export_batches import void_batch

        out = void_batch(self.app.store, batch, reason, by=self.app.actor)
        self.reload()
        self.notify(f"Batch {out.batch_id} is void; candidate(s) {', '.join(map(str, out.candidate_ids))} approved "
                    f"again. The file {out.path} is kept: do not weigh from it.", timeout=10)  # fmt: skip
        self.post_message(self.Changed())

    def action_open(self) -> None:
        ids = self.targets()
        if ids:
            from ..screens import CandidateScreen

            table = self.query_one(DataTable)
            cid = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
            self.app.push_screen(CandidateScreen(cid))

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_export(self) -> None:
        approved = [cid for cid in (sorted(self.selected) or self.rows) if self.rows[cid].status == "approved"]
        if not approved:
            self.notify("No approved candidates to export (approve some with a).", severity="warning")
            return
        self.ask_export(approved)

    def ask_export(self, approved: list[int], initial: dict | None = None) -> None:
        """The export dialog; a refused export opens it again with the entries as they were."""
        from hea_campaign.campaign.batch_names import default_batch_path

        default = str(default_batch_path(self.app.store, Path.cwd()))

        def confirmed(settings: dict, yes: bool) -> None:
            if yes:
                self._pending_export = (approved, settings | {"confirm": True})
                self.export(approved, settings | {"confirm": True})

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
            self._pending_export = (approved, settings)
            self.export(approved, settings)

        self.app.push_screen(ExportModal(len(approved), default, initial), done)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export(self, ids: list[int], settings: dict):
        from hea_campaign.campaign.export import export_batch

        result = export_batch(self.app.store, ids=ids, mass=settings["mass"], unit=settings["unit"],
                              out=settings["out"], fmt=settings["fmt"], by=self.app.actor,
                              confirm=settings.get("confirm", False), loss=settings.get("loss"))
        self.app.call_from_thread(self._exported, result)
        return result

    def _exported(self, result) -> None:
        self._pending_export = None
        self.reload()
        self.notify(f"Batch {result.batch_id}: {len(result.candidate_ids)} candidate(s) written to {result.path}",
                    timeout=10)
        self.post_message(self.Changed())

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        pending = getattr(self, "_pending_export", None)
        if event.worker.group == "export" and event.state == WorkerState.ERROR and pending:
            approved, settings = pending  # the dialog again, as it was, under the error message
            self._pending_export = None
            self.ask_export(approved, {**settings, "error": str(event.worker.error)})
        self.app.handle_worker_event(event)
