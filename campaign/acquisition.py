"""Ranking candidates and picking a diverse batch.

Strategies: ``greedy`` ranks by p_single (the scorer's) plus the physics
rule's prior, which fades as labels accumulate (``model.physics_rule``), and
takes the best candidates, skipping only those within lab granularity of one
already taken (``select_distinct``); ``exploit`` ranks by p_single too but spreads the
batch out in latent space; ``explore`` ranks by uncertainty (predictive
spread plus closeness to 0.5); ``balanced`` by p_single plus uncertainty (an
upper confidence bound).  For the last three a batch is chosen greedily:
the best remaining candidate whose latent point is at least ``min_distance``
from every chosen one; the distance halves whenever nobody qualifies, so a
batch is never ten near-copies but is always filled.

``greedy`` is the default: it won ``simulate`` against the reference
strategies (README, "Simulated campaigns").
"""

from __future__ import annotations

import numpy as np

STRATEGIES = ("greedy", "exploit", "explore", "balanced")
DEFAULT_STRATEGY = "greedy"
DISTINCT_AT = 0.02  # two picks closer than 2 at.% in every element are one experiment twice


def distinct_at(granularity: float | None) -> float:
    """How far apart (every element, as a fraction) two picks of one batch must be: 2 at.%, and more than one
    grid step on a coarse grid, where neighbours one step apart are the nearest two alloys can be (a batch
    of eight 5 at.% neighbours in one system is one experiment eight times)."""
    return max(DISTINCT_AT, (granularity or 0.0) + 1e-9)


def acquisition(p_single: np.ndarray, spread: np.ndarray, strategy: str = "balanced") -> np.ndarray:
    p = np.asarray(p_single, dtype=float)
    s = np.asarray(spread, dtype=float)
    ambiguity = 1.0 - 2.0 * np.abs(p - 0.5)  # 1 at p = 0.5, 0 at p = 0 or 1
    if strategy in ("exploit", "greedy"):
        return p
    if strategy == "explore":
        return s + 0.25 * ambiguity
    if strategy == "balanced":
        return p + 2.0 * s
    raise ValueError(f"unknown strategy '{strategy}'; choose one of {', '.join(STRATEGIES)}")


def select_diverse(scores: np.ndarray, points: np.ndarray, k: int, min_distance: float | None = None) -> list[int]:
    """Indices of up to ``k`` high-scoring rows that are spread out in ``points``.

    Greedy: the best-scoring row at least ``min_distance`` from every row taken
    so far, halving the distance when none is left.  A k-d tree marks the rows
    too close to each pick, and one pass down the score order serves a whole
    distance level, so the work grows with n log n, not with batch x pool.
    """
    from scipy.spatial import cKDTree

    scores = np.asarray(scores, dtype=float)
    n = len(scores)
    if n == 0 or k <= 0:  # every row set aside (all already in the store): nothing to pick
        return []
    pts = np.asarray(points, dtype=float).reshape(n, -1)
    order = np.argsort(-scores, kind="stable")
    if min_distance is None:
        spread = np.linalg.norm(pts - pts.mean(axis=0), axis=1)
        min_distance = 0.5 * float(np.median(spread)) if n > 1 else 0.0
    tree = cKDTree(pts)
    chosen: list[int] = []
    taken = np.zeros(n, bool)
    threshold = min_distance
    while len(chosen) < min(k, n):
        if threshold < 0:  # take the best remaining, duplicates of position allowed
            rest = order[~taken[order]]
            chosen += [int(i) for i in rest[: min(k, n) - len(chosen)]]
            break
        # rows closer than the threshold to a row already taken cannot be taken at this level
        blocked = taken.copy()
        if chosen:
            d, _ = cKDTree(pts[chosen]).query(pts, k=1)
            blocked |= d < threshold
        for i in order:
            if blocked[i]:
                continue
            chosen.append(int(i))
            taken[i] = blocked[i] = True
            if len(chosen) == min(k, n):
                break
            near = tree.query_ball_point(pts[i], r=threshold)
            if near:
                near = np.asarray(near)
                blocked[near[np.linalg.norm(pts[near] - pts[i], axis=1) < threshold]] = True
        if len(chosen) < min(k, n):
            threshold /= 2
            if threshold < 1e-12:
                threshold = -1.0
    return chosen


def select_distinct(scores: np.ndarray, fractions: np.ndarray, k: int, min_change: float = DISTINCT_AT,
                    fill: bool = True) -> list[int]:
    """Indices of the ``k`` best rows, skipping rows within ``min_change`` (every fraction) of a taken one;
    with ``fill``, near copies fill what distinct rows leave (a replay's batch keeps its size), without it
    the batch is shorter (a lab's batch: a furnace day is not spent on a near copy)."""
    scores = np.asarray(scores, dtype=float)
    if len(scores) == 0 or k <= 0:
        return []
    X = np.asarray(fractions, dtype=float).reshape(len(scores), -1)
    chosen: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if len(chosen) >= k:
            break
        if chosen and np.min(np.max(np.abs(X[chosen] - X[i]), axis=1)) < min_change:
            continue
        chosen.append(int(i))
    if fill and len(chosen) < min(k, len(scores)):  # everything left is a near-copy: fill with the best of them
        rest = [int(i) for i in np.argsort(-scores, kind="stable") if int(i) not in chosen]
        chosen += rest[: k - len(chosen)]
    return chosen


def pick_batch(strategy: str, p_single: np.ndarray, spread: np.ndarray, fractions: np.ndarray,
               latent: np.ndarray | None, k: int, n_labels: int | None = None, vocabulary=None,
               min_change: float = DISTINCT_AT, fill: bool = True) -> list[int]:
    """The batch a strategy picks: distinct best for ``greedy``, latent-diverse for the others.

    ``greedy`` with ``n_labels`` (the labelled alloys the model learnt from) adds the
    physics rule's prior, which fades as labels accumulate (``model.physics_rule``);
    ``vocabulary`` names the columns of ``fractions`` (the default vocabulary if None);
    ``min_change`` and ``fill`` are ``select_distinct``'s.
    """
    score = acquisition(p_single, spread, strategy)
    if strategy == "greedy" and n_labels is not None and len(score):
        from hea_campaign.model.physics_rule import physics_prior
        from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

        score = score + physics_prior(fractions, n_labels, vocabulary or DEFAULT_VOCABULARY)
    if strategy == "greedy" or latent is None:
        return select_distinct(score, fractions, k, min_change, fill)
    return select_diverse(score, latent, k)
