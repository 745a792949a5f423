"""Threads per kind of work: throughput at 1 and 2 threads, and what model/threads.py would choose.

For each kind of work that ``model/threads.py`` decides threads for, the same
work runs with the count forced to 1 and to 2 (``HEA_CAMPAIGN_THREADS``, which
``work_threads`` reads on every call), alternating 1, 2, 1, 2, ... ``--repeats``
times so that both settings see the same moments of a shared machine:

- training: full-batch training steps (epochs) on the seed dataset (10% of
  each class held out), ``--epochs`` per run;
- inversion: ``campaign.inversion.invert`` (paper loop) from ``--starts``
  multi-phase seed alloys;
- screening: Fe-Ni-Co-Cr-Al-Ti at ``--step`` streamed through
  ``enumerate_space`` and ``predict_proba(..., return_std=True)`` on torch's
  own pool (inside ``work_threads``; outside one, ``predict_proba`` splits a
  large batch over Python threads instead: ``bench/design.py`` compares both);
- descriptors: ``model.descriptors.featurize`` on ``--rows`` random
  five-element compositions.

It prints the median rate and the range over the repeats, the ratio 2 : 1, and
the setting ``model.threads.choose`` gives for that batch right now (threads,
reason, idle cores measured beside this process), with the machine (cores) and
the load average at the start, after each kind and at the end.  On a busy
machine the figures move with the others' load; read them with it.  Not a
test: ``nice -n 10 .venv/bin/python bench/threads.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("HEA_CAMPAIGN_DATA_DIR", str((REPO / ".." / "shared" / "data").resolve()))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, load  # noqa: E402

import torch  # noqa: E402

from hea_campaign.model.threads import ENV, choose  # noqa: E402

SCREEN_ELEMENTS = ("Fe", "Ni", "Co", "Cr", "Al", "Ti")


def forced(n: int | None):
    """Force every work_threads block to ``n`` threads (None: let model/threads.py choose)."""
    if n is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = str(n)


def timed(fn) -> tuple[float, float]:
    """(wall s, CPU s of this process) of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def _rate(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def compare(kind: str, units: str, work, amount: int, repeats: int, rows: int | None) -> None:
    """Run ``work`` (``amount`` units each) at 1 and 2 threads alternately; print the rates."""
    forced(None)
    setting = choose(kind, rows)
    rates: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(repeats):
        for n in (1, 2):
            forced(n)
            wall, cpu_s = timed(work)
            rates[n].append(amount / wall)
            cpu[n].append(amount / max(cpu_s, 1e-9))
    forced(None)
    med = {n: statistics.median(r) for n, r in rates.items()}
    print(f"\n{kind} ({amount:,} {units} per run, {repeats} runs at each count, alternated)")
    for n in (1, 2):
        print(f"  {n} thread{'s' if n > 1 else ' '}: {_rate(med[n]):>12} {units}/s  (range {_rate(min(rates[n]))}-"
              f"{_rate(max(rates[n]))}; per CPU s {_rate(statistics.median(cpu[n]))})")
    print(f"  2 threads / 1 thread: {med[2] / med[1]:.2f}")
    print(f"  chosen now: {setting.describe()}")
    print(f"  after: {load()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=40, help="training steps (epochs) per training run")
    ap.add_argument("--starts", type=int, default=500, help="starting alloys per inversion run")
    ap.add_argument("--step", type=float, default=0.05, help="screening step (fraction)")
    ap.add_argument("--rows", type=int, default=1_000_000, help="compositions per descriptor run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=["training", "inversion", "screening", "descriptors"])
    args = ap.parse_args()
    if os.environ.get(ENV):
        print(f"note: {ENV}={os.environ[ENV]} is set; this benchmark sets it itself and ignores it")
    print(f"machine: {describe()}; {load()}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} intra-op threads by default")

    from hea_campaign.campaign.evaluation import seed_rows
    from hea_campaign.campaign.inversion import invert
    from hea_campaign.campaign.screening import enumerate_space, space_size
    from hea_campaign.model.descriptors import featurize
    from hea_campaign.model.ssvae import SSVAEConfig
    from hea_campaign.model.training import train

    rows = seed_rows()
    rng = np.random.default_rng(args.seed)
    val = np.zeros(len(rows.y), bool)
    for cls in (0, 1):
        idx = np.flatnonzero(rows.y == cls)
        val[rng.choice(idx, size=max(1, len(idx) // 10), replace=False)] = True
    Xt, yt, Xv, yv = rows.X[~val], rows.y[~val], rows.X[val], rows.y[val]

    forced(1)
    t0 = time.perf_counter()
    model = train(Xt, yt, None, Xv, yv, SSVAEConfig(seed=args.seed, epochs=60)).model
    print(f"model for inversion and screening: 60 epochs on {len(yt)} seed alloys in {time.perf_counter() - t0:.1f} s")
    forced(None)

    if "training" in args.only:
        epochs_run: list[int] = []

        def training() -> None:
            # the count comes from HEA_CAMPAIGN_THREADS (forced above each run), as for any configuration
            res = train(Xt, yt, None, Xv, yv, SSVAEConfig(seed=args.seed, epochs=args.epochs, patience=10**6))
            epochs_run.append(int(res.metrics["epochs_run"]))

        compare("training", "steps", training, args.epochs, args.repeats, None)
        if set(epochs_run) != {args.epochs}:
            print(f"  (epochs run: {sorted(set(epochs_run))}; the rate assumes {args.epochs})")
    if "inversion" in args.only:
        multi = np.flatnonzero(rows.y == 0)
        starts = rows.X[rng.choice(multi, size=args.starts, replace=args.starts > len(multi))]
        invert(model, starts[:8], mode="paper", cutoff=0.6)  # warm up

        compare("inversion", "inversions", lambda: invert(model, starts, mode="paper", cutoff=0.6),
                args.starts, args.repeats, args.starts)
    if "screening" in args.only:
        n = space_size(len(SCREEN_ELEMENTS), args.step)

        def screening() -> None:
            for X in enumerate_space(SCREEN_ELEMENTS, model.vocabulary, step=args.step, chunk=200_000):
                from hea_campaign.model.threads import work_threads

                with work_threads("screening", rows=len(X)):
                    model.predict_proba(X, return_std=True)

        compare("screening", "compositions", screening, n, args.repeats, min(n, 200_000))
    if "descriptors" in args.only:
        from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

        X = np.zeros((args.rows, len(DEFAULT_VOCABULARY)))
        cols = np.argsort(rng.random((args.rows, len(DEFAULT_VOCABULARY))), axis=1)[:, :5]
        X[np.arange(args.rows)[:, None], cols] = rng.dirichlet(np.ones(5), size=args.rows)
        compare("descriptors", "alloys", lambda: featurize(X), args.rows, args.repeats, args.rows)
    print(f"\nend: {load()}")


if __name__ == "__main__":
    main()
