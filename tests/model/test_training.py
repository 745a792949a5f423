"""Training: learns, is reproducible, reports progress, can be cancelled."""

from __future__ import annotations

import numpy as np
import pytest

from hea_campaign.model.training import binary_metrics, train


def _rows(seed_data, n_lab=300, n_unl=100):
    X, y, s = seed_data
    lab = np.flatnonzero(s == "labelled")[:n_lab]
    unl = np.flatnonzero(s == "unlabelled")[:n_unl]
    val = np.flatnonzero(s == "validation")
    return X, y, lab, unl, val


def test_short_training_beats_chance_on_validation(trained, seed_data):
    X, y, _ = seed_data
    res, (_, _, val) = trained
    majority = max(y[val].mean(), 1 - y[val].mean())
    assert res.metrics["val_accuracy"] > majority + 0.1
    assert res.metrics["val_roc_auc"] > 0.8
    # the returned model is the one measured
    assert binary_metrics(y[val], res.model.predict_proba(X[val]))["accuracy"] == pytest.approx(
        res.metrics["val_accuracy"])
    assert 1 <= res.best_epoch <= 60 and not res.cancelled
    assert res.history and all(np.isfinite(h["loss"]) for h in res.history)


def test_same_seed_same_result_other_seed_differs(seed_data, small_config):
    X, y, lab, unl, val = _rows(seed_data)
    cfg = small_config.replace(epochs=15)
    a = train(X[lab], y[lab], X[unl], X[val], y[val], cfg)
    b = train(X[lab], y[lab], X[unl], X[val], y[val], cfg)
    c = train(X[lab], y[lab], X[unl], X[val], y[val], cfg.replace(seed=1))
    pa, pb, pc = (r.model.predict_proba(X[val]) for r in (a, b, c))
    assert np.array_equal(pa, pb)
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    assert not np.allclose(pa, pc)


def test_progress_and_cancel(seed_data, small_config):
    X, y, lab, unl, val = _rows(seed_data)
    reports, polls = [], []

    def should_stop():
        polls.append(1)
        return len(polls) > 12  # stop at the 13th epoch

    res = train(X[lab], y[lab], X[unl], X[val], y[val], small_config.replace(epochs=500, eval_every=1, select_on="log_loss"),
                progress=reports.append, should_stop=should_stop)
    assert res.cancelled and not res.stopped_early
    assert res.metrics["epochs_run"] == 12
    assert [r.epoch for r in reports] == list(range(1, 13))
    assert all(np.isfinite(r.val_accuracy) and r.losses["loss"] == r.losses["loss"] for r in reports)
    p = res.model.predict_proba(X[val])
    assert p.shape == (len(val),) and np.all(np.isfinite(p))
    assert res.best_epoch == min(reports, key=lambda r: r.val_loss).epoch


def test_early_stopping_on_validation(seed_data, small_config):
    X, y, lab, unl, val = _rows(seed_data, 200, 50)
    res = train(X[lab], y[lab], X[unl], X[val], y[val],
                small_config.replace(epochs=2000, patience=10, eval_every=1, lr=3e-2))
    assert res.stopped_early
    assert res.metrics["epochs_run"] - res.best_epoch == 10


def test_bad_inputs_are_refused(seed_data, small_config):
    X, y, lab, unl, val = _rows(seed_data, 20, 5)
    with pytest.raises(ValueError):
        train(X[lab], y[lab][:-1], None, None, None, small_config)
    with pytest.raises(ValueError):
        train(X[lab][:, :5], y[lab], None, None, None, small_config)
    with pytest.raises(ValueError):
        train(X[lab], y[lab] * 2, None, None, None, small_config)
