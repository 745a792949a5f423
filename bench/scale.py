"""How each command grows with the store: time and peak memory at 10^3 ... 10^6 alloys.

For each size N a fresh SQLite store gets a synthetic dataset of N distinct
alloys (4-6 of the 30 vocabulary elements, amounts to 0.1 at.%, random
labels) and the steps run in turn: import, re-import (unchanged file), status, history FORMULA, candidates,
train (``--epochs``, 5 by default; needed by propose), propose --screen (Fe-Ni-Co-Cr-Al at 5 at.%,
batch 12), propose --from-multi-phase 20 (proximal inversion), candidate detail,
approve + export of 12 candidates.  Then, with ``--candidates M``, M candidates are added to the
largest store directly in the database (copies of the proposed ones on other
alloys) and status, candidates and candidate detail run again.

Each step is the campaign service the command calls, timed in this process
with its own peak RSS (VmHWM reset before it); ``CLI status`` is a whole
`hea-campaign status` process (start-up included, peak RSS from ``wait4``).  At the end it prints
the growth exponent b of time ~ N^b between the two largest
sizes (b <= 1 is linear or better; start-up time flattens small sizes).  The
machine is shared: run it niced, and read the load printed beside each size.
Not a test: ``nice -n 10 .venv/bin/python bench/scale.py --sizes 1000 10000 100000 --candidates 100000``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("HEA_CAMPAIGN_DATA_DIR", str((REPO / ".." / "shared" / "data").resolve()))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, load  # noqa: E402

from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY  # noqa: E402

CLI = [str(Path(sys.executable).parent / "hea-campaign")]


def make_csv(path: Path, n: int, seed: int = 0) -> str:
    """N distinct alloys (formula in at.% to 0.1, random yes/no label); returns one formula.

    Drawn in vectorised batches: 4-6 distinct elements (a uniform subset of the
    vocabulary) and amounts cut at distinct points of 1..999 per mille (draws with a
    repeated cut are dropped, which leaves every set of distinct cuts equally likely).
    """
    rng = np.random.default_rng(seed)
    voc = np.array(DEFAULT_VOCABULARY)
    seen: set[str] = set()
    first = None
    with open(path, "w") as fh:
        fh.write("formula,single_phase\n")
        while len(seen) < n:
            m = min(2 * (n - len(seen)) + 100, 100_000)
            for text in _draw_formulas(rng, voc, m):
                if text in seen:
                    continue
                seen.add(text)
                first = first or text
                fh.write(f"{text},{'yes' if rng.random() < 0.5 else 'no'}\n")
                if len(seen) == n:
                    break
    return first


def _draw_formulas(rng, voc, m: int) -> list[str]:
    """m random formulas in random order, each of 4-6 elements (see make_csv)."""
    k_of = rng.integers(4, 7, size=m)
    texts = []
    for k in (4, 5, 6):
        rows = int((k_of == k).sum())
        els = np.sort(np.argsort(rng.random((rows, len(voc))), axis=1)[:, :k], axis=1)
        cuts = np.sort(rng.integers(1, 1000, size=(rows, k - 1)), axis=1)
        amounts = np.diff(np.concatenate([np.zeros((rows, 1), int), cuts, np.full((rows, 1), 1000)], axis=1), axis=1)
        ok = (amounts > 0).all(axis=1)
        texts += ["".join(f"{voc[i]}{x / 10:g}" for i, x in zip(e, a)) for e, a in zip(els[ok], amounts[ok])]
    return [texts[i] for i in rng.permutation(len(texts))]


def run(args: list[str], env=None) -> tuple[float, float, int, str]:
    """(wall s, peak RSS MiB, exit status, last output line) of one CLI process, start-up included
    (the peak from /usr/bin/time, since a forked child's own counter starts at its parent's size)."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "maxrss-kb %M", *CLI, *args], capture_output=True, env=env)
    wall = time.perf_counter() - t0
    err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    rss = float(err[-1].split()[-1]) / 1024 if err and err[-1].startswith("maxrss-kb") else math.nan
    text = (proc.stdout.decode("utf-8", "replace") + "\n".join(err[:-1])).strip().splitlines()
    return wall, rss, proc.returncode, (text[-1] if text else "")[:110]


