"""Latent map: labelled alloys by label, every candidate on top, the low-density region shaded.

The map is keyboard-driven: with the plot focused, the arrow keys move to the
nearest candidate in that direction (n and N step through them in id order);
the caption names the candidate under the cursor and Enter opens its detail;
s saves the map as a PNG.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static
from textual_plotext import PlotextPlot

from hea_campaign.tui.present.plots import latent_axis_labels


class LatentPlot(PlotextPlot, can_focus=True):
    """The plot, focusable, with keys that move between candidates."""

    BINDINGS = [
        Binding("left", "move(-1,0)", "Left", show=False),
        Binding("right", "move(1,0)", "Right", show=False),
        Binding("up", "move(0,1)", "Up", show=False),
        Binding("down", "move(0,-1)", "Down", show=False),
        Binding("n", "step(1)", "Next"),
        Binding("N", "step(-1)", "Previous", show=False),
        Binding("enter", "open", "Open"),
        Binding("s", "save", "PNG"),
    ]

    def action_move(self, dx: int, dy: int) -> None:
        self.parent.move(dx, dy)

    def action_step(self, by: int) -> None:
        self.parent.step(by)

    def action_open(self) -> None:
        self.parent.open_selected()

    def action_save(self) -> None:
        self.parent.save()


class LatentPane(Vertical):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.map = None
        self.cursor: int | None = None  # index into map.candidate_ids
        self._after_draw: list = []  # what waits for the map (the palette's "Save the latent map", ...)

    def compose(self) -> ComposeResult:
        with Horizontal(id="map-buttons"):
            yield Button("Refresh map", id="refresh-map", compact=True)
            yield Button("Save PNG", id="save-map", compact=True)
        yield Static("", id="map-caption", markup=False)
        yield Static("", id="map-selected", markup=False)
        yield LatentPlot(id="latent-plot")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "refresh-map":
            self.load()
        elif event.button.id == "save-map":
            self.save()

    @work(thread=True, exclusive=True, exit_on_error=False, group="map")
    def load(self):
        from hea_campaign.campaign.latent_map import latent_map

        m = latent_map(self.app.store)
        self.app.call_from_thread(self.draw, m)
        return m

    def draw(self, m) -> None:
        keep = None
        if self.map is not None and self.cursor is not None:
            keep = self.map.candidate_ids[self.cursor]
        self.map = m
        ids = m.candidate_ids
        self.cursor = ids.index(keep) if keep in ids else (0 if ids else None)
        self.redraw()
        waiting, self._after_draw = self._after_draw, []
        for fn in waiting:
            fn(self)
        self.query_one("#map-caption", Static).update(
            f"{len(m.single)} single-phase and {len(m.multi)} multi-phase training alloys, "
            f"{len(ids)} candidates" + (f" ({m.unplaced} with elements this model cannot place)" if m.unplaced else "")
            + "; grey: low latent density. On the map: arrows or n move, Enter opens, s saves a PNG."
        )

    def redraw(self) -> None:
        m = self.map
        plot = self.query_one("#latent-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.title(f"latent space of model v{m.version_id} (encoder means)")
        xlabel, ylabel = latent_axis_labels(m)
        plt.xlabel(f"{xlabel} →")  # plotext writes both labels under the plot: arrows say which is which
        plt.ylabel(f"↑ {ylabel}")
        if len(m.low_density):
            plt.scatter(m.low_density[:, 0], m.low_density[:, 1], marker="·", color="gray", label="low density")
        plt.scatter(m.multi[:, 0], m.multi[:, 1], marker="dot", color="red", label="multi phase")
        plt.scatter(m.single[:, 0], m.single[:, 1], marker="dot", color="green", label="single phase")
        if len(m.candidates):
            plt.scatter(m.candidates[:, 0], m.candidates[:, 1], marker="x", color="yellow", label="candidates")
        if self.cursor is not None:
            x, y = m.candidates[self.cursor]
            plt.scatter([x], [y], marker="@", color="cyan", label="selected")
        plot.refresh()
        self.name_selected()

    def name_selected(self) -> None:
        out = self.query_one("#map-selected", Static)
        if self.map is None or self.cursor is None:
            out.update("no candidate to select")
            return
        m, i = self.map, self.cursor
        x, y = m.candidates[i]
        out.update(f"selected: candidate {m.candidate_ids[i]}  {m.candidate_formulas[i]}  ({m.candidate_status[i]})  "
                   f"at z = ({x:.2f}, {y:.2f})  [{i + 1} of {len(m.candidate_ids)}]")

    def move(self, dx: int, dy: int) -> None:
        """To the nearest candidate in that direction (sideways distance counts double)."""
        import numpy as np  # not at start-up: the first frame need not wait for it

        if self.map is None or self.cursor is None:
            return
        pts = self.map.candidates
        here = pts[self.cursor]
        along = (pts - here) @ np.array([dx, dy], dtype=float)
        across = np.abs((pts - here) @ np.array([-dy, dx], dtype=float))
        ahead = np.flatnonzero(along > 1e-12)
        if len(ahead):
            cost = along[ahead] + 2 * across[ahead]
            self.cursor = int(ahead[np.argmin(cost)])
            self.redraw()

    def step(self, by: int) -> None:
        if self.map is not None and self.cursor is not None:
            self.cursor = (self.cursor + by) % len(self.map.candidate_ids)
            self.redraw()

    def selected_id(self) -> int | None:
        return None if self.map is None or self.cursor is None else self.map.candidate_ids[self.cursor]

    def open_selected(self) -> None:
        cid = self.selected_id()
        if cid is not None:
            from ..screens import CandidateScreen

            self.app.push_screen(CandidateScreen(cid))

    def when_drawn(self, fn) -> None:
        """Run ``fn(pane)`` now if the map is drawn, else once it is."""
        if self.map is not None:
            fn(self)
        else:
            self._after_draw.append(fn)

    def save(self) -> None:
        if self.map is not None:
            self.app.save_plot("latent-map", self.map.version_id, payload=(self.map, self.selected_id()))

    def store_changed(self, changes) -> None:
        """Live refresh: new candidates or a newly active model redraw the map (when it was drawn)."""
        if self.map is not None and (changes.models or changes.candidates):
            self.load()

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.worker.group == "map" and event.state == WorkerState.ERROR:
            self._after_draw = []  # no map to wait for (the error modal says why)
        self.app.handle_worker_event(event)
