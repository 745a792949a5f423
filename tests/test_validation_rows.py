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
    assert abs(kept_out.mean() - COMPARISON_FRACTION) < 0.04
    # stable as labels arrive: the alloys kept out before stay kept out (their groups unchanged)
    more = TrainingSet(ts.vocabulary, np.append(ts.lab_ids, 99_999), np.vstack([ts.X_lab, np.eye(ts.X_lab.shape[1])[0]]),
                       np.append(ts.y_lab, 1.0), [*ts.lab_formulas, "X"], ts.unlab_ids, ts.X_unlab)
    assert held <= comparison_ids(more.lab_ids, more.X_lab)
