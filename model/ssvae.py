"""The disentangled semi-supervised VAE (M2 shape, Kingma et al. 2014).

Generative model, for an alloy with fractions c over the vocabulary::

    z ~ Normal(0, I_L)                      (L = latent_dim, default 2)
    y ~ Bernoulli(r)                        (1 = single phase; r = prior_r)
    x ~ Multinomial(T, logits=decoder(z, y))  with x = T * c, T = total_count

Recognition model (guide)::

    q(y | x)    = Bernoulli(p_single(f(x)))  classifier on the STANDARDISED
                                             descriptors f(x) only
    q(z | x, y) = Normal(encoder(c, y))

``model`` and ``guide`` below are the Pyro specification. Training uses
``SSVAE.loss``, a vectorised torch implementation of the same objective (y
enumerated exactly for unlabelled rows, KL of the Gaussians in closed form);
tests check that it equals Pyro's ``TraceEnum_ELBO`` on the specification.

The classifier is a small ensemble of heads (``n_heads``) that share nothing
but their input; q(y|x) uses the mean of their probabilities and the spread
between heads is available to callers (``predict_proba(..., return_std=True)``)
for the design engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .descriptors import featurize
from .threads import current, map_split, split_workers, work_threads
from .vocabulary import DEFAULT_VOCABULARY

__all__ = [
    "SSVAEConfig",
    "DescriptorScaler",
    "SSVAE",
]

# Rows per block in SSVAE.predict_proba (see there).
PREDICT_BLOCK_ROWS = 2048


# --------------------------------------------------------------------------- config


@dataclass
class SSVAEConfig:
    """Every setting of the model and of its training (stored in checkpoints)."""

    latent_dim: int = 2
    encoder_hidden: tuple[int, ...] = (100, 100)
    decoder_hidden: tuple[int, ...] = (100, 100)
    classifier_hidden: tuple[int, ...] = (64, 64)
    n_heads: int = 10
    dropout: float = 0.0
    activation: str = "relu"  # classifier heads: "relu" or "softplus"
    bootstrap: bool = True  # each head sees its own bootstrap resample of the labelled rows
    prior_r: float = 0.5
    total_count: float = 100.0
    gamma: float = 50.0
    # weight of the VAE terms (labelled and unlabelled ELBO); 0 with
    # supervised_only=True gives the plain classifier head
    unlabelled_weight: float = 1.0
    supervised_only: bool = False
    lr: float = 3e-3
    weight_decay: float = 0.05  # decoupled (AdamW)
    epochs: int = 600
    batch_size: int = 0  # 0 = full batch
    patience: int = 200
    eval_every: int = 10
    select_on: str = "accuracy_auc"  # validation criterion: "log_loss", "auc" or "accuracy_auc"
    seed: int = 0
    # torch intra-op threads while training. 1 by default: the networks are tiny,
    # and with 2 threads on 2 busy cores OpenMP spin-waiting made one training
    # ~10x slower (172 s vs 18 s measured), so 1 is both faster and robust.
    num_threads: int = 1
    background_size: int = 16  # k-means summary of training descriptors (SHAP)
    # warm start (train(init=...)): the encoder and decoder continue; the classifier
    # heads start afresh and are selected on validation again, as in a cold training
    # (False), or continue from their selected epoch (True).  In simulated campaigns
    # (10 rounds of 8 on yan2021, accuracy on pool alloys never revealed, not the test
    # set) fresh heads were better at 160 experiments: 0.80 vs 0.76 over 3 repeats.
    warm_classifier: bool = False
    vocabulary: tuple[str, ...] = field(default_factory=lambda: tuple(DEFAULT_VOCABULARY))

    def to_dict(self) -> dict:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> SSVAEConfig:
        known = {f.name: f for f in fields(cls)}
        kw = {}
        for k, v in d.items():
            if k not in known:
                continue  # settings from a newer version are ignored
            if isinstance(v, list):
                v = tuple(v)
            kw[k] = v
        return cls(**kw)

    def replace(self, **changes) -> SSVAEConfig:
        d = self.to_dict()
        d.update(changes)
        return SSVAEConfig.from_dict(d)


# --------------------------------------------------------------------------- scaler


class DescriptorScaler:
    """Standardisation of the 8 descriptors, fitted on training rows only."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray):
        self.mean = np.asarray(mean, dtype=np.float64).copy()
        self.scale = np.asarray(scale, dtype=np.float64).copy()

    @classmethod
    def fit(cls, descriptors: np.ndarray) -> DescriptorScaler:
        d = np.asarray(descriptors, dtype=np.float64)
        sd = d.std(axis=0)
        sd = np.where(sd > 1e-12, sd, 1.0)
        return cls(d.mean(axis=0), sd)

    def transform(self, descriptors: np.ndarray) -> np.ndarray:
        return (np.asarray(descriptors, dtype=np.float64) - self.mean) / self.scale

    def inverse_transform(self, standardised: np.ndarray) -> np.ndarray:
        return np.asarray(standardised, dtype=np.float64) * self.scale + self.mean

    def transform_torch(self, descriptors: torch.Tensor) -> torch.Tensor:
        """Differentiable standardisation for torch callers (design engine)."""
        m = torch.as_tensor(self.mean, dtype=descriptors.dtype, device=descriptors.device)
        s = torch.as_tensor(self.scale, dtype=descriptors.dtype, device=descriptors.device)
        return (descriptors - m) / s

    def to_dict(self) -> dict:
        return {"mean": [float(v) for v in self.mean], "scale": [float(v) for v in self.scale]}

    @classmethod
    def from_dict(cls, d: dict) -> DescriptorScaler:
        return cls(np.asarray(d["mean"], dtype=np.float64), np.asarray(d["scale"], dtype=np.float64))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DescriptorScaler)
            and np.array_equal(self.mean, other.mean)
            and np.array_equal(self.scale, other.scale)
        )


