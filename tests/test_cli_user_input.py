"""What the command line says about a user's own input: quoted as typed, the option named, one line.

Formula errors quote the formula as typed; whole-number options are bounded before
they reach the store; files to write are checked (not empty, folder present, an
ending that says what is written) before anything is computed, and a message
never names a temporary file; campaign names are never blank; group --help
ends with an example; Ctrl+C before any epoch says only that nothing is saved.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hea_campaign.tui.cli import main

from .test_cli_front_door import refused, snapshot

HUGE = "99999999999999999999"


@pytest.fixture
def here(seeded_store, tmp_path, monkeypatch):
    """The seeded store as the default store, run from an empty folder."""
    folder = tmp_path / "here"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("HEA_CAMPAIGN_DB", seeded_store.url)
    return folder


@pytest.mark.parametrize("args", [["activate", "-1"], ["activate", "0"], ["activate", "--", "-1"],
                                  ["activate", "-1", "--campaign", "default"]], ids=" ".join)
def test_a_version_number_below_one_says_they_start_at_1(args, here, capsys):
    """`activate -1` was Click's "No such option: -1"; 0 named the largest id the store holds."""
    number = "0" if "0" in args else "-1"
    assert refused(capsys, *args) == (f"error: model version numbers start at 1 (got {number}); "
                                      "list them with: hea-campaign models")


def test_activate_0_is_said_before_the_store_is_looked_for(tmp_path, capsys):
    line = refused(capsys, "activate", "0", "--db", str(tmp_path / "none.db"))
    assert "start at 1" in line and not (tmp_path / "none.db").exists()


def test_activate_of_a_version_that_is_not_there_and_a_negative_id_elsewhere(here, capsys):
    assert refused(capsys, "activate", "99") == "error: no model version 99 in this campaign"
    assert refused(capsys, "approve", "1", "-2") == "error: ids start at 1 (got -2) (see: hea-campaign approve --help)"
    assert "No such option: --bogus" in refused(capsys, "activate", "--bogus")  # a real unknown option stays one


# ------------------------------------------------------------------ 1. formulas quoted as typed


@pytest.mark.parametrize(("formula", "quoted"), [
    ("Fe[2]Ni", "'Fe[2]Ni': cannot read '2]Ni'"),
    ("[bold]FeNi", "'[bold]FeNi': cannot read 'bold]FeNi'"),
    ("Fe[Ni", "'Fe[Ni': unbalanced parentheses"),
])
def test_parse_quotes_the_formula_as_typed(formula, quoted, capsys):
    line = refused(capsys, "parse", formula)
    assert quoted in line, line


# ------------------------------------------------------------------ 2. whole numbers bounded, the option named


@pytest.mark.parametrize("args, option", [
    (["candidates", "--offset", HUGE], "--offset must be between 0 and 2147483647"),
    (["curves", "--version", HUGE], "--version must be between 1 and 2147483647"),
    (["reliability", "--version", HUGE], "--version must be between 1 and 2147483647"),
])
def test_huge_whole_numbers_are_refused_naming_the_option(args, option, here, seeded_store, capsys):
    before = snapshot(seeded_store)
    line = refused(capsys, *args)
    assert option in line and "SQLite" not in line, line
    assert snapshot(seeded_store) == before


# ------------------------------------------------------------------ 3, 4, 8. files to write

MISSING_FOLDER = [
    ["latent-map", "--plot", "nodir/x.png"],
    ["curves", "--plot", "nodir/x.png"],
    ["reliability", "--plot", "nodir/x.png"],
    ["explain", "FeNi", "--plot", "nodir/x.png"],
    ["export", "--mass", "20", "--out", "nodir/x.csv"],
    ["evaluate", "--flags", "--seeds", "1", "--epochs", "1", "--reliability-png", "nodir/x.png"],
    ["simulate", "--quick", "--out", "nodir/x.csv"],
    ["simulate", "--quick", "--out", "x.csv", "--plot", "nodir/x.png"],
]


@pytest.mark.parametrize("args", MISSING_FOLDER, ids=" ".join)
def test_a_file_in_a_missing_folder_is_named_as_typed(args, here, capsys):
    line = refused(capsys, *args)
    path = next(a for a in args if a.startswith("nodir/"))
    assert f"{path}: the folder nodir does not exist" in line, line
    assert ".tmp" not in line
    assert list(here.iterdir()) == []