def _kb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return math.nan


def measured(fn) -> tuple[float, float, float, object]:
    """(wall s, peak RSS MiB during the call, RSS MiB before, result) of one call in this process;
    the peak is reset first (/proc/self/clear_refs), so each step shows its own."""
    import gc

    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    before = _kb("VmRSS")
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, _kb("VmHWM"), before, result


def add_candidates(db: Path, m: int) -> int:
    """Copy the store's candidates onto other alloys until it holds ``m`` (SQL, in one transaction)."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(candidate)") if r[1] not in ("id", "alloy_id")]
        have = con.execute("SELECT count(*) FROM candidate").fetchone()[0]
        if have == 0 or have >= m:
            return have
        alloys = [r[0] for r in con.execute("SELECT id FROM alloy WHERE id NOT IN (SELECT alloy_id FROM candidate) "
                                            "ORDER BY id LIMIT ?", (m - have,))]
        templates = con.execute(f"SELECT {', '.join(cols)} FROM candidate").fetchall()
        rows = [(a, *templates[i % len(templates)]) for i, a in enumerate(alloys)]
        con.executemany(f"INSERT INTO candidate (alloy_id, {', '.join(cols)}) VALUES "
                        f"({', '.join('?' * (len(cols) + 1))})", rows)
        con.commit()
        return con.execute("SELECT count(*) FROM candidate").fetchone()[0]
    finally:
        con.close()


def steps_for(db: Path, csv: Path, formula: str, out: Path, skip, epochs: int = 5):
    """Each step on a fresh store, called as the CLI calls it: (name, (wall, peak, before, note))."""
    from hea_campaign.campaign.candidates import candidate_detail, list_candidates
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.importing import import_csv
    from hea_campaign.campaign.lifecycle import approve
    from hea_campaign.campaign.model_versions import activate, train_version
    from hea_campaign.campaign.proposals import ProposalRequest, propose
    from hea_campaign.campaign.results import history
    from hea_campaign.campaign.status import campaign_status
    from hea_campaign.campaign.store import CampaignStore

    store = CampaignStore.open(db, actor="bench", create=True)
    ids: list[int] = []
    try:
        steps = [
            ("import", lambda: import_csv(store, csv), lambda r: f"; {r.measurements_added:,} rows added"),
            ("re-import", lambda: import_csv(store, csv), lambda r: f"; {r.already_imported:,} already there"),
            ("status", lambda: campaign_status(store), lambda r: f"; {r.alloys:,} alloys"),
            ("history", lambda: history(store, formula), lambda r: f"; {len(r.entries)} entries"),
            ("train", lambda: activate(store, train_version(store, epochs=epochs).version.id),
             lambda r: f" ({epochs} epoch(s))"),
            ("propose-screen", lambda: propose(store, ProposalRequest(
                mode="screen", screen_elements=["Fe", "Ni", "Co", "Cr", "Al"], step=0.05, batch=12)),
             lambda r: f"; {len(r.candidate_ids)} stored"),
            ("propose-invert", lambda: propose(store, ProposalRequest(
                mode="invert", from_multi_phase=20, inversion="proximal", batch=12)),
             lambda r: f"; {len(r.candidate_ids)} stored"),
            ("candidates", lambda: list_candidates(store, limit=1000), lambda r: f"; {len(r)} rows"),
            ("candidate", lambda: candidate_detail(store, ids[0], with_shap=False) if ids else None, lambda r: ""),
            ("approve", lambda: approve(store, ids[:12]), lambda r: f"; {len(r)} approved"),
            ("export", lambda: export_batch(store, mass=20, out=out), lambda r: ""),
        ]
        for name, fn, note in steps:
            if name in skip:
                continue
            wall, peak, before, result = measured(fn)
            if name.startswith("propose"):
                ids.extend(result.candidate_ids)
            yield name, (wall, peak, before, note(result))
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--candidates", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--epochs", type=int, default=5, help="training epochs (training is not timed for growth)")
    ap.add_argument("--skip", nargs="*", default=[], help="steps to leave out, e.g. train propose-screen")
    ap.add_argument("--reuse-csv", action="store_true",
                    help="use alloys-N.csv already in --workdir")
    args = ap.parse_args()
    print(f"machine: {describe()}; {load()}")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="hea-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HEA_CAMPAIGN_MODELS": str(work / "models")}
    table: dict[str, dict[int, tuple[float, float]]] = {}
    for n in args.sizes:
        db = work / f"store-{n}.db"
        csv = work / f"alloys-{n}.csv"
        for p in (db, Path(str(db) + "-wal"), Path(str(db) + "-shm")):
            p.unlink(missing_ok=True)
        t0 = time.perf_counter()
        if args.reuse_csv and csv.exists():
            with open(csv) as fh:
                fh.readline()
                formula = fh.readline().split(",")[0]
        else:
            formula = make_csv(csv, n)
        print(f"\nN = {n:,} alloys ({csv.stat().st_size / 2**20:.1f} MiB CSV, made in {time.perf_counter() - t0:.1f} s); "
              f"{load()}")
        out = work / f"batch-{n}.csv"
        out.unlink(missing_ok=True)
        for name, (wall, peak, before, note) in steps_for(db, csv, formula, out, args.skip, args.epochs):
            table.setdefault(name, {})[n] = (wall, peak)
            print(f"  {name:<15} {wall:8.2f} s  peak RSS {peak:6.0f} MiB (+{peak - before:.0f} over {before:.0f}){note}")
        wall, rss, rc, last = run(["status", "--db", str(db)], env)
        table.setdefault("CLI status", {})[n] = (wall, rss)
        print(f"  {'CLI status':<15} {wall:8.2f} s  peak RSS {rss:6.0f} MiB (a whole process, start-up included)"
              + ("" if rc == 0 else f"  EXIT {rc}: {last}"))
    if args.candidates:
        n = max(args.sizes)
        db = work / f"store-{n}.db"
        have = add_candidates(db, args.candidates)
        print(f"\n{have:,} candidates in the N = {n:,} store (copied in SQL); {load()}")
        for name, cmd in (("CLI status", ["status", "--db", str(db)]),
                          ("candidates", ["candidates", "--db", str(db)]),
                          ("candidates p.50", ["candidates", "--db", str(db), "--offset", str(have // 2),
                                               "--limit", "50"]),
                          ("candidate 1", ["candidate", "1", "--db", str(db)])):
            wall, rss, rc, last = run(cmd, env)
            print(f"  {name:<15} {wall:8.2f} s  {rss:7.0f} MiB" + ("" if rc == 0 else f"  EXIT {rc}: {last}"))
    sizes = sorted(args.sizes)
    if len(sizes) >= 2:
        a, b = sizes[-2], sizes[-1]
        print(f"\ngrowth exponents between N = {a:,} and {b:,} (time ~ N^b; start-up time counts in both):")
        for name, by_n in table.items():
            if a in by_n and b in by_n:
                ta, tb = by_n[a][0], by_n[b][0]
                ra, rb = by_n[a][1], by_n[b][1]
                print(f"  {name:<15} time b = {math.log(tb / ta) / math.log(b / a):5.2f}   "
                      f"({ta:.2f} -> {tb:.2f} s; peak RSS {ra:.0f} -> {rb:.0f} MiB)")
    print(f"\nend: {load()}; stores in {work}")


if __name__ == "__main__":
    main()
