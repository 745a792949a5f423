"""Lab results: validated entry, CSV import all-or-nothing, corrections that supersede, history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from hea_campaign.campaign.chemistry import FormulaError
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.labels import alloy_labels
from hea_campaign.campaign.results import (
    ResultsImportFailed,
    add_result,
    correct_result,
    history,
    import_results,
    record_result,
)
from hea_campaign.db import store as q
from hea_campaign.db.tables import Alloy, AuditEvent, Measurement

from .conftest import candidate_statuses, counts, insert_candidates


def _measurements(store) -> dict[int, dict]:
    with store.read() as s:
        return {m.id: m.model_dump() for m in s.exec(select(Measurement))}


def _label(store, formula):
    with store.read() as s:
        alloy = q.alloys_by_formula(s, store.campaign_id, [formula])[formula]
        return alloy_labels(s, store.campaign_id)[alloy.id]


def test_a_result_for_a_new_formula_adds_the_alloy(store):
    before = counts(store)
    done = record_result(store, "Ni Fe", single_phase="yes", phases="FCC", method="XRD", by="amy",
                         measured_on="2024-05-01", notes="arc melted")  # fmt: skip
    m = done.measurement
    assert done.new_alloy and done.alloy.formula == "FeNi" and done.outside_vocabulary == []
    assert (m.single_phase, m.phases, m.method, m.operator, m.measured_on) == (True, "FCC", "XRD", "amy", date(2024, 5, 1))
    assert m.source_formula == "Ni Fe" and m.candidate_id is None and m.supersedes_id is None
    after = counts(store)
    assert (after["alloy"], after["measurement"], after["audit"]) == (
        before["alloy"] + 1, before["measurement"] + 1, before["audit"] + 2)  # fmt: skip
    assert _label(store, "FeNi").label is True
    again = record_result(store, "FeNi", single_phase=True, by="amy")
    assert not again.new_alloy and again.alloy.id == done.alloy.id
    assert counts(store)["alloy"] == after["alloy"]


def test_elements_outside_the_vocabulary_are_flagged(store):
    done = record_result(store, "FeNiGa", single_phase=False, phases="FCC+L12")
    assert done.outside_vocabulary == ["Ga"]
    with store.read() as s:
        assert q.alloys_by_formula(s, store.campaign_id, ["FeGaNi"])["FeGaNi"].outside_vocabulary == "Ga"


def test_operator_defaults_to_who_enters_it(store):
    assert add_result(store, "FeNi", single_phase=True, by="amy").operator == "amy"
    assert add_result(store, "FeNi", single_phase=True, by="amy", operator="raj").operator == "raj"


def test_a_result_for_an_exported_candidate_marks_it_measured(store):
    (cid,) = insert_candidates(store, ["CoCrFeNi"], status="exported")
    before = counts(store)
    done = record_result(store, candidate_id=cid, single_phase="no", phases="FCC+BCC", by="amy")
    assert done.candidate_moved and done.measurement.candidate_id == cid and done.alloy.formula == "CoCrFeNi"
    assert candidate_statuses(store, [cid]) == {cid: "measured"}
    after = counts(store)
    assert after["measurement"] == before["measurement"] + 1 and after["audit"] == before["audit"] + 2
    # a repeat (another method) is welcome; the candidate stays measured
    repeat = record_result(store, "CoCrFeNi", candidate_id=cid, single_phase="no", method="SEM")
    assert not repeat.candidate_moved and repeat.measurement.candidate_id == cid
    assert counts(store)["audit"] == after["audit"] + 1


def test_a_candidate_and_formula_that_disagree_are_said_before_a_recent_twin(store):
    """Right after a result for candidate 2, `result add --candidate 2 <another formula>` names the
    mismatch, not the twin entered a minute ago (which is another alloy's result)."""
    (cid,) = insert_candidates(store, ["CoCrFeNi"], status="exported")
    record_result(store, candidate_id=cid, single_phase="yes", check_duplicates=True)
    before = counts(store)
    with pytest.raises(CampaignError, match=rf"candidate {cid} is CoCrFeNi, not FeNi"):
        record_result(store, "FeNi", candidate_id=cid, single_phase="yes", check_duplicates=True)
    assert counts(store) == before


@pytest.mark.parametrize("status", ["proposed", "approved", "rejected"])
def test_a_candidate_not_exported_is_refused(store, status):
    (cid,) = insert_candidates(store, ["CoCrFeNi"], status=status)
    before = counts(store)
    with pytest.raises(CampaignError, match=rf"candidate {cid} is {status}; results can only be entered for exported"):
        add_result(store, candidate_id=cid, single_phase=True)
    assert counts(store) == before


def test_candidate_and_formula_must_agree(store):
    (cid,) = insert_candidates(store, ["CoCrFeNi"], status="exported")
    before = counts(store)
    with pytest.raises(CampaignError, match=rf"candidate {cid} is CoCrFeNi, not FeNi"):
        add_result(store, "FeNi", candidate_id=cid, single_phase=True)
    with pytest.raises(CampaignError, match="no candidate with id 999"):
        add_result(store, candidate_id=999, single_phase=True)
    with pytest.raises(CampaignError, match="formula or the candidate id"):
        add_result(store, single_phase=True)
    assert counts(store) == before


@pytest.mark.parametrize("bad", ["Fe(Ni", "Qq", "Fe0Ni", "Fe-1Ni", "FeNi)", "Fe1e3Ni"])
def test_a_bad_formula_writes_nothing(store, bad):
    before = counts(store)
    with pytest.raises(FormulaError):
        add_result(store, bad, single_phase=True)
    assert counts(store) == before


@pytest.mark.parametrize(
    ("single", "phases", "message"),
    [
        (True, "FCC+BCC", "contradictory"),
        (False, "FCC", "contradictory"),
        (True, "FCC, BCC", "contradictory"),  # lists written without '+' name several phases too
        (True, "FCC/BCC", "contradictory"),
        (True, "FCC and BCC", "contradictory"),
        (True, "two phases", "contradictory"),
        (True, "multi", "contradictory"),
        (True, "amorphous", "not a crystalline solid solution"),  # a glass is not the single phase sought
        (True, "metallic glass", "not a crystalline solid solution"),
        (True, "AM", "not a crystalline solid solution"),
        (True, "  ", "empty"),
        (False, "FCC++BCC", "empty phase"),
        (False, "=1+1", "not a phase list"),
        (True, "FCC\nBCC", "not a phase list"),
        (False, "B" * 201, "at most 200"),
        ("maybe", None, "not a single-phase label"),
        (None, None, "yes or no"),
    ],
)
def test_bad_phases_and_labels_are_refused(store, single, phases, message):
    before = counts(store)
    with pytest.raises(CampaignError, match=message):
        add_result(store, "FeNi", single_phase=single, phases=phases)
    assert counts(store) == before


@pytest.mark.parametrize(("single", "phases"), [(True, " BCC "), (False, "BCC+B2"), (False, "FCC + Laves (C14)"),
                                                 (False, "FCC+σ"), (True, "B2"),
                                                 (True, "BCC/B2"), (True, "FCC (Cu-rich, ordered)"),
                                                 (False, "FCC, BCC"), (False, "amorphous"),
                                                 (False, "FCC+amorphous")])  # fmt: skip
def test_sensible_phase_lists_are_accepted(store, single, phases):
    assert add_result(store, "FeNi", single_phase=single, phases=phases).phases == phases.strip().replace(" + ", "+")


def test_measurement_dates(store):
    today = date.today()
    assert add_result(store, "FeNi", single_phase=True, measured_on=today).measured_on == today
    before = counts(store)
    with pytest.raises(CampaignError, match="in the future"):
        add_result(store, "FeNi", single_phase=True, measured_on=today + timedelta(days=1))
    with pytest.raises(CampaignError, match="YYYY-MM-DD"):
        add_result(store, "FeNi", single_phase=True, measured_on="03/04/2024")
    for other_form in ("2026-W03-5", "20260116", "2026-1-5", " 2026-01-16T10:00"):  # fromisoformat reads some
        with pytest.raises(CampaignError, match="YYYY-MM-DD"):
            add_result(store, "FeNi", single_phase=True, measured_on=other_form)
    with pytest.raises(CampaignError, match="before 1900; is the year mistyped"):
        add_result(store, "FeNi", single_phase=True, measured_on="0206-01-16")
    assert counts(store) == before


def _csv(tmp_path, text, name="results.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_adds_every_row(store, tmp_path):
    (cid,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    path = _csv(tmp_path, (
        "formula,candidate_id,single_phase,phases,method,operator,notes,measured_on\n"
        "FeNi,,yes,FCC,XRD,raj,,2024-01-02\n"
        "\n"
        f",{cid},no,BCC+B2,XRD,,\"two lines\nof notes\",\n"
        "CoCrFeMnNi,,,FCC,,,,\n"  # single_phase read from an unambiguous phase
        "FeNiGa,,no,,,,,\n"
    ))  # fmt: skip
    before = counts(store)
    report = import_results(store, path, by="amy")
    assert (report.rows, report.measurements_added, report.alloys_added, report.candidates_measured) == (4, 4, 3, 1)
    assert report.outside_vocabulary == {"FeGaNi": ["Ga"]}
    assert candidate_statuses(store, [cid]) == {cid: "measured"}
    after = counts(store)
    # 3 alloys + 4 measurements + 1 candidate move + 1 import summary
    assert after["audit"] == before["audit"] + 3 + 4 + 1 + 1
    with store.read() as s:
        rows = {m.source_formula or m.candidate_id: m for m in s.exec(select(Measurement))}
    assert rows["FeNi"].operator == "raj" and rows[cid].operator == "amy" and rows[cid].notes == "two lines\nof notes"
    assert rows["CoCrFeMnNi"].single_phase is True
    again = import_results(store, path, by="amy")  # the same file twice adds nothing
    assert (again.measurements_added, again.already_imported) == (0, 4)
    assert counts(store) == after


def test_csv_import_with_bad_rows_writes_nothing_and_names_the_lines(store, tmp_path):
    (proposed,) = insert_candidates(store, ["AlCoCrFeNi"])
    path = _csv(tmp_path, (
        "formula,single_phase,phases,notes\n"
        "FeNi,yes,FCC,\"a note\nover two lines\"\n"
        "Qq,yes,,\n"
        "CoCrFeNi,maybe,,\n"
        "CoCrFeNi,yes,FCC+BCC,\n"
        "HfNbTaTiZr,yes,BCC,\n"
    ))  # fmt: skip
    before = counts(store)
    with pytest.raises(ResultsImportFailed) as err:
        import_results(store, path)
    assert [line for line, _ in err.value.errors] == [4, 5, 6]
    msg = str(err.value)
    assert "line 4: 'Qq'" in msg and "line 5:" in msg and "line 6: contradictory" in msg and "nothing was imported" in msg
    assert counts(store) == before
    # store-dependent problems are found before anything is written, too
    path2 = _csv(tmp_path, f"candidate_id,formula,single_phase\n,FeNi,yes\n{proposed},,yes\n", "r2.csv")
    with pytest.raises(ResultsImportFailed, match=rf"line 3: candidate {proposed} is proposed"):
        import_results(store, path2)
    assert counts(store) == before


def test_csv_files_with_wrong_columns_are_refused(store, tmp_path):
    with pytest.raises(CampaignError, match="unknown column"):
        import_results(store, _csv(tmp_path, "formula,singlephase\nFeNi,yes\n"))
    with pytest.raises(CampaignError, match="single_phase column"):
        import_results(store, _csv(tmp_path, "formula,phases\nFeNi,FCC\n", "b.csv"))
    with pytest.raises(CampaignError, match="looks separated by semicolons"):
        import_results(store, _csv(tmp_path, "formula;single_phase\nFeNi;yes\n", "semi.csv"))
    with pytest.raises(CampaignError, match="no such file"):
        import_results(store, tmp_path / "nope.csv")
    with pytest.raises(CampaignError, match="no result rows"):
        import_results(store, _csv(tmp_path, "formula,single_phase\n", "c.csv"))


def test_a_correction_supersedes_and_labels_follow_the_latest(store):
    (cid,) = insert_candidates(store, ["CoCrFeNi"], status="exported")
    first = add_result(store, candidate_id=cid, single_phase=True, phases="FCC", method="XRD",
                       measured_on="2024-03-01", by="amy")  # fmt: skip
    snapshot = _measurements(store)
    assert _label(store, "CoCrFeNi").label is True
    before = counts(store)
    fixed = correct_result(store, first.id, single_phase="no", phases="FCC+BCC", notes="second peak missed", by="raj")
    assert fixed.supersedes_id == first.id and fixed.candidate_id == cid
    assert (fixed.method, fixed.measured_on) == ("XRD", date(2024, 3, 1))  # inherited
    assert fixed.operator == "amy"  # who measured it carries over; history names raj as who entered it
    assert fixed.notes == "second peak missed"
    assert _label(store, "CoCrFeNi").label is False
    after = _measurements(store)
    assert {k: after[k] for k in snapshot} == snapshot  # the old result is untouched
    assert counts(store)["audit"] == before["audit"] + 1
    with store.read() as s:
        event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.actor, event.payload["supersedes_id"]) == ("measurement.correct", "raj", first.id)
    assert candidate_statuses(store, [cid]) == {cid: "measured"}

    before = counts(store)
    with pytest.raises(CampaignError, match=rf"already corrected by measurement {fixed.id}; correct {fixed.id}"):
        correct_result(store, first.id, single_phase=True)
    with pytest.raises(CampaignError, match="no measurement with id 999"):
        correct_result(store, 999, single_phase=True)
    with pytest.raises(CampaignError, match="contradictory"):
        correct_result(store, fixed.id, single_phase=True, phases="FCC+BCC")
    assert counts(store) == before
    again = correct_result(store, fixed.id, single_phase=True, phases="FCC")
    assert again.supersedes_id == fixed.id and _label(store, "CoCrFeNi").label is True
    notes_only = correct_result(store, again.id, single_phase="yes", notes="polished again", by="raj")
    assert notes_only.phases == "FCC"  # the label kept: its phases carry over, as method and date do
    relabelled = correct_result(store, notes_only.id, single_phase="no", by="raj")
    assert relabelled.phases is None  # FCC belongs to the old label


def test_a_correction_that_changes_nothing_is_refused_and_saves_nothing(store):
    first = add_result(store, "CoCrFeNi", single_phase=True, phases="FCC", method="XRD", measured_on="2024-03-01",
                       notes="as cast", operator="amy", by="amy")  # fmt: skip
    before = counts(store)
    for same in (dict(notes="as cast", by="amy"), dict(notes="as cast", by="raj"),  # retyped: the operator carries over
                 dict(phases="FCC", method="XRD", measured_on="2024-03-01", notes="as cast", operator="amy",
                      by="raj")):  # a form saved unchanged by someone else: every field as it was
        with pytest.raises(CampaignError, match=f"measurement {first.id} already says single phase .FCC.*nothing to"):
            correct_result(store, first.id, single_phase="yes", **same)
    assert counts(store) == before
    for change in (dict(phases="A1"), dict(method="SEM"), dict(measured_on="2024-03-02"), dict(notes="annealed"),
                   dict(operator="raj")):  # one field changed, every other given as it is
        first = correct_result(store, first.id, single_phase="yes", **{"notes": first.notes,
                                                                       "operator": first.operator, **change})
    assert (first.notes, first.operator) == ("annealed", "raj")
    first = correct_result(store, first.id, single_phase="yes", operator="raj")  # notes left out: cleared
    assert first.notes is None
    first = correct_result(store, first.id, single_phase="yes", phases="A2", by="amy")  # operator left out: kept
    assert first.operator == "raj"
    assert counts(store)["measurement"] == before["measurement"] + 7



def test_a_correction_resolves_a_conflicting_seed_label(seeded_store):
    state = _label(seeded_store, "HfNbTiVZr")
    assert state.conflict and state.label is None
    with seeded_store.read() as s:
        alloy = q.alloys_by_formula(s, seeded_store.campaign_id, ["HfNbTiVZr"])["HfNbTiVZr"]
        wrong = [m for m in q.measurements_of_alloy(s, alloy.id) if m.single_phase is False]
    assert wrong
    for m in wrong:
        correct_result(seeded_store, m.id, single_phase=True, phases="BCC", notes="re-measured", literature=True)
    state = _label(seeded_store, "HfNbTiVZr")
    assert not state.conflict and state.label is True


def test_history_lists_measurements_and_candidate_events_in_order(store):
    (cid,) = insert_candidates(store, ["CoCrFeNi"])
    from hea_campaign.campaign.lifecycle import approve

    old = add_result(store, "CoCrFeNi", single_phase=False, phases="FCC+BCC", by="amy")
    approve(store, [cid], by="bob", reason="worth a second look")
    with store.write() as s:
        from hea_campaign.campaign.lifecycle import mark_exported

        mark_exported(s, store.campaign_id, [cid], by="bob")
    by_cand = add_result(store, candidate_id=cid, single_phase=True, phases="FCC", by="amy")
    fixed = correct_result(store, old.id, single_phase=True, phases="FCC", by="raj")
    add_result(store, "FeNi", single_phase=True)  # another alloy: not in this history

    h = history(store, "NiFeCrCo")
    assert h.formula == "CoCrFeNi" and h.candidate_ids == [cid] and h.label is True
    got = [(e.kind, e.entity_id, e.action) for e in h.entries]
    assert got == [
        ("measurement", old.id, "measurement.add"),
        ("candidate", cid, "candidate.approve"),
        ("candidate", cid, "candidate.export"),
        ("measurement", by_cand.id, "measurement.add"),
        ("candidate", cid, "candidate.measure"),
        ("measurement", fixed.id, "measurement.correct"),
    ]
    assert [e.at for e in h.entries] == sorted(e.at for e in h.entries)
    superseded = {e.entity_id: e.superseded_by for e in h.entries if e.kind == "measurement"}
    assert superseded == {old.id: fixed.id, by_cand.id: None, fixed.id: None}
    assert h.entries[1].details["reason"] == "worth a second look" and h.entries[1].actor == "bob"
    with pytest.raises(CampaignError, match="no alloy MoNbTaW"):
        history(store, "MoNbTaW")


def test_no_code_path_changes_or_deletes_a_measurement(store, tmp_path):
    """Run every result operation; every measurement that existed before is byte-for-byte unchanged."""
    (cid,) = insert_candidates(store, ["CoCrFeNi"], status="exported")
    m1 = add_result(store, "FeNi", single_phase=True)
    add_result(store, candidate_id=cid, single_phase=True)
    snapshot = _measurements(store)
    correct_result(store, m1.id, single_phase=False)
    import_results(store, _csv(tmp_path, f"formula,candidate_id,single_phase,method\nFeNi,,no,XRD\n,{cid},yes,XRD\n"),
                   allow_conflicts=True)  # rows that add a method to stored results: stored beside them
    with pytest.raises(CampaignError):
        correct_result(store, m1.id, single_phase=True)
    after = _measurements(store)
    assert {k: after[k] for k in snapshot} == snapshot and len(after) == len(snapshot) + 3
    with store.read() as s:
        assert len(s.exec(select(Alloy)).all()) == 2


def test_a_result_contradicting_a_candidates_result_asks_for_a_correction(store, tmp_path):
    """`result add --candidate 4 --single-phase no` after a "yes": refused unless confirmed; a
    literature alloy may still disagree with another source."""
    from hea_campaign.campaign.lifecycle import approve
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.results import ConflictingResult, record_result

    from .conftest import insert_candidates

    (cid,) = insert_candidates(store, ["CoCrFeMnNi"])
    approve(store, [cid])
    export_batch(store, mass=20, out=tmp_path / "b.csv")
    first = record_result(store, candidate_id=cid, single_phase="yes", phases="FCC", check_conflicts=True)
    with pytest.raises(ConflictingResult, match=rf"measurement {first.measurement.id} \(candidate {cid}, from lab\) "
                                                r"says single phase yes and this result says no"):
        record_result(store, candidate_id=cid, single_phase="no", phases="FCC+BCC", check_conflicts=True)
    with pytest.raises(ConflictingResult):  # by formula, for the candidate's alloy
        record_result(store, "CoCrFeMnNi", single_phase="no", check_conflicts=True)
    with store.read() as s:
        assert len(s.exec(select(Measurement)).all()) == 1
    assert record_result(store, candidate_id=cid, single_phase="yes", check_conflicts=True).measurement.id
    assert record_result(store, candidate_id=cid, single_phase="no", check_conflicts=False).measurement.id
    from hea_campaign.campaign.importing import import_csv

    dataset = tmp_path / "papers.csv"
    dataset.write_text("formula,phases\nFeNi,FCC\n")
    import_csv(store, dataset)  # the literature says single phase
    assert record_result(store, "FeNi", single_phase="no", check_conflicts=True).measurement.id  # a lab may disagree


def test_a_result_typed_by_formula_is_the_labs_and_is_checked_too(store, tmp_path):
    """A result entered by formula, without a candidate (a walk-in alloy), is a lab result: a second one
    with the other label is refused unless confirmed, and a results file is refused the same way."""
    from hea_campaign.campaign.results import ConflictingResult

    first = add_result(store, "FeNi", single_phase=True, phases="FCC")
    with pytest.raises(ConflictingResult, match=rf"measurement {first.id} \(entered by formula, from lab\) says "
                                                r"single phase yes and this result says no"):
        record_result(store, "FeNi", single_phase="no", check_conflicts=True)
    path = _csv(tmp_path, "formula,single_phase\nNiFe,no\n")
    with pytest.raises(ResultsImportFailed, match="--allow-conflicts"):
        import_results(store, path)
    assert len(_measurements(store)) == 1
    assert import_results(store, path, allow_conflicts=True).measurements_added == 1


def test_a_retyped_copy_of_an_imported_file_adds_nothing(store, tmp_path):
    """The same results with other case and spacing ("YES", "fcc + bcc", " XRD") are the same rows."""
    (cid,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    first = _csv(tmp_path, f"formula,candidate_id,single_phase,phases,method,measured_on\n"
                           f",{cid},no,FCC+BCC,XRD,2026-01-10\nFeNi,,yes,FCC,XRD,2026-01-10\n")
    assert import_results(store, first, by="amy").measurements_added == 2
    retyped = _csv(tmp_path, f"candidate_id,formula,single_phase,phases,method,measured_on\n"
                             f"{cid},,No,fcc + bcc, xrd ,2026-01-10\n,NiFe,YES,FCC,XRD,2026-01-10\n", name="typed.csv")
    again = import_results(store, retyped, by="amy")
    assert (again.measurements_added, again.already_imported) == (0, 2)
    assert len(_measurements(store)) == 2


def test_a_fixed_file_after_a_correction_does_not_store_the_result_again(store, tmp_path):
    """A typo fixed with `result correct`, then fixed in the file too and the file imported again
    (with a new row): the fixed row is what the correction says, so only the new row is stored."""
    from hea_campaign.tui.present.report import format_results_import

    a, b = insert_candidates(store, ["AlCoCrFeNi", "CoCrFeNi"], status="exported")
    header = "candidate_id,single_phase,phases,method,measured_on\n"
    path = _csv(tmp_path, header + f"{a},yes,FCC,XRD,2026-01-10\n")
    (typo,) = import_results(store, path, by="amy").measurement_ids
    fixed = correct_result(store, typo, single_phase="no", phases="FCC+BCC", by="ben")
    path = _csv(tmp_path, header + f"{a},no,FCC+BCC,XRD,2026-01-10\n{b},yes,FCC,XRD,2026-01-11\n")
    report = import_results(store, path, by="amy")
    assert report.measurements_added == 1 and report.already_recorded == [(2, fixed.id)]
    assert f"line 2: measurement {fixed.id}" in format_results_import(report)
    stored = _measurements(store)
    assert sorted(m["candidate_id"] for m in stored.values()) == [a, a, b]
    again = _csv(tmp_path, header + f"{a},no,FCC+BCC,XRD,2026-02-01\n", name="second_ingot.csv")  # another day
    replicate = import_results(store, again, by="amy")  # measured on another day: a second ingot, stored
    assert (replicate.measurements_added, replicate.already_recorded) == (1, [])


def test_a_result_typed_then_imported_from_the_instruments_file_is_stored_once(store, tmp_path):
    """`result add` first, then the diffractometer's CSV with the same row (and a row that gives
    less): both rows name the typed result and nothing is stored; a row of another day is stored."""
    (a,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    typed = record_result(store, candidate_id=a, single_phase="yes", phases="FCC", method="XRD",
                          measured_on="2026-01-27", by="amy").measurement
    header = "candidate_id,single_phase,phases,method,measured_on\n"
    path = _csv(tmp_path, header + f"{a},yes,FCC,XRD,2026-01-27\n{a},yes,,,\n{a},yes,FCC,XRD,2026-01-28\n")
    report = import_results(store, path, by="amy")
    # the blank row repeats the typed result; the identical row finds it taken and is a repeat of its own
    assert report.already_recorded == [(2, typed.id)] and report.measurements_added == 2
    assert len(_measurements(store)) == 3


def test_a_fixed_note_in_a_reimported_file_is_refused_with_the_way_to_correct(store, tmp_path):
    (a,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    header = "candidate_id,single_phase,phases,method,operator,notes,measured_on\n"
    path = _csv(tmp_path, header + f"{a},yes,FCC,XRD,alice,first ingot,2026-01-25\n")
    (m,) = import_results(store, path, by="amy").measurement_ids
    path.write_text(header + f"{a},yes,FCC,XRD,alice,first ingot polished,2026-01-25\n", encoding="utf-8")
    with pytest.raises(ResultsImportFailed) as info:
        import_results(store, path, by="amy")
    (line, why), = info.value.errors
    assert line == 2 and f"measurement {m} with this label (and no other date)" in why and "other notes" in why
    assert f"result correct {m}" in why and info.value.conflicts == info.value.errors
    assert len(_measurements(store)) == 1
    assert import_results(store, path, by="amy", allow_conflicts=True).measurements_added == 1  # another ingot


def test_the_cli_refuses_a_contradicting_result_in_one_line(store, tmp_path, capsys, monkeypatch):
    from hea_campaign.campaign.lifecycle import approve
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.tui.cli import main

    from .conftest import insert_candidates

    (cid,) = insert_candidates(store, ["CoCrFeMnNi"])
    approve(store, [cid])
    export_batch(store, mass=20, out=tmp_path / "b.csv")
    assert main(["result", "add", "--candidate", str(cid), "--single-phase", "yes", "--db", store.url]) == 0
    capsys.readouterr()
    assert main(["result", "add", "--candidate", str(cid), "--single-phase", "no", "--db", store.url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "says single phase yes and this result says no" in err and "--allow-conflict" in err
    assert main(["result", "add", "--candidate", str(cid), "--single-phase", "no", "--allow-conflict",
                 "--db", store.url]) == 0


def test_messages_read_as_english(store):
    from hea_campaign.campaign.results import DuplicateResult, record_result

    with pytest.raises(CampaignError, match=r"^the notes are 2100 characters long; at most 2000 are accepted$"):
        add_result(store, "FeNi", single_phase=True, notes="x" * 2100)
    record_result(store, "FeNi", single_phase="yes", check_duplicates=True)
    with pytest.raises(DuplicateResult, match=r"was entered less than a minute ago \(measurement"):
        record_result(store, "FeNi", single_phase="yes", check_duplicates=True)


def test_result_add_asks_before_storing_what_a_stored_result_already_says(store, tmp_path):
    """A result typed after the same one was imported (same candidate, label and day), or typed again
    at once with fewer details, asks for --confirm-duplicate; a result of another day does not."""
    from hea_campaign.campaign.results import DuplicateResult

    (a,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    path = _csv(tmp_path, f"candidate_id,single_phase,phases,method,notes,measured_on\n{a},yes,FCC,XRD,ingot 1,2026-01-27\n")
    (m,) = import_results(store, path, by="amy").measurement_ids
    with pytest.raises(DuplicateResult, match=rf"measurement {m} already says this for candidate {a} "
                                              r"\(single phase yes, measured 2026-01-27\)"):
        record_result(store, candidate_id=a, single_phase="yes", phases="fcc", measured_on="2026-01-27",
                      check_duplicates=True)
    with pytest.raises(DuplicateResult):  # fewer details, just after: Save pressed again
        record_result(store, candidate_id=a, single_phase="yes", check_duplicates=True)
    assert len(_measurements(store)) == 1
    other_day = record_result(store, candidate_id=a, single_phase="yes", measured_on="2026-01-28", check_duplicates=True)
    confirmed = record_result(store, candidate_id=a, single_phase="yes", measured_on="2026-01-27")
    assert other_day.measurement.id and confirmed.measurement.id and len(_measurements(store)) == 3


def test_a_row_typed_by_formula_repeats_its_candidates_result(store, tmp_path):
    """The instrument's CSV names the alloy, the result was typed for its candidate: one result."""
    (a,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    typed = record_result(store, candidate_id=a, single_phase="yes", phases="FCC", measured_on="2026-01-10").measurement
    path = _csv(tmp_path, "formula,single_phase,phases,measured_on\nAlCoCrFeNi,yes,FCC,2026-01-10\n")
    assert import_results(store, path).already_recorded == [(2, typed.id)]
    assert len(_measurements(store)) == 1


def test_a_formula_row_for_an_exported_candidate_is_its_new_result_not_an_old_repeat(store, tmp_path):
    add_result(store, "FeNi", single_phase=True, phases="FCC")  # before any candidate
    (a,) = insert_candidates(store, ["FeNi"], status="exported")
    report = import_results(store, _csv(tmp_path, "formula,single_phase\nFeNi,yes\n"))
    assert (report.measurements_added, report.candidates_measured, report.already_recorded) == (1, 1, [])
    assert candidate_statuses(store, [a]) == {a: "measured"}


def test_a_row_said_twice_in_one_file_is_refused_until_its_notes_tell_the_ingots_apart(store, tmp_path):
    """Two rows saying the same about one alloy would store one result as two measurements: refused
    (nothing written), also when one names the candidate and the other its formula, and when pasted into
    a file imported before; a note that names the second ingot makes it a result."""
    (a,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    header, row = "candidate_id,formula,single_phase,phases,measured_on,notes\n", f"{a},,yes,FCC,2026-01-10,\n"
    with pytest.raises(ResultsImportFailed, match="line 3: says exactly what line 2 says"):
        import_results(store, _csv(tmp_path, header + row + row, name="twice.csv"))
    by_formula = ",AlCoCrFeNi,yes,FCC,2026-01-10,\n"
    with pytest.raises(ResultsImportFailed, match="line 3: says exactly what line 2 says"):
        import_results(store, _csv(tmp_path, header + row + by_formula, name="two-ways.csv"))
    assert _measurements(store) == {}
    path = _csv(tmp_path, header + row)
    assert import_results(store, path).measurements_added == 1
    path.write_text(header + row + row, encoding="utf-8")
    with pytest.raises(ResultsImportFailed, match="line 3: says exactly what line 2 says"):
        import_results(store, path)
    path.write_text(header + row + row.replace(",\n", ",ingot 2\n"), encoding="utf-8")
    again = import_results(store, path)
    assert (again.measurements_added, again.already_imported, again.already_recorded) == (1, 1, [])
    assert len(_measurements(store)) == 2
    later = row.replace("2026-01-10", "2026-02-01")
    said_so = import_results(store, _csv(tmp_path, header + later + later, name="ingots.csv"), allow_conflicts=True)
    assert said_so.measurements_added == 2 and len(_measurements(store)) == 4  # --allow-conflicts: other ingots


def test_opposite_labels_for_one_alloy_in_one_file_are_refused_however_it_is_named(store, tmp_path):
    """By candidate id and by formula, or twice by formula: one file may not give an alloy both labels
    (it went conflicting and left training without a word)."""
    (a,) = insert_candidates(store, ["Co1.5CrCu0.5FeNi"], status="exported")
    header = "candidate_id,formula,single_phase,phases\n"
    with pytest.raises(ResultsImportFailed, match=rf"line 3: candidate {a} is single phase yes on line 2 and no "
                                                  r"here \(Co1.5CrCu0.5FeNi, the same alloy\)"):
        import_results(store, _csv(tmp_path, header + f"{a},,yes,FCC\n,Co1.5CrCu0.5FeNi,no,FCC+BCC\n"))
    with pytest.raises(ResultsImportFailed, match="line 3: FeNiV0.5 is single phase yes on line 2 and no here"):
        import_results(store, _csv(tmp_path, header + ",Fe2Ni2V1,yes,FCC\n,Fe4Ni4V2,no,FCC+BCC\n", name="b.csv"))
    assert _measurements(store) == {}


def test_two_identical_rows_that_repeat_two_stored_results_are_named_not_refused(store, tmp_path):
    """The instrument's CSV of two ingots entered by hand before: both rows name their stored results."""
    (a,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    first = record_result(store, candidate_id=a, single_phase="yes", phases="FCC").measurement
    second = record_result(store, candidate_id=a, single_phase="yes", phases="FCC").measurement
    path = _csv(tmp_path, f"candidate_id,single_phase,phases\n{a},yes,FCC\n{a},yes,FCC\n")
    report = import_results(store, path)
    assert (report.measurements_added, report.already_recorded) == (0, [(2, first.id), (3, second.id)])


def test_a_repeat_whose_candidate_and_formula_disagree_is_refused_not_skipped(store, tmp_path):
    a, b = insert_candidates(store, ["FeNi", "CoNi"], status="exported")
    record_result(store, candidate_id=a, single_phase="yes", measured_on="2026-01-10")
    path = _csv(tmp_path, f"candidate_id,formula,single_phase,measured_on\n{a},CoNi,yes,2026-01-10\n")
    with pytest.raises(ResultsImportFailed, match="line 2"):
        import_results(store, path)


def test_a_fixed_file_with_operator_and_notes_after_a_correction_stores_nothing(store, tmp_path):
    (a,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    header = "candidate_id,single_phase,phases,method,operator,notes,measured_on\n"
    (m,) = import_results(store, _csv(tmp_path, header + f"{a},yes,FCC,XRD,alice,ingot 1,2026-01-10\n")).measurement_ids
    fixed = correct_result(store, m, single_phase="no", phases="FCC+BCC", by="ben")
    path = _csv(tmp_path, header + f"{a},no,FCC+BCC,XRD,alice,ingot 1,2026-01-10\n", name="fixed.csv")
    assert import_results(store, path).already_recorded == [(2, fixed.id)]


def test_a_row_that_adds_a_date_says_so(store, tmp_path):
    (a,) = insert_candidates(store, ["AlCoCrFeNi"], status="exported")
    m = record_result(store, candidate_id=a, single_phase="yes", phases="FCC").measurement  # no date
    path = _csv(tmp_path, f"candidate_id,single_phase,phases,measured_on\n{a},yes,FCC,2026-01-10\n")
    with pytest.raises(ResultsImportFailed, match=rf"measurement {m.id} with this label \(and no other date\), and "
                                                  r"this row adds measured on, which it lacks"):
        import_results(store, path)


def test_a_correction_that_retypes_the_same_masses_is_nothing_to_correct(store):
    (a,) = insert_candidates(store, ["FeNi"], status="exported")
    m = record_result(store, candidate_id=a, single_phase="yes", phases="FCC").measurement
    weighed = correct_result(store, m.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.25")
    assert weighed.made_composition is not None
    before = counts(store)
    with pytest.raises(CampaignError, match="with this method, date and notes, and these are the masses weighed it "
                                             "records: nothing to correct"):
        correct_result(store, weighed.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.25")
    assert counts(store) == before
    other = correct_result(store, weighed.id, single_phase="yes", weighed_g="Fe:9.70,Ni:10.25")  # a real fix
    assert other.supersedes_id == weighed.id


def test_a_result_that_makes_its_alloys_results_disagree_says_so(store, tmp_path):
    from hea_campaign.campaign.importing import import_csv
    from hea_campaign.tui.present.report import format_recorded_result

    import_csv(store, _csv(tmp_path, "formula,single_phase\nCoCrFeNi,yes\n", name="lit.csv"))  # the literature
    agrees = record_result(store, "CoCrFeNi", single_phase="yes", measured_on="2026-01-02")
    assert not agrees.now_conflicting and "disagree" not in format_recorded_result(agrees)
    disagrees = record_result(store, "CoCrFeNi", single_phase="no", measured_on="2026-01-03")
    assert disagrees.now_conflicting
    assert "the current results of CoCrFeNi now disagree" in format_recorded_result(disagrees)


def test_an_import_that_makes_alloys_results_disagree_names_them(store, tmp_path):
    from hea_campaign.campaign.importing import import_csv
    from hea_campaign.tui.present.report import format_results_import

    lit = "formula,single_phase\n" + "".join(f"Fe{n}Ni,yes\n" for n in range(2, 13)) + "CoCrFeNi,yes\n"
    import_csv(store, _csv(tmp_path, lit, name="lit.csv"))
    one = import_results(store, _csv(tmp_path, "formula,single_phase\nCoCrFeNi,no\nCoNi,yes\n"))
    assert one.now_conflicting == ["CoCrFeNi"]
    text = format_results_import(one)
    assert "the current results of 1 alloy(s) now disagree" in text and "left out of training" in text
    assert "\n    CoCrFeNi" in text and "CoNi" not in text
    many = import_results(store, _csv(tmp_path, "formula,single_phase\n"
                                      + "".join(f"Fe{n}Ni,no\n" for n in range(2, 13)), name="many.csv"))
    assert len(many.now_conflicting) == 11
    text = format_results_import(many)
    assert "11 alloy(s) now disagree" in text and "... and 3 more" in text
    agrees = import_results(store, _csv(tmp_path, "formula,single_phase\nCoNi,yes\n", name="again.csv"))
    assert "disagree" not in format_results_import(agrees)
