"""--operator (who measured) is checked as --by is: a blank or multi-line name is refused in one line."""

from __future__ import annotations

import pytest

from hea_campaign.tui.cli import main


@pytest.mark.parametrize("value, says", [(" ", "--operator is blank"), ("a\nb", "--operator contains a control")])
def test_a_blank_or_multi_line_operator_is_refused_and_nothing_is_recorded(seeded_store, capsys, value, says):
    url = seeded_store.url
    assert main(["result", "add", "FeNiCr", "--single-phase", "yes", "--operator", value, "--db", url]) == 2
    assert says in capsys.readouterr().err
    assert main(["history", "CrFeNi", "--db", url]) == 0
    shown = capsys.readouterr().out
    assert "CrFeNi (alloy" in shown and "[" not in shown  # only the literature row: nothing entered


def test_a_named_operator_is_recorded_and_a_correction_checks_it_too(seeded_store, capsys):
    url = seeded_store.url
    assert main(["result", "add", "FeNiCr", "--single-phase", "yes", "--operator", " Ann Lee ", "--db", url,
                 "--by", "tester"]) == 0
    mid = int(capsys.readouterr().out.split("measurement ")[1].split(":")[0])
    assert main(["history", "CrFeNi", "--db", url]) == 0
    assert "measured by Ann Lee" in capsys.readouterr().out
    assert main(["result", "correct", str(mid), "--single-phase", "no", "--operator", "", "--db", url]) == 2
    assert "--operator is blank" in capsys.readouterr().err



def test_a_correction_keeps_who_measured_it_unless_operator_is_given(seeded_store, capsys):
    url = seeded_store.url
    assert main(["result", "add", "FeNiCr", "--single-phase", "yes", "--operator", "François Dupré", "--method",
                 "XRD", "--measured-on", "2024-04-02", "--db", url, "--by", "amy"]) == 0
    mid = int(capsys.readouterr().out.split("measurement ")[1].split(":")[0])
    assert main(["result", "correct", str(mid), "--single-phase", "no", "--notes", "re-read", "--db", url,
                 "--by", "raj"]) == 0
    fixed = int(capsys.readouterr().out.split("measurement ")[1].split(":")[0])
    assert main(["result", "correct", str(fixed), "--single-phase", "no", "--measured-on", "2024-04-03",
                 "--db", url, "--by", "raj"]) == 0  # a date-only correction
    dated = int(capsys.readouterr().out.split("measurement ")[1].split(":")[0])
    assert main(["result", "correct", str(dated), "--single-phase", "no", "--operator", "Ann Lee", "--db", url,
                 "--by", "raj"]) == 0
    assert main(["history", "CrFeNi", "--db", url]) == 0
    lines = {int(ln.split("measurement ")[1].split(":")[0]): ln for ln in capsys.readouterr().out.splitlines()
             if "] measurement " in ln}
    assert "[raj]" in lines[fixed] and "by XRD" in lines[fixed] and "measured by François Dupré" in lines[fixed]
    assert "measured 2024-04-03" in lines[dated] and "measured by François Dupré" in lines[dated]
    assert "measured by Ann Lee" in lines[max(lines)]
    # restating it as it is, operator left out, changes nothing: refused
    assert main(["result", "correct", str(max(lines)), "--single-phase", "no", "--db", url]) == 2
    assert "nothing to correct" in capsys.readouterr().err


def test_the_tui_correction_form_keeps_who_measured_it_when_measured_by_is_cleared(seeded_store):
    """The form builds its correction through campaign.results.correct_result with operator None for a
    blank 'measured by': the corrected result's operator carries over."""
    from hea_campaign.campaign.results import correct_result, record_result

    m = record_result(seeded_store, "FeNiCr", single_phase="yes", operator="François Dupré", by="amy").measurement
    fixed = correct_result(seeded_store, m.id, single_phase="no", operator=None, notes=None, by="raj")
    assert fixed.operator == "François Dupré"
