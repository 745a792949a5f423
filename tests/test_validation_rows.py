"""The product's own validation and comparison rows keep near-duplicates on one side.

A version picks its epoch, its scorer and its conformal sets on validation rows, and `retrain`
judges it on kept-out rows: a near-copy of such a row among the training rows would flatter both.
"""

from __future__ import annotations

import numpy as np

from hea_campaign.campaign.evaluation import seed_rows
from hea_campaign.campaign.retraining import COMPARISON_FRACTION, comparison_ids
from hea_campaign.campaign.training_set import TrainingSet
from hea_campaign.model.splits import near_duplicate_groups


def _seed_set() -> TrainingSet:
    rows = seed_rows()
    n = len(rows.y)
    from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

    return TrainingSet(vocabulary=tuple(DEFAULT_VOCABULARY), lab_ids=np.arange(1, n + 1), X_lab=rows.X,
                       y_lab=rows.y.astype(float), lab_formulas=list(rows.formulas),
                       unlab_ids=np.zeros(0, int), X_unlab=np.zeros((0, rows.X.shape[1])))


def test_validation_rows_never_have_a_near_copy_in_training():
    ts = _seed_set()
    groups = near_duplicate_groups(ts.X_lab)
    assert len(np.unique(groups)) < len(groups), "the seed set holds near-duplicates (the case under test)"
    for seed in range(5):
        train, val = ts.validation_split(0.1, seed)
        assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == len(ts.y_lab)
        assert not set(groups[train]) & set(groups[val]), f"seed {seed}: a near-duplicate straddles the cut"
        share = ts.y_lab[val].mean(), ts.y_lab.mean()
        assert abs(share[0] - share[1]) < 0.05 and 0.08 < len(val) / len(ts.y_lab) < 0.12
    a, b = ts.validation_split(0.1, 3), ts.validation_split(0.1, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b)), "seeded: the same rows every time"


def test_comparison_rows_keep_near_duplicates_together_and_stay_put():
    ts = _seed_set()
    groups = near_duplicate_groups(ts.X_lab)
    held = comparison_ids(ts.lab_ids, ts.X_lab)
    kept_out = np.isin(ts.lab_ids, list(held))
    assert not set(groups[kept_out]) & set(groups[~kept_out])
    # the hashed tenth plus the near-copies of its alloys (the seed set's chained series add about 4 %)
    assert COMPARISON_FRACTION - 0.02 < kept_out.mean() < COMPARISON_FRACTION + 0.06
    assert {int(i) for i in ts.lab_ids if comparison_ids([i])} <= held  # the hashed ones, plus their near-copies


def test_an_alloy_kept_out_for_comparison_stays_kept_out_when_a_new_alloy_bridges_two_groups():
    """Two alloys 1.5 at.% apart are two groups; a third between them joins them.  The kept-out alloy
    must stay kept out (and its new near-copies join it), or consecutive retrains would be compared
    on rows that shift for reasons that have nothing to do with the versions."""
    ids = list(range(1, 400))
    kept = next(i for i in ids if comparison_ids([i]))
    other = next(i for i in ids if not comparison_ids([i]))
    X = np.zeros((2, 30))
    X[0, :4], X[1, :4] = [0.25, 0.25, 0.25, 0.25], [0.265, 0.235, 0.25, 0.25]
    for a, b in ((kept, other), (other, kept)):
        before = comparison_ids([a, b], X)
        assert before == {kept}
        bridge = np.zeros((1, 30))
        bridge[0, :4] = [0.2575, 0.2425, 0.25, 0.25]
        after = comparison_ids([a, b, 5000], np.vstack([X, bridge]))
        assert after == {kept, other, 5000}, "the bridge joins the kept-out alloy's group: all three kept out"


def test_every_class_gets_validation_rows_even_when_near_duplicates_chain_or_it_is_small():
    """A campaign that moves in 1 at.% steps is one chain of near-duplicates, and a rare class may be
    smaller than its tenth: each class with two rows or more still gets validation rows (its smallest
    group, or one row when its only group is the whole class), or early stopping and the scorer would
    have nothing to go on."""
    from hea_campaign.model.splits import grouped_validation

    chain = np.zeros((30, 30))
    for i in range(30):
        chain[i, :4] = [0.25 + 0.01 * i / 3, 0.25 - 0.01 * i / 3, 0.25, 0.25]
    y = np.arange(30) % 2
    assert len(np.unique(near_duplicate_groups(chain))) == 1
    train, val = grouped_validation(chain, y)
    assert sorted(y[val].tolist()) == [0, 1] and len(train) == 28
    rare = np.random.default_rng(0).dirichlet(np.ones(5), size=40)
    rare = np.hstack([rare, np.zeros((40, 25))])
    y_rare = np.zeros(40, int)
    y_rare[:3] = 1
    train, val = grouped_validation(rare, y_rare)
    assert 1 in y_rare[val] and 0 in y_rare[val] and not set(train) & set(val)
