"""Dataset import: the seed set's quirks are reported, re-import is a no-op, failures write nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from hea_campaign.campaign import importing
from hea_campaign.campaign.datasets import DatasetError, fetch, parse_label, phase_to_label, read_table
from hea_campaign.campaign.importing import ImportFailed, import_csv
from hea_campaign.campaign.labels import alloy_labels
from hea_campaign.campaign.status import campaign_status
from hea_campaign.db import store as q
from hea_campaign.db.tables import Alloy, Measurement

from .conftest import MPEA_CSV, SEED_CSV


def _counts(store):
    with store.read() as s:
        return (
            s.exec(select(func.count()).select_from(Alloy)).one(),
            s.exec(select(func.count()).select_from(Measurement)).one(),
            q.count_audit_events(s),
        )


def test_fetch_uses_the_local_cache_and_verifies_it(tmp_path, monkeypatch):
    assert fetch("yan2021") == SEED_CSV
    bad = tmp_path / "HEA_top30_comps.csv"
    bad.write_text("Alloys,Class\nFeNi,1\n")
    monkeypatch.setenv("HEA_CAMPAIGN_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="sha256"):
        fetch("yan2021")
    with pytest.raises(DatasetError, match="unknown dataset"):
        fetch("nope")
    monkeypatch.setenv("HEA_CAMPAIGN_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(DatasetError, match="is not in"):
        fetch("yan2021")


def test_seed_import_counts_and_report(store):
    report = import_csv(store, fetch("yan2021"), source="yan2021")
    assert report.rows == 1375 and report.measurements_added == 1375
    assert report.labelled_rows == 1375
    # 2 repeated strings + 4 different strings for one composition -> 1369 alloys
    assert set(report.repeated_strings) == {"Hf1Nb1Ti1V1Zr1", "Ti0.5Zr0.5"}
    assert len(report.same_composition) == 4
    assert "Co1Cu1Fe1Ni1Ti1" in report.same_composition["CoCuFeNiTi"]
    assert report.alloys_added == 1369
    assert "HfNbTiVZr" in report.conflicts
    labels = sorted(lab for _, _, lab in report.conflicts["HfNbTiVZr"])
    assert labels == [False, True]
    assert len(report.conflicts) == 3
    assert report.outside_vocabulary == {}
    assert 30 <= len(report.near_duplicate_groups) <= 45
    st = campaign_status(store)
    assert (st.alloys, st.conflicts, st.labelled) == (1369, 3, 1366)
    assert st.single_phase + st.multi_phase == st.labelled


def test_reimporting_the_same_file_adds_nothing(seeded_store):
    before = _counts(seeded_store)
    report = import_csv(seeded_store, fetch("yan2021"), source="yan2021")
    assert report.already_imported == 1375
    assert report.alloys_added == report.measurements_added == 0
    assert _counts(seeded_store) == before


def test_import_failing_halfway_leaves_the_store_unchanged(store, monkeypatch):
    before = _counts(store)
    real_audit = q.audit

    def failing_audit(session, **kw):
        if kw.get("action") == "dataset.import":
            session.flush()  # every alloy and measurement has been sent to the database
            raise OSError("disk full")
        return real_audit(session, **kw)

    monkeypatch.setattr(importing.q, "audit", failing_audit)
    with pytest.raises(OSError):
        import_csv(store, fetch("yan2021"), source="yan2021")
    assert _counts(store) == before


def test_bad_rows_abort_the_import_unless_skipped(store, tmp_path):
    csv = tmp_path / "lab.csv"
    csv.write_text("formula,single_phase\nCoCrFeNi,yes\nXx2Fe,no\nAlCoCrFeNi,maybe\nCoCrFeMnNi,1\n")
    before = _counts(store)
    with pytest.raises(ImportFailed) as info:
        import_csv(store, csv)
    message = str(info.value)
    assert "line 3" in message and "Xx is not a chemical element" in message
    assert "line 4" in message and "maybe" in message
    assert _counts(store) == before
    report = import_csv(store, csv, skip_bad=True)
    assert report.measurements_added == 2 and [ln for ln, _ in report.errors] == [3, 4]


def test_rows_whose_cells_do_not_fit_the_header_are_refused_not_cut(store, tmp_path):
    """An unquoted comma used to drop the phase after it (FCC, BCC stored as FCC: single phase), and a
    row without its label cell became an unlabelled alloy: both are bad rows now."""
    csv = tmp_path / "cells.csv"
    csv.write_text("formula,phases,single_phase\nCoCrFeNiTa0.2,FCC, BCC,yes\nCoCrFeNiCu0.4,FCC\n"
                   "CoCrFeNi,FCC,yes,\nCoCrFeMnNi,FCC,yes\n")
    before = _counts(store)
    with pytest.raises(ImportFailed) as info:
        import_csv(store, csv)
    message = str(info.value)
    assert "line 2: 4 cells but the header has 3 columns" in message and "unquoted comma" in message
    assert "line 3: 2 cells but the header has 3 columns: no cell for 'single_phase'" in message
    assert "line 4" not in message and "line 5" not in message  # a blank extra cell loses nothing
    assert _counts(store) == before
    report = import_csv(store, csv, skip_bad=True)
    assert report.measurements_added == 2 and [ln for ln, _ in report.errors] == [2, 3]


@pytest.mark.parametrize(("text", "said"), [("formula;single_phase\nFeNi;yes\n", "semicolons"),
                                             ("formula\tsingle_phase\nFeNi\tyes\n", "tabs")])
def test_a_file_with_another_separator_is_named_as_such(store, tmp_path, text, said):
    csv = tmp_path / "sheet.csv"
    csv.write_text(text)
    with pytest.raises(DatasetError, match=f"looks separated by {said}; save it as comma-separated CSV"):
        import_csv(store, csv)


def test_a_file_without_a_label_column_names_the_columns_left_unread(store, tmp_path):
    from hea_campaign.tui.present.report import format_import_report

    csv = tmp_path / "res.csv"
    csv.write_text("composition,result,Note\nFeNi,yes,a\n")
    report = import_csv(store, csv)
    assert report.unread_columns == ("result", "Note") and report.unlabelled_rows == 1
    assert "columns not read: 'result', 'Note' (name the label column with --label-column)" in \
        format_import_report(report)
    named = tmp_path / "named.csv"
    named.write_text("composition,single_phase\nCoNi,yes\n")
    assert import_csv(store, named).unread_columns == ()


def test_a_phase_column_holding_labels_is_refused(store, tmp_path):
    csv = tmp_path / "pl.csv"
    csv.write_text("formula,result\nFeNi,yes\n")
    with pytest.raises(ImportFailed, match="the phases cell 'yes' is a single-phase label"):
        import_csv(store, csv, phase_column="result")


def test_generic_csv_with_named_columns_and_phases(store, tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("# our furnace log\nComp,Structure,Note\nCoCrFeNi,FCC,a\nAlCoCrFeNi,BCC+B2,b\nNbTaTiV,B2,c\n")
    report = import_csv(store, csv, formula_column="Comp", phase_column="Structure")
    assert report.layout == "generic"
    with store.read() as s:
        labels = {st.alloy.formula: st.label for st in alloy_labels(s, store.campaign_id).values()}
        phases = {m.source_formula: (m.phases, m.single_phase) for m in s.exec(select(Measurement))}
    assert labels == {"CoCrFeNi": True, "AlCoCrFeNi": False, "NbTaTiV": None}
    assert phases["NbTaTiV"] == ("B2", None)
    assert report.unlabelled_rows == 1


def test_missing_formula_column_is_a_clear_error(tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="no formula column"):
        read_table(csv)


def test_mpea_layout_maps_microstructures_and_flags_foreign_elements(store):
    report = import_csv(store, MPEA_CSV)
    assert report.layout == "mpea" and report.rows == 1545
    table = read_table(MPEA_CSV)
    for row in table.rows:
        if row.phases in ("B2", "Other"):
            assert row.single_phase is None
        elif row.phases in ("BCC", "FCC", "HCP"):
            assert row.single_phase is True
        elif row.phases and "+" in row.phases:
            assert row.single_phase is False
    assert report.conflicts, "the MPEA set has formulas with conflicting microstructures"
    assert any("B" in els for els in report.outside_vocabulary.values())
    with store.read() as s:
        flagged = s.exec(select(Alloy).where(Alloy.outside_vocabulary != "")).all()
    assert len(flagged) == len(report.outside_vocabulary) > 0


@pytest.mark.parametrize(
    ("text", "label"),
    [("1", True), ("yes", True), ("Single", True), ("0", False), ("no", False), ("multi", False), ("", None)],
)
def test_labels(text, label):
    assert parse_label(text) is label


@pytest.mark.parametrize(
    ("phases", "label"),
    [("FCC", True), ("BCC", True), ("HCP", True), (" fcc ", True), ("FCC+BCC", False), ("BCC+Laves", False),
     ("B2", None), ("Other", None), ("", None), (None, None)],
)
def test_phase_strings(phases, label):
    assert phase_to_label(phases) is label


def test_status_counts_agree_with_the_label_derivation(store):
    """The dashboard's aggregate query and campaign.labels must tell the same story."""
    import_csv(store, MPEA_CSV)
    st = campaign_status(store)
    with store.read() as s:
        states = alloy_labels(s, store.campaign_id)
    assert st.alloys == len(states)
    assert st.conflicts == sum(x.conflict for x in states.values()) > 0
    assert st.single_phase == sum(x.label is True for x in states.values())
    assert st.multi_phase == sum(x.label is False for x in states.values())
    assert st.unlabelled == sum(x.label is None and not x.conflict for x in states.values()) > 0
    assert st.measurements == 1545


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_grown_dataset_file_adds_only_its_new_rows(store, tmp_path):
    f = _write(tmp_path / "lab.csv", ["formula,single_phase", "FeNi,yes", "CoCrFeNi,yes"])
    assert import_csv(store, f).measurements_added == 2
    # one row appended, one inserted at the top, the old ones moved down: keyed by content, not line number
    _write(f, ["formula,single_phase", "AlCoCrFeNi,no", "FeNi,yes", "CoCrFeNi,yes", "MoNbTaW,yes"])
    report = import_csv(store, f)
    assert (report.measurements_added, report.already_imported) == (2, 2)
    with store.read() as s:
        assert s.exec(select(func.count()).select_from(Measurement)).one() == 4
    again = import_csv(store, f)
    assert (again.measurements_added, again.already_imported) == (0, 4)


