"""A result entered for the wrong candidate or alloy is moved to the right one: labels, candidate
statuses, history, the results browser and status follow, and nothing is deleted."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.export import measured_already
from hea_campaign.campaign.labels import alloy_labels
from hea_campaign.campaign.result_moves import move_result
from hea_campaign.campaign.results import contradiction, correct_result, history, prepare, record_result
from hea_campaign.campaign.results_browser import list_results, result_chain
from hea_campaign.campaign.status import campaign_status
from hea_campaign.campaign.training_set import snapshot
from hea_campaign.db.tables import Alloy, AuditEvent, Candidate, Measurement
from hea_campaign.tui.present.views import status_text

from .conftest import candidate_statuses, insert_candidates


def _labels(store) -> dict[str, bool | None]:
    with store.read() as s:
        return {lab.alloy.formula: lab.label for lab in alloy_labels(s, store.campaign_id).values()}


def _state(store, formula: str) -> tuple[str, int]:
    with store.read() as s:
        a = s.exec(select(Alloy).where(Alloy.formula == formula)).one()
        return a.label_state, a.n_current


def test_a_result_for_the_wrong_candidate_moves_to_the_right_one(store):
    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, phases="FCC", method="XRD",
                         measured_on="2026-11-20", by="amy").measurement
    assert candidate_statuses(store, [wrong, right]) == {wrong: "measured", right: "exported"}

    moved = move_result(store, typo.id, candidate_id=right, single_phase=True, by="bob")

    m = moved.measurement
    assert (m.supersedes_id, m.candidate_id, m.phases, m.method, str(m.measured_on)) == (
        typo.id, right, "FCC", "XRD", "2026-11-20")  # what the lab said carries over
    assert (moved.from_formula, moved.from_candidate, moved.to_formula, moved.to_candidate) == (
        "FeNi", wrong, "CoCrFeNi", right)
    assert moved.measured == [right] and moved.reopened == [wrong]
    assert candidate_statuses(store, [wrong, right]) == {wrong: "exported", right: "measured"}
    # the wrong alloy has no label any more, the right one has it; the database's own state agrees
    labels = _labels(store)
    assert labels.get("FeNi") is None and labels["CoCrFeNi"] is True
    assert _state(store, "FeNi") == ("none", 0) and _state(store, "CoCrFeNi") == ("single", 1)
    with store.read() as s:
        assert len(s.exec(select(Measurement)).all()) == 2  # nothing deleted
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "candidate")
                        .where(AuditEvent.entity_id == wrong).order_by(AuditEvent.id)).all()
        moves = s.exec(select(AuditEvent).where(AuditEvent.action == "measurement.correct")).one()
    assert events[-1].action == "candidate.reopen" and events[-1].payload["moved_measurement_id"] == m.id
    assert moves.payload["moved_from"] == {"alloy_id": typo.alloy_id, "formula": "FeNi", "candidate_id": wrong}


def test_the_old_alloy_reads_as_unmeasured_everywhere(store):
    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=False, phases="FCC+BCC").measurement
    m = move_result(store, typo.id, candidate_id=right, single_phase=False).measurement
    h = history(store, "FeNi")
    assert h.label is None and [e.superseded_by for e in h.entries if e.kind == "measurement"] == [m.id]
    assert history(store, "CoCrFeNi").label is False
    rows = {r.id: r for r in list_results(store)}
    assert not rows[typo.id].current and rows[typo.id].superseded_by == m.id and rows[m.id].current
    assert [r.id for r in result_chain(store, typo.id)] == [typo.id, m.id]
    assert [r.id for r in result_chain(store, m.id)] == [typo.id, m.id]
    with store.read() as s:
        cands = s.exec(select(Candidate).order_by(Candidate.id)).all()
        assert measured_already(s, store, cands[:1]) == []  # FeNi may be made: nothing says what it is
    # a later result for FeNi is not a contradiction of the moved one
    with store.read() as s:
        assert contradiction(s, store, prepare(formula="FeNi", candidate_id=None, single_phase=True)) is None


def test_a_move_by_formula_gives_the_result_to_that_alloys_exported_candidates(store):
    (wrong,) = insert_candidates(store, ["FeNi"], status="exported")
    a, b = insert_candidates(store, ["CoCrFeNi", "CoCrFeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, notes="ingot [cracked]").measurement
    moved = move_result(store, typo.id, formula="NiFeCrCo", single_phase=True)
    assert moved.measurement.candidate_id == a and sorted(moved.measured) == [a, b]
    assert candidate_statuses(store, [wrong, a, b]) == {wrong: "exported", a: "measured", b: "measured"}


def test_a_move_to_an_alloy_not_in_the_store_adds_it(store):
    (wrong,) = insert_candidates(store, ["FeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, notes="ingot [cracked]").measurement
    moved = move_result(store, typo.id, formula="CoCrFeMnNi", single_phase=True)
    assert moved.measurement.candidate_id is None and moved.to_formula == "CoCrFeMnNi"
    assert _labels(store)["CoCrFeMnNi"] is True and candidate_statuses(store, [wrong]) == {wrong: "exported"}


def test_a_candidate_keeps_its_status_while_another_result_is_for_it(store):
    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    first = record_result(store, candidate_id=wrong, single_phase=True, method="XRD").measurement
    record_result(store, candidate_id=wrong, single_phase=True, method="SEM")  # its own second result
    moved = move_result(store, first.id, candidate_id=right, single_phase=True)
    assert moved.reopened == [] and candidate_statuses(store, [wrong]) == {wrong: "measured"}
    assert _state(store, "FeNi") == ("single", 1)


def test_a_move_between_candidates_of_one_alloy_keeps_the_masses_weighed(store):
    wrong, right = insert_candidates(store, ["FeNi", "FeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, notes="ingot [cracked]").measurement
    with store.write() as s:  # masses weighed, as a weigh sheet records them
        s.add(Measurement(alloy_id=typo.alloy_id, single_phase=True, candidate_id=wrong, supersedes_id=typo.id,
                          source="correction", made_composition={"Fe": 0.49, "Ni": 0.51}))
    with store.read() as s:
        weighed = s.exec(select(Measurement).where(Measurement.supersedes_id == typo.id)).one()
    moved = move_result(store, weighed.id, candidate_id=right, single_phase=True)
    assert moved.measurement.made_composition == {"Fe": 0.49, "Ni": 0.51}
    assert candidate_statuses(store, [wrong, right]) == {wrong: "exported", right: "measured"}
    other = move_result(store, moved.measurement.id, formula="CoNi", single_phase=True)
    assert other.measurement.made_composition is None  # another alloy: those masses were not its


def test_a_move_reports_a_result_of_the_new_alloy_that_disagrees(store):
    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    earlier = record_result(store, "CoCrFeNi", single_phase=False).measurement
    typo = record_result(store, candidate_id=wrong, single_phase=True, notes="ingot [cracked]").measurement
    moved = move_result(store, typo.id, candidate_id=right, single_phase=True)
    assert f"measurement {earlier.id} says single phase no" in moved.disagrees
    assert _state(store, "CoCrFeNi")[0] == "conflict"


@pytest.mark.parametrize("where", [{"candidate_id": "wrong"}, {"formula": "NiFe"}, {}])
def test_a_move_that_goes_nowhere_is_refused_and_writes_nothing(store, where):
    (wrong,) = insert_candidates(store, ["FeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, notes="ingot [cracked]").measurement
    kwargs = {k: (wrong if v == "wrong" else v) for k, v in where.items()}
    with pytest.raises(CampaignError, match="already for FeNi|say where the result belongs"):
        move_result(store, typo.id, single_phase=True, **kwargs)
    with store.read() as s:
        assert len(s.exec(select(Measurement)).all()) == 1


def test_a_move_to_a_candidate_not_exported_or_of_another_formula_is_refused(store):
    (wrong,) = insert_candidates(store, ["FeNi"], status="exported")
    (approved,) = insert_candidates(store, ["CoCrFeNi"], status="approved")
    (right,) = insert_candidates(store, ["CoNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, notes="ingot [cracked]").measurement
    with pytest.raises(CampaignError, match=f"candidate {approved} is approved"):
        move_result(store, typo.id, candidate_id=approved, single_phase=True)
    with pytest.raises(CampaignError, match=f"candidate {right} is CoNi, not CoCrFeNi"):
        move_result(store, typo.id, candidate_id=right, formula="CoCrFeNi", single_phase=True)
    with pytest.raises(CampaignError, match="no candidate with id 999"):
        move_result(store, typo.id, candidate_id=999, single_phase=True)
    assert candidate_statuses(store, [wrong, approved, right]) == {wrong: "measured", approved: "approved",
                                                                   right: "exported"}


def test_a_moved_result_is_corrected_at_its_new_place(store):
    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, notes="ingot [cracked]").measurement
    m = move_result(store, typo.id, candidate_id=right, single_phase=True).measurement
    with pytest.raises(CampaignError, match=f"already corrected by measurement {m.id}"):
        correct_result(store, typo.id, single_phase=False)
    fixed = correct_result(store, m.id, single_phase=False, phases="FCC+BCC")
    assert fixed.candidate_id == right and _labels(store)["CoCrFeNi"] is False
    assert [r.id for r in result_chain(store, typo.id)] == [typo.id, m.id, fixed.id]


def test_a_dataset_row_is_not_moved(store, tmp_path):
    """A mistyped id that names a literature row: moving it would relabel a lab candidate with the literature's
    word for another alloy and drop the literature's label; refused."""
    from hea_campaign.campaign.importing import import_csv

    data = tmp_path / "lit.csv"
    data.write_text("formula,phase\nMgNi,FCC+BCC\n")
    import_csv(store, data)
    (right,) = insert_candidates(store, ["CoCrFeNi"], status="exported")
    with store.read() as s:
        (row,) = s.exec(select(Measurement)).all()
    with pytest.raises(CampaignError, match=f"measurement {row.id} is a row of a dataset .* only lab results are moved"):
        move_result(store, row.id, candidate_id=right, single_phase=False)
    assert candidate_statuses(store, [right]) == {right: "exported"} and _labels(store)["MgNi"] is False


