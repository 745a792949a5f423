"""What the lab already knows near a candidate: measured alloys and their labels.

Distances are in at.%: half the L1 distance between two compositions (the
share of atoms that would have to change), the same measure as an inverted
candidate's change.  A candidate is *known* when a measured alloy lies within
lab granularity of it: the two have the same elements, and every element
differs by less than one granularity step (``Al28Mo18Nb18Ti18V18`` is
``Al1.5MoNbTiV`` rounded to 1 at.%; rounding to the grid with amounts that add
up moves an element by less than a step), or by at most ``AS_MADE`` (1 at.%,
about how far an alloy as made lies from its nominal composition, so that at a
1 at.% step a neighbour one step away is still the same alloy).  At a coarse
step a neighbour a whole step away in some element is another alloy: at 10
at.%, ``Co30Cr10Fe10Mn20Ni30`` is not the Cantor alloy; and an element one has
above 1 at.% and the other lacks makes another alloy at any step (a Ti-free grid
point is not a measured alloy with 8.8 at.% Ti).  A known candidate is reported with
the measured label, and with the labels of other measured alloys within
granularity of it that disagree, and never stored as new.

Measured alloys are those with at least one current phase measurement
(conflicting ones included, labelled "conflicting").  The share of a measured
alloy's atoms outside the vocabulary counts as one more element in every
comparison (CoCrFeGeNi is 20 at.% from CoCrFeNi, not 10 with Ge left out, and
never "known" as it at a 10 at.% step).
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

    @property
    def X_rest(self) -> np.ndarray:
        """``with_rest(X)``, made once (known-alloy detection and the nearest alloys both read it)."""
        if getattr(self, "_X_rest", None) is None or len(self._X_rest) != len(self.X):
            self._X_rest = with_rest(self.X)
        return self._X_rest


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
    disagreeing: tuple[tuple[str, str, float], ...] = ()  # other matches with another label: (formula, label, at.%)


BLOCK = 4_000_000  # query-reference element pairs per block: memory stays bounded whatever the sizes


def _blocks(n_rows: int, n_ref: int, width: int):
    step = max(1, BLOCK // max(n_ref * width, 1))
    for a in range(0, n_rows, step):
        yield a, min(a + step, n_rows)


PAIR_BLOCK = 2_000_000  # query-reference pairs per block of the bounds below
SEEDS = 32  # rows of the best bounds whose exact distances set the cut (any number >= k is exact)


def _pair_blocks(n_rows: int, n_ref: int):
    step = max(1, PAIR_BLOCK // max(n_ref, 1))
    for a in range(0, n_rows, step):
        yield a, min(a + step, n_rows)


def _half_l1(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Half-L1 distances (at.%) of one composition to some rows, the same sums as a full comparison."""
    return 50.0 * np.abs(x[None, :] - rows).sum(-1)


def nearest_rows(X: np.ndarray, ref: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, k) indices and half-L1 distances (at.%) of each row's k nearest rows of ``ref``,
    nearest first and, among equal distances, lowest index first (as an argmin would).

    Exact, without comparing every pair element by element: for fractions (never negative)
    an element present in only one of two rows adds its whole amount to their L1 distance, so
    ``sum(x) + sum(y) - x.present(y) - present(x).y`` (two matrix products) is a lower bound
    of it.  Each row's exact distances are computed only for the reference rows whose bound
    is within the k-th smallest exact distance among the best bounds, which holds every row that
    can be among the k nearest or tie with the k-th (alloys of 4-6 elements out of 30 share
    few elements, so few rows pass).  Memory is bounded by blocks (never an N x M matrix).
    (A k-d tree was tried: compositions have 30 coordinates, where it was ten times slower.)
    """
    X = np.atleast_2d(np.asarray(X, np.float64))
    ref = np.asarray(ref, np.float64)
    k = min(k, len(ref))
    idx = np.zeros((len(X), k), int)
    dist = np.zeros((len(X), k))
    if k == 0 or len(X) == 0:
        return idx, dist
    if (X < 0).any() or (ref < 0).any():  # not fractions: the bound does not hold, compare every pair
        return _nearest_rows_every_pair(X, ref, k)
    present_ref_t = np.ascontiguousarray((ref > 0).astype(np.float64).T)
    ref_t = np.ascontiguousarray(ref.T)
    sum_ref = ref.sum(axis=1)
    for a, b in _pair_blocks(len(X), len(ref)):
        Xb = X[a:b]
        bound = Xb.sum(axis=1)[:, None] + sum_ref[None, :] - Xb @ present_ref_t - (Xb > 0).astype(np.float64) @ ref_t
        bound *= 50.0
        for r in range(b - a):
            x, lb = Xb[r], bound[r]
            n_seed = min(len(lb), max(SEEDS, k))  # rows of the best bounds, measured exactly
            seed = np.argpartition(lb, n_seed - 1)[:n_seed] if n_seed < len(lb) else np.arange(len(lb))
            worst = np.partition(_half_l1(x, ref[seed]), k - 1)[k - 1]  # the k-th nearest is no farther
            cols = np.flatnonzero(lb <= worst + 1e-6)  # (the bound's rounding is far below 1e-6 at.%)
            d = _half_l1(x, ref[cols])
            if k < len(cols):
                keep = d <= np.partition(d, k - 1)[k - 1]  # the k nearest and every tie with the k-th
                cols, d = cols[keep], d[keep]
            order = np.argsort(d, kind="stable")[:k]
            idx[a + r], dist[a + r] = cols[order], d[order]
    return idx, dist


def _nearest_rows_every_pair(X: np.ndarray, ref: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``nearest_rows`` by comparing every pair, in blocks of bounded memory (any real numbers)."""
    idx = np.zeros((len(X), k), int)
    dist = np.zeros((len(X), k))
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


