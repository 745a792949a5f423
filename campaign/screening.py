"""Enumerating a composition space in chunks, so memory stays flat.

A space is a set of elements, a step (e.g. 5 at.%), per-element bounds and an
element-count range.  Compositions are the integer partitions of 100/step
units over the elements ("stars and bars"), produced by itertools in C and
turned into numpy arrays one chunk at a time.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

import numpy as np

from .constraints import Constraints, satisfies


def space_size(n_elements: int, step: float) -> int:
    """Number of compositions (zeros allowed) before bounds and element counts."""
    units = int(round(1 / step))
    return math.comb(units + n_elements - 1, n_elements - 1)


def enumerate_space(
    elements: Sequence[str],
    vocabulary: Sequence[str],
    *,
    step: float = 0.05,
    constraints: Constraints | None = None,
    chunk: int = 200_000,
    prices=None,
) -> Iterator[np.ndarray]:
    """Yield (n, V) fraction arrays on ``vocabulary`` covering the space, chunk by chunk."""
    units = int(round(1 / step))
    if abs(units * step - 1) > 1e-9:
        raise ValueError("step must divide 100 at.% evenly")
    k = len(elements)
    if k < 1:
        raise ValueError("give at least one element to screen")
    cols = np.array([list(vocabulary).index(e) for e in elements])
    constraints = constraints or Constraints()
    bars = itertools.combinations(range(units + k - 1), k - 1)
    while True:
        block = np.fromiter(itertools.chain.from_iterable(itertools.islice(bars, chunk)), dtype=np.int32)
        if block.size == 0 and k > 1:
            return
        if k == 1:
            counts = np.array([[units]])
        else:
            pos = block.reshape(-1, k - 1)
            edges = np.concatenate(
                [np.full((len(pos), 1), -1, np.int32), pos, np.full((len(pos), 1), units + k - 1, np.int32)], axis=1
            )
            counts = np.diff(edges, axis=1) - 1
        out = np.zeros((len(counts), len(vocabulary)))
        out[:, cols] = counts / units
        yield out[satisfies(out, constraints, vocabulary, prices)]
        if k == 1:
            return


# --------------------------------------------------------------------------- screening a space for its best rows
#
# A space is cut into parts by the amount of its first element (0, 1, ... units steps); small
# parts are joined into groups of at most ``chunk`` compositions.  Each group is enumerated, its
# rows inside the constraints scored ``chunk`` at a time, and keeps its ``keep`` best rows.
# Groups run here one after another, or on a Dask cluster when a scheduler address is given;
# either way the groups' best rows are merged in group order, so ties fall the same way and a
# cluster returns exactly the rows a local run returns.


def _part_counts(k: int, units: int, first: int, chunk: int) -> Iterator[np.ndarray]:
    """(n, k) integer counts of the part whose first element has ``first`` units, in chunks."""
    if k == 1:
        yield np.array([[units]])
        return
    rest = units - first
    if k == 2:
        yield np.array([[first, rest]])
        return
    bars = itertools.combinations(range(rest + k - 2), k - 2)
    while True:
        block = np.fromiter(itertools.chain.from_iterable(itertools.islice(bars, chunk)), dtype=np.int32)
        if block.size == 0:
            return
        pos = block.reshape(-1, k - 2)
        edges = np.concatenate(
            [np.full((len(pos), 1), -1, np.int32), pos, np.full((len(pos), 1), rest + k - 2, np.int32)], axis=1
        )
        counts = np.diff(edges, axis=1) - 1
        yield np.concatenate([np.full((len(counts), 1), first, counts.dtype), counts], axis=1)


def _part_size(k: int, units: int, first: int) -> int:
    """How many compositions the part whose first element has ``first`` units holds."""
    return 1 if k <= 2 else math.comb(units - first + k - 2, k - 2)


def part_groups(k: int, units: int, firsts: Sequence[int], chunk: int) -> list[tuple[int, ...]]:
    """Consecutive parts joined while together they hold at most ``chunk`` compositions: each group
    is scored in as few calls as its size allows (a call rebuilds every tree of a large scorer), and
    a cluster gets the same groups as a local run, so both score the same rows together."""
    groups: list[list[int]] = []
    size = 0
    for first in firsts:
        n = _part_size(k, units, first)
        if groups and size + n <= chunk:
            groups[-1].append(first)
            size += n
        else:
            groups.append([first])
            size = n
    return [tuple(g) for g in groups]


def _group_rows(k: int, units: int, firsts: Sequence[int], chunk: int) -> Iterator[np.ndarray]:
    """The groups' integer counts, part after part, in blocks of at most ``chunk`` rows."""
    for first in firsts:
        yield from _part_counts(k, units, first, chunk)


