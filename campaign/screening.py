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
