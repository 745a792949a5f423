"""The Models screen (key v): every model version, its stored training curves, compare two, activate.

Keys: a activates the version under the cursor after a yes (proposals use it from then
on, in this TUI and for everyone sharing the store), space marks a version
for comparison (marked with an x in the table, and said on the line under it; with
two marked, they are compared side by side at the top of the panel), s saves
the curves of the version under the cursor as a PNG.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual_plotext import PlotextPlot

from hea_campaign.tui.present.models_text import (HEAD_CHART_TITLE, VERSION_COLUMNS, format_comparison,
                                                  format_version, marked_line, version_cells)
from hea_campaign.tui.present.plots import epoch_ticks

from .footer import KeyFooter
from .screen_keys import KeepsLetters

LOSS_SERIES = ("loss",)
VALIDATION_SERIES = ("val_accuracy", "val_auc")


class ModelsScreen(KeepsLetters, Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "activate", "Activate"),
        Binding("space", "mark", "Compare"),
        Binding("s", "save_plot", "PNG"),
    ]

    def __init__(self):
        super().__init__()
        self.versions: dict[int, object] = {}
        self.marked: list[int] = []
        self.curve = None

    def compose(self) -> ComposeResult:
        yield Header()
        table = DataTable(id="versions-table", cursor_type="row", zebra_stripes=True)
        for name in VERSION_COLUMNS:
            table.add_column(name, key=name)
        yield table
        yield Static(marked_line([]), id="models-status", markup=False)
        with Horizontal(id="curves"):
            yield PlotextPlot(id="curve-loss")
            yield PlotextPlot(id="curve-val")
        with VerticalScroll(id="version-info", can_focus=True):
            yield Static("", id="version-detail", markup=False)
            yield Static("", id="version-comparison", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#versions-table", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="models")
    def load(self) -> None:
        from hea_campaign.campaign.model_catalog import list_versions

        versions = list_versions(self.app.store)
        self.app.call_from_thread(self.show, versions)

    def show(self, versions) -> None:
        table = self.query_one("#versions-table", DataTable)
        keep = self.selected_id() if self.versions else next((v.id for v in versions if v.active), None)
        self.versions = {v.id: v for v in versions}
        table.clear()
        for v in versions:
            table.add_row(*(Text(str(c)) for c in version_cells(v, self._mark(v.id))), key=str(v.id))
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)))
        if not versions:
            self.query_one("#version-detail", Static).update("No model versions yet: train one on the Retrain tab.")
        # the line under the table depends on how many versions there are (one: nothing else to compare with)
        self.query_one("#models-status", Static).update(marked_line(self.marked, len(versions)))
        self.show_selected()

    def selected_id(self) -> int | None:
        table = self.query_one("#versions-table", DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def on_data_table_row_highlighted(self, _event) -> None:
        self.show_selected()

    def show_selected(self) -> None:
        vid = self.selected_id()
        if vid is not None:
            self.load_curve(vid)

    @work(thread=True, exclusive=True, exit_on_error=False, group="curve")
    def load_curve(self, vid: int) -> None:
        from hea_campaign.campaign.model_catalog import training_curve
        from hea_campaign.campaign.model_use import version_use

        curve = training_curve(self.app.store, vid)
        use = version_use(self.app.store, vid)
        self.app.call_from_thread(self.draw, vid, curve, use)

    def draw(self, vid: int, curve, use: dict[str, int] | None = None) -> None:
        if vid not in self.versions:
            return
        self.curve = curve
        self.query_one("#version-detail", Static).update(format_version(self.versions[vid], curve, use))
        for wid, names, title in (("#curve-loss", LOSS_SERIES, f"v{vid} training loss"),
                                  ("#curve-val", VALIDATION_SERIES, f"v{vid} {HEAD_CHART_TITLE}")):
            plot = self.query_one(wid, PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.title(title if curve.stored else f"v{vid}: no stored curve")
            plt.xlabel("epoch")
            for name in names:
                pts = [(e, y) for e, y in zip(curve.epochs, curve.series.get(name, []), strict=False) if y is not None]
                if pts:
                    plt.plot([e for e, _ in pts], [y for _, y in pts], marker="braille", label=name)
            if curve.epochs:
                plt.xlim(0, max(curve.epochs))  # from the start, also for a curve of one point
                plt.xticks(epoch_ticks(int(max(curve.epochs))))
            plot.refresh()

    def action_activate(self) -> None:
        """Ask first (No has the focus): one key changes the model every proposal uses, lab-wide."""
        from hea_campaign.tui.present.models_text import activation_question

        from .modals import ConfirmModal

        vid = self.selected_id()
        if vid is None or vid not in self.versions:
            return
        if self.versions[vid].active:
            self.notify(f"Model version v{vid} is already the active one.")
            return
        active = next((v for v in self.versions.values() if v.active), None)
        self.app.push_screen(ConfirmModal(activation_question(self.versions[vid], active)),
                             lambda yes: self.activate(vid) if yes else None)

    def activate(self, vid: int) -> None:
        from hea_campaign.campaign.model_versions import activate

        if self.app.guard(activate, self.app.store, vid, self.app.actor) is not None:
            self.notify(f"Model version v{vid} is now active: proposals use it.")
            self.load()

    def action_mark(self) -> None:
        vid = self.selected_id()
        if vid is None:
            return
        before = list(self.marked)
        if vid in self.marked:
            self.marked.remove(vid)
        else:
            self.marked = (self.marked + [vid])[-2:]
        table = self.query_one("#versions-table", DataTable)
        for i in set(before) | set(self.marked):  # the rows marked, and one unmarked by a third mark
            if str(i) in table.rows:
                table.update_cell(str(i), "cmp", Text(self._mark(i)))
        self.query_one("#models-status", Static).update(marked_line(self.marked, len(self.versions)))
        self.compare()

    def _mark(self, vid: int) -> str:
        return "x" if vid in self.marked else ""

    def compare(self) -> None:
        from hea_campaign.campaign.model_catalog import compare_versions

        out = self.query_one("#version-comparison", Static)
        if len(self.marked) < 2:
            out.update("")  # the line under the table says what is marked
            return
        a, b = sorted(self.marked)
        c = self.app.guard(compare_versions, self.app.store, a, b)
        if c is not None:
            out.update(format_comparison(c))
            # the comparison at the top of the panel, where the status line says it is
            self.call_after_refresh(self.query_one("#version-info").scroll_to_widget, out, top=True, animate=False)

    def action_save_plot(self) -> None:
        vid = self.selected_id()
        if vid is None or self.curve is None or self.curve.version_id != vid:
            return
        self.app.save_plot("training-curves", vid)

    def store_changed(self, changes) -> None:
        """Live refresh: a version trained or activated by anyone appears here."""
        if changes.models:
            self.load()

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