def test_identical_rows_within_one_file_are_each_kept_once(store, tmp_path):
    f = _write(tmp_path / "repeats.csv", ["formula,single_phase", "FeNi,yes", "FeNi,yes"])
    assert import_csv(store, f).measurements_added == 2  # two rows, two measurements (a repeat)
    _write(f, ["formula,single_phase", "FeNi,yes", "FeNi,yes", "FeNi,yes"])
    report = import_csv(store, f)
    assert (report.measurements_added, report.already_imported) == (1, 2)


def test_a_dataset_with_a_repeated_column_is_refused(store, tmp_path):
    f = _write(tmp_path / "two.csv", ["formula,single_phase,single_phase", "FeNi,yes,no"])
    with pytest.raises(DatasetError, match="'single_phase' appears 2 times"):
        import_csv(store, f)
    with store.read() as s:
        assert s.exec(select(func.count()).select_from(Measurement)).one() == 0


def test_an_unchanged_file_is_recognised_from_its_hash_without_reading_a_row(store, tmp_path, monkeypatch):
    f = _write(tmp_path / "lab.csv", ["formula,single_phase", "FeNi,yes", "CoCrFeNi,no", "MoNbTaW,"])
    first = import_csv(store, f)
    assert (first.measurements_added, first.labelled_rows, first.unlabelled_rows) == (3, 2, 1)
    before = _counts(store)

    def no_row_lookups(*args, **kwargs):
        raise AssertionError("the rows were read although the file's hash is recorded")

    monkeypatch.setattr(importing, "_already_imported", no_row_lookups)
    again = import_csv(store, f)
    assert (again.rows, again.already_imported, again.measurements_added, again.alloys_added) == (3, 3, 0, 0)
    assert (again.labelled_rows, again.unlabelled_rows, again.errors, again.written) == (2, 1, [], True)
    assert _counts(store) == before