WRONG_ENDING = [
    (["export", "--mass", "20", "--out", "e1.xlsx"], "--out e1.xlsx: ends in '.xlsx'"),
    (["export", "--mass", "20", "--out", "batch"], "--out batch: has no file extension"),
    (["export", "--mass", "20", "--format", "json", "--out", "b.csv"], "JSON (--format json) is written"),
    (["export", "--mass", "20", "--format", "sheet", "--out", "b.json"], "CSV text (--format sheet) is written"),
    (["curves", "--plot", "x.txt"], "--plot x.txt: ends in '.txt', but a PNG image is written"),
    (["latent-map", "--plot", "x.jpg"], "--plot x.jpg: ends in '.jpg', but a PNG image is written"),
    (["explain", "FeNi", "--plot", "x"], "--plot x: has no file extension, but a PNG image is written"),
    (["evaluate", "--flags", "--reliability-png", "r.svg"], "--reliability-png r.svg: ends in '.svg'"),
    (["simulate", "--quick", "--out", "sim.xlsx"], "--out sim.xlsx: ends in '.xlsx', but CSV text is written"),
    (["simulate", "--quick", "--plot", "sim.pdf"], "--plot sim.pdf: ends in '.pdf', but a PNG image is written"),
]


@pytest.mark.parametrize("args, message", WRONG_ENDING, ids=[" ".join(a) for a, _ in WRONG_ENDING])
def test_a_file_named_for_another_format_is_refused(args, message, here, seeded_store, capsys):
    before = snapshot(seeded_store)
    line = refused(capsys, *args)
    assert message in line, line
    assert list(here.iterdir()) == [] and snapshot(seeded_store) == before


@pytest.mark.parametrize("args", [
    ["export", "--mass", "20", "--out", ""],
    ["export", "--mass", "20", "--out", "  "],
    ["curves", "--plot", ""],
    ["simulate", "--quick", "--out", ""],
], ids=repr)
def test_an_empty_file_name_is_refused_as_empty(args, here, capsys):
    line = refused(capsys, *args)
    assert "is empty" in line or "is blank" in line, line
    assert "already exists" not in line and "'.'" not in line


def test_writers_name_the_users_file_never_the_temporary_one(tmp_path):
    from hea_campaign.campaign.errors import CampaignError
    from hea_campaign.campaign.files import atomic_write_bytes
    from hea_campaign.tui.present.plots import shap_png

    target = tmp_path / "nodir" / "x.png"
    with pytest.raises(CampaignError) as info:
        shap_png("FeNi", 1, {"VEC": 0.1, "dS_mix": -0.2}, target)
    assert str(target) in str(info.value) and ".tmp" not in str(info.value)
    with pytest.raises(FileNotFoundError) as info:
        atomic_write_bytes(tmp_path / "nodir" / "b.csv", b"x")
    assert info.value.filename == str(tmp_path / "nodir" / "b.csv")


# ------------------------------------------------------------------ 6. group help ends with an example


