"""Importing alloys and results from a dataset CSV, all or nothing.

Every row becomes a measurement of its (canonical) alloy, keyed by its
content (formula text, label, phases, method) and how many identical rows
came before it in the file, not by file and line number: re-importing the
same file adds nothing, and a file that grew (rows appended, inserted or
reordered) adds only its new rows; the report says how many were already
there.  The same row in another file (a renamed copy, or a second dataset
listing the same alloy with the same label and method) is the same fact and
is not stored twice.  Rows keyed the old way (file sha256 and line, before 0.2.0) are
recognised too.  The
report names what a scientist must know about the data instead of silently
dropping or merging it: repeated formula strings, different strings for one
composition, conflicting labels, elements outside the model vocabulary, and
compositions that agree to 0.01 in every fraction.
"""

from __future__ import annotations

import hashlib
import itertools
from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select

from hea_campaign.db import store as q
from hea_campaign.db.tables import Alloy, Measurement, utcnow
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY, outside

from .chemistry import Composition, FormulaError, parse_formula, zero_amount_elements
from .datasets import sha256_of, stream_table
from .errors import CampaignError
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
    unread_columns: tuple[str, ...] = ()  # no label or phase column found: what was left unread
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



DATASET_SOURCE = "import:"  # prefix of the source of measurements read from a dataset (the literature)

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


def dataset_row_content(text: str, single_phase: bool | None, phases: str | None, method: str | None) -> str:
    """What identifies a dataset row: formula text, label, phases, method (not its file or line)."""
    label = "" if single_phase is None else str(bool(single_phase))
    return "|".join((text.strip(), label, (phases or "").strip(), (method or "").strip()))


def _row_content(text: str, row) -> str:
    """A dataset row's identity: its content alone, not the file it came in (dataset_row_content)."""
    return dataset_row_content(text, row.single_phase, row.phases, row.method)


CHUNK_ROWS = 5_000  # rows parsed and written at a time: memory stays flat in the file's size


class _ContentKeyer:
    """``content_keys`` one row at a time (the occurrence count is the only state kept per distinct row)."""

    def __init__(self, prefix: str):
        self.prefix, self.seen = prefix, defaultdict(int)

    def __call__(self, content: str) -> str:
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:40]
        n = self.seen[digest]
        self.seen[digest] = n + 1
        return f"{self.prefix}:{digest}:{n}"


def _chunks(rows, size: int | None = None):
    it = iter(rows)
    while chunk := list(itertools.islice(it, size or CHUNK_ROWS)):  # read at call time (tests set it)
        yield chunk


IMPORT_ACTION = "dataset.import"


def _recorded_import(store: CampaignStore, table, source: str, digest: str) -> ImportReport | None:
    """The report of a file with the very bytes an earlier import of this campaign wrote in full
    (its sha256 in that import's audit event, no bad row skipped), or None.

    Measurements are append-only, so every row of that file is still in the store:
    an unchanged re-import is recognised from the file's hash, without reading a row
    (``_already_imported`` looked up every row: 44 s at 10^6).  Events written before
    ``unlabelled_rows`` was recorded leave the check to ``_already_imported``.
    """
    with store.read() as session:
        payloads = q.action_payloads(session, store.campaign_id, IMPORT_ACTION)
    for p in payloads:
        if p.get("sha256") == digest and not p.get("skipped_bad_rows") and "unlabelled_rows" in p:
            rows, unlabelled = int(p["rows"]), int(p["unlabelled_rows"])
            return ImportReport(source=source, layout=table.layout, rows=rows, already_imported=rows,
                                unlabelled_rows=unlabelled, labelled_rows=rows - unlabelled, written=True)
    return None