def screen_parts(model, elements: Sequence[str], step: float, firsts: Sequence[int], keep: int, strategy: str,
                 constraints: Constraints | None = None, prices=None, chunk: int = 200_000) -> tuple[np.ndarray, np.ndarray, int]:
    """The ``keep`` best rows (fractions, acquisition scores; best first, ties in enumeration
    order) of a group of parts of the space, and how many compositions the group held.

    Rows inside the constraints are gathered across the group's parts and scored ``chunk`` at a time."""
    vocabulary = model.vocabulary
    units = int(round(1 / step))
    cols = np.array([list(vocabulary).index(e) for e in elements])
    constraints = constraints or Constraints()
    best: tuple[np.ndarray, np.ndarray] = (np.zeros((0, len(vocabulary))), np.zeros(0))
    waiting: list[np.ndarray] = []
    seen = held = 0
    for counts in _group_rows(len(elements), units, firsts, chunk):
        seen += len(counts)
        X = np.zeros((len(counts), len(vocabulary)))
        X[:, cols] = counts / units
        X = X[satisfies(X, constraints, vocabulary, prices)]
        waiting.append(X)
        held += len(X)
        if held >= chunk:
            best = _score_into(model, best, np.concatenate(waiting), keep, strategy)
            waiting, held = [], 0
    if held:
        best = _score_into(model, best, np.concatenate(waiting), keep, strategy)
    return best[0], best[1], seen


def _score_into(model, best: tuple[np.ndarray, np.ndarray], X: np.ndarray, keep: int, strategy: str):
    """``best`` (rows, scores) merged with X's rows scored, the ``keep`` best kept (ties: ``best`` first)."""
    from .acquisition import acquisition

    p, s = model.predict_proba(X, return_std=True)  # threads: the model splits a large batch itself
    both_X, both_s = np.concatenate([best[0], X]), np.concatenate([best[1], acquisition(p, s, strategy)])
    top = np.argsort(-both_s, kind="stable")[:keep]
    return both_X[top], both_s[top]


def _merge(parts: list[tuple[np.ndarray, np.ndarray]], keep: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` best rows of parts given in part order (ties: earlier part first)."""
    if not parts:
        return np.zeros((0, width)), np.zeros(0)
    X = np.concatenate([p[0] for p in parts])
    s = np.concatenate([p[1] for p in parts])
    top = np.argsort(-s, kind="stable")[:keep]
    return X[top], s[top]


def screen_space(
    model,
    elements: Sequence[str],
    *,
    step: float,
    keep: int,
    strategy: str,
    constraints: Constraints | None = None,
    prices=None,
    scheduler: str | None = None,
    progress=None,
    should_stop=None,
    chunk: int = 200_000,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` best compositions of a space by acquisition score, best first.

    ``scheduler`` (``tcp://host:8786``) runs the parts on that Dask cluster;
    without it they run here, one after another, in bounded memory.
    ``progress(done, total)`` counts compositions; ``should_stop()`` ends early.
    """
    units = int(round(1 / step))
    if abs(units * step - 1) > 1e-9:
        raise ValueError("step must divide 100 at.% evenly")
    if len(elements) < 1:
        raise ValueError("give at least one element to screen")
    firsts = [units] if len(elements) == 1 else list(range(units + 1))
    total = space_size(len(elements), step)
    width = len(model.vocabulary)
    args = (tuple(elements), step)
    kwargs = {"keep": keep, "strategy": strategy, "constraints": constraints, "prices": prices, "chunk": chunk}
    groups = part_groups(len(elements), units, firsts, chunk)
    if scheduler:
        return _screen_on_cluster(scheduler, model, args, kwargs, groups, total, width, keep, progress, should_stop)
    best: list[tuple[np.ndarray, np.ndarray]] = []
    done = 0
    for group in groups:
        if should_stop and should_stop():
            break
        X, s, n = screen_parts(model, *args, group, **kwargs)
        best = [_merge([*best, (X, s)], keep, width)]  # running merge: memory bounded by keep
        done += n
        if progress:
            progress(done, total)
    return _merge(best, keep, width)


def connect(scheduler: str):
    """A Dask client for ``tcp://host:port`` (distributed is imported only when a cluster is used)."""
    from .errors import CampaignError

    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - a declared dependency
        raise CampaignError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
    try:
        return Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise CampaignError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _screen_parts_on_worker(*args, **kwargs):
    """``screen_parts`` as a cluster task, on one thread: the cluster's worker processes are the
    parallelism (one per core), so a task that split its batch over every core would oversubscribe."""
    from hea_campaign.model.threads import work_threads

    with work_threads("screening", fixed=1):
        return screen_parts(*args, **kwargs)


def _screen_on_cluster(scheduler, model, args, kwargs, groups, total, width, keep, progress, should_stop):
    from distributed import as_completed

    client = scheduler if not isinstance(scheduler, str) else connect(scheduler)
    try:
        remote_model = client.scatter(model, broadcast=True)
        n = len(groups)
        futures = client.map(_screen_parts_on_worker, [remote_model] * n, [args[0]] * n, [args[1]] * n, groups, pure=False, **kwargs)
        results: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        done = 0
        position = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            X, s, n = future.result()  # re-raises a worker's error here
            results[position[future.key]] = (X, s)
            done += n
            if progress:
                progress(done, total)
            if should_stop and should_stop():
                client.cancel(futures)
                break
        return _merge([results[i] for i in sorted(results)], keep, width)
    finally:
        if isinstance(scheduler, str):
            client.close()
