"""A results file re-imported with only a measured-on date fixed: the row is stored as a new measurement
(another day may be another ingot), and the import report names the line, both ids and the way to
withdraw the new one if only the date was wrong."""

from __future__ import annotations

from sqlmodel import func, select

from hea_campaign.campaign.results import import_results
from hea_campaign.db.tables import Measurement
from hea_campaign.tui.cli import main
from hea_campaign.tui.present.import_text import format_full_report

from .conftest import insert_candidates

HEADER = "candidate_id,formula,single_phase,phases,method,measured_on\n"


def _count(store) -> int:
    with store.read() as s:
        return s.exec(select(func.count()).select_from(Measurement)).one()


def _import_cli(capsys, store, path) -> str:
    code = main(["result", "import", str(path), "--by", "amy", "--db", store.url])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_a_reimport_with_one_date_fixed_names_the_line_and_both_ids(capsys, store, tmp_path):
    a, b, c = insert_candidates(store, ["CoCrFeNi", "AlCoCrFeNi", "CoCrFeMnNi"], status="exported")
    path = tmp_path / "xrd.csv"
    path.write_text(HEADER + f"{a},,yes,FCC,XRD,2026-11-02\n{b},,no,FCC+BCC,XRD,2026-11-02\n"
                    f"{c},,yes,FCC,XRD,2026-11-02\n", encoding="utf-8")
    first = import_results(store, path, by="amy")
    old = first.measurement_ids[1]
    path.write_text(HEADER + f"{a},,yes,FCC,XRD,2026-11-02\n{b},,no,FCC+BCC,XRD,2026-11-03\n"
                    f"{c},,yes,FCC,XRD,2026-11-02\n", encoding="utf-8")
    out = _import_cli(capsys, store, path)
    assert _count(store) == 4  # the rule is kept: another day is a new measurement
    with store.read() as s:
        new = s.exec(select(func.max(Measurement.id))).one()
    line = (f"line 3: AlCoCrFeNi (candidate {b}) already had a multi-phase result measured 2026-11-02 "
            f"(measurement {old}); stored beside it as measurement {new} (measured 2026-11-03). If only the "
            f"date was wrong: hea-campaign result withdraw {new} --reason ...")
    assert line in out, out
    assert out.count("already had") == 1  # the unchanged rows were imported before and are not named


def test_the_tui_report_names_the_line_too(store, tmp_path):
    (a,) = insert_candidates(store, ["CoCrFeNi"], status="exported")
    path = tmp_path / "xrd.csv"
    path.write_text(HEADER + f"{a},,yes,FCC,XRD,2026-11-02\n", encoding="utf-8")
    (old,) = import_results(store, path, by="amy").measurement_ids
    path.write_text(HEADER + f"{a},,yes,FCC,XRD,2026-11-03\n", encoding="utf-8")
    report = import_results(store, path, by="amy")
    (new,) = report.measurement_ids
    text = format_full_report("results", report)
    assert (f"line 2: CoCrFeNi (candidate {a}) already had a single-phase result measured 2026-11-02 "
            f"(measurement {old}); stored beside it as measurement {new} (measured 2026-11-03)") in text, text
    assert f"hea-campaign result withdraw {new} --reason" in text


def test_a_file_of_new_alloys_names_nothing_and_its_reimport_with_a_date_fixed_names_the_line(
        capsys, store, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text(HEADER + ",FeNi,yes,FCC,XRD,2026-11-02\n,CoNi,yes,FCC,XRD,2026-11-03\n"
                    ",CrFeNi,no,FCC+BCC,XRD,2026-11-04\n", encoding="utf-8")
    out = _import_cli(capsys, store, path)
    assert "measurements added: 3" in out
    assert "already had" not in out and "withdraw" not in out and "another day" not in out
    with store.read() as s:
        old = s.exec(select(Measurement.id).where(Measurement.source_formula == "FeNi")).one()
    path.write_text(HEADER + ",Fe Ni,yes,FCC,XRD,2026-11-05\n,CoNi,yes,FCC,XRD,2026-11-03\n"
                    ",CrFeNi,no,FCC+BCC,XRD,2026-11-04\n", encoding="utf-8")  # a formula typed by hand
    report = import_results(store, path, by="amy")
    (new,) = report.measurement_ids
    text = format_full_report("results", report)
    assert (f"line 2: FeNi already had a single-phase result measured 2026-11-02 (measurement {old}); stored "
            f"beside it as measurement {new} (measured 2026-11-05)") in text, text
    assert text.count("already had") == 1
