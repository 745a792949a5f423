"""The command line: real entry point, one-line errors, nothing written on bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from hea_campaign.tui.cli import main


def run_cli(*args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    exe = shutil.which("hea-campaign", path=os.path.dirname(sys.executable))
    assert exe, "the hea-campaign entry point is not installed in this environment"
    return subprocess.run([exe, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd, timeout=120)


def test_init_imports_the_seed_dataset_and_reports_its_quirks(tmp_path):
    db = str(tmp_path / "c.db")
    first = run_cli("init", "--db", db, "--dataset", "yan2021")
    assert first.returncode == 0, first.stderr
    assert "1375 rows read" in first.stdout
    assert "Hf1Nb1Ti1V1Zr1" in first.stdout and "CONFLICTING" in first.stdout
    assert "Alloys: 1369" in first.stdout
    second = run_cli("init", "--db", db, "--dataset", "yan2021")
    assert second.returncode == 0
    assert "nothing new: all 1375 readable rows were imported before" in second.stdout
    status = run_cli("status", "--db", db)
    assert "Alloys: 1369" in status.stdout and "conflicting labels: 3" in status.stdout


def test_default_store_is_hea_campaign_db_in_the_working_directory(tmp_path):
    refused = run_cli("status", cwd=tmp_path, env={"HEA_CAMPAIGN_DB": ""})
    assert refused.returncode == 2 and refused.stderr.startswith("error: there is no store at")
    assert not (tmp_path / "hea-campaign.db").exists()  # only init creates a store
    out = run_cli("init", cwd=tmp_path, env={"HEA_CAMPAIGN_DB": ""})
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "hea-campaign.db").exists()
    assert run_cli("status", cwd=tmp_path, env={"HEA_CAMPAIGN_DB": ""}).returncode == 0


def test_bad_formula_is_one_line_and_exit_2(tmp_path):
    out = run_cli("parse", "Fe0Ni")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: 'Fe0Ni': the amount of Fe is zero"
    assert "Traceback" not in out.stderr + out.stdout


def test_bad_rows_in_a_csv_write_nothing(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    csv = tmp_path / "r.csv"
    csv.write_text("formula,label\nCoCrFeNi,1\nQq,0\n")
    assert main(["init", "--db", db]) == 0
    capsys.readouterr()
    assert main(["import", str(csv), "--db", db]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "nothing was imported" in err
    assert main(["status", "--db", db]) == 0
    assert "Alloys: 0" in capsys.readouterr().out


def test_missing_file_and_unknown_dataset_are_clear(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    assert main(["init", "--db", db]) == 0
    assert main(["import", str(tmp_path / "nope.csv"), "--db", db]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["init", "--db", db, "--dataset", "nope"]) == 2
    assert "unknown dataset 'nope'" in capsys.readouterr().err


def test_store_in_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["init", "--db", str(tmp_path / "no" / "such" / "dir" / "x.db")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["status", "--db", str(tmp_path / "no" / "such" / "dir" / "x.db")]) == 2
    assert "there is no store at" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_db_upgrade_and_current(tmp_path, capsys):
    from hea_campaign.db.migrate import head_revision

    db = str(tmp_path / "c.db")
    assert main(["db", "upgrade", "--db", db]) == 2  # no store there: refused, nothing created
    assert "there is no store" in capsys.readouterr().err and not (tmp_path / "c.db").exists()
    assert main(["init", "--db", db]) == 0
    capsys.readouterr()
    assert main(["db", "upgrade", "--db", db]) == 0
    assert f"-> {head_revision()}" in capsys.readouterr().out
    assert main(["db", "current", "--db", db]) == 0
    assert f"store: {head_revision()}" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", db, "--revision", "foo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot upgrade to revision 'foo'") and err.count("\n") == 1


@pytest.mark.parametrize("command", ["upgrade", "current"])
def test_db_commands_refuse_an_empty_file(tmp_path, capsys, command):
    """`db upgrade` wrote a blank schema into a 0-byte file (a restore cut short), hiding what happened."""
    db = tmp_path / "cut.db"
    db.write_bytes(b"")
    assert main(["db", command, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "is empty (0 bytes)" in err and err.count("\n") == 1, err
    assert db.stat().st_size == 0


@pytest.mark.parametrize("args", [["--help"], ["init", "--help"], ["import", "--help"], ["db", "--help"]])
def test_help_explains(args, capsys):
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Usage" in out
