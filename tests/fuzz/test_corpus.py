"""Every input the fuzzers found (and a few known-nasty ones), on every test run.

tests/fuzz/corpus/formulas.jsonl: one JSON object a line,
    {"input": "...", "allow_zero": false, "expect": "<canonical formula>" | "error",
     "found_by": "...", "note": "..."}
  or {"fractions": {"Fe": 1.0, ...}, ...} for from_fractions.  "expect" is optional.
tests/fuzz/corpus/csv/: byte-exact files, dataset-*.csv (import_csv) or results-*.csv
(import_results, into a store holding exported candidates 1-3); index.jsonl may say
{"file", "found_by", "note", "expect": "ok" | "error", "error_lines": [...], "rows": n,
 "columns": {"formula_column": ...}} about a file.

Each entry goes through the same property checks as the Hypothesis tests
(tests/fuzz/props.py), plus the pinned expectation when there is one.  The
atheris harnesses in fuzz/ append what they find here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hea_campaign.campaign.chemistry import FormulaError, from_fractions
from hea_campaign.campaign.errors import CampaignError

from .conftest import add_exported_candidates, new_store
from .props import check_composition, check_dataset_import, check_formula, check_results_import, check_user_message

CORPUS = Path(__file__).parent / "corpus"
FORMULAS = CORPUS / "formulas.jsonl"
CSV_DIR = CORPUS / "csv"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="ascii").splitlines() if line.strip()]


FORMULA_ENTRIES = _jsonl(FORMULAS)
CSV_NOTES = {e["file"]: e for e in _jsonl(CSV_DIR / "index.jsonl")}
CSV_FILES = sorted(p.name for p in CSV_DIR.glob("*.csv"))


def _id(entry: dict) -> str:
    shown = repr(entry.get("input", entry.get("fractions")))
    return shown if len(shown) <= 40 else f"{shown[:30]}...x{len(shown)}"


@pytest.mark.parametrize("entry", FORMULA_ENTRIES, ids=[_id(e) for e in FORMULA_ENTRIES])
def test_formula_corpus(entry):
    expect = entry.get("expect")
    if "fractions" in entry:
        try:
            comp = from_fractions(entry["fractions"])
        except FormulaError as exc:
            assert isinstance(exc, CampaignError)
            check_user_message(exc)
            comp = None
        else:
            check_composition(comp, repr(entry["fractions"]))
    else:
        allow_zero = entry.get("allow_zero", False)
        comp = check_formula(entry["input"], allow_zero=allow_zero)
        check_formula(entry["input"], allow_zero=not allow_zero)
    if expect == "error":
        assert comp is None, f"expected a refusal, got {comp.formula}"
    elif expect is not None:
        assert comp is not None and comp.formula == expect


def test_corpus_index_names_existing_files():
    assert FORMULA_ENTRIES and CSV_FILES
    for name in CSV_NOTES:
        assert (CSV_DIR / name).is_file(), f"index.jsonl names a missing file {name}"
    for name in CSV_FILES:
        assert name.startswith(("dataset-", "results-")), f"{name}: prefix it with dataset- or results-"


@pytest.mark.parametrize("name", CSV_FILES)
def test_csv_corpus(name, tmp_path):
    path = CSV_DIR / name
    note = CSV_NOTES.get(name, {})
    store = new_store(tmp_path)
    try:
        if name.startswith("dataset-"):
            columns = note.get("columns", {})
            out = check_dataset_import(store, path, source=name, **columns)
            check_dataset_import(store, path, source=name, skip_bad=True, **columns)
            reported = [line for line, _ in out.error.report.errors] if out.error is not None and hasattr(
                out.error, "report") else None  # fmt: skip
        else:
            add_exported_candidates(store)
            out = check_results_import(store, path)
            reported = [line for line, _ in out.error.errors] if hasattr(out.error, "errors") else None
    finally:
        store.close()
    if note.get("expect") == "ok":
        assert out.error is None, f"{name} was refused: {out.error}"
        if "rows" in note:
            assert out.report.rows == note["rows"]
    elif note.get("expect") == "error":
        assert out.error is not None, f"{name} was imported"
        if "error_lines" in note:
            assert reported == note["error_lines"] or (
                reported is None and all(f"line {n}" in str(out.error) for n in note["error_lines"])
            ), f"{name}: {out.error}"
