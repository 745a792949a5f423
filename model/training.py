"""Training of the SSVAE: seeded, early-stopped on validation data, cancellable.

``train`` is the only entry point. It never sees test data: model selection
(the epoch whose weights are returned) and early stopping use the validation
rows only, by the validation log-loss of the classifier.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from .descriptors import featurize
from .ssvae import SSVAE, DescriptorScaler, SSVAEConfig
from .threads import work_threads

__all__ = ["EpochReport", "TrainResult", "train", "fit_background", "binary_metrics"]


@dataclass
class EpochReport:
    """What the progress callback receives after an evaluated epoch."""

    epoch: int
    epochs: int
    losses: dict[str, float]
    val_accuracy: float
    val_auc: float
    val_loss: float
    best_epoch: int
    elapsed_s: float


@dataclass
class TrainResult:
    model: SSVAE
    history: list[dict] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    best_epoch: int = 0
    stopped_early: bool = False
    cancelled: bool = False
    wall_s: float = 0.0


def binary_metrics(y_true: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Accuracy (threshold 0.5), ROC AUC (nan if one class only) and log-loss."""
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(p, dtype=np.float64).ravel()
    if len(y) == 0:
        return {"accuracy": math.nan, "roc_auc": math.nan, "log_loss": math.nan, "n": 0}
    acc = float(np.mean((p >= 0.5) == (y >= 0.5)))
    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else math.nan
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    nll = float(-np.mean(y * np.log(pc) + (1 - y) * np.log1p(-pc)))
    return {"accuracy": acc, "roc_auc": auc, "log_loss": nll, "n": int(len(y))}


def fit_background(model: SSVAE, d_std: np.ndarray, k: int, seed: int) -> None:
    """Store a k-means summary of the standardised training descriptors (SHAP background)."""
    from sklearn.cluster import KMeans

    d_std = np.asarray(d_std, dtype=np.float64)
    k = int(min(k, len(d_std)))
    if k <= 0:
        return
    km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(d_std)
    w = np.bincount(km.labels_, minlength=k).astype(np.float64)
    model.background = torch.as_tensor(km.cluster_centers_, dtype=torch.float32)
    model.background_weights = torch.as_tensor(w / w.sum(), dtype=torch.float32)


def _score(m: dict, select_on: str) -> float:
    """Lower is better; ties go to the earlier epoch."""
    auc = m["roc_auc"] if m["roc_auc"] == m["roc_auc"] else 0.5
    if select_on == "log_loss":
        return m["log_loss"]
    if select_on == "auc":
        return -auc + 1e-6 * m["log_loss"]
    if select_on == "accuracy_auc":
        return -(m["accuracy"] + auc) + 1e-6 * m["log_loss"]
    raise ValueError(f"unknown select_on {select_on!r}")


