"""The results browser: every lab result with its corrections, filtered; correct one from here.

Opened with key b (or Ctrl+P "Browse lab results").  The table lists
measurements newest first, corrected ones included and marked, and failed
syntheses (with their reason) among them by date, filtered alike; the panel
under it shows the correction chain of the row under the cursor.  Key c (or
Enter) starts a correction of that result on the Lab results tab, with the
newest result of its chain in "corrects result".  Key w withdraws that result (it should never
have been entered): a dialog asks why, and the row then reads WITHDRAWN.  On a failed synthesis,
key w withdraws that failure (recorded by mistake) as ``result not-failed`` does: the candidate is
exported again and the row reads "withdrawn; now exported".

The columns fit the screen (``present.results_text.fit_columns``): long free
text is cut with an ellipsis, and a narrow screen leaves out the operator and
the candidate; the panel shows all of it, with the method and the chain.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Header, Input, Static

from hea_campaign.tui.present.results_text import (count_line, failure_cells, fit_columns, fit_row, format_chain,
                                                   format_failure, natural_widths, result_cells)

from .footer import KeyFooter
from .screen_keys import KeepsLetters

# (id, hint, width); the alloy field takes what is left (app.tcss), so Filter shows at 80 columns too
FILTERS = (("f-alloy", "alloy", None), ("f-candidate", "candidate", 10), ("f-operator", "operator", 10),
           ("f-since", "from YYYY-MM-DD", 16), ("f-until", "to YYYY-MM-DD", 16))


class ResultsBrowser(KeepsLetters, Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("c", "correct", "Correct"),
        Binding("w", "withdraw", "Withdraw"),
        Binding("h", "history", "History"),
    ]

    def __init__(self):
        super().__init__()
        self.rows: dict[int, object] = {}  # measurement id -> ResultRow
        self.failures: dict[str, object] = {}  # row key "f<event id>" -> FailedSynthesis
        self.listed: list[tuple[str, dict[str, str]]] = []  # (row key, whole cells), newest first
        self.natural: dict[str, int] = {}  # each column's widest whole text
        self.widths: dict[str, int] = {}  # the columns shown and their widths (fit_columns)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="result-filters"):
            for wid, hint, width in FILTERS:
                field = Input(placeholder=hint, id=wid, compact=True)
                if width is not None:
                    field.styles.width = width
                yield field
            yield Button("Filter", id="apply-filter", compact=True)
        yield Static("", id="results-count", markup=False)
        yield DataTable(id="results-table", cursor_type="row", zebra_stripes=True)  # columns: draw()
        with VerticalScroll(id="chain-scroll", can_focus=True):
            yield Static("", id="result-chain", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#results-table", DataTable).focus()
        self.natural = natural_widths([])
        self.draw()  # the headers, until the rows are read
        self.load()

    def _filter(self):
        from hea_campaign.campaign.results_browser import build_filter

        v = {w.id: w.value for w in self.query(Input)}
        return build_filter(v["f-alloy"], v["f-candidate"], v["f-operator"], v["f-since"], v["f-until"])

    def load(self) -> None:
        flt = self.app.guard(self._filter)
        if flt is not None:
            self.fetch(flt)

    @work(thread=True, exclusive=True, exit_on_error=False, group="results")
    def fetch(self, flt) -> None:
        from hea_campaign.campaign.results_browser import count_results, list_failures, list_results

        rows = list_results(self.app.store, flt)
        failures = list_failures(self.app.store, flt)
        counts = count_results(self.app.store, flt)  # the lists stop at the newest LISTED; the counts do not
        self.app.call_from_thread(self.show, rows, failures, counts)

    def show(self, rows, failures, counts) -> None:
        """List ``rows`` and ``failures`` (the newest of what the filter matches); the line above gives
        ``counts`` (campaign.results_browser.ResultCounts), the true totals, and says when not all are listed."""
        keep = self._key()
        self.rows = {r.id: r for r in rows}
        self.failures = {f"f{f.event_id}": f for f in failures}
        # newest first, by when it was entered: results and failed syntheses interleaved
        listed = [(r.entered_at, str(r.id), result_cells(r)) for r in rows]
        listed += [(f.at, key, failure_cells(f)) for key, f in self.failures.items()]
        listed.sort(key=lambda item: item[0], reverse=True)
        self.listed = [(key, cells) for _, key, cells in listed]
        self.natural = natural_widths(cells for _, cells in self.listed)
        self.draw(keep)
        listed_results = sum(not r.withdrawal for r in rows)  # a withdrawal row is no result of its own
        self.query_one("#results-count", Static).update(count_line(counts, listed_results, len(failures)))
        self.show_chain()

    def _room(self) -> int:
        """The table's width less its vertical scrollbar (kept free, so the columns never need a scroll)."""
        table = self.query_one("#results-table", DataTable)
        width = table.size.width or self.size.width or self.app.size.width
        return width - table.styles.scrollbar_size_vertical

    def draw(self, keep: str | None = None) -> None:
        """Fill the table: the columns that fit the screen, cells cut to them; the cursor stays on ``keep``."""
        table = self.query_one("#results-table", DataTable)
        self.widths = fit_columns(self.natural, self._room())
        table.clear(columns=True)
        for key in self.widths:
            table.add_column(key, key=key)
        for key, cells in self.listed:
            table.add_row(*(Text(v) for v in fit_row(cells, self.widths)), key=key)
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))

    def on_resize(self, _event) -> None:
        self.call_after_refresh(self._refit)  # once the table has its new size

    def _refit(self) -> None:
        if self.listed and fit_columns(self.natural, self._room()) != self.widths:
            self.draw(self._key())

    def _key(self) -> str | None:
        table = self.query_one("#results-table", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def selected(self):
        """The lab result under the cursor (None on a failed synthesis)."""
        key = self._key()
        return self.rows.get(int(key)) if key is not None and key.isdigit() else None

    def show_chain(self) -> None:
        failure = self.failures.get(self._key() or "")
        if failure is not None:
            self.query_one("#result-chain", Static).update(format_failure(failure))
            return
        r = self.selected()
        if r is None:
            self.query_one("#result-chain", Static).update("")
            return
        chain = [self.rows[i] for i in r.chain if i in self.rows]
        self.query_one("#result-chain", Static).update(format_chain(chain, r.id))

    def on_data_table_row_highlighted(self, _event) -> None:
        self.show_chain()

    def on_data_table_row_selected(self, _event) -> None:
        self.action_correct()

    def on_input_submitted(self, _event) -> None:
        self.load()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply-filter":
            self.load()

    def action_correct(self) -> None:
        r = self.selected()
        if r is None:
            if self._key() in self.failures:
                self.app.notify("A failed synthesis has no lab result to correct.", severity="warning")
            return
        newest = self.rows.get(r.chain[-1], r)
        if newest.withdrawal:  # nothing of the chain counts: there is no result to correct
            self.app.notify(f"Result {newest.supersedes_id} was withdrawn (by {newest.id}): there is nothing to "
                            "correct; enter the real result on the Lab results tab.", severity="warning")
            return
        self.app.pop_screen()
        self.app.start_correction(newest)

    def action_history(self) -> None:
        """The whole history of the alloy of the row under the cursor (a result's or a failed synthesis's)."""
        from .alloy_history import show_history

        failure = self.failures.get(self._key() or "")
        row = failure if failure is not None else self.selected()
        if row is not None:
            show_history(self, row.formula)

    def action_withdraw(self) -> None:
        """Withdraw the result under the cursor (the newest of its chain: the one that counts), asking why."""
        from hea_campaign.campaign.withdrawals import check_withdrawal_reason

        from .modals import ReasonModal

        failure = self.failures.get(self._key() or "")
        if failure is not None:
            self._withdraw_failure(failure)
            return
        r = self.selected()
        if r is None:
            return
        newest = self.rows.get(r.chain[-1], r)
        if newest.withdrawal:
            self.app.notify(f"Result {newest.supersedes_id} is withdrawn already (by {newest.id}).", severity="warning")
            return
        said = "single phase " + ("?" if newest.single_phase is None else "yes" if newest.single_phase else "no")
        of = newest.formula + ("" if newest.candidate_id is None else f", candidate {newest.candidate_id}")
        prompt = (f"Withdraw result {newest.id} ({of}: {said})? It should never have been entered; it stays in "
                  "the history, marked withdrawn, and no longer counts. Why?")

        def done(reason: str | None) -> None:
            if reason is not None:
                self.app.guard(self._withdrawn, newest.id, reason)

        self.app.push_screen(ReasonModal(prompt, required=True, kept_with="the withdrawal",
                                         check=check_withdrawal_reason), done)

    def _withdrawn(self, measurement_id: int, reason: str) -> None:
        from hea_campaign.campaign.withdrawals import withdraw_result
        from hea_campaign.tui.present.report import format_withdrawal

        out = withdraw_result(self.app.store, measurement_id, reason=reason, by=self.app.actor)
        self.load()
        self.app.notify(format_withdrawal(out), markup=False, timeout=10)

    def _withdraw_failure(self, failure) -> None:
        """Withdraw the failed synthesis under the cursor (recorded by mistake), asking why, as
        ``result not-failed`` does: the candidate is exported again, the failure stays, marked withdrawn.
        One already withdrawn, or of a candidate no longer failed, is refused by the service at once."""
        from hea_campaign.campaign.lifecycle import check_failure_withdrawable, check_failure_withdrawal_reason

        from .modals import ReasonModal

        cid, event = failure.candidate_id, failure.event_id
        if not self.app.guard(lambda: check_failure_withdrawable(self.app.store, cid, event) or True):
            return  # the error modal gives the service's reason
        prompt = (f"Withdraw the failure of candidate {cid} ({failure.formula}: {failure.reason or '-'})? It was "
                  "recorded by mistake; the candidate is exported again, awaiting its result, and the failure "
                  "stays in the history, marked withdrawn. Why?")

        def done(reason: str | None) -> None:
            if reason is not None:
                self.app.guard(self._failure_withdrawn, cid, event, reason)

        self.app.push_screen(ReasonModal(prompt, required=True, kept_with="the withdrawal",
                                         check=check_failure_withdrawal_reason), done)

    def _failure_withdrawn(self, candidate_id: int, event_id: int, reason: str) -> None:
        from hea_campaign.campaign.read_models import withdraw_failure
        from hea_campaign.tui.present.report import format_failure_withdrawn

        out = withdraw_failure(self.app.store, [candidate_id], reason, by=self.app.actor, failure_event_id=event_id)
        self.load()
        self.app.notify(format_failure_withdrawn(out, "on the Lab results tab"), markup=False, timeout=10)

    def store_changed(self, changes) -> None:
        """Live refresh: a new or corrected result, or a failed synthesis, appears without a key press."""
        if changes.measurements or changes.touches("candidate.fail", "candidate.withdraw-failure"):
            self.load()

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
