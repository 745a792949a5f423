"""The weigh sheet: long format, per-element totals, loss allowances, and filled in again by result import."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from sqlmodel import select

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.export import export_batch
from hea_campaign.campaign.lifecycle import approve
from hea_campaign.campaign.results import ResultsImportFailed, import_results, record_result
from hea_campaign.campaign.training_set import snapshot
from hea_campaign.campaign.weigh_sheet import parse_loss
from hea_campaign.db.tables import Measurement

from .conftest import candidate_statuses, insert_candidates

FE, NI, MN, AL = 55.845, 58.693, 54.938, 26.982  # g/mol, from a periodic table
HEADER = ["candidate_id", "formula", "element", "at_pct", "grams", "loss_pct", "weighed_g", "single_phase", "phases",
          "batch"]


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _sheet(store, tmp_path, formulas, **kw):
    ids = insert_candidates(store, formulas)
    approve(store, ids)
    out = tmp_path / "sheet.csv"
    res = export_batch(store, mass=20, out=out, fmt="sheet", **kw)
    return ids, res, out


def test_one_line_per_candidate_and_element_then_totals(store, tmp_path):
    (a, b), res, out = _sheet(store, tmp_path, ["FeNi", "CoCrFeNi"])
    header, *lines = _rows(out)
    assert header == HEADER
    body = [r for r in lines if r[0] != "total"]
    totals = {r[2]: Decimal(r[4]) for r in lines if r[0] == "total"}
    assert [(r[0], r[1], r[2]) for r in body] == [(str(a), "FeNi", "Fe"), (str(a), "FeNi", "Ni")] + [
        (str(b), "CoCrFeNi", e) for e in ("Co", "Cr", "Fe", "Ni")]
    assert all(r[6] == "" and r[7] == "" for r in body)  # weighed_g and the result: for the bench to fill
    assert {r[9] for r in lines} == {str(res.batch_id)}  # every line names its batch
    assert float(body[0][4]) == pytest.approx(20 * FE / (FE + NI), abs=2e-4)
    for cid in (a, b):
        assert sum(Decimal(r[4]) for r in body if r[0] == str(cid)) == 20  # masses sum exactly to the target
    assert sorted(totals) == ["Co", "Cr", "Fe", "Ni"]
    for element, total in totals.items():
        assert total == sum(Decimal(r[4]) for r in body if r[2] == element)
    assert candidate_statuses(store, [a, b]) == {a: "exported", b: "exported"} and res.format == "sheet"


def test_loss_allowances_are_added_to_their_elements(store, tmp_path):
    (cid,), _, out = _sheet(store, tmp_path, ["AlCoCrFeMnNi"], loss="Mn:2%,Al:1%")
    _, *lines = _rows(out)
    body = {r[2]: r for r in lines if r[0] == str(cid)}
    plain = {r[2]: r for r in _rows(export_sheet_without_loss(store, tmp_path))[1:] if r[0] != "total"}
    assert Decimal(body["Mn"][4]) == pytest.approx(Decimal(plain["Mn"][4]) * Decimal("1.02"), abs=Decimal("0.0001"))
    assert Decimal(body["Al"][4]) == pytest.approx(Decimal(plain["Al"][4]) * Decimal("1.01"), abs=Decimal("0.0001"))
    assert body["Fe"][4] == plain["Fe"][4] and body["Fe"][5] == "" and body["Mn"][5] == "2.0"


def export_sheet_without_loss(store, tmp_path):
    ids = insert_candidates(store, ["AlCoCrFeMnNi"])
    approve(store, ids)
    out = tmp_path / "plain.csv"
    export_batch(store, mass=20, out=out, fmt="sheet")
    return out


@pytest.mark.parametrize(("text", "message"), [("Mn2%", "not a loss allowance"), ("Mn:60%", "outside"),
                                               ("Mn:1%,Mn:2%", "two loss"), ("Xx:1%", "Xx"),
                                               ("al:1", r"'al:1' is not a loss allowance \('Al:1'\? element symbols"),
                                               ("xx:1", r"allowance; write")])
def test_bad_loss_allowances_are_refused(text, message):
    with pytest.raises(Exception, match=message):
        parse_loss(text)


def test_loss_needs_the_sheet_format(store, tmp_path):
    approve(store, insert_candidates(store, ["FeNi"]))
    with pytest.raises(CampaignError, match="--format sheet"):
        export_batch(store, mass=20, out=tmp_path / "b.csv", loss="Mn:2%")


def _fill(path, weighed: dict, results: dict, unit_col=6):
    header, *lines = _rows(path)
    for r in lines:
        if r[0] != "total" and r[0] in weighed and r[2] in weighed[r[0]]:
            r[unit_col] = weighed[r[0]][r[2]]
        if r[0] in results and r[2] == min(x[2] for x in lines if x[0] == r[0]):  # first element's line
            r[7], r[8] = results[r[0]]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *lines])


def test_a_filled_sheet_records_the_composition_actually_made(store, tmp_path):
    (a, b), _, out = _sheet(store, tmp_path, ["FeNi", "CoCrFeNi"])
    # Fe short by a gram: the alloy made is richer in Ni than FeNi
    _fill(out, {str(a): {"Fe": "8.8", "Ni": "10.0"}}, {str(a): ("yes", "FCC")})
    report = import_results(store, out)
    assert (report.measurements_added, report.weighed, report.waiting) == (1, 1, 1)
    assert candidate_statuses(store, [a, b]) == {a: "measured", b: "exported"}
    with store.read() as s:
        (m,) = s.exec(select(Measurement)).all()
    fe, ni = 8.8 / FE, 10.0 / NI
    assert m.made_composition == pytest.approx({"Fe": fe / (fe + ni), "Ni": ni / (fe + ni)}, abs=2e-6)
    assert m.candidate_id == a and m.single_phase is True and m.phases == "FCC"
    # the same sheet again: nothing new; with b's result filled in later: only b
    assert import_results(store, out).already_imported == 1
    _fill(out, {}, {str(b): ("no", "FCC+BCC")})
    later = import_results(store, out)
    assert (later.measurements_added, later.already_imported, later.weighed) == (1, 1, 0)
    assert candidate_statuses(store, [b]) == {b: "measured"}


def test_training_uses_the_composition_made(store, tmp_path):
    # enough labelled alloys for a snapshot; one of them carries a weighed composition
    (a,), _, out = _sheet(store, tmp_path, ["FeNi"])
    _fill(out, {str(a): {"Fe": "9.0", "Ni": "10.0"}}, {str(a): ("yes", "")})
    import_results(store, out)
    ts = snapshot(store)
    (row,) = ts.X_lab[[f == "FeNi" for f in ts.lab_formulas]]
    vocab = list(ts.vocabulary)
    fe, ni = 9.0 / FE, 10.0 / NI
    assert row[vocab.index("Fe")] == pytest.approx(fe / (fe + ni), abs=1e-5)
    assert row[vocab.index("Ni")] == pytest.approx(ni / (fe + ni), abs=1e-5)


@pytest.mark.parametrize(("weighed", "message"), [
    ({"Fe": "8.8"}, "weighed mass missing for Ni"),
    ({"Fe": "-1", "Ni": "10"}, "must be positive"),
    ({"Fe": "abc", "Ni": "10"}, "not a number"),
    ({"Fe": "1e6", "Ni": "10"}, r"give 100\.0 at\.% Fe where the candidate has 50\.0 at\.%"),  # a slip of the finger
    ({"Fe": "9300", "Ni": "10.0"}, "check the masses"),  # Fe in mg in a column of grams
])
def test_a_half_filled_or_nonsense_sheet_is_refused_whole(store, tmp_path, weighed, message):
    (a,), _, out = _sheet(store, tmp_path, ["FeNi"])
    _fill(out, {str(a): weighed}, {str(a): ("yes", "")})
    with pytest.raises(ResultsImportFailed, match=message):
        import_results(store, out)
    with store.read() as s:
        assert s.exec(select(Measurement)).all() == []


def test_a_result_typed_on_a_total_line_is_refused_naming_the_line(store, tmp_path):
    """A total line (what to take from a stock bottle) is no candidate's: a label typed there was dropped
    without a word; it is now an error of that line, and the sheet imports nothing."""
    (a,), _, out = _sheet(store, tmp_path, ["FeNi"])
    _fill(out, {str(a): {"Fe": "9.5", "Ni": "10.5"}}, {"total": ("yes", "FCC")})
    rows = _rows(out)
    line = 1 + next(i for i, r in enumerate(rows) if r[0] == "total")  # the file's line number
    rows[line - 1][6] = "9.5"  # what was taken from the Fe bottle: not a result, ignored
    with open(out, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(ResultsImportFailed, match=f"line {line}: single_phase and phases typed on a total line "
                                                  "\\(the batch's Fe to take from stock\\)"):
        import_results(store, out)
    assert _measurements(store) == []
    _fill(out, {}, {"total": ("", "")})  # cleared: the weighed mass left on the total line is harmless
    assert import_results(store, out).measurements_added == 0


# ------------------------------------------------------------------ a fixed sheet re-imported


def _measurements(store) -> list:
    with store.read() as s:
        return list(s.exec(select(Measurement).order_by(Measurement.id)))


def test_a_fixed_label_in_a_reimported_sheet_is_refused_naming_the_measurement_to_correct(store, tmp_path):
    """The lab fixes a typo in the sheet and imports it again: that is a correction, not a second result
    (a second one would leave the alloy conflicting and out of training, silently)."""
    (a,), _, out = _sheet(store, tmp_path, ["FeNi"])
    _fill(out, {str(a): {"Fe": "9.7", "Ni": "10.3"}}, {str(a): ("yes", "FCC")})
    (first,) = import_results(store, out).measurement_ids
    _fill(out, {}, {str(a): ("no", "FCC+BCC")})
    with pytest.raises(ResultsImportFailed) as err:
        import_results(store, out)
    text = str(err.value)
    assert f"measurement {first} (candidate {a}, from results:sheet.csv) says single phase yes" in text
    assert "this result says no" in text and f"hea-campaign result correct {first}" in text
    assert "--allow-conflicts" in text
    assert [m.id for m in _measurements(store)] == [first]
    second = import_results(store, out, allow_conflicts=True)  # a real second ingot: the person says so
    assert second.measurements_added == 1 and len(_measurements(store)) == 2


def test_a_corrected_mass_in_a_reimported_sheet_is_refused(store, tmp_path):
    (a,), _, out = _sheet(store, tmp_path, ["FeNi"])
    _fill(out, {str(a): {"Fe": "9.7", "Ni": "10.3"}}, {str(a): ("yes", "FCC")})
    (first,) = import_results(store, out).measurement_ids
    _fill(out, {str(a): {"Fe": "9.9", "Ni": "10.3"}}, {})
    with pytest.raises(ResultsImportFailed, match=f"measurement {first} .* recorded other masses weighed for this "
                                                  "candidate"):
        import_results(store, out)
    with pytest.raises(ResultsImportFailed, match=f"result correct {first} --single-phase yes --weighed-g"):
        import_results(store, out)  # the way to fix a mistyped mass is named
    assert [m.id for m in _measurements(store)] == [first]
    assert import_results(store, out, allow_conflicts=True).measurements_added == 1  # both kept in the history


def test_a_replicate_ingot_weighed_differently_with_the_same_label_is_not_a_conflict(store, tmp_path):
    """Two ingots never weigh the same: only one candidate's own masses are compared."""
    (a,), _, out = _sheet(store, tmp_path, ["FeNi"])
    _fill(out, {str(a): {"Fe": "9.7", "Ni": "10.3"}}, {str(a): ("yes", "FCC")})
    import_results(store, out)
    (b,) = insert_candidates(store, ["FeNi"])
    approve(store, [b])
    again = tmp_path / "replicate.csv"
    export_batch(store, ids=[b], mass=20, out=again, fmt="sheet", allow_measured=True)
    _fill(again, {str(b): {"Fe": "9.71", "Ni": "10.29"}}, {str(b): ("yes", "FCC")})
    assert import_results(store, again).measurements_added == 1


