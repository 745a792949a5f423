"""Results files as a lab saves them: Excel's empty trailing columns, headers typed with spaces, and
an operator column that holds more than one line."""

from __future__ import annotations

import pytest

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.results import add_result, correct_result, history, import_results


def _current(store, formula):
    """The alloy's current measurements (rows of the store), oldest first; [] when it has none or is unknown."""
    from hea_campaign.db.tables import Measurement

    try:
        ids = [e.entity_id for e in history(store, formula).entries
               if e.kind == "measurement" and not e.superseded_by]  # fmt: skip
    except CampaignError:
        return []
    with store.read() as session:
        return [session.get(Measurement, i) for i in ids]


def test_excel_empty_trailing_columns_are_ignored(seeded_store, tmp_path):
    """Excel saves a sheet once edited beyond its data with empty columns ("...,notes,,"): the import
    refused it with "unknown column(s) '', ''", naming columns the scientist cannot see."""
    f = tmp_path / "results.csv"
    f.write_bytes("\ufeffformula,single_phase,phases,notes,,\r\n"
                  "CoCrFeNiMn0.5,yes,FCC,arc melted,,\r\n"
                  ",,,,,\r\n".encode())  # fmt: skip
    report = import_results(seeded_store, f, by="ana")
    assert report.measurements_added == 1
    [m] = _current(seeded_store, "CoCrFeNiMn0.5")
    assert (m.phases, m.notes, m.operator) == ("FCC", "arc melted", "ana")


def test_a_value_under_a_column_without_a_name_is_refused(seeded_store, tmp_path):
    f = tmp_path / "results.csv"
    f.write_text("formula,single_phase,\nCoCrFeNiMn0.5,yes,FCC\n")
    with pytest.raises(CampaignError, match="line 2.*no name"):
        import_results(seeded_store, f, by="ana")
    assert _current(seeded_store, "CoCrFeNiMn0.5") == []


def test_header_names_typed_with_spaces_or_capitals(seeded_store, tmp_path):
    f = tmp_path / "results.csv"
    f.write_text(" Formula , Single Phase ,Phases,Measured On\nCoCrFeNiMn0.5,yes,FCC,2026-03-01\n")
    report = import_results(seeded_store, f, by="ana")
    assert report.measurements_added == 1
    [m] = _current(seeded_store, "CoCrFeNiMn0.5")
    assert (m.phases, str(m.measured_on)) == ("FCC", "2026-03-01")


@pytest.mark.parametrize("name", ["Alice\nBob", "Ana \x1b[2J", "Eve\u202eevil"])
def test_an_operator_with_control_characters_is_refused_in_a_file_too(seeded_store, tmp_path, name):
    """`--operator` refuses a multi-line name or one with escape characters; the operator column of a
    results CSV stored it, so the audit trail named "Alice<newline>Bob" as who measured."""
    import csv

    f = tmp_path / "results.csv"
    with f.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["formula", "single_phase", "operator"])
        w.writerow(["CoCrFeNiMn0.5", "yes", name])
    with pytest.raises(CampaignError, match="line 2: .*operator.*control character"):
        import_results(seeded_store, f, by="ana")
    assert _current(seeded_store, "CoCrFeNiMn0.5") == []
    with pytest.raises(CampaignError, match="control character"):
        add_result(seeded_store, "CoCrFeNiMn0.5", single_phase="yes", operator=name, by="ana")
    m = add_result(seeded_store, "CoCrFeNiMn0.5", single_phase="yes", operator="Zoë Ødegård", by="ana")
    with pytest.raises(CampaignError, match="control character"):
        correct_result(seeded_store, m.id, single_phase="yes", operator=name, by="ana")
    [current] = _current(seeded_store, "CoCrFeNiMn0.5")
    assert current.id == m.id and current.operator == "Zoë Ødegård"
