"""Spatial index and bounded-memory blocks give the brute-force answers (ties included)."""

from __future__ import annotations

import numpy as np
import pytest

from hea_campaign.campaign import uncertainty
from hea_campaign.campaign.known_alloys import MeasuredAlloys, find_known, nearest_rows, with_rest
from hea_campaign.campaign.uncertainty import latent_density, nearest_neighbour


def _grid_rows(rng, n, v=6, step=0.05):
    """Compositions on a coarse grid, so many distances tie."""
    units = int(round(1 / step))
    out = np.zeros((n, v))
    for i in range(n):
        cuts = np.sort(rng.integers(0, units + 1, size=v - 1))
        out[i] = np.diff(np.concatenate([[0], cuts, [units]])) / units
    return out


def _brute(X, ref):
    return 50.0 * np.abs(X[:, None, :] - ref[None, :, :]).sum(-1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_rows_and_leave_one_out_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    ref = _grid_rows(rng, 300)
    X = _grid_rows(rng, 120)
    d = _brute(X, ref)
    idx, dist = nearest_rows(X, ref, 3)
    for i in range(len(X)):
        want = np.argsort(d[i], kind="stable")[:3]
        assert idx[i].tolist() == want.tolist()
        np.testing.assert_array_equal(dist[i], d[i, want])
    j, nn = nearest_neighbour(X, ref)
    assert j.tolist() == np.argmin(d, axis=1).tolist()
    own = _brute(ref, ref)
    np.fill_diagonal(own, np.inf)
    j, nn = nearest_neighbour(ref, ref, leave_one_out=True)
    np.testing.assert_array_equal(nn, own.min(axis=1))


def _jitter(rng, rows: np.ndarray) -> np.ndarray:
    """Near copies of ``rows``: each element they have moved by under 0.8 at.%, the same elements, the same sum."""
    has = rows > 0
    noise = rng.uniform(-0.004, 0.004, size=rows.shape) * has
    return rows + noise - has * (noise.sum(axis=1, keepdims=True) / has.sum(axis=1, keepdims=True))


def _same_elements(Xa: np.ndarray, refa: np.ndarray) -> np.ndarray:
    """(N, M): no element above 1 at.% in one row that the other lacks (a known alloy must not have one)."""
    a, r = Xa[:, None, :], refa[None, :, :]
    lacks = ((a > 1e-6) != (r > 1e-6)) & (np.maximum(a, r) > 0.01 + 1e-9)
    return ~lacks.any(-1)


def test_find_known_matches_the_full_comparison():
    rng = np.random.default_rng(3)
    ref = _grid_rows(rng, 200)
    X = np.vstack([_jitter(rng, ref[:40]), _grid_rows(rng, 60)])
    measured = MeasuredAlloys(ref, [f"a{i}" for i in range(len(ref))], ["single phase"] * len(ref))
    got = find_known(X, measured, 0.01)
    Xa, refa = with_rest(X), with_rest(ref)  # the share outside the vocabulary counts as an element
    close = (np.abs(Xa[:, None, :] - refa[None, :, :]).max(-1) <= 0.01 + 1e-9) & _same_elements(Xa, refa)
    d = _brute(Xa, refa)
    want = {i: int(np.argmin(np.where(close[i], d[i], np.inf))) for i in np.flatnonzero(close.any(axis=1))}
    assert {i: m.formula for i, m in got.items()} == {i: f"a{j}" for i, j in want.items()}
    assert len(got) >= 40


def test_latent_density_in_blocks_equals_one_block(monkeypatch):
    rng = np.random.default_rng(4)
    pts, centres = rng.normal(size=(500, 2)), rng.normal(size=(300, 2))
    one = latent_density(pts, centres, 0.3)
    loo = latent_density(centres, centres, 0.3, leave_one_out=True)
    monkeypatch.setattr(uncertainty, "DENSITY_BLOCK", 1000)  # 3 rows per block
    np.testing.assert_allclose(latent_density(pts, centres, 0.3), one, rtol=1e-12)
    np.testing.assert_allclose(latent_density(centres, centres, 0.3, leave_one_out=True), loo, rtol=1e-12)
    k = np.exp(-0.5 * ((centres[:, None] - centres[None]) ** 2).sum(-1) / 0.09)
    np.fill_diagonal(k, 0)
    np.testing.assert_allclose(loo, k.sum(1) / (299 * 2 * np.pi * 0.09), rtol=1e-12)


def test_sampled_own_densities_are_the_leave_one_out_ones(monkeypatch):
    rng = np.random.default_rng(5)
    latent = rng.normal(size=(400, 2))
    full = latent_density(latent, latent, 0.25, leave_one_out=True)
    monkeypatch.setattr(uncertainty, "DENSITY_SAMPLE", 100)
    sampled = uncertainty._own_densities(latent, 0.25)
    pick = np.sort(np.random.default_rng(0).choice(400, size=100, replace=False))
    np.testing.assert_allclose(sampled, full[pick], rtol=1e-9)
    monkeypatch.setattr(uncertainty, "DENSITY_SAMPLE", 1000)
    np.testing.assert_array_equal(uncertainty._own_densities(latent, 0.25), full)


def test_sampled_own_nearest_distances_are_the_leave_one_out_ones(monkeypatch):
    rng = np.random.default_rng(6)
    ref = _grid_rows(rng, 250)
    ref = np.vstack([ref, ref[:5]])  # duplicates: distance 0 to another row
    own = _brute(ref, ref)
    np.fill_diagonal(own, np.inf)
    monkeypatch.setattr(uncertainty, "DENSITY_SAMPLE", 60)
    _, d = uncertainty._own_nearest(ref)
    pick = np.sort(np.random.default_rng(0).choice(len(ref), size=60, replace=False))
    np.testing.assert_array_equal(d, own.min(axis=1)[pick])


def _sparse_rows(rng, n, v=30, grid=False):
    """Alloys of 4-6 of v elements (as the vocabulary gives them), on a 5 at.% grid or not."""
    out = np.zeros((n, v))
    for i in range(n):
        k = int(rng.integers(4, 7))
        els = rng.choice(v, size=k, replace=False)
        if grid:
            cuts = np.sort(rng.integers(0, 21, size=k - 1))
            out[i, els] = np.diff(np.concatenate([[0], cuts, [20]])) / 20
        else:
            out[i, els] = rng.dirichlet(np.ones(k))
    return out


@pytest.mark.parametrize("seed", [7, 8])
def test_pruned_searches_on_sparse_alloys_match_every_pair(seed):
    """nearest_rows and find_known skip pairs by bounds; on alloys of a few of 30 elements (most
    pairs skipped), rows off the simplex (elements outside the vocabulary left out), near copies
    and exact ties they give what comparing every pair gives."""
    rng = np.random.default_rng(seed)
    ref = np.vstack([_sparse_rows(rng, 400), _sparse_rows(rng, 400, grid=True)])
    ref[:10] *= 0.8
    ref = np.vstack([ref, ref[400:410]])  # exact duplicates: ties broken by the lower index
    X = np.vstack([_sparse_rows(rng, 60), _sparse_rows(rng, 60, grid=True),
                   _jitter(rng, ref[:30]), ref[400:420]])
    d = _brute(X, ref)
    for k in (1, 3):
        idx, dist = nearest_rows(X, ref, k)
        for i in range(len(X)):
            want = np.argsort(d[i], kind="stable")[:k]
            assert idx[i].tolist() == want.tolist(), (k, i)
            np.testing.assert_array_equal(dist[i], d[i, want])
    measured = MeasuredAlloys(ref, [f"a{i}" for i in range(len(ref))], ["single phase"] * len(ref))
    Xa, refa = with_rest(X), with_rest(ref)  # the share outside the vocabulary counts as an element
    d = _brute(Xa, refa)
    for g in (0.01, 0.05):
        got = find_known(X, measured, g)
        gap = np.abs(Xa[:, None, :] - refa[None, :, :]).max(-1)
        close = ((gap < g - 1e-9) | (gap <= 0.01 + 1e-9)) & _same_elements(Xa, refa)
        want = {i: int(np.argmin(np.where(close[i], d[i], np.inf))) for i in np.flatnonzero(close.any(axis=1))}
        assert {i: m.formula for i, m in got.items()} == {i: f"a{j}" for i, j in want.items()}
        assert all(m.distance == round(float(d[i, want[i]]), 2) for i, m in got.items())
        assert len(got) >= 40
    # not fractions (a negative entry): every pair compared, same answer
    Xn = X.copy()
    Xn[0, 0] = -0.1
    idx, dist = nearest_rows(Xn, ref, 2)
    dn = _brute(Xn, ref)
    assert idx[:, 0].tolist() == np.argmin(dn, axis=1).tolist()
