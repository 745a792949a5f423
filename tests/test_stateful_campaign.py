"""Stateful fuzzing of the lab-loop services on a real SQLite store (issue 8).

A Hypothesis ``RuleBasedStateMachine`` drives the real campaign services
(dataset import, results one by one and from a CSV, corrections, proposals,
approve / reject, export, backup) in random order on a real SQLite file,
valid and invalid input mixed, and keeps its own model of what the store must
hold.  After every step it checks:

* the audit trail grew by exactly the events of that step's changes
  ((action, entity, id) per event, actor and campaign), and the total number
  of audit events equals the number of mutations the model expects;
  refused calls (the services' user errors, CampaignError / FormulaError)
  change nothing at all;
* measurements are append-only: every measurement ever seen still exists with
  identical fields, and every row the model did not expect is an error;
* candidates are only in legal statuses, equal to the model's, and the audit
  trail of every candidate is a chain of legal transitions (checked against a
  transition table written here, independently of campaign.lifecycle); one
  rule tries every forbidden move (approve / reject / export / a result) from
  every status present, alone and inside otherwise legal batches, and each
  must be refused as a whole;
* alloys, export batches, proposal runs and model versions match the model;
  exactly one model is active;
* ``PRAGMA integrity_check`` is ok and ``PRAGMA foreign_key_check`` is empty;
  files that were written (batches, backups) never change and no temporary
  file is left behind.

Each example starts from a fresh copy of a small template store built once
per module: 60 seed rows, one briefly trained active model, and candidates in
every status (proposed, approved, rejected, exported, measured, one corrected
result), so that twelve steps reach every transition.  The model versions
keep absolute checkpoint paths, so every copy reuses the template's
checkpoint files.  Examples: at least 200 under the default "ci" profile, the
profile's own number when larger (``--hypothesis-profile=long``: 2000).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import shutil
import sqlite3
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hea_campaign.campaign.backup import backup
from hea_campaign.campaign.chemistry import FormulaError, parse_formula, parse_typed_formula
from hea_campaign.campaign.datasets import fetch
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.export import export_batch
from hea_campaign.campaign.importing import content_keys, dataset_row_content, import_csv
from hea_campaign.campaign.lifecycle import MAX_REASON_LENGTH, approve, reject
from hea_campaign.campaign.model_versions import train_version
from hea_campaign.campaign.proposals import ProposalRequest, propose
from hea_campaign.campaign.results import CSV_COLUMNS as RESULT_COLUMNS
from hea_campaign.campaign.result_moves import move_result
from hea_campaign.campaign.results import add_result, correct_result, import_results, normalise_phases, record_result
from hea_campaign.campaign.store import CampaignStore

ACTOR = "fuzzer"
pytestmark = pytest.mark.sqlite_only("a SQLite file store: online backup, PRAGMA integrity_check, file copies")

# The lab loop's transition table, restated from DESIGN.md section 3/7 (not imported: the machine
# must be able to disagree with campaign.lifecycle).
LEGAL: dict[str, frozenset[str]] = {
    "proposed": frozenset({"approved", "rejected"}),
    "approved": frozenset({"rejected", "exported"}),
    "rejected": frozenset({"approved"}),
    "exported": frozenset({"measured"}),
    "measured": frozenset({"exported"}),  # only when its result moves to another candidate
}
VERB = {"approved": "approve", "rejected": "reject", "exported": "export", "measured": "measure"}
MOVE_VERB = {("measured", "exported"): "reopen"}
# Every (move, from status) pair that must be refused; a result needs a candidate that was exported.
FORBIDDEN = [(VERB[to], s) for to in ("approved", "rejected", "exported") for s in LEGAL
             if to not in LEGAL[s] or (s, to) in MOVE_VERB]
FORBIDDEN += [(way, s) for way in ("result", "results file") for s in ("proposed", "approved", "rejected")]
USER_ERRORS = (CampaignError, FormulaError)

MEASUREMENT_COLUMNS = (
    "id", "alloy_id", "single_phase", "phases", "method", "operator", "notes", "measured_on", "entered_at",
    "source", "source_formula", "source_key", "candidate_id", "supersedes_id",
)  # fmt: skip
M = {name: i for i, name in enumerate(MEASUREMENT_COLUMNS)}


def _squeeze(text) -> str:
    return "".join(str(text).split()).casefold()


def _says(row: dict) -> str:
    """What a results-file row says, as the import keys it: candidate, canonical formula, label, phases
    and method without case or spacing, operator, notes, date (this file has no operator or notes)."""
    cells = row["cells"]
    formula = parse_formula(cells["formula"]).formula if cells.get("formula", "").strip() else ""
    fields = (cells.get("candidate_id", "").strip(), formula, str(row["single"]),
              _squeeze(row.get("phases", cells["phases"])), _squeeze(cells["method"]), "", "", cells["measured_on"].strip())
    return "result|" + "|".join(fields)
COUNTED = ("campaign", "alloy", "measurement", "candidate", "proposal_run", "model_version", "export_batch",
           "audit_event")  # fmt: skip

# --- input strategies ----------------------------------------------------------------------------------

ELEMENTS = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Mo", "Nb", "Ni", "Ti", "V")
AMOUNTS = ("", "1", "2", "3", "10", "0.5", "1.5", "0.25", "0.1", "33.3")
formula_texts = st.builds(
    lambda parts, sep: sep.join(e + a for e, a in parts),
    st.lists(st.tuples(st.sampled_from(ELEMENTS), st.sampled_from(AMOUNTS)), min_size=1, max_size=5,
             unique_by=lambda p: p[0]),
    st.sampled_from(["", " "]),
)  # fmt: skip
# Text that is sometimes a formula and mostly not (the oracle is parse_formula: a formula the parser
# refuses must be refused by the service with nothing written; one it accepts must be stored).
fuzzed_formulas = st.text(alphabet="AlCoFeNiXx()[]0123456789. -e", max_size=12)
# (not "FeNaN": that is Fe, Na and N, a formula)
BAD_FORMULAS = ("", "   ", "Fe-1Ni", "Xx2Fe", "Fe0Ni", "Fe(Ni", "fe ni", "FeNi=1", "D2Fe", "Fe1e3Ni", "FeNinan",
                "Fe2.5.1Ni", "Fe" * 5000, "Fe()")  # fmt: skip

GOOD_MASSES = ((20, "g"), (5.5, "g"), (2500, "mg"), (0.5, "g"))
BAD_MASSES = ((0, "g"), (-1, "g"), (20.00001, "g"), ("abc", "g"), (float("nan"), "g"), (float("inf"), "g"), (20, "kg"),
              (20, "mg"))  # 20 mg: grams typed as milligrams; confirmed only (not here)
PHASES_SINGLE = (None, "FCC", "BCC", "hcp", " FCC ", "B2", "sigma")  # phase lists a single-phase result may have
PHASES_MULTI = (None, "FCC+BCC", "BCC + Laves", "FCC+L12", "B2", "sigma")
BAD_PHASES = ("", "   ", "+FCC", "FCC+", "FCC++BCC", "=HYPERLINK(1)", "FCC;BCC", "X" * 10_000)
TOO_LONG = "x" * 100_000  # longer than any text field accepts
texts = st.one_of(st.none(), st.sampled_from(["XRD", " SEM ", "", "arc melted"]), st.text(max_size=15))
past_dates = st.dates(min_value=date(2000, 1, 1), max_value=date.today() - timedelta(days=1))


def phases_for(single: bool) -> st.SearchStrategy:
    return st.sampled_from(PHASES_SINGLE if single else PHASES_MULTI)


def spaced(formula: str) -> str:
    """The same composition written another way: a space before every element but the first."""
    return re.sub(r"(?<=[a-z0-9.])(?=[A-Z])", " ", formula)


def clean(text: str | None) -> str | None:
    """What the services store for an optional text: stripped, blank -> None."""
    return None if text is None or not str(text).strip() else str(text).strip()


# who measured may not hold a control or invisible character (the rule for --by; tested on its own in
# tests/test_store.py): such operators are refused, whatever else the step does
UNRECORDABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def _shows_as_nothing(text: str) -> bool:
    """A format character (but the zero-width joiners), a filler or a noncharacter: refused since 2026-12-01."""
    import unicodedata

    return any((unicodedata.category(ch) == "Cf" and ch not in "\u200c\u200d")
               or ch in "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"
               or 0xFDD0 <= ord(ch) <= 0xFDEF or ord(ch) & 0xFFFE == 0xFFFE for ch in text)


def operator_refused(text: str | None) -> bool:
    return clean(text) is not None and (UNRECORDABLE.search(clean(text)) is not None or _shows_as_nothing(clean(text)))


def text_refused(*, method: str | None = None, operator: str | None = None, notes: str | None = None) -> bool:
    """Method, operator (and a decision's reason, given as ``method``) by the rule for names; notes by the
    same rule, but they may run over lines."""
    notes_bad = clean(notes) is not None and (UNRECORDABLE.search(clean(notes).replace("\n", " ")) is not None
                                              or _shows_as_nothing(clean(notes)))
    return operator_refused(method) or operator_refused(operator) or notes_bad


def stored_phases(text: str | None) -> str | None:
    """What the services store for a phase list: cleaned, structure names written one way (FCC+Laves)."""
    return normalise_phases(clean(text))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the template store, built once per module --------------------------------------------------------


@dataclass
class DatasetFile:
    path: Path
    digest: str
    rows: list[tuple[int, str, str, bool]] = field(default_factory=list)  # (line, text, canonical, label)
    bad: bool = False


@dataclass
class Template:
    root: Path
    db: Path
    files: dict[str, DatasetFile]
    multi_starts: list[str]  # labelled multi-phase alloys of the template, to invert from


def _write_dataset(path: Path, header: str, lines: list[str], *, bad: bool = False) -> DatasetFile:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    rows = []
    for k, line in enumerate(lines):
        text, label = line.split(",")[:2]
        if not bad or "Xx" not in text:
            rows.append((k + 2, text, parse_formula(text, allow_zero=True).formula, label.strip() == "1"))
    return DatasetFile(path, sha256(path), rows, bad)


def build_template(root: Path) -> Template:
    seed = fetch("yan2021")
    lines = [ln for ln in seed.read_text(encoding="utf-8-sig").splitlines() if ln.strip() and not ln.startswith("#")]
    header, data = lines[0], lines[1:]
    single = [ln for ln in data if ln.split(",")[1].strip() == "1"]
    multi = [ln for ln in data if ln.split(",")[1].strip() == "0"]
    base_lines = single[:30] + multi[:30]
    fresh = single[30:36] + multi[30:36]
    more_lines = base_lines[:3] + fresh + fresh[:1]  # known rows (new file: new measurements), new rows, a repeat
    bad_row = fresh[6 % len(fresh)].split(",")
    bad_row[0] = "Xx2Fe"
    files = {
        "base": _write_dataset(root / "base.csv", header, base_lines),
        "more": _write_dataset(root / "more.csv", header, more_lines),
        "bad": _write_dataset(root / "bad.csv", header, single[40:42] + [",".join(bad_row)], bad=True),
    }
    shutil.copyfile(files["base"].path, root / "base-copy.csv")  # same bytes, other name: already imported
    files["base-copy"] = DatasetFile(root / "base-copy.csv", files["base"].digest, files["base"].rows)

    build = root / "build.db"
    store = CampaignStore.open(build, actor=ACTOR)
    try:
        import_csv(store, files["base"].path, source="base", actor=ACTOR)
        train_version(store, seed=0, epochs=30, activate=True, by=ACTOR)  # small is fine: propose needs a model
        # Candidates in every status, so that a short example can reach every transition.
        # screened on a 10 at.% grid: distinct alloys whatever a 30-epoch latent map looks like (its latent points
        # decode to near copies, which a batch no longer holds)
        ids = propose(store, ProposalRequest(mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Mn"], step=0.1,
                                             batch=6), by=ACTOR).candidate_ids
        assert len(ids) >= 5, "the template's model proposed too few distinct candidates"
        approve(store, [ids[1], ids[3], ids[4], *ids[5:]], by=ACTOR, reason="template")
        reject(store, [ids[2]], by=ACTOR)
        export_batch(store, ids=[ids[3], ids[4]], out=root / "template-batch.csv", by=ACTOR)
        first = add_result(store, candidate_id=ids[4], single_phase=True, phases="FCC", by=ACTOR)
        correct_result(store, first.id, single_phase=False, phases="FCC+BCC", by=ACTOR)  # one superseded result
    finally:
        store.close()
    # One self-contained file (no -wal beside it) to copy per example; the model_version rows keep the
    # absolute checkpoint paths under build.models/, so every copy loads the same checkpoint.
    db = root / "template.db"
    src, dst = sqlite3.connect(build), sqlite3.connect(db)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    starts = sorted({f for _, _, f, label in files["base"].rows if not label})
    return Template(root=root, db=db, files=files, multi_starts=starts)


@pytest.fixture(scope="module", autouse=True)
def _campaign_template(tmp_path_factory):
    import torch

    # One torch thread: the model is tiny, and with two threads on two busy cores (a CI runner, other
    # tests in parallel) OpenMP spin-waiting made each proximal inversion ~10x slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("stateful")
    CampaignMachine.template = build_template(root)
    (root / "examples").mkdir()
    yield
    CampaignMachine.template = None
    torch.set_num_threads(threads)


# --- the machine ---------------------------------------------------------------------------------------


class CampaignMachine(RuleBasedStateMachine):
    template: Template | None = None

    def __init__(self):
        super().__init__()
        t = type(self).template
        assert t is not None, "the template store is built by the module fixture"
        self.t = t
        self.dir = Path(tempfile.mkdtemp(dir=t.root / "examples"))
        self.out = self.dir / "out"
        self.out.mkdir()
        self.db = self.dir / "campaign.db"
        shutil.copyfile(t.db, self.db)
        self.store = CampaignStore.open(self.db, actor=ACTOR, create=False)
        self.cid = self.store.campaign_id
        self.raw = sqlite3.connect(self.db, isolation_level=None)  # reads only, outside the services
        # The model, starting from what the template holds.
        self.alloys: dict[str, int] = dict(self.raw.execute("SELECT formula, id FROM alloy"))
        self.measurements: dict[int, tuple] = self._measurement_rows()
        self.candidates: dict[int, str] = dict(self.raw.execute("SELECT id, status FROM candidate"))
        self.cand_formula: dict[int, str] = dict(self.raw.execute(
            "SELECT c.id, a.formula FROM candidate c JOIN alloy a ON a.id = c.alloy_id"))
        self.tables = {t: self._count(t) for t in ("campaign", "proposal_run", "model_version", "export_batch")}
        self.audit_total = self._count("audit_event")
        self.last_audit_id = self.raw.execute("SELECT coalesce(max(id), 0) FROM audit_event").fetchone()[0]
        self.files: dict[Path, str] = {}  # batch and backup files: sha256 they must keep
        self.results_files: list[Path] = []
        self.n_files = 0

    def teardown(self):
        self.raw.close()
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------------------

    def _count(self, table: str) -> int:
        return self.raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def _measurement_rows(self, min_id: int = 0) -> dict[int, tuple]:
        cols = ", ".join(MEASUREMENT_COLUMNS)
        rows = self.raw.execute(f"SELECT {cols} FROM measurement WHERE id > ? ORDER BY id", (min_id,))
        return {r[0]: r for r in rows}

    def _new_name(self, suffix: str) -> str:
        self.n_files += 1
        return f"f{self.n_files}{suffix}"

    def _step(self, expected: list[tuple[str, str, int]]) -> list[tuple]:
        """The audit events since the last step must be exactly ``expected`` (action, entity, entity_id)."""
        events = self.raw.execute(
            "SELECT id, action, entity, entity_id, actor, campaign_id, payload FROM audit_event WHERE id > ? "
            "ORDER BY id", (self.last_audit_id,)).fetchall()  # fmt: skip
        got = Counter((a, e, i) for _, a, e, i, *_ in events)
        assert got == Counter(expected), f"audit events {sorted(got.elements())} != expected {sorted(expected)}"
        assert all(actor == ACTOR and cid == self.cid for *_, actor, cid, _ in events), events
        self.audit_total += len(expected)
        if events:
            self.last_audit_id = events[-1][0]
        return events

    def _stored_twin(self, row: dict, used: set[int], file_keys: set[str]) -> int | None:
        """The current lab result the row repeats, or None: same candidate (a row typed by formula: the
        exported candidate it will be the result of, or else any of the alloy's), label, and no other date,
        and the row gives no phases, method or date it lacks or contradicts (this file has no operator or
        notes).  A result matched by an earlier row, or stored from this very file, is left alone."""
        rows = self.measurements.values()
        whose = row["candidate"]
        if whose is None:
            exported = self._exported_of(row["formula"])
            whose = exported[0] if exported else "any"
        superseded = {m[M["supersedes_id"]] for m in rows}
        cells = row["cells"]
        given = {"phases": row.get("phases", cells["phases"]).strip(), "method": cells["method"].strip(),
                 "measured_on": cells["measured_on"].strip()}
        for m in rows:
            if m[M["id"]] in superseded or m[M["id"]] in used or m[M["source"]].startswith("import:"):
                continue
            if m[M["source_key"]] in file_keys or bool(m[M["single_phase"]]) != row["single"]:
                continue
            if m[M["alloy_id"]] != self.alloys.get(row["formula"]) or whose not in ("any", m[M["candidate_id"]]):
                continue
            if m[M["measured_on"]] and given["measured_on"] and str(m[M["measured_on"]]) != given["measured_on"]:
                continue  # another day: another measurement
            if all(not v or (m[M[k]] and _squeeze(m[M[k]]) == _squeeze(v)) for k, v in given.items()):
                return m[M["id"]]
        return None

    def _refused(self, call, *args, **kwargs) -> Exception:
        """``call`` must raise a user error and change nothing (the invariants check the rows)."""
        with pytest.raises(USER_ERRORS) as info:
            call(*args, **kwargs)
        event(f"refused: {call.__name__}")
        self._step([])
        return info.value

    def _take_new_measurements(self, expected: list[dict]) -> list[int]:
        """The measurements a step added must be exactly ``expected`` (fields given), in id order."""
        new = self._measurement_rows(max(self.measurements, default=0))
        assert len(new) == len(expected), (new, expected)
        for row, want in zip(new.values(), expected, strict=True):
            got = {k: row[M[k]] for k in want}
            assert got == want, (got, want)
        self.measurements.update(new)
        return list(new)

    def _add_alloy(self, formula: str) -> int:
        (aid,) = self.raw.execute("SELECT id FROM alloy WHERE formula = ?", (formula,)).fetchone()
        assert formula not in self.alloys
        self.alloys[formula] = aid
        return aid

    def _superseded(self) -> set[int]:
        return {r[M["supersedes_id"]] for r in self.measurements.values() if r[M["supersedes_id"]] is not None}

    def _unknown_candidate(self) -> int:
        return max(self.candidates, default=0) + 1000

    def _with_status(self, *statuses: str) -> list[int]:
        return sorted(c for c, s in self.candidates.items() if s in statuses)

    # --- dataset import --------------------------------------------------------------------------------

    @rule(which=st.sampled_from(["base", "base-copy", "more", "more", "bad"]))
    def import_dataset(self, which):
        name = which
        f = self.t.files[name]
        if f.bad:
            self._refused(import_csv, self.store, f.path, source=name, actor=ACTOR)
            return
        # rows are keyed by content and occurrence (the key's spelling is the code's; which rows are new is
        # decided here): a renamed copy adds nothing, known rows in another file add nothing, a repeat adds one
        keys = content_keys(f"c{self.cid}", [(line, dataset_row_content(text, label, None, None))
                                             for line, text, _, label in f.rows])  # fmt: skip
        done = {r[M["source_key"]] for r in self.measurements.values()}
        todo = [r for r in f.rows if keys[r[0]] not in done]
        new_formulas = sorted({formula for _, _, formula, _ in f.rows} - set(self.alloys))
        report = import_csv(self.store, f.path, source=name, actor=ACTOR)
        assert (report.alloys_added, report.measurements_added, report.already_imported) == (
            len(new_formulas), len(todo), len(f.rows) - len(todo))
        for formula in new_formulas:
            self._add_alloy(formula)
        self._take_new_measurements([
            {"alloy_id": self.alloys[formula], "single_phase": int(label), "source": f"import:{name}",
             "source_formula": text, "source_key": keys[line], "candidate_id": None,
             "supersedes_id": None, "method": "literature", "operator": None}
            for line, text, formula, label in todo
        ])  # fmt: skip
        self._step([("dataset.import", "campaign", self.cid)] if todo or new_formulas else [])

    # --- results one by one ----------------------------------------------------------------------------

    def _expect_result(self, res, *, formula: str, single: bool, phases, method, operator, notes, measured_on,
                       source_formula, candidate: int | None) -> None:
        new_alloy = formula not in self.alloys
        assert res.new_alloy == new_alloy
        linked = self._exported_of(formula) if candidate is None and not new_alloy else []
        if new_alloy:
            self._add_alloy(formula)
        (mid,) = self._take_new_measurements([{
            "alloy_id": self.alloys[formula], "single_phase": int(single), "phases": stored_phases(phases),
            "method": clean(method), "operator": clean(operator) or ACTOR, "notes": clean(notes),
            "measured_on": measured_on.isoformat() if measured_on else None, "source": "lab",
            "source_formula": source_formula, "source_key": None,
            "candidate_id": candidate if candidate is not None else (linked[0] if linked else None),
            "supersedes_id": None,
        }])  # fmt: skip
        assert res.measurement.id == mid
        events = [("measurement.add", "measurement", mid)]
        if new_alloy:
            events.append(("alloy.add", "alloy", self.alloys[formula]))
        moved = candidate is not None and self.candidates[candidate] == "exported"
        assert res.candidate_moved == moved or (candidate is None and res.candidate_moved == bool(linked))
        if moved:
            event("measured (one result)")
            self.candidates[candidate] = "measured"
            events.append(("candidate.measure", "candidate", candidate))
        for cid in linked:
            event("measured (result by formula)")
            self.candidates[cid] = "measured"
            events.append(("candidate.measure", "candidate", cid))
        self._step(events)

    def _exported_of(self, formula: str) -> list[int]:
        """Exported candidates of an alloy: a result for it by formula is theirs (they become measured)."""
        return sorted(c for c, st_ in self.candidates.items() if st_ == "exported" and self.cand_formula[c] == formula)

    @rule(data=st.data(), single=st.booleans(), method=texts, operator=texts, notes=texts,
          measured_on=st.none() | past_dates, as_text=st.booleans())  # fmt: skip
    def add_result_by_formula(self, data, single, method, operator, notes, measured_on, as_text):
        text = data.draw(formula_texts | st.sampled_from(sorted(self.alloys)), label="formula")
        phases = data.draw(phases_for(single), label="phases")
        kwargs = dict(single_phase=("yes" if single else "no") if as_text else single, phases=phases,
                      method=method, operator=operator, notes=notes,
                      measured_on=measured_on.isoformat() if (as_text and measured_on) else measured_on)  # fmt: skip
        if text_refused(method=method, operator=operator, notes=notes):
            self._refused(record_result, self.store, text, by=ACTOR, **kwargs)
            return
        res = record_result(self.store, text, by=ACTOR, **kwargs)
        self._expect_result(res, formula=parse_formula(text).formula, single=single, phases=phases, method=method,
                            operator=operator, notes=notes, measured_on=measured_on, source_formula=text.strip(),
                            candidate=None)  # fmt: skip

    @rule(text=fuzzed_formulas, single=st.booleans())
    def add_result_fuzzed_formula(self, text, single):
        try:  # typed: all capitals spelling another alloy (CN: Cn?) are refused too, unless confirmed
            formula = parse_typed_formula(text).formula
        except FormulaError:
            self._refused(add_result, self.store, text, single_phase=single, by=ACTOR)
            return
        res = record_result(self.store, text, single_phase=single, by=ACTOR)
        self._expect_result(res, formula=formula, single=single, phases=None, method=None, operator=None,
                            notes=None, measured_on=None, source_formula=text.strip(), candidate=None)  # fmt: skip

    @rule(data=st.data(), kind=st.sampled_from(["formula", "phases", "contradiction", "future", "bad date", "label",
                                                "nothing", "unknown candidate", "bad candidate id",
                                                "candidate not exported", "formula of another alloy", "long notes"]))
    def add_result_invalid(self, data, kind):
        kw: dict = {"single_phase": True}
        formula = data.draw(formula_texts, label="formula")
        if kind == "formula":
            formula = data.draw(st.sampled_from(BAD_FORMULAS), label="bad formula")
        elif kind == "phases":
            kw["phases"] = data.draw(st.sampled_from(BAD_PHASES), label="bad phases")
        elif kind == "contradiction":
            kw["single_phase"] = data.draw(st.booleans(), label="single")
            kw["phases"] = "FCC+BCC" if kw["single_phase"] else data.draw(st.sampled_from(["FCC", "bcc", "HCP"]))
        elif kind == "future":
            kw["measured_on"] = date.today() + timedelta(days=data.draw(st.integers(1, 400), label="days"))
        elif kind == "bad date":
            kw["measured_on"] = data.draw(st.sampled_from(["2024-13-01", "yesterday", "01/02/2024"]))
        elif kind == "label":
            kw["single_phase"] = data.draw(st.sampled_from(["maybe", "", "2", None]), label="label")
        elif kind == "nothing":
            formula = data.draw(st.sampled_from([None, "", "  "]))
        elif kind == "unknown candidate":
            kw["candidate_id"] = self._unknown_candidate()
        elif kind == "bad candidate id":
            kw["candidate_id"] = data.draw(st.sampled_from(["0", "-3", "abc", "1.5", True]))
        elif kind == "candidate not exported":
            pool = self._with_status("proposed", "approved", "rejected")
            if not pool:
                return
            kw["candidate_id"] = data.draw(st.sampled_from(pool))
            formula = data.draw(st.sampled_from([None, self.cand_formula[kw["candidate_id"]]]))
        elif kind == "formula of another alloy":
            pool = self._with_status("exported", "measured")
            if not pool:
                return
            kw["candidate_id"] = data.draw(st.sampled_from(pool))
            formula = data.draw(st.sampled_from(sorted(set(self.alloys) - {self.cand_formula[kw["candidate_id"]]})))
        elif kind == "long notes":
            kw[data.draw(st.sampled_from(["notes", "method", "operator"]))] = TOO_LONG
        self._refused(add_result, self.store, formula, by=ACTOR, **kw)

    # --- results for exported candidates ----------------------------------------------------------------

    @precondition(lambda self: self._with_status("exported", "measured"))
    @rule(data=st.data(), single=st.booleans(), with_formula=st.booleans(), method=texts)
    def add_result_for_candidate(self, data, single, with_formula, method):
        pool = self._with_status("exported", "measured")
        cid = data.draw(st.sampled_from(pool) if data.draw(st.booleans()) else st.sampled_from(
            self._with_status("exported") or pool), label="candidate")  # fmt: skip
        formula = None
        if with_formula:  # the candidate's formula as canonical text, or written with spaces between elements
            formula = data.draw(st.sampled_from([self.cand_formula[cid], spaced(self.cand_formula[cid])]))
        phases = data.draw(phases_for(single), label="phases")
        if text_refused(method=method):
            self._refused(record_result, self.store, formula, cid, single_phase=single, phases=phases, method=method,
                          by=ACTOR)
            return
        res = record_result(self.store, formula, data.draw(st.sampled_from([cid, str(cid)])), single_phase=single,
                            phases=phases, method=method, by=ACTOR)  # fmt: skip
        assert res.candidate is not None and res.candidate.id == cid
        self._expect_result(res, formula=self.cand_formula[cid], single=single, phases=phases, method=method,
                            operator=None, notes=None, measured_on=None, source_formula=formula, candidate=cid)

    # --- results from a CSV ----------------------------------------------------------------------------

    @rule(data=st.data(), n=st.integers(1, 4), inject=st.sampled_from([None, None, "stateless", "stateful"]))
    def import_results_file(self, data, n, inject):
        if self.results_files and data.draw(st.booleans(), label="re-import"):
            path = data.draw(st.sampled_from(self.results_files), label="file")
            report = import_results(self.store, path, by=ACTOR, allow_conflicts=True)
            assert report.measurements_added == 0 and report.already_imported == report.rows
            self._step([])
            return
        rows: list[dict] = []  # cells plus the model's view: kind, formula, candidate, single, bad
        for _ in range(n):
            single = data.draw(st.booleans(), label="single")
            phases = data.draw(phases_for(single), label="phases")
            cell = {
                "single_phase": "yes" if single else "no", "phases": phases or "",
                "method": data.draw(st.sampled_from(["", "XRD", "=cmd()"]), label="method"),
                "measured_on": data.draw(st.sampled_from(["", "2023-05-01", " 2024-02-29 "]), label="date"),
            }  # fmt: skip
            measurable = self._with_status("exported", "measured")
            if measurable and data.draw(st.booleans(), label="for a candidate"):
                cid = data.draw(st.sampled_from(measurable), label="candidate")
                cell |= {"candidate_id": str(cid), "formula": data.draw(st.sampled_from(["", self.cand_formula[cid]]))}
                rows.append({"cells": cell, "formula": self.cand_formula[cid], "candidate": cid, "single": single})
            else:
                text = data.draw(formula_texts, label="formula")
                cell["formula"] = text
                rows.append({"cells": cell, "formula": parse_formula(text).formula, "candidate": None,
                             "single": single})  # fmt: skip
            if single and phases is None and data.draw(st.booleans(), label="blank label"):
                cell |= {"single_phase": "", "phases": "FCC"}  # a blank label read from an unambiguous phase
                rows[-1]["phases"] = "FCC"
        bad = None
        if inject == "stateless":
            bad = data.draw(st.sampled_from([{"formula": "Xx1Fe"}, {"single_phase": "maybe"},
                                             {"single_phase": "yes", "phases": "FCC+BCC"},
                                             {"measured_on": "2999-01-01"}, {"single_phase": "", "phases": "B2"},
                                             {"formula": "", "candidate_id": ""}, {"candidate_id": "x1"}]))
        elif inject == "stateful":
            pool = self._with_status("proposed", "approved", "rejected")
            options = [{"candidate_id": str(self._unknown_candidate())}]
            options += [{"candidate_id": str(c), "formula": ""} for c in pool[:5]]
            bad = data.draw(st.sampled_from(options), label="bad row")
        if bad is not None:
            base = {"formula": "FeNi", "single_phase": "yes", "phases": "", "method": "", "measured_on": ""}
            rows.insert(data.draw(st.integers(0, len(rows)), label="where"), {"cells": base | bad, "bad": True})
        name = self._new_name(".csv")
        path = self.dir / name
        columns = ["formula", "candidate_id", "single_phase", "phases", "method", "measured_on"]
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for r in rows:
                writer.writerow([r["cells"].get(c, "") for c in columns])
        if bad is not None:
            self._refused(import_results, self.store, path, by=ACTOR)
            return
        # random labels for measured candidates contradict their results: a second ingot, said so (refusing
        # contradictions unless allowed is tested in tests/lab; here the bookkeeping of what is stored)
        report = import_results(self.store, path, by=ACTOR, allow_conflicts=True)
        done = {r[M["source_key"]] for r in self.measurements.values()}
        # keyed by content and occurrence, as for datasets (an identical row in an earlier file is known):
        # the cells as typed (files imported before), and what they say (stored from now on)
        typed = content_keys(f"r{self.cid}", [
            (line, "csv|" + "|".join(r["cells"].get(c, "").strip() for c in RESULT_COLUMNS))
            for line, r in enumerate(rows, start=2)])  # fmt: skip
        key = content_keys(f"r{self.cid}", [(line, _says(r)) for line, r in enumerate(rows, start=2)])
        todo = [(line, r) for line, r in enumerate(rows, start=2) if typed[line] not in done and key[line] not in done]
        known = len(rows) - len(todo)
        used: set[int] = set()
        recorded = []
        for line, r in todo:
            twin = self._stored_twin(r, used, set(typed.values()) | set(key.values()))
            if twin is not None:
                recorded.append((line, twin))
                used.add(twin)
        todo = [(line, r) for line, r in todo if line not in dict(recorded)]
        assert (report.measurements_added, report.already_imported, report.already_recorded) == (
            len(todo), known, recorded)
        if recorded:  # such a file is not re-imported below: its rows are stored once the stored result changes
            event("row repeats a stored lab result")
        else:
            self.results_files.append(path)
        events, expected = [], []
        for line, r in todo:
            if r["formula"] not in self.alloys:
                events.append(("alloy.add", "alloy", self._add_alloy(r["formula"])))
            cid = r["candidate"]
            if cid is not None and self.candidates[cid] == "exported":
                event("measured (results file)")
                self.candidates[cid] = "measured"
                events.append(("candidate.measure", "candidate", cid))
            linked = self._exported_of(r["formula"]) if cid is None else []
            for other in linked:
                event("measured (results file, by formula)")
                self.candidates[other] = "measured"
                events.append(("candidate.measure", "candidate", other))
            cid = cid if cid is not None else (linked[0] if linked else None)
            c = r["cells"]
            expected.append({
                "alloy_id": self.alloys[r["formula"]], "single_phase": int(r["single"]),
                "phases": stored_phases(r.get("phases", c["phases"])), "method": clean(c["method"]), "operator": ACTOR,
                "source": f"results:{name}", "source_key": key[line], "candidate_id": cid, "supersedes_id": None,
                "source_formula": clean(c["formula"]), "measured_on": clean(c["measured_on"]),
            })  # fmt: skip
        ids = self._take_new_measurements(expected)
        assert report.measurement_ids == ids
        events += [("measurement.add", "measurement", m) for m in ids]
        if todo:
            events.append(("results.import", "campaign", self.cid))
        self._step(events)

    # --- corrections -----------------------------------------------------------------------------------

    @rule(data=st.data(), single=st.booleans(), method=texts, operator=texts, notes=texts,
          measured_on=st.none() | past_dates,
          trouble=st.sampled_from([None, None, None, "superseded", "unknown", "phases", "contradiction",
                                   "future", "same"]))  # fmt: skip
    def correct_a_result(self, data, single, method, operator, notes, measured_on, trouble):
        mid = data.draw(st.sampled_from(sorted(self.measurements)), label="measurement")
        phases = data.draw(phases_for(single), label="phases")
        if trouble == "superseded":  # correct a measurement that was already corrected: refused
            mid = data.draw(st.sampled_from(sorted(self._superseded())), label="superseded")
        elif trouble == "unknown":
            mid = max(self.measurements) + 1000
        elif trouble == "phases":
            phases = data.draw(st.sampled_from(BAD_PHASES), label="bad phases")
        elif trouble == "contradiction":
            phases = "FCC+BCC" if single else "FCC"
        elif trouble == "future":
            measured_on = date.today() + timedelta(days=3)
        elif trouble == "same":  # retyped as it is (a result with no label cannot be: any label changes it)
            gone = self._superseded()
            entered = sorted(i for i, m in self.measurements.items()
                             if i not in gone and not m[M["source"]].startswith("import:"))
            mid = data.draw(st.sampled_from(entered), label="entered") if entered else mid
            was = self.measurements[mid]
            if was[M["single_phase"]] is not None:
                single, phases, method, operator, notes, measured_on = (
                    bool(was[M["single_phase"]]), None, None, was[M["operator"]], was[M["notes"]], None)
            trouble = None  # refused (or not) as the model says, below
        published = mid in self.measurements and self._published_root(mid)
        # --literature confirms the correction of a dataset's row; now and then it is given wrongly
        literature = published if data.draw(st.integers(0, 4), label="literature right") else not published
        kw = dict(single_phase=single, phases=phases, method=method, operator=operator, notes=notes,
                  measured_on=measured_on, by=ACTOR, literature=literature)  # fmt: skip
        if trouble or mid in self._superseded() or published != literature or \
                text_refused(method=method, operator=operator, notes=notes):
            self._refused(correct_result, self.store, mid, **kw)
            if published != literature and not trouble:
                event("correction refused: --literature given for a lab result, or not for a published one")
            return
        old = self.measurements[mid]
        if self._says_the_same(old, single, phases, method, operator, notes, measured_on, published):
            self._refused(correct_result, self.store, mid, **kw)  # nothing to correct: nothing saved
            event("correction refused: it changes nothing")
            return
        formula = next(f for f, a in self.alloys.items() if a == old[M["alloy_id"]])
        m = correct_result(self.store, mid, **kw)
        (new_id,) = self._take_new_measurements([{
            "alloy_id": old[M["alloy_id"]], "single_phase": int(single), "phases": self._phases_kept(old, single, phases),
            "method": clean(method) or old[M["method"]],
            # who measured it carries over (a published result names no one: who enters it), unless given
            "operator": clean(operator) or old[M["operator"]] or ACTOR,
            "notes": clean(notes),
            "measured_on": measured_on.isoformat() if measured_on else old[M["measured_on"]],
            "source": "correction", "source_formula": formula, "source_key": None,
            "candidate_id": old[M["candidate_id"]], "supersedes_id": mid,
        }])  # fmt: skip
        assert m.id == new_id
        event("corrected")
        self._step([("measurement.correct", "measurement", new_id)])  # a correction never moves a candidate

    def _published_root(self, mid: int) -> bool:
        """Whether ``mid`` is a dataset's row or corrects one (through any chain of corrections)."""
        m = self.measurements[mid]
        while m[M["supersedes_id"]] is not None and not m[M["source"]].startswith("import:"):
            m = self.measurements[m[M["supersedes_id"]]]
        return m[M["source"]].startswith("import:")

    def _says_the_same(self, old: tuple, single, phases, method, operator, notes, measured_on,
                       published: bool = False) -> bool:
        """A correction that would restate ``old`` unchanged (the service refuses it); notes are the correction's
        own (none given: no notes), the operator carries over unless given; a published result has no operator."""
        return (old[M["single_phase"]] is not None and bool(old[M["single_phase"]]) == single
                and self._phases_kept(old, single, phases) == normalise_phases(old[M["phases"]])
                and (clean(method) or old[M["method"]]) == old[M["method"]]
                and (measured_on.isoformat() if measured_on else old[M["measured_on"]]) == old[M["measured_on"]]
                and clean(notes) == old[M["notes"]] and (published or (clean(operator) or old[M["operator"]] or ACTOR) == old[M["operator"]]))

    @staticmethod
    def _phases_kept(old: tuple, single: bool, phases: str | None) -> str | None:
        """A correction's phases: those given, else the old ones while the label stays."""
        if phases is not None:
            return stored_phases(phases)
        same = old[M["single_phase"]] is not None and bool(old[M["single_phase"]]) == single
        return normalise_phases(old[M["phases"]]) if same else None

    def _movable(self) -> list[int]:
        """Current lab results of a candidate, for which another candidate of another alloy could be the right one."""
        gone = self._superseded()
        return sorted(i for i, m in self.measurements.items() if i not in gone and m[M["candidate_id"]] is not None
                      and not m[M["source"]].startswith("import:"))

    @precondition(lambda self: self._movable() and self._with_status("exported", "measured"))
    @rule(data=st.data(), single=st.booleans())
    def move_a_result(self, data, single):
        """A result entered for the wrong candidate moves to the right one; the one it leaves is reopened when
        no current lab result is for it and (unless it is that one) its alloy has none left."""
        mid = data.draw(st.sampled_from(self._movable()), label="measurement")
        old = self.measurements[mid]
        targets = [c for c in self._with_status("exported", "measured")
                   if self.alloys[self.cand_formula[c]] != old[M["alloy_id"]]]
        if not targets:
            return
        target = data.draw(st.sampled_from(targets), label="right candidate")
        was_exported = self.candidates[target] == "exported"
        moved = move_result(self.store, mid, candidate_id=target, single_phase=single, by=ACTOR)
        (new_id,) = self._take_new_measurements([{
            "alloy_id": self.alloys[self.cand_formula[target]], "single_phase": int(single),
            "phases": self._phases_kept(old, single, None),
            "method": old[M["method"]], "operator": old[M["operator"]] or ACTOR, "notes": None,
            "measured_on": old[M["measured_on"]],
            "source": "correction", "source_formula": self.cand_formula[target], "source_key": None,
            "candidate_id": target, "supersedes_id": mid,
        }])  # fmt: skip
        gone = self._superseded()
        current = [m for i, m in self.measurements.items() if i not in gone and m[M["alloy_id"]] == old[M["alloy_id"]]
                   and not m[M["source"]].startswith("import:")]
        named = {m[M["candidate_id"]] for m in current}
        reopened = [c for c in self._with_status("measured") if self.alloys[self.cand_formula[c]] == old[M["alloy_id"]]
                    and c not in named and (c == old[M["candidate_id"]] or not current)]
        assert moved.measurement.id == new_id and sorted(moved.reopened) == reopened
        expected = [("measurement.correct", "measurement", new_id)]
        if was_exported:
            self.candidates[target] = "measured"
            expected.append(("candidate.measure", "candidate", target))
        for c in reopened:
            self.candidates[c] = "exported"
            expected.append(("candidate.reopen", "candidate", c))
        event(f"moved a result ({'reopened' if reopened else 'none reopened'})")
        self._step(expected)

    # --- proposals -------------------------------------------------------------------------------------

    @rule(data=st.data(), mode=st.sampled_from(["latent", "latent", "invert", "from store"]),
          batch=st.integers(1, 3), strategy=st.sampled_from(["balanced", "exploit", "explore"]))  # fmt: skip
    def propose_candidates(self, data, mode, batch, strategy):
        if mode == "latent":
            coords = st.floats(-3, 3, allow_nan=False)
            points = data.draw(st.lists(st.tuples(coords, coords), min_size=1, max_size=3), label="latent")
            req = ProposalRequest(mode="latent", latent=points, batch=batch, strategy=strategy)
        else:
            starts = () if mode == "from store" else data.draw(
                st.lists(st.sampled_from(self.t.multi_starts), min_size=1, max_size=2, unique=True), label="starts")
            req = ProposalRequest(mode="invert", starts=starts, from_multi_phase=2 if mode == "from store" else 0,
                                  inversion="proximal", cutoff=0.3, max_steps=8, batch=min(batch, 2),
                                  strategy=strategy, seed=data.draw(st.integers(0, 3), label="seed"))  # fmt: skip
        before = set(self.alloys)
        out = propose(self.store, req, by=ACTOR)
        ids = out.candidate_ids
        assert len(ids) <= req.batch and len(set(ids)) == len(ids)
        assert (out.run_id is None) == (not ids)
        rows = self.raw.execute(
            "SELECT c.id, c.status, a.formula, c.proposal_run_id, c.model_version_id FROM candidate c "
            "JOIN alloy a ON a.id = c.alloy_id WHERE c.id > ? ORDER BY c.id", (max(self.candidates, default=0),)
        ).fetchall()  # fmt: skip
        assert [r[0] for r in rows] == ids
        active = self.raw.execute("SELECT id FROM model_version WHERE active").fetchone()[0]
        for cid, status, formula, run_id, version in rows:
            assert status == "proposed" and run_id == out.run_id and version == active
            assert formula not in before, f"candidate {cid} ({formula}) duplicates an alloy already in the store"
            self.candidates[cid] = "proposed"
            self.cand_formula[cid] = formula
            self._add_alloy(formula)
        event(f"proposed {len(ids)} ({mode})")
        events = [("candidate.propose", "candidate", c) for c in ids]
        if out.run_id is not None:
            self.tables["proposal_run"] += 1
            events.append(("proposal.run", "proposal_run", out.run_id))
        self._step(events)

    @rule(kind=st.sampled_from(["batch", "strategy", "no starts", "bad start", "outside vocabulary", "latent dim",
                                "no latent", "mode"]))  # fmt: skip
    def propose_invalid(self, kind):
        req = {
            "batch": ProposalRequest(mode="latent", latent=[[0.0, 0.0]], batch=0),
            "strategy": ProposalRequest(mode="latent", latent=[[0.0, 0.0]], strategy="greediest"),
            "no starts": ProposalRequest(mode="invert", starts=()),
            "bad start": ProposalRequest(mode="invert", starts=["Xx2Fe"]),
            "outside vocabulary": ProposalRequest(mode="invert", starts=["GaFeNi"]),
            "latent dim": ProposalRequest(mode="latent", latent=[[0.0, 0.0, 0.0]]),
            "no latent": ProposalRequest(mode="latent", latent=[]),
            "mode": ProposalRequest(mode="dream"),
        }[kind]
        self._refused(propose, self.store, req, by=ACTOR)

    # --- decisions -------------------------------------------------------------------------------------

    def _decide(self, target: str, ids: list, reason) -> None:
        call = approve if target == "approved" else reject
        known = all(isinstance(i, int) and not isinstance(i, bool) and i in self.candidates for i in ids)
        legal = bool(ids) and known and all(target in LEGAL[self.candidates[i]] for i in ids)
        if not legal or len((reason or "").strip()) > MAX_REASON_LENGTH or text_refused(method=reason):
            self._refused(call, self.store, ids, by=ACTOR, reason=reason)
            return
        call(self.store, ids, by=ACTOR, reason=reason)
        unique = list(dict.fromkeys(ids))
        events = self._step([(f"candidate.{VERB[target]}", "candidate", i) for i in unique])
        for _, _, _, i, _, _, payload in events:
            p = json.loads(payload)
            assert (p["from"], p["to"], p["reason"]) == (self.candidates[i], target, clean(reason)), p
        event(f"decided: {target}")
        for i in unique:
            self.candidates[i] = target
        got = dict(self.raw.execute(
            f"SELECT id, status_reason FROM candidate WHERE id IN ({','.join('?' * len(unique))})", unique))
        assert got == {i: clean(reason) for i in unique}

    @precondition(lambda self: self.candidates)
    @rule(data=st.data(), goal=st.sampled_from(["approved", "rejected"]),
          reason=st.none() | st.text(max_size=20) | st.just("x" * (MAX_REASON_LENGTH + 1))
          | st.just(" " * (MAX_REASON_LENGTH + 200) + "ok"))  # fmt: skip
    def decide_any(self, data, goal, reason):
        pool = sorted(self.candidates) + [self._unknown_candidate()]
        ids = data.draw(st.lists(st.sampled_from(pool), max_size=4) | st.just([True]) | st.just(["1"]), label="ids")
        self._decide(goal, ids, reason)

    @precondition(lambda self: self._with_status("proposed", "approved", "rejected"))
    @rule(data=st.data(), goal=st.sampled_from(["approved", "approved", "rejected"]),
          reason=st.none() | st.sampled_from(["promising", "too close to a known alloy", "=1+1"]))
    def decide_legal(self, data, goal, reason):
        pool = [c for c, s in self.candidates.items() if goal in LEGAL[s]]
        if not pool:
            return
        ids = data.draw(st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=3), label="ids")
        self._decide(goal, ids, reason)

    @precondition(lambda self: self.candidates)
    @rule(data=st.data())
    def every_forbidden_move(self, data):
        """Every move the table forbids, from every status present (reject an exported candidate, export a
        rejected one, a result for an approved one...), alone or in a batch with legal ones: each is refused
        as a whole and changes nothing.  A sweep rather than one random pick, since Hypothesis draws
        rules and sampled values far from uniformly."""
        for action, status in FORBIDDEN:
            if status not in self.candidates.values():
                continue
            allowed_from = set(LEGAL) - {s for a, s in FORBIDDEN if a == action}
            ids = [data.draw(st.sampled_from(self._with_status(status)), label=f"{action} from {status}")]
            legal = self._with_status(*allowed_from)
            if legal and action in ("approve", "reject", "export") and data.draw(st.booleans(), label="batch"):
                ids += data.draw(st.lists(st.sampled_from(legal), min_size=1, max_size=2), label="legal")
                ids = data.draw(st.permutations(ids), label="order")
            if action in ("approve", "reject"):
                self._decide("approved" if action == "approve" else "rejected", ids, None)
            elif action == "export":
                self._export(ids, 20, "g", self.out / self._new_name(".csv"))
            elif action == "result":
                self._refused(add_result, self.store, None, ids[0], single_phase=True, by=ACTOR)
            else:
                path = self.dir / self._new_name(".csv")
                path.write_text(f"candidate_id,single_phase\n{ids[0]},no\n", encoding="utf-8")
                self._refused(import_results, self.store, path, by=ACTOR)

    # --- export ----------------------------------------------------------------------------------------

    @rule(data=st.data(), trouble=st.sampled_from([None, None, "selection", "selection", "mass", "path"]),
          suffix=st.sampled_from([".csv", ".csv", ".json"]))  # fmt: skip
    def export_candidates(self, data, trouble, suffix):
        """Export approved candidates; at most one kind of trouble at a time, so no check hides another."""
        approved = self._with_status("approved")
        if trouble == "selection":
            # The kind of bad selection first (every status that cannot be exported equally often), then ids.
            kinds = ["no ids", "unknown id", *sorted({s for s in self.candidates.values() if s != "approved"})]
            kinds += ["all, none approved"] if not approved else []
            kind = data.draw(st.sampled_from(kinds), label="bad selection")
            extra = data.draw(st.lists(st.sampled_from(approved), max_size=2) if approved else st.just([]))
            if kind == "all, none approved":
                ids = None
            elif kind == "no ids":
                ids = []
            else:
                bad = self._unknown_candidate() if kind == "unknown id" else data.draw(
                    st.sampled_from(self._with_status(kind)), label="not approved")
                ids = data.draw(st.permutations([bad, *extra]), label="ids")
        elif approved and data.draw(st.booleans(), label="by id"):
            ids = data.draw(st.lists(st.sampled_from(approved), min_size=1, max_size=3), label="ids")
        else:
            ids = None
        mass = data.draw(st.sampled_from(BAD_MASSES if trouble == "mass" else GOOD_MASSES), label="mass")
        if trouble == "path" and self.files and data.draw(st.booleans(), label="existing"):
            out = data.draw(st.sampled_from(sorted(self.files)), label="existing file")
        elif trouble == "path":
            out = self.out / "missing" / f"batch{suffix}"
        else:
            out = self.out / self._new_name(suffix)
        self._export(ids, *mass, out)

    def _alloys_with_a_lab_result(self) -> set[int]:
        """Alloys with a current lab result that says a label (not a dataset row)."""
        gone = self._superseded()
        return {m[M["alloy_id"]] for i, m in self.measurements.items() if i not in gone
                and m[M["single_phase"]] is not None and not m[M["source"]].startswith("import:")}

    def _export(self, ids: list | None, value, unit: str, out: Path) -> None:
        """Export (or expect a refusal that changes nothing), then check the file and the rows."""
        approved = self._with_status("approved")
        existed = out.exists()
        per_unit = {"g": 10_000, "mg": 10}.get(unit)  # the service weighs in whole 0.1 mg
        mass_ok = per_unit is not None and isinstance(value, (int, float)) and math.isfinite(value) and value > 0
        mass_ok = mass_ok and abs(value * per_unit - round(value * per_unit)) < 1e-6
        mass_ok = mass_ok and 1000 <= value * per_unit <= 10_000_000  # 100 mg to 1 kg without --yes
        selected = approved if ids is None else list(dict.fromkeys(ids))
        legal = bool(selected) and all(self.candidates.get(i) == "approved" for i in selected)
        measured = self._alloys_with_a_lab_result()  # measured since approval: export asks for --yes
        legal = legal and not any(self.alloys[self.cand_formula[i]] in measured for i in selected)
        if not (mass_ok and legal and not existed and out.parent.is_dir()):
            self._refused(export_batch, self.store, ids=ids, mass=value, unit=unit, out=out, by=ACTOR)
            assert out.exists() == existed  # no file appeared, an existing one is checked by the invariants
            return
        res = export_batch(self.store, ids=ids, mass=value, unit=unit, out=out, by=ACTOR)
        assert sorted(res.candidate_ids) == sorted(selected)
        digest = sha256(out)
        assert res.sha256 == digest
        batch = self.raw.execute("SELECT id, path, file_sha256, candidate_ids, format FROM export_batch "
                                 "WHERE id = ?", (res.batch_id,)).fetchone()  # fmt: skip
        assert batch[1:] == (str(out.resolve()), digest, json.dumps(res.candidate_ids), res.format), batch
        if res.format == "json":
            listed = {c["candidate_id"]: c["formula"] for c in json.loads(out.read_text("utf-8"))["candidates"]}
        else:
            with out.open(newline="", encoding="utf-8") as fh:
                listed = {int(r["candidate_id"]): r["formula"] for r in csv.DictReader(fh)}
        assert listed == {i: self.cand_formula[i] for i in selected}
        event("exported")
        self.files[out] = digest
        self.tables["export_batch"] += 1
        for i in selected:
            self.candidates[i] = "exported"
        self._step([("export_batch.create", "export_batch", res.batch_id)]
                   + [("candidate.export", "candidate", i) for i in selected])

    # --- backup ----------------------------------------------------------------------------------------

    @rule(data=st.data(), where=st.sampled_from(["new", "new", "existing", "no folder"]))
    def backup_store(self, data, where):
        if where == "existing" and self.files:
            target = data.draw(st.sampled_from(sorted(self.files)), label="existing file")
        elif where == "no folder":
            target = self.out / "missing" / "b.db"
        else:
            target = self.out / self._new_name(".db")
        if target.exists():
            self._refused(backup, self.store, target)
            return
        res = backup(self.store, target)  # a missing folder is made for it
        self._step([])  # a backup changes nothing in the store
        assert res.integrity == "ok" and res.path == target
        copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
            tables = [r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                 "AND name NOT LIKE 'sqlite_%'")]  # fmt: skip
            counts = {t: copy.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
            assert res.counts == counts == {t: self._count(f'"{t}"') for t in tables}
            cols = ", ".join(MEASUREMENT_COLUMNS)
            assert {r[0]: r for r in copy.execute(f"SELECT {cols} FROM measurement")} == self.measurements
            assert dict(copy.execute("SELECT id, status FROM candidate")) == self.candidates
        finally:
            copy.close()
        self.files[target] = sha256(target)

    # --- invariants ------------------------------------------------------------------------------------

    @invariant()
    def store_matches_model(self):
        counts = {t: self._count(t) for t in COUNTED}
        assert counts == {"alloy": len(self.alloys), "measurement": len(self.measurements),
                          "candidate": len(self.candidates), "audit_event": self.audit_total, **self.tables}
        # Append-only: every measurement ever seen, unchanged; nothing the model did not expect.
        assert self._measurement_rows() == self.measurements
        assert dict(self.raw.execute("SELECT formula, id FROM alloy")) == self.alloys
        statuses = dict(self.raw.execute("SELECT id, status FROM candidate"))
        assert statuses == self.candidates and set(statuses.values()) <= set(LEGAL)
        assert self.raw.execute("SELECT count(*) FROM model_version WHERE active").fetchone()[0] == 1

    @invariant()
    def audit_trail_explains_the_rows(self):
        # Every candidate's trail is a chain of legal moves ending in its status.
        chain: dict[int, str] = {}
        for cid, action, payload in self.raw.execute(
                "SELECT entity_id, action, payload FROM audit_event WHERE entity = 'candidate' ORDER BY id"):
            if action == "candidate.propose":
                assert cid not in chain
                chain[cid] = "proposed"
                continue
            p = json.loads(payload)
            assert p["from"] == chain[cid] and p["to"] in LEGAL[chain[cid]], (cid, action, p)
            assert action == f"candidate.{MOVE_VERB.get((p['from'], p['to']), VERB[p['to']])}"
            chain[cid] = p["to"]
        assert chain == self.candidates
        # Every measurement outside a dataset import has its own event; imports have theirs.
        by_event = [i for (i,) in self.raw.execute("SELECT entity_id FROM audit_event WHERE entity = 'measurement'")]
        assert sorted(by_event) == sorted(i for i, r in self.measurements.items()
                                          if not r[M["source"]].startswith("import:"))  # fmt: skip

    @invariant()
    def sqlite_and_files_are_sound(self):
        assert self.raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert self.raw.execute("PRAGMA foreign_key_check").fetchall() == []
        for path, digest in self.files.items():
            assert sha256(path) == digest, f"{path} changed after it was written"
        assert not [p.name for p in self.out.rglob("*") if p.name.startswith(".")], "temporary files left behind"


TestCampaignMachine = CampaignMachine.TestCase
TestCampaignMachine.settings = settings(
    # At least 200 examples under the default "ci" profile; a profile asking for more
    # (--hypothesis-profile=long: 2000) wins, since settings() starts from the loaded profile.
    max_examples=max(200, settings.default.max_examples),
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
