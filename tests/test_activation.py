"""Activation is safe: at least one epoch, and --activate never puts a worse version in charge unless forced.

"Worse" is judged on the labelled rows neither the new nor the active
version saw (retraining.compare_with_active), the one rule in
``activation_refusal``.
"""

from __future__ import annotations

import dataclasses
import os
import stat

import pytest

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.model_versions import get_version, train_version
from hea_campaign.campaign.retraining import (MIN_COMPARISON_PER_CLASS, MIN_COMPARISON_ROWS, Comparison,
                                               activate_unless_worse, activation_refusal, comparison_holdout,
                                               comparison_weakness, retrain)
from hea_campaign.campaign.training_set import snapshot
from hea_campaign.tui.present.training_report import render_comparison

NAN = float("nan")


def _comparison(new, old, n_unseen=30, active_id=1, classes=None):
    return Comparison(new_id=2, active_id=active_id, n_heldout=40, n_unseen_by_both=n_unseen, new=new, active=old,
                      new_unseen=new, active_unseen=old, new_labels=5, activated=False,
                      compared_classes=classes)  # fmt: skip


def test_the_rule():
    good, bad = {"roc_auc": 0.90, "accuracy": 0.8}, {"roc_auc": 0.70, "accuracy": 0.9}
    assert activation_refusal(_comparison(good, bad)) is None
    assert activation_refusal(_comparison(good, dict(good))) is None  # as good: fine
    assert "worse" in activation_refusal(_comparison(bad, good)) and "ROC AUC 0.700 < 0.900" in activation_refusal(
        _comparison(bad, good))
    no_auc = {"roc_auc": None, "accuracy": 0.6}
    assert "accuracy 0.600 < 0.800" in activation_refusal(_comparison(no_auc, {"roc_auc": None, "accuracy": 0.8}))
    assert "did not see" in activation_refusal(_comparison(None, None, n_unseen=0))
    # no row unseen by both: the kept-out rows (which favour the active version) decide
    fallback = Comparison(new_id=2, active_id=1, n_heldout=40, n_unseen_by_both=0, new=bad, active=good,
                          new_unseen=None, active_unseen=None, new_labels=0, activated=False)
    assert "lower than the active version 1 on the 40 kept-out rows" in activation_refusal(fallback)
    assert "learnt from them" in activation_refusal(fallback) and "is worse" not in activation_refusal(fallback)
    assert activation_refusal(dataclasses.replace(fallback, new=good, active=bad)) is None
    assert activation_refusal(_comparison(bad, None, active_id=None)) is None  # nothing active: nothing to lose


@pytest.mark.parametrize("unseen", [True, False])
def test_retrain_refusal_is_one_line_with_force_once_and_the_metric_in_words(store, monkeypatch, capsys, unseen):
    """The CLI's refusal: one line, --force named once, "ROC AUC" (not the key roc_auc)."""
    from hea_campaign.campaign import retraining
    from hea_campaign.tui.cli import main

    good, bad = {"roc_auc": 0.90, "accuracy": 0.8}, {"roc_auc": 0.70, "accuracy": 0.9}
    comparison = _comparison(bad, good) if unseen else Comparison(
        new_id=2, active_id=1, n_heldout=40, n_unseen_by_both=0, new=bad, active=good, new_unseen=None,
        active_unseen=None, new_labels=0, activated=False)  # fmt: skip
    comparison.refused = activation_refusal(comparison)
    monkeypatch.setattr(retraining, "retrain", lambda store, **_: (None, comparison))
    assert main(["retrain", "--db", store.url, "--activate"]) == 2
    err = capsys.readouterr().err.splitlines()[-1]  # after the "Training ..." progress line
    assert err.startswith("error: not activated: version 2 ")
    assert err.count("--force") == 1 and "ROC AUC 0.700 < 0.900" in err and "roc_auc" not in err


