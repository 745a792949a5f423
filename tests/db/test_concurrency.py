"""Four processes writing one store at once: nothing lost, nothing doubled, the audit trail exact.

Four OS processes (tests/db/concurrency_worker.py) share one store for
``HEA_TEST_CONCURRENCY_S`` seconds (default: 60 on PostgreSQL, the shared lab
server this is about; 5 on SQLite, where test_crash.py covers the hard part)
and add results (new formulas, formulas everyone adds at once, results for
exported candidates), correct shared measurements and approve or reject
shared candidates.  Each logs what the store told it it wrote.  Afterwards:

* every reported measurement id exists, exactly once, with the alloy it was
  reported for; the measurement table grew by exactly the reported writes;
* no formula has two alloys; the alloy table grew by the alloys reported new;
* audit events per action equal the mutations reported, and nothing else;
* a measurement is corrected at most once; a candidate in the approve-only
  pool is approved at most once; in the approve/reject pool each candidate's
  audit events form one unbroken chain of legal moves ending at its status;
  an exported candidate moves to measured once, with every result attached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from sqlmodel import col, func, select

from hea_campaign.campaign.lifecycle import TRANSITIONS
from hea_campaign.campaign.results import add_result
from hea_campaign.campaign.store import CampaignStore
from hea_campaign.db.tables import Alloy, AuditEvent, Candidate, Measurement
from tests.lab.conftest import insert_candidates

WORKER = Path(__file__).with_name("concurrency_worker.py")
WORKERS = 4
ENV_SECONDS = "HEA_TEST_CONCURRENCY_S"

HOT_EXISTING = ["FeNi", "CoCrFeNi", "AlCoCrFeNi", "CoCrFeMnNi"]
HOT_NEW = ["CrFeNi", "CoFeNi", "AlCrFeNi", "HfNbTaTiZr", "MoNbTaW", "NbTaTiV", "CoCrNi", "AlCoFeNi"]


def _seconds(backend: str) -> float:
    raw = os.environ.get(ENV_SECONDS)
    return float(raw) if raw else (60.0 if backend == "postgresql" else 5.0)


def _formulas(prefix: str, n: int) -> list[str]:
    """n distinct formulas that no worker makes up (the workers use at most 6 of an element)."""
    return [f"{prefix}{10 + i}Fe7Ni9" for i in range(n)]


def _audit_counts(store) -> Counter:
    with store.read() as s:
        return Counter(dict(s.exec(select(AuditEvent.action, func.count()).group_by(AuditEvent.action)).all()))


def _table_counts(store) -> dict[str, int]:
    with store.read() as s:
        return {t.__tablename__: s.exec(select(func.count()).select_from(t)).one() for t in (Alloy, Measurement)}


def _run_workers(plan_path: Path, tmp_path: Path, seconds: float) -> list[dict]:
    procs = []
    for i in range(WORKERS):
        err = open(tmp_path / f"worker{i}.err", "wb")
        proc = subprocess.Popen([sys.executable, str(WORKER), str(plan_path), str(i), str(tmp_path / f"worker{i}.jsonl")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)  # fmt: skip
        procs.append((proc, err))
    try:
        for i, (proc, _) in enumerate(procs):  # everyone imported and connected before anyone starts
            line = proc.stdout.readline().strip()
            assert line == "ready", f"worker {i} did not start: {(tmp_path / f'worker{i}.err').read_text()[-3000:]}"
        for proc, _ in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for i, (proc, _) in enumerate(procs):
            code = proc.wait(timeout=seconds + 180)
            assert code == 0, f"worker {i} exited with {code}: {(tmp_path / f'worker{i}.err').read_text()[-3000:]}"
    finally:
        for proc, err in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err.close()
    entries = []
    for i in range(WORKERS):
        for line in (tmp_path / f"worker{i}.jsonl").read_text().splitlines():
            entries.append(json.loads(line) | {"worker": i})
    return entries


def test_four_processes_writing_at_once_lose_and_double_nothing(backend, make_db, tmp_path):
    seconds = _seconds(backend)
    url = make_db(name="shared")
    store = CampaignStore.open(url, actor="setup")
    for formula in HOT_EXISTING:
        add_result(store, formula, single_phase=True, by="setup")
    correct_pool = [add_result(store, f, single_phase=False, by="setup").id for f in _formulas("Mo", 30)]
    approve_pool = insert_candidates(store, _formulas("W", 40))
    flip_pool = insert_candidates(store, _formulas("Ta", 10))
    exported_pool = insert_candidates(store, _formulas("Nb", 20), status="exported")
    plan = {"url": url, "seconds": seconds, "seed": 8, "hot_formulas": HOT_EXISTING + HOT_NEW,
            "correct_pool": correct_pool, "approve_pool": approve_pool, "flip_pool": flip_pool,
            "exported_pool": exported_pool}  # fmt: skip
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(plan))
    tables_before, audit_before = _table_counts(store), _audit_counts(store)
    with store.read() as s:
        max_measurement_before = s.exec(select(func.max(Measurement.id))).one()

    started = time.monotonic()
    entries = _run_workers(plan_path, tmp_path, seconds)
    elapsed = time.monotonic() - started

    errors = [e for e in entries if e["op"] == "error"]
    assert not errors, f"{len(errors)} unexpected error(s), first: {errors[0]['traceback']}"
    by_op = defaultdict(list)
    for e in entries:
        by_op[e["op"]].append(e)
    adds, corrections = by_op["add"], by_op["correct"]
    print(f"{backend}: {len(entries)} operations in {elapsed:.0f} s by {WORKERS} processes: "
          + ", ".join(f"{op} {len(v)}" for op, v in sorted(by_op.items())))  # fmt: skip
    # Every worker did each kind of operation at least once (its first round, however slow the machine);
    # what is checked below is that nothing was lost or doubled, never how many operations fitted in the time.
    assert all(sum(e["worker"] == w for e in adds) >= 3 for w in range(WORKERS)), "a worker's results are missing"
    assert corrections and by_op["approve"] and by_op["reject"]

    # --- measurements: each reported id exactly once, with its alloy; nothing unreported
    written = [e["measurement_id"] for e in adds + corrections]
    assert len(written) == len(set(written)), "a measurement id was reported twice"
    with store.read() as s:
        rows = {m.id: m for m in s.exec(select(Measurement).where(Measurement.id > max_measurement_before))}
        alloys = {a.id: a for a in s.exec(select(Alloy))}
        duplicated = s.exec(select(Alloy.formula, func.count()).group_by(Alloy.campaign_id, Alloy.formula)
                            .having(func.count() > 1)).all()  # fmt: skip
        candidates = {c.id: c for c in s.exec(select(Candidate))}
        events = list(s.exec(select(AuditEvent).where(col(AuditEvent.entity) == "candidate").order_by(AuditEvent.id)))
    assert sorted(rows) == sorted(written), "measurements in the store differ from the ones reported written"
    tables_after = _table_counts(store)
    assert tables_after["measurement"] == tables_before["measurement"] + len(written)
    for e in adds:
        m = rows[e["measurement_id"]]
        assert m.alloy_id == e["alloy_id"] and alloys[m.alloy_id].formula == e["formula"], e

    # --- alloys: one per formula, every new one reported once
    assert duplicated == [], f"formulas with more than one alloy: {duplicated}"
    new_alloys = [e["alloy_id"] for e in adds if e["new_alloy"]]
    assert len(new_alloys) == len(set(new_alloys)), "two workers were both told they added the same alloy"
    assert tables_after["alloy"] == tables_before["alloy"] + len(new_alloys)
    workers_per_hot = {f: {e["worker"] for e in adds if e["formula"] == f} for f in HOT_NEW}
    assert any(len(w) > 1 for w in workers_per_hot.values()), "no formula was added by several workers"

    # --- audit events per action equal the mutations reported
    audit_after = _audit_counts(store)
    expected = Counter({
        "alloy.add": len(new_alloys),
        "measurement.add": len(adds),
        "measurement.correct": len(corrections),
        "candidate.approve": len(by_op["approve"]),
        "candidate.reject": len(by_op["reject"]),
        "candidate.measure": sum(e["candidate_moved"] for e in adds),
    })  # fmt: skip
    assert audit_after - audit_before == +expected
    assert sum(audit_after.values()) - sum(audit_before.values()) == sum(expected.values())

    # --- corrections: at most one per measurement, each reported one stored as such
    targets = Counter(e["target"] for e in corrections)
    assert max(targets.values()) == 1, f"a measurement was corrected twice: {targets.most_common(3)}"
    assert {e["target"]: rows[e["measurement_id"]].supersedes_id for e in corrections} == {t: t for t in targets}

    # --- candidates: legal states, one approval each, unbroken chains
    per_candidate = defaultdict(list)
    for ev in events:
        per_candidate[ev.entity_id].append(ev)
    for cid in approve_pool:
        approvals = [ev for ev in per_candidate[cid] if ev.action == "candidate.approve"]
        reported = [e for e in by_op["approve"] if e["candidate_id"] == cid]
        assert len(approvals) == len(reported) <= 1, f"candidate {cid} approved {len(approvals)} times"
        assert candidates[cid].status == ("approved" if reported else "proposed")
    for cid in flip_pool + exported_pool:
        status = "proposed" if cid in flip_pool else "exported"
        for ev in per_candidate[cid]:
            assert ev.payload["from"] == status and ev.payload["to"] in TRANSITIONS[status], (cid, ev.payload)
            status = ev.payload["to"]
        assert candidates[cid].status == status, f"candidate {cid}: {candidates[cid].status}, audit trail says {status}"
    for cid in flip_pool:
        reported = [e for e in by_op["approve"] + by_op["reject"] if e["candidate_id"] == cid]
        assert len(per_candidate[cid]) == len(reported)
    for cid in exported_pool:
        results = [e for e in adds if e["candidate_id"] == cid]
        assert sum(e["candidate_moved"] for e in results) == (1 if results else 0)
        assert candidates[cid].status == ("measured" if results else "exported")
        assert sorted(m.id for m in rows.values() if m.candidate_id == cid) == sorted(e["measurement_id"] for e in results)
    store.close()
