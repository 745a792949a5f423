"""Retrain: live progress and training curve, cancel, comparison with the active model, activate."""

from __future__ import annotations

import math

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from hea_campaign.tui.present.training_report import render_comparison


class RetrainPane(Vertical):
    class Trained(Message):
        def __init__(self, comparison):
            super().__init__()
            self.comparison = comparison

    def __init__(self, **kw):
        super().__init__(**kw)
        self.curve: list[tuple[int, float]] = []
        self.comparison = None
        self.running = False

    def compose(self) -> ComposeResult:
        yield Static("Train a new model version on all current labels; the active model stays until you activate.",
                     id="retrain-help")
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
            from hea_campaign.campaign.retraining import activation_refusal

            refusal = activation_refusal(self.comparison)
            if refusal:  # the TUI's --force: say why, activate only on a yes
                from ..modals import ConfirmModal

                self.app.push_screen(ConfirmModal(f"{refusal}. Activate it anyway?"),
                                     lambda yes: self.activate_new() if yes else None)  # fmt: skip
                return
            self.activate_new()

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

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self.curve = []
        self.comparison = None
        self.query_one("#start-training", Button).disabled = True
        self.query_one("#cancel-training", Button).disabled = False
        self.query_one("#activate", Button).disabled = True
        self.query_one("#cancel-training", Button).focus()  # Start is disabled now: the focus would be lost
        self.query_one("#train-comparison", Static).update("")
        self.query_one("#train-live", Static).update("Starting...")
        self.query_one("#train-progress", ProgressBar).display = True
        self.train()

    def cancel(self) -> None:
        self.running = False
        self.workers.cancel_group(self, "train")
        self.query_one("#train-live", Static).update("Cancelling...")

    def on_epoch(self, r) -> None:
        if not self.running:
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
        plt.plot([e for e, _ in self.curve], [a for _, a in self.curve], marker="braille")
        plot.refresh()

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def train(self):
        from hea_campaign.campaign.retraining import retrain

        worker = get_current_worker()
        trained, comparison = retrain(
            self.app.store, by=self.app.actor,
            progress=lambda r: self.app.call_from_thread(self.on_epoch, r),
            should_stop=lambda: worker.is_cancelled, keep_if_cancelled=False,
        )
        return comparison

    def finished(self, comparison) -> None:
        self.running = False
        self.query_one("#start-training", Button).disabled = False
        self.query_one("#cancel-training", Button).disabled = True
        if comparison is None:
            self.query_one("#train-live", Static).update("Training cancelled; nothing was saved.")
            self.query_one("#start-training", Button).focus()  # Cancel is disabled now
            return
        self.comparison = comparison
        bar = self.query_one("#train-progress", ProgressBar)
        bar.update(progress=bar.total or 1, total=bar.total or 1)  # early stopping ends before the last epoch
        self.query_one("#train-live", Static).update(
            str(self.query_one("#train-live", Static).render()) + "   (done: best epoch kept)"
        )
        self.query_one("#train-comparison", Static).update(render_comparison(comparison))
        self.query_one("#activate", Button).disabled = False
        self.query_one("#activate", Button).focus()
        self.post_message(self.Trained(comparison))

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
