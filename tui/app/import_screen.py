"""Import at any time: a dataset or CSV of alloys, or a lab-results CSV, with the whole report.

The report (conflicts, repeated strings, one composition written several
ways, near-duplicates, elements outside the vocabulary, skipped rows) is shown
in full in a scrollable area and can be saved as a text file.  A refused
import (bad rows) lists every bad row and keeps the form as it was, so ticking
"skip bad rows" and pressing Import again is all it takes.  A lab-results file
refused only because rows contradict other lab results (a second ingot) is
shown refused too, then the screen asks whether to import those rows as further
results; Yes imports them (campaign.results allow_conflicts), No writes nothing.

Opened from the dashboard's import field, the screen hands back, when it closes,
what that field should hold (``on_close``): the path as typed here after a
refused import (or none run), to correct a character rather than type it all
again, and nothing after the import of that path succeeded.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Header, Input, Label, Select, Static

from .footer import KeyFooter
from .screen_keys import KeepsLetters

KINDS = [("alloys", "alloys"), ("lab results", "results")]


class ImportScreen(KeepsLetters, Screen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("ctrl+s", "save", "Save report")]

    def __init__(self, source: str = "", run: bool = False, on_close=None):
        """``on_close``: called with ``kept`` once the screen is gone (Esc, or another screen opened)."""
        super().__init__()
        self.source, self.run_now = source, run
        self.report_text = ""
        self.on_close = on_close
        self.typed = source  # the path field's text
        self.imported: str | None = None  # the source of the last import that succeeded

    @property
    def kept(self) -> str:
        """What the field the import was started from should hold now: the path typed here, unless the
        import of that very path succeeded (then nothing, so that Import does not run it twice)."""
        return "" if self.imported is not None and self.typed.strip() == self.imported else self.typed

    def on_unmount(self) -> None:
        if self.on_close is not None:
            self.on_close(self.kept)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "import-path":
            self.typed = event.value

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="import-form"):
            yield Select(KINDS, value="alloys", allow_blank=False, id="import-kind", compact=True)
            yield Input(self.source, placeholder="yan2021 or file.csv", id="import-path", compact=True)
            yield Checkbox("skip bad rows", id="skip-bad", compact=True)
            yield Button("Import", variant="primary", id="run-import", compact=True)
        yield Static("", id="import-status", markup=False)
        with VerticalScroll(id="import-report-scroll", can_focus=True):
            yield Static("The report of the import appears here.", id="import-report", markup=False)
        with Horizontal(id="report-save"):
            yield Label("save report as")
            yield Input("", id="report-path", compact=True)
            yield Button("Save", id="save-report", compact=True)
        yield KeyFooter()

    def action_back(self) -> None:
        self.dismiss()  # whoever opened the screen hears that it closed (the dashboard refocuses its field)

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()
        if self.run_now and self.source:
            self.start()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "import-path":
            self.start()
        elif event.input.id == "report-path":
            self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run-import":
            self.start()
        elif event.button.id == "save-report":
            self.action_save()

    def start(self) -> None:
        source = self.query_one("#import-path", Input).value.strip()
        if not source:
            self.query_one("#import-status", Static).update("Give a dataset name or the path of a CSV file.")
            return
        kind = self.query_one("#import-kind", Select).value
        skip = self.query_one("#skip-bad", Checkbox).value
        self.query_one("#run-import", Button).disabled = True
        self.query_one("#import-status", Static).update(f"Importing {source}...")
        self.run_import(kind, source, skip)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def run_import(self, kind: str, source: str, skip_bad: bool, confirmed: tuple = ()) -> None:
        """``confirmed``: the contradicting rows (ResultsImportFailed.conflicts) the person said to import
        as further results; they are imported only if the file is refused for exactly those rows again."""
        from hea_campaign.campaign.datasets import DATASETS, fetch
        from hea_campaign.campaign.importing import ImportFailed, import_csv
        from hea_campaign.campaign.results import ResultsImportFailed, import_results
        from hea_campaign.tui.present.import_text import (
            conflicting_rows,
            format_full_report,
            format_import_failure,
            format_results_failure,
        )

        store, actor = self.app.store, self.app.actor
        try:
            if kind == "results" and confirmed:
                try:  # what was answered is what is stored: a file or store changed since is asked about again
                    report = import_results(store, Path(source).expanduser(), by=actor)
                except ResultsImportFailed as exc:
                    if tuple(tuple(e) for e in exc.errors) != confirmed:  # other rows, or other reasons
                        raise
                    report = import_results(store, Path(source).expanduser(), by=actor, allow_conflicts=True)
            elif kind == "results":
                report = import_results(store, Path(source).expanduser(), by=actor)
            elif source in DATASETS:
                report = import_csv(store, fetch(source), source=source, skip_bad=skip_bad, actor=actor)
            else:
                report = import_csv(store, Path(source).expanduser(), skip_bad=skip_bad, actor=actor)
        except ImportFailed as exc:
            self.app.call_from_thread(self.show, "Refused: nothing was written.", format_import_failure(exc.report),
                                      source)
            return
        except ResultsImportFailed as exc:
            self.app.call_from_thread(self.show, "Refused: nothing was written.",
                                      format_results_failure(exc.source, exc.errors, exc.conflicts), source)
            n = conflicting_rows(exc.errors, exc.conflicts)
            if n:  # refused only for contradictions: ask whether they are further results
                self.app.call_from_thread(self.ask_to_import_conflicts, source, exc.source, n,
                                          tuple(tuple(e) for e in exc.errors))
            return
        except Exception as exc:  # a missing file, an unreadable CSV: the message, kept beside the form
            from hea_campaign.campaign.errors import LabFileAsDataset

            said = str(exc)
            if isinstance(exc, LabFileAsDataset):  # the CLI's command there; here, this screen's own selector
                said = said.replace("record it with hea-campaign result import",
                                    "choose 'lab results' in the selector left of the file name")
            self.app.call_from_thread(self.show, "Refused: nothing was written.", said, source)
            return
        added = getattr(report, "measurements_added", 0)
        self.app.call_from_thread(self.show, f"Imported {source}: {added} measurement(s) added.",
                                  format_full_report(kind, report), source, imported=True)

    def ask_to_import_conflicts(self, source: str, name: str, n: int, conflicts: tuple) -> None:
        """Ask whether the ``n`` contradicting rows of a refused results file are further results (another
        ingot); ``conflicts``: the refusal's rows, imported on Yes only if the file is refused for them again."""
        from hea_campaign.tui.present.import_text import conflicts_question

        from .modals import ConfirmModal

        def answered(yes: bool | None) -> None:
            if not yes:  # No: the refusal stands, nothing was written
                return
            self.query_one("#run-import", Button).disabled = True
            self.query_one("#import-status", Static).update(f"Importing {source} with its contradicting rows...")
            self.run_import("results", source, False, confirmed=conflicts)

        self.app.push_screen(ConfirmModal(conflicts_question(name, n)), answered)

    def show(self, status: str, text: str, source: str, imported: bool = False) -> None:
        from hea_campaign.tui.present.import_text import report_file_name

        if imported:
            self.imported = source
        self.report_text = text
        self.query_one("#run-import", Button).disabled = False
        self.query_one("#import-status", Static).update(status)
        self.query_one("#import-report", Static).update(text)
        self.query_one("#report-path", Input).value = str(Path.cwd() / report_file_name(source, datetime.now()))
        self.notify(status, severity="information" if status.startswith("Imported") else "warning", markup=False)

    def action_save(self) -> None:
        if not self.report_text:
            self.notify("Nothing to save yet: run an import first.", severity="warning")
            return
        path = Path(self.query_one("#report-path", Input).value.strip()).expanduser()
        try:
            with path.open("x", encoding="utf-8") as fh:
                fh.write(self.report_text + "\n")
        except FileExistsError:
            self.notify(f"{path} already exists; choose another name.", severity="error")
            return
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc.strerror}", severity="error")
            return
        self.notify(f"Report saved to {path}")

    def on_worker_state_changed(self, event) -> None:
        if event.state.name in ("ERROR", "CANCELLED"):
            self.query_one("#run-import", Button).disabled = False
        self.app.handle_worker_event(event)