def _already_imported(store: CampaignStore, table, source: str, digest: str, skip_bad: bool) -> ImportReport | None:
    """The report of a file whose every readable row is in the store already, or None.

    Keys come from the rows' text alone, and each chunk of keys is one indexed
    lookup, so an unchanged re-import is recognised in the time it takes to
    read the file; only rows not in the store are parsed (a file imported with
    --skip-bad has bad rows, which must still be bad).
    """
    report = ImportReport(source=source, layout=table.layout)
    keyer = _ContentKeyer(f"c{store.campaign_id}")
    with store.read() as session:
        for chunk in _chunks(table.rows):
            report.rows += len(chunk)
            good = [row for row in chunk if not row.error]
            keys = [keyer(_row_content(row.text, row)) for row in good]
            legacy = [f"c{store.campaign_id}:{digest[:32]}:{row.line}" for row in good]
            known = q.existing_source_keys(session, [*keys, *legacy])
            unknown = {row.line for row, k, old in zip(good, keys, legacy, strict=True)
                       if k not in known and old not in known}  # fmt: skip
            for row in chunk:
                if row.error:
                    report.errors.append((row.line, row.error))
                elif row.line in unknown:
                    try:
                        parse_formula(row.text, allow_zero=True)
                    except FormulaError as exc:
                        report.errors.append((row.line, str(exc)))
                        continue
                    return None  # a readable row the store does not have: a real import
                else:
                    report.already_imported += 1
                    report.unlabelled_rows += row.single_phase is None
    if report.errors and not skip_bad:
        return None  # the full import names every bad row and refuses the file
    report.labelled_rows = report.already_imported - report.unlabelled_rows
    report.written = True
    return report


def check_table(table: DatasetTable, *, skip_bad: bool = False) -> None:
    """Refuse a table that import_table would refuse, before anything (a store, a campaign) is created."""
    report = ImportReport(source=table.path.name, layout=table.layout, rows=len(table.rows))
    _parse_chunk(table.rows, report, _ReportState())
    if report.errors and not skip_bad:
        raise ImportFailed(report)


