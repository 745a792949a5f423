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
    "grouped_validation",
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


def _pairs_brute(A: np.ndarray, B: np.ndarray, tolerance: float, block: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i in A, j in B) whose fractions differ by at most ``tolerance`` everywhere (every pair
    compared: for small tables, and for rows the indexed search cannot key)."""
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


def _subset_cells(X: np.ndarray, m: int, width: float) -> tuple[np.ndarray, np.ndarray]:
    """B's index: one (row, key) per set of ``m`` elements a row holds, keyed by the set and the cells
    (of ``width``) its fractions of them fall in."""
    from itertools import combinations

    d, n_cells = X.shape[1], int(np.ceil(1.0 / width)) + 3
    present = X > 0
    held = present.sum(axis=1)
    rows, keys = [], []
    for k in np.unique(held[held >= m]):  # rows holding k elements: their element columns, in order
        r = np.flatnonzero(held == k)
        E = np.nonzero(present[r])[1].reshape(len(r), k)
        for subset in combinations(range(k), m):
            cols = E[:, list(subset)]
            key = np.zeros(len(r), np.int64)
            for c in range(m):  # the elements, then the cells: unique for every set and cells
                key = key * d + cols[:, c]
            for c in range(m):
                key = key * n_cells + np.floor(X[r, cols[:, c]] / width).astype(np.int64) + 1
            rows.append(r)
            keys.append(key)
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(keys)


def _query_parts(A: np.ndarray, rows: np.ndarray, m: int, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``m`` largest elements as one number (in element order), and their cells."""
    d = A.shape[1]
    top = np.sort(np.argsort(-A[rows], axis=1, kind="stable")[:, :m], axis=1)
    elements = np.zeros(len(rows), np.int64)
    for c in range(m):
        elements = elements * d + top[:, c]
    cells = np.floor(np.take_along_axis(A[rows], top, axis=1) / width).astype(np.int64) + 1
    return elements, cells


def _pairs_keyed(A, B, rows: np.ndarray, m: int, tolerance: float, chunk: int = 1 << 21):
    """Pairs for the rows of A whose ``m`` largest fractions all exceed the tolerance: a near-duplicate
    holds those elements too, each within one cell, so only B's rows under that set and those cells
    are compared."""
    from itertools import product

    width = 2.0 * (tolerance + _EPS)  # a difference up to the tolerance moves a fraction by at most one cell
    n_cells = int(np.ceil(1.0 / width)) + 3
    b_rows, b_keys = _subset_cells(B, m, width)
    order = np.argsort(b_keys, kind="stable")
    b_rows, b_keys = b_rows[order], b_keys[order]
    elements, cells = _query_parts(A, rows, m, width)
    out_i, out_j = [], []
    for offsets in product((-1, 0, 1), repeat=m):
        q = elements.copy()
        for c in range(m):
            q = q * n_cells + cells[:, c] + offsets[c]
        by_key = np.argsort(q, kind="stable")  # sorted needles: searchsorted walks the keys in order
        q, q_rows = q[by_key], rows[by_key]
        lo, hi = np.searchsorted(b_keys, q, "left"), np.searchsorted(b_keys, q, "right")
        counts = hi - lo
        total = int(counts.sum())
        if not total:
            continue
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(total)
        cand_i, cand_j = np.repeat(q_rows, counts), b_rows[starts]
        for s in range(0, total, chunk):  # bounded memory: a chunk of candidate pairs at a time
            i, j = cand_i[s:s + chunk], cand_j[s:s + chunk]
            near = np.max(np.abs(A[i] - B[j]), axis=1) <= tolerance + _EPS
            out_i.append(i[near])
            out_j.append(j[near])
    return out_i, out_j


def _pairs_indexed(A: np.ndarray, B: np.ndarray, tolerance: float):
    """The pairs ``_pairs_brute`` finds, in time about linear in the rows (``_pairs_keyed``): rows of A
    are keyed by their three largest elements when three fractions exceed the tolerance, else by two,
    else by one (a near-pure row); a row with none above it (only where fractions do not sum to 1) is
    compared with every row of B, a bounded block at a time."""
    big = np.sum(A > tolerance + _EPS, axis=1)
    out_i, out_j = [], []
    for m, rows in ((3, np.flatnonzero(big >= 3)), (2, np.flatnonzero(big == 2)), (1, np.flatnonzero(big == 1))):
        if len(rows) and A.shape[1] >= m:
            i, j = _pairs_keyed(A, B, rows, m, tolerance)
            out_i += i
            out_j += j
    loose = np.flatnonzero(big == 0)
    if len(loose):
        block = max(1, int(2e7 // max(1, B.shape[0] * B.shape[1])))  # about 160 MB of differences at a time
        i, j = _pairs_brute(A[loose], B, tolerance, block=block)
        out_i.append(loose[i])
        out_j.append(j)
    if not out_i:
        return np.zeros(0, int), np.zeros(0, int)
    return np.concatenate(out_i), np.concatenate(out_j)


BRUTE_FORCE_PAIRS = 4_000_000  # below this many row pairs, compare them all


def _pairs_within(A: np.ndarray, B: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i in A, j in B) whose fractions differ by at most ``tolerance`` everywhere."""
    if len(A) * len(B) <= BRUTE_FORCE_PAIRS or tolerance >= 0.25:
        return _pairs_brute(A, B, tolerance)
    return _pairs_indexed(A, B, tolerance)


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


def grouped_validation(fractions: np.ndarray, y, fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) row indices for training on a whole table: stratified, seeded, and with
    near-duplicates on one side, so nothing chosen on the validation rows was chosen by lookup.

    Every class with at least two rows gets validation rows, as a plain stratified split gives: a class
    too small for its tenth, or held in one large group of chained near-duplicates (a campaign that
    moves in 1 at.% steps), gives its smallest group, or, when that group is the whole class, one row.
    """
    y = _check_y(y)
    rng = np.random.default_rng(seed)
    groups = near_duplicate_groups(fractions)
    train, val = group_take(np.arange(len(y)), y, groups, fraction, rng)
    for c in (0, 1):
        members = np.flatnonzero(y == c)
        if len(members) < 2 or np.any(y[val] == c):
            continue
        own = np.unique(groups[members])
        sizes = np.bincount(groups)[own]
        pick = own[rng.permutation(np.flatnonzero(sizes == sizes.min()))[0]]
        take = np.flatnonzero(groups == pick)
        if np.sum(y[take] == c) == len(members):  # the class's only group: one row, or no validation at all
            take = rng.choice(members, 1)
        val = np.union1d(val, take)
        train = np.setdiff1d(train, take)
    return np.sort(train), np.sort(val)


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
