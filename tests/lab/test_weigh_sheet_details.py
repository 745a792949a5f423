"""A weigh sheet with the optional columns a results CSV accepts (operator, measured_on, method, notes),
added by the lab: read by the same parser as a results CSV, and stored with the result."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlmodel import select

from hea_campaign.campaign.results import ResultsImportFailed, import_results
from hea_campaign.db.tables import Measurement

from .test_weigh_sheet import _rows, _sheet

EXTRA = ["operator", "measured_on", "method", "notes"]


def _fill_with_details(path, cid: str, result: tuple, details: dict[str, str], weighed: dict[str, str]):
    """The sheet with the lab's four columns added; ``cid``'s first line gets the result and ``details``
    (its other lines the masses only, and the details left blank)."""
    header, *lines = _rows(path)
    header = header + EXTRA
    first = True
    for r in lines:
        r += ["", "", "", ""]
        if r[0] == cid:
            r[6] = weighed.get(r[2], "")
            if first:
                r[7], r[8] = result
                r[-4:] = [details.get(c, "") for c in EXTRA]
                first = False
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *lines])


def test_operator_date_method_and_notes_on_a_sheet_are_stored_with_the_result(store, tmp_path):
    (a, b), _, out = _sheet(store, tmp_path, ["FeNi", "CoNi"])
    _fill_with_details(out, str(a), ("yes", "FCC"),
                       {"operator": "Ann Lee", "measured_on": "2026-11-03", "method": "XRD",
                        "notes": "[bold]arc melted[/] 3x; DROP TABLE measurement"},  # kept as typed, not markup
                       {"Fe": "10.0", "Ni": "10.0"})
    report = import_results(store, out, by="bob")
    assert (report.measurements_added, report.weighed, report.waiting) == (1, 1, 1)
    with store.read() as s:
        (m,) = s.exec(select(Measurement)).all()
    assert (m.candidate_id, m.single_phase, m.phases) == (a, True, "FCC")
    assert (m.operator, m.measured_on, m.method) == ("Ann Lee", date(2026, 11, 3), "XRD")
    assert m.notes == "[bold]arc melted[/] 3x; DROP TABLE measurement"
    assert m.made_composition
    assert import_results(store, out, by="bob").measurements_added == 0  # the same sheet again: nothing new


def test_a_bad_date_on_a_sheet_is_refused_as_in_a_results_csv(store, tmp_path):
    (a, _b), _, out = _sheet(store, tmp_path, ["FeNi", "CoNi"])
    _fill_with_details(out, str(a), ("yes", "FCC"), {"measured_on": "2026-13-45"}, {})
    with pytest.raises(ResultsImportFailed) as info:
        import_results(store, out)
    ((line, why),) = info.value.errors
    assert line == 2 and "2026-13-45" in why
    with store.read() as s:
        assert s.exec(select(Measurement)).all() == []


def test_two_operators_for_one_candidate_are_refused_naming_the_line(store, tmp_path):
    (a, _b), _, out = _sheet(store, tmp_path, ["FeNi", "CoNi"])
    _fill_with_details(out, str(a), ("yes", "FCC"), {"operator": "Ann"}, {})
    header, *lines = _rows(out)
    lines[1][header.index("operator")] = "Bob"  # a's second line names someone else
    with open(out, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *lines])
    with pytest.raises(ResultsImportFailed) as info:
        import_results(store, out)
    ((line, why),) = info.value.errors
    assert line == 3 and "operator" in why and "'Bob'" in why and "'Ann'" in why
