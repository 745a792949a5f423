"""How many threads each kind of numeric work gets, chosen per call from a measurement.

torch and OpenBLAS default to one thread per core.  On a machine that other
processes keep busy, those threads spin and wait for each other: on 2 cores
at load 3.5, one thread ran inversion 7-28 times and screening 2-5 times
faster than the defaults.  On an idle machine two threads are 1.2-1.7 times
faster for large batches.  So nothing here is a fixed default: each call
site says what kind of work it does and how many rows, and ``work_threads``

1. measures how much CPU the *other* processes used lately (``/proc/stat``
   minus this process's own CPU time, over the interval since the last
   measurement, at least ``SAMPLE_S`` and at most ``MAX_AGE_S`` old), giving
   the idle cores beside this process;
2. gives the work one thread when its batch is below the kind's
   ``min_rows`` (threads cost more than they save on small batches) or when
   less than about one more core is idle, otherwise the idle cores, capped
   by the kind's ``max_threads``;
3. sets torch's intra-op threads and the BLAS pools (threadpoolctl) to that
   for the duration of the ``with`` block and restores them afterwards.

Work whose rows are independent can instead be split over Python threads
(``split_workers``, ``map_split``): one torch and BLAS thread each, no
spin-waiting; the proximal inversion loop and the scoring of large batches
(screening) do this.  Beside two CPU-bound processes on 2 cores, screening
split over two threads ran 1.3 times as fast as on torch's pool, and on an
idle machine 1.2-1.3 times (more threads than cores gained nothing).

``HEA_CAMPAIGN_THREADS=N`` fixes the count for every kind (a lab that
schedules its own jobs).  Nested blocks keep the outermost choice, so a
screening chunk that computes descriptors does not re-decide halfway.

Training keeps one thread (its networks are tiny; at 2 threads on 2 busy
cores OpenMP spin-waiting made one training ~10x slower, 172 s vs 18 s), or
the count its configuration names.  ``bench/threads.py`` measures every kind
at 1 and 2 threads on this machine and prints the load it ran at.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

SAMPLE_S = 0.1  # shortest window the idle-core measurement is taken over
MAX_AGE_S = 5.0  # a measurement older than this is taken again
ENV = "HEA_CAMPAIGN_THREADS"


@dataclass(frozen=True)
class Policy:
    """Per kind of work: below ``min_rows`` one thread; never more than ``max_threads``."""

    min_rows: int
    max_threads: int


POLICIES: dict[str, Policy] = {
    "training": Policy(min_rows=0, max_threads=1),
    "inversion": Policy(min_rows=256, max_threads=64),
    # the paper and latent-steps loops (encode, decode, score: many small operations): one thread was
    # 1.5-2.9 times faster than two at 1000-3000 starts on an idle 2-core machine, the same at 300
    "decoding": Policy(min_rows=0, max_threads=1),
    "screening": Policy(min_rows=20_000, max_threads=64),
    "descriptors": Policy(min_rows=100_000, max_threads=64),
}


@dataclass(frozen=True)
class Setting:
    """What was decided and why (benchmarks print it)."""

    kind: str
    threads: int
    cores: int
    idle_cores: float  # cores left idle by other processes, as measured
    load: tuple[float, float, float]
    reason: str

    def describe(self) -> str:
        idle = "" if math.isnan(self.idle_cores) else f", {self.idle_cores:.1f} idle beside this process"
        return (f"{self.kind}: {self.threads} thread{'s' if self.threads != 1 else ''} ({self.reason}; "
                f"{self.cores} cores{idle}, load " + " ".join(f"{x:.2f}" for x in self.load) + ")")


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (math.nan, math.nan, math.nan)


def _cpu_sample() -> tuple[float, float, float] | None:
    """(wall s, busy CPU s of the whole machine, CPU s of this process), or None off Linux."""
    try:
        with open("/proc/stat") as fh:
            fields = fh.readline().split()[1:]
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    busy = (sum(values[:8]) - idle) / ticks  # guest time is already inside user time
    t = os.times()
    return time.monotonic(), busy, t.user + t.system


_lock = threading.Lock()
_last: dict[str, object] = {"sample": None, "idle": None, "at": -math.inf}
_local = threading.local()


def idle_cores() -> float:
    """Cores left idle by the other processes over the recent past (measured, cached briefly)."""
    n = cores()
    with _lock:
        now = time.monotonic()
        if _last["idle"] is not None and now - float(_last["at"]) < SAMPLE_S * 10:
            return float(_last["idle"])
        first = _last["sample"]
        if first is None or now - first[0] > MAX_AGE_S:
            first = _cpu_sample()
            if first is None:
                return max(0.0, n - load()[0])
            time.sleep(SAMPLE_S)
        elif now - first[0] < SAMPLE_S:
            time.sleep(SAMPLE_S - (now - first[0]))
        second = _cpu_sample()
        wall = second[0] - first[0]
        others = max(0.0, (second[1] - first[1]) - (second[2] - first[2]))
        total = os.cpu_count() or n
        # the machine-wide busy time is spread over all CPUs; scale to those we may use
        idle = max(0.0, min(float(n), n - others / wall * n / total))
        _last.update(sample=second, idle=idle, at=second[0])
        return idle


def choose(kind: str, rows: int | None = None, fixed: int | None = None) -> Setting:
    """The thread count for ``rows`` rows of ``kind`` work now (``fixed`` overrides: a config's count)."""
    policy = POLICIES[kind]
    n = cores()
    forced = _forced()
    if forced is not None:
        return Setting(kind, forced, n, math.nan, load(), f"{ENV}={forced}")
    if fixed is not None and fixed > 0:
        return Setting(kind, int(fixed), n, math.nan, load(), "set by its configuration")
    if policy.max_threads <= 1:
        return Setting(kind, 1, n, math.nan, load(), "one thread for this kind of work")
    if rows is not None and rows < policy.min_rows:
        return Setting(kind, 1, n, math.nan, load(), f"batch of {rows:,} rows < {policy.min_rows:,}")
    idle = idle_cores()
    threads = max(1, min(policy.max_threads, n, int(math.floor(idle + 0.25))))
    reason = "idle cores measured" if threads > 1 else "the other cores are busy"
    return Setting(kind, threads, n, idle, load(), reason)


def current() -> Setting | None:
    """The setting of the innermost ``work_threads`` block of this thread, if any."""
    return getattr(_local, "setting", None)


@contextlib.contextmanager
def work_threads(kind: str, rows: int | None = None, *, fixed: int | None = None) -> Iterator[Setting]:
    """Run the block with torch and BLAS threads chosen for ``kind`` (see module docstring)."""
    outer = current()
    if outer is not None:
        yield outer
        return
    with _applied(choose(kind, rows, fixed)) as setting:
        yield setting


def _forced() -> int | None:
    try:
        return max(1, int(os.environ.get(ENV, "").strip()))
    except ValueError:
        return None


def split_workers(kind: str, rows: int) -> int:
    """Python threads to split a batch of ``rows`` rows over, each computing with one torch and BLAS
    thread (``HEA_CAMPAIGN_THREADS=N``: N).  Such threads never wait on each other the way a pool's
    threads spin at every operation, so they add CPU beside busy processes too: the proximal loop
    ran at 289 inversions/s split over two threads against 192 with torch's two and 161 with one
    on an idle machine, and 133 against 109 with one beside two CPU-bound processes (2 cores)."""
    forced = _forced()
    if forced is not None:
        return forced
    policy = POLICIES[kind]
    return 1 if rows < policy.min_rows else max(1, min(cores(), policy.max_threads, rows))


@contextlib.contextmanager
def split_threads(kind: str, workers: int) -> Iterator[Setting]:
    """torch and BLAS at one thread for a block that splits its work over ``workers`` Python
    threads; each of them runs its part inside ``joined(setting)``."""
    outer = current()
    if outer is not None:
        yield outer
        return
    setting = Setting(kind, 1, cores(), math.nan, load(), f"one each, the batch split over {workers} threads")
    with _applied(setting):
        yield setting


@contextlib.contextmanager
def joined(setting: Setting) -> Iterator[Setting]:
    """In a worker thread: the pools are already set (they are process-wide), so blocks inside keep
    ``setting`` instead of choosing again."""
    _local.setting = setting
    try:
        yield setting
    finally:
        _local.setting = None


def map_split(kind: str, parts: list, fn) -> list:
    """``fn(part)`` for every part, each in its own Python thread computing with one torch and BLAS
    thread, results in part order (a single part runs here, with the caller's threads)."""
    if len(parts) <= 1:
        return [fn(part) for part in parts]
    from concurrent.futures import ThreadPoolExecutor

    def run(setting, part):
        with joined(setting):
            return fn(part)

    with split_threads(kind, len(parts)) as setting, ThreadPoolExecutor(len(parts)) as pool:
        return list(pool.map(lambda part: run(setting, part), parts))


@contextlib.contextmanager
def _applied(setting: Setting) -> Iterator[Setting]:
    torch = sys.modules.get("torch")  # only set torch's pool if torch is in use already
    old_torch = torch.get_num_threads() if torch is not None else None
    blas = _blas_limit(setting.threads)
    _local.setting = setting
    try:
        if torch is not None and old_torch != setting.threads:
            torch.set_num_threads(setting.threads)
        with blas:
            yield setting
    finally:
        _local.setting = None
        if torch is not None and old_torch != setting.threads:
            torch.set_num_threads(old_torch)


_controller = None


def _blas_limit(n: int):
    """A context limiting the BLAS pools (OpenBLAS/MKL behind numpy and scipy) to ``n`` threads."""
    global _controller
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=n, user_api="blas")
