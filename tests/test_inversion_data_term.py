"""The proximal loop's data term stays bounded in memory without changing what it measures.

At lab scale the smooth minimum runs over every labelled row, as it always
did; beyond ``EVERY_ROW_BUDGET`` it runs over each start's nearest rows.
Leaving far rows out of a logsumexp can only raise the smooth minimum, and by
no more than what those rows could add, which is what these tests pin down.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hea_campaign.campaign import inversion
from hea_campaign.campaign.inversion import Caution, _NearestData, invert


def _fractions(rng, n, v=12, k=5):
    x = np.zeros((n, v))
    for row in x:
        cols = rng.choice(v, size=k, replace=False)
        row[cols] = rng.dirichlet(np.ones(k))
    return x


def _full_smooth_min(x, rows):
    d = 50.0 * np.sqrt((x[:, None, :] - rows[None]) ** 2 + 1e-10).sum(-1)
    return -2.0 * np.logaddexp.reduce(-d / 2.0, axis=1), np.sort(d, axis=1)


def test_every_row_is_used_while_it_fits_the_budget():
    rng = np.random.default_rng(0)
    rows, x = _fractions(rng, 300), _fractions(rng, 7)
    near = _NearestData(rows, len(x))
    assert near.k == len(rows) and near.every_row
    near.choose(x)
    full, _ = _full_smooth_min(x, rows)
    assert near.distance(torch.as_tensor(x)).numpy() == pytest.approx(full, abs=1e-9)


def test_beyond_the_budget_each_start_uses_its_nearest_rows(monkeypatch):
    monkeypatch.setattr(inversion, "EVERY_ROW_BUDGET", 0)
    monkeypatch.setattr(inversion, "NEAREST_BUDGET", 7 * 12 * 100)  # k = 100 of 2000 rows
    rng = np.random.default_rng(1)
    rows, x = _fractions(rng, 2000), _fractions(rng, 7)
    near = _NearestData(rows, len(x))
    assert near.k == 100 and not near.every_row
    near.choose(x)
    assert near.data.shape == (7, 100, 12)
    bounded = near.distance(torch.as_tensor(x)).numpy()
    full, d_sorted = _full_smooth_min(x, rows)
    # every kept row is among the 100 nearest: the bounded term is the full one minus far rows
    slack = 2.0 * np.log1p((len(rows) - 100) * np.exp(-(d_sorted[:, 100] - d_sorted[:, 0]) / 2.0))
    assert np.all(bounded >= full - 1e-9)
    assert np.all(bounded - full <= slack + 1e-9)
    # and it never falls below the true nearest distance minus the smoothing of the kept rows
    assert np.all(bounded >= d_sorted[:, 0] - 2.0 * np.log(100) - 1e-9)


def _far_rows(n, v, elements):
    """Alloys made only of ``elements`` (none of the starts'): 100 at.% from every start."""
    x = np.zeros((n, v))
    x[:, elements] = np.random.default_rng(4).dirichlet(np.ones(len(elements)), size=n)
    return x


def test_the_bounded_loop_takes_the_same_path_when_far_rows_do_not_count(trained_store, monkeypatch):
    """60 labelled rows near the starts and 1500 made of other elements: with the budget cut
    to 64 rows per start, the loop must find the 60 near ones and walk exactly as with all rows."""
    from hea_campaign.campaign.chemistry import parse_formula
    from hea_campaign.campaign.model_versions import get_version, load_version
    from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V

    model, _, _ = load_version(get_version(trained_store))
    starts = np.stack([parse_formula(f).vector(V) for f in ["AlCoCrFeNiTi", "Al0.5CoCrCuFeNi"]])
    rng = np.random.default_rng(3)
    near = []
    for s in starts:
        for _ in range(30):
            r = np.clip(s + rng.normal(0, 0.03, size=s.shape) * (s > 0), 0, None)
            near.append(r / r.sum())
    far_elements = [V.index(e) for e in ("W", "Mo", "Nb", "Ta", "Hf", "Zr")]
    rows = np.vstack([near, _far_rows(1500, len(V), far_elements)])
    caution = Caution(data_rows=rows, data_radius=1.0, data_weight=0.5)
    kwargs = dict(mode="proximal", cutoff=0.99, max_steps=40, keep_elements=True, caution=caution)

    full = invert(model, starts, **kwargs)
    monkeypatch.setattr(inversion, "EVERY_ROW_BUDGET", 0)
    monkeypatch.setattr(inversion, "NEAREST_BUDGET", len(starts) * len(V) * 64)
    assert _NearestData(rows, len(starts)).k == 64
    bounded = invert(model, starts, **kwargs)
    assert np.array_equal(full.steps, bounded.steps)
    assert np.allclose(full.final, bounded.final)
    assert [len(p) for p in full.paths] == [len(p) for p in bounded.paths]
    for a, b in zip(full.paths, bounded.paths):
        assert all(np.allclose(xa, xb) for (xa, _), (xb, _) in zip(a, b))


def test_the_loops_adam_steps_exactly_as_torchs():
    """The proximal loop's own Adam (it spares the import torch.optim.Adam triggers) takes the same steps."""
    from hea_campaign.campaign.inversion import _Adam

    gen = torch.Generator().manual_seed(0)
    a = torch.randn(5, 30, dtype=torch.float64, generator=gen).requires_grad_(True)
    b = a.detach().clone().requires_grad_(True)
    ours, theirs = _Adam(a, 0.05), torch.optim.Adam([b], lr=0.05)
    for _ in range(150):
        w = torch.randn(5, 30, dtype=torch.float64, generator=gen)
        for theta, opt in ((a, ours), (b, theirs)):
            theta.grad = None
            ((torch.softmax(theta, -1) * w).sum() + 0.01 * (theta**2).sum()).backward()
            opt.step()
    assert torch.equal(a, b)


def test_a_batch_split_over_threads_walks_exactly_as_in_one(trained_store, monkeypatch):
    """The proximal loop over parts of the batch in Python threads: every start's path, result and
    score bit for bit as in one thread, the data term and a per-start element mask included."""
    from hea_campaign.campaign.model_versions import get_version, load_version
    from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V

    model, _, _ = load_version(get_version(trained_store))
    rng = np.random.default_rng(5)
    starts = _fractions(rng, 13, v=len(V), k=5)
    allowed = rng.random((13, len(V))) < 0.7
    caution = Caution(data_rows=_fractions(rng, 200, v=len(V), k=5), data_radius=1.0, data_weight=0.5)
    kwargs = dict(mode="proximal", cutoff=0.95, max_steps=25, allowed=allowed, caution=caution)
    runs = {}
    for workers in ("1", "3"):
        monkeypatch.setenv("HEA_CAMPAIGN_THREADS", workers)
        before = torch.get_num_threads()
        runs[workers] = invert(model, starts, **kwargs)
        assert torch.get_num_threads() == before and not model.training
    one, split = runs["1"], runs["3"]
    for name in ("start", "final", "p_start", "p_final", "steps", "reached", "z_final"):
        assert np.array_equal(getattr(one, name), getattr(split, name)), name
    assert len(one.paths) == len(split.paths) == 13
    for a, b in zip(one.paths, split.paths, strict=True):
        assert len(a) == len(b) and all(np.array_equal(xa, xb) and pa == pb for (xa, pa), (xb, pb) in zip(a, b))
    assert one.steps.max() > 1  # the loop really walked