def test_a_changed_file_or_an_old_event_is_checked_row_by_row(store, tmp_path, monkeypatch):
    f = _write(tmp_path / "lab.csv", ["formula,single_phase", "FeNi,yes", "CoCrFeNi,no"])
    import_csv(store, f)
    _write(f, ["formula,single_phase", "FeNi,yes", "CoCrFeNi,no", "MoNbTaW,yes"])  # one row more: a new hash
    report = import_csv(store, f)
    assert (report.measurements_added, report.already_imported) == (1, 2)
    calls = []
    real = importing._already_imported
    monkeypatch.setattr(importing, "_already_imported", lambda *a, **k: calls.append(1) or real(*a, **k))
    with store.read() as s:
        recorded = q.action_payloads(s, store.campaign_id, importing.IMPORT_ACTION)
    old_events = [{k: v for k, v in p.items() if k != "unlabelled_rows"} for p in recorded]
    monkeypatch.setattr(importing.q, "action_payloads", lambda *a: old_events)  # events from before the count
    again = import_csv(store, f)
    assert calls == [1] and (again.already_imported, again.measurements_added, again.labelled_rows) == (3, 0, 3)


def test_a_file_imported_with_bad_rows_skipped_is_checked_row_by_row(store, tmp_path):
    f = _write(tmp_path / "lab.csv", ["formula,single_phase", "FeNi,yes", "Xx2Fe,no"])
    assert import_csv(store, f, skip_bad=True).measurements_added == 1
    again = import_csv(store, f, skip_bad=True)
    assert (again.already_imported, [ln for ln, _ in again.errors]) == (1, [3])
    with pytest.raises(ImportFailed):
        import_csv(store, f)