def test_a_published_result_is_corrected_only_when_confirmed(store, tmp_path):
    """A correction of a dataset's row replaces the literature's label in training: refused with the way
    to record the lab's own result, stored with literature=True; never with weighed masses."""
    from hea_campaign.campaign.importing import import_csv
    from hea_campaign.campaign.results import PublishedResult

    data = tmp_path / "lit.csv"
    data.write_text("formula,phase\nMgNi,FCC+BCC\n")
    import_csv(store, data)
    with store.read() as s:
        (row,) = s.exec(select(Measurement)).all()
    with pytest.raises(PublishedResult, match=f"measurement {row.id} is a published result .*as a new result instead \\(result add\\).*--literature"):
        correct_result(store, row.id, single_phase=True, phases="FCC")
    assert _labels(store)["MgNi"] is False
    with pytest.raises(CampaignError, match="no masses were weighed"):
        correct_result(store, row.id, single_phase=True, weighed_g="Mg:1,Ni:1", literature=True)
    with pytest.raises(CampaignError, match="nothing to correct"):  # restated as published: no operator to differ
        correct_result(store, row.id, single_phase=False, phases="FCC+BCC", literature=True)
    fixed = correct_result(store, row.id, single_phase=True, phases="FCC", literature=True)
    assert fixed.supersedes_id == row.id and _labels(store)["MgNi"] is True
    # the correction of a published result is published too: the same confirmation, still no masses
    with pytest.raises(PublishedResult, match=f"measurement {fixed.id} is a correction of published result {row.id}"):
        correct_result(store, fixed.id, single_phase=False, phases="FCC+BCC")
    with pytest.raises(CampaignError, match="no masses were weighed"):
        correct_result(store, fixed.id, single_phase=True, weighed_g="Mg:1,Ni:1", literature=True)
    with pytest.raises(CampaignError, match="nothing to correct"):  # asked before the confirmation: no yes needed
        correct_result(store, fixed.id, single_phase=True, phases="FCC")
    again = correct_result(store, fixed.id, single_phase=False, phases="FCC+BCC", literature=True)
    lab = record_result(store, "FeNi", single_phase=True).measurement
    with pytest.raises(CampaignError, match=f"measurement {lab.id} is a lab result .* leave out --literature"):
        correct_result(store, lab.id, single_phase=False, phases="FCC+BCC", literature=True)
    assert again.supersedes_id == fixed.id and _labels(store)["MgNi"] is False


