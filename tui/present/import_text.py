"""Import reports as the TUI's report screen shows them, and the name a saved report gets."""

from __future__ import annotations

import re
from datetime import datetime

from .report import _listing, format_import_report, format_results_import


def format_import_failure(report) -> str:
    """A refused import (campaign.importing.ImportFailed.report): every bad row, nothing written."""
    lines = [f"Nothing was imported from {report.source}: {len(report.errors)} bad row(s) of {report.rows}."]
    lines += _listing([f"line {line}: {msg}" for line, msg in report.errors], limit=None)
    lines += ["", "Fix these rows, or tick 'skip bad rows' and import again to import the other rows."]
    return "\n".join(lines)


# campaign.results advises the command line's flag; the TUI asks instead (see conflicting_rows)
_CLI_FLAG = re.compile(r"import with --allow-conflicts")
_ASKED = "import it as a further result (the import asks whether to)"
_ASKED_LATER = "import it as a further result (the import asks whether to once the other bad rows are fixed)"


def conflicting_rows(errors: list[tuple[int, str]], conflicts: list[tuple[int, str]]) -> int:
    """How many rows a refused results import turned down only because they contradict another lab result
    (ResultsImportFailed.errors and .conflicts); 0 when any row is bad for another reason, because then
    importing with allow_conflicts would be refused too."""
    if not conflicts or sorted(errors) != sorted(conflicts):
        return 0
    return len({line for line, _ in conflicts})


def format_results_failure(source: str, errors: list[tuple[int, str]],
                           conflicts: list[tuple[int, str]] | None = None) -> str:
    """A refused lab-results import (campaign.results.ResultsImportFailed): all rows or none.

    The rows' advice to import with the CLI's --allow-conflicts is put in the TUI's words: the TUI asks
    whether to import contradicting rows when they are the only bad ones (``conflicting_rows``)."""
    advice = _ASKED if conflicting_rows(errors, conflicts or []) else _ASKED_LATER
    lines = [f"Nothing was imported from {source}: {len(errors)} bad row(s); a results file is all or nothing."]
    lines += _listing([f"line {line}: {_CLI_FLAG.sub(advice, msg)}" for line, msg in errors], limit=None)
    return "\n".join(lines)


def conflicts_question(source: str, n: int) -> str:
    """The question asked when a results file was refused only for rows that contradict other lab results."""
    rows = "1 row" if n == 1 else f"{n} rows"
    verb = "contradicts" if n == 1 else "contradict"
    return (f"{rows} of {source} {verb} a lab result already stored for the same alloy (or an earlier row of "
            "the file). If both are real (another ingot), import them as further results: both are kept in "
            "the history (an alloy whose results disagree on single phase is left out of training until one "
            "is corrected). If a stored result was wrong, answer No and correct it instead. "
            "Import them as further results?")


def format_full_report(kind: str, report) -> str:
    """The whole report of an import: ``kind`` is "alloys" (a dataset or CSV of alloys) or "results"."""
    return format_import_report(report, full=True) if kind == "alloys" else format_results_import(report)


def report_file_name(source: str, when: datetime) -> str:
    """import-report-<source stem>-<YYYYmmdd-HHMMSS>.txt: two imports never write the same file."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", source.rsplit("/", 1)[-1]).strip("._") or "import"
    stem = stem[:-4] if stem.lower().endswith(".csv") else stem
    return f"import-report-{stem}-{when:%Y%m%d-%H%M%S}.txt"