@pytest.mark.parametrize("group", ["db", "result", "space", "export"])
def test_every_group_help_ends_with_an_example(group, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    assert main([group, "--help"]) == 0
    text = capsys.readouterr().out
    assert f"Example: hea-campaign {group}" in text, text
    before_options = text.split("╭─ Options")[0].strip().splitlines()
    assert before_options[-1].strip().startswith(f"Example: hea-campaign {group}"), text


# ------------------------------------------------------------------ 7. campaign names are never blank


@pytest.mark.parametrize("name", ["", "   "], ids=["empty", "blank"])
@pytest.mark.parametrize("command", [["init"], ["init", "--dataset", "yan2021"], ["status"], ["candidates"],
                                     ["result", "add", "FeNi", "--single-phase", "yes"]], ids=" ".join)
def test_a_blank_campaign_name_is_refused(command, name, here, seeded_store, capsys):
    before = snapshot(seeded_store)
    line = refused(capsys, *command, "--campaign", name)
    assert "--campaign is" in line and "campaign name" in line, line
    assert snapshot(seeded_store) == before


def test_the_store_refuses_to_create_a_campaign_without_a_name(seeded_store):
    from hea_campaign.campaign.errors import CampaignError
    from hea_campaign.campaign.store import CampaignStore

    before = snapshot(seeded_store)
    for name in ("", " \t"):
        with pytest.raises(CampaignError, match="campaign name is empty"):
            CampaignStore.open(seeded_store.url, campaign=name, create=True)
    assert snapshot(seeded_store) == before


# ------------------------------------------------------------------ 8. who is acting: --by fits the store


LONG_BY = "b" * 5000  # the store's who-columns hold 100 characters (PostgreSQL refused 150 as "value too long")


@pytest.mark.parametrize(("by", "said"), [(LONG_BY, "5000 characters long"), ("b" * 101, "at most 100 characters"),
                                          ("eve\x1b]0;owned\x07", "control character"), ("alice\nbob", "control character"),
                                          ("tab\there", "control character"), ("  \t ", "--by is blank")],
                         ids=["5000", "101", "escape", "newline", "tab", "blank"])
@pytest.mark.parametrize("command", [["result", "add", "CoCrFeNiCu0.3", "--single-phase", "yes"], ["approve", "1"],
                                     ["init"], ["import", "missing.csv"]], ids=" ".join)
def test_a_by_name_the_store_cannot_record_is_refused_by_every_command(command, by, said, here, seeded_store, capsys):
    before = snapshot(seeded_store)
    line = refused(capsys, *command, "--by", by)
    assert "--by" in line and said in line, line
    assert "\x1b" not in line and len(line) < 300, line
    assert snapshot(seeded_store) == before


def test_a_by_name_of_100_characters_is_recorded_stripped(seeded_store, capsys):
    from sqlmodel import Session, select

    from hea_campaign.db.tables import AuditEvent, Measurement

    name = "n" * 100
    assert main(["result", "add", "CoCrFeNi", "--single-phase", "yes", "--by", f"  {name} ", "--db", seeded_store.url]) == 0
    with Session(seeded_store.engine) as s:
        m = s.exec(select(Measurement).order_by(Measurement.id.desc())).first()
        event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert m.operator == name and event.actor == name


def test_an_os_user_name_the_store_cannot_record_is_cleaned_and_cut(seeded_store, capsys, monkeypatch):
    """Without --by the OS user is recorded; a login name from the environment can be anything."""
    from sqlmodel import Session, select

    from hea_campaign.db.tables import AuditEvent, Measurement

    monkeypatch.setenv("LOGNAME", "x\x1b[2J" + "y" * 300)
    assert main(["result", "add", "CoCrFeNi", "--single-phase", "yes", "--db", seeded_store.url]) == 0
    with Session(seeded_store.engine) as s:
        m = s.exec(select(Measurement).order_by(Measurement.id.desc())).first()
        event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert m.operator == event.actor == ("x[2J" + "y" * 300)[:100]


# ------------------------------------------------------------------ 9. one campaign per name, whatever its case


@pytest.mark.parametrize("name", ["Default", "DEFAULT", " default ", "default\t"])
def test_init_refuses_a_campaign_that_differs_from_one_only_in_case(name, seeded_store, capsys):
    assert seeded_store.campaign_name == "default"
    before = snapshot(seeded_store)
    line = refused(capsys, "init", "--db", seeded_store.url, "--campaign", name)
    assert "a campaign named 'default' already exists" in line and "--campaign 'default'" in line, line
    assert snapshot(seeded_store) == before
    assert main(["init", "--db", seeded_store.url, "--campaign", "default"]) == 0  # opening it is still fine
    assert main(["init", "--db", seeded_store.url, "--campaign", "default-2"]) == 0  # and a new name is created
    assert snapshot(seeded_store)["campaign"] == before["campaign"] + 1


# ------------------------------------------------------------------ 5. Ctrl+C before the first epoch


@pytest.mark.sqlite_only("a subprocess with a signal")
def test_ctrl_c_before_any_epoch_says_only_that_nothing_is_saved(seeded_store, tmp_path):
    exe = Path(sys.executable).with_name("hea-campaign")
    env = {**os.environ, "HEA_CAMPAIGN_MODELS": str(tmp_path / "models"), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([str(exe), "train", "--db", seeded_store.url, "--epochs", "100000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = ""
    deadline = time.monotonic() + 300
    while "Training (" not in seen and time.monotonic() < deadline:  # printed once Ctrl+C is handled
        seen += proc.stderr.readline()
        assert proc.poll() is None, seen
    proc.send_signal(signal.SIGINT)  # before any epoch: the data and the model are still being set up
    out, err = proc.communicate(timeout=300)
    err = seen + err
    if "will be kept" in err:  # this process was kept waiting until an epoch had ended: the other branch
        pytest.skip("the first epoch ended before the signal arrived (a busy machine)")
    assert proc.returncode == 130, err
    assert "nothing will be saved" in err and "nothing was saved" in err, err
    assert "will be kept" not in err and "epoch 1" not in err and "Traceback" not in err, err
    from hea_campaign.campaign.model_versions import list_versions

    assert list_versions(seeded_store) == []


@pytest.mark.parametrize("command", ["train", "retrain"])
def test_ctrl_c_after_the_last_epoch_keeps_the_complete_version_and_does_not_activate_it(
        trained_store, monkeypatch, capsys, command):
    """A Ctrl+C that arrives once every epoch has run (while the scorer is fitted) was read as stopping
    nothing: `--activate` then activated the new version and exited 0, though the person had asked to stop
    and the README says an interrupted run is never activated. (Before that, the version was left inactive
    without a word.) Now it is kept complete, not activated, and the reply says so and how to activate it."""
    import hea_campaign.campaign.model_versions as mv
    import hea_campaign.campaign.retraining as retraining
    # simulation binds train_version by name (`from .model_versions import train_version`): imported before
    # the patch, it keeps the real one after this test, whatever imported it first
    import hea_campaign.campaign.simulation  # noqa: F401
    from hea_campaign.campaign.model_versions import get_version, list_versions

    real = mv.train_version
    active = get_version(trained_store).id

    def then_ctrl_c(*args, **kwargs):
        out = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # the CLI's handler only sets its stop flag
        return out

    monkeypatch.setattr(mv, "train_version", then_ctrl_c)
    monkeypatch.setattr(retraining, "train_version", then_ctrl_c)
    code = main([command, "--db", trained_store.url, "--epochs", "3", "--activate", "--force"])
    out = capsys.readouterr()
    newest = max(list_versions(trained_store), key=lambda v: v.id)
    assert code == 130, out
    assert not newest.metrics.get("cancelled") and get_version(trained_store).id == active
    assert (f"Interrupted after the last epoch: v{newest.id} is complete and kept, but not activated; "
            f"activate it with: hea-campaign activate {newest.id}") in out.err


@pytest.mark.sqlite_only("a SQLite file locked by another connection")
def test_a_store_busy_beyond_the_timeout_is_said_in_plain_words(seeded_store, capsys, monkeypatch):
    """Another program writing for longer than the busy timeout (a large import): one line that says so,
    never the driver's 'database is locked' with its SQL and link."""
    import sqlite3

    # db.backup binds BUSY_TIMEOUT_MS by name: imported before the patch, it keeps 30 s after this test
    import hea_campaign.db.backup  # noqa: F401
    from hea_campaign.db import engine as engine_module

    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 300)
    path = seeded_store.url.removeprefix("sqlite:///")
    before = snapshot(seeded_store)
    other = sqlite3.connect(path)
    other.execute("BEGIN IMMEDIATE")
    try:
        line = refused(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", "--db", seeded_store.url)
    finally:
        other.rollback()
        other.close()
    assert "the store is busy: another program has been writing to it for more than 0.3 s" in line, line
    assert "SQL" not in line and "sqlalche.me" not in line
    assert snapshot(seeded_store) == before


def test_a_blank_by_is_refused_and_nothing_is_recorded(seeded_store, capsys):
    before = snapshot(seeded_store)
    line = refused(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", "--by", "   ", "--db", seeded_store.url)
    assert "--by is blank" in line
    assert snapshot(seeded_store) == before


def test_a_note_with_newlines_stays_on_its_history_line(seeded_store, capsys):
    fake = "fine\n  2026-01-01 00:00 [boss] measurement 1: single phase yes"
    assert main(["result", "add", "CoCrFeNi", "--single-phase", "no", "--notes", fake, "--db", seeded_store.url]) == 0
    capsys.readouterr()
    assert main(["history", "CoCrFeNi", "--db", seeded_store.url]) == 0
    out = capsys.readouterr().out
    assert "[boss]" in out and not any(line.lstrip().startswith("2026-01-01 00:00 [boss]") for line in out.splitlines())


def test_ctrl_c_during_an_import_says_nothing_half_written_is_kept(seeded_store, tmp_path, capsys, monkeypatch):
    """Typer turns Ctrl+C into a quiet status 130; the user is told, and the store is as before."""
    import hea_campaign.campaign.result_moves  # noqa: F401 - binds _write by name: imported before the patch,
    import hea_campaign.campaign.results as results  # it keeps the real one after this test

    csv = tmp_path / "xrd.csv"
    csv.write_text("formula,single_phase\n" + "".join(f"Fe{i + 1}Ni{200 - i},yes\n" for i in range(50)))
    written = []
    real = results._write

    def write_then_ctrl_c(*args, **kwargs):
        if len(written) == 20:
            raise KeyboardInterrupt
        written.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(results, "_write", write_then_ctrl_c)
    before = snapshot(seeded_store)
    assert main(["result", "import", str(csv), "--db", seeded_store.url]) == 130
    err = capsys.readouterr().err
    assert "interrupted (Ctrl+C): every write is all or nothing, so none is left half-done" in err, err
    assert len(written) == 20 and snapshot(seeded_store) == before


def test_an_error_after_a_progress_line_starts_on_a_line_of_its_own(capsys):
    """Ctrl+C during a screen printed 'screened 1,766,457/3,478,761^Cinterrupted ...' on one line."""
    from hea_campaign.tui.cli.errors import INTERRUPTED, end_progress_line, handle, progress_line, say

    progress_line("  screened 5/10")
    assert handle(KeyboardInterrupt()) == INTERRUPTED
    err = capsys.readouterr().err
    assert err.startswith("\r  screened 5/10\ninterrupted (Ctrl+C)")
    progress_line("  screened 6/10")
    end_progress_line()
    say("something went wrong")
    assert capsys.readouterr().err == "\r  screened 6/10\nerror: something went wrong\n"  # one newline, not two


def test_ctrl_c_during_retrain_keeps_the_version_and_exits_130(trained_store, monkeypatch, capsys):
    """As `train`: the best model so far is kept, marked interrupted, never activated, and the exit status
    says the run was stopped (it was 0, as for a finished run)."""
    import hea_campaign.campaign.retraining as retraining
    from hea_campaign.campaign.model_versions import get_version, list_versions

    real = retraining.retrain
    active = get_version(trained_store).id

    def ctrl_c_at_the_first_epoch(*args, progress=None, **kwargs):
        def progress_then_ctrl_c(r):
            progress(r)
            os.kill(os.getpid(), signal.SIGINT)  # the CLI's handler: stop after this epoch

        return real(*args, progress=progress_then_ctrl_c, **kwargs)

    monkeypatch.setattr(retraining, "retrain", ctrl_c_at_the_first_epoch)
    code = main(["retrain", "--db", trained_store.url, "--epochs", "50", "--activate"])
    out = capsys.readouterr().out
    assert code == 130, out
    assert "Interrupted: kept the best model so far" in out and "it was not activated" in out
    newest = max(list_versions(trained_store), key=lambda v: v.id)
    assert newest.metrics.get("cancelled") is True and get_version(trained_store).id == active


@pytest.mark.skipif(not os.path.isdir("/sys"), reason="needs /sys")
@pytest.mark.parametrize("args", [["simulate", "--quick", "--out", "/sys/sim.csv"],
                                  ["evaluate", "--flags", "--seeds", "1", "--reliability-png", "/sys/r.png"]])
def test_an_output_folder_that_cannot_be_written_is_refused_before_the_work(args, capsys):
    """A read-only folder was found out after the whole run, whose table was then lost with the file: it is
    refused first. (/sys refuses new files even to root, as a read-only mount does.)"""
    import tempfile

    try:
        os.close(tempfile.mkstemp(dir="/sys")[0])
        pytest.skip("/sys takes new files here")
    except OSError:
        pass
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "cannot write in the folder /sys" in err[0], err