def test_one_class_rows_nan_auc_fall_back_to_accuracy_and_are_no_evidence():
    """binary_metrics gives NaN (not None) ROC AUC on one-class rows; nan < nan is False, so they once let any
    version through.  Worse in accuracy there is still worse; no worse is no evidence: refused."""
    one = {"accuracy": 1.0, "roc_auc": NAN, "log_loss": 0.1, "n": 1}
    refusal = activation_refusal(_comparison(one, dict(one), n_unseen=1, classes=(1, 0)))  # the reviewer's case
    assert refusal and "cannot show version 2 to be no worse" in refusal and "1 alloy, single phase" in refusal
    worse, better = {"accuracy": 0.8, "roc_auc": NAN}, {"accuracy": 0.9, "roc_auc": NAN}
    assert "accuracy 0.800 < 0.900" in activation_refusal(_comparison(worse, better, classes=(30, 0)))
    refusal = activation_refusal(_comparison(better, worse, classes=(30, 0)))  # better, but on one class only
    assert refusal and "30 alloys, all single phase" in refusal and "nan" not in refusal
    assert "all multi phase" in activation_refusal(_comparison(better, worse, classes=(0, 30)))
    # hand-made metrics without class counts: an undefined AUC (NaN or None) means one class
    assert "all of one class" in activation_refusal(_comparison(better, worse))
    assert "all of one class" in activation_refusal(_comparison({"accuracy": 0.9, "roc_auc": None}, worse))


def test_too_few_rows_or_too_few_of_a_class_are_no_evidence():
    good, bad = {"roc_auc": 0.90, "accuracy": 0.9}, {"roc_auc": 0.70, "accuracy": 0.7}
    few = MIN_COMPARISON_ROWS - 1
    for new, old in ((good, bad), (bad, good)):  # on so few rows even "worse" means nothing
        refusal = activation_refusal(_comparison(new, old, n_unseen=few, classes=(few - 5, 5)))
        assert refusal and f"only {few} alloys" in refusal and "is worse than" not in refusal
    lopsided = (MIN_COMPARISON_ROWS + 10 - (MIN_COMPARISON_PER_CLASS - 1), MIN_COMPARISON_PER_CLASS - 1)
    refusal = activation_refusal(_comparison(good, bad, n_unseen=sum(lopsided), classes=lopsided))
    assert refusal and f"only {MIN_COMPARISON_PER_CLASS - 1} of them multi phase" in refusal
    enough = (MIN_COMPARISON_ROWS - MIN_COMPARISON_PER_CLASS, MIN_COMPARISON_PER_CLASS)
    assert activation_refusal(_comparison(good, bad, n_unseen=MIN_COMPARISON_ROWS, classes=enough)) is None
    assert comparison_weakness(_comparison(good, bad, n_unseen=MIN_COMPARISON_ROWS, classes=enough)) is None
    # the kept-out fallback (no row unseen by both) is held to the same minimum
    fallback = Comparison(new_id=2, active_id=1, n_heldout=3, n_unseen_by_both=0, new=good, active=bad,
                          new_unseen=None, active_unseen=None, new_labels=0, activated=False, compared_classes=(2, 1))
    assert "only 3 alloys" in activation_refusal(fallback)
    assert comparison_weakness(dataclasses.replace(fallback, active_id=None)) is None  # nothing to compare with


def test_the_report_says_when_the_compared_alloys_tell_nothing():
    one = {"accuracy": 1.0, "roc_auc": NAN, "log_loss": 0.1, "n": 1}
    c = Comparison(new_id=2, active_id=1, n_heldout=134, n_unseen_by_both=1, new=one, active=dict(one),
                   new_unseen=one, active_unseen=dict(one), new_labels=0, activated=False, compared_classes=(1, 0),
                   new_validation={"accuracy": 0.742, "roc_auc": 0.831},
                   active_validation={"accuracy": 0.839, "roc_auc": 0.885})
    text = render_comparison(c)
    assert "These alloys tell the two versions nothing (1 alloy, single phase;" in text, text
    assert "SSVAE head on its own validation alloys instead (different alloys, so not a like-for-like comparison;" in text, text
    lines = text.splitlines()
    assert any(line.split() == ["new", "v2", "validation", "0.742", "0.831"] for line in lines), text
    assert any(line.split() == ["active", "v1", "validation", "0.839", "0.885"] for line in lines), text
    # a comparison that is evidence: no caveat, no validation figures
    a, b = {"accuracy": 0.8, "roc_auc": 0.85}, {"accuracy": 0.8, "roc_auc": 0.84}
    sound = dataclasses.replace(c, n_unseen_by_both=40, compared_classes=(25, 15), new=a, active=b,
                                new_unseen=a, active_unseen=b)
    assert "tell the two versions nothing" not in render_comparison(sound)
    assert "validation" not in render_comparison(sound)


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
    held = comparison_holdout(trained_store)
    trained = train_version(trained_store, seed=1, epochs=40, training_set=flipped, by="tester", holdout_ids=held)
    trained.training_set = truth  # judged against the real labels
    comparison = activate_unless_worse(trained_store, trained, by="tester", held_ids=held)
    assert comparison.new["roc_auc"] < comparison.active["roc_auc"], comparison
    assert sum(comparison.compared_classes) == comparison.new["n"] and comparison.active_validation == {
        "accuracy": active.metrics["val_accuracy"], "roc_auc": active.metrics["val_auc"]}
    assert comparison.refused and "scores lower" in comparison.refused and not comparison.activated
    assert get_version(trained_store).id == active.id
    forced = activate_unless_worse(trained_store, trained, force=True, by="tester", held_ids=held)
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
    assert stat.S_IMODE(ckpt.stat().st_mode) == 0o644, ckpt  # the flag reference lives inside it (sha256-covered)


