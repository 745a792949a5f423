"""A retrospective campaign: replay the lab loop on a labelled dataset with the labels hidden.

Before spending furnace time a lab wants to know whether the loop finds
single-phase alloys faster than picking at random.  ``simulate`` answers it
on real data: the dataset's alloys form a pool whose labels are hidden; a
campaign starts from a few revealed alloys and, each round, retrains (warm
start), scores the pool, picks a batch with a strategy and reveals those
labels, as a furnace and a diffractometer would.

Every round goes through the same services a real campaign uses, on a
temporary SQLite store per run: the pool is imported as unlabelled alloys
(``import_csv``), revealed labels arrive as a results CSV
(``import_results``), training is ``train_version`` and the strategies are the
design engine's ``acquisition`` and ``select_diverse``.  The branches of one
repeat start from one backup of a shared base store, so every strategy sees
the same initial alloys and the same first model.

A held-out test set (never picked, never revealed, not in the store) gives
each round's model a test accuracy: the learning curve.
"""

from __future__ import annotations

import csv
import math
import multiprocessing
import os
import queue as queue_module
import re
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from hea_campaign.db import store as q
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

from .acquisition import STRATEGIES as ACQUISITIONS
from .acquisition import DEFAULT_STRATEGY, pick_batch
from .backup import backup
from .chemistry import FormulaError, parse_formula
from .datasets import fetch, read_table
from .errors import CampaignError
from .importing import import_csv
from .model_versions import get_version, train_version
from .results import import_results
from .store import CampaignStore
from .training_set import snapshot

REFERENCE_STRATEGIES = ("forest", "rule")  # what a lab could do without this tool
STRATEGIES = ("random", *ACQUISITIONS, *REFERENCE_STRATEGIES)
ACTOR = "simulation"



# --- what counts as a find --------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What the lab is looking for: single-phase alloys with at least ``min_elements`` elements."""

    min_elements: int = 1

    @property
    def text(self) -> str:
        if self.min_elements <= 1:
            return "single phase"
        return f"single phase with at least {self.min_elements} elements"


_TARGET = re.compile(r"^\s*single[ -]?phase(?:\s+(?:with\s+)?(?:at\s+least\s+|>=\s*)(\d+)\s+elements?)?\s*$", re.I)


def parse_target(text: str) -> Target:
    """'single phase' or 'single phase with at least N elements' -> Target."""
    m = _TARGET.match(text or "")
    if not m:
        raise CampaignError(
            f"cannot read the target '{text}'; write 'single phase' or 'single phase with at least N elements'"
        )
    n = int(m.group(1)) if m.group(1) else 1
    if not 1 <= n <= len(DEFAULT_VOCABULARY):
        raise CampaignError(f"the target asks for at least {n} elements; choose 1 to {len(DEFAULT_VOCABULARY)}")
    return Target(n)


# --- the pool -------------------------------------------------------------------------


@dataclass
class Pool:
    """Labelled alloys whose labels the simulation hides: canonical formulas, fractions, labels."""

    name: str
    formulas: list[str]
    X: np.ndarray  # (N, V) atomic fractions over the vocabulary
    y: np.ndarray  # (N,) 1 = single phase
    n_elements: np.ndarray
    left_out: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.formulas)

    def targets(self, target: Target) -> np.ndarray:
        return (self.y == 1) & (self.n_elements >= target.min_elements)


