"""Candidates: a table keyed by candidate id, filters, approve / reject / export.

Rows are loaded once; approving or rejecting updates only the changed cells,
and a filter re-adds only the rows that match, so the table stays responsive
with many thousands of candidates.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, Select

from hea_campaign.db.tables import CANDIDATE_STATUSES

from ..modals import ExportModal, ReasonModal

FLAGS = ("low_density", "out_of_range", "inconsistent", "high_spread")
COLUMNS = (("sel", " "), ("id", "id"), ("formula", "formula"), ("p", "p single"), ("flags", "flags"),
           ("status", "status"), ("change", "change at.%"), ("model", "model"))


def _flags(c) -> str:
    return ",".join(f["flag"] for f in c.flags) or "-"


class CandidatesPane(Vertical):
    BINDINGS = [
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("space", "toggle_select", "Select"),
        Binding("enter", "open", "Open"),
        Binding("e", "export", "Export"),
    ]

    class Changed(Message):
        """Candidates changed status; the dashboard should refresh."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.rows: dict[int, tuple] = {}  # id -> (candidate, formula)
        self.selected: set[int] = set()
        self.shown: list[int] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="candidate-filters"):
            yield Label("status")
            yield Select([(s, s) for s in CANDIDATE_STATUSES], prompt="any", id="status-filter")
            yield Label("flag")
            yield Select([(f, f) for f in FLAGS] + [("no flag", "-")], prompt="any", id="flag-filter")
            yield Label("", id="candidate-count")
        table = DataTable(id="candidate-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table

    def on_mount(self) -> None:
        self.reload()

    # ------------------------------------------------------------ data

    def reload(self) -> None:
        from hea_campaign.campaign.candidates import list_candidates

        self.rows = {c.id: (c, f) for c, f in list_candidates(self.app.store)}
        self.selected &= set(self.rows)
        self.apply_filter()

    def _cells(self, cid: int) -> tuple:
        c, formula = self.rows[cid]
        change = round(c.change_at_pct, 1) if c.change_at_pct is not None else ""
        return ("x" if cid in self.selected else "", cid, formula, round(c.p_single, 3), _flags(c), c.status,
                change, f"v{c.model_version_id}")

    def matching(self, status, flag) -> list[int]:
        out = []
        for cid, (c, _) in self.rows.items():
            if status is not None and c.status != status:
                continue
            if flag is not None:
                names = {f["flag"] for f in c.flags}
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
        table.clear()
        for cid in self.shown:
            table.add_row(*self._cells(cid), key=str(cid))
        self.query_one("#candidate-count", Label).update(
            f"{len(self.shown)} of {len(self.rows)} shown, {len(self.selected)} selected"
        )

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.apply_filter()

    def update_rows(self, candidates) -> None:
        """Refresh only the cells of candidates that changed."""
        table = self.query_one(DataTable)
        shown = set(self.shown)
        for c in candidates:
            formula = self.rows[c.id][1] if c.id in self.rows else ""
            self.rows[c.id] = (c, formula)
            if c.id in shown:
                for (key, _), value in zip(COLUMNS, self._cells(c.id), strict=True):
                    table.update_cell(str(c.id), key, value)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value
        if key in ("id", "p", "change", "formula", "status", "flags", "model"):
            reverse = getattr(self, "_sort", None) == key
            self._sort = None if reverse else key
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
        table.update_cell(str(cid), "sel", "x" if cid in self.selected else "")
        self.query_one("#candidate-count", Label).update(
            f"{len(self.shown)} of {len(self.rows)} shown, {len(self.selected)} selected"
        )

    def _transition(self, verb: str, ids: list[int], reason: str | None) -> None:
        from hea_campaign.campaign import lifecycle

        changed = getattr(lifecycle, verb)(self.app.store, ids, by=self.app.actor, reason=reason or None)
        self.selected -= set(ids)
        self.update_rows(changed)
        for cid in ids:
            if str(cid) in self.query_one(DataTable).rows:
                self.query_one(DataTable).update_cell(str(cid), "sel", "")
        self.notify(f"{verb.capitalize()}d {len(changed)} candidate(s): {', '.join(map(str, ids))}")
        self.post_message(self.Changed())

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
        approved = [cid for cid in (sorted(self.selected) or self.rows) if self.rows[cid][0].status == "approved"]
        if not approved:
            self.notify("No approved candidates to export (approve some with a).", severity="warning")
            return
        default = str(Path.cwd() / "synthesis-batch.csv")

        def done(settings: dict | None) -> None:
            if settings:
                self.export(approved, settings)

        self.app.push_screen(ExportModal(len(approved), default), done)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export(self, ids: list[int], settings: dict):
        from hea_campaign.campaign.export import export_batch

        result = export_batch(self.app.store, ids=ids, mass=settings["mass"], unit=settings["unit"],
                              out=settings["out"], fmt=settings["fmt"], by=self.app.actor)
        self.app.call_from_thread(self._exported, result)
        return result

    def _exported(self, result) -> None:
        self.reload()
        self.notify(f"Batch {result.batch_id}: {len(result.candidate_ids)} candidate(s) written to {result.path}",
                    timeout=10)
        self.post_message(self.Changed())

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