def import_table(
    store: CampaignStore,
    table,
    *,
    source: str | None = None,
    skip_bad: bool = False,
    actor: str | None = None,
    vocabulary: tuple[str, ...] = DEFAULT_VOCABULARY,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the rows of ``table`` (a DatasetTable or a DatasetStream) in one transaction; ``progress`` is
    told the rows read so far after each chunk (a large file takes minutes).

    Rows are parsed and written CHUNK_ROWS at a time with bulk inserts; what is
    kept for the whole file is small per row (line, alloy id, label in compact
    arrays) or per distinct text and composition (for the report).  A file whose
    rows are all in the store already is recognised before any formula is parsed.
    """
    actor = actor or current_user()
    source = source or table.path.name
    digest = sha256_of(table.path)
    unchanged = _recorded_import(store, table, source, digest) or _already_imported(store, table, source, digest,
                                                                                    skip_bad)
    if unchanged is not None:
        return unchanged
    report = ImportReport(source=source, layout=table.layout, unread_columns=getattr(table, "unread_columns", ()))
    state = _ReportState()
    seen = _SeenRows()
    with store.write() as session:
        conn = session.connection()
        max_before = conn.execute(select(func.max(Alloy.__table__.c.id))).scalar() or 0
        writer = _ChunkWriter(session, store.campaign_id, source, digest, vocabulary, _campaign_is_empty(conn, store))
        repeated: set[str] = set()
        for chunk in _chunks(table.rows):
            report.rows += len(chunk)
            parsed = _parse_chunk(chunk, report, state, repeated)
            if report.errors and not skip_bad:
                continue  # keep reading: the refusal names every bad row
            if parsed:
                writer.write(parsed, repeated, report, seen)
                repeated.clear()
            if progress is not None:
                progress(report.rows)
        if report.errors and not skip_bad:
            raise ImportFailed(report)  # the unit of work rolls back every chunk written
        state.finish(report)
        used = np.unique(seen.alloy_ids) if len(seen.alloy_ids) else np.zeros(0, np.int64)
        report.alloys_added = int((used > max_before).sum())
        report.alloys_existing = int((used <= max_before).sum())
        _report_conflicts(session, store, table, report, *seen.arrays())
        if not (report.alloys_added or report.measurements_added):
            report.written = True
            return report  # nothing changed: no audit event either
        _audit_import(session, store, actor, source, digest, report)
    report.written = True
    return report


def _campaign_is_empty(conn, store: CampaignStore) -> bool:
    """An empty campaign holds no measurement, so nothing of the file's can be in the store: only
    formulas repeated within the file are looked up (saves 2 probes of a random index per row)."""
    alloy_t = Alloy.__table__
    return conn.execute(select(alloy_t.c.id).where(alloy_t.c.campaign_id == store.campaign_id).limit(1)).first() is None


class _SeenRows:
    """Every row's line, alloy and label, in compact arrays: what the conflict report reads at the end."""

    def __init__(self):
        self.lines, self._alloy_ids, self.labels = array("q"), array("q"), array("b")

    def add(self, line: int, alloy_id: int, single_phase) -> None:
        self.lines.append(line)
        self._alloy_ids.append(alloy_id)
        self.labels.append(-1 if single_phase is None else int(bool(single_phase)))

    @property
    def alloy_ids(self) -> np.ndarray:
        return np.frombuffer(self._alloy_ids, dtype=np.int64)

    def arrays(self) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        if not len(self.lines):
            return None, None, None
        return (np.frombuffer(self.lines, dtype=np.int64), self.alloy_ids,
                np.frombuffer(self.labels, dtype=np.int8))


class _ChunkWriter:
    """Writes one parsed chunk: its new alloys, then its measurements in one bulk insert, skipping rows
    whose content (or, for files imported before content keys, whose line) is in the store already."""

    def __init__(self, session, campaign_id: int, source: str, digest: str, vocabulary, empty: bool):
        self.session, self.campaign_id, self.source, self.digest = session, campaign_id, source, digest
        self.vocabulary, self.empty = vocabulary, empty
        self.keyer = _ContentKeyer(f"c{campaign_id}")

    def write(self, parsed: list, repeated: set[str], report: ImportReport, seen: _SeenRows) -> None:
        conn = self.session.connection()
        comps = {comp.formula: comp for _, _, comp, _ in parsed}
        ids = _alloy_ids(conn, self.campaign_id, comps, self.source, self.vocabulary, report,
                         lookup=repeated.intersection(comps) if self.empty else comps)
        keys = [self.keyer(_row_content(text, row)) for _, text, _, row in parsed]
        legacy = [f"c{self.campaign_id}:{self.digest[:32]}:{line}" for line, *_ in parsed]
        known = set() if self.empty else q.existing_source_keys(self.session, [*keys, *legacy])
        now = utcnow()
        new_rows = []
        for (line, text, comp, row), key, old in zip(parsed, keys, legacy, strict=True):
            alloy_id = ids[comp.formula]
            seen.add(line, alloy_id, row.single_phase)
            if key in known or old in known:
                report.already_imported += 1
                continue
            new_rows.append({
                "alloy_id": alloy_id, "single_phase": row.single_phase, "phases": row.phases,
                "method": row.method or "literature", "operator": None, "notes": None, "measured_on": None,
                "entered_at": now, "source": f"{DATASET_SOURCE}{self.source}", "source_formula": text,
                "source_key": key, "candidate_id": None, "supersedes_id": None, "made_composition": None,
            })  # fmt: skip
        if new_rows:
            conn.execute(insert(Measurement.__table__), new_rows)
            report.measurements_added += len(new_rows)


def _audit_import(session, store: CampaignStore, actor: str, source: str, digest: str, report: ImportReport) -> None:
    q.audit(
        session,
        actor=actor,
        action=IMPORT_ACTION,
        entity="campaign",
        entity_id=store.campaign_id,
        campaign_id=store.campaign_id,
        payload={
            "source": source,
            "sha256": digest,
            "rows": report.rows,
            "alloys_added": report.alloys_added,
            "measurements_added": report.measurements_added,
            "unlabelled_rows": report.unlabelled_rows,
            "skipped_bad_rows": [line for line, _ in report.errors],
        },
    )


class _ReportState:
    """What the report needs across the whole file, kept per distinct text and composition."""

    def __init__(self):
        self.first_line: dict[str, int] = {}  # text -> its first line
        self.repeated: dict[str, list[int]] = {}  # text -> lines, once it repeats
        self.first_text: dict[str, str] = {}  # formula -> the first text that gave it
        self.other_texts: dict[str, set[str]] = {}  # formula -> every text, once there are two
        self.near: dict[str, str] = {}  # rounded composition -> its first formula
        self.near_groups: dict[str, set[str]] = {}  # rounded composition -> formulas, once there are two

    def add(self, line: int, text: str, comp: Composition) -> bool:
        """Record one row; True when its formula is new to this file."""
        first = self.first_line.setdefault(text, line)
        if first != line:
            self.repeated.setdefault(text, [first]).append(line)
        formula = comp.formula
        seen = self.first_text.get(formula)
        if seen is None:
            self.first_text[formula] = text
            # a short string, not a tuple of pairs: 80 bytes instead of about 480 per alloy (10^6 alloys: 0.4 GB)
            rounded = ((e, round(f, 2)) for e, f in zip(comp.elements, comp.fractions, strict=True))
            key = ",".join(f"{e}{r!r}" for e, r in rounded if r)
            other = self.near.setdefault(key, formula)
            if other != formula:
                self.near_groups.setdefault(key, {other}).add(formula)
            return True
        if seen != text:
            self.other_texts.setdefault(formula, {seen}).add(text)
        return False

    def finish(self, report: ImportReport) -> None:
        report.repeated_strings = self.repeated
        report.same_composition = {f: sorted(ts) for f, ts in self.other_texts.items()}
        report.near_duplicate_groups = sorted(sorted(g) for g in self.near_groups.values())


def _parse_chunk(chunk, report: ImportReport, state: _ReportState,
                 repeated: set[str] | None = None) -> list[tuple[int, str, Composition, object]]:
    """Parse a chunk's rows (errors go to the report); formulas met earlier in the file go to ``repeated``."""
    parsed = []
    for row in chunk:
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
        if not state.add(row.line, row.text, comp) and repeated is not None:
            repeated.add(comp.formula)
        if row.single_phase is None:
            report.unlabelled_rows += 1
        else:
            report.labelled_rows += 1
    return parsed


def _alloy_ids(conn, campaign_id: int, comps: dict[str, Composition], source: str, vocabulary,
               report: ImportReport, lookup) -> dict[str, int]:
    """formula -> alloy id for one chunk's compositions, inserting the new ones in one statement.

    Only the formulas in ``lookup`` can be in the store already; the others are inserted unasked.
    """
    t = Alloy.__table__
    wanted = list(lookup)
    ids: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        part = wanted[i : i + 500]
        ids.update(conn.execute(select(t.c.formula, t.c.id).where(t.c.campaign_id == campaign_id)
                                .where(t.c.formula.in_(part))).all())  # fmt: skip
    now = utcnow()
    new = []
    for formula in comps:
        comp = comps[formula]
        missing = outside(comp.elements, vocabulary)
        if missing:
            report.outside_vocabulary[formula] = missing
        if formula not in ids:
            new.append({"campaign_id": campaign_id, "formula": formula, "composition": comp.as_dict(),
                        "n_elements": len(comp), "outside_vocabulary": ",".join(missing), "source": source,
                        "created_at": now})  # fmt: skip
    if new:
        ids.update(conn.execute(insert(t).returning(t.c.formula, t.c.id), new).all())
    return ids


def _report_conflicts(session, store, table, report, lines, alloy_ids, labels) -> None:
    """Rows of this file whose alloy's current measurements now disagree (a database query finds
    the alloys; the file is read again only for the texts of their rows)."""
    if lines is None:
        return
    conflicting = q.conflicting_alloys(session, store.campaign_id)
    if not conflicting:
        return
    hit = np.isin(alloy_ids, np.fromiter(conflicting, dtype=np.int64)) & (labels >= 0)
    if not hit.any():
        return
    wanted = dict(zip(lines[hit].tolist(), zip(alloy_ids[hit].tolist(), labels[hit].tolist(), strict=True),
                      strict=True))
    for row in table.rows:
        if row.line in wanted:
            alloy_id, label = wanted[row.line]
            report.conflicts.setdefault(conflicting[alloy_id], []).append((row.line, row.text, bool(label)))


def import_csv(store: CampaignStore, path: str | Path, **kwargs) -> ImportReport:
    """Read a CSV file row by row and import it; column names go to ``stream_table``."""
    columns = {k: kwargs.pop(k) for k in ("formula_column", "label_column", "phase_column") if k in kwargs}
    return import_table(store, stream_table(path, **columns), **kwargs)
