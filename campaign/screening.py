"""Enumerating a composition space in chunks, so memory stays flat.

A space is a set of elements, a step (e.g. 5 at.%), per-element bounds and an
element-count range.  Only the compositions inside the bounds and the element
count are enumerated (``Grid``): each element's amount is 0 or a whole number
of steps within its bounds, and a prefix of amounts is extended only while
the rest of the elements can still complete it (a small table of how many
completions there are, per element, units left and elements present).  So the
count, the limit on it, the progress and the work all mean the compositions
that are really screened.  They come in lexicographic order of their amounts
(first element slowest), the order of the whole grid with the rest left out.
Cost and density limits are not bounds on single amounts: they are checked on
the enumerated rows (``satisfies``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np

from .constraints import Constraints, satisfies

_TOL = 1e-9  # as in constraints.satisfies: an amount is compared as a fraction, with this tolerance


def space_size(n_elements: int, step: float) -> int:
    """Number of compositions of the whole grid (zeros allowed), before bounds and element counts."""
    units = int(round(1 / step))
    return math.comb(units + n_elements - 1, n_elements - 1)


def _units(step: float) -> int:
    units = int(round(1 / step))
    if abs(units * step - 1) > 1e-9:
        raise ValueError("step must divide 100 at.% evenly")
    return units


class Grid:
    """The compositions of a ``step`` grid over ``elements`` that lie inside the element-count range and
    the per-element bounds of ``constraints`` (allowed and banned elements included).

    ``count`` is how many there are; ``firsts`` the amounts (in steps) the first element takes in them,
    and ``part_size(f)`` how many have first amount ``f``; ``rows(firsts, chunk)`` yields their integer
    amounts, part after part, in lexicographic order, in blocks of at most ``chunk`` rows."""

    def __init__(self, elements: Sequence[str], step: float, constraints: Constraints | None = None):
        self.units = units = _units(step)
        self.k = k = len(elements)
        if k < 1:
            raise ValueError("give at least one element to screen")
        c = constraints or Constraints()
        self.n_min = c.min_elements
        self.n_max = k if c.max_elements is None else min(k, c.max_elements)
        frac = np.arange(units + 1) / units  # the same division as the rows' fractions
        valid = np.zeros((k, units + 1), bool)
        for j, el in enumerate(elements):
            lo = float(c.min_fraction.get(el, 0.0))
            usable = (c.allowed is None or el in c.allowed) and el not in c.banned
            present = (frac > _TOL) & (frac >= c.element_min - _TOL) & (frac >= lo - _TOL) & (frac <= c.upper(el) + _TOL)
            valid[j] = present & usable
            valid[j, 0] = lo <= _TOL  # absent: only when nothing requires the element
        self.valid = valid
        self.values = [np.flatnonzero(v) for v in valid]
        self._ahead, top = self._tables(float)
        self.exact = top < 2.0 ** 53  # float sums of whole numbers below 2^53 are exact
        # counts from whole numbers where floats would round (spaces far beyond any screening limit)
        self._counts = self._ahead if self.exact else self._tables(object)[0]
        self.firsts = [int(f) for f in self.values[0] if self.part_size(int(f)) > 0]

    def _tables(self, dtype) -> tuple[list[np.ndarray], float]:
        """ahead[j][r, n]: completions of elements j.. with r units left and n elements present so far (in
        ``dtype``: float, or object for exact whole numbers), and the largest count met on the way."""
        units, k = self.units, self.k
        # ways[j][r, m]: completions of elements j.. that add up to r units with m of them present
        ways = [np.zeros((units + 1, k + 1), dtype=dtype) for _ in range(k + 1)]
        ways[k][0, 0] = 1
        for j in range(k - 1, -1, -1):
            w, nxt = ways[j], ways[j + 1]
            for v in self.values[j]:
                if v == 0:
                    w += nxt
                else:
                    w[v:, 1:] += nxt[: units + 1 - v, :-1]
        ahead = []
        for j in range(k + 1):
            a = np.zeros((units + 1, k + 1), dtype=dtype)
            for n in range(k + 1):
                lo, hi = max(self.n_min - n, 0), self.n_max - n
                if hi >= lo:
                    a[:, n] = ways[j][:, lo: hi + 1].sum(axis=1)
            ahead.append(a)
        return ahead, float(max(w.max() for w in ways))

    @property
    def count(self) -> int:
        return int(round(self._counts[0][self.units, 0]))

    def part_size(self, first: int) -> int:
        """How many compositions of the grid give the first element ``first`` units."""
        if not self.valid[0, first]:
            return 0
        return int(round(self._counts[1][self.units - first, int(first > 0)]))

    def rows(self, firsts: Sequence[int] | None = None, chunk: int = 200_000) -> Iterator[np.ndarray]:
        """(n, k) integer amounts of the parts ``firsts`` (default: all), in order, at most ``chunk`` rows a block."""
        blocks = (b for f in (self.firsts if firsts is None else firsts) if self.part_size(f)
                  for b in self._extend(np.array([[f]], dtype=np.int32), 1, max(1, chunk)))
        yield from _rebatch(blocks, max(1, chunk))

    def _extend(self, block: np.ndarray, j: int, chunk: int) -> Iterator[np.ndarray]:
        """Every completion of the prefixes in ``block`` (amounts of elements 0..j-1, each completable)."""
        if j == self.k:
            yield block
            return
        if j == self.k - 1:  # the last amount is what is left
            left = self.units - block.sum(axis=1)
            present = (block > 0).sum(axis=1) + (left > 0)
            ok = self.valid[j, left] & (present >= self.n_min) & (present <= self.n_max)
            if ok.any():
                yield np.concatenate([block[ok], left[ok, None].astype(np.int32)], axis=1)
            return
        values = self.values[j]
        piece = max(1, chunk // max(len(values), 1))
        for start in range(0, len(block), piece):
            b = block[start: start + piece]
            left = self.units - b.sum(axis=1)
            present = (b > 0).sum(axis=1)
            # each prefix with each amount of element j (prefix-major: the order stays lexicographic)
            rep_left, rep_present = np.repeat(left, len(values)), np.repeat(present, len(values))
            v = np.tile(values, len(b))
            fits = v <= rep_left
            after_left = np.where(fits, rep_left - v, 0)
            ok = fits & (self._ahead[j + 1][after_left, rep_present + (v > 0)] > 0)
            rows = np.flatnonzero(ok)
            if not len(rows):
                continue
            grown = np.concatenate([np.repeat(b, len(values), axis=0)[rows], v[rows, None].astype(np.int32)], axis=1)
            yield from self._extend(grown, j + 1, chunk)


def _rebatch(blocks: Iterator[np.ndarray], chunk: int) -> Iterator[np.ndarray]:
    """The blocks' rows, in order, in blocks of exactly ``chunk`` rows (the last one smaller)."""
    waiting: list[np.ndarray] = []
    held = 0
    for b in blocks:
        while len(b):
            take = b[: chunk - held]
            b = b[len(take):]
            waiting.append(take)
            held += len(take)
            if held == chunk:
                yield np.concatenate(waiting)
                waiting, held = [], 0
    if held:
        yield np.concatenate(waiting)


