"""The command line as a front door: lazy start, readable help, and the inputs of issue 14.

Every refused input is one `error:` line on stderr, exit status 2, no
traceback, and the store is unchanged (row counts of every table).
"""

from __future__ import annotations

import os
from inspect import cleandoc
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, table

from hea_campaign.tui.cli import app, main

REPO = Path(__file__).resolve().parents[1]
TYPE_NAMES = ("<str>", "<bool>", "<int>", "<float>", "<path>", "<list", "<choice")


def snapshot(store) -> dict[str, int]:
    """Rows in every table of the store: equal before and after means nothing was written."""
    names = inspect(store.engine).get_table_names()
    with store.engine.connect() as c:
        return {n: c.execute(select(func.count()).select_from(table(n))).scalar_one() for n in names}


def refused(capsys, *args: str) -> str:
    code = main(list(args))
    out = capsys.readouterr()
    assert code == 2, (args, code, out.out, out.err)
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, out.err)
    assert "Traceback" not in out.err + out.out
    return lines[0]


# ------------------------------------------------------------------ start time and help


def test_help_imports_neither_textual_nor_torch():
    probe = ("import sys, contextlib, io\nfrom hea_campaign.tui.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()): code = main(['--help'])\n"
             "print(code, sorted(m for m in ('textual', 'torch', 'numpy', 'pyro', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(None, 1) == ["0", "[]\n"], out.stdout


def test_version_names_the_installed_release_without_heavy_imports():
    from importlib.metadata import version

    probe = ("import sys, contextlib, io\nfrom hea_campaign.tui.cli import main\nbuf = io.StringIO()\n"
             "with contextlib.redirect_stdout(buf): code = main(['--version'])\n"
             "print(code, repr(buf.getvalue()), sorted(m for m in ('textual', 'torch', 'numpy', 'sqlalchemy') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"0 'hea-campaign {version('hea-campaign')}\\n' []", out.stdout


def test_status_on_a_current_store_imports_no_heavy_module(tmp_path):
    """`status` on a SQLite file answers with the standard library's sqlite3: not even SQLAlchemy
    (its import alone takes longer than the rest), nor Alembic, numpy, torch or Textual."""
    db = tmp_path / "s.db"
    assert main(["init", "--db", str(db)]) == 0
    probe = ("import sys, contextlib, io\nfrom hea_campaign.tui.cli import main\n"
             f"with contextlib.redirect_stdout(io.StringIO()): code = main(['status', '--db', {str(db)!r}])\n"
             "print(code, sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'numpy', 'torch', 'sklearn', 'pyro',"
             " 'pandas', 'textual') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(None, 1) == ["0", "[]\n"], out.stdout


def command_paths() -> list[tuple[str, ...]]:
    """Every leaf command as its words, e.g. ('result', 'add')."""
    import typer

    def walk(cmd, prefix):
        subs = getattr(cmd, "commands", None)
        if not subs:
            return [prefix]
        return [p for name, sub in subs.items() for p in walk(sub, (*prefix, name))]

    return walk(typer.main.get_command(app), ())


def command_of(path: tuple[str, ...]):
    import typer

    cmd = typer.main.get_command(app)
    for word in path:
        cmd = cmd.commands[word]
    return cmd


def options_of(path: tuple[str, ...]) -> list[str]:
    return [o for p in command_of(path).params for o in p.opts if o.startswith("--")]


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_has_help_with_an_example_and_real_metavars(path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    assert main([*path, "--help"]) == 0
    text = capsys.readouterr().out
    assert f"Example: hea-campaign {' '.join(path)}" in text
    for name in TYPE_NAMES:
        assert name not in text, f"{' '.join(path)} --help shows {name}"
    for opt in options_of(path):
        assert opt in text, f"{opt} missing from {' '.join(path)} --help"
    for param in command_of(path).params:  # help is rich markup: an unescaped [...] would vanish from it
        assert not re.search(r"(?<!\\)\[", getattr(param, "help", None) or ""), f"{param.name}: escape '[' as '\\['"
    for para in cleandoc(command_of(path).help or "").split("\n\n")[1:]:  # joined, to wrap at any width
        words = " ".join(para.split())
        assert words[:200] in " ".join(text.split()) and words[:120] in text, f"{' '.join(path)}: {words[:60]}..."


def test_readme_command_table_names_every_command():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    for path in command_paths():
        words = " ".join(path)
        assert re.search(r"`" + re.escape(words) + r"[\s`]", table), f"README command table lacks `{words}`"


# ------------------------------------------------------------------ the examples of issue 14

REFUSED = [
    (["candidate", "abc"], "not a whole number"),
    (["candidate"], "Missing argument"),
    (["--bogus"], "No such option"),
    (["approve", "-1"], "ids start at 1 (got -1)"),
    (["approve", "0"], "between 1 and"),
    (["approve", str(2**63)], "between 1 and 2147483647"),
    (["candidate", str(2**63 + 5)], "between 1 and"),
    (["candidate", "3000000000"], "between 1 and 2147483647"),  # was PostgreSQL's "integer out of range"
    (["result", "correct", "3000000000", "--single-phase", "yes"], "between 1 and 2147483647"),
    (["result", "add", "CoCrFeNi"], "Missing option '--single-phase'"),
    (["propose", "--screen", "Fe,Ni", "--step", "0"], "--step (at.%) must be in (0, 100]"),
    (["propose", "--screen", "Fe,Ni", "--step", "3"], "must divide 100"),
    (["propose", "--screen", "Fe,Ni", "--step", "-5"], "--step"),
    (["propose", "--screen", "Fe,Ni", "--step", "nan"], "finite"),
    (["propose", "--screen", "Fe,Ni", "--step", "200"], "--step"),
    (["propose", "--screen", "Fe,Ni", "--step", "0.5", "--granularity", "1"], "at least the granularity"),
    (["propose", "--screen", ","], "choose one mode"),
    (["propose", "--from", "CoCrFeNi", "--loop", "foo"], "'foo' is not one of"),
    (["propose", "--from", "CoCrFeNi", "--strategy", "greediest"], "'greediest' is not one of"),
    (["propose", "--latent", "0,0", "--p", "2"], "--p must be in (0, 1)"),
    (["propose", "--from", "CoCrFeNi", "--cutoff", "2"], "--cutoff must be in (0, 1)"),
    (["propose", "--from", "CoCrFeNi", "--cutoff", "nan"], "--cutoff must be a finite number"),
    (["propose", "--screen", "Fe,Ni", "--max", "Cr:-5%"], "--max Cr (at.%) must be in [0, 100]"),
    (["propose", "--screen", "Fe,Ni", "--min-elements", "100"], "--min-elements (100)"),
    (["propose", "--from-multi-phase", "-1"], "--from-multi-phase is how many multi-phase alloys to start from and must be at least 1"),
    (["propose", "--screen", "Fe,Fe,Ni"], "names Fe more than once"),
    (["propose", "--screen", "Fe,Ni,Co,Cr,Al,Ti,Mn", "--step", "1"], "compositions inside the design space, more than"),
    (["propose", "--latent", "0,inf"], "finite"),
    (["propose", "--from-multi-phase", "3", "--p", "0.8"], "--p is for latent decoding (--latent), and this run inverts"),
    (["propose", "--latent", "0,0", "--step", "10"], "--step is for screening (--screen)"),
    (["propose", "--screen", "Fe,Ni,Co,Cr", "--cutoff", "0.7"], "--cutoff is for inversion"),
    (["propose", "--screen", "Fe,Ni,Co,Cr", "--keep-elements"], "--keep-elements is for inversion"),
    (["propose", "--from", "CoCrFeNi", "--seed", "3"], "--seed is for choosing the alloys of --from-multi-phase"),
    (["propose", "--from", "CoCrFeNi", "--max-compositions", "5"], "--max-compositions is for screening"),
    (["train", "--seed", "-1"], "--seed must be between 0"),
    (["train", "--epochs", "0", "--activate"], "--epochs must be between 1"),
    (["retrain", "--epochs", "-3"], "--epochs must be between 1"),
    (["train", "--prior-r", "1"], "--prior-r must be in [0.01, 0.99]"),
    (["retrain", "--prior-r", "nan"], "--prior-r must be a finite number"),
    (["train", "--force"], "--force only acts with --activate"),
    (["retrain", "--force"], "--force only acts with --activate"),
    (["export", "--mass", "1e308", "--out", "x.csv"], "--yes"),
    (["export", "--mass", "nan", "--out", "x.csv"], "finite"),
    (["export", "--mass", "20", "--unit", "kg", "--out", "x.csv"], "'kg' is not one of"),
    (["export", "--mass", "20", "--format", "xlsx", "--out", "x.csv"], "'xlsx' is not one of"),
    (["candidates", "--status", "bogus"], "'bogus' is not one of"),
    (["candidates", "--limit", "0"], "Invalid value for '--limit': it must be at least 1 (see"),
    (["space", "set", "--prices", "."], "cannot read the price list .: it is a folder, not a CSV file"),
    (["export", "--mass", "20", "--unit", "mg", "--out", "x.csv"], "less than 100 mg"),
    (["db", "upgrade", "--revision", "foo"], "cannot upgrade to revision 'foo'"),
    (["parse", "FeNaN"], "'NaN' is a spreadsheet missing"),
    (["parse", "#N/A"], "missing value"),
    (["parse", "None"], "missing value"),
    (["parse", "inf"], "missing value"),
    (["status", "--campaign", "defualt"], "did you mean 'default'?"),
    (["result", "add", "CoCrFeNi", "--single-phase", "yes", "--campaign", "defualt"], "did you mean 'default'?"),
    (["evaluate", "--seeds", "0"], "--seeds must be between 1"),
    (["simulate", "--repeats", "-1"], "--repeats must be between 1"),
]


@pytest.mark.parametrize("args, message", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_issue_examples_are_one_line_exit_2_and_write_nothing(args, message, seeded_store, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEA_CAMPAIGN_DB", seeded_store.url)
    before = snapshot(seeded_store)
    line = refused(capsys, *args)
    assert message in line
    assert snapshot(seeded_store) == before
    assert not (tmp_path / "x.csv").exists()


def test_export_of_another_status_says_what_export_takes_and_what_to_do(seeded_store, capsys, tmp_path, monkeypatch):
    """`export --status proposed` was Typer's "'proposed' is not one of 'approved'": now one line that says export
    writes approved candidates only and how to get there, with commands that exist."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEA_CAMPAIGN_DB", seeded_store.url)
    before = snapshot(seeded_store)
    line = refused(capsys, "export", "--status", "proposed")
    assert "is not one of" not in line
    assert line == ("error: export writes approved candidates only (--status approved, the default; got 'proposed'): "
                    "approve them first (hea-campaign approve ID ...; hea-campaign candidates --status proposed "
                    "lists them), then export")
    assert refused(capsys, "export", "--status", "proposed", "--mass", "20", "--out", "x.csv") == line
    assert "void its batch (hea-campaign export void BATCH" in refused(capsys, "export", "--status", "exported")
    assert "got 'bogus'" in refused(capsys, "export", "--status", "bogus")
    assert snapshot(seeded_store) == before and not (tmp_path / "x.csv").exists()
    for command in (["approve", "--help"], ["candidates", "--status", "proposed", "--limit", "1"],
                    ["export", "void", "--help"]):  # the commands the line names
        assert main(command) == 0, command
    capsys.readouterr()


@pytest.mark.sqlite_only("file paths")
def test_a_folder_a_bad_url_and_a_typo_in_the_store_path(capsys, tmp_path, seeded_store, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "is a folder, not a file" in refused(capsys, "import", str(tmp_path), "--db", seeded_store.url)
    assert "cannot use that store address" in refused(capsys, "status", "--db", "foo://bar")
    assert main(["init", "--db", str(tmp_path / "lab.db")]) == 0
    capsys.readouterr()
    line = refused(capsys, "status", "--db", str(tmp_path / "lba.db"))
    assert "there is no store at" in line and "did you mean" in line and "lab.db" in line
    assert not (tmp_path / "lba.db").exists()
    assert main(["init", "--db", str(tmp_path / "pre_int.db")]) == 0  # a backup beside it is no typo's target
    capsys.readouterr()
    line = refused(capsys, "status", "--db", str(tmp_path / "nope.db"))
    assert "there is no store at" in line and "did you mean" not in line, line


def test_control_characters_from_users_reach_no_terminal(seeded_store, capsys, monkeypatch):
    from hea_campaign.campaign import results

    db = ["--db", seeded_store.url]
    line = refused(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", "--notes", "ok\x1b[2J\x07\rgone", *db)
    assert "the notes contain a control character (\\x1b)" in line and "\x1b" not in line
    with monkeypatch.context() as m:  # a store written by an older version, which took them
        m.setattr(results, "plain_text", lambda text, *a, **k: text)
        assert main(["result", "add", "CoCrFeNi", "--single-phase", "yes", "--notes", "ok\x1b[2J\x07\rgone", *db]) == 0
    capsys.readouterr()
    line = refused(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", *db, "--by", "eve\x1b]0;owned\x07")
    assert "--by contains a control character" in line and "\x1b" not in line and "\x07" not in line
    for cmd in (["history", "CoCrFeNi"], ["status"]):
        assert main([*cmd, *db]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert main(["history", "CoCrFeNi", *db]) == 0
    assert "\\x1b[2J" in capsys.readouterr().out
    line = refused(capsys, "parse", "Fe\x1b[31mNi")
    assert "\x1b" not in line


def test_status_names_the_metrics_with_units(trained_store, capsys):
    assert main(["status", "--db", trained_store.url]) == 0
    out = capsys.readouterr().out
    active = next(line for line in out.splitlines() if line.startswith("Active model"))
    assert "validation accuracy 0." in active and "best epoch" in active and re.search(r"training time [\d.]+ s", active)
    assert "best_epoch" not in active and "cancelled" not in active and not re.search(r"epoch \d+\.000", active)


# ------------------------------------------------------------------ Ctrl+C in train


def test_stopping_before_the_first_epoch_saves_nothing(seeded_store):
    from hea_campaign.campaign.model_versions import TrainingCancelled, train_version

    before = snapshot(seeded_store)
    with pytest.raises(TrainingCancelled, match="nothing was saved"):
        train_version(seeded_store, epochs=50, should_stop=lambda: True)
    assert snapshot(seeded_store) == before


@pytest.mark.sqlite_only("a subprocess with a signal")
def test_ctrl_c_in_train_keeps_the_best_model_so_far_marked_interrupted(seeded_store, tmp_path):
    exe = Path(sys.executable).with_name("hea-campaign")
    env = {**os.environ, "HEA_CAMPAIGN_MODELS": str(tmp_path / "models"), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([str(exe), "train", "--db", seeded_store.url, "--epochs", "100000", "--activate"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = ""
    deadline = time.monotonic() + 300
    while "epoch " not in seen and time.monotonic() < deadline:  # the first epoch report
        seen += proc.stderr.readline()
        assert proc.poll() is None, seen
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, seen + err  # kept, but stopped: a script can tell it from a finished run
    assert "Interrupted: kept the best model so far as version v1, marked interrupted; it was not activated." in out
    assert "Traceback" not in err
    from hea_campaign.campaign.model_versions import list_versions

    (v,) = list_versions(seeded_store)
    assert v.metrics["cancelled"] is True and v.metrics["best_epoch"] >= 1 and not v.active


@pytest.mark.sqlite_only("file paths")
def test_init_with_a_bad_csv_leaves_no_store_behind(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00 not text")
    line = refused(capsys, "init", "--db", str(tmp_path / "new.db"), "--csv", str(bad))
    assert "UTF-8" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_propose_list_show_and_approve_through_read_models(trained_store, capsys):
    db = ["--db", trained_store.url]
    assert main(["propose", "--screen", "Fe,Ni,Co,Cr", "--step", "10", "--min-elements", "3", "--batch", "3", *db]) == 0
    out = capsys.readouterr().out
    ids = [int(m) for m in re.findall(r"^\s+(\d+)\s+\S+\s+0\.\d\d", out, flags=re.M)]
    assert len(ids) == 3, out
    assert main(["candidates", "--status", "proposed", *db]) == 0
    listing = capsys.readouterr().out
    assert all(re.search(rf"^\s*{i}\s", listing, re.M) for i in ids)
    assert main(["candidate", str(ids[0]), *db]) == 0
    detail = capsys.readouterr().out
    assert f"Candidate {ids[0]}" in detail and "Composition (at.%)" in detail and "Descriptors" in detail
    assert main(["approve", str(ids[0]), *db]) == 0
    assert f"1 candidate(s) approved: {ids[0]}" in capsys.readouterr().out
    assert main(["candidates", "--status", "approved", *db]) == 0
    assert re.search(rf"^\s*{ids[0]}\s.*approved", capsys.readouterr().out, re.M)


def test_candidates_pages_through_the_store_with_the_total(trained_store, capsys):
    from hea_campaign.campaign.candidates import list_candidates

    db = ["--db", trained_store.url]
    assert main(["propose", "--screen", "Fe,Ni,Co,Cr", "--step", "10", "--min-elements", "3", "--batch", "7", *db]) == 0
    capsys.readouterr()
    every = [c.id for c, _ in list_candidates(trained_store)]
    assert len(every) == 7

    def listed(*args: str) -> tuple[list[int], str]:
        assert main(["candidates", *args, *db]) == 0
        out = capsys.readouterr().out
        return [int(m) for m in re.findall(r"^\s*(\d+)\s+\S+\s+[01]\.\d\d", out, flags=re.M)], out

    ids, out = listed("--limit", "3", "--offset", "2")
    assert ids == every[2:5], out
    assert "(rows 3-5 of 7; --offset and --limit show others)" in out
    ids, out = listed("--limit", "3", "--offset", "6")
    assert ids == every[6:] and "(rows 7-7 of 7; " in out, out
    ids, out = listed()
    assert ids == every and out.rstrip().endswith("(rows 1-7 of 7)"), out
    ids, out = listed("--offset", "7")
    assert ids == [] and "No candidates from row 8 (there are 7)." in out
    assert main(["approve", str(every[1]), str(every[4]), *db]) == 0
    capsys.readouterr()
    ids, out = listed("--status", "approved", "--limit", "1", "--offset", "1")
    assert ids == [every[4]] and "(rows 2-2 of 2; " in out, out
    ids, out = listed("--status", "proposed", "--limit", "10")
    assert ids == [i for i in every if i not in (every[1], every[4])] and "(rows 1-5 of 5)" in out, out
    assert "--limit" in refused(capsys, "candidates", "--limit", "0", *db)
    assert "--offset" in refused(capsys, "candidates", "--offset", "-1", *db)


def test_the_root_handler_turns_environment_failures_into_one_line(capsys, monkeypatch):
    import errno

    from hea_campaign.tui.cli.errors import handle

    assert handle(OSError(errno.ENOSPC, "No space left on device", "/data/backup.db")) == 2
    assert capsys.readouterr().err == ("error: /data/backup.db: the disk is full (no space left on the device); "
                                       "nothing was saved\n")
    assert handle(KeyboardInterrupt()) == 130
    assert capsys.readouterr().err.startswith("interrupted (Ctrl+C): every write is all or nothing, so none is left half-done")
    monkeypatch.delenv("HEA_CAMPAIGN_DEBUG", raising=False)
    assert handle(ZeroDivisionError("a bug\nwith [/] two lines")) == 1  # a bug: still one line, no traceback
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: internal error (ZeroDivisionError") and "Traceback" not in err


def test_init_of_a_new_campaign_with_bad_rows_creates_no_campaign(seeded_store, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("formula,label\nCoCrFeNi,1\nQq,0\n")
    before = snapshot(seeded_store)
    line = refused(capsys, "init", "--db", seeded_store.url, "--campaign", "second", "--csv", str(bad))
    assert "line 3" in line and "nothing was imported" in line
    assert snapshot(seeded_store) == before


def test_the_figures_of_a_version_say_which_model_they_are(trained_store, capsys):
    """The head's validation figures are not the scorer's, which ranks candidates: each is named."""
    from hea_campaign.campaign.read_models import model_versions

    m = model_versions(trained_store)[0].metrics
    scorer = m["scorer"]
    assert scorer != "ssvae"  # the seed set has enough validation rows to choose a tree ensemble
    assert main(["status", "--db", trained_store.url]) == 0
    active = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Active model"))
    chosen = m["scorer_validation"][scorer]
    assert f"scorer ({scorer}, ranks candidates) validation accuracy {chosen['accuracy']:.3f}" in active
    assert f"SSVAE head validation accuracy {m['val_accuracy']:.3f}" in active
    assert main(["models", "--db", trained_store.url]) == 0
    out = capsys.readouterr().out
    assert "scorer = the model that ranks candidates" in out
    row = next(line for line in out.splitlines() if line.startswith("*"))  # the scorer's figures, then the head's
    assert row.split()[4:8] == [f"{chosen['accuracy']:.3f}", f"{chosen['roc_auc']:.3f}",
                                f"{m['val_accuracy']:.3f}", f"{m['val_auc']:.3f}"], row


def test_a_plot_that_replaces_a_file_says_so(trained_store, tmp_path, capsys):
    png = tmp_path / "map.png"
    for command in (["latent-map"], ["reliability"], ["explain", "AlCoCrFeNi"]):
        png.unlink(missing_ok=True)
        assert main([*command, "--db", trained_store.url, "--plot", str(png)]) == 0
        first = capsys.readouterr().out.splitlines()[-1]
        assert first == f"plot: {png}", command
        assert main([*command, "--db", trained_store.url, "--plot", str(png)]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == f"plot: {png} (replaced the file that was there)", command


def test_a_typo_suggestion_names_every_file_of_a_close_name(tmp_path):
    from hea_campaign.campaign.store import _closest_files

    for name in ("campaign.db", "campaign.sqlite", "pre_int.db"):
        (tmp_path / name).write_bytes(b"")
    said = _closest_files(tmp_path / "campain.db")
    assert str(tmp_path / "campaign.db") in said and str(tmp_path / "campaign.sqlite") in said
    assert "pre_int" not in said
