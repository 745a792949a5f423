"""The scorer's tree members fit on at most MAX_TREE_ROWS labelled alloys (model/scoring.py):
all rows below it, a seeded sample stratified by class above it, the same one every time."""

from __future__ import annotations

import numpy as np

from hea_campaign.model import scoring
from hea_campaign.model.scoring import Scorer, tree_rows


def _rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.dirichlet(np.ones(30), size=n)
    y = (rng.random(n) < 0.3).astype(np.int64)  # 30 % single phase
    return X, y


def test_below_the_cap_every_row_is_used(monkeypatch):
    monkeypatch.setattr(scoring, "MAX_TREE_ROWS", 500)
    X, y = _rows(400)
    assert tree_rows(y, 0) is None
    sc = Scorer(("extra_trees",), 0, scoring.DEFAULT_VOCABULARY, X, y)
    roots = {int(t.tree_.n_node_samples[0]) for t in sc._trees["extra_trees"].estimators_}
    assert roots == {400}  # extra trees draw no bootstrap: each root holds every row it was given


def test_above_the_cap_a_stratified_seeded_sample_is_used(monkeypatch):
    monkeypatch.setattr(scoring, "MAX_TREE_ROWS", 300)
    X, y = _rows(3000)
    rows = tree_rows(y, 0)
    assert len(rows) == 300 and len(np.unique(rows)) == 300
    assert abs(y[rows].mean() - y.mean()) < 0.01  # the classes keep their shares
    assert np.array_equal(rows, tree_rows(y, 0)) and not np.array_equal(rows, tree_rows(y, 1))
    sc = Scorer(("extra_trees",), 0, scoring.DEFAULT_VOCABULARY, X, y)
    roots = {int(t.tree_.n_node_samples[0]) for t in sc._trees["extra_trees"].estimators_}
    assert roots == {300}
    again = Scorer(("extra_trees",), 0, scoring.DEFAULT_VOCABULARY, X, y)
    Xq, _ = _rows(50, seed=5)
    np.testing.assert_array_equal(sc.predict_proba(Xq), again.predict_proba(Xq))  # a reload refits the same trees
