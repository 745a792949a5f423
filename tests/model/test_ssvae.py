"""The SSVAE objective: shapes, exact enumeration, agreement with Pyro."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hea_campaign.model.ssvae import SSVAE, DescriptorScaler, SSVAEConfig


def _tiny(seed_data, n=4, seed=0):
    X, y, _ = seed_data
    torch.manual_seed(seed)
    cfg = SSVAEConfig(encoder_hidden=(16,), decoder_hidden=(16,), classifier_hidden=(8,), n_heads=2,
                      dropout=0.0, prior_r=0.3)
    idx = np.array([0, 10, 500, 900])[:n]
    m = SSVAE(cfg)
    m.scaler = DescriptorScaler.fit(m.descriptors(X))
    m.eval()
    f = torch.as_tensor(X[idx], dtype=torch.float32)
    d = torch.as_tensor(m.scaler.transform(m.descriptors(X[idx])), dtype=torch.float32)
    return m, f, d, torch.as_tensor(y[idx], dtype=torch.float32)


def test_elbo_pieces_shapes_and_finite(seed_data):
    m, f, d, y = _tiny(seed_data)
    eps = torch.randn(len(f), m.config.latent_dim)
    el = m.elbo_labelled(f, y, eps)
    eu = m.elbo_unlabelled(f, d, eps)
    ll = m.classifier_loglik(d, y)
    for t in (el, eu, ll):
        assert t.shape == (len(f),)
        assert torch.isfinite(t).all()
    assert (ll <= 0).all()
    out = m.loss((f, d, y), (f, d))
    assert set(out) >= {"loss", "elbo_lab", "elbo_unlab", "clf"}
    assert all(torch.isfinite(v) for v in out.values())
    loc, scale = m.encode_t(f, y)
    assert loc.shape == scale.shape == (len(f), m.config.latent_dim) and (scale > 0).all()


def test_enumeration_equals_bruteforce_sum(seed_data):
    m, f, d, _ = _tiny(seed_data)
    eps = torch.randn(len(f), m.config.latent_dim)
    got = m.elbo_unlabelled(f, d, eps)
    p1 = m.prob_t(d)
    want = torch.zeros(len(f))
    for label in (0.0, 1.0):  # one pass per class, explicit
        q = p1 if label else 1 - p1
        e = m.elbo_labelled(f, torch.full((len(f),), label), eps)
        want = want + q * (e - torch.log(q))
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("labelled", [False, True])
def test_elbo_matches_pyro_traceenum(seed_data, labelled):
    import pyro
    from pyro.infer import TraceEnum_ELBO

    m, f, d, y = _tiny(seed_data)
    S = 50000
    with torch.no_grad():
        eps = torch.randn(S, len(f), m.config.latent_dim, generator=torch.Generator().manual_seed(1))
        if labelled:
            ours = m.elbo_labelled(f, y, eps).sum(-1).mean()
        else:
            ours = m.elbo_unlabelled(f, d, eps).sum(-1).mean()
        pyro.clear_param_store()
        pyro.set_rng_seed(2)
        elbo = TraceEnum_ELBO(num_particles=S, vectorize_particles=True, max_plate_nesting=1)
        pyro_elbo = -elbo.loss(m.model, m.guide, f, d, y if labelled else None)
    # both are Monte Carlo estimates of the same expectation (the y sum is exact)
    assert abs(float(ours) - pyro_elbo) < 0.3, (float(ours), pyro_elbo)
    # and the check is sharp enough to see a missing entropy term (~0.5 nat/row)
    if not labelled:
        p = m.prob_t(d)
        H = -(p * p.log() + (1 - p) * (1 - p).log()).sum().detach()
        assert abs(float(ours - H) - pyro_elbo) > 0.3


def test_supervised_only_loss_has_no_vae_terms(seed_data):
    m, f, d, y = _tiny(seed_data)
    m.config = m.config.replace(supervised_only=True)
    out = m.loss((f, d, y), (f, d))
    assert float(out["elbo_unlab"]) == 0.0 and float(out["elbo_lab"]) == 0.0
    torch.testing.assert_close(out["loss"], -m.config.gamma * m.classifier_loglik(d, y).mean())


def test_numpy_api_shapes(seed_data):
    m, f, d, y = _tiny(seed_data)
    X = f.double().numpy()
    p, sd = m.predict_proba(X, return_std=True)
    assert p.shape == sd.shape == (len(X),) and np.all((p > 0) & (p < 1))
    z, s = m.encode(X, 1.0)
    assert z.shape == (len(X), 2) and np.all(s > 0)
    rec = m.decode(z, [1, 0, 1, 0])
    assert rec.shape == X.shape
    np.testing.assert_allclose(rec.sum(1), 1.0, atol=1e-5)
    lg = m.classifier_logits(X)
    np.testing.assert_allclose(1 / (1 + np.exp(-lg)), p, atol=1e-5)
    assert m.classifier_logits(X, per_head=True).shape == (m.config.n_heads, len(X))
    with pytest.raises(ValueError):
        m.predict_proba(np.ones((2, 5)))


def test_config_round_trip():
    cfg = SSVAEConfig(latent_dim=3, classifier_hidden=(7, 5), gamma=12.5)
    again = SSVAEConfig.from_dict(cfg.to_dict())
    assert again == cfg
    assert cfg.replace(seed=4).seed == 4 and cfg.seed == 0