@pytest.mark.parametrize(("header", "row", "kind"), [
    ("formula,single_phase,phases,method,operator,notes,measured_on", "CoCrFeNi,yes,FCC,XRD,Ana,,2026-01-02",
     "a lab results file (columns operator, measured_on)"),
    ("candidate_id,single_phase,phases", "4,no,FCC+BCC", "a lab results file (columns candidate_id)"),
    ("candidate_id,formula,element,at_pct,grams,loss_pct,weighed_g,single_phase,phases",
     "11,CoCrFeNi,Co,25,5.1,,5.1,yes,FCC", "a weigh sheet (columns candidate_id, weighed_g)"),
])
def test_a_lab_results_file_or_weigh_sheet_is_refused_by_the_dataset_import(store, tmp_path, header, row, kind):
    """Read as a dataset, the lab's own results would become append-only literature rows without
    operator, date or candidate; the message names the command that reads them."""
    csv = tmp_path / "r2.csv"
    csv.write_text(f"{header}\n{row}\n")
    before = _counts(store)
    with pytest.raises((DatasetError, ImportFailed)) as err:
        import_csv(store, csv)
    assert f"r2.csv: this looks like {kind}" in str(err.value) and "hea-campaign result import" in str(err.value)
    assert _counts(store) == before


def test_the_cli_import_refuses_a_results_file_in_one_line(seeded_store, tmp_path, capsys, monkeypatch):
    from hea_campaign.tui.cli import main

    csv = tmp_path / "xrd.csv"
    csv.write_text("formula,single_phase,operator\nCoCrFeNi,yes,Ana\n")
    before = _counts(seeded_store)
    code = main(["import", str(csv), "--db", seeded_store.url])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "looks like a lab results file (columns operator)" in err, err
    assert _counts(seeded_store) == before
