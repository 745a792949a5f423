"""Crash safety: a writer killed with SIGKILL at random moments never corrupts the store or loses a commit.

A child process adds lab results in a loop and reports every measurement id
right after its transaction commits; the test kills it (SIGKILL, no chance
to clean up) at random moments (every other round only after the writer
reported a commit, so commits are there to lose whatever the machine's
speed), 60 times, then checks what SQLite's
own crash tests check: the file passes ``PRAGMA integrity_check``, every
commit the writer reported is there, and no half of a transaction survived
(every measurement has its audit event and every audit event its row).
"""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROUNDS = 60
WRITER = Path(__file__).with_name("crash_writer.py")

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)"),
    pytest.mark.sqlite_only("SQLite's crash safety (integrity_check of the file); a server has its own"),
]


class Child:
    """The writer process with a line queue on its stdout (reads never block the test forever)."""

    def __init__(self, db: Path, stderr_path: Path):
        self.stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen([sys.executable, str(WRITER), str(db)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for raw in self.proc.stdout:
            self.lines.put(raw.decode().strip())
        self.lines.put("EOF")

    def next_line(self, timeout: float = 30) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("the writer stopped answering") from None

    def send(self, text: str) -> None:
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def test_sigkill_at_random_moments_loses_no_commit(store, store_path, tmp_path):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    where = f"(seed {seed}; writer errors in {tmp_path / 'writer.err'})"
    child = Child(store_path, tmp_path / "writer.err")
    reported: list[int] = []
    kills = 0
    try:
        assert child.next_line() == "ready", where
        for round_ in range(ROUNDS):
            child.send(f"go {rng.randrange(2**32)}")
            line = child.next_line()
            assert line.startswith("pid "), (line, where)
            pid = int(line.split()[1])
            if round_ % 2 == 0:  # every other round kills only after a commit, so some are there to check
                line = child.next_line()
                assert line.startswith("id "), (line, where)
                reported.append(int(line.split()[1]))
            time.sleep(rng.uniform(0.0, 0.25))
            os.kill(pid, signal.SIGKILL)
            kills += 1
            while True:
                line = child.next_line()
                if line.startswith("id "):
                    reported.append(int(line.split()[1]))
                    continue
                assert line.startswith(f"dead {pid} "), (line, where)
                status = int(line.split()[2])
                assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
                    f"the writer died on its own: {(tmp_path / 'writer.err').read_text()[-2000:]} {where}")
                break
    finally:
        child.close()

    assert kills >= 50
    assert len(reported) >= ROUNDS // 2, where  # one commit at least in every other round, however slow
    con = sqlite3.connect(store_path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)], where
        assert con.execute("PRAGMA foreign_key_check").fetchall() == [], where
        present = {r[0] for r in con.execute("SELECT id FROM measurement")}
        missing = sorted(set(reported) - present)
        assert not missing, f"reported as committed but missing: {missing[:10]} {where}"
        audited = {r[0] for r in con.execute(
            "SELECT entity_id FROM audit_event WHERE entity = 'measurement'")}  # fmt: skip
        assert audited == present, f"measurements and their audit events disagree {where}"
        alloys = {r[0] for r in con.execute("SELECT id FROM alloy")}
        alloy_events = {r[0] for r in con.execute("SELECT entity_id FROM audit_event WHERE entity = 'alloy'")}
        assert alloy_events == alloys, where
        supersedes = [r[0] for r in con.execute("SELECT supersedes_id FROM measurement WHERE supersedes_id IS NOT NULL")]
        assert len(supersedes) == len(set(supersedes)), where
    finally:
        con.close()
