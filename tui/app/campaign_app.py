"""The Textual app: the campaign cockpit.

Domain work happens in campaign/; this package only calls it and shows the
result.  Long work (import, proposals, training, export, SHAP) runs in
thread workers; every worker failure and every refused action ends up in one
error modal with the message, never a traceback.  Every key binding is also
a command-palette entry, and F1 lists them.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from functools import partial
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, ComposeResult
from textual.lazy import Lazy
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.widgets import Header, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from hea_campaign.campaign.actors import resolve_actor

from .footer import KeyFooter
from .modals import ErrorModal, HelpScreen
from .panes.candidates import CandidatesPane
from .panes.dashboard import DashboardPane
from .panes.latent import LatentPane
from .panes.propose import ProposePane
from .panes.results import ResultsPane
from .panes.retrain import RetrainPane

if TYPE_CHECKING:
    from hea_campaign.campaign.status import CampaignStatus
    from hea_campaign.campaign.store import CampaignStore

    from .store_opening import StoreOpening

TABS = (
    ("dashboard", "Dashboard", "d"),
    ("candidates", "Candidates", "c"),
    ("propose", "Propose", "p"),
    ("results", "Lab results", "l"),
    ("retrain", "Retrain", "t"),
    ("latent", "Latent map", "m"),
)

# (action, title, help) for the command palette and F1; every key of the app and of its screens is here
# (tests/tui/test_app.py checks it against the bindings)
ACTIONS = [
    *((f"show_tab('{tab}')", f"Go to {title}", f"key {key}") for tab, title, key in TABS),
    ("import_data", "Import a dataset, CSV of alloys or lab results", "Dashboard Import, or here: the whole report, skip bad rows"),
    ("save_import_report", "Save the import report (text file)", "Import screen, key ctrl+s: never overwrites a file"),
    ("browse_results", "Browse lab results", "key b: every result with its corrections"),
    ("correct_result", "Correct a lab result", "results browser, key c (or Enter): the result under the cursor"),
    ("withdraw_result", "Withdraw (result or failure)", "results browser, key w: the lab result or failed synthesis under the cursor, with a reason"),
    ("alloy_history", "History of an alloy", "results browser or candidate detail, key h: every result and event of its alloy, and what the active model did with it"),
    ("models", "Model versions", "key v: metrics, training curves, compare, activate"),
    ("activate_version", "Activate a model version", "Model versions, key a: the version under the cursor"),
    ("compare_versions", "Compare two model versions", "Model versions, key space: marks the version under the cursor; two marked are compared"),
    ("save_curves", "Save the training curves (PNG)", "Model versions, key s: the version under the cursor (elsewhere: the active one)"),
    ("save_reliability", "Save the reliability diagram (PNG)", "active model, its validation alloys"),
    ("save_map", "Save the latent map (PNG)", "Latent map, key s"),
    ("next_on_map", "Next candidate on the latent map", "Latent map, key n (arrows: the nearest one that way)"),
    ("previous_on_map", "Previous candidate on the latent map", "Latent map, key N"),
    ("simulate", "Simulate a campaign and save its plot (PNG)", "key S: a small replay of yan2021 in the background"),
    ("approve", "Approve candidates", "Candidates tab, key a: the selected ones or the one under the cursor"),
    ("approve_with_note", "Approve candidates with a note", "Candidates tab, key A (shift+a): the note goes with the batch (approval_note)"),
    ("reject", "Reject candidates", "Candidates tab, key r: asks for a reason"),
    ("toggle_select", "Select candidates", "Candidates tab, key space: marks the one under the cursor (again: unmarks)"),
    ("export", "Export a synthesis batch", "Candidates tab, key e: approved candidates to CSV, JSON or a weigh sheet"),
    ("fail", "Record a failed synthesis", "Candidates tab, key f: exported candidates; asks for the reason"),
    ("void", "Void an export batch", "Candidates tab, key V (shift+v): the batch of the candidate; asks why"),
    ("open_candidate", "Open candidate detail", "Candidates tab or latent map, key Enter"),
    ("save_shap", "Save a candidate's SHAP plot (PNG)", "candidate detail, key s (elsewhere: the candidate under the cursor)"),
    ("next_page", "Next page of candidates", "Candidates tab, key ] (or down past the last row)"),
    ("previous_page", "Previous page of candidates", "Candidates tab, key [ (or up past the first row)"),
    ("first_page", "First page of candidates", "Candidates tab, key ctrl+home"),
    ("last_page", "Last page of candidates", "Candidates tab, key ctrl+end"),
    ("sort_next", "Sort candidates by the next column", "Candidates tab, key o: id, formula, p, status, USD/kg, "
     "g/cm3, flags, ... in turn (or click a header)"),
    ("sort_reverse", "Reverse the candidates' sort order", "Candidates tab, key O (shift+o)"),
    ("propose", "Propose candidates", "Propose tab: run the form"),
    ("cancel_proposal", "Cancel the proposal run", "Propose tab: nothing is stored"),
    ("start_training", "Start retraining", "Retrain tab"),
    ("cancel_training", "Cancel retraining", "Retrain tab: nothing is saved"),
    ("refresh", "Refresh everything", "key f5"),
    ("leave_field", "Leave the text field", "key escape: letter keys switch tabs again"),
    ("help", "Show keys and actions", "key f1"),
    ("quit", "Quit", "key q (cancels training cleanly)"),
]


class CampaignCommands(Provider):
    """Every action of the app, searchable in the command palette."""

    async def discover(self) -> Hits:
        for action, title, help_text in ACTIONS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, title, help_text in ACTIONS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help_text)


# one footer entry "dcpltmbv go to" for every tab and screen key; where the footer is still too narrow
# (80 columns, a tab with keys of its own) it leaves this entry out before Help and Quit (footer.py)
GO_TO = Binding.Group("go to ", compact=True)
# How long an action on the UI thread waits for another program's write lock before saying the store is busy.
UI_WRITER_WAIT_S = 3.0


ACTOR_SHOWN = 24  # a longer --by name is cut in the header ('…'); the audit trail keeps it whole


def _short_name(name: str) -> str:
    return name if len(name) <= ACTOR_SHOWN else name[:ACTOR_SHOWN - 1] + "…"


STORE_CHANGED = "The store file changed"  # the title of the notice a moved or replaced store file gets


class CampaignApp(App):
    TITLE = "hea-campaign"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {CampaignCommands}
    BINDINGS = [
        *(Binding(key, f"show_tab('{tab}')", title, group=GO_TO) for tab, title, key in TABS),
        Binding("b", "browse_results", "Results", group=GO_TO),
        Binding("v", "models", "Models", group=GO_TO),
        Binding("f1", "help", "Help"),
        Binding("escape", "leave_field", "Leave field, then q quits"),
        Binding("f5", "refresh", "Refresh", show=False),
        Binding("S", "simulate", "Simulate", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, store: CampaignStore | None = None, actor: str | None = None, *,
                 opening: StoreOpening | None = None, first_status: CampaignStatus | None = None):
        """An open ``store``, or an ``opening`` that opens it after the first frame (``first_status``,
        read without it, fills the dashboard meanwhile: see store_opening)."""
        super().__init__()
        if (store is None) == (opening is None):
            raise ValueError("CampaignApp needs either an open store or a store opening")
        self._store = store
        self._opening = opening
        self.first_status = first_status
        self._when_open: list = []
        self._ui_thread: int | None = None
        self._lazy_panes: list = []
        self.panes_ready = asyncio.Event()  # every tab's pane is mounted (see _check_panes)
        self.actor = resolve_actor(actor)  # the --by rule (campaign/actors.py), else the OS user
        about = store if store is not None else opening
        from hea_campaign.campaign.status import read_only_here

        why = read_only_here(store.url if store is not None else opening.display_url)
        self.where = (about.campaign_name, about.display_url, f"read-only ({why}) · " if why else "")
        self.sub_title = self._fitted_where(None)

    def _fitted_where(self, width: int | None) -> str:
        """'campaign @ store URL · by NAME' for the header, the URL cut in the middle to fit ``width`` columns;
        a read-only store says so first, so that a narrow header never cuts it off.  NAME is who this session
        acts as (``--by``, else the OS user): what the audit trail records for every change made here."""
        from ..present.text import fit_url

        name, url, read_only = self.where
        who = f" · by {_short_name(self.actor)}"
        room = len(url) if width is None else max(width - len(self.title) - len(name) - len(read_only) - len(who) - 24,
                                                  12)
        return f"{read_only}{name} @ {fit_url(url, room)}{who}"

    def on_resize(self, event) -> None:
        self.sub_title = self._fitted_where(event.size.width)

    @property
    def store(self) -> CampaignStore:
        """The open store; while it is still being opened (just after start) this waits for it."""
        if self._store is None:
            self._store = self._opening.result()
        return self._store

    def when_store_open(self, fn) -> None:
        """Run ``fn`` on the UI thread once the store is open: now if it is (or failed to open)."""
        if self._store is not None or self._opening is None or self._opening.done:
            self.guard(fn)
        else:
            self._when_open.append(fn)

    def compose(self) -> ComposeResult:
        yield Header()
        later = [("candidates", "Candidates", CandidatesPane(id="candidates-pane")),
                 ("propose", "Propose", ProposePane(id="propose-pane")),
                 ("results", "Lab results", ResultsPane(id="results-pane")),
                 ("retrain", "Retrain", RetrainPane(id="retrain-pane")),
                 ("latent", "Latent map", LatentPane(id="latent-pane"))]
        self._lazy_panes = [pane for _, _, pane in later]
        with TabbedContent(initial="dashboard", id="tabs"):
            with TabPane("Dashboard", id="dashboard"):
                yield DashboardPane(id="dashboard-pane")
            for tab, title, pane in later:  # mounted just after the first frame
                with TabPane(title, id=tab):
                    yield Lazy(pane)
        yield KeyFooter()

    def on_mount(self) -> None:
        from .idle_collector import IdleCollector
        from .live import LiveRefresh

        from hea_campaign.campaign.writer_wait import say_when_waiting, wait_for_writers

        self._ui_thread = threading.get_ident()
        wait_for_writers(UI_WRITER_WAIT_S)  # a quick "the store is busy" rather than a frozen screen
        say_when_waiting(None)  # the CLI's notice goes to stderr, under the app's screen
        self.collector = IdleCollector(self)  # full garbage collections only while nobody types
        self.collector.start()
        self._ready_timer = self.set_interval(0.01, self._check_panes, name="panes-mounted")
        self.live = LiveRefresh(self)
        if self._opening is None:
            self.live.start()
        else:  # opened after the first frame: SQLAlchemy's imports would hold it back
            self._opening.on_done(self._opening_ended)
            self.call_after_refresh(self._opening.start)
        # after the first frame: what start-up made (modules, widgets) is kept out of the garbage
        # collector's full passes, which otherwise scanned it all again and again on the UI thread,
        # 0.17-0.30 s each (bench/tui.py with 10^5 candidates: the longest stalls between frames)
        self.call_after_refresh(gc.freeze)

    def _check_panes(self) -> None:
        """The tabs other than the dashboard are mounted just after the first frame (``Lazy``: they
        took a third of the start-up); input waits for them (``on_event``)."""
        if all(pane.is_mounted for pane in self._lazy_panes):
            self.panes_ready.set()
            self._ready_timer.stop()

    def on_unmount(self) -> None:
        from hea_campaign.campaign.writer_wait import wait_for_writers

        wait_for_writers(None)  # this thread may go on (tests): back to the default wait
        collector = getattr(self, "collector", None)
        if collector is not None:
            collector.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown | events.MouseScrollUp):
            collector = getattr(self, "collector", None)
            if collector is not None:
                collector.input_seen()
        if isinstance(event, events.InputEvent) and not event.is_forwarded and not self.panes_ready.is_set():
            await self.panes_ready.wait()  # a key in the first moments goes to the tab it opens, once it is there
        await super().on_event(event)

    def _opening_ended(self) -> None:
        """Called by the opening thread (or at once on the UI thread, if it had already ended)."""
        if threading.get_ident() == self._ui_thread:
            self._store_opened()
            return
        try:
            self.call_from_thread(self._store_opened)
        except RuntimeError:  # the app has already closed
            pass

    def _store_opened(self) -> None:
        """Follow the store from now on; what waited for it runs, and the dashboard is read again
        (the first status was read before the app started)."""
        waiting, self._when_open = self._when_open, []
        if self.guard(lambda: self.store) is None:
            return  # the error modal says why the store did not open
        self.live.start()
        for fn in waiting:
            self.guard(fn)
        self._dashboard_recount()
        # SQLAlchemy and the store came after the first frame's freeze: out of the full passes too
        # (with 36,000 such objects each pass took 35-50 ms on the UI thread, bench/tui.py)
        self.call_after_refresh(gc.freeze)

    def deliver_changes(self, changes) -> None:
        """Live refresh: hand what changed in the store to every widget of the open screens that follows it."""
        for screen in self.screen_stack:
            for node in [screen, *screen.query("*")]:
                handler = getattr(node, "store_changed", None)
                if handler is not None:
                    self.guard(handler, changes)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers Esc only while a text field has focus (there q types a q)."""
        if action == "leave_field":
            from textual.widgets import Input

            return isinstance(self.focused, Input) and len(self.screen_stack) == 1
        return True

    def notify(self, message: str, *, title: str = "", severity="information", timeout=None, markup: bool = True):
        """Notifications carry user text (paths, names): never read as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def action_help_quit(self) -> None:
        """Ctrl+C (bound by Textual) says how to quit; Textual's own text is markup, which ``notify`` shows as
        it is written ("Press [b]ctrl+q[/b] ..."), so the same advice is given here in plain words."""
        keys = [key for key, active in self.active_bindings.items() if active.binding.action in ("quit", "app.quit")]
        if not keys:
            return
        from hea_campaign.tui.present.key_hints import quit_hint

        self.notify(quit_hint(keys), title="Do you want to quit?")

    # ------------------------------------------------------------ errors

    def show_error(self, exc: BaseException) -> None:
        from hea_campaign.campaign.chemistry import FormulaError
        from hea_campaign.campaign.errors import CampaignError
        from hea_campaign.campaign.store import StoreReplaced

        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, (CampaignError, FormulaError)):
            self.push_screen(ErrorModal("Cannot do that", str(exc)))
        elif isinstance(exc, StoreReplaced):
            self._drop_store_notices()  # "moved away" then "replaced": the newest says how things stand
            self.push_screen(ErrorModal(STORE_CHANGED, str(exc)))
        elif isinstance(exc, DBAPIError):  # one line, as the CLI says it: no SQL, no driver link
            from hea_campaign.campaign.store import describe_db_error

            self.push_screen(ErrorModal("The database refused", describe_db_error(exc)))
        else:
            self.push_screen(ErrorModal("Something went wrong", f"{type(exc).__name__}: {exc}"))

    def _fatal_error(self) -> None:
        """A failure no handler caught ends the app, as in Textual, with its traceback but without the local
        variables Textual adds: they hold a database URL's password, or lab data typed in a form."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    def _drop_store_notices(self) -> None:
        """Close the store-file notices on top of the screens: a later one supersedes them (a restore shows
        'moved away' while no file is there, then 'replaced'; the older one left under it was stale)."""
        while isinstance(self.screen, ErrorModal) and self.screen.title_text == STORE_CHANGED:
            self.pop_screen()

    def guard(self, fn, *args, **kwargs):
        """Run a quick action; show a failure in the error modal and return None."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # every failure becomes a modal, never a traceback
            self.show_error(exc)
            return None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.handle_worker_event(event)

    def handle_worker_event(self, event: Worker.StateChanged) -> None:
        """The one place worker outcomes go (panes forward theirs: the message does not bubble)."""
        worker = event.worker
        group = worker.group
        if event.state == WorkerState.ERROR:
            from hea_campaign.campaign.model_versions import TrainingCancelled

            if not isinstance(worker.error, TrainingCancelled):  # a cancelled training is said on its tab
                self.show_error(worker.error)
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED, WorkerState.SUCCESS):
            # a training's or a proposal's thread reports its own end (their panes' ``finished``): a
            # cancelled worker is marked so at once, while its thread goes on for a moment
            if group == "train":
                self.query_one(RetrainPane).worker_ended(event.state)
            elif group == "propose":
                self.query_one(ProposePane).worker_ended(event.state)

    # ------------------------------------------------------------ cross-tab updates

    def on_dashboard_pane_imported(self, event: DashboardPane.Imported) -> None:
        self.notify(event.summary, timeout=8)
        self.action_refresh()

    def _dashboard_recount(self, labels: bool = True) -> None:
        """Recount the dashboard in a worker (not while the app is closing: its panes are gone then)."""
        for pane in self.query(DashboardPane):
            pane.load_status(labels=labels)

    def on_candidates_pane_changed(self, _event) -> None:
        self._dashboard_recount(labels=False)  # in a worker; no label changed

    def on_propose_pane_proposed(self, _event) -> None:
        self.query_one(CandidatesPane).reload()
        self._dashboard_recount()

    def on_results_pane_saved(self, _event) -> None:
        self.query_one(CandidatesPane).reload()
        self._dashboard_recount()

    def on_retrain_pane_trained(self, _event) -> None:
        self._dashboard_recount(labels=False)

    # ------------------------------------------------------------ actions

    def to_main_screen(self) -> None:
        """Close the screens pushed over the tabs (results browser, models, detail, help)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_show_tab(self, tab: str) -> None:
        self.to_main_screen()
        tabs = self.query_one(TabbedContent)
        if tabs.active != tab and self.focused is not None and any(isinstance(w, TabPane) for w in self.focused.ancestors):
            # the focus must not stay in the tab being hidden: Textual would hand it to a visible sibling
            # there (a Select's neighbouring field), and a focused pane shows its tab again
            self.set_focus(None)
        tabs.active = tab
        first = {"candidates": "#candidate-table", "propose": "#mode",
                 "retrain": "#start-training", "latent": "#latent-plot"}
        if tab == "results":
            self.query_one(ResultsPane).focus_first()  # the formula, unless a correction fixed it
        elif tab in first:
            self.query_one(first[tab]).focus()
        elif tab == "dashboard":
            for pane in self.query(DashboardPane):
                pane.focus_status()
        if tab == "latent":
            self.query_one(LatentPane).load()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A tab shown (key, click or palette): the Propose tab reads the design space again."""
        if event.pane is not None and event.pane.id == "propose":
            for pane in self.query(ProposePane):
                self.when_store_open(pane.show_space)

    def action_import_data(self, source: str = "", run: bool = False, on_close=None) -> None:
        """``on_close``: given what the field the import came from should hold, once the screen is gone."""
        from .import_screen import ImportScreen

        self.push_screen(ImportScreen(source, run, on_close), lambda _: self._import_closed())

    def _import_closed(self) -> None:
        for pane in self.query(DashboardPane):
            pane.focus_if_empty()

    def action_browse_results(self) -> None:
        self.to_main_screen()
        from .results_browser import ResultsBrowser

        self.push_screen(ResultsBrowser())

    def save_plot(self, kind: str, version: int | None = None, payload=None) -> None:
        from .plot_saving import save_plot

        save_plot(self, kind, version, payload)

    def action_save_reliability(self) -> None:
        self.save_plot("reliability")

    def action_simulate(self) -> None:
        from .simulation_screen import SimulationScreen

        self.push_screen(SimulationScreen())

    def action_models(self) -> None:
        self.to_main_screen()
        from .models_screen import ModelsScreen

        self.push_screen(ModelsScreen())

    def start_correction(self, row) -> None:
        """The Lab results tab, set to correct ``row`` (the newest result of its chain)."""
        self.action_show_tab("results")
        self.query_one(ResultsPane).start_correction(row)

    def action_focus_next(self) -> None:
        """Tab with nothing focused goes to the open tab's first control, not to the tab bar; so does Tab from
        the dashboard's status text (key d puts the focus there, after the last control: Tab went on to the
        tab bar, where a typed q quits)."""
        if self.focused is not None and self.focused.id == "status" and len(self.screen_stack) == 1:
            self.query_one("#import-source").focus()
            return
        if not self._focus_in_open_tab(first=True):
            super().action_focus_next()

    def action_focus_previous(self) -> None:
        if not self._focus_in_open_tab(first=False):
            super().action_focus_previous()

    def _focus_in_open_tab(self, first: bool) -> bool:
        if self.focused is not None or len(self.screen_stack) > 1:
            return False
        tabs = self.query_one(TabbedContent)
        pane = tabs.get_pane(tabs.active) if tabs.active else None
        controls = [w for w in self.screen.focus_chain if pane is not None and pane in w.ancestors]
        if not controls:
            return False
        (controls[0] if first else controls[-1]).focus()
        return True

    def action_leave_field(self) -> None:
        """Escape from a text field, so the letter keys switch tabs again."""
        self.query_one(TabbedContent).query_one("Tabs").focus()

    def action_refresh(self) -> None:
        """Read everything shown again; a store that cannot be read (a server down) is one dialog, and the
        reads after the first failure are not tried."""
        self.guard(self._refresh_all)

    def _refresh_all(self) -> None:
        self.query_one(DashboardPane).refresh_status()
        self.query_one(CandidatesPane).reload()
        for pane in self.query(ProposePane):
            pane.show_space()
            pane.show_model()

    def action_help(self) -> None:
        """Every palette entry and its key, in two columns (a long line wraps within its column)."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=True, expand=True)
        table.add_column(ratio=2)
        table.add_column(ratio=3)
        for _, title, help_text in ACTIONS:
            table.add_row(Text(title), Text(help_text))
        self.push_screen(HelpScreen(Group(table, Text("\n  Ctrl+P opens the command palette with every action above."))))

    def _candidates(self) -> CandidatesPane:
        self.action_show_tab("candidates")
        return self.query_one(CandidatesPane)

    def action_approve(self) -> None:
        self._candidates().action_approve()

    def action_approve_with_note(self) -> None:
        self._candidates().action_approve_with_note()

    def action_reject(self) -> None:
        self._candidates().action_reject()

    def action_export(self) -> None:
        self._candidates().action_export()

    def action_fail(self) -> None:
        self._candidates().action_fail()

    def action_void(self) -> None:
        self._candidates().action_void()

    def action_open_candidate(self) -> None:
        if self._map_shown():
            self.query_one(LatentPane).open_selected()
        else:
            self._candidates().action_open()

    def action_toggle_select(self) -> None:
        self._candidates().action_toggle_select()

    def action_next_page(self) -> None:
        self._candidates().action_next_page()

    def action_previous_page(self) -> None:
        self._candidates().action_previous_page()

    def action_first_page(self) -> None:
        self._candidates().action_first_page()

    def action_last_page(self) -> None:
        self._candidates().action_last_page()

    def action_sort_next(self) -> None:
        self._candidates().action_sort_next()

    def action_sort_reverse(self) -> None:
        self._candidates().action_sort_reverse()

    def _map_shown(self) -> bool:
        return len(self.screen_stack) == 1 and self.query_one(TabbedContent).active == "latent"

    def action_save_shap(self) -> None:
        """The open candidate's SHAP plot; elsewhere the candidate under the cursor (table or map), opened."""
        from .screens import CandidateScreen

        if isinstance(self.screen, CandidateScreen):
            self.screen.action_save_shap()
            return
        cid = self.query_one(LatentPane).selected_id() if self._map_shown() else self._candidates().cursor_id()
        if cid is None:
            self.notify("No candidate to explain: propose some first.", severity="warning")
            return
        self.push_screen(CandidateScreen(cid, save_shap=True))

    def _on_map(self, then) -> None:
        """The latent map, then ``then(pane)`` once it is drawn."""
        if not self._map_shown():
            self.action_show_tab("latent")  # draws the map (in a worker)
        self.query_one(LatentPane).when_drawn(then)

    def action_save_map(self) -> None:
        self._on_map(lambda pane: pane.save())

    def action_next_on_map(self) -> None:
        self._on_map(lambda pane: pane.step(1))

    def action_previous_on_map(self) -> None:
        self._on_map(lambda pane: pane.step(-1))

    def _models_screen(self, method: str, hint: str) -> None:
        """Run ``method`` of the Models screen if it is open, else open it and say which key does it."""
        from .models_screen import ModelsScreen

        if isinstance(self.screen, ModelsScreen):
            getattr(self.screen, method)()
            return
        self.action_models()
        self.notify(hint)

    def action_activate_version(self) -> None:
        self._models_screen("action_activate", "Move to the version to activate, then press a.")

    def action_compare_versions(self) -> None:
        self._models_screen("action_mark", "Press space on two versions to compare them.")

    def action_save_curves(self) -> None:
        from .models_screen import ModelsScreen

        if isinstance(self.screen, ModelsScreen):
            self.screen.action_save_plot()
        else:
            self.save_plot("training-curves")  # the active version's

    def action_save_import_report(self) -> None:
        from .import_screen import ImportScreen

        if isinstance(self.screen, ImportScreen):
            self.screen.action_save()
        else:
            self.notify("Run an import first (Ctrl+P \"import\"); its screen saves the report with Ctrl+S.",
                        severity="warning")

    def action_correct_result(self) -> None:
        from .results_browser import ResultsBrowser

        if isinstance(self.screen, ResultsBrowser):
            self.screen.action_correct()
            return
        self.action_browse_results()
        self.notify("Move to the result to correct, then press c (or Enter).")

    def action_withdraw_result(self) -> None:
        from .results_browser import ResultsBrowser

        if isinstance(self.screen, ResultsBrowser):
            self.screen.action_withdraw()
            return
        self.action_browse_results()
        self.notify("Move to the result or failed synthesis to withdraw, then press w.")

    def action_alloy_history(self) -> None:
        from .results_browser import ResultsBrowser
        from .screens import CandidateScreen

        if isinstance(self.screen, (ResultsBrowser, CandidateScreen)):
            self.screen.action_history()
            return
        self.action_browse_results()
        self.notify("Move to a result of the alloy, then press h (or press h in a candidate's detail).")

    def action_propose(self) -> None:
        self.action_show_tab("propose")
        self.query_one("#run-proposal").press()

    def action_start_training(self) -> None:
        self.action_show_tab("retrain")
        self.query_one(RetrainPane).start()

    def action_cancel_training(self) -> None:
        self.query_one(RetrainPane).cancel()

    def action_cancel_proposal(self) -> None:
        self.query_one(ProposePane).cancel()

    async def action_quit(self) -> None:
        self.workers.cancel_all()  # training polls is_cancelled each epoch and stops without saving
        self.exit()