def test_the_chain_names_where_a_result_moved(store):
    from hea_campaign.tui.present.results_text import format_chain

    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, notes="ingot [cracked]").measurement
    m = move_result(store, typo.id, candidate_id=right, single_phase=True).measurement
    for selected, of in ((m.id, f"CoCrFeNi (candidate {right})"), (typo.id, f"FeNi (candidate {wrong})")):
        lines = format_chain(result_chain(store, selected), selected).splitlines()
        assert lines[0].startswith(f"Result {selected} of {of}: 1 correction(s)")
        assert f"moved to CoCrFeNi (candidate {right}): single phase yes" in lines[2] and "[counts]" in lines[2]
        assert "moved" not in lines[1]


def test_the_candidate_a_result_left_shows_where_it_went(store):
    from hea_campaign.campaign.candidates import _lab_results
    from hea_campaign.tui.present.views import lab_result_lines

    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, notes="ingot [cracked]").measurement
    fixed = correct_result(store, typo.id, single_phase=True, method="XRD")  # on the same alloy: a correction
    move_result(store, fixed.id, candidate_id=right, single_phase=True)
    with store.read() as s:  # what the candidate detail (CLI and TUI) shows under "Lab results"
        lines = lab_result_lines(_lab_results(s, store.campaign_id, wrong, "FeNi"))
    assert f"measurement {typo.id}" in lines[2] and "(corrected by a later entry)" in lines[2]
    assert "notes: ingot \\[cracked]" in lines[2], "the lab's notes, escaped for the markup"
    assert f"measurement {fixed.id}" in lines[3] and "(moved to CoCrFeNi: entered for the wrong alloy)" in lines[3]


