"""What the command line says about the files a user names (a user review): a semicolon CSV's header
quoted whole or visibly cut, and a folder named where a file is read called a folder."""

from __future__ import annotations

import pytest

from hea_campaign.campaign.datasets import separator_hint
from hea_campaign.campaign.errors import cut

from .test_cli_front_door import refused

SHEET_HEADER = "candidate_id;formula;element;at_pct;grams;loss_pct;weighed_g"


@pytest.fixture
def here(seeded_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEA_CAMPAIGN_DB", seeded_store.url)
    return tmp_path


def test_cut_marks_what_it_leaves_out():
    assert cut("abc", 3) == "abc" and cut("abcd", 3) == "abc..."


def test_a_semicolon_header_is_quoted_whole():
    assert f"the header is one column '{SHEET_HEADER}':" in separator_hint([SHEET_HEADER])


def test_a_very_long_semicolon_header_is_cut_with_an_ellipsis():
    header = ";".join(f"column_{i}" for i in range(60))
    hint = separator_hint([header])
    quoted = hint.split("one column ", 1)[1].split(": the file", 1)[0]
    assert quoted.endswith("...'") and header.startswith(quoted[1:-4])


@pytest.mark.parametrize("command", [("result", "import"), ("import",)])
def test_the_cli_quotes_the_whole_semicolon_header(command, here, capsys):
    path = here / "sheet.csv"
    path.write_text(SHEET_HEADER + "\n1;CoCrFeNi;Co;25;5;0;5\n")
    line = refused(capsys, *command, str(path))
    assert f"'{SHEET_HEADER}'" in line and "semicolons" in line


def test_a_price_list_with_a_lower_case_symbol_gets_the_case_hint(here, capsys):
    path = here / "prices.csv"
    path.write_text("element,usd_per_kg\nal,3\n")
    assert "line 2: al: element symbols start with a capital letter (Al?)" in refused(
        capsys, "space", "set", "--prices", str(path))


@pytest.mark.parametrize("args", [
    ("result", "import", "lab"),
    ("import", "lab"),
    ("space", "set", "--prices", "lab"),
    ("backup", "lab"),
], ids=" ".join)
def test_a_folder_where_a_file_is_named_is_called_a_folder(args, here, capsys):
    (here / "lab").mkdir()
    line = refused(capsys, *args)
    assert "folder" in line and "no such file" not in line and "already exists" not in line, line


def test_init_csv_with_a_folder_says_folder_and_creates_no_store(here, capsys):
    (here / "lab").mkdir()
    line = refused(capsys, "init", "--csv", "lab", "--db", str(here / "new.db"))
    assert "lab: is a folder, not a file" in line and not (here / "new.db").exists()
