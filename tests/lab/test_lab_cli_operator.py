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

