"""Honest splits: one row per composition, near-duplicates on one side, whole systems held out.

A random split of an alloy table flatters a model: the same composition
written two ways, or two alloys a fraction of an at.% apart, land on both
sides and the test set is answered by lookup.  The functions here give every
row a group (near-duplicates, optionally whole element systems) and cut only
between groups.

Near-duplicates: two alloys whose atomic fractions differ by at most
``tolerance`` (default 0.01, one at.%, the lab's granularity) in every
element.  Groups are the connected components of that relation, so a chain of
alloys 1 at.% apart stays together; this includes every pair that is equal
after rounding fractions to 0.01.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Split",
    "SPLIT_NAMES",
    "NEAR_DUPLICATE_TOLERANCE",
    "near_duplicate_groups",
    "near_duplicate_mask",
    "element_systems",
    "merge_groups",
    "group_take",
    "grouped_split",
    "system_holdout_split",
    "separated_groups",
]

SPLIT_NAMES = ("labelled", "unlabelled", "validation", "test")
NEAR_DUPLICATE_TOLERANCE = 0.01
_EPS = 1e-9  # fractions are read from text: 0.01 apart must count as 0.01


@dataclass
class Split:
    """Row indices of each part; the parts are disjoint."""

    labelled: np.ndarray
    unlabelled: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {k: int(len(getattr(self, k))) for k in SPLIT_NAMES}

    def labels(self, n: int) -> np.ndarray:
        """The split as an array of part names (one per row; '' for unused rows)."""
        out = np.full(n, "", dtype=object)
        for k in SPLIT_NAMES:
            out[getattr(self, k)] = k
        return out


def _pairs_within(A: np.ndarray, B: np.ndarray, tolerance: float, block: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i in A, j in B) whose fractions differ by at most ``tolerance`` everywhere."""
    rows, cols = [], []
    for start in range(0, len(A), block):
        a = A[start:start + block]
        d = np.max(np.abs(a[:, None, :] - B[None, :, :]), axis=2)
        i, j = np.nonzero(d <= tolerance + _EPS)
        rows.append(i + start)
        cols.append(j)
    if not rows:
        return np.zeros(0, int), np.zeros(0, int)
    return np.concatenate(rows), np.concatenate(cols)


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def near_duplicate_groups(fractions: np.ndarray, tolerance: float = NEAR_DUPLICATE_TOLERANCE) -> np.ndarray:
    """Group id per row: rows linked by chains of near-duplicates share a group."""
    X = np.asarray(fractions, dtype=np.float64)
    if len(X) == 0:
        return np.zeros(0, np.int64)
    i, j = _pairs_within(X, X, tolerance)
    return _components(len(X), i, j)


def near_duplicate_mask(query: np.ndarray, reference: np.ndarray,
                        tolerance: float = NEAR_DUPLICATE_TOLERANCE) -> np.ndarray:
    """True for each query row that is a near-duplicate of some reference row."""
    Q = np.asarray(query, dtype=np.float64)
    R = np.asarray(reference, dtype=np.float64)
    out = np.zeros(len(Q), dtype=bool)
    if len(Q) and len(R):
        i, _ = _pairs_within(Q, R, tolerance)
        out[i] = True
    return out


def element_systems(fractions: np.ndarray, threshold: float = 1e-6) -> np.ndarray:
    """Group id per row: rows with the same set of elements (e.g. all Co-Cr-Fe-Ni alloys) share one."""
    present = np.asarray(fractions, dtype=np.float64) > threshold
    _, inv = np.unique(present, axis=0, return_inverse=True)
    return inv.ravel().astype(np.int64)


def merge_groups(*groupings: np.ndarray) -> np.ndarray:
    """Finest grouping coarser than every given one (rows sharing a group in any stay together)."""
    n = len(groupings[0])
    i_all, j_all = [np.arange(n)], [np.arange(n)]
    for g in groupings:
        g = np.asarray(g)
        order = np.argsort(g, kind="stable")
        same = g[order][1:] == g[order][:-1]
        i_all.append(order[1:][same])
        j_all.append(order[:-1][same])
    return _components(n, np.concatenate(i_all), np.concatenate(j_all))


def _check_y(y) -> np.ndarray:
    y = np.asarray(y).ravel()
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError("labels must be 0 or 1")
    return y.astype(np.int64)


def group_take(idx: np.ndarray, y: np.ndarray, groups: np.ndarray, frac: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Split idx into (rest, taken) with about ``frac`` of the rows taken, whole groups
    only, stratified by each group's majority label."""
    g = groups[idx]
    ug, inv = np.unique(g, return_inverse=True)
    sizes = np.bincount(inv)
    pos = np.bincount(inv, weights=y[idx])
    glabel = (pos * 2 >= sizes).astype(int)
    taken_groups = np.zeros(len(ug), dtype=bool)
    for lab in (0, 1):
        members = np.flatnonzero(glabel == lab)
        target = frac * sizes[members].sum()
        got = 0
        for m in rng.permutation(members):  # greedy: take a group if it brings us closer
            if got + sizes[m] / 2 <= target:
                taken_groups[m] = True
                got += sizes[m]
    take = taken_groups[inv]
    return idx[~take], idx[take]


def _split_by_groups(y, groups, seed, test_frac, pool_frac, val_frac) -> Split:
    rng = np.random.default_rng(seed)
    idx = np.arange(len(y))
    rest, test = group_take(idx, y, groups, test_frac, rng)
    lab, pool = group_take(rest, y, groups, pool_frac, rng)
    unl, val = group_take(pool, y, groups, val_frac, rng)
    return Split(np.sort(lab), np.sort(unl), np.sort(val), np.sort(test))


def grouped_split(
    fractions: np.ndarray,
    y: np.ndarray,
    seed: int,
    test_frac: float = 0.10,
    pool_frac: float = 0.30,
    val_frac: float = 0.20,
    tolerance: float = NEAR_DUPLICATE_TOLERANCE,
) -> Split:
    """Paper proportions with near-duplicates kept on one side of every cut."""
    y = _check_y(y)
    return _split_by_groups(y, near_duplicate_groups(fractions, tolerance), seed, test_frac, pool_frac, val_frac)


def system_holdout_split(
    fractions: np.ndarray,
    y: np.ndarray,
    seed: int,
    test_frac: float = 0.10,
    pool_frac: float = 0.30,
    val_frac: float = 0.20,
    tolerance: float = NEAR_DUPLICATE_TOLERANCE,
) -> Split:
    """Paper proportions with whole element systems on one side of every cut.

    Every alloy of a test system (same set of elements) is unseen in training,
    and so is every near-duplicate of one: the out-of-distribution figure.
    Validation rows are whole systems too, so model selection also rewards
    generalising to new systems.
    """
    y = _check_y(y)
    groups = merge_groups(element_systems(fractions), near_duplicate_groups(fractions, tolerance))
    return _split_by_groups(y, groups, seed, test_frac, pool_frac, val_frac)


def separated_groups(split: Split, groups: np.ndarray) -> list[int]:
    """Groups whose rows sit in more than one part of ``split`` (empty when the split is honest)."""
    where: dict[int, set[str]] = {}
    for name in SPLIT_NAMES:
        for g in np.unique(np.asarray(groups)[getattr(split, name)]):
            where.setdefault(int(g), set()).add(name)
    return sorted(g for g, parts in where.items() if len(parts) > 1)


def split_parts(split: Split) -> Sequence[np.ndarray]:
    return [getattr(split, k) for k in SPLIT_NAMES]
