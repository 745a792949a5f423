"""Latent map: labelled alloys by label, candidates on top, the low-density region shaded."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Static
from textual_plotext import PlotextPlot


class LatentPane(Vertical):
    def compose(self) -> ComposeResult:
        yield Button("Refresh map", id="refresh-map")
        yield Static("", id="map-caption")
        yield PlotextPlot(id="latent-plot")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "refresh-map":
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="map")
    def load(self):
        from hea_campaign.campaign.latent_map import latent_map

        m = latent_map(self.app.store)
        self.app.call_from_thread(self.draw, m)
        return m

    def draw(self, m) -> None:
        plot = self.query_one("#latent-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.title(f"latent space of model v{m.version_id}")
        if len(m.low_density):
            plt.scatter(m.low_density[:, 0], m.low_density[:, 1], marker="·", color="gray", label="low density")
        plt.scatter(m.multi[:, 0], m.multi[:, 1], marker="dot", color="red", label="multi phase")
        plt.scatter(m.single[:, 0], m.single[:, 1], marker="dot", color="green", label="single phase")
        if len(m.candidates):
            plt.scatter(m.candidates[:, 0], m.candidates[:, 1], marker="x", color="yellow", label="candidates")
        plot.refresh()
        self.query_one("#map-caption", Static).update(
            f"{len(m.single)} single-phase and {len(m.multi)} multi-phase training alloys, "
            f"{len(m.candidates)} candidates; grey dots: latent density below the low_density threshold"
        )

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