def load_pool(dataset: str | None = "yan2021", csv_path: str | os.PathLike | None = None,
              vocabulary: tuple[str, ...] = DEFAULT_VOCABULARY) -> Pool:
    """The labelled alloys of a named dataset or a CSV (formula + label or phase columns).

    Rows with one composition are merged; compositions whose rows disagree,
    unlabelled rows and elements outside the vocabulary are left out (counted).
    """
    path = Path(csv_path) if csv_path is not None else fetch(dataset or "yan2021")
    table = read_table(path)
    index = {e: i for i, e in enumerate(vocabulary)}
    labels: dict[str, set[bool]] = {}
    comps = {}
    left_out = {"unreadable formula": 0, "no label": 0, "conflicting labels": 0, "outside vocabulary": 0}
    for row in table.rows:
        if row.error:
            left_out["unreadable formula"] += 1
            continue
        try:
            comp = parse_formula(row.text, allow_zero=True)
        except FormulaError:
            left_out["unreadable formula"] += 1
            continue
        if row.single_phase is None:
            left_out["no label"] += 1
            continue
        if any(e not in index for e in comp.elements):
            left_out["outside vocabulary"] += 1
            continue
        comps[comp.formula] = comp
        labels.setdefault(comp.formula, set()).add(bool(row.single_phase))
    formulas = []
    for formula, seen in labels.items():
        if len(seen) > 1:
            left_out["conflicting labels"] += 1
        else:
            formulas.append(formula)
    formulas.sort()
    X = np.zeros((len(formulas), len(vocabulary)))
    for i, formula in enumerate(formulas):
        for el, f in zip(comps[formula].elements, comps[formula].fractions, strict=True):
            X[i, index[el]] = f
    y = np.array([1.0 if next(iter(labels[f])) else 0.0 for f in formulas])
    n_el = np.array([len(comps[f].elements) for f in formulas])
    if len(formulas) < 40 or len(set(y.tolist())) < 2:
        raise CampaignError(f"{path.name} has {len(formulas)} usable labelled alloys; a simulation needs at least "
                            "40 with both single- and multi-phase ones")  # fmt: skip
    return Pool(dataset if csv_path is None else path.name, formulas, X, y, n_el, left_out)


# --- settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationSettings:
    initial: int = 50
    batch: int = 8
    rounds: int = 20
    repeats: int = 10
    strategies: tuple[str, ...] = ("random", DEFAULT_STRATEGY, *REFERENCE_STRATEGIES)
    target: Target = Target(4)
    test_fraction: float = 0.15
    first_epochs: int = 300  # the first model of each repeat
    round_epochs: int = 40  # each later round continues from the previous model
    max_pool: int = 0  # 0 = the whole dataset; otherwise a random subset (for quick runs)
    seed: int = 0
    jobs: int = 1

    def check(self, pool_size: int) -> None:
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown:
            raise CampaignError(f"unknown strategy {', '.join(unknown)}; choose from {', '.join(STRATEGIES)}")
        if not self.strategies:
            raise CampaignError("name at least one strategy")
        if "random" not in self.strategies:
            raise CampaignError("the strategies must include random: it is what the others are measured against")
        for name in ("initial", "batch", "rounds", "repeats", "first_epochs", "round_epochs", "jobs"):
            if getattr(self, name) < 1:
                raise CampaignError(f"--{name.replace('_', '-')} must be at least 1")
        if self.initial < 20:
            raise CampaignError("--initial must be at least 20 (training needs 20 labelled alloys)")
        if not 0.05 <= self.test_fraction <= 0.5:
            raise CampaignError("the test fraction must be between 0.05 and 0.5")
        usable = int(pool_size * (1 - self.test_fraction))
        need = self.initial + self.batch * self.rounds
        if need > usable:
            raise CampaignError(f"the pool has {usable} alloys outside the test set, fewer than the "
                                f"{self.initial} + {self.batch} x {self.rounds} = {need} a run reveals")  # fmt: skip

    def check_pool(self, pool: Pool) -> None:
        """``check`` against the pool a run would use (a quick run's subset of it): before anything starts."""
        self.check(min(len(pool), self.max_pool) if self.max_pool else len(pool))

    @property
    def trainings(self) -> int:
        return self.repeats * (1 + len(self.strategies) * self.rounds)


QUICK = dict(initial=30, batch=4, rounds=3, repeats=2, first_epochs=40, round_epochs=10, max_pool=400)


@dataclass
class RoundRecord:
    """One strategy's state after one round of one repeat (round 0 = the initial model)."""

    strategy: str
    repeat: int
    round: int
    experiments: int
    found: int
    batch_hits: int
    n_labelled: int
    test_accuracy: float
    test_auc: float
    model_version: int
    train_seconds: float
    picked: str = ""  # ';'-joined formulas revealed this round (round 0: the initial alloys)
    test_set: str = ""  # sha256 (12 hex) of the held-out test formulas: equal for every strategy of a repeat