def _as2d(x, v: int) -> np.ndarray:
    if x is None:
        return np.zeros((0, v))
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, v))
    if a.ndim != 2 or a.shape[1] != v:
        raise ValueError(f"fractions must have shape (N, {v}), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("fractions contain non-finite values")
    return a


_ARCHITECTURE = ("latent_dim", "encoder_hidden", "decoder_hidden", "classifier_hidden", "n_heads", "activation",
                 "vocabulary")


def _warm_model(init: SSVAE, cfg: SSVAEConfig) -> SSVAE:
    """A copy of ``init`` to continue training under ``cfg`` (same architecture required)."""
    old = init.config
    differ = [k for k in _ARCHITECTURE if tuple(np.atleast_1d(getattr(old, k))) != tuple(np.atleast_1d(getattr(cfg, k)))]
    if differ:
        raise ValueError(f"cannot warm-start: the architecture differs in {', '.join(differ)}")
    scaler = DescriptorScaler(init.scaler.mean, init.scaler.scale)
    model = SSVAE(cfg, scaler)
    state = {k: v.detach().clone() for k, v in init.state_dict().items()}
    model.background = state["background"]
    model.background_weights = state["background_weights"]
    if cfg.warm_classifier:
        model.load_state_dict(state)
    else:  # fresh heads (seeded), to be selected on validation again; the VAE continues
        fresh = model.state_dict()
        model.load_state_dict({k: (fresh[k] if k.startswith("classifier.") else v) for k, v in state.items()})
    return model


def train(
    X_lab: np.ndarray,
    y_lab: np.ndarray,
    X_unlab: np.ndarray | None,
    X_val: np.ndarray | None,
    y_val: np.ndarray | None,
    config: SSVAEConfig | None = None,
    progress: Callable[[EpochReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    init: SSVAE | None = None,
) -> TrainResult:
    """Train an SSVAE on labelled + unlabelled fraction rows; select on validation.

    X_* are (N, V) atomic fractions over ``config.vocabulary`` (rows sum to 1);
    y_* are 0/1 (1 = single phase). The descriptor scaler is fitted on the
    training rows (labelled + unlabelled). ``progress`` is called after every
    evaluated epoch; ``should_stop()`` is polled every epoch and, when true,
    training ends and the best model so far is returned with cancelled=True.
    ``init`` warm-starts from a trained model of the same architecture: its
    weights, descriptor scaler and SHAP background are taken over (a campaign
    retrains every round on a pool whose compositions do not change).
    """
    cfg = config or SSVAEConfig()
    X_lab, y_lab, X_unlab, X_val, y_val = _checked_rows(len(cfg.vocabulary), X_lab, y_lab, X_unlab, X_val, y_val)
    t0 = time.perf_counter()
    with work_threads("training", fixed=cfg.num_threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        gen = torch.Generator().manual_seed(cfg.seed + 1)
        model, data = _prepared(cfg, init, X_lab, y_lab, X_unlab, X_val, rng)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        history: list[dict] = []
        best = _Best()
        stopped_early = cancelled = False
        epoch = 0
        for epoch in range(1, cfg.epochs + 1):
            if should_stop is not None and should_stop():
                cancelled, epoch = True, epoch - 1
                break
            sums = _one_epoch(model, opt, data, rng, gen, cfg.batch_size)
            if epoch % max(1, cfg.eval_every) and epoch != cfg.epochs:
                continue
            m = _validation_metrics(model, data.dv, y_val)
            best.offer(_score(m, cfg.select_on) if data.has_val else -epoch, epoch, model)  # no validation: last
            history.append({"epoch": epoch, **sums, "val_accuracy": m["accuracy"], "val_auc": m["roc_auc"],
                            "val_loss": m["log_loss"]})
            if progress is not None:
                progress(EpochReport(epoch, cfg.epochs, dict(sums), m["accuracy"], m["roc_auc"],
                                     m["log_loss"], best.epoch, time.perf_counter() - t0))
            if data.has_val and cfg.patience and epoch - best.epoch >= cfg.patience:
                stopped_early = True
                break
        if not cancelled and should_stop is not None and should_stop():
            cancelled = True  # asked to stop as the last epoch ended: kept, but marked (never activated silently)
        best.restore_classifier(model)
        metrics = _final_metrics(model, X_lab, y_lab, X_val, y_val, epoch, data)
    wall = time.perf_counter() - t0
    metrics["train_seconds"] = wall
    return TrainResult(model, history, metrics, int(best.epoch), stopped_early, cancelled, wall)


def _checked_rows(V: int, X_lab, y_lab, X_unlab, X_val, y_val) -> tuple[np.ndarray, ...]:
    """The rows as 2-D arrays over the vocabulary and labels as 0/1 floats; a bad shape is a ValueError."""
    X_lab, X_unlab, X_val = _as2d(X_lab, V), _as2d(X_unlab, V), _as2d(X_val, V)
    y_lab = np.asarray(y_lab, dtype=np.float64).ravel()
    y_val = np.zeros(0) if y_val is None else np.asarray(y_val, dtype=np.float64).ravel()
    if len(X_lab) == 0 or len(X_lab) != len(y_lab):
        raise ValueError("need labelled rows with one label each")
    if len(X_val) != len(y_val):
        raise ValueError("X_val and y_val differ in length")
    if not np.all(np.isin(y_lab, (0.0, 1.0))) or not np.all(np.isin(y_val, (0.0, 1.0))):
        raise ValueError("labels must be 0 or 1")
    return X_lab, y_lab, X_unlab, X_val, y_val


@dataclass
class _Tensors:
    """What the epochs read: fractions (f), standardized descriptors (d), labels, bootstrap weights (hw)."""

    fl: torch.Tensor
    dl: torch.Tensor
    yl: torch.Tensor
    fu: torch.Tensor
    du: torch.Tensor
    dv: torch.Tensor
    hw: torch.Tensor | None  # (heads, labelled rows): each head's Poisson(1) bootstrap weights
    use_unlab: bool  # the unlabelled term is on and has rows

    @property
    def has_val(self) -> bool:
        return len(self.dv) > 0

    @property
    def n_total(self) -> int:
        return len(self.fl) + (len(self.fu) if self.use_unlab else 0)


def _prepared(cfg: SSVAEConfig, init: SSVAE | None, X_lab, y_lab, X_unlab, X_val, rng) -> tuple[SSVAE, _Tensors]:
    """A new model (scaler and SHAP background fitted on the training rows) or a warm-started one, and
    its tensors."""
    voc = tuple(cfg.vocabulary)
    D_lab = featurize(X_lab, voc)
    D_unl = featurize(X_unlab, voc) if len(X_unlab) else np.zeros((0, 8))
    D_val = featurize(X_val, voc) if len(X_val) else np.zeros((0, 8))
    if init is not None:
        model = _warm_model(init, cfg)
        scaler = model.scaler
    else:
        scaler = DescriptorScaler.fit(np.concatenate([D_lab, D_unl]))
        model = SSVAE(cfg, scaler)
        fit_background(model, scaler.transform(np.concatenate([D_lab, D_unl])), cfg.background_size, cfg.seed)

    def f32(a):
        return torch.as_tensor(a, dtype=torch.float32)

    fl = f32(X_lab)
    hw = None
    if cfg.bootstrap:
        hw = torch.as_tensor(rng.poisson(1.0, size=(cfg.n_heads, len(fl))), dtype=torch.float32)
    fu = f32(X_unlab)
    return model, _Tensors(
        fl=fl, dl=f32(scaler.transform(D_lab)), yl=f32(y_lab), fu=fu,
        du=f32(scaler.transform(D_unl)) if len(D_unl) else torch.zeros(0, 8),
        dv=f32(scaler.transform(D_val)) if len(D_val) else torch.zeros(0, 8), hw=hw,
        use_unlab=len(fu) > 0 and not cfg.supervised_only and cfg.unlabelled_weight > 0)


def _one_epoch(model: SSVAE, opt, data: _Tensors, rng, gen, batch_size: int | None) -> dict[str, float]:
    """One pass over the rows in shuffled mini-batches (labelled and unlabelled side by side); the
    epoch's mean of each loss term."""
    n_batches = max(1, math.ceil(data.n_total / (batch_size if batch_size and batch_size > 0 else data.n_total)))
    model.train()
    if n_batches == 1:
        lab_batches, unl_batches = [np.arange(len(data.fl))], [np.arange(len(data.fu))]
    else:
        lab_batches = np.array_split(rng.permutation(len(data.fl)), n_batches)
        unl_batches = np.array_split(rng.permutation(len(data.fu)), n_batches)
    sums: dict[str, float] = {}
    for bl, bu in zip(lab_batches, unl_batches):
        out = model.loss(
            (data.fl[bl], data.dl[bl], data.yl[bl]) + ((data.hw[:, bl],) if data.hw is not None else ()),
            (data.fu[bu], data.du[bu]) if data.use_unlab else None,
            generator=gen,
        )
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        opt.step()
        for k, v in out.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach()) / n_batches
    return sums


def _validation_metrics(model: SSVAE, dv: torch.Tensor, y_val: np.ndarray) -> dict[str, float]:
    model.eval()
    if not len(dv):
        return {"accuracy": math.nan, "roc_auc": math.nan, "log_loss": math.nan}
    with torch.no_grad():
        pv = model.prob_t(dv).double().numpy()
    return binary_metrics(y_val, pv)


@dataclass
class _Best:
    """The classifier of the best validation epoch so far."""

    loss: float = math.inf
    epoch: int = 0
    state: dict | None = None

    def offer(self, score: float, epoch: int, model: SSVAE) -> None:
        if score < self.loss:
            self.loss, self.epoch = score, epoch
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def restore_classifier(self, model: SSVAE) -> None:
        """Model selection is about the classifier: its heads come from the best validation epoch.  The
        encoder and decoder keep their last epoch, which has had more training than the classifier's best
        (often an early one) and decodes sharper compositions for inverse design."""
        if self.state is not None:
            model.classifier.load_state_dict(
                {k.removeprefix("classifier."): v for k, v in self.state.items() if k.startswith("classifier.")})
        model.eval()


def _final_metrics(model: SSVAE, X_lab, y_lab, X_val, y_val, epochs_run: int, data: _Tensors) -> dict[str, float]:
    metrics = {f"train_{k}": v for k, v in binary_metrics(y_lab, model.predict_proba(X_lab)).items() if k != "n"}
    if data.has_val:
        pv = model.predict_proba(X_val)
        metrics.update({f"val_{k}": v for k, v in binary_metrics(y_val, pv).items() if k != "n"})
    metrics.update(epochs_run=float(epochs_run), n_labelled=float(len(data.fl)), n_unlabelled=float(len(data.fu)),
                   n_validation=float(len(data.dv)))
    return metrics
