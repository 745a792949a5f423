"""Design-engine throughput: iterative inversion and composition screening (CPU).

(a) Inversions per second for a batch of starting alloys (the seed dataset's
    multi-phase alloys, drawn with replacement up to ``--starts``) with each
    loop of ``campaign.inversion.invert`` (paper, latent-steps, proximal), with
    the fraction that reached the cutoff and the median change in at.%.
(b) Compositions per second for screening a 6-element space (Fe Ni Co Cr Al
    Ti) at 5 at.% steps: ``campaign.screening.enumerate_space`` in chunks,
    scored with ``model.predict_proba(..., return_std=True)`` (target at least
    1e5/s on 2 cores), where the time goes (enumeration / descriptors /
    classifier), and resident memory: peak (VmHWM) before and after and the
    current RSS while a larger space (the same elements at 2 at.%, ~3.5
    million compositions) streams through, to show it stays flat.

One model is trained at the start on the seed data (10% of each class held
out for model selection), the way ``evaluate_external`` does.  Not a test:
run ``python bench/design.py [--starts 1000] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("HEA_CAMPAIGN_DATA_DIR", str((REPO / ".." / "shared" / "data").resolve()))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, load  # noqa: E402

import torch  # noqa: E402

from hea_campaign.campaign.evaluation import seed_rows  # noqa: E402
from hea_campaign.campaign.inversion import MODES, invert  # noqa: E402
from hea_campaign.campaign.screening import enumerate_space, space_size  # noqa: E402
from hea_campaign.model.descriptors import featurize  # noqa: E402
from hea_campaign.model.ssvae import PREDICT_BLOCK_ROWS, SSVAEConfig  # noqa: E402
from hea_campaign.model.threads import choose, split_workers, work_threads  # noqa: E402
from hea_campaign.model.training import train  # noqa: E402

SCREEN_ELEMENTS = ("Fe", "Ni", "Co", "Cr", "Al", "Ti")


# --------------------------------------------------------------------------- memory


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def rss_mib() -> float:
    return _status_kb("VmRSS") / 1024


def peak_mib() -> float:
    return _status_kb("VmHWM") / 1024


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- model


def train_model(seed: int, epochs: int | None):
    rows = seed_rows()
    rng = np.random.default_rng(seed)
    val = np.zeros(len(rows.y), bool)
    for cls in (0, 1):
        idx = np.flatnonzero(rows.y == cls)
        val[rng.choice(idx, size=max(1, len(idx) // 10), replace=False)] = True
    cfg = SSVAEConfig(seed=seed) if epochs is None else SSVAEConfig(seed=seed, epochs=epochs)
    res = train(rows.X[~val], rows.y[~val], None, rows.X[val], rows.y[val], cfg)
    return rows, res


# --------------------------------------------------------------------------- (a) inversion


def bench_inversion(model, rows, n_starts: int, seed: int, cutoff: float) -> None:
    multi = np.flatnonzero(rows.y == 0)
    rng = np.random.default_rng(seed)
    pick = rng.choice(multi, size=n_starts, replace=n_starts > len(multi))
    starts = rows.X[pick]
    print(f"\n(a) inversion: paper and latent-steps {choose('decoding', n_starts).describe()}; proximal split over "
          f"{split_workers('inversion', n_starts)} threads, one torch thread each")
    print(f"  {n_starts} starts drawn from the {len(multi)} multi-phase seed alloys "
          f"({'with' if n_starts > len(multi) else 'without'} replacement; "
          f"{len(np.unique(pick))} distinct), cutoff {cutoff}")
    invert(model, starts[:8], mode="paper", cutoff=cutoff)  # warm up torch
    print(f"  {'loop':<13} {'inversions/s':>12} {'wall s':>7} {'reached':>8} {'median change':>14} "
          f"{'median steps':>13} {'kept elements':>14} {'already above':>14} {'moved up':>9}")
    for loop in MODES:
        t0 = time.perf_counter()
        r = invert(model, starts, mode=loop, cutoff=cutoff)
        dt = time.perf_counter() - t0
        ok = r.reached
        already = r.steps == 0  # the rounded start itself scored above the cutoff
        change = float(np.median(r.change_at_pct[ok])) if ok.any() else float("nan")
        steps = float(np.median(r.steps[ok])) if ok.any() else float("nan")
        same = np.mean([np.array_equal(r.final[i] > 0, starts[i] > 0) for i in np.flatnonzero(ok)]) if ok.any() \
            else float("nan")
        moved = ok & ~already
        print(f"  {loop:<13} {n_starts / dt:12,.0f} {dt:7.2f} {ok.mean():8.1%} {change:11.1f} at.% "
              f"{steps:13.0f} {same:14.1%} {already.mean():14.1%} {moved.sum() / max((~already).sum(), 1):9.1%}")
    print("  (reached: share of starts whose rounded alloy scored above the cutoff; change: half the L1 distance "
          "start -> candidate over the reached ones; kept elements: reached candidates with exactly the "
          "starting element set; already above: starts the model already scores above the cutoff once rounded "
          "(0 steps); moved up: share of the other starts that the loop brought above the cutoff)")


# --------------------------------------------------------------------------- (b) screening


def _unblocked(model, X):
    """predict_proba as it was before it scored in row blocks (one pass over all rows)."""
    with torch.no_grad(), work_threads("screening", rows=len(X)):
        p = torch.sigmoid(model.classifier(model.standardise(X)))
    return p.mean(0).double().numpy(), p.std(0, unbiased=False).double().numpy()


def screen(model, elements, step: float, chunk: int, score=None, sample_rss: bool = False):
    """Stream a space through the scorer; returns (n, seconds, rss samples, best score)."""
    score = score or (lambda X: model.predict_proba(X, return_std=True))  # splits a large batch over threads
    n, samples, best = 0, [], -1.0
    t0 = time.perf_counter()
    for X in enumerate_space(elements, model.vocabulary, step=step, chunk=chunk):
        p, s = score(X)
        n += len(X)
        best = max(best, float(p.max()) if len(p) else best)
        if sample_rss:
            samples.append((n, rss_mib()))
    return n, time.perf_counter() - t0, samples, best


def profile_chunk(model, elements, step: float, chunk: int, repeats: int = 3) -> dict[str, float]:
    """Seconds per stage of predict_proba for one pass over the space (best of ``repeats``)."""
    best: dict[str, float] = {}
    for _ in range(repeats):
        t = {"enumerate": 0.0, "descriptors f(x)": 0.0, "scale + to torch": 0.0, "classifier heads": 0.0,
             "mean/std": 0.0}
        gen = enumerate_space(elements, model.vocabulary, step=step, chunk=chunk)
        while True:
            a = time.perf_counter()
            X = next(gen, None)
            t["enumerate"] += time.perf_counter() - a
            if X is None:
                break
            c0 = time.perf_counter()
            d = featurize(X, model.vocabulary)
            c1 = time.perf_counter()
            dt = torch.as_tensor(model.scaler.transform(d), dtype=torch.float32)
            c2 = time.perf_counter()
            with torch.no_grad():  # the same blocks as predict_proba
                n_blocks = max(1, -(-len(dt) // PREDICT_BLOCK_ROWS))
                edges = [len(dt) * i // n_blocks for i in range(n_blocks + 1)]
                p = torch.cat([torch.sigmoid(model.classifier(dt[i:j])) for i, j in zip(edges[:-1], edges[1:])], 1)
            c3 = time.perf_counter()
            p.mean(0).double().numpy(), p.std(0, unbiased=False).double().numpy()
            c4 = time.perf_counter()
            for key, dt_ in zip(("descriptors f(x)", "scale + to torch", "classifier heads", "mean/std"),
                                (c1 - c0, c2 - c1, c3 - c2, c4 - c3)):
                t[key] += dt_
        best = t if not best or sum(t.values()) < sum(best.values()) else best
    return best


def bench_screening(model, step: float, big_step: float, chunk: int) -> None:
    els = list(SCREEN_ELEMENTS)
    total = space_size(len(els), step)
    print(f"\n(b) screening {'-'.join(els)} at {100 * step:g} at.% steps: {total:,} compositions, "
          f"chunks of {chunk:,}, {_screen_setting(chunk)}, "
          f"predict_proba row blocks <= {PREDICT_BLOCK_ROWS}")
    screen(model, els, step, chunk)  # warm up
    runs = [screen(model, els, step, chunk) for _ in range(3)]
    n, dt = runs[0][0], min(r[1] for r in runs)
    print(f"  enumerate + predict_proba(return_std=True): {n:,} in {dt:.3f} s -> {n / dt:,.0f} compositions/s "
          f"(best of 3; target >= 100,000/s)")
    old = [screen(model, els, step, chunk, score=lambda X: _unblocked(model, X)) for _ in range(3)]
    dto = min(r[1] for r in old)
    print(f"  the same with the former one-pass predict_proba:  {n / dto:,.0f} compositions/s")
    X = np.concatenate(list(enumerate_space(els, model.vocabulary, step=step, chunk=chunk)))
    new_p, new_s = model.predict_proba(X, return_std=True)
    old_p, old_s = _unblocked(model, X)
    same_rank = np.array_equal(np.argsort(-new_p, kind="stable")[:500], np.argsort(-old_p, kind="stable")[:500])
    print(f"  blocked vs one-pass scores: identical {np.array_equal(new_p, old_p) and np.array_equal(new_s, old_s)}, "
          f"max |dp| {np.abs(new_p - old_p).max():.1e}, max |dstd| {np.abs(new_s - old_s).max():.1e}, "
          f"same top-500 order {same_rank}")
    prof = profile_chunk(model, els, step, chunk)
    tot = sum(prof.values())
    print(f"  where the time goes (one pass, {tot:.3f} s): "
          + ", ".join(f"{k} {v:.3f} s ({v / tot:.0%})" for k, v in prof.items()))
    with torch.no_grad():
        d = model.standardise(X)
        t0 = time.perf_counter()
        model.classifier(d)
        one = time.perf_counter() - t0
    heads, hidden = model.config.n_heads, model.config.classifier_hidden[0]
    print(f"  (the heads on all {len(X):,} rows in one pass, as before: {one:.3f} s; their (heads, rows, hidden) "
          f"activations are {heads * len(X) * hidden * 4 / 2**20:.0f} MiB each, so that pass is memory-bound)")
    del X, d
    for name, scorer in (("blocked", None), ("one-pass (former)", lambda X: _unblocked(model, X))):
        reset_peak()
        base = peak_mib()
        screen(model, els, step, chunk, score=scorer)
        print(f"  peak memory while screening the {100 * step:g} at.% space ({name}): +{peak_mib() - base:.0f} MiB "
              f"over {base:.0f} MiB")

    # memory: the 5 at.% space in small chunks, then a 2 at.% space in the default chunks
    for st, ch, label in ((step, 10_000, "small chunks"), (big_step, chunk, "larger space")):
        reset_ok = reset_peak()
        before_rss, before_peak = rss_mib(), peak_mib()
        n, dt, samples, best = screen(model, els, st, ch, sample_rss=True)
        after_peak = peak_mib()
        pts = samples if len(samples) <= 6 else [samples[int(i)] for i in np.linspace(0, len(samples) - 1, 6)]
        rss = [r for _, r in samples]
        print(f"  memory, {label}: {n:,} compositions at {100 * st:g} at.% in {len(samples)} chunks of <= {ch:,} "
              f"({n / dt:,.0f}/s): RSS before {before_rss:.0f} MiB; peak (VmHWM{'' if reset_ok else ', not reset'}) "
              f"before {before_peak:.0f} MiB, after {after_peak:.0f} MiB; RSS during "
              + ", ".join(f"{k:,}: {r:.0f}" for k, r in pts)
              + f" MiB (min {min(rss):.0f}, max {max(rss):.0f})")


# --------------------------------------------------------------------------- (c) beside other work


def _burn() -> None:  # a CPU-bound process beside the benchmark
    while True:
        pass


def _screen_setting(rows: int) -> str:
    workers = split_workers("screening", rows)
    if workers > 1:
        return f"screening: split over {workers} threads, one torch thread each"
    return choose("screening", rows).describe()


def _pooled(model, X):
    """predict_proba on torch's own thread pool (no split over Python threads), as before 2026-11-29."""
    with work_threads("screening", rows=len(X)):
        return model.predict_proba(X, return_std=True)


