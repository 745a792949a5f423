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


def format_results_failure(source: str, errors: list[tuple[int, str]]) -> str:
    """A refused lab-results import (campaign.results.ResultsImportFailed): all rows or none."""
    lines = [f"Nothing was imported from {source}: {len(errors)} bad row(s); a results file is all or nothing."]
    lines += _listing([f"line {line}: {msg}" for line, msg in errors], limit=None)
    return "\n".join(lines)


def format_full_report(kind: str, report) -> str:
    """The whole report of an import: ``kind`` is "alloys" (a dataset or CSV of alloys) or "results"."""
    return format_import_report(report, full=True) if kind == "alloys" else format_results_import(report)


def report_file_name(source: str, when: datetime) -> str:
    """import-report-<source stem>-<YYYYmmdd-HHMMSS>.txt: two imports never write the same file."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", source.rsplit("/", 1)[-1]).strip("._") or "import"
    stem = stem[:-4] if stem.lower().endswith(".csv") else stem
    return f"import-report-{stem}-{when:%Y%m%d-%H%M%S}.txt"