@dataclass
class SimulationResult:
    settings: SimulationSettings
    pool_name: str
    pool_size: int
    pool_targets: int
    eligible_targets_rate: float  # share of targets among alloys a strategy may pick
    records: list[RoundRecord]
    wall_s: float

    def curves(self, strategy: str, column: str = "found") -> np.ndarray:
        """(repeats, rounds + 1) array of one column for one strategy."""
        s = self.settings
        out = np.full((s.repeats, s.rounds + 1), np.nan)
        for r in self.records:
            if r.strategy == strategy:
                out[r.repeat, r.round] = getattr(r, column)
        return out

    @property
    def experiments(self) -> np.ndarray:
        return np.arange(self.settings.rounds + 1) * self.settings.batch


class SimulationCancelled(CampaignError):
    """The run was stopped before every repeat finished."""


# --- one repeat ----------------------------------------------------------------------


def _split(pool: Pool, s: SimulationSettings, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(test, initial, rest) indices: a stratified test set, then initial alloys with both classes."""
    test = []
    for cls in (0.0, 1.0):
        idx = np.flatnonzero(pool.y == cls)
        test.extend(rng.choice(idx, size=max(1, int(round(s.test_fraction * len(idx)))), replace=False))
    test = np.array(sorted(test))
    train = np.setdiff1d(np.arange(len(pool)), test)
    for _ in range(100):
        initial = np.sort(rng.choice(train, size=s.initial, replace=False))
        if len(set(pool.y[initial].tolist())) == 2:
            break
    else:  # pragma: no cover - needs a pool with almost no alloys of one class
        raise CampaignError("could not draw initial alloys of both classes")
    return test, initial, np.setdiff1d(train, initial)


def _reveal(store: CampaignStore, pool: Pool, idx, path: Path, note: str) -> None:
    """Write the 'lab results' of pool rows ``idx`` as a CSV and import it like a lab would."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["formula", "single_phase", "method", "notes"])
        for i in idx:
            w.writerow([pool.formulas[i], "yes" if pool.y[i] == 1 else "no", "simulated", note])
    import_results(store, path, by=ACTOR)


def _pick(strategy: str, model, X: np.ndarray, k: int, rng: np.random.Generator, n_labels: int) -> list[int]:
    if strategy == "random":
        return sorted(rng.choice(len(X), size=min(k, len(X)), replace=False).tolist())
    if strategy == "greedy":  # needs neither the spread nor the latent space
        p = model.predict_proba(X)
        return pick_batch(strategy, p, np.zeros(len(p)), X, None, k, n_labels=n_labels)
    p, spread = model.predict_proba(X, return_std=True)
    return pick_batch(strategy, p, spread, X, model.encode(X, p)[0], k)


def _test_metrics(model, pool: Pool, test: np.ndarray) -> tuple[float, float]:
    from hea_campaign.model.training import binary_metrics

    m = binary_metrics(pool.y[test], model.predict_proba(pool.X[test]))
    return m["accuracy"], m["roc_auc"]


def _forest(seed: int):
    from hea_campaign.model.evaluation import reference_model

    return reference_model("random_forest", seed)


def _fingerprint(pool: Pool, rows: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256("\n".join(sorted(pool.formulas[i] for i in rows)).encode()).hexdigest()[:12]


def _initial_text(pool: Pool, rows: np.ndarray) -> str:
    return ";".join(sorted(pool.formulas[i] for i in rows))


def run_reference(strategy: str, pool: Pool, s: SimulationSettings, seed: int, repeat: int,
                  test: np.ndarray, initial: np.ndarray, candidates: np.ndarray) -> list[RoundRecord]:
    """A reference strategy on the same test set, initial alloys and candidate rows as the tool's.

    ``forest``: a random forest on the eight descriptors, refitted on every label
    revealed so far, picks the batch greedily.  ``rule``: the physics rule, which
    never sees a label (its test accuracy is left blank).
    """
    from hea_campaign.model.descriptors import featurize
    from hea_campaign.model.training import binary_metrics

    D = featurize(pool.X)
    targets = pool.targets(s.target)
    revealed = list(int(i) for i in initial)
    unrevealed = np.setdiff1d(candidates, initial)
    found = 0

    def fit_and_test(rnd: int):
        if strategy != "forest":
            return None, math.nan, math.nan, 0.0
        t0 = time.perf_counter()
        model = _forest(seed + rnd).fit(D[revealed], pool.y[revealed].astype(int))
        m = binary_metrics(pool.y[test], model.predict_proba(D[test])[:, 1])
        return model, m["accuracy"], m["roc_auc"], time.perf_counter() - t0

    model, acc, auc, secs = fit_and_test(0)
    tag = _fingerprint(pool, test)
    records = [RoundRecord(strategy, repeat, 0, 0, 0, 0, len(initial), acc, auc, 0, secs,
                           _initial_text(pool, initial), tag)]
    for rnd in range(1, s.rounds + 1):
        eligible = unrevealed[pool.n_elements[unrevealed] >= s.target.min_elements]
        if strategy == "forest":
            scores = model.predict_proba(D[eligible])[:, 1]
        else:
            from hea_campaign.model.physics_rule import rule_scores

            scores = rule_scores(pool.X[eligible])
        chosen = eligible[np.argsort(-scores, kind="stable")[: s.batch]]
        revealed.extend(int(i) for i in chosen)
        unrevealed = np.setdiff1d(unrevealed, chosen)
        hits = int(targets[chosen].sum())
        found += hits
        model, acc, auc, secs = fit_and_test(rnd)
        records.append(RoundRecord(strategy, repeat, rnd, rnd * s.batch, found, hits, s.initial + rnd * s.batch,
                                   acc, auc, 0, secs,
                                   ";".join(pool.formulas[i] for i in chosen), tag))  # fmt: skip
    return records


def run_repeat(pool: Pool, s: SimulationSettings, repeat: int, workdir: Path,
               progress: Callable[[str], None] | None = None) -> list[RoundRecord]:
    """One repeat: a base store with the initial model, then one branch per strategy."""
    seed = s.seed + 1009 * repeat
    rng = np.random.default_rng(seed)
    test, initial, _rest = _split(pool, s, rng)
    folder = workdir / f"repeat-{repeat:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    in_store = np.setdiff1d(np.arange(len(pool)), test)
    pool_csv = folder / "pool.csv"
    with open(pool_csv, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["formula"])
        w.writerows([pool.formulas[i]] for i in in_store)

    base = CampaignStore.open(folder / "base.db", actor=ACTOR)
    try:
        import_csv(base, pool_csv, source="simulation pool", actor=ACTOR)
        with base.read() as session:
            ids = q.alloys_by_formula(session, base.campaign_id, [pool.formulas[i] for i in in_store])
        row_of = {ids[pool.formulas[i]].id: int(i) for i in in_store}
        _reveal(base, pool, initial, folder / "initial.csv", "initial alloys")
        first = train_version(base, seed=seed, epochs=s.first_epochs, activate=True, by=ACTOR)
        if progress:
            progress(f"repeat {repeat + 1}: first model")
    finally:
        base.close()
    acc0, auc0 = _test_metrics(first.result.model, pool, test)

    records: list[RoundRecord] = []
    targets = pool.targets(s.target)
    for strategy in s.strategies:
        if strategy in REFERENCE_STRATEGIES:
            records.extend(run_reference(strategy, pool, s, seed, repeat, test, initial, in_store))
            if progress:
                for rnd in range(1, s.rounds + 1):
                    progress(f"repeat {repeat + 1}: {strategy} round {rnd}")
            continue
        db = folder / f"{strategy}.db"
        src = CampaignStore.open(folder / "base.db", actor=ACTOR, create=False)
        try:
            backup(src, db)
        finally:
            src.close()
        store = CampaignStore.open(db, actor=ACTOR, create=False)
        pick_rng = np.random.default_rng([seed, STRATEGIES.index(strategy)])
        model, version, found = first.result.model, first.version, 0
        tag = _fingerprint(pool, test)
        records.append(RoundRecord(strategy, repeat, 0, 0, 0, 0, len(initial), acc0, auc0, version.id,
                                   float(first.result.wall_s), _initial_text(pool, initial), tag))  # fmt: skip
        try:
            for rnd in range(1, s.rounds + 1):
                ts = snapshot(store)
                expected = s.initial + (rnd - 1) * s.batch
                if len(ts.lab_ids) != expected:  # the store must hold exactly what was revealed
                    raise CampaignError(f"simulation store holds {len(ts.lab_ids)} labels, expected {expected}")
                eligible = [row_of[int(a)] for a in ts.unlab_ids if pool.n_elements[row_of[int(a)]] >= s.target.min_elements]
                eligible = np.array(eligible, dtype=int)
                chosen = eligible[_pick(strategy, model, pool.X[eligible], s.batch, pick_rng, len(ts.lab_ids))]
                _reveal(store, pool, chosen, folder / f"{strategy}-round-{rnd:02d}.csv", f"{strategy} round {rnd}")
                hits = int(targets[chosen].sum())
                found += hits
                trained = train_version(store, seed=seed + rnd, epochs=s.round_epochs, activate=True, by=ACTOR,
                                        warm_start=version)  # fmt: skip
                model, version = trained.result.model, trained.version
                acc, auc = _test_metrics(model, pool, test)
                records.append(RoundRecord(
                    strategy, repeat, rnd, rnd * s.batch, found, hits, s.initial + rnd * s.batch, acc, auc,
                    version.id, float(trained.result.wall_s), ";".join(pool.formulas[i] for i in chosen), tag,
                ))  # fmt: skip
                if progress:
                    progress(f"repeat {repeat + 1}: {strategy} round {rnd}")
            active = get_version(store)
            if active.id != version.id:
                raise CampaignError("simulation store: the last model is not the active one")
        finally:
            store.close()
    return records


# --- the whole run -------------------------------------------------------------------


def _subset(pool: Pool, max_pool: int, seed: int) -> Pool:
    if not max_pool or max_pool >= len(pool):
        return pool
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(pool), size=max_pool, replace=False))
    return replace(pool, formulas=[pool.formulas[i] for i in idx], X=pool.X[idx], y=pool.y[idx],
                   n_elements=pool.n_elements[idx])  # fmt: skip


