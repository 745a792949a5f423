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

from .labels import alloy_labels
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
    index = {e: i for i, e in enumerate(vocabulary)}
    with store.read() as session:
        states = alloy_labels(session, store.campaign_id)
    rows, formulas, labels = [], [], []
    for st in states.values():
        if st.label is None and not st.conflict:
            continue
        x = np.zeros(len(vocabulary))
        for el, f in st.alloy.composition.items():
            if el in index:
                x[index[el]] = f
        rows.append(x)
        formulas.append(st.alloy.formula)
        labels.append(label_word(st.label, st.conflict))
    return MeasuredAlloys(np.array(rows).reshape(-1, len(vocabulary)), formulas, labels)


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


def find_known(X: np.ndarray, measured: MeasuredAlloys, granularity: float) -> dict[int, KnownMatch]:
    """Rows of X within lab granularity of a measured alloy -> the closest such alloy."""
    if len(measured) == 0 or len(X) == 0:
        return {}
    close = max_difference(X, measured.X) <= granularity + 1e-9
    out = {}
    rows = np.flatnonzero(close.any(axis=1))
    if rows.size:
        d = distances(X[rows], measured.X)
        for k, i in enumerate(rows):
            j = int(np.argmin(np.where(close[i], d[k], np.inf)))
            out[int(i)] = KnownMatch(int(i), measured.formulas[j], measured.labels[j], round(float(d[k, j]), 2))
    return out


def nearest(X: np.ndarray, measured: MeasuredAlloys, k: int = 3) -> list[list[dict]]:
    """For each row of X, its k nearest measured alloys: [{formula, label, distance_at_pct}]."""
    if len(measured) == 0:
        return [[] for _ in range(len(np.atleast_2d(X)))]
    d = distances(X, measured.X)
    k = min(k, d.shape[1])
    part = np.argpartition(d, k - 1, axis=1)[:, :k]
    out = []
    for i, cols in enumerate(part):
        cols = cols[np.argsort(d[i, cols], kind="stable")]
        out.append([{"formula": measured.formulas[j], "label": measured.labels[j],
                     "distance_at_pct": round(float(d[i, j]), 2)} for j in cols])
    return out