def test_opposite_labels_for_one_candidate_within_one_file_are_refused(store, tmp_path):
    from hea_campaign.campaign.export import export_batch as export

    (a,) = insert_candidates(store, ["CoCrFeNi"])
    approve(store, [a])
    export(store, ids=[a], mass=20, out=tmp_path / "b.csv")
    csv_file = tmp_path / "xrd.csv"
    csv_file.write_text(f"candidate_id,single_phase,phases\n{a},yes,FCC\n{a},no,FCC+BCC\n")
    with pytest.raises(ResultsImportFailed, match=f"line 3: candidate {a} is single phase yes on line 2 and no here"):
        import_results(store, csv_file)
    assert _measurements(store) == []


def test_a_loss_allowance_for_an_element_nobody_weighs_is_refused(store, tmp_path):
    ids = insert_candidates(store, ["FeNi"])
    approve(store, ids)
    with pytest.raises(CampaignError, match=r"--loss names Mn, which no candidate of this batch contains "
                                            r"\(its elements: Fe, Ni\)"):
        export_batch(store, mass=20, out=tmp_path / "s.csv", fmt="sheet", loss="Mn:2%")
    assert not (tmp_path / "s.csv").exists() and candidate_statuses(store, ids) == {ids[0]: "approved"}


def test_masses_filled_in_after_the_label_complete_the_stored_result(store, tmp_path):
    """The sheet is imported with the label first, then again once the masses are typed in: the masses
    are added to the stored result as its correction, not stored as a second result of the ingot."""
    (a, b), _, out = _sheet(store, tmp_path, ["FeNi", "CoNi"])
    _fill(out, {}, {str(a): ("yes", "FCC")})
    (first,) = import_results(store, out).measurement_ids
    _fill(out, {str(a): {"Fe": "9.7", "Ni": "10.3"}}, {})
    report = import_results(store, out)
    (line, old, new), = report.masses_added
    assert old == first and report.measurements_added == 1 and report.already_recorded == []
    ms = {m.id: m for m in _measurements(store)}
    assert ms[new].supersedes_id == first and ms[new].made_composition and ms[new].single_phase is True
    assert (ms[new].phases, ms[new].candidate_id) == ("FCC", a)
    again = import_results(store, out)  # the same sheet once more: nothing new
    assert again.measurements_added == 0 and len(_measurements(store)) == 2


