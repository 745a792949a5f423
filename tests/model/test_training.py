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


def test_warm_start_takes_over_weights_and_scaler_and_keeps_learning(trained, seed_data, small_config):
    X, y, lab, unl, val = _rows(seed_data, n_lab=120)
    res, _ = trained
    # lr 0: nothing moves, so the warm model must predict exactly what the first one did
    frozen = train(X[lab], y[lab], X[unl], X[val], y[val], small_config.replace(epochs=5, lr=0.0, warm_classifier=True),
                   init=res.model)  # fmt: skip
    assert np.allclose(frozen.model.predict_proba(X[val]), res.model.predict_proba(X[val]), atol=1e-6)
    assert np.array_equal(frozen.model.scaler.mean, res.model.scaler.mean)
    assert torch_equal(frozen.model.background, res.model.background)
    moved = train(X[lab], y[lab], X[unl], X[val], y[val], small_config.replace(epochs=5), init=res.model)
    assert not np.allclose(moved.model.predict_proba(X[val]), res.model.predict_proba(X[val]))
    # by default the heads start afresh (selected on validation again) while the VAE continues
    fresh = train(X[lab], y[lab], X[unl], X[val], y[val], small_config.replace(epochs=5, lr=0.0), init=res.model)
    a, b = fresh.model.state_dict(), res.model.state_dict()
    assert all(torch_equal(a[k], b[k]) for k in a if not k.startswith("classifier."))
    assert not all(torch_equal(a[k], b[k]) for k in a if k.startswith("classifier."))
    assert not np.allclose(fresh.model.predict_proba(X[val]), res.model.predict_proba(X[val]))
    # the first model is not modified by training its copy
    again = res.model.predict_proba(X[val])
    assert np.allclose(again, frozen.model.predict_proba(X[val]), atol=1e-6)


def test_warm_start_refuses_another_architecture(trained, seed_data, small_config):
    X, y, lab, unl, val = _rows(seed_data, n_lab=60)
    res, _ = trained
    with pytest.raises(ValueError, match="latent_dim"):
        train(X[lab], y[lab], X[unl], X[val], y[val], small_config.replace(latent_dim=3, epochs=1), init=res.model)


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))


def test_a_stop_asked_as_the_last_epoch_ends_marks_the_model_interrupted(seed_data, small_config):
    """Ctrl+C during the last epoch: all epochs ran, but the stop was asked for, so the model is kept
    marked interrupted (what keeps `train --activate` from activating it) rather than reported whole."""
    X, y, lab, unl, val = _rows(seed_data)
    asked = []

    def should_stop():
        asked.append(1)
        return len(asked) > 3  # polled before epochs 1-3, then once more after the last

    res = train(X[lab], y[lab], X[unl], X[val], y[val], small_config.replace(epochs=3, eval_every=1),
                should_stop=should_stop)
    assert res.cancelled and res.metrics["epochs_run"] == 3 and len(asked) == 4
    quiet = train(X[lab], y[lab], X[unl], X[val], y[val], small_config.replace(epochs=3, eval_every=1),
                  should_stop=lambda: False)
    assert not quiet.cancelled
