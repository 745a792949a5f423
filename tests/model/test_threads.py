"""Threads chosen per kind of work (model/threads.py): what is set inside a block, what is restored."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

from hea_campaign.model import threads
from hea_campaign.model.threads import POLICIES, choose, current, work_threads


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_a_fixed_count_is_set_for_torch_and_blas_and_restored(monkeypatch):
    monkeypatch.setenv(threads.ENV, "3")
    torch.set_num_threads(2)
    before_blas = _blas_threads()
    with work_threads("screening", rows=10**6) as s:
        assert s.threads == 3 and "HEA_CAMPAIGN_THREADS" in s.reason
        assert torch.get_num_threads() == 3
        if before_blas:  # numpy's BLAS is loaded
            assert _blas_threads() == {3}
    assert torch.get_num_threads() == 2
    assert _blas_threads() == before_blas


def test_small_batches_and_training_get_one_thread(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    small = POLICIES["inversion"].min_rows - 1
    assert choose("inversion", rows=small).threads == 1
    assert choose("training").threads == 1
    assert choose("training", fixed=2).threads == 2  # a configuration's own count wins


def test_the_measured_idle_cores_bound_the_count(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    idle = threads.idle_cores()
    assert 0.0 <= idle <= threads.cores()
    monkeypatch.setattr(threads, "idle_cores", lambda: 0.3)
    assert choose("screening", rows=10**6).threads == 1
    monkeypatch.setattr(threads, "idle_cores", lambda: 64.0)
    assert choose("screening", rows=10**6).threads == threads.cores()


def test_nested_blocks_keep_the_outer_choice(monkeypatch):
    monkeypatch.setenv(threads.ENV, "2")
    with work_threads("screening", rows=10**6) as outer:
        monkeypatch.setenv(threads.ENV, "1")
        with work_threads("descriptors", rows=10**6) as inner:
            assert inner is outer and torch.get_num_threads() == 2
    assert current() is None


def test_an_error_inside_the_block_restores_the_threads(monkeypatch):
    monkeypatch.setenv(threads.ENV, "3")
    torch.set_num_threads(1)
    with pytest.raises(RuntimeError), work_threads("inversion", rows=10**4):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 1 and current() is None


def test_inversion_and_screening_scores_do_not_depend_on_the_count(trained, seed_data, monkeypatch):
    from hea_campaign.campaign.inversion import invert

    model = trained[0].model
    X, y, _ = seed_data
    starts = X[y == 0][:40]
    seen = []
    real = model.predict_proba

    def spy(x, **kw):
        seen.append(current())
        return real(x, **kw)

    monkeypatch.setattr(model, "predict_proba", spy)
    results = []
    for n in ("1", "2"):
        monkeypatch.setenv(threads.ENV, n)
        seen.clear()
        results.append(invert(model, starts, mode="paper", cutoff=0.6))
        assert seen and all(s is not None and s.kind == "decoding" and s.threads == int(n) for s in seen)
    np.testing.assert_allclose(results[0].final, results[1].final)
    np.testing.assert_allclose(results[0].p_final, results[1].p_final, rtol=1e-5, atol=1e-6)


def test_a_batch_is_split_over_the_cores_unless_small_or_fixed(monkeypatch):
    from hea_campaign.model.threads import POLICIES, cores, split_workers

    monkeypatch.delenv("HEA_CAMPAIGN_THREADS", raising=False)
    small = POLICIES["inversion"].min_rows - 1
    assert split_workers("inversion", small) == 1
    assert split_workers("inversion", 10**6) == cores()
    monkeypatch.setenv("HEA_CAMPAIGN_THREADS", "3")
    assert split_workers("inversion", small) == 3


def test_the_decoding_loops_get_one_thread_even_on_an_idle_machine(monkeypatch):
    monkeypatch.delenv("HEA_CAMPAIGN_THREADS", raising=False)
    monkeypatch.setattr(threads, "idle_cores", lambda: 2.0)
    assert choose("inversion", rows=10**4).threads == min(2, threads.cores())
    assert choose("decoding", rows=10**4).threads == 1
