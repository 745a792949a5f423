"""Importing alloys and results from a dataset CSV, all or nothing.

Every row becomes a measurement of its (canonical) alloy, keyed by the
source name and the row's content (formula text, label, phases, method; two
datasets that both list an alloy each keep their row) and how many identical rows
came before it in the file, not by file and line number: re-importing the
same file adds nothing, and a file that grew (rows appended, inserted or
reordered) adds only its new rows; the report says how many were already
there.  Rows keyed the old way (file sha256 and line, before 0.2.0) are
recognised too.  The
report names what a scientist must know about the data instead of silently
dropping or merging it: repeated formula strings, different strings for one
composition, conflicting labels, elements outside the model vocabulary, and
compositions that agree to 0.01 in every fraction.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from hea_campaign.db import store as q
from hea_campaign.db.tables import Alloy, Measurement
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY, outside

from .chemistry import Composition, FormulaError, parse_formula, zero_amount_elements
from .datasets import DatasetTable, read_table, sha256_of
from .errors import CampaignError
from .labels import alloy_labels
from .store import CampaignStore, current_user


@dataclass
class ImportReport:
    source: str
    layout: str
    rows: int = 0
    alloys_added: int = 0
    alloys_existing: int = 0
    measurements_added: int = 0
    already_imported: int = 0
    labelled_rows: int = 0
    unlabelled_rows: int = 0
    repeated_strings: dict[str, list[int]] = field(default_factory=dict)  # text -> lines
    same_composition: dict[str, list[str]] = field(default_factory=dict)  # formula -> texts
    conflicts: dict[str, list[tuple[int, str, bool]]] = field(default_factory=dict)  # formula -> (line, text, label)
    outside_vocabulary: dict[str, list[str]] = field(default_factory=dict)  # formula -> elements
    near_duplicate_groups: list[list[str]] = field(default_factory=list)
    zero_amounts: dict[int, list[str]] = field(default_factory=dict)  # line -> elements written with 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    written: bool = False


class ImportFailed(CampaignError):
    """Some rows could not be read; nothing from the file was written."""

    def __init__(self, report: ImportReport):
        self.report = report
        shown = "; ".join(f"line {line}: {msg}" for line, msg in report.errors[:5])
        more = f" (and {len(report.errors) - 5} more)" if len(report.errors) > 5 else ""
        super().__init__(
            f"{len(report.errors)} bad row(s) in {report.source}, nothing was imported: {shown}{more}. "
            "Fix them, or pass --skip-bad to import the other rows."
        )


def content_keys(prefix: str, rows: list[tuple[int, str]]) -> dict[int, str]:
    """line -> key from the row's content and its occurrence among identical rows of the file.

    Two identical rows in one file are two measurements (a repeat); the same
    row in a grown copy of the file is the same measurement.
    """
    seen: dict[str, int] = defaultdict(int)
    out = {}
    for line, content in rows:
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:40]
        out[line] = f"{prefix}:{digest}:{seen[digest]}"
        seen[digest] += 1
    return out


def _row_content(text: str, row) -> str:
    label = "" if row.single_phase is None else str(bool(row.single_phase))
    return "|".join((text.strip(), label, (row.phases or "").strip(), (row.method or "").strip()))


def _near_duplicates(comps: dict[str, Composition]) -> list[list[str]]:
    groups: dict[tuple, list[str]] = defaultdict(list)
    for formula, comp in comps.items():
        key = tuple(sorted((e, round(f, 2)) for e, f in zip(comp.elements, comp.fractions, strict=True) if round(f, 2)))
        groups[key].append(formula)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def import_table(
    store: CampaignStore,
    table: DatasetTable,
    *,
    source: str | None = None,
    skip_bad: bool = False,
    actor: str | None = None,
    vocabulary: tuple[str, ...] = DEFAULT_VOCABULARY,
) -> ImportReport:
    """Import parsed rows into the campaign in one transaction."""
    actor = actor or current_user()
    source = source or table.path.name
    digest = sha256_of(table.path)
    report = ImportReport(source=source, layout=table.layout, rows=len(table.rows))

    parsed: list[tuple[int, str, Composition, object]] = []
    by_text: dict[str, list[int]] = defaultdict(list)
    texts_of: dict[str, set[str]] = defaultdict(set)
    comps: dict[str, Composition] = {}
    for row in table.rows:
        if row.error:
            report.errors.append((row.line, row.error))
            continue
        try:
            comp = parse_formula(row.text, allow_zero=True)
            zeros = zero_amount_elements(row.text)
            if zeros:
                report.zero_amounts[row.line] = zeros
        except FormulaError as exc:
            report.errors.append((row.line, str(exc)))
            continue
        parsed.append((row.line, row.text, comp, row))
        by_text[row.text].append(row.line)
        texts_of[comp.formula].add(row.text)
        comps[comp.formula] = comp
        if row.single_phase is None:
            report.unlabelled_rows += 1
        else:
            report.labelled_rows += 1
    if report.errors and not skip_bad:
        raise ImportFailed(report)

    report.repeated_strings = {t: lines for t, lines in by_text.items() if len(lines) > 1}
    report.same_composition = {f: sorted(ts) for f, ts in texts_of.items() if len(ts) > 1}
    report.near_duplicate_groups = _near_duplicates(comps)
    for formula, comp in comps.items():
        missing = outside(comp.elements, vocabulary)
        if missing:
            report.outside_vocabulary[formula] = missing

    keys = content_keys(f"c{store.campaign_id}", [(line, f"{source}|{_row_content(text, row)}")
                                                  for line, text, _, row in parsed])  # fmt: skip
    legacy = {line: f"c{store.campaign_id}:{digest[:32]}:{line}" for line, *_ in parsed}
    with store.write() as session:
        known_keys = q.existing_source_keys(session, [*keys.values(), *legacy.values()])
        alloys = q.alloys_by_formula(session, store.campaign_id, comps)
        report.alloys_existing = len(alloys)
        for formula, comp in comps.items():
            if formula in alloys:
                continue
            alloy = Alloy(
                campaign_id=store.campaign_id,
                formula=formula,
                composition=comp.as_dict(),
                n_elements=len(comp),
                outside_vocabulary=",".join(report.outside_vocabulary.get(formula, [])),
                source=source,
            )
            session.add(alloy)
            alloys[formula] = alloy
            report.alloys_added += 1
        session.flush()
        for line, text, comp, row in parsed:
            key = keys[line]
            if key in known_keys or legacy[line] in known_keys:
                report.already_imported += 1
                continue
            session.add(
                Measurement(
                    alloy_id=alloys[comp.formula].id,
                    single_phase=row.single_phase,
                    phases=row.phases,
                    method=row.method or "literature",
                    operator=None,
                    source=f"import:{source}",
                    source_formula=text,
                    source_key=key,
                )
            )
            report.measurements_added += 1
        session.flush()
        labels = alloy_labels(session, store.campaign_id)
        for line, text, comp, row in parsed:
            state = labels[alloys[comp.formula].id]
            if state.conflict and row.single_phase is not None:
                report.conflicts.setdefault(comp.formula, []).append((line, text, bool(row.single_phase)))
        if not (report.alloys_added or report.measurements_added):
            report.written = True
            return report  # nothing changed: no audit event either
        q.audit(
            session,
            actor=actor,
            action="dataset.import",
            entity="campaign",
            entity_id=store.campaign_id,
            campaign_id=store.campaign_id,
            payload={
                "source": source,
                "sha256": digest,
                "rows": report.rows,
                "alloys_added": report.alloys_added,
                "measurements_added": report.measurements_added,
                "skipped_bad_rows": [line for line, _ in report.errors],
            },
        )
    report.written = True
    return report


def import_csv(store: CampaignStore, path: str | Path, **kwargs) -> ImportReport:
    """Read and import a CSV file; column names go to ``read_table``."""
    columns = {k: kwargs.pop(k) for k in ("formula_column", "label_column", "phase_column") if k in kwargs}
    table = read_table(path, **columns)
    return import_table(store, table, **kwargs)