AS_MADE = 0.01  # an element this close (as a fraction) is the same alloy whatever the step


def _beyond(diff: np.ndarray, granularity: float) -> np.ndarray:
    """Where an element difference (fractions) makes two alloys distinct: a whole step or more (up to float
    rounding), and more than ``AS_MADE``."""
    return (diff >= granularity - 1e-9) & (diff > AS_MADE + 1e-9)


def with_rest(X: np.ndarray) -> np.ndarray:
    """The fractions and one more column, the share outside the vocabulary (1 - the row's sum, 0 for a
    candidate), so that an element the vocabulary lacks still counts as a difference."""
    X = np.atleast_2d(np.asarray(X, np.float64))
    return np.hstack([X, np.clip(1.0 - X.sum(axis=1, keepdims=True), 0.0, None)])


PRESENT = 1e-6  # a fraction above this is an element the alloy has (below: float rounding of a sum)


def _major(X: np.ndarray) -> np.ndarray:
    """Elements above ``AS_MADE``: one that only one of two alloys has makes them different alloys (a trace
    within 1 at.% is within what an alloy as made differs from its nominal composition anyway)."""
    return (X > AS_MADE + 1e-9).astype(np.float64)


def find_known(X: np.ndarray, measured: MeasuredAlloys, granularity: float) -> dict[int, KnownMatch]:
    """Rows of X within lab granularity of a measured alloy (the same elements, each less than a step
    apart or at most ``AS_MADE``) -> the closest such alloy, with the others that disagree about the label.

    Exact, without comparing every pair element by element: two rows can be within granularity only
    if every element above ``AS_MADE`` in one is present in the other, which two matrix products of 0/1
    masks count; only the pairs that pass are compared (in blocks of bounded memory)."""
    if len(measured) == 0 or len(X) == 0:
        return {}
    X, ref = with_rest(X), measured.X_rest
    has_ref_t = np.ascontiguousarray((ref > PRESENT).astype(np.float64).T)
    major_ref = _major(ref)
    n_major_ref = major_ref.sum(axis=1)
    major_ref_t = np.ascontiguousarray(major_ref.T)
    out = {}
    for a, b in _pair_blocks(len(X), len(ref)):
        Xb = X[a:b]
        major = _major(Xb)
        possible = (major @ has_ref_t == major.sum(axis=1)[:, None]) & (
            (Xb > PRESENT).astype(np.float64) @ major_ref_t == n_major_ref[None, :])
        for r in np.flatnonzero(possible.any(axis=1)):
            cols = np.flatnonzero(possible[r])
            diff = np.abs(Xb[r][None, :] - ref[cols])
            close = ~_beyond(diff.max(-1), granularity)
            if close.any():
                i = a + int(r)
                out[i] = _match(i, cols[close], 50.0 * diff[close].sum(-1), measured)
    return out


def _match(i: int, cols: np.ndarray, d: np.ndarray, measured: MeasuredAlloys) -> KnownMatch:
    """The closest of the measured alloys ``cols`` (at ``d`` at.%), and those of them with another label."""
    order = np.argsort(d, kind="stable")
    j = int(cols[order[0]])
    label = measured.labels[j]
    others = tuple((measured.formulas[int(cols[o])], measured.labels[int(cols[o])], round(float(d[o]), 2))
                   for o in order[1:] if measured.labels[int(cols[o])] != label)
    return KnownMatch(i, measured.formulas[j], label, round(float(d[order[0]]), 2), others)


def nearest(X: np.ndarray, measured: MeasuredAlloys, k: int = 3) -> list[list[dict]]:
    """For each row of X, its k nearest measured alloys: [{formula, label, distance_at_pct}]."""
    if len(measured) == 0:
        return [[] for _ in range(len(np.atleast_2d(X)))]
    idx, d = nearest_rows(with_rest(X), measured.X_rest, k)
    return [[{"formula": measured.formulas[j], "label": measured.labels[j], "distance_at_pct": round(float(dd), 2)}
             for j, dd in zip(row, drow, strict=True)] for row, drow in zip(idx.tolist(), d, strict=True)]
