"""Fuzzing the CSV readers and importers (issue 8).

Property (tests/fuzz/props.py): an import either succeeds, with a report that
agrees with the store and a re-import that changes nothing, or raises a
CampaignError (one printable line, line numbers that exist in the file) and
leaves the store exactly as it was: same rows, same audit events.

Well-formed files (written by csv.writer) know the fate of every row, so the
tests also check which rows are refused (by line) and what is stored for the
others.  Raw files are glued from CSV fragments and random bytes.  Each test
function shares one store across its examples; every check is relative to the
counts just before the import.  Crashing files go to tests/fuzz/corpus/csv/.
"""

from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.campaign.datasets import read_table
from hea_campaign.campaign.importing import ImportFailed
from hea_campaign.campaign.results import ResultsImportFailed
from hea_campaign.db.tables import Alloy, Measurement

from .conftest import next_path
from .props import check_dataset_import, check_results_import, physical_lines
from .strategies import dataset_csvs, raw_csv_bytes, results_csvs

_sources = itertools.count()
fixture_ok = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _outcome(out) -> str:
    if out.error is None:
        return "imported" if getattr(out.report, "measurements_added", 0) else "nothing new"
    return f"refused: {type(out.error).__name__}"


def _row_of(line: int, spans) -> int:
    hits = [i for i, (first, last) in enumerate(spans) if first <= line <= last]
    assert len(hits) == 1, f"line {line} is not inside exactly one data row ({spans})"
    return hits[0]


@fixture_ok
@given(case=dataset_csvs())
def test_well_formed_dataset_files_import_exactly_their_good_rows(dataset_store, fuzz_dir, case):
    path = next_path(fuzz_dir)
    path.write_bytes(case.data)
    source = f"fuzz{next(_sources)}"
    table_rows = read_table(path).rows
    assert len(table_rows) == len(case.rows), f"{len(table_rows)} rows read, {len(case.rows)} written"
    for raw, row, span in zip(table_rows, case.rows, case.spans, strict=True):
        assert span[0] <= raw.line <= span[1], (raw.line, span)
        assert raw.text == row.formula
        assert raw.phases == row.phases
        if raw.error is None:
            assert raw.single_phase == row.label, (raw, row)
    assert read_table(path).layout == case.layout

    out = check_dataset_import(dataset_store, path, source=source, skip_bad=case.skip_bad)
    event(_outcome(out))
    bad = {i for i, r in enumerate(case.rows) if r.bad}
    if out.error is not None:
        assert isinstance(out.error, ImportFailed), f"{out.error!r} for a well-formed file"
        assert not case.skip_bad
        assert {_row_of(line, case.spans) for line, _ in out.error.report.errors} == bad
        return
    assert case.skip_bad or not bad, "bad rows were imported"
    assert {_row_of(line, case.spans) for line, _ in out.report.errors} == bad
    if out.report.already_imported:
        return  # the same bytes were imported by an earlier example
    with dataset_store.read() as s:
        stored = s.exec(
            select(Measurement.source_formula, Measurement.single_phase, Measurement.phases, Alloy.formula)
            .join(Alloy, Alloy.id == Measurement.alloy_id)
            .where(Measurement.source == f"import:{source}")
        ).all()
    want = [
        (r.formula, r.label, r.phases, parse_formula(r.formula, allow_zero=True).formula)
        for i, r in enumerate(case.rows)
        if i not in bad
    ]
    assert Counter(map(tuple, stored)) == Counter(want)


@fixture_ok
@given(data=raw_csv_bytes, skip_bad=st.booleans(), column=st.sampled_from([None, None, None, "formula", "Alloys", "x"]))
def test_raw_bytes_as_a_dataset(dataset_store, fuzz_dir, data, skip_bad, column):
    path = next_path(fuzz_dir)
    path.write_bytes(data)
    columns = {"formula_column": column} if column else {}
    out = check_dataset_import(dataset_store, path, source=f"fuzz{next(_sources)}", skip_bad=skip_bad, **columns)
    event(_outcome(out))


@fixture_ok
@given(data=st.data())
def test_well_formed_results_files_refuse_exactly_their_bad_rows(results_store, fuzz_dir, data):
    store, candidates = results_store
    case = data.draw(results_csvs(candidates))
    path = next_path(fuzz_dir)
    path.write_bytes(case.data)
    out = check_results_import(store, path)
    event(_outcome(out))
    if case.n_rows == 0:
        assert out.error is not None
        return
    if case.bad_lines:
        assert isinstance(out.error, ResultsImportFailed), f"expected bad lines {case.bad_lines}, got {out}"
        assert {line for line, _ in out.error.errors} == case.bad_lines
    else:
        assert out.error is None, f"a good file was refused: {out.error}"
        assert out.report.rows == case.n_rows


@fixture_ok
@given(data=raw_csv_bytes)
def test_raw_bytes_as_a_results_file(results_store, fuzz_dir, data):
    store, _ = results_store
    path = next_path(fuzz_dir)
    path.write_bytes(data)
    event(_outcome(check_results_import(store, path)))


@fixture_ok
@given(
    header=st.sampled_from([b"formula,single_phase", b"candidate_id,single_phase,phases", b"Alloys,Class",
                            b"FORMULA,PROPERTY: Microstructure", b"formula,label,phases"]),
    rows=st.lists(st.lists(st.binary(max_size=12) | st.sampled_from([b"FeNi", b"yes", b"FCC", b'"', b"1"]),
                           max_size=4).map(b",".join), max_size=8),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
)  # fmt: skip
def test_recognised_headers_with_random_cells(dataset_store, results_store, fuzz_dir, header, rows, newline):
    data = newline.join([header, *rows])
    path = next_path(fuzz_dir)
    path.write_bytes(data)
    assert physical_lines(data) >= 1
    event("dataset: " + _outcome(check_dataset_import(dataset_store, path, source=f"fuzz{next(_sources)}")))
    event("results: " + _outcome(check_results_import(results_store[0], path)))
