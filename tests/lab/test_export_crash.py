"""Exports killed (SIGKILL) at every step: afterwards the store and the files agree, nothing goes out twice.

A child process exports the approved candidates and kills itself when the
export reaches a named step (export.STEP_HOOK): before the pending batch
commits, after it, with the temporary file written, right after the rename,
just before the final commit, and after it.  After each kill the parent
settles interrupted exports (``reconcile_exports``) and checks:

* every complete, non-void batch has its file, byte for byte (sha256), and
  every file in the folder is such a batch: no stray file, no temporary file;
* exported candidates are exactly those of complete, non-void batches, each
  in one batch only; no batch stays pending;
* each step ends the way it must (kill before the rename: nothing exported,
  the candidates still approved; after: the batch recorded with its file).

Finally one export of everything still approved, and every candidate is in
exactly one batch: nothing was exported twice.  Runs on both backends.
"""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from hea_campaign.campaign.export_batches import reconcile_exports
from hea_campaign.campaign.lifecycle import approve
from hea_campaign.db.tables import AuditEvent, Candidate, ExportBatch

from .conftest import insert_candidates

WRITER = Path(__file__).with_name("export_crash_writer.py")
# step -> were the candidates exported once the kill was settled?
STEPS = {"rendered": False, "announced": False, "temp-written": False, "renamed": True, "before-commit": True,
         "committed": True, "none": True}  # fmt: skip
FORMATS = ("csv", "json", "sheet")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")


class Child:
    def __init__(self, url: str, folder: Path, stderr_path: Path):
        self.stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen([sys.executable, str(WRITER), url, str(folder)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for raw in self.proc.stdout:
            self.lines.put(raw.decode().strip())
        self.lines.put("EOF")

    def next_line(self, timeout: float = 120) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("the writer stopped answering") from None

    def run(self, step: str, name: str, fmt: str) -> int:
        self.proc.stdin.write(f"go {step} {name} {fmt}\n".encode())
        self.proc.stdin.flush()
        line = self.next_line()
        assert line.startswith("pid "), line
        line = self.next_line()
        assert line.startswith("dead "), line
        return int(line.split()[2])

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def _agreement(store, folder: Path) -> dict[int, int]:
    """Check that store and files agree; return candidate id -> its batch."""
    with store.read() as s:
        batches = list(s.exec(select(ExportBatch).order_by(ExportBatch.id)))
        statuses = {c.id: c.status for c in s.exec(select(Candidate))}
        created = Counter(e.entity_id for e in s.exec(select(AuditEvent).where(
            AuditEvent.action.in_(["export_batch.create", "export_batch.recover"]))))  # fmt: skip
    assert [b.id for b in batches if b.state == "pending"] == [], "a pending batch was left unsettled"
    live = [b for b in batches if b.state == "complete" and b.voided_at is None]
    for b in live:
        path = Path(b.path)
        assert path.exists(), f"batch {b.id} is recorded but its file {path} is missing"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == b.file_sha256, f"batch {b.id}: the file differs"
        assert created[b.id] == 1, f"batch {b.id} has {created[b.id]} create/recover events"
    on_disk = sorted(p.name for p in folder.iterdir())
    assert on_disk == sorted(Path(b.path).name for b in batches if b.state == "complete"), (
        f"files and complete batches differ: {on_disk}")
    owner: dict[int, int] = {}
    for b in live:
        for cid in b.candidate_ids:
            assert cid not in owner, f"candidate {cid} is in batches {owner[cid]} and {b.id}"
            owner[cid] = b.id
    exported = {cid for cid, st in statuses.items() if st == "exported"}
    assert exported == set(owner), "exported candidates and the candidates of recorded batches differ"
    return owner


def test_export_killed_at_every_step_leaves_store_and_files_in_agreement(store, tmp_path):
    folder = tmp_path / "batches"
    folder.mkdir()
    child = Child(store.url, folder, tmp_path / "writer.err")
    err = tmp_path / "writer.err"
    try:
        assert child.next_line() == "ready", err.read_text()[-3000:]
        for i, (step, exported) in enumerate(STEPS.items()):
            fmt = FORMATS[i % len(FORMATS)]
            ids = insert_candidates(store, [f"Fe{10 + i}Ni7Co{3 + i}", f"Cr{5 + i}Mn3Ni9"])
            approve(store, ids, by="alice")
            status = child.run(step, f"batch-{i}.csv", fmt)
            if step == "none":
                assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, err.read_text()[-3000:]
            else:
                assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
                    f"step {step}: the writer died on its own: {err.read_text()[-3000:]}")
            settled = reconcile_exports(store, by="tester")
            owner = _agreement(store, folder)
            assert all(cid in owner for cid in ids) == exported, (step, owner, settled)
            assert not any(cid in owner for cid in ids) or exported, step
            assert bool(settled) == (step in ("announced", "temp-written", "renamed", "before-commit")), (step, settled)
    finally:
        child.close()

    # everything still approved goes out once more, and then every candidate is in exactly one batch
    from hea_campaign.campaign.export import export_batch

    approve(store, insert_candidates(store, ["AlCoCrFeNi"]), by="alice")
    export_batch(store, mass=20, out=folder / "final.csv", by="tester")
    owner = _agreement(store, folder)
    with store.read() as s:
        assert {c.id for c in s.exec(select(Candidate))} == set(owner)