def _median_rates(repeats: int, *args, **kwargs) -> dict[str, float]:
    """``_rates`` run ``repeats`` times, the median of each figure (single short runs move with the machine)."""
    runs = [_rates(*args, **kwargs) for _ in range(repeats)]
    return {k: float(np.median([r[k] for r in runs])) for k in runs[0]}


MIN_TIMED_S = 1.0  # each figure repeats its work for at least this long: one 0.1 s run moves with the scheduler


def _timed(work, min_s: float = MIN_TIMED_S) -> tuple[float, float, int]:
    """(items per wall second, items per CPU second of this process, runs): ``work()`` returns its
    item count and is repeated until ``min_s`` of wall time has passed."""
    t0, c0, n, runs = time.perf_counter(), time.process_time(), 0, 0
    while True:
        n += work()
        runs += 1
        wall = time.perf_counter() - t0
        if wall >= min_s:
            return n / wall, n / max(time.process_time() - c0, 1e-9), runs


def _rates(model, starts, els, step, chunk, score=None) -> dict[str, float]:
    """Work per wall second and per CPU second of this process (CPU: what the scheduler gave it)."""
    out = {}
    for loop in ("paper", "proximal"):
        def inversions(loop=loop) -> int:
            invert(model, starts, mode=loop, cutoff=0.6)
            return len(starts)

        out[f"{loop} inversions/s"], out[f"{loop} per CPU s"], _ = _timed(inversions)
    out["screened/s"], out["screened per CPU s"], _ = _timed(lambda: screen(model, els, step, chunk, score=score)[0])
    return out