def _two_versions(n=180, seed=1, gap=0.0):
    """Labels and two versions' p on the same alloys; the new one's p is noisier by ``gap``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(float)
    signal = np.where(y == 1, 1.0, -1.0) * 1.2 + rng.normal(0, 1, n)  # ROC AUC about 0.95
    p_old = 1 / (1 + np.exp(-signal))
    p_new = 1 / (1 + np.exp(-(signal + rng.normal(0, gap, n)))) if gap else p_old.copy()
    return y, p_new, p_old


def test_the_rank_auc_is_sklearns_and_the_interval_brackets_the_difference():
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from hea_campaign.campaign.retraining import _auc, paired_difference

    y, p_new, p_old = _two_versions(gap=1.0)
    p_tied = np.round(p_new, 1)  # ties are halved, as sklearn does
    assert _auc(y, p_tied) == pytest.approx(roc_auc_score(y, p_tied), abs=1e-12)
    metric, diff, lo, hi = paired_difference(y, p_new, p_old)
    assert metric == "roc_auc" and diff == pytest.approx(roc_auc_score(y, p_new) - roc_auc_score(y, p_old))
    assert lo <= diff <= hi and paired_difference(y, p_new, p_old) == (metric, diff, lo, hi)  # seeded
    assert paired_difference(y, p_old, p_old)[1:] == (0.0, 0.0, 0.0)


def test_a_version_lower_by_noise_is_not_worse_and_one_lower_beyond_noise_is():
    """The reviewer's case: ROC AUC 0.956 against 0.958 on 180 alloys blocked the version with the lab's
    new results.  Lower within what resampling the alloys moves is no worse; far lower is refused."""
    from hea_campaign.campaign.retraining import paired_difference
    from hea_campaign.model.training import binary_metrics

    def comparison(y, p_new, p_old):
        new, old = binary_metrics(y, p_new), binary_metrics(y, p_old)
        return dataclasses.replace(_comparison(new, old, n_unseen=len(y), classes=(int(y.sum()), int(len(y) - y.sum()))),
                                   difference=paired_difference(y, p_new, p_old))

    y, p_new, p_old = _two_versions(gap=0.2)  # ROC AUC 0.005 lower on 180 alloys
    close = comparison(y, p_new, p_old)
    assert close.new["roc_auc"] < close.active["roc_auc"] and close.difference[2] < 0 < close.difference[3]
    assert activation_refusal(close) is None and "within noise" in render_comparison(close)
    assert activation_refusal(dataclasses.replace(close, difference=None))  # the rule before: any drop refused

    y, p_new, p_old = _two_versions(gap=4.0)
    far = comparison(y, p_new, p_old)
    refusal = activation_refusal(far)
    assert refusal and "is worse than the active version" in refusal and "beyond noise" in refusal
    assert far.difference[3] < 0 and "worse beyond noise" in render_comparison(far)


def test_training_twice_on_the_same_rows_and_seed_keeps_both_checkpoints(trained_store):
    """Both versions' files were named by rows, seed, process and thread: the second training in one TUI
    session wrote over the first version's checkpoint, whose sha256 then no longer matched."""
    from pathlib import Path

    first = train_version(trained_store, seed=3, epochs=1)
    second = train_version(trained_store, seed=3, epochs=1)
    paths = {Path(v.version.checkpoint_path) for v in (first, second)}
    assert len(paths) == 2 and all(p.exists() for p in paths)
    from hea_campaign.campaign.model_versions import load_version

    assert load_version(get_version(trained_store, first.version.id)) is not None  # its sha256 still matches


