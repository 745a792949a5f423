"""Activation is safe: at least one epoch, and --activate never puts a worse version in charge unless forced.

"Worse" is judged on the labelled rows neither the new nor the active
version saw (retraining.compare_with_active), the one rule in
``activation_refusal``.
"""

from __future__ import annotations

import dataclasses
import stat

import pytest

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.model_versions import get_version, train_version
from hea_campaign.campaign.retraining import Comparison, activate_unless_worse, activation_refusal, retrain
from hea_campaign.campaign.training_set import snapshot


def _comparison(new, old, n_unseen=30, active_id=1):
    return Comparison(new_id=2, active_id=active_id, n_heldout=40, n_unseen_by_both=n_unseen, new=new, active=old,
                      new_unseen=new, active_unseen=old, new_labels=5, activated=False)  # fmt: skip


def test_the_rule():
    good, bad = {"roc_auc": 0.90, "accuracy": 0.8}, {"roc_auc": 0.70, "accuracy": 0.9}
    assert activation_refusal(_comparison(good, bad)) is None
    assert activation_refusal(_comparison(good, dict(good))) is None  # as good: fine
    assert "worse" in activation_refusal(_comparison(bad, good)) and "roc_auc 0.700 < 0.900" in activation_refusal(
        _comparison(bad, good))
    no_auc = {"roc_auc": None, "accuracy": 0.6}
    assert "accuracy 0.600 < 0.800" in activation_refusal(_comparison(no_auc, {"roc_auc": None, "accuracy": 0.8}))
    assert "neither" in activation_refusal(_comparison(None, None, n_unseen=0))
    assert activation_refusal(_comparison(bad, None, active_id=None)) is None  # nothing active: nothing to lose


@pytest.mark.parametrize("epochs", [0, -3])
def test_fewer_than_one_epoch_is_refused_before_anything_is_written(store, epochs):
    with pytest.raises(CampaignError, match="epochs must be a whole number of at least 1"):
        train_version(store, epochs=epochs, activate=True)
    with pytest.raises(CampaignError, match="at least 1"):
        retrain(store, epochs=epochs, activate_new=True)


def test_activate_refuses_a_worse_version_unless_forced(trained_store):
    active = get_version(trained_store)
    truth = snapshot(trained_store)
    flipped = dataclasses.replace(truth, y_lab=1.0 - truth.y_lab)  # a model that learned every label backwards
    trained = train_version(trained_store, seed=1, epochs=40, training_set=flipped, by="tester")
    trained.training_set = truth  # judged against the real labels
    comparison = activate_unless_worse(trained_store, trained, by="tester")
    assert comparison.new_unseen["roc_auc"] < comparison.active_unseen["roc_auc"], comparison
    assert comparison.refused and "worse" in comparison.refused and not comparison.activated
    assert get_version(trained_store).id == active.id
    forced = activate_unless_worse(trained_store, trained, force=True, by="tester")
    assert forced.activated and get_version(trained_store).id == trained.version.id


def test_retrain_activate_puts_a_version_in_charge_only_when_it_is_no_worse(trained_store):
    active = get_version(trained_store)
    trained, comparison = retrain(trained_store, seed=1, epochs=1, activate_new=True, by="tester")
    assert comparison.activated == (activation_refusal(comparison) is None) != bool(comparison.refused)
    assert get_version(trained_store).id == (trained.version.id if comparison.activated else active.id)


def test_checkpoints_and_reference_files_follow_the_umask(trained_store):
    old = __import__("os").umask(0o022)
    try:
        trained = train_version(trained_store, seed=2, epochs=1)
    finally:
        __import__("os").umask(old)
    from pathlib import Path

    ckpt = Path(trained.version.checkpoint_path)
    for path in (ckpt, ckpt.with_name(ckpt.stem + ".reference.npz")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