# --------------------------------------------------------------------------- networks


def _mlp(sizes: Sequence[int], dropout: float = 0.0) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.Softplus())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class EnsembleLinear(nn.Module):
    """K independent linear layers applied in one batched product."""

    def __init__(self, n_models: int, in_features: int, out_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_models, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_models, 1, out_features))
        bound = 1.0 / math.sqrt(in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, in) shared input or (K, N, in) per-model input -> (K, N, out)
        if x.dim() == 2:
            return torch.einsum("ni,kio->kno", x, self.weight) + self.bias
        return torch.baddbmm(self.bias, x, self.weight)


class EnsembleClassifier(nn.Module):
    """n_heads MLPs on the standardised descriptors; returns (K, N) logits."""

    def __init__(self, n_heads: int, in_features: int, hidden: Sequence[int], dropout: float,
                 activation: str = "relu"):
        super().__init__()
        if activation not in ("relu", "softplus"):
            raise ValueError(f"unknown activation {activation!r}")
        self.act = F.relu if activation == "relu" else F.softplus
        sizes = [in_features, *hidden, 1]
        self.layers = nn.ModuleList(EnsembleLinear(n_heads, a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dropout = dropout

    def forward(self, d_std: torch.Tensor) -> torch.Tensor:
        h = d_std
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = self.act(h)
                if self.dropout > 0:
                    h = F.dropout(h, self.dropout, self.training)
        return h.squeeze(-1)


# --------------------------------------------------------------------------- the model


class SSVAE(nn.Module):
    """Semi-supervised disentangled VAE; numpy API for callers, torch API inside."""

    n_descriptors = 8

    def __init__(self, config: SSVAEConfig | None = None, scaler: DescriptorScaler | None = None):
        super().__init__()
        self.config = config or SSVAEConfig()
        c = self.config
        self.vocabulary: tuple[str, ...] = tuple(c.vocabulary)
        V, L = len(self.vocabulary), c.latent_dim
        self.encoder = _mlp([V + 1, *c.encoder_hidden, 2 * L])
        self.decoder = _mlp([L + 1, *c.decoder_hidden, V])
        self.classifier = EnsembleClassifier(
            c.n_heads, self.n_descriptors, c.classifier_hidden, c.dropout, c.activation
        )
        self.scaler = scaler or DescriptorScaler(np.zeros(self.n_descriptors), np.ones(self.n_descriptors))
        # k-means summary of the standardised training descriptors (SHAP background)
        self.register_buffer("background", torch.zeros(0, self.n_descriptors))
        self.register_buffer("background_weights", torch.zeros(0))

    # ----------------------------------------------------------- torch-level pieces

    @property
    def descriptor_scaler(self) -> DescriptorScaler:
        """The standardisation of f(x) fitted on the training rows."""
        return self.scaler

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    def descriptors(self, fractions: np.ndarray) -> np.ndarray:
        """Raw descriptors f(x) (N, 8) of fraction rows (numpy)."""
        return featurize(np.asarray(fractions, dtype=np.float64), self.vocabulary)

    def standardise(self, fractions: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(self.scaler.transform(self.descriptors(fractions)), dtype=torch.float32)

    def head_logits_t(self, d_std: torch.Tensor) -> torch.Tensor:
        """Per-head logits (K, N) from standardised descriptors (N, 8)."""
        return self.classifier(d_std)

    def prob_t(self, d_std: torch.Tensor) -> torch.Tensor:
        """q(y=1 | x): mean of the heads' probabilities, (N,)."""
        return torch.sigmoid(self.classifier(d_std)).mean(0)

    def logit_t(self, d_std: torch.Tensor) -> torch.Tensor:
        """Logit of the ensemble probability (N,), numerically safe."""
        h = self.classifier(d_std)
        return torch.logsumexp(F.logsigmoid(h), 0) - torch.logsumexp(F.logsigmoid(-h), 0)

    def encode_t(self, frac: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z | x, y): loc and scale; broadcasts y of shape (..., N) against frac (N, V)."""
        y = torch.as_tensor(y, dtype=frac.dtype)
        shape = torch.broadcast_shapes(y.shape, frac.shape[:-1])
        inp = torch.cat([frac.expand(*shape, frac.shape[-1]), y.expand(shape).unsqueeze(-1)], -1)
        h = self.encoder(inp)
        loc, raw = h.split(self.config.latent_dim, -1)
        return loc, F.softplus(raw) + 1e-4

    def decode_logits_t(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Logits of p(x | y, z) over the vocabulary, (..., V)."""
        y = torch.as_tensor(y, dtype=z.dtype)
        shape = torch.broadcast_shapes(y.shape, z.shape[:-1])
        inp = torch.cat([z.expand(*shape, z.shape[-1]), y.expand(shape).unsqueeze(-1)], -1)
        return self.decoder(inp)

    # ----------------------------------------------------------- objective

    def _log_multinomial(self, logits: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        # log Multinomial(counts | T, softmax(logits)), continuous in counts
        T = counts.sum(-1)
        const = torch.lgamma(T + 1) - torch.lgamma(counts + 1).sum(-1)
        return const + (counts * F.log_softmax(logits, -1)).sum(-1)

    def elbo_labelled(
        self, frac: torch.Tensor, y: torch.Tensor, eps: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Per-row ELBO with y observed (N,): E_q[log p(x|y,z)] - KL(q(z|x,y)||p(z)) + log p(y).

        With ``eps`` (standard normal noise of shape (..., N, L); leading sample
        dimensions give one estimate per sample) the expectation
        is a one-sample reparameterised estimate; without it, z = loc (used for
        deterministic tests only).
        """
        counts = frac * self.config.total_count
        loc, scale = self.encode_t(frac, y)
        z = loc if eps is None else loc + scale * eps
        rec = self._log_multinomial(self.decode_logits_t(z, y), counts)
        kl = 0.5 * (loc.pow(2) + scale.pow(2) - 1.0 - 2.0 * scale.log()).sum(-1)
        r = self.config.prior_r
        log_py = y * math.log(r) + (1 - y) * math.log1p(-r)
        return rec - kl + log_py

    def elbo_unlabelled(
        self, frac: torch.Tensor, d_std: torch.Tensor, eps: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Per-row ELBO with y summed out exactly (N,):
        sum_y q(y|x) [ELBO(x, y)] + H(q(y|x)); both classes in one batched pass."""
        ys = torch.tensor([0.0, 1.0], dtype=frac.dtype).view(2, 1)
        if eps is not None:
            eps = eps.unsqueeze(-3)  # (..., 1, N, L): the same noise for both classes
        e = self.elbo_labelled(frac, ys, eps)  # (..., 2, N)
        logit = self.logit_t(d_std)
        lq1, lq0 = F.logsigmoid(logit), F.logsigmoid(-logit)
        q1, q0 = lq1.exp(), lq0.exp()
        return q0 * (e[..., 0, :] - lq0) + q1 * (e[..., 1, :] - lq1)

    def classifier_loglik(
        self, d_std: torch.Tensor, y: torch.Tensor, head_weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Per-row log q(y|x) averaged over heads (N,): each head is trained on the
        labels (optionally with per-head row weights (K, N), e.g. bootstrap counts)."""
        logits = self.classifier(d_std)
        ll = -F.binary_cross_entropy_with_logits(logits, y.expand_as(logits), reduction="none")
        if head_weights is not None:
            ll = ll * head_weights
        return ll.mean(0)

    def loss(
        self,
        lab: tuple[torch.Tensor, ...] | None,
        unlab: tuple[torch.Tensor, torch.Tensor] | None,
        generator: torch.Generator | None = None,
        n_total: int | None = None,
    ) -> dict[str, torch.Tensor]:
        """Negative objective for one batch, divided by n_total (or the batch size).

        lab = (fractions, standardised descriptors, y[, per-head weights (K, N)])
        of labelled rows;
        unlab = (fractions, standardised descriptors) of unlabelled rows.
        Returns the total ("loss") and its pieces (all per-row averages).
        """
        c = self.config
        zero = torch.zeros(())
        out = {"elbo_lab": zero, "elbo_unlab": zero, "clf": zero}
        n = 0
        total = zero
        L = c.latent_dim
        if lab is not None and len(lab[0]):
            f, d, y = lab[:3]
            n += len(f)
            ll = self.classifier_loglik(d, y, lab[3] if len(lab) > 3 else None)
            out["clf"] = -ll.mean()
            total = total - c.gamma * ll.sum()
            if not c.supervised_only and c.unlabelled_weight > 0:
                eps = torch.randn(len(f), L, generator=generator)
                el = self.elbo_labelled(f, y, eps)
                out["elbo_lab"] = -el.mean()
                total = total - c.unlabelled_weight * el.sum()
        if unlab is not None and len(unlab[0]) and not c.supervised_only and c.unlabelled_weight > 0:
            f, d = unlab
            n += len(f)
            eps = torch.randn(len(f), L, generator=generator)
            eu = self.elbo_unlabelled(f, d, eps)
            out["elbo_unlab"] = -eu.mean()
            total = total - c.unlabelled_weight * eu.sum()
        out["loss"] = total / max(n_total or n, 1)
        return out

    # ----------------------------------------------------------- Pyro specification

    def model(self, frac: torch.Tensor, d_std: torch.Tensor, y: torch.Tensor | None = None):
        """p(x, y, z) = p(x|y,z) p(y) p(z) as a Pyro program (observes x = T * fractions)."""
        import pyro
        import pyro.distributions as dist

        pyro.module("ssvae", self)
        N, L = frac.shape[0], self.config.latent_dim
        with pyro.plate("data", N):
            z = pyro.sample("z", dist.Normal(frac.new_zeros(N, L), frac.new_ones(N, L)).to_event(1))
            yy = pyro.sample("y", dist.Bernoulli(frac.new_full((N,), self.config.prior_r)), obs=y)
            logits = self.decode_logits_t(z, yy)
            counts = frac * self.config.total_count
            pyro.sample(
                "x",
                dist.Multinomial(int(round(self.config.total_count)), logits=logits, validate_args=False),
                obs=counts,
            )

    def guide(self, frac: torch.Tensor, d_std: torch.Tensor, y: torch.Tensor | None = None):
        """q(y|f(x)) q(z|x,y); y is enumerated in parallel when unobserved."""
        import pyro
        import pyro.distributions as dist

        pyro.module("ssvae", self)
        N = frac.shape[0]
        with pyro.plate("data", N):
            if y is None:
                y = pyro.sample(
                    "y", dist.Bernoulli(logits=self.logit_t(d_std)), infer={"enumerate": "parallel"}
                )
            loc, scale = self.encode_t(frac, y)
            pyro.sample("z", dist.Normal(loc, scale).to_event(1))

    # ----------------------------------------------------------- numpy API

    def _frac(self, fractions: np.ndarray) -> np.ndarray:
        f = np.asarray(fractions, dtype=np.float64)
        if f.ndim == 1:
            f = f[None, :]
        if f.ndim != 2 or f.shape[1] != self.vocab_size:
            raise ValueError(f"fractions must have shape (N, {self.vocab_size}), got {f.shape}")
        return f

    @torch.no_grad()
    def predict_proba(self, fractions: np.ndarray, return_std: bool = False):
        """p(single phase) (N,) = q(y=1|x); with return_std also the spread over heads.

        The descriptors of all rows are computed in one call, as before; the
        classifier heads then score more than ``PREDICT_BLOCK_ROWS`` rows in
        equal blocks of at most that many (never a tiny tail).  Rows are
        independent, and small blocks keep the heads' (K, rows, hidden)
        activations in cache instead of streaming hundreds of MB through
        memory: screening became about twice as fast (bench/design.py) and
        its peak memory per chunk much smaller.  Up to that many rows are one
        block, exactly as before; beyond, scores can differ from a single pass
        in the last float32 bit, as they already did with the number of rows
        passed together.  A batch of ``POLICIES["screening"].min_rows`` rows
        or more has its blocks split over one Python thread per core, with
        the same scores (``_head_probs``).
        """
        f = self._frac(fractions)
        was = self.training
        self.eval()
        try:
            p = self._head_probs(f)
        finally:
            self.train(was)
        mean = p.mean(0).double().numpy()
        if return_std:
            return mean, p.std(0, unbiased=False).double().numpy()
        return mean

    def _head_probs(self, f: np.ndarray) -> torch.Tensor:
        """The heads' probabilities (K, N) in row blocks; a large batch's blocks are split over
        Python threads (``map_split``: one torch thread each, no spin-waiting beside busy
        processes).  Every block is scored as in one thread, so the result does not depend on
        how many threads ran it (tests/model/test_predict_split.py)."""
        n_blocks = max(1, -(-len(f) // PREDICT_BLOCK_ROWS))
        edges = [len(f) * i // n_blocks for i in range(n_blocks + 1)]
        workers = split_workers("screening", len(f)) if current() is None else 1
        parts = [part for part in np.array_split(np.arange(n_blocks), min(workers, n_blocks)) if len(part)]

        def run(part: np.ndarray) -> torch.Tensor:
            a = edges[part[0]]
            with torch.no_grad():  # grad mode is per thread
                d = self.standardise(f[a:edges[part[-1] + 1]])
                return torch.cat([torch.sigmoid(self.classifier(d[edges[i] - a:edges[i + 1] - a])) for i in part],
                                 dim=1)

        if len(parts) == 1 and current() is None:
            with work_threads("screening", rows=len(f)):
                return run(parts[0])
        return torch.cat(map_split("screening", parts, run), dim=1)

    @torch.no_grad()
    def classifier_logits(self, fractions: np.ndarray, per_head: bool = False) -> np.ndarray:
        """Logit of the ensemble probability (N,), or per-head logits (K, N)."""
        was = self.training
        self.eval()
        try:
            d = self.standardise(self._frac(fractions))
            out = self.classifier(d) if per_head else self.logit_t(d)
        finally:
            self.train(was)
        return out.double().numpy()

    @torch.no_grad()
    def predict_proba_descriptors(self, standardised: np.ndarray) -> np.ndarray:
        """p(single phase) from already standardised descriptors (N, 8) (used by SHAP)."""
        was = self.training
        self.eval()
        try:
            p = self.prob_t(torch.as_tensor(np.asarray(standardised), dtype=torch.float32))
        finally:
            self.train(was)
        return p.double().numpy()

    @torch.no_grad()
    def encode(self, fractions: np.ndarray, y_or_p) -> tuple[np.ndarray, np.ndarray]:
        """Mean and scale of q(z | x, y) (N, L) each; y may be labels or probabilities
        (a scalar, or one value per row)."""
        f = torch.as_tensor(self._frac(fractions), dtype=torch.float32)
        y = torch.as_tensor(np.broadcast_to(np.asarray(y_or_p, dtype=np.float64), (len(f),)).copy(),
                            dtype=torch.float32)
        loc, scale = self.encode_t(f, y)
        return loc.double().numpy(), scale.double().numpy()

    @torch.no_grad()
    def decode(self, z: np.ndarray, y) -> np.ndarray:
        """Fractions (N, V) = softmax(decoder(z, y)) for latent points z (N, L)."""
        zt = torch.as_tensor(np.atleast_2d(np.asarray(z, dtype=np.float64)), dtype=torch.float32)
        y = torch.as_tensor(np.broadcast_to(np.asarray(y, dtype=np.float64), (len(zt),)).copy(),
                            dtype=torch.float32)
        return torch.softmax(self.decode_logits_t(zt, y), -1).double().numpy()

    # ----------------------------------------------------------- misc

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