def test_masses_typed_without_the_label_of_a_measured_candidate_complete_its_stored_result(store, tmp_path):
    """The lab typed the result in by hand, then filled only the masses on the sheet: they go to the
    stored result as its correction (the label and phases kept), not dropped as a 'blank line'."""
    from hea_campaign.tui.present.report import format_results_import

    (a, b, c), _, out = _sheet(store, tmp_path, ["FeNi", "CoNi", "CoFe"])
    typed = record_result(store, candidate_id=a, single_phase="no", phases="FCC+BCC").measurement
    _fill(out, {str(a): {"Fe": "9.7", "Ni": "10.3"}, str(b): {"Co": "10.0", "Ni": "10.0"}}, {})
    report = import_results(store, out)
    (_, old, new), = report.masses_added
    ms = {m.id: m for m in _measurements(store)}
    assert old == typed.id and ms[new].supersedes_id == typed.id and ms[new].made_composition
    assert (ms[new].single_phase, ms[new].phases, ms[new].candidate_id) == (False, "FCC+BCC", a)
    # b has masses and no result: nothing stored, and the report says so; c is blank and waiting
    assert report.weighed_unstored == [(b, "no result yet")] and (report.waiting, report.blank_measured) == (2, 0)
    text = format_results_import(report)
    assert f"masses typed without a result, not stored yet: candidate {b}" in text
    assert "left blank" not in text
    again = import_results(store, out)  # the same sheet once more: nothing new
    assert again.measurements_added == 0 and len(_measurements(store)) == 2