def test_a_version_that_could_not_be_recorded_leaves_no_checkpoint(trained_store, monkeypatch):
    """A Ctrl+C or a store replaced at the last write left a checkpoint pair no version names."""
    from hea_campaign.campaign import model_versions

    folder = model_versions.models_dir(trained_store)
    files = lambda: set(folder.iterdir()) if folder.exists() else set()  # noqa: E731
    before = files()

    def refused(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(model_versions, "_record", refused)
    with pytest.raises(KeyboardInterrupt):
        train_version(trained_store, seed=4, epochs=1)
    assert files() == before


@pytest.mark.sqlite_only("a SQLite file and folder this program cannot write")
@pytest.mark.parametrize("denied", ["store", "models"])
def test_training_a_store_that_cannot_be_written_is_refused_before_it_trains(store, monkeypatch, denied):
    """train and retrain ran all their epochs on a read-only share, then failed on a temporary file's name."""
    import os
    from pathlib import Path

    from hea_campaign.campaign import model_versions
    from hea_campaign.campaign.model_versions import list_versions, models_dir

    db = Path(store.engine.url.database)
    target = db if denied == "store" else models_dir(store)
    target.mkdir(exist_ok=True) if denied == "models" else None
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if mode & os.W_OK and Path(p) == target
                        else real(p, mode, *a, **k))
    monkeypatch.setattr(model_versions, "_fit", lambda *a, **k: pytest.fail("trained before refusing"))
    with pytest.raises(CampaignError, match="cannot be written from here"):
        train_version(store, epochs=1)
    with pytest.raises(CampaignError, match="cannot be written from here"):
        retrain(store, epochs=1)
    assert list_versions(store) == []


def test_a_full_disk_while_the_checkpoint_is_written_fails_the_training_in_one_line(trained_store, monkeypatch):
    """torch.save's "unexpected pos" RuntimeError showed as an internal error; the trees file stayed."""
    from hea_campaign.campaign import model_versions
    from hea_campaign.campaign.errors import CampaignError
    from hea_campaign.campaign.model_versions import list_versions

    from tests.disk_full import full_after

    folder = model_versions.models_dir(trained_store)
    before = set(folder.iterdir()) if folder.exists() else set()
    full_after(monkeypatch, 100, only=lambda path: ".pt." in path)  # the checkpoint's, once its trees are written
    n_versions = len(list_versions(trained_store))
    with pytest.raises(CampaignError, match=r"could not write the checkpoint .*\.pt: the disk holding .* is full"):
        train_version(trained_store, seed=4, epochs=1)
    assert set(folder.iterdir()) == before  # neither the checkpoint, its temporary file, nor its trees
    assert len(list_versions(trained_store)) == n_versions


def test_a_full_disk_while_the_trees_are_written_fails_the_training(trained_store, monkeypatch):
    """The trees file was silently not written (training said nothing, loads refitted the forests)."""
    import errno

    import numpy as np

    from hea_campaign.campaign import model_versions
    from hea_campaign.campaign.errors import CampaignError

    folder = model_versions.models_dir(trained_store)
    before = set(folder.iterdir()) if folder.exists() else set()

    def full(fh, **arrays):
        fh.write(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full)
    with pytest.raises(CampaignError, match=r"could not write the scorer's trees .*\.trees\.npz: the disk holding"):
        train_version(trained_store, seed=5, epochs=1)
    assert set(folder.iterdir()) == before


def test_retrain_finds_a_missing_active_checkpoint_before_it_trains(trained_store, tmp_path):
    """With the active version's checkpoint gone, retrain trained and saved a new version, then ended in an
    error about the old one: a scientist reruns it and gets a second. It now refuses first, saving nothing,
    and says what to do."""
    from hea_campaign.campaign.model_versions import list_versions

    active = get_version(trained_store)
    path = tmp_path / "moved-away.pt"
    os.replace(active.checkpoint_path, path)
    before = len(list_versions(trained_store))
    try:
        with pytest.raises(CampaignError, match=r"model version \d+: .*restore its files from a backup"):
            retrain(trained_store, epochs=2, activate_new=True)
        assert len(list_versions(trained_store)) == before
    finally:
        os.replace(path, active.checkpoint_path)
