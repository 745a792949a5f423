"""A small simulated campaign from the TUI, and its plot saved as a PNG.

Key S or Ctrl+P "Simulate a campaign".  The replay of yan2021 with hidden
labels that `hea-campaign simulate --quick --plot FILE` runs, in a worker
(progress after every training, Cancel stops it between two trainings);
the plot goes to the current folder as simulation-<date-time>.png.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from hea_campaign.tui.present.simulation_request import DEFAULT_STRATEGIES

from .footer import KeyFooter

ABOUT = ("A replay of yan2021 with the labels hidden: does the loop find single-phase alloys faster than "
         "random choice? The CLI's --quick run (400 alloys, rounds of 4, short trainings); the plot is saved "
         "here as a PNG. The full run: hea-campaign simulate --plot FILE.")


class SimulationScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, repeats: str = "2", rounds: str = "3", strategies: str = DEFAULT_STRATEGIES):
        super().__init__()
        self.defaults = (repeats, rounds, strategies)
        self.saved: Path | None = None
        self.folder = Path.cwd()

    def compose(self) -> ComposeResult:
        repeats, rounds, strategies = self.defaults
        with Vertical(classes="modal", id="simulation"):
            yield Label("Simulate a campaign and save its plot", classes="modal-title")
            yield Static(ABOUT, markup=False, id="sim-about")
            with Grid(classes="form", id="sim-form"):
                yield Label("repeats")
                yield Input(repeats, id="sim-repeats", type="integer", compact=True)
                yield Label("rounds")
                yield Input(rounds, id="sim-rounds", type="integer", compact=True)
                yield Label("strategies")
                yield Input(strategies, id="sim-strategies", compact=True)
            with Horizontal(classes="buttons"):
                yield Button("Run", variant="primary", id="sim-run")
                yield Button("Cancel run", id="sim-cancel", disabled=True)
                yield Button("Close", id="sim-close")
            yield ProgressBar(id="sim-progress", show_eta=True)
            yield Static("", id="sim-status", markup=False)
        yield KeyFooter()  # its own keys: the footer behind it offers keys that do nothing here

    def on_mount(self) -> None:
        self.query_one("#sim-progress", ProgressBar).display = False  # an idle bar animates
        self.query_one("#sim-run", Button).focus()

    def settings(self):
        from hea_campaign.tui.present.simulation_request import small_simulation_settings

        v = {w.id: w.value for w in self.query(Input)}
        return small_simulation_settings(v["sim-repeats"], v["sim-rounds"], v["sim-strategies"])

    def start(self) -> None:
        if self.query_one("#sim-run", Button).disabled:
            return
        settings = self.app.guard(self.settings)
        if settings is None:
            return
        self.query_one("#sim-run", Button).disabled = True
        cancel = self.query_one("#sim-cancel", Button)
        cancel.disabled = False
        cancel.focus()
        bar = self.query_one("#sim-progress", ProgressBar)
        bar.update(total=settings.trainings, progress=0)
        bar.display = True
        self.query_one("#sim-status", Static).update(f"Starting: {settings.trainings} trainings...")
        self.run_simulation(settings, self.folder)

    def on_input_submitted(self, _event) -> None:
        self.start()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "sim-run":
            self.start()
        elif event.button.id == "sim-cancel":
            self.cancel()
        elif event.button.id == "sim-close":
            self.action_close()

    def cancel(self) -> None:
        self.workers.cancel_group(self, "simulate")
        self.query_one("#sim-status", Static).update("Cancelling after the training under way...")

    def action_close(self) -> None:
        self.workers.cancel_group(self, "simulate")  # a run stops at its next training; nothing is saved
        self.dismiss(None)

    def _progress(self, done: int, total: int, message: str) -> None:
        self.query_one("#sim-progress", ProgressBar).update(total=total, progress=done)
        self.query_one("#sim-status", Static).update(f"{done}/{total} trainings: {message}")

    class Ended(Message):
        """The worker's thread is done (posted from it): a result, or the reason it stopped."""

        def __init__(self, outcome, stopped: str | None):
            super().__init__()
            self.outcome = outcome
            self.stopped = stopped

    @work(thread=True, exclusive=True, exit_on_error=False, group="simulate")
    def run_simulation(self, settings, folder: Path):
        from hea_campaign.campaign.simulation import SimulationCancelled, load_pool, simulate
        from hea_campaign.tui.present import plots

        worker = get_current_worker()
        outcome, stopped = None, None
        try:
            pool = load_pool("yan2021")
            result = simulate(pool, settings, should_stop=lambda: worker.is_cancelled,
                              progress=lambda d, t, m: self.app.call_from_thread(self._progress, d, t, m))
            if not worker.is_cancelled:
                outcome = result, plots.simulation_png(result, folder / plots.plot_file_name("simulation", datetime.now()))
        except SimulationCancelled as exc:
            stopped = str(exc)
        finally:  # also after an error (shown by on_worker_state_changed): the buttons come back
            self.post_message(self.Ended(outcome, stopped))
        return outcome

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "simulate" and event.state == WorkerState.ERROR:
            self.app.show_error(event.worker.error)

    def on_simulation_screen_ended(self, event: Ended) -> None:
        self.query_one("#sim-run", Button).disabled = False
        self.query_one("#sim-cancel", Button).disabled = True
        self.query_one("#sim-run", Button).focus()
        status = self.query_one("#sim-status", Static)
        if event.outcome is None:
            status.update(f"Simulation stopped: {event.stopped}; no plot was saved." if event.stopped else "")
            return
        from hea_campaign.campaign.simulation_report import summarise
        from hea_campaign.tui.present.simulation_text import verdict

        result, path = event.outcome
        self.saved = path
        rows = summarise(result)
        last = max(r.experiments for r in rows)
        found = ", ".join(f"{r.strategy} {r.found.format(1)}" for r in rows if r.experiments == last)
        status.update(Text(f"Targets ({result.settings.target.text}) found after {last} experiments, "
                           f"median [IQR]: {found}\n"
                           f"{verdict(result, rows)}\nPlot saved: {path}"))
        self.app.notify(f"Saved {path}", title="plot", timeout=10)