def test_masses_typed_for_a_failed_candidate_are_reported_not_stored(store, tmp_path):
    from hea_campaign.campaign.lifecycle import fail
    from hea_campaign.tui.present.report import format_results_import

    (a,), _, out = _sheet(store, tmp_path, ["FeNi"])
    fail(store, [a], "cracked")
    _fill(out, {str(a): {"Fe": "9.7", "Ni": "10.3"}}, {})
    report = import_results(store, out)
    assert report.measurements_added == 0 and report.weighed_unstored == [(a, "failed")]
    assert (report.waiting, report.blank_measured) == (0, 0)
    assert f"masses typed for a failed synthesis, not stored: candidate {a}" in format_results_import(report)


def test_blank_lines_of_candidates_measured_another_way_are_not_waiting(store, tmp_path):
    from hea_campaign.tui.present.report import format_results_import

    (a, b), _, out = _sheet(store, tmp_path, ["FeNi", "CoCrFeNi"])
    record_result(store, candidate_id=b, single_phase="no", phases="FCC+BCC")  # typed in, not on the sheet
    _fill(out, {str(a): {"Fe": "9.7", "Ni": "10.3"}}, {str(a): ("yes", "FCC")})
    report = import_results(store, out)
    assert (report.measurements_added, report.waiting, report.blank_measured) == (1, 0, 1)
    assert "0 candidate(s) without a result yet" in format_results_import(report)
    # b's four lines are blank: one candidate, not "1 blank line(s)" as the report said
    assert "1 candidate(s) left blank as measured or failed already" in format_results_import(report)
    assert "blank line" not in format_results_import(report)