def bench_beside(model, rows, n_procs: int, n_starts: int, seed: int, step: float, chunk: int,
                 repeats: int = 3) -> None:
    """The same work without and with ``n_procs`` CPU-bound processes beside it, threads as chosen
    and forced to one per core: torch's own pool for the paper loop and screening (what torch and
    OpenBLAS do by default); the proximal loop is split over that many Python threads either way."""
    import multiprocessing as mp

    multi = np.flatnonzero(rows.y == 0)
    starts = rows.X[np.random.default_rng(seed).choice(multi, size=n_starts, replace=n_starts > len(multi))]
    els = list(SCREEN_ELEMENTS)
    print(f"\n(c) beside other work: {n_starts} starts, the {100 * step:g} at.% screening space; "
          f"{n_procs} CPU-bound processes added for the second and third runs; each figure the median of {repeats}, "
          f"each of those at least {MIN_TIMED_S:g} s of the work repeated")
    runs = {}
    print(f"  without them: {load()}; {choose('decoding', n_starts).describe()}; proximal: split over "
          f"{split_workers('inversion', n_starts)} threads, one torch thread each; {_screen_setting(10**5)}")
    runs["without them, threads chosen"] = _median_rates(repeats, model, starts, els, step, chunk)
    procs = [mp.get_context("fork").Process(target=_burn, daemon=True) for _ in range(n_procs)]
    for p in procs:
        p.start()
    try:
        time.sleep(3)
        print(f"  with them: {load()}; {choose('decoding', n_starts).describe()}; proximal: split over "
              f"{split_workers('inversion', n_starts)} threads; {_screen_setting(10**5)}")
        runs[f"with {n_procs} beside, threads chosen"] = _median_rates(repeats, model, starts, els, step, chunk)
        os.environ["HEA_CAMPAIGN_THREADS"] = str(os.cpu_count() or 1)
        try:
            runs[f"with {n_procs} beside, torch's pool of {os.cpu_count() or 1}"] = _median_rates(
                repeats, model, starts, els, step, chunk, score=lambda X: _pooled(model, X))
        finally:
            del os.environ["HEA_CAMPAIGN_THREADS"]
    finally:
        for p in procs:
            p.terminate()
            p.join()
    time.sleep(3)
    print(f"  without them again: {load()}")
    runs["without them again, threads chosen"] = _median_rates(repeats, model, starts, els, step, chunk)
    before, after = runs["without them, threads chosen"], runs["without them again, threads chosen"]
    keys = list(before)
    base = {k: 0.5 * (before[k] + after[k]) for k in keys}  # the machine drifts: compare with both idle runs
    print("  " + f"{'':<42}" + "".join(f"{k:>24}" for k in keys))
    for name, r in runs.items():
        print("  " + f"{name:<42}" + "".join(f"{r[k]:>15,.0f} ({r[k] / base[k]:4.2f}x)" for k in keys))
    print("  (x: against the mean of the two runs without them, before and after; per CPU s: work per "
          "second of CPU this process got, which shows threads that spin or wait instead of working)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--starts", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cutoff", type=float, default=0.6)
    ap.add_argument("--epochs", type=int, default=None, help="training epochs (default: the model's own)")
    ap.add_argument("--step", type=float, default=0.05)
    ap.add_argument("--big-step", type=float, default=0.02)
    ap.add_argument("--chunk", type=int, default=200_000)
    ap.add_argument("--beside", type=int, default=2, help="CPU-bound processes to add for part (c); 0 skips it")
    ap.add_argument("--beside-starts", type=int, default=300)
    ap.add_argument("--beside-repeats", type=int, default=3, help="runs of each part (c) figure; the median is shown")
    ap.add_argument("--only-beside", action="store_true", help="run part (c) only")
    args = ap.parse_args()
    print(f"machine: {describe()}; {load()}")
    print(f"torch {torch.__version__}; threads are chosen per call (model/threads.py), training: "
          f"{choose('training', fixed=SSVAEConfig().num_threads).describe()}")
    t0 = time.perf_counter()
    rows, res = train_model(args.seed, args.epochs)
    m = res.metrics
    print(f"model: trained once on {int(m['n_labelled'])} seed alloys ({int(m['n_validation'])} held out) in "
          f"{time.perf_counter() - t0:.1f} s, {int(m['epochs_run'])} epochs; validation accuracy "
          f"{m['val_accuracy']:.3f}, AUC {m['val_roc_auc']:.3f}")
    if not args.only_beside:
        bench_inversion(res.model, rows, args.starts, args.seed, args.cutoff)
        bench_screening(res.model, args.step, args.big_step, args.chunk)
    if args.beside:
        bench_beside(res.model, rows, args.beside, args.beside_starts, args.seed, args.step, args.chunk,
                     args.beside_repeats)
    print(f"\nend: {load()}")


if __name__ == "__main__":
    main()
