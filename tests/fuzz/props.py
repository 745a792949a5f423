"""The properties every fuzzed input must satisfy, shared by the Hypothesis tests,
the corpus test and the atheris harnesses (fuzz/ at the repo root).

Formula parser: ``parse_formula`` returns a Composition that is finite,
positive, normalised and canonical (its formula re-parses to exactly the same
composition), or raises FormulaError, a CampaignError, with one printable line;
it never raises anything else and never takes long.

CSV importers: ``import_csv`` / ``import_results`` either succeed, with counts
that agree with the store and a re-import that changes nothing, or raise a
CampaignError (one printable line, line numbers that exist in the file) and
leave the store exactly as it was.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import func, select

from hea_campaign.campaign.chemistry import (
    Composition,
    FormulaError,
    canonical_formula,
    from_fractions,
    parse_formula,
)
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.db.tables import Alloy, AuditEvent, Candidate, Measurement

#: what one parse takes on a quiet machine, with room; the alarm below fires only far past it (a hang)
PARSE_SECONDS = 1.0
#: the same for one import (a few hundred rows at most)
IMPORT_SECONDS = 20.0
#: the store's column width for formulas (db/tables.py: Alloy.formula, Measurement.source_formula)
FORMULA_COLUMN = 400
_CANONICAL = re.compile(r"^(?:[A-Z][a-z]?(?:\d+(?:\.\d+)?)?)+$")


#: the atheris harnesses turn this off: libFuzzer's -timeout owns SIGALRM there
USE_ALARM = True


class Hang(Exception):
    """Raised by the alarm when a call runs far past its budget."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Stop a call that hangs (SIGALRM, main thread) instead of hanging the whole test run.

    Only a hang fails: the alarm fires at 60 times ``seconds`` (at least two minutes), far past what a
    loaded machine adds. How long a call takes is not asserted: a busy CI machine once took 2.1 s for a
    parse budgeted at 1 s. Speed belongs in bench/."""
    hard = max(120.0, 60 * seconds)

    def _alarm(signum, frame):  # pragma: no cover - only on a hang
        raise Hang(f"{what} still running after {hard:.0f} s")

    use_alarm = USE_ALARM and hasattr(signal, "setitimer")
    if use_alarm:
        try:
            old = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, hard)
        except ValueError:  # not the main thread
            use_alarm = False
    try:
        yield
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def check_user_message(exc: BaseException, *, max_len: int = 2000) -> str:
    """A user error's message: non-empty, one line, printable, encodable."""
    msg = str(exc)
    assert msg.strip(), f"{type(exc).__name__} with an empty message"
    assert len(msg.splitlines()) == 1, f"message spans lines: {msg!r}"
    assert msg.isprintable(), f"message has unprintable characters: {msg!r}"
    msg.encode("utf-8")  # no lone surrogates: a terminal can show it
    assert len(msg) <= max_len, f"message is {len(msg)} characters long"
    assert "Traceback" not in msg
    return msg


# --- formulas -----------------------------------------------------------------


def check_composition(comp: Composition, text: str) -> None:
    """What every successfully parsed composition must be."""
    assert isinstance(comp, Composition)
    assert len(comp.elements) == len(comp.fractions) >= 1
    assert list(comp.elements) == sorted(set(comp.elements)), comp.elements
    for f in comp.fractions:
        assert isinstance(f, float) and math.isfinite(f) and 0 < f <= 1, (text, comp)
    assert math.isclose(math.fsum(comp.fractions), 1.0, abs_tol=1e-9), (text, comp)
    formula = comp.formula
    assert _CANONICAL.match(formula), f"{text!r} -> non-canonical text {formula!r}"
    assert len(formula) <= FORMULA_COLUMN, f"{text!r} -> {len(formula)}-character formula (column: {FORMULA_COLUMN})"
    again = parse_formula(formula)
    assert again == comp, f"{text!r} -> {formula!r} re-parses to {again}, not {comp}"
    assert again.formula == formula, f"{text!r} -> {formula!r} -> {again.formula!r}: canonical form not a fixed point"
    assert canonical_formula(comp.as_dict()) == formula
    assert from_fractions(comp.as_dict()) == comp


