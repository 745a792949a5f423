"""What the lab already knows near a candidate: measured alloys and their labels.

Distances are in at.%: half the L1 distance between two compositions (the
share of atoms that would have to change), the same measure as an inverted
candidate's change.  A candidate is *known* when a measured alloy lies within
lab granularity of it: no element differs by more than one granularity step
(``Al28Mo18Nb18Ti18V18`` is ``Al1.5MoNbTiV`` rounded to 1 at.%).  A known
candidate is reported with the measured label and never stored as new.

Measured alloys are those with at least one current phase measurement
(conflicting ones included, labelled "conflicting").  Alloys outside the
vocabulary are compared on the elements they share with it, which can only
make them look farther away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .store import CampaignStore


@dataclass
class MeasuredAlloys:
    X: np.ndarray  # (M, V) fractions on the vocabulary
    formulas: list[str]
    labels: list[str]  # "single phase", "multi phase" or "conflicting"

    def __len__(self) -> int:
        return len(self.formulas)


def label_word(label: bool | None, conflict: bool = False) -> str:
    if conflict:
        return "conflicting"
    return "single phase" if label else "multi phase"


def measured_alloys(store: CampaignStore, vocabulary: Sequence[str]) -> MeasuredAlloys:
    from hea_campaign.db import store as q

    index = {e: i for i, e in enumerate(vocabulary)}
    with store.read() as session:
        rows = q.labelled_compositions(session, store.campaign_id)  # the labelled alloys only
    X = np.zeros((len(rows), len(vocabulary)))
    formulas, labels = [], []
    for r, (formula, composition, single, conflict) in enumerate(rows):
        for el, f in composition.items():
            if el in index:
                X[r, index[el]] = f
        formulas.append(formula)
        labels.append(label_word(single, conflict))
    return MeasuredAlloys(X, formulas, labels)


def distances(X: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """(N, M) half-L1 distances in at.%; chunked so memory stays small."""
    X = np.atleast_2d(X)
    out = np.empty((len(X), len(ref)))
    step = max(1, 2_000_000 // max(len(ref) * X.shape[1], 1))
    for a in range(0, len(X), step):
        out[a:a + step] = 50.0 * np.abs(X[a:a + step, None, :] - ref[None, :, :]).sum(-1)
    return out


def max_difference(X: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """(N, M) largest single-element difference, as a fraction."""
    X = np.atleast_2d(X)
    out = np.empty((len(X), len(ref)))
    step = max(1, 2_000_000 // max(len(ref) * X.shape[1], 1))
    for a in range(0, len(X), step):
        out[a:a + step] = np.abs(X[a:a + step, None, :] - ref[None, :, :]).max(-1)
    return out


@dataclass
class KnownMatch:
    index: int  # row of the candidate pool
    formula: str  # the measured alloy
    label: str
    distance: float  # at.%


def _tree(ref: np.ndarray):
    from scipy.spatial import cKDTree

    return cKDTree(np.asarray(ref, np.float64))


def nearest_rows(X: np.ndarray, ref: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, k) indices and half-L1 distances (at.%) of each row's k nearest rows of ``ref``,
    nearest first and, among equal distances, lowest index first (as an argmin over all rows
    would), through a k-d tree: O((N + M) log M) time, no N x M matrix."""
    X = np.atleast_2d(np.asarray(X, np.float64))
    ref = np.asarray(ref, np.float64)
    k = min(k, len(ref))
    if k == 0 or len(X) == 0:
        return np.zeros((len(X), 0), int), np.zeros((len(X), 0))
    tree = _tree(ref)
    d, _ = tree.query(X, k=k, p=1)
    kth = np.asarray(d).reshape(len(X), k)[:, -1]
    # every row as close as the k-th (ties included), then exact distances decide, ties by index
    around = tree.query_ball_point(X, r=kth * (1 + 1e-9) + 1e-12, p=1)
    idx = np.empty((len(X), k), int)
    dist = np.empty((len(X), k))
    for i, cols in enumerate(around):
        cols = np.array(sorted(cols), dtype=int)
        di = 50.0 * np.abs(X[i] - ref[cols]).sum(-1)  # the same sum as ``distances``
        order = np.argsort(di, kind="stable")[:k]
        idx[i], dist[i] = cols[order], di[order]
    return idx, dist


def find_known(X: np.ndarray, measured: MeasuredAlloys, granularity: float) -> dict[int, KnownMatch]:
    """Rows of X within lab granularity of a measured alloy -> the closest such alloy.

    A k-d tree in the max-norm finds the measured alloys within granularity of
    each row; only those are compared, so the cost grows with N log M, not N x M.
    """
    if len(measured) == 0 or len(X) == 0:
        return {}
    X = np.atleast_2d(np.asarray(X, np.float64))
    hits = _tree(measured.X).query_ball_point(X, r=granularity + 1e-9, p=np.inf)
    out = {}
    for i, cols in enumerate(hits):
        if not cols:
            continue
        cols = np.array(sorted(cols))
        close = np.abs(X[i] - measured.X[cols]).max(-1) <= granularity + 1e-9  # the same test as before
        cols = cols[close]
        if cols.size == 0:
            continue
        d = 50.0 * np.abs(X[i] - measured.X[cols]).sum(-1)
        j = int(cols[np.argmin(d)])
        out[int(i)] = KnownMatch(int(i), measured.formulas[j], measured.labels[j], round(float(d.min()), 2))
    return out


def nearest(X: np.ndarray, measured: MeasuredAlloys, k: int = 3) -> list[list[dict]]:
    """For each row of X, its k nearest measured alloys: [{formula, label, distance_at_pct}]."""
    if len(measured) == 0:
        return [[] for _ in range(len(np.atleast_2d(X)))]
    idx, d = nearest_rows(X, measured.X, k)
    return [[{"formula": measured.formulas[j], "label": measured.labels[j], "distance_at_pct": round(float(dd), 2)}
             for j, dd in zip(row, drow, strict=True)] for row, drow in zip(idx.tolist(), d, strict=True)]