def _worker(pool: Pool, s: SimulationSettings, repeat: int, workdir: str, events) -> list[RoundRecord]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    return run_repeat(pool, s, repeat, Path(workdir), progress=lambda msg: events.put(msg))


def simulate(
    pool: Pool,
    settings: SimulationSettings,
    *,
    workdir: str | os.PathLike | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    scheduler: str | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SimulationResult:
    """Run every repeat (in ``settings.jobs`` processes, or one task each on the Dask cluster at
    ``scheduler``) and collect the per-round records.

    ``progress(done, total, message)`` is called after every training.  The
    stores live in ``workdir`` (a temporary folder, removed afterwards, when
    not given).  ``should_stop`` is asked before the run and after every
    training; when it says yes the run stops with ``SimulationCancelled``
    (worker processes are ended; no result).
    """
    pool = _subset(pool, settings.max_pool, settings.seed)
    settings.check(len(pool))
    if should_stop is not None and should_stop():
        raise SimulationCancelled("the simulation was cancelled before it started")
    t0 = time.perf_counter()
    total = settings.trainings
    done = 0

    def tick(msg: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, msg)
        if should_stop is not None and should_stop():
            raise SimulationCancelled(f"the simulation was cancelled after {done} of {total} training{'s' if total != 1 else ''}")

    with tempfile.TemporaryDirectory(prefix="hea-simulate-") as tmp:
        folder = Path(workdir) if workdir is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        records: list[RoundRecord] = []
        if scheduler:
            records.extend(_run_on_cluster(pool, settings, scheduler, tick))
        elif settings.jobs == 1 or settings.repeats == 1:
            for k in range(settings.repeats):
                records.extend(run_repeat(pool, settings, k, folder, tick))
        else:
            records.extend(_run_parallel(pool, settings, folder, tick))
    eligible = pool.n_elements >= settings.target.min_elements
    rate = float(pool.targets(settings.target)[eligible].mean()) if eligible.any() else math.nan
    records.sort(key=lambda r: (settings.strategies.index(r.strategy), r.repeat, r.round))
    return SimulationResult(settings, pool.name, len(pool), int(pool.targets(settings.target).sum()), rate,
                            records, time.perf_counter() - t0)  # fmt: skip


def _run_parallel(pool: Pool, s: SimulationSettings, folder: Path, tick: Callable[[str], None]) -> list[RoundRecord]:
    ctx = multiprocessing.get_context("spawn")
    records: list[RoundRecord] = []
    with ctx.Manager() as manager:
        events = manager.Queue()
        executor = ProcessPoolExecutor(max_workers=min(s.jobs, s.repeats), mp_context=ctx)
        try:
            pending = {executor.submit(_worker, pool, s, k, str(folder), events) for k in range(s.repeats)}
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(events, tick)
                for fut in finished:
                    records.extend(fut.result())  # re-raises a worker's error here
            _drain(events, tick)
        except BaseException:
            # the workers, taken before shutdown (which forgets them: _processes becomes None)
            procs = list((getattr(executor, "_processes", None) or {}).values())
            for proc in procs:
                proc.terminate()
            executor.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.join(timeout=5)
            raise
        executor.shutdown()
    return records


_ONE_REPEAT_AT_A_TIME = threading.Lock()


def _cluster_repeat(pool: Pool, s: SimulationSettings, repeat: int) -> list[RoundRecord]:
    """One repeat on a cluster worker, its stores in a folder of the worker's own.

    Repeats in one worker process run one at a time (store migrations and torch's thread
    settings are per process); a cluster runs repeats side by side in its worker processes.
    """
    from hea_campaign.model.threads import work_threads

    with _ONE_REPEAT_AT_A_TIME, tempfile.TemporaryDirectory(prefix="hea-simulate-") as tmp, \
            work_threads("training", fixed=1):
        return run_repeat(pool, s, repeat, Path(tmp), progress=lambda msg: None)


def _run_on_cluster(pool: Pool, s: SimulationSettings, scheduler: str, tick: Callable[[str], None]) -> list[RoundRecord]:
    """Every repeat as one task on the Dask cluster; progress counts a repeat's trainings when it ends."""
    from distributed import as_completed

    from .screening import connect

    client = connect(scheduler)
    per_repeat = s.trainings // max(s.repeats, 1)
    records: list[RoundRecord] = []
    try:
        remote_pool = client.scatter(pool, broadcast=True)
        futures = client.map(_cluster_repeat, [remote_pool] * s.repeats, [s] * s.repeats, range(s.repeats), pure=False)
        try:
            for future in as_completed(futures):
                records.extend(future.result())  # re-raises a worker's error here
                for _ in range(per_repeat):
                    tick(f"repeat done on {scheduler}")
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()
    return records


def _drain(events, tick: Callable[[str], None]) -> None:
    while True:
        try:
            tick(events.get_nowait())
        except queue_module.Empty:
            return


def write_records(result: SimulationResult, path: str | os.PathLike) -> Path:
    """The per-round CSV (one row per strategy, repeat and round), written atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    names = list(asdict(result.records[0]).keys()) if result.records else [f for f in RoundRecord.__dataclass_fields__]
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=names)
        w.writeheader()
        for r in result.records:
            row = asdict(r)
            row["test_accuracy"] = round(row["test_accuracy"], 4)
            row["test_auc"] = round(row["test_auc"], 4)
            row["train_seconds"] = round(row["train_seconds"], 2)
            w.writerow(row)
    os.replace(tmp, path)
    return path
