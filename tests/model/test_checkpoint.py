"""Checkpoints: exact round trip, safe loading, atomic writes."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from hea_campaign.model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, sha256_file


def test_round_trip_identical_predictions(trained, seed_data, tmp_path):
    X, _, _ = seed_data
    res, _ = trained
    path = tmp_path / "sub" / "m.pt"
    digest = save_checkpoint(res.model, path, metrics=res.metrics, extra={"note": "t"})
    assert digest == sha256_file(path) and len(digest) == 64
    assert [p.name for p in path.parent.iterdir()] == ["m.pt"]  # no temp file left
    ck = load_checkpoint(path, expected_sha256=digest)
    m2 = ck.model
    assert ck.sha256 == digest and ck.extra == {"note": "t"}
    assert ck.metrics["val_accuracy"] == res.metrics["val_accuracy"]
    assert m2.config == res.model.config and m2.vocabulary == res.model.vocabulary
    assert m2.scaler == res.model.scaler
    rows = X[:200]
    assert np.array_equal(m2.predict_proba(rows), res.model.predict_proba(rows))
    z1, s1 = res.model.encode(rows, 1)
    z2, s2 = m2.encode(rows, 1)
    assert np.array_equal(z1, z2) and np.array_equal(s1, s2)
    assert np.array_equal(m2.decode(z1, 0), res.model.decode(z1, 0))
    assert torch.equal(m2.background, res.model.background)


def test_overwrite_is_atomic_replace(trained, tmp_path):
    res, _ = trained
    path = tmp_path / "m.pt"
    d1 = save_checkpoint(res.model, path, metrics={"a": 1})
    d2 = save_checkpoint(res.model, path, metrics={"a": 2})
    assert d1 != d2 and load_checkpoint(path).metrics == {"a": 2}
    assert sorted(os.listdir(tmp_path)) == ["m.pt"]


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED_MARKER",))


@pytest.mark.parametrize("how", ["torch", "raw_pickle"])
def test_malicious_pickle_is_refused(tmp_path, monkeypatch, how):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    payload = {"format": "hea-campaign-ssvae", "state_dict": {}, "x": _Evil()}
    if how == "torch":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(path)
    assert not (tmp_path / "PWNED_MARKER").exists()


def test_wrong_hash_corrupt_and_foreign_files(trained, tmp_path):
    res, _ = trained
    path = tmp_path / "m.pt"
    save_checkpoint(res.model, path)
    with pytest.raises(CheckpointError, match="sha256"):
        load_checkpoint(path, expected_sha256="0" * 64)
    bad = tmp_path / "trunc.pt"
    bad.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError):
        load_checkpoint(bad)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="not an SSVAE"):
        load_checkpoint(other)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_unstorable_metrics_rejected(trained, tmp_path):
    res, _ = trained
    with pytest.raises(TypeError):
        save_checkpoint(res.model, tmp_path / "m.pt", metrics={"obj": object()})
    assert not any(tmp_path.iterdir())


def _full_after(monkeypatch, nbytes: int):
    """Files opened with os.fdopen take ``nbytes``, then the disk is full (part of a write goes in first)."""
    from tests.disk_full import full_after

    full_after(monkeypatch, nbytes)


def test_a_full_disk_raises_an_oserror_naming_the_checkpoint_and_leaves_no_file(trained, tmp_path, monkeypatch):
    """torch.save reports a failed write as RuntimeError("... unexpected pos ..."): the errno was lost."""
    import errno

    res, _ = trained
    path = tmp_path / "m.pt"
    _full_after(monkeypatch, 5000)
    with pytest.raises(OSError) as got:
        save_checkpoint(res.model, path, metrics=res.metrics)
    assert got.value.errno == errno.ENOSPC and got.value.filename == str(path)
    assert list(tmp_path.iterdir()) == []