def check_formula(text, *, allow_zero: bool = False, expected: dict[str, float] | None | str = "unknown"):
    """Run one input through parse_formula and check the property; returns the Composition or None.

    ``expected``: "unknown" (only the general property), None (must be refused),
    or element -> amount (must parse, to these fractions within the canonical
    rounding of 0.001 at.% per element).
    """
    with time_limit(PARSE_SECONDS, f"parse_formula({text!r:.60})"):
        try:
            comp = parse_formula(text, allow_zero=allow_zero)
        except FormulaError as exc:
            comp, error = None, exc
        except Exception as exc:  # noqa: BLE001 - this is what the fuzzer hunts
            raise AssertionError(f"parse_formula({text!r}, allow_zero={allow_zero}) crashed: {exc!r}") from exc
        else:
            error = None
    if error is not None:
        assert isinstance(error, CampaignError), "FormulaError must be a CampaignError"
        check_user_message(error)
        assert expected == "unknown" or expected is None, f"{text!r} was refused: {error}"
        return None
    check_composition(comp, text)
    assert expected is not None, f"{text!r} should have been refused, got {comp.formula}"
    if isinstance(expected, dict):
        total = math.fsum(expected.values())
        want = {e: a / total for e, a in expected.items()}
        assert set(comp.elements) == set(want), f"{text!r}: elements {comp.elements}, expected {sorted(want)}"
        tol = 1e-5 * (len(want) + 1)
        for e, f in comp.as_dict().items():
            assert abs(f - want[e]) <= tol, f"{text!r}: {e} {f} vs expected {want[e]}"
    if not allow_zero:  # allow_zero only relaxes: what parses strictly parses the same way leniently
        assert parse_formula(text, allow_zero=True) == comp
    return comp


# --- CSV imports ----------------------------------------------------------------


def counts(store) -> dict[str, int]:
    with store.read() as s:
        out = {
            name: s.exec(select(func.count()).select_from(table)).one()
            for name, table in [("alloy", Alloy), ("measurement", Measurement), ("candidate", Candidate),
                                ("audit", AuditEvent)]
        }  # fmt: skip
        out["max_measurement"] = s.exec(select(func.max(Measurement.id))).one() or 0
        out["statuses"] = tuple(sorted(s.exec(select(Candidate.id, Candidate.status)).all()))
    return out


def physical_lines(data: bytes) -> int:
    """Lines of the file as an editor numbers them (\\r\\n, \\r or \\n end a line)."""
    text = data.decode("utf-8", errors="replace")
    return max(1, len(io.StringIO(text, newline="").readlines()))


def check_line_numbers(msg: str, data: bytes) -> list[int]:
    lines = [int(n) for n in re.findall(r"\bline (\d+)", msg)]
    n = physical_lines(data)
    for line in lines:
        assert 1 <= line <= n, f"message names line {line} but the file has {n} lines: {msg}"
    return lines


@dataclass
class Outcome:
    report: object | None
    error: CampaignError | None


