"""Retrain: live progress and training curve, cancel, comparison with the active model, activate."""

from __future__ import annotations

import math

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, ProgressBar, Static
from rich.text import Text
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from hea_campaign.tui.present.plots import epoch_ticks
from hea_campaign.tui.present.text import plain
from hea_campaign.tui.present.training_report import render_comparison


class RetrainPane(VerticalScroll, can_focus=False):
    """Scrolls, so that the comparison below the curve can be read on a small terminal."""

    class Trained(Message):
        def __init__(self, comparison):
            super().__init__()
            self.comparison = comparison

    def __init__(self, **kw):
        super().__init__(**kw)
        self.curve: list[tuple[int, float]] = []
        self.comparison = None
        self.running = False  # a training is going on (or being cancelled): its thread has not ended
        self._cancelling = False  # Cancel was pressed; the training's thread has not ended yet
        self._token: object | None = None  # the training going on; its end is handled once
        self._thread_started: object | None = None  # the token of the last training whose thread began

    def compose(self) -> ComposeResult:
        yield Static("Train a new model version on the current labels except a fixed tenth, kept out of every "
                     "retraining so that versions can be compared on alloys neither learned from (`hea-campaign "
                     "train` without --activate uses every label); the active model stays until you activate.",
                     id="retrain-help")
        with Grid(id="train-form", classes="form"):  # the CLI's --seed, --epochs and --prior-r
            yield Label("seed")
            yield Input("0", id="train-seed", type="integer", compact=True,
                        tooltip="validation rows and initial weights (the CLI's --seed)")
            yield Label("max epochs")
            yield Input(placeholder="blank: the model's default, with early stopping", id="train-epochs",
                        type="integer", compact=True)
            yield Label("prior r")
            yield Input(placeholder="blank: the model's default (0.01 to 0.99)", id="train-prior-r",
                        type="number", compact=True, tooltip="the SSVAE's prior that an alloy is single phase "
                        "(the CLI's --prior-r)")
        with Horizontal(classes="buttons"):
            yield Button("Start training", variant="primary", id="start-training")
            yield Button("Cancel", id="cancel-training", disabled=True)
            yield Button("Activate new version", variant="success", id="activate", disabled=True)
        yield ProgressBar(id="train-progress", show_eta=True)
        yield Static("", id="train-live")
        yield PlotextPlot(id="train-curve")
        yield Static("", id="train-comparison")

    def on_mount(self) -> None:
        self.query_one("#train-curve", PlotextPlot).display = False
        self.query_one("#train-progress", ProgressBar).display = False  # an idle bar animates

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start-training":
            self.start()
        elif event.button.id == "cancel-training":
            self.cancel()
        elif event.button.id == "activate" and self.comparison is not None:
            from hea_campaign.campaign.retraining import activation_refusal, comparison_outdated

            checked = self.app.guard(comparison_outdated, self.app.store, self.comparison)
            if checked is None:
                return
            now, outdated = checked
            if now == self.comparison.new_id:  # activated meanwhile from another terminal
                self.notify(f"Model version v{now} is already the active one.")
                self.query_one("#activate", Button).disabled = True
                return
            refusal = outdated or activation_refusal(self.comparison)
            if refusal:  # the TUI's --force: say why, activate only on a yes
                from ..modals import ConfirmModal

                self.app.push_screen(ConfirmModal(f"{refusal}. Activate it anyway?"),
                                     lambda yes: self.activate_new() if yes else None)  # fmt: skip
                return
            self.activate_new()

    def store_changed(self, changes) -> None:
        """Live refresh: a version activated elsewhere (another terminal, the Models screen) shows here:
        the new version itself (then it is active and Activate has nothing left to do), or another one
        (then this comparison no longer speaks for replacing it, which the block says)."""
        if not changes.models or self.comparison is None or self.comparison.activated:
            return
        from hea_campaign.campaign.retraining import comparison_outdated

        checked = self.app.guard(comparison_outdated, self.app.store, self.comparison)
        if checked is None:
            return
        now, outdated = checked
        shown = self.query_one("#train-comparison", Static)
        if now == self.comparison.new_id:
            self.comparison.activated = True
            shown.update(render_comparison(self.comparison) + "\n(activated elsewhere: another terminal or the "
                                                              "Models screen)")
            self.query_one("#activate", Button).disabled = True
        else:
            shown.update(render_comparison(self.comparison)
                         + (f"\nNote: {outdated} (activated elsewhere)" if outdated else ""))

    def activate_new(self) -> None:
        from hea_campaign.campaign.model_versions import activate

        if self.comparison is not None:
            if self.app.guard(activate, self.app.store, self.comparison.new_id, self.app.actor) is not None:
                self.comparison.activated = True
                self.query_one("#train-comparison", Static).update(render_comparison(self.comparison))
                self.query_one("#activate", Button).disabled = True
                self.query_one("#start-training", Button).focus()  # not lost with the disabled button
                self.notify(f"Model version v{self.comparison.new_id} is now active.")
                self.post_message(self.Trained(self.comparison))

    def request(self):
        """The form's settings, checked as `retrain` checks its options."""
        from hea_campaign.tui.present.training_request import FORM_NAMES, training_request

        v = {w.id: w.value for w in self.query("#train-form Input")}
        return training_request(v["train-seed"], v["train-epochs"], v["train-prior-r"], names=FORM_NAMES)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.start()

    def start(self) -> None:
        if self.running:
            return
        asked = self.app.guard(self.request)
        if asked is None:
            return
        self.running = True
        self._cancelling = False
        self.curve = []
        self.comparison = None
        self.query_one("#start-training", Button).disabled = True
        self.query_one("#cancel-training", Button).disabled = False
        self.query_one("#activate", Button).disabled = True
        self.query_one("#cancel-training", Button).focus()  # Start is disabled now: the focus would be lost
        self.query_one("#train-comparison", Static).update("")
        self.query_one("#train-live", Static).update("Starting...")
        self.query_one("#train-progress", ProgressBar).display = True
        self._token = token = object()
        self.train(token, asked)

    def cancel(self) -> None:
        """Ask the training to stop; its thread says when it has (``finished``), and whether it saved anything.
        Cancel stays pressable meanwhile (a second press changes nothing), so the focus stays visible."""
        if not self.running or self._cancelling:
            return  # nothing to cancel (Ctrl+P "Cancel retraining" with no training going on)
        self._cancelling = True
        self.workers.cancel_group(self, "train")
        self.query_one("#train-live", Static).update("Cancelling: waiting for the training to stop...")

    def on_epoch(self, r, token=None) -> None:
        if self._cancelling or not self.running or token is not self._token:
            return  # a report that was on its way when training was cancelled
        bar = self.query_one("#train-progress", ProgressBar)
        bar.update(total=r.epochs, progress=r.epoch)
        self.query_one("#train-live", Static).update(
            f"epoch {r.epoch}/{r.epochs}   loss {r.losses.get('loss', math.nan):.3f}   "
            f"validation accuracy {r.val_accuracy:.3f}   AUC {r.val_auc:.3f}   best epoch {r.best_epoch}   "
            f"{r.elapsed_s:.0f} s"
        )
        self.curve.append((r.epoch, r.val_accuracy))
        plot = self.query_one("#train-curve", PlotextPlot)
        plot.display = True
        plt = plot.plt
        plt.clear_data()
        plt.title("validation accuracy")
        plt.xlabel("epoch")
        accuracies = [a for _, a in self.curve]
        plt.plot([e for e, _ in self.curve], accuracies, marker="braille")
        plt.ylim(max(0.0, min(accuracies) - 0.05), min(1.0, max(accuracies) + 0.05))  # an accuracy: never past 1
        plt.xlim(0, max(e for e, _ in self.curve))  # from the start: one point is not centred on an empty axis
        plt.xticks(epoch_ticks(int(max(e for e, _ in self.curve))))
        plot.refresh()

    def _to_ui(self, fn, *args) -> None:
        try:
            self.app.call_from_thread(fn, *args)
        except RuntimeError:  # the app has closed meanwhile
            pass

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def train(self, token, asked):
        from hea_campaign.campaign.retraining import retrain

        self._thread_started = token
        worker = get_current_worker()
        comparison, error = None, None
        try:
            trained, comparison = retrain(
                self.app.store, by=self.app.actor, seed=asked.seed, epochs=asked.epochs,
                config_overrides=asked.config_overrides,
                progress=lambda r: self._to_ui(self.on_epoch, r, token),
                should_stop=lambda: worker.is_cancelled, keep_if_cancelled=False,
            )
        except Exception as exc:
            error = exc
            raise
        finally:
            # the thread, not the worker's state, says when training has ended and what it left: a
            # cancelled worker is marked so at once, while its thread goes on to the end of the epoch (and
            # a training that ended on its own just then is saved all the same)
            self._to_ui(self.finished, comparison, token, error)
        return comparison

    def worker_ended(self, state) -> None:
        """The app's handler of the training's worker: a training cancelled before its thread began ends
        here (its thread never runs); otherwise the thread reports the end itself (``finished``)."""
        from textual.worker import WorkerState

        if state == WorkerState.CANCELLED and self._token is not None and self._thread_started is not self._token:
            self.finished(None, self._token)

    def finished(self, comparison, token=None, error: BaseException | None = None) -> None:
        """The training ended: ``comparison`` None when it was cancelled or failed (``error``)."""
        from hea_campaign.campaign.model_versions import TrainingCancelled

        if token is not self._token:
            return  # this training's end was already handled
        self._token = None
        cancelled, self._cancelling = self._cancelling, False
        self.running = False
        self.query_one("#start-training", Button).disabled = False
        self.query_one("#cancel-training", Button).disabled = True
        if comparison is None:
            bar = self.query_one("#train-progress", ProgressBar)
            bar.update(total=None, progress=0)
            bar.display = False  # reset for the next run (an idle bar animates)
            if error is None or isinstance(error, TrainingCancelled):
                text = Text("Training cancelled; nothing was saved.")
            else:  # the error modal says why (when the training was not cancelled meanwhile)
                text = Text(f"Training failed; nothing was saved: {plain(error)}")
            self.query_one("#train-live", Static).update(text)
            self.query_one("#start-training", Button).focus()  # Cancel is disabled now
            return
        self.comparison = comparison
        bar = self.query_one("#train-progress", ProgressBar)
        bar.update(progress=bar.total or 1, total=bar.total or 1)  # early stopping ends before the last epoch
        live = str(self.query_one("#train-live", Static).render()) + "   (done: best epoch kept)"
        if cancelled:
            live = (f"Cancel came too late: the training had already ended, and was saved as version "
                    f"v{comparison.new_id} (not active).")
        self.query_one("#train-live", Static).update(Text(live))
        self.query_one("#train-comparison", Static).update(render_comparison(comparison))
        self.query_one("#activate", Button).disabled = False
        self.query_one("#activate", Button).focus()
        self.post_message(self.Trained(comparison))

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
