"""A large batch scored over several Python threads (model/ssvae.py ``_head_probs``) gives the scores
of one thread, bit for bit, and the threads really run."""

from __future__ import annotations

import numpy as np
import torch

from hea_campaign.campaign.screening import enumerate_space
from hea_campaign.model import ssvae, threads
from hea_campaign.model.threads import POLICIES, work_threads


def _space(model) -> np.ndarray:
    X = np.concatenate(list(enumerate_space(["Fe", "Ni", "Co", "Cr", "Al", "Ti"], model.vocabulary, step=0.05)))
    assert len(X) >= POLICIES["screening"].min_rows  # large enough to be split
    return X


def test_a_split_batch_scores_exactly_as_one_thread(trained, monkeypatch):
    model = trained[0].model
    X = _space(model)
    monkeypatch.delenv(threads.ENV, raising=False)
    with work_threads("screening", fixed=1):  # an outer choice: one part, this thread
        one_p, one_s = model.predict_proba(X, return_std=True)
    monkeypatch.setattr(threads, "cores", lambda: 3)  # three parts even on a one-core machine
    seen: list[int] = []
    real = threads.map_split

    def spy(kind, parts, fn):
        seen.append(len(parts))
        return real(kind, parts, fn)

    monkeypatch.setattr(ssvae, "map_split", spy)
    split_p, split_s = model.predict_proba(X, return_std=True)
    assert seen == [3]
    assert np.array_equal(one_p, split_p) and np.array_equal(one_s, split_s)
    assert torch.get_num_threads() >= 1 and threads.current() is None  # nothing left set


def test_worker_threads_score_without_building_a_graph(trained, monkeypatch):
    """Grad mode is per thread: a worker must not record the heads for autograd."""
    model = trained[0].model
    X = _space(model)[:POLICIES["screening"].min_rows]
    monkeypatch.setattr(threads, "cores", lambda: 2)
    monkeypatch.delenv(threads.ENV, raising=False)
    parts: list = []
    real = threads.map_split

    def keep(kind, ps, fn):
        out = real(kind, ps, fn)
        parts.extend(out)
        return out

    monkeypatch.setattr(ssvae, "map_split", keep)
    model.predict_proba(X)
    assert len(parts) == 2 and not any(p.requires_grad for p in parts)