def test_blank_lines_of_failed_candidates_are_not_counted_as_measured(store, tmp_path):
    from hea_campaign.campaign.lifecycle import fail

    (a, b), _, out = _sheet(store, tmp_path, ["FeNi", "CoCrFeNi"])
    fail(store, [b], "cracked")
    _fill(out, {str(a): {"Fe": "9.7", "Ni": "10.3"}}, {str(a): ("yes", "FCC")})
    report = import_results(store, out)
    assert (report.waiting, report.blank_measured) == (0, 1)


def test_the_sheet_of_a_voided_or_retried_batch_is_refused_and_an_old_sheet_without_the_column_imports(store,
                                                                                                       tmp_path):
    """A result weighed on the sheet of a voided batch, or of a batch whose ingot failed and was exported
    again, would be credited to another ingot: refused, naming the sheet to use.  Sheets written before
    the batch column import as before."""
    import shutil

    from hea_campaign.campaign.export_batches import void_batch
    from hea_campaign.campaign.lifecycle import fail

    (a, b), first, out = _sheet(store, tmp_path, ["FeNi", "CoCrFeNi"])
    old_sheet = tmp_path / "first.csv"
    shutil.copy(out, old_sheet)
    void_batch(store, first.batch_id, "wrong target mass", by="dave")
    second = export_batch(store, mass=20, out=tmp_path / "second.csv", fmt="sheet")
    _fill(old_sheet, {}, {str(a): ("yes", "FCC")})
    with pytest.raises(ResultsImportFailed, match=rf"batch {first.batch_id} was voided \(wrong target mass\).*"
                                                  rf"current batch \({second.batch_id}\)"):
        import_results(store, old_sheet)
    fail(store, [b], "oxidised", by="dave")
    approve(store, [b])
    third = export_batch(store, mass=20, out=tmp_path / "third.csv", fmt="sheet")
    retried = tmp_path / "second-filled.csv"
    shutil.copy(tmp_path / "second.csv", retried)
    _fill(retried, {}, {str(b): ("no", "FCC+BCC")})
    with pytest.raises(ResultsImportFailed, match=rf"candidate {b} was exported again in batch {third.batch_id}"):
        import_results(store, retried)
    _fill(tmp_path / "third.csv", {}, {str(b): ("no", "FCC+BCC")})
    assert import_results(store, tmp_path / "third.csv").measurements_added == 1
    header, *lines = _rows(tmp_path / "second.csv")  # a sheet from before the column: no batch to check
    _fill(tmp_path / "second.csv", {}, {str(a): ("yes", "FCC")})
    header, *lines = _rows(tmp_path / "second.csv")
    with open(tmp_path / "legacy.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header[:-1], *[r[:-1] for r in lines]])
    assert import_results(store, tmp_path / "legacy.csv").measurements_added == 1


def test_masses_typed_in_milligrams_as_grams_are_refused_by_their_total(store, tmp_path):
    """Every mass of a 20 g ingot typed in mg in the weighed_g column gives the composition meant: only the
    total (20 kg) tells, and it is refused against the sheet's own ingot."""
    (a,), _, out = _sheet(store, tmp_path, ["Cr17Cu17Fe22Mn17Ni27"])
    grams = {r[2]: Decimal(r[4]) for r in _rows(out)[1:] if r[0] == str(a)}
    _fill(out, {str(a): {e: str(g * 1000) for e, g in grams.items()}}, {str(a): ("yes", "FCC")})
    with pytest.raises(ResultsImportFailed, match=rf"candidate {a}: the weighed masses add up to 20000 g, where its "
                                                  r"export batch's ingot is 20 g: check the masses and their unit"):
        import_results(store, out)
    _fill(out, {str(a): {e: str(g * Decimal("0.98")) for e, g in grams.items()}}, {})  # 2 % lost: fine
    assert import_results(store, out).weighed == 1


def test_result_correct_checks_the_total_of_the_masses_typed(store, tmp_path):
    """result correct --weighed-g with milligrams typed as grams (a 20 g ingot as 20 kg) was stored: the
    composition is the one meant; when only the scale differed from the masses recorded, the refusal said
    the masses were the same."""
    from hea_campaign.campaign.results import correct_result

    from .conftest import counts

    (a,), _, out = _sheet(store, tmp_path, ["Cr17Cu17Fe22Mn17Ni27"])
    typed = {"Cr": "3.0953", "Cu": "3.7828", "Fe": "4.3022", "Mn": "3.2704", "Ni": "5.5493"}
    _fill(out, {str(a): typed}, {str(a): ("yes", "FCC")})
    (m,) = import_results(store, out).measurement_ids
    before = counts(store)
    with pytest.raises(CampaignError, match=r"^Cr17Cu17Fe22Mn17Ni27: the weighed masses add up to 20000 g, where its export "
                                            r"batch's ingot is 20 g: check the masses and their unit"):
        correct_result(store, m, single_phase="yes", weighed_g="Cr:3095.3,Cu:3782.8,Fe:4302.2,Mn:3270.4,Ni:5549.3")
    with pytest.raises(CampaignError, match="add up to 0.02 g"):  # grams typed as kilograms
        correct_result(store, m, single_phase="yes", weighed_g="Cr:0.0031,Cu:0.0038,Fe:0.0043,Mn:0.0033,Ni:0.0055")
    with pytest.raises(CampaignError, match=r"already says single phase \(FCC\) with this method, date and notes, and "
                                            r"these are the masses weighed it records: nothing to correct"):
        correct_result(store, m, single_phase="yes", weighed_g="Cr:3.09530,Cu:3.7828,Fe:4.3022,Mn:3.2704,Ni:5.54930")
    assert counts(store) == before
    # the masses are kept as weighed: the same proportions at another scale (within the ingot) are other masses
    scaled = correct_result(store, m, single_phase="yes",
                            weighed_g="Cr:4.64295,Cu:5.6742,Fe:6.4533,Mn:4.9056,Ni:8.32395")
    assert scaled.supersedes_id == m and scaled.weighed_g["Cr"] == "4.64295"
    fixed = correct_result(store, scaled.id, single_phase="yes",
                           weighed_g="Cr:3.1953,Cu:3.7828,Fe:4.3022,Mn:3.2704,Ni:5.5493")
    assert fixed.supersedes_id == scaled.id
    by_formula = record_result(store, "FeNi", single_phase="yes").measurement  # no batch: an ingot export takes
    with pytest.raises(CampaignError, match=r"add up to 20000 g, where an ingot is 0\.1 g to 1000 g"):
        correct_result(store, by_formula.id, single_phase="yes", weighed_g="Fe:9750,Ni:10250")
