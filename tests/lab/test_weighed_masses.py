"""The masses weighed for an ingot are kept with its result (Measurement.weighed_g, migration 0006).

They are the primary data; the composition made (atomic fractions) is computed
from them.  Every path that records masses stores them in grams, each the
decimal typed (a string: "10.10" keeps its last digit; a sheet in milligrams is
moved to grams without rounding); a correction that keeps the composition made
keeps them too; history, the candidate's detail, the results browser's panel
and the correction's report show them with their total.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.export import export_batch
from hea_campaign.campaign.lifecycle import approve
from hea_campaign.campaign.result_moves import move_result
from hea_campaign.campaign.results import correct_result, history, import_results, record_result
from hea_campaign.campaign.weigh_sheet import made_composition
from hea_campaign.db.tables import AuditEvent, Measurement
from hea_campaign.tui.cli import main

from .conftest import counts, insert_candidates
from .test_weigh_sheet import _fill, _rows, _sheet


def _measurement(store, mid: int) -> Measurement:
    with store.read() as s:
        return s.get(Measurement, mid)


def _by_id(store) -> dict[int, Measurement]:
    with store.read() as s:
        return {m.id: m for m in s.exec(select(Measurement)).all()}


@pytest.mark.parametrize(("typed", "unit", "grams"), [
    ("10.10", "g", "10.10"), (" 9.875 ", "g", "9.875"), ("010.5", "g", "10.5"), ("1e1", "g", "10"),
    ("4123.4", "mg", "4.1234"), ("4000", "mg", "4.000"), ("0.5", "mg", "0.0005")])
def test_a_mass_is_kept_as_the_exact_decimal_of_its_grams(typed, unit, grams):
    from hea_campaign.campaign.weigh_sheet import grams_text

    assert grams_text(typed, unit) == grams


def test_result_correct_with_masses_stores_them_as_typed(capsys, store):
    db = ["--db", store.url]
    assert main(["result", "add", "FeNi", "--single-phase", "yes", "--phases", "FCC", *db]) == 0
    capsys.readouterr()
    assert main(["result", "correct", "1", "--single-phase", "yes", "--weighed-g", " Fe: 10.00 , Ni:10.51", *db]) == 0
    out = capsys.readouterr().out
    assert "weighed 10.00 g Fe, 10.51 g Ni (total 20.51 g)" in out  # the report says what it stored
    (new,) = [m for m in _by_id(store).values() if m.supersedes_id == 1]
    assert new.weighed_g == {"Fe": "10.00", "Ni": "10.51"}  # grams, the digits typed (10.00, not 10.0)
    assert new.made_composition == made_composition({"Fe": 10.00, "Ni": 10.51})
    assert _measurement(store, 1).weighed_g is None  # the result corrected had none, and is never changed
    with store.read() as s:  # the audit event records them too
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "measurement",
                                                AuditEvent.entity_id == new.id)).one()
    assert event.payload["weighed_g"] == {"Fe": "10.00", "Ni": "10.51"}


def test_result_correct_with_masses_in_milligrams_stores_grams_as_a_sheet_in_mg_does(capsys, store):
    db = ["--db", store.url]
    assert main(["result", "add", "FeNi", "--single-phase", "yes", "--phases", "FCC", *db]) == 0
    capsys.readouterr()
    before = counts(store)
    both = main(["result", "correct", "1", "--single-phase", "yes", "--weighed-g", "Fe:10,Ni:10",
                 "--weighed-mg", "Fe:10000,Ni:10000", *db])
    err = capsys.readouterr().err
    assert both == 2 and len(err.splitlines()) == 1 and "not both" in err
    grams_as_mg = main(["result", "correct", "1", "--single-phase", "yes", "--weighed-mg", "Fe:10.00,Ni:10.51", *db])
    err = capsys.readouterr().err
    assert grams_as_mg == 2 and "add up to 20.51 mg" in err and "grams typed as milligrams" in err
    assert counts(store) == before
    assert main(["result", "correct", "1", "--single-phase", "yes", "--weighed-mg", " Fe: 9712.35 , Ni:10287.6", *db]) == 0
    assert "weighed 9.71235 g Fe, 10.2876 g Ni (total 19.99995 g)" in capsys.readouterr().out
    (new,) = [m for m in _by_id(store).values() if m.supersedes_id == 1]
    # as test_a_weigh_sheet_in_milligrams_stores_grams_without_rounding stores the same masses from a sheet
    assert new.weighed_g == {"Fe": "9.71235", "Ni": "10.2876"}
    assert new.made_composition == made_composition({"Fe": 9.71235, "Ni": 10.2876})


def test_a_correction_with_other_masses_keeps_the_new_ones_and_the_old_stay_in_the_history(store):
    (a,) = insert_candidates(store, ["FeNi"], status="exported")
    m = record_result(store, candidate_id=a, single_phase="yes", phases="FCC").measurement
    first = correct_result(store, m.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.25")
    second = correct_result(store, first.id, single_phase="yes", weighed_g="Fe:9.70,Ni:10.25")
    ms = _by_id(store)
    assert ms[first.id].weighed_g == {"Fe": "9.75", "Ni": "10.25"}
    assert ms[second.id].weighed_g == {"Fe": "9.70", "Ni": "10.25"}


def test_a_correction_without_masses_keeps_the_masses_weighed(store):
    """A label or note fixed later: the ingot is the same, so are its masses (and the composition made)."""
    (a,) = insert_candidates(store, ["FeNi"], status="exported")
    m = record_result(store, candidate_id=a, single_phase="yes", phases="FCC").measurement
    weighed = correct_result(store, m.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.25")
    relabelled = correct_result(store, weighed.id, single_phase="no", phases="FCC+BCC", notes="re-measured")
    stored = _measurement(store, relabelled.id)
    assert stored.weighed_g == {"Fe": "9.75", "Ni": "10.25"}
    assert stored.made_composition == _measurement(store, weighed.id).made_composition


def test_the_same_masses_retyped_are_nothing_to_correct_but_masses_for_a_result_without_them_are(store):
    (a,) = insert_candidates(store, ["FeNi"], status="exported")
    m = record_result(store, candidate_id=a, single_phase="yes", phases="FCC").measurement
    weighed = correct_result(store, m.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.25")
    before = counts(store)
    with pytest.raises(CampaignError, match="these are the masses weighed it records: nothing to correct"):
        correct_result(store, weighed.id, single_phase="yes", weighed_g="Fe:9.750,Ni:10.25")  # 9.750 is 9.75
    assert counts(store) == before
    # a result stored before 0006 kept only the composition made: its masses, typed again, are recorded
    with store.write() as s:
        s.add(Measurement(alloy_id=m.alloy_id, single_phase=True, phases="FCC", candidate_id=a, source="lab",
                          made_composition=made_composition({"Fe": 9.75, "Ni": 10.25})))
    old = max(_by_id(store))
    added = correct_result(store, old, single_phase="yes", phases="FCC", operator="tester", weighed_g="Fe:9.75,Ni:10.25",
                           by="tester")
    assert _measurement(store, added.id).weighed_g == {"Fe": "9.75", "Ni": "10.25"}


def test_a_filled_weigh_sheet_stores_the_masses_typed(store, tmp_path):
    (a, b), _, out = _sheet(store, tmp_path, ["FeNi", "CoCrFeNi"])
    _fill(out, {str(a): {"Fe": "8.80", "Ni": "10.0"}}, {str(a): ("yes", "FCC"), str(b): ("no", "FCC+BCC")})
    report = import_results(store, out)
    ms = {m.candidate_id: m for m in _by_id(store).values()}
    assert report.measurements_added == 2
    assert ms[a].weighed_g == {"Fe": "8.80", "Ni": "10.0"}
    assert ms[a].made_composition == made_composition({"Fe": 8.8, "Ni": 10.0})
    assert ms[b].weighed_g is None and ms[b].made_composition is None  # no masses typed: none stored


def test_a_weigh_sheet_in_milligrams_stores_grams_without_rounding(store, tmp_path):
    ids = insert_candidates(store, ["FeNi"])
    approve(store, ids)
    out = tmp_path / "sheet-mg.csv"
    export_batch(store, mass=20000, unit="mg", out=out, fmt="sheet")
    assert _rows(out)[0][6] == "weighed_mg"
    _fill(out, {str(ids[0]): {"Fe": "9712.35", "Ni": "10287.6"}}, {str(ids[0]): ("yes", "FCC")})
    import_results(store, out)
    (m,) = _by_id(store).values()
    assert m.weighed_g == {"Fe": "9.71235", "Ni": "10.2876"}
    assert m.made_composition == made_composition({"Fe": 9.71235, "Ni": 10.2876})


def test_masses_filled_in_after_the_label_are_stored_with_the_correction(store, tmp_path):
    (a,), _, out = _sheet(store, tmp_path, ["FeNi"])
    _fill(out, {}, {str(a): ("yes", "FCC")})
    (first,) = import_results(store, out).measurement_ids
    _fill(out, {str(a): {"Fe": "9.7", "Ni": "10.30"}}, {})
    ((_, old, new),) = import_results(store, out).masses_added
    assert old == first and _measurement(store, new).weighed_g == {"Fe": "9.7", "Ni": "10.30"}


def test_masses_typed_without_the_label_of_a_measured_candidate_are_stored_with_the_correction(store, tmp_path):
    (a,), _, out = _sheet(store, tmp_path, ["FeNi"])
    typed = record_result(store, candidate_id=a, single_phase="no", phases="FCC+BCC").measurement
    _fill(out, {str(a): {"Fe": "9.70", "Ni": "10.3"}}, {})
    ((_, old, new),) = import_results(store, out).masses_added
    assert old == typed.id and _measurement(store, new).weighed_g == {"Fe": "9.70", "Ni": "10.3"}


def test_a_move_within_the_alloy_keeps_the_masses_and_a_move_to_another_alloy_drops_them(store):
    wrong, right = insert_candidates(store, ["FeNi", "FeNi"], status="exported")
    (other,) = insert_candidates(store, ["CoNi"], status="exported")
    m = record_result(store, candidate_id=wrong, single_phase="yes").measurement
    weighed = correct_result(store, m.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.25")
    moved = move_result(store, weighed.id, candidate_id=right, single_phase=True).measurement
    assert _measurement(store, moved.id).weighed_g == {"Fe": "9.75", "Ni": "10.25"}
    away = move_result(store, moved.id, candidate_id=other, single_phase=True).measurement
    stored = _measurement(store, away.id)
    assert stored.weighed_g is None and stored.made_composition is None  # CoNi: FeNi's masses say nothing of it


def test_history_shows_the_masses_weighed_with_their_total(capsys, store):
    from hea_campaign.tui.present.report import format_history

    m = record_result(store, "FeNi", single_phase="yes", phases="FCC").measurement
    weighed = correct_result(store, m.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.250")
    text = format_history(history(store, "FeNi"))
    (line,) = [ln for ln in text.splitlines() if f"measurement {weighed.id}:" in ln]
    assert "weighed 9.75 g Fe, 10.250 g Ni (total 20.000 g)" in line and "made (at.%) Fe" in line
    (before,) = [ln for ln in text.splitlines() if f"measurement {m.id}:" in ln]
    assert "weighed" not in before
    assert main(["history", "FeNi", "--db", store.url]) == 0  # the command prints the same
    assert "weighed 9.75 g Fe, 10.250 g Ni (total 20.000 g)" in capsys.readouterr().out


def test_the_candidate_detail_and_the_browser_panel_show_the_masses_weighed(store):
    from hea_campaign.campaign.candidates import _lab_results
    from hea_campaign.campaign.results_browser import result_chain
    from hea_campaign.tui.present.results_text import format_chain
    from hea_campaign.tui.present.views import lab_result_lines

    (a,) = insert_candidates(store, ["FeNi"], status="exported")
    m = record_result(store, candidate_id=a, single_phase="yes", phases="FCC").measurement
    weighed = correct_result(store, m.id, single_phase="yes", weighed_g="Fe:9.75,Ni:10.25")
    with store.read() as s:
        lines = lab_result_lines(_lab_results(s, store.campaign_id, a, "FeNi"))
    (line,) = [ln for ln in lines if f"measurement {weighed.id}:" in ln]
    assert "weighed 9.75 g Fe, 10.25 g Ni (total 20.00 g)" in line and "made (at.%) Fe" in line
    panel = format_chain(result_chain(store, weighed.id), weighed.id)
    assert "weighed 9.75 g Fe, 10.25 g Ni (total 20.00 g)" in panel
    assert panel.count("weighed ") == 1  # the first entry of the chain had no masses
