"""Results find their candidates, a double Save is caught, grown result files add only new rows,
and a correction is shown under the person who entered it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hea_campaign.campaign.results import (
    DuplicateResult,
    add_result,
    correct_result,
    history,
    import_results,
    record_result,
)
from hea_campaign.campaign.status import campaign_status
from hea_campaign.db.tables import AuditEvent, Measurement

from .conftest import candidate_statuses, counts, insert_candidates


def test_a_result_by_formula_for_an_exported_candidates_alloy_marks_it_measured(store):
    (cid,) = insert_candidates(store, ["Co29Al6Cr10Fe22Ni29Ti4"], status="exported")
    (other,) = insert_candidates(store, ["FeNi"], status="exported")
    done = record_result(store, "Al6Co29Cr10Fe22Ni29Ti4", single_phase=True, by="amy")  # another spelling
    assert done.measurement.candidate_id == cid and done.candidate_moved
    assert candidate_statuses(store, [cid, other]) == {cid: "measured", other: "exported"}
    status = campaign_status(store)
    assert status.candidates["measured"] == 1 and status.candidates["exported"] == 1
    with store.read() as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["measurement.add", "candidate.measure"]
    entries = history(store, "Co29Al6Cr10Fe22Ni29Ti4").entries
    assert [e.action for e in entries][-2:] == ["measurement.add", "candidate.measure"]


def test_a_result_by_formula_moves_every_exported_candidate_of_the_alloy_and_no_other(store):
    a, b = insert_candidates(store, ["CoCrFeNi", "CoCrFeNi"], status="exported")
    (approved,) = insert_candidates(store, ["CoCrFeNi"], status="approved")
    done = record_result(store, "CoCrFeNi", single_phase=True)
    assert done.measurement.candidate_id == a and done.also_measured == [b]
    assert candidate_statuses(store, [a, b, approved]) == {a: "measured", b: "measured", approved: "approved"}


def test_the_same_result_twice_within_minutes_is_refused_unless_confirmed(store):
    (cid,) = insert_candidates(store, ["FeNi"], status="exported")
    first = record_result(store, candidate_id=cid, single_phase=True, phases="FCC", method="XRD", by="amy",
                          check_duplicates=True)  # fmt: skip
    before = counts(store)
    for kwargs in ({"candidate_id": cid}, {"formula": "NiFe"}):  # by id or by formula: the same alloy
        with pytest.raises(DuplicateResult, match=f"measurement {first.measurement.id}.*confirm"):
            record_result(store, **kwargs, single_phase=True, phases="FCC", method="XRD", by="amy",
                          check_duplicates=True)  # fmt: skip
    assert counts(store) == before
    # a different result is not a duplicate, and a confirmed repeat is stored
    record_result(store, "FeNi", single_phase=True, phases="FCC", method="SEM", by="amy", check_duplicates=True)
    again = record_result(store, candidate_id=cid, single_phase=True, phases="FCC", method="XRD", by="amy",
                          check_duplicates=False)  # fmt: skip
    assert again.measurement.id != first.measurement.id
    assert counts(store)["measurement"] == before["measurement"] + 2


def test_an_old_equal_result_is_not_a_duplicate(store, monkeypatch):
    from hea_campaign.campaign import results

    add_result(store, "FeNi", single_phase=True, by="amy")
    monkeypatch.setattr(results, "DUPLICATE_WINDOW", results.DUPLICATE_WINDOW * 0)
    record_result(store, "FeNi", single_phase=True, by="amy", check_duplicates=True)
    assert counts(store)["measurement"] == 2


def _csv(path, rows):
    path.write_text("\n".join(["formula,single_phase,method,operator,measured_on", *rows]) + "\n", encoding="utf-8")
    return path


def test_a_grown_results_file_adds_only_its_new_rows(store, tmp_path):
    f = _csv(tmp_path / "results.csv", ["FeNi,yes,XRD,amy,2024-01-02", "CoCrFeNi,no,XRD,amy,2024-01-02"])
    assert import_results(store, f).measurements_added == 2
    _csv(f, ["FeNi,yes,XRD,amy,2024-01-02", "CoCrFeNi,no,XRD,amy,2024-01-02", "MoNbTaW,yes,XRD,raj,2024-01-03"])
    report = import_results(store, f)
    assert (report.measurements_added, report.already_imported) == (1, 2)
    _csv(f, ["MoNbTaW,yes,XRD,raj,2024-01-03", "FeNi,yes,XRD,amy,2024-01-02", "CoCrFeNi,no,XRD,amy,2024-01-02"])
    again = import_results(store, f)  # reordered: nothing new
    assert (again.measurements_added, again.already_imported) == (0, 3)
    with store.read() as s:
        assert len(s.exec(select(Measurement)).all()) == 3


def test_a_correction_keeps_who_measured_it_and_names_who_entered_it(store):
    m = add_result(store, "CoCrFeNi", single_phase=True, method="XRD", by="amy")
    fixed = correct_result(store, m.id, single_phase=False, phases="FCC+BCC", by="raj")
    assert fixed.operator == "amy"  # who measured it (amy, who entered it) carries over
    entries = {e.entity_id: e for e in history(store, "CoCrFeNi").entries if e.kind == "measurement"}
    assert entries[m.id].actor == "amy" and entries[fixed.id].actor == "raj"
    assert entries[fixed.id].details["operator"] == "amy"
    # an explicit operator (who measured) is kept, and history still names who entered the correction
    again = correct_result(store, fixed.id, single_phase=True, operator="lab tech", by="sue")
    entries = {e.entity_id: e for e in history(store, "CoCrFeNi").entries if e.kind == "measurement"}
    assert entries[again.id].actor == "sue" and entries[again.id].details["operator"] == "lab tech"
