"""Full-screen views pushed over the tabs: the candidate detail."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from hea_campaign.tui.present.views import candidate_detail_text

from .footer import KeyFooter


class CandidateScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("s", "save_shap", "SHAP PNG"),
                Binding("h", "history", "History")]

    def __init__(self, candidate_id: int, *, save_shap: bool = False):
        super().__init__()
        self.candidate_id = candidate_id
        self.detail = None
        self.save_when_loaded = save_shap  # the palette's "Save a candidate's SHAP plot" opened it

    def action_history(self) -> None:
        """The whole history of the candidate's alloy: its results, other candidates, what the model did with it."""
        from .alloy_history import show_history

        if self.detail is None:
            self.notify("The candidate is still being read.", severity="warning")
            return
        show_history(self, self.detail.formula)

    def action_save_shap(self) -> None:
        d = self.detail
        if d is None or not d.shap:
            self.notify("The SHAP values are still being computed.", severity="warning")
            return
        self.app.save_plot("shap", d.candidate.model_version_id, payload=(d.formula, d.shap, d.candidate.id))

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(can_focus=True):
            yield Static(f"Loading candidate {self.candidate_id} (computing SHAP)...", id="detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def load(self):
        from textual.worker import get_current_worker

        from hea_campaign.campaign.read_models import candidate_detail

        detail = candidate_detail(self.app.store, self.candidate_id)
        if get_current_worker().is_cancelled:  # a newer read (live refresh) replaced this one: never show older data
            return None
        self.app.call_from_thread(self._show, detail)
        if self.save_when_loaded:
            self.save_when_loaded = False
            self.app.call_from_thread(self.action_save_shap)
        return detail

    def _show(self, detail) -> None:
        self.query_one("#detail", Static).update(candidate_detail_text(detail))
        self.detail = detail

    def store_changed(self, changes) -> None:
        """Live refresh: the status, note, lab results and export batch shown are read again when another
        terminal (or this TUI) changes this candidate or enters a result (perhaps by the alloy's formula)."""
        if changes.everything or self.candidate_id in changes.candidate_ids or changes.measurements:
            self.load()

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
