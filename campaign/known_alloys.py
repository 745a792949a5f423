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


BLOCK = 4_000_000  # query-reference element pairs per block: memory stays bounded whatever the sizes


def _blocks(n_rows: int, n_ref: int, width: int):
    step = max(1, BLOCK // max(n_ref * width, 1))
    for a in range(0, n_rows, step):
        yield a, min(a + step, n_rows)


def nearest_rows(X: np.ndarray, ref: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, k) indices and half-L1 distances (at.%) of each row's k nearest rows of ``ref``,
    nearest first and, among equal distances, lowest index first (as an argmin would).

    Computed in blocks of bounded memory (never an N x M matrix): time grows with N x M.
    (A k-d tree was tried: compositions have 30 coordinates, where it was ten times slower.)
    """
    X = np.atleast_2d(np.asarray(X, np.float64))
    ref = np.asarray(ref, np.float64)
    k = min(k, len(ref))
    idx = np.zeros((len(X), k), int)
    dist = np.zeros((len(X), k))
    if k == 0 or len(X) == 0:
        return idx, dist
    for a, b in _blocks(len(X), len(ref), X.shape[1]):
        d = 50.0 * np.abs(X[a:b, None, :] - ref[None, :, :]).sum(-1)
        if k < d.shape[1]:
            kth = np.partition(d, k - 1, axis=1)[:, k - 1 : k]
            cand = d <= kth  # the k nearest and every tie with the k-th
        else:
            cand = np.ones_like(d, bool)
        for r in range(b - a):
            cols = np.flatnonzero(cand[r])
            order = np.argsort(d[r, cols], kind="stable")[:k]
            idx[a + r], dist[a + r] = cols[order], d[r, cols[order]]
    return idx, dist


def find_known(X: np.ndarray, measured: MeasuredAlloys, granularity: float) -> dict[int, KnownMatch]:
    """Rows of X within lab granularity of a measured alloy -> the closest such alloy
    (compared in blocks of bounded memory)."""
    if len(measured) == 0 or len(X) == 0:
        return {}
    X = np.atleast_2d(np.asarray(X, np.float64))
    out = {}
    for a, b in _blocks(len(X), len(measured), X.shape[1]):
        diff = np.abs(X[a:b, None, :] - measured.X[None, :, :])
        close = diff.max(-1) <= granularity + 1e-9
        rows = np.flatnonzero(close.any(axis=1))
        if not rows.size:
            continue
        d = 50.0 * diff[rows].sum(-1)
        for k, r in enumerate(rows):
            j = int(np.argmin(np.where(close[r], d[k], np.inf)))
            i = a + int(r)
            out[i] = KnownMatch(i, measured.formulas[j], measured.labels[j], round(float(d[k, j]), 2))
    return out


def nearest(X: np.ndarray, measured: MeasuredAlloys, k: int = 3) -> list[list[dict]]:
    """For each row of X, its k nearest measured alloys: [{formula, label, distance_at_pct}]."""
    if len(measured) == 0:
        return [[] for _ in range(len(np.atleast_2d(X)))]
    idx, d = nearest_rows(X, measured.X, k)
    return [[{"formula": measured.formulas[j], "label": measured.labels[j], "distance_at_pct": round(float(dd), 2)}
             for j, dd in zip(row, drow, strict=True)] for row, drow in zip(idx.tolist(), d, strict=True)]
