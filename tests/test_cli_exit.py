"""How the command line ends: names it cannot hold are refused before anything is done, and a Ctrl+C
after a command has finished does not turn its exit status into a failure."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from hea_campaign.tui.cli.errors import USAGE
from hea_campaign.tui.cli.root import main


def test_a_name_that_is_not_utf8_is_refused_before_the_store_is_touched(tmp_path, monkeypatch, capsys):
    """`init --db $'bad\\xff.db'` left a store with a schema and no campaign, then an internal error."""
    monkeypatch.chdir(tmp_path)
    bad = os.fsdecode(b"bad\xff.db")  # what Python makes of such bytes in sys.argv
    for args in (["init", "--db", bad], ["status", "--db", bad], ["export", "--out", os.fsdecode(b"b\xffx.csv")]):
        assert main(args) == USAGE
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not UTF-8 text" in err and "\\xff" in err and "internal" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_ctrl_c_while_the_process_ends_keeps_the_exit_status(tmp_path):
    """A Ctrl+C landing after an export had committed and printed made the process exit 130."""
    script = textwrap.dedent("""
        import atexit, os, signal, sys
        from hea_campaign.tui.cli.root import entry
        atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))  # runs first, as the process ends
        sys.argv = ["hea-campaign", "--help"]
        entry()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0 and "KeyboardInterrupt" not in done.stderr, (done.returncode, done.stderr)


def test_a_file_name_with_a_line_break_is_shown_on_one_line(tmp_path, monkeypatch, capsys):
    """`backup $'a\\nb.db'` printed the name raw, splitting the report's first line in two."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--db", "lab.db"]) == 0
    capsys.readouterr()
    assert main(["backup", "a\nb.db", "--db", "lab.db"]) == 0
    out = capsys.readouterr().out
    assert "Backup written to a\\x0ab.db (" in out and (tmp_path / "a\nb.db").exists(), out


def test_a_pipe_or_a_device_named_as_input_is_said_for_what_it_is(tmp_path, monkeypatch, capsys):
    """`import fifo.csv` waited forever for a writer; `result import /dev/null` said 'no such file'."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--db", "lab.db"]) == 0
    os.mkfifo(tmp_path / "pipe.csv")
    capsys.readouterr()
    for args in (["import", "pipe.csv"], ["result", "import", "pipe.csv"], ["result", "import", os.devnull]):
        assert main([*args, "--db", "lab.db"]) == USAGE
        err = capsys.readouterr().err
        assert "is not a regular file (a pipe or a device?)" in err and err.count("\n") == 1, err