def _fractions(counts: np.ndarray, cols: np.ndarray, width: int, units: int) -> np.ndarray:
    out = np.zeros((len(counts), width))
    out[:, cols] = counts / units
    return out


def enumerate_space(
    elements: Sequence[str],
    vocabulary: Sequence[str],
    *,
    step: float = 0.05,
    constraints: Constraints | None = None,
    chunk: int = 200_000,
    prices=None,
) -> Iterator[np.ndarray]:
    """Yield (n, V) fraction arrays on ``vocabulary`` covering the space inside ``constraints``, chunk by chunk."""
    grid = Grid(elements, step, constraints)
    cols = np.array([list(vocabulary).index(e) for e in elements])
    for counts in grid.rows(chunk=chunk):
        X = _fractions(counts, cols, len(vocabulary), grid.units)
        yield X[satisfies(X, constraints or Constraints(), vocabulary, prices)]


# --------------------------------------------------------------------------- screening a space for its best rows
#
# A space is cut into parts by the amount of its first element; small parts are joined into groups
# of at most ``chunk`` compositions (counted inside the bounds).  Each group is enumerated, its
# rows inside the constraints scored ``chunk`` at a time, and keeps its ``keep`` best rows.
# Groups run here one after another, or on a Dask cluster when a scheduler address is given;
# either way the groups' best rows are merged in group order, so ties fall the same way and a
# cluster returns exactly the rows a local run returns.


def part_groups(k: int, units: int, firsts: Sequence[int], chunk: int, size=None) -> list[tuple[int, ...]]:
    """Consecutive parts joined while together they hold at most ``chunk`` compositions: each group
    is scored in as few calls as its size allows (a call rebuilds every tree of a large scorer), and
    a cluster gets the same groups as a local run, so both score the same rows together.

    ``size(first)`` is a part's size (default: the whole grid's part, without bounds)."""
    if size is None:
        size = lambda first: 1 if k <= 2 else math.comb(units - first + k - 2, k - 2)  # noqa: E731
    groups: list[list[int]] = []
    total = 0
    for first in firsts:
        n = size(first)
        if groups and total + n <= chunk:
            groups[-1].append(first)
            total += n
        else:
            groups.append([first])
            total = n
    return [tuple(g) for g in groups]


def screen_parts(model, elements: Sequence[str], step: float, firsts: Sequence[int], keep: int, strategy: str,
                 constraints: Constraints | None = None, prices=None, chunk: int = 200_000) -> tuple[np.ndarray, np.ndarray, int]:
    """The ``keep`` best rows (fractions, acquisition scores; best first, ties in enumeration
    order) of a group of parts of the space, and how many compositions (inside the bounds) the group held.

    Rows inside the constraints are gathered across the group's parts and scored ``chunk`` at a time."""
    vocabulary = model.vocabulary
    grid = Grid(elements, step, constraints)
    cols = np.array([list(vocabulary).index(e) for e in elements])
    constraints = constraints or Constraints()
    best: tuple[np.ndarray, np.ndarray] = (np.zeros((0, len(vocabulary))), np.zeros(0))
    waiting: list[np.ndarray] = []
    seen = held = 0
    for counts in grid.rows(firsts, chunk):
        seen += len(counts)
        X = _fractions(counts, cols, len(vocabulary), grid.units)
        X = X[satisfies(X, constraints, vocabulary, prices)]  # cost and density; the bounds hold already
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
    ``progress(done, total)`` counts compositions inside the bounds (``Grid.count``); ``should_stop()`` ends early.
    """
    grid = Grid(elements, step, constraints)
    total = grid.count
    width = len(model.vocabulary)
    args = (tuple(elements), step)
    kwargs = {"keep": keep, "strategy": strategy, "constraints": constraints, "prices": prices, "chunk": chunk}
    groups = part_groups(grid.k, grid.units, grid.firsts, chunk, size=grid.part_size)
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