def test_the_real_result_of_the_candidate_a_result_left_is_not_taken_for_its_twin(store):
    """The result moved away no longer belongs to the candidate it left: typing that candidate's real
    result (the same words, a minute later) is stored, not refused as entered twice."""
    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    typo = record_result(store, candidate_id=wrong, single_phase=True, phases="FCC", method="XRD",
                         check_duplicates=True, by="amy").measurement
    move_result(store, typo.id, candidate_id=right, single_phase=True, by="amy")
    real = record_result(store, candidate_id=wrong, single_phase=True, phases="FCC", method="XRD",
                         check_duplicates=True, by="amy").measurement
    assert real.candidate_id == wrong and real.id != typo.id
    assert candidate_statuses(store, [wrong, right]) == {wrong: "measured", right: "measured"}


def test_an_alloy_whose_only_result_moved_away_is_not_trained_on_nor_counted_unlabelled(store):
    """A mistyped formula makes a new alloy; once its result moves to the right candidate nobody made
    that composition, so training leaves it out and status does not call it unlabelled."""
    (right,) = insert_candidates(store, ["Co14Cr21Fe28Ni27Ti10"], status="exported")
    typo = record_result(store, formula="Co14Cr21Fe28Ni27Ti11", single_phase=False, phases="FCC+Laves").measurement
    move_result(store, typo.id, candidate_id=right, single_phase=False, phases="FCC+Laves")

    ts = snapshot(store)
    assert typo.alloy_id not in set(ts.unlab_ids.tolist()) and typo.alloy_id not in set(ts.lab_ids.tolist())
    assert ts.excluded["results moved away"] == 1 and len(ts.unlab_ids) == 0
    s = campaign_status(store)
    assert (s.unlabelled, s.moved_away, s.proposed_only, s.labelled) == (0, 1, 0, 1)
    assert s.alloys == s.labelled + s.unlabelled + s.moved_away + s.proposed_only + s.conflicts
    assert "results all moved to another alloy or withdrawn: 1" in status_text(s).plain


def test_a_result_dated_before_its_candidate_was_exported_gets_a_note(store):
    """A review: a result moved to candidate 4 kept 'measured 2026-11-29' though candidate 4 was exported on
    12-01, and nothing said so.  A note (not a refusal) where a result lands on a candidate: added or moved."""
    from datetime import UTC, datetime

    from hea_campaign.db.tables import ExportBatch
    from hea_campaign.tui.present.report import format_move, format_recorded_result

    wrong, right = insert_candidates(store, ["FeNi", "CoCrFeNi"], status="exported")
    with store.write() as s:
        s.add(ExportBatch(campaign_id=store.campaign_id, created_at=datetime(2026, 11, 25, 9, tzinfo=UTC), path="b1.csv",
                          format="csv", mass_g=20.0, candidate_ids=[wrong]))
        s.add(ExportBatch(campaign_id=store.campaign_id, created_at=datetime(2026, 12, 1, 9, tzinfo=UTC), path="b2.csv",
                          format="csv", mass_g=20.0, candidate_ids=[right]))
    first = record_result(store, candidate_id=wrong, single_phase=True, phases="FCC", measured_on="2026-11-29")
    assert first.date_note is None  # measured after its own export
    moved = move_result(store, first.measurement.id, candidate_id=right, single_phase=True)
    assert moved.date_note == f"measured 2026-11-29, before candidate {right} was exported (2026-12-01): check the date"
    assert f"  note: {moved.date_note}" in format_move(moved).splitlines()
    typo = record_result(store, candidate_id=right, single_phase=True, phases="FCC", measured_on="2026-10-01",
                         check_duplicates=False)
    assert f"before candidate {right} was exported (2026-12-01)" in format_recorded_result(typo)