def check_dataset_import(store, path: Path, *, source: str, skip_bad: bool = False, **columns) -> Outcome:
    """import_csv: success with consistent counts and an idempotent re-import, or a clean refusal."""
    from hea_campaign.campaign.datasets import read_table
    from hea_campaign.campaign.importing import ImportFailed, import_csv

    data = path.read_bytes()
    before = counts(store)
    with time_limit(IMPORT_SECONDS, f"import_csv({path.name})"):
        try:
            table = read_table(path, **columns)
            report = import_csv(store, path, source=source, skip_bad=skip_bad, actor="fuzz", **columns)
        except CampaignError as exc:
            report, error = None, exc
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"import_csv crashed on {data[:300]!r}: {exc!r}") from exc
        else:
            error = None
    after = counts(store)
    if error is not None:
        msg = check_user_message(error, max_len=5000)
        check_line_numbers(msg, data)
        assert after == before, f"a failed import changed the store: {before} -> {after}"
        if isinstance(error, ImportFailed):
            assert not skip_bad and error.report.errors and not error.report.written
            for line, _ in error.report.errors:
                assert 1 <= line <= physical_lines(data)
        return Outcome(None, error)
    # success: the report agrees with the table and with the store
    assert report.written
    assert report.rows == len(table.rows)
    good = report.rows - len(report.errors)
    assert report.labelled_rows + report.unlabelled_rows == good
    assert report.measurements_added + report.already_imported == good
    assert after["alloy"] - before["alloy"] == report.alloys_added
    assert after["measurement"] - before["measurement"] == report.measurements_added
    changed = bool(report.alloys_added or report.measurements_added)
    assert after["audit"] - before["audit"] == int(changed)
    assert after["candidate"] == before["candidate"] and after["statuses"] == before["statuses"]
    assert report.errors == [] or skip_bad
    for line, msg in report.errors:
        assert 1 <= line <= physical_lines(data)
        assert msg and len(msg.splitlines()) == 1 and msg.isprintable(), msg
    # re-importing the same file changes nothing
    again = import_csv(store, path, source=source, skip_bad=skip_bad, actor="fuzz", **columns)
    assert (again.alloys_added, again.measurements_added) == (0, 0)
    assert again.already_imported == good
    assert counts(store) == after, "re-importing the same file changed the store"
    return Outcome(report, None)


def check_results_import(store, path: Path) -> Outcome:
    """import_results: the same contract for lab-result CSVs."""
    from hea_campaign.campaign.results import ResultsImportFailed, import_results

    data = path.read_bytes()
    before = counts(store)
    with time_limit(IMPORT_SECONDS, f"import_results({path.name})"):
        try:
            # one store takes every example: a label that contradicts an earlier example's is a second
            # ingot here (refusing contradictions by default is tested in tests/lab)
            report = import_results(store, path, by="fuzz", allow_conflicts=True)
        except CampaignError as exc:
            report, error = None, exc
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"import_results crashed on {data[:300]!r}: {exc!r}") from exc
        else:
            error = None
    after = counts(store)
    if error is not None:
        msg = check_user_message(error, max_len=5000)
        check_line_numbers(msg, data)
        assert after == before, f"a failed results import changed the store: {before} -> {after}"
        if isinstance(error, ResultsImportFailed):
            assert error.errors
            for line, m in error.errors:
                assert 2 <= line <= physical_lines(data), (line, m)
                assert m and len(m.splitlines()) == 1 and m.isprintable(), m
        return Outcome(None, error)
    # a row that repeats a stored lab result (an earlier example's, in this shared store) is named, not stored
    assert report.measurements_added + report.already_imported + len(report.already_recorded) == report.rows
    assert all(m <= before["max_measurement"] for _, m in report.already_recorded)
    assert after["measurement"] - before["measurement"] == report.measurements_added
    assert after["alloy"] - before["alloy"] == report.alloys_added
    assert len(report.measurement_ids) == report.measurements_added
    assert all(i > before["max_measurement"] for i in report.measurement_ids)
    # one alloy.add per new alloy, one measurement.add per row, one candidate move per measured
    # candidate, one results.import per file that added anything
    expected_audit = report.alloys_added + report.measurements_added + report.candidates_measured
    expected_audit += int(report.measurements_added > 0)
    assert after["audit"] - before["audit"] == expected_audit
    moved = [(i, s) for (i, s) in after["statuses"] if (i, s) not in before["statuses"]]
    assert len(moved) == report.candidates_measured and all(s == "measured" for _, s in moved)
    again = import_results(store, path, by="fuzz", allow_conflicts=True)
    assert again.measurements_added == 0 and again.already_imported + len(again.already_recorded) == report.rows
    assert counts(store) == after, "re-importing the same results file changed the store"
    return Outcome(report, None)
