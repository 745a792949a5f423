"""Iterative inversion: turn multi-phase alloys into single-phase candidates.

Two loops, both vectorised over a batch of starting alloys and both keeping
every intermediate step so a person can follow the path:

- ``paper``: the seed paper's loop.  p = q(y|f(x)); z = mean of q(z|x, p);
  x' = decoder(z, 1 - p); re-featurise and re-score; repeat until p exceeds
  the cutoff or the step limit.  It tends to change compositions a lot.
- ``latent-steps``: small latent steps.  Each step takes the paper loop's
  proposal x' for the current alloy but moves only a fraction ``alpha`` of the
  way, x <- x + alpha (x' - x).
- ``proximal``: gradient steps on the composition itself (softmax
  parameters, Adam), through the differentiable descriptors and the
  classifier, on a cautious objective:
  -logit p(single | x) + caution * sd of the heads' logits
  + penalty * change(x, x0) + data_weight * (distance to the nearest labelled
  alloy beyond the usual nearest-neighbour distance), so that it does not
  walk where the classifier is merely overconfident or has seen no alloy.
  It changes only what the classifier needs changed.  Its settings were
  chosen on validation and unlabelled multi-phase alloys of the paper's
  split, never on its test rows.

Every loop stops a start as soon as its alloy, rounded to lab granularity,
scores above the cutoff; ``keep_elements`` confines every step to the
starting element set.

The model is any object with the SSVAE numpy API (``predict_proba``,
``encode``, ``decode``); nothing here trains or stores anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from hea_campaign.model.threads import map_split, split_threads, split_workers, work_threads

from .constraints import round_to_granularity

MODES = ("paper", "latent-steps", "proximal")
PROXIMAL_PENALTY = 0.02  # per at.% of change, against the classifier logit
PROXIMAL_LR = 0.05
PROXIMAL_CAUTION = 1.0  # per unit of the heads' logit sd
PROXIMAL_DATA = 0.1  # per at.% beyond the data radius (distance to the nearest labelled alloy)
# The data term's smooth minimum runs over every labelled row while starts x rows x
# elements fits EVERY_ROW_BUDGET (a lab's store: 130 starts x 1,300 rows x 30 elements is
# 5 million numbers), as it always did; beyond that over each start's nearest rows,
# as many as fit NEAREST_BUDGET, re-chosen every few steps.  At 10^5 rows a step then no
# longer holds a (20 starts, 90,000 rows, 30) tensor of 432 MB, several with the gradient.
EVERY_ROW_BUDGET = 8_000_000
NEAREST_BUDGET = 300_000
DATA_NEIGHBOURS_EVERY = 50  # steps between choices of the nearest rows


@dataclass(frozen=True)
class Caution:
    """The cautious part of the proximal objective (zero weights: the plain loop)."""

    caution: float = PROXIMAL_CAUTION
    data_weight: float = PROXIMAL_DATA
    data_rows: np.ndarray | None = None  # (M, V) labelled training alloys
    data_radius: float = 0.0  # at.%: no penalty within this distance of a labelled alloy


@dataclass
class InversionResult:
    start: np.ndarray  # (N, V)
    final: np.ndarray  # (N, V), rounded to granularity
    p_start: np.ndarray
    p_final: np.ndarray  # classifier probability of the rounded final alloy
    steps: np.ndarray  # steps taken per start
    reached: np.ndarray  # p_final > cutoff
    z_final: np.ndarray  # latent mean of the final alloy under its own p
    paths: list[list[tuple[np.ndarray, float]]] = field(default_factory=list)  # per start: (fractions, p)

    @property
    def change_at_pct(self) -> np.ndarray:
        """Half the L1 distance between start and final, in at.%."""
        return 50.0 * np.abs(self.final - self.start).sum(axis=1)


def _mask_to(x: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    y = np.where(allowed, x, 0.0)
    s = y.sum(axis=1, keepdims=True)
    return np.where(s > 0, y / np.maximum(s, 1e-300), x)


def invert(
    model,
    start: np.ndarray,
    *,
    mode: str = "paper",
    cutoff: float = 0.6,
    max_steps: int | None = None,
    alpha: float = 0.1,
    keep_elements: bool = False,
    allowed: np.ndarray | None = None,
    granularity: float = 0.01,
    project: Callable[[np.ndarray], np.ndarray] | None = None,
    caution: Caution | None = None,
    accept: Callable[[np.ndarray], np.ndarray] | None = None,
) -> InversionResult:
    """Run the chosen loop from each row of ``start`` (fractions on the model vocabulary).

    ``allowed`` is an optional (V,) mask of elements any step may use (the
    user's allowed/banned constraints); ``keep_elements`` narrows it per row to
    the starting alloy's elements.  ``caution`` sets the proximal loop's
    cautious terms (default: ``Caution()`` without data rows, i.e. only the
    heads' spread is penalised).  ``project`` replaces the rounding of each
    step (e.g. a move into the design space, then rounding): the path and the
    stopping test then only ever see alloys the lab would make.  ``accept`` (rows -> bool mask; e.g. the
    design space's check) decides which alloys may end a path: a row above the cutoff that it refuses
    steps on (a 3-element start above the cutoff in a space of 4 to 6 elements used to stop at step 0
    and be dropped).
    """
    if mode not in MODES:
        raise ValueError(f"unknown inversion mode '{mode}'; choose one of {', '.join(MODES)}")
    if max_steps is None:
        max_steps = {"paper": 30, "latent-steps": 60, "proximal": 150}[mode]
    x0 = np.atleast_2d(np.asarray(start, dtype=np.float64))
    args = (mode, cutoff, max_steps, alpha, keep_elements, allowed, granularity, project, caution, accept, len(x0))
    workers = split_workers("inversion", len(x0)) if mode == "proximal" else 1
    if workers <= 1:
        with work_threads("inversion" if mode == "proximal" else "decoding", rows=len(x0)):
            return _invert(model, x0, *args)
    return _split_invert(model, x0, args, workers)


def _split_invert(model, x0, args, workers: int) -> InversionResult:
    """The proximal loop over parts of the batch in Python threads, one torch thread each.

    Every start's steps depend on that start alone (and the data term's budget is the whole
    batch's), so the result is the unsplit run's (tests/test_inversion_data_term.py)."""
    parts = [idx for idx in np.array_split(np.arange(len(x0)), workers) if len(idx)]
    allowed = args[5]
    per_row = allowed is not None and np.ndim(allowed) == 2

    def run(idx):
        part_args = (*args[:5], np.asarray(allowed)[idx] if per_row else allowed, *args[6:])
        return _invert(model, x0[idx], *part_args)

    was = model.training
    model.eval()  # once for all parts: a part that ends first must not switch the model back for the others
    try:
        results = map_split("inversion", parts, run)
        out = {name: np.concatenate([getattr(r, name) for r in results])
               for name in ("start", "final", "p_start", "p_final", "steps", "reached")}  # fmt: skip
        # the latent means again over the whole batch: a matrix product's last bits can depend on
        # how many rows it has (AVX-512 kernels), and the unsplit run encodes the whole batch at once
        with split_threads("inversion", len(parts)):
            out["z_final"] = model.encode(out["final"], out["p_final"])[0]
    finally:
        model.train(was)
    return InversionResult(**out, paths=[path for r in results for path in r.paths])


def _invert(model, x0, mode, cutoff, max_steps, alpha, keep_elements, allowed, granularity, project, caution,
            accept, batch: int):
    """The loop on the starts ``x0`` (all of a batch of ``batch`` starts, or a part of it)."""
    n, v = x0.shape
    mask = np.ones((n, v), dtype=bool) if allowed is None else np.broadcast_to(np.asarray(allowed, bool), (n, v)).copy()
    if keep_elements:
        mask &= x0 > 0
    x = x0.copy()
    p = model.predict_proba(x)
    p_start = p.copy()
    to_lab = project or partial(round_to_granularity, granularity=granularity)
    rounded = to_lab(x)
    p_round = model.predict_proba(rounded)
    paths: list[list[tuple[np.ndarray, float]]] = [[(rounded[i].copy(), float(p_round[i]))] for i in range(n)]
    steps = np.zeros(n, dtype=int)
    stop = _Stop(cutoff, accept)
    active = ~stop(rounded, p_round)
    if mode == "proximal":
        _gradient_steps(model, x0, mask, active, rounded, p_round, steps, paths, stop, max_steps, to_lab,
                        caution=caution or Caution(), batch=batch)
        max_steps = 0
    for _ in range(max_steps):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        xa, pa = x[idx], p[idx]
        z, _ = model.encode(xa, pa)
        proposal = _mask_to(model.decode(z, 1.0 - pa), mask[idx])
        new = proposal if mode == "paper" else xa + alpha * (proposal - xa)  # latent-steps: a fraction
        new = _mask_to(new, mask[idx])
        x[idx] = new
        p[idx] = model.predict_proba(new)
        _record_step(model, idx, new, to_lab, stop, rounded, p_round, steps, paths, active)
    z_final, _ = model.encode(rounded, p_round)
    return InversionResult(
        start=x0,
        final=rounded,
        p_start=p_start,
        p_final=p_round,
        steps=steps,
        reached=stop(rounded, p_round),
        z_final=z_final,
        paths=paths,
    )


class _Stop:
    """Where a path ends: above the cutoff, at an alloy ``accept`` takes (every alloy without one)."""

    def __init__(self, cutoff: float, accept: Callable[[np.ndarray], np.ndarray] | None):
        self.cutoff, self.accept = cutoff, accept

    def __call__(self, rounded: np.ndarray, p: np.ndarray) -> np.ndarray:
        done = p > self.cutoff
        if self.accept is not None and done.any():
            done[done] = np.asarray(self.accept(rounded[done]), bool)
        return done


def _record_step(model, idx, new, to_lab, stop: _Stop, rounded, p_round, steps, paths, active) -> None:
    """Round the rows ``idx`` just moved to, score them, extend their paths, stop those that passed.

    Only rows whose rounded alloy changed are scored again: a small step often rounds to
    the alloy it already was, and on a large store scoring is most of a step's time."""
    r = to_lab(new)
    pr = p_round[idx].copy()
    moved = np.any(r != rounded[idx], axis=1)
    if moved.any():
        pr[moved] = model.predict_proba(r[moved])
    rounded[idx], p_round[idx] = r, pr
    steps[idx] += 1
    for j, i in enumerate(idx):
        paths[i].append((r[j], float(pr[j])))
    active[idx] = ~stop(r, pr)


def _gradient_steps(model, x0, mask, active, rounded, p_round, steps, paths, stop, max_steps, to_lab,
                    penalty: float = PROXIMAL_PENALTY, lr: float = PROXIMAL_LR, caution: Caution = Caution(),
                    batch: int | None = None) -> None:
    """The proximal loop, updating the caller's arrays in place (rows stop once they pass); ``batch``:
    the starts of the whole call, which the data term's memory budget is shared by."""
    import torch

    from hea_campaign.model.descriptors import featurize_torch

    x0t = torch.as_tensor(x0, dtype=torch.float64)
    allowed = torch.as_tensor(mask)
    near = (_NearestData(caution.data_rows, batch or len(x0))
            if caution.data_weight and caution.data_rows is not None else None)
    theta = torch.log(x0t + 1e-3).masked_fill(~allowed, -1e9).requires_grad_(True)
    opt = _Adam(theta, lr)
    was = model.training
    model.eval()
    try:
        for step in range(max_steps):
            if not active.any():
                break
            x = torch.softmax(theta, -1)
            if near is not None and step % DATA_NEIGHBOURS_EVERY == 0:
                near.choose(x.detach().numpy())
            d = model.scaler.transform_torch(featurize_torch(x, model.vocabulary)).float()
            logit = model.logit_t(d).double()
            change = 50.0 * torch.sqrt((x - x0t) ** 2 + 1e-10).sum(-1)  # smooth half-L1, at.%
            objective = -logit + penalty * change
            if caution.caution:
                objective = objective + caution.caution * model.head_logits_t(d).double().std(0)
            if near is not None:
                objective = objective + caution.data_weight * torch.relu(near.distance(x) - caution.data_radius)
            loss = (objective * torch.as_tensor(active)).sum()
            theta.grad = None
            loss.backward()
            opt.step()
            with torch.no_grad():
                theta.masked_fill_(~allowed, -1e9)
                x_new = torch.softmax(theta, -1).numpy()
            idx = np.flatnonzero(active)
            _record_step(model, idx, x_new[idx], to_lab, stop, rounded, p_round, steps, paths, active)
    finally:
        model.train(was)


class _Adam:
    """Adam with torch's defaults (betas 0.9 and 0.999, eps 1e-8), for one tensor.

    ``torch.optim.Adam`` imports torch's compiler stack the first time one is made
    (4 s at load 4 on 2 cores), a fixed cost on every proximal inversion."""

    def __init__(self, theta, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        import torch

        self.theta, self.lr, self.betas, self.eps, self.t = theta, lr, betas, eps, 0
        self.m = torch.zeros_like(theta)
        self.v = torch.zeros_like(theta)

    def step(self) -> None:
        import torch

        b1, b2 = self.betas
        self.t += 1
        with torch.no_grad():
            g = self.theta.grad
            self.m.lerp_(g, 1 - b1)
            self.v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (self.v.sqrt() / math.sqrt(1 - b2 ** self.t)).add_(self.eps)
            self.theta.addcdiv_(self.m, denom, value=-self.lr / (1 - b1 ** self.t))


class _NearestData:
    """The labelled rows the data term compares each start with: its nearest ones.

    All rows while starts x rows x elements fits ``EVERY_ROW_BUDGET`` (then the
    term is the smooth minimum over every row, as it always was); otherwise each
    start's k nearest rows to where it is now (k x starts x elements within
    ``NEAREST_BUDGET``, at least 64), re-chosen by the caller every
    ``DATA_NEIGHBOURS_EVERY`` steps.  Leaving out the rows beyond the k nearest can
    only raise the smooth minimum, by at most 2 at.% x log(1 + the sum over them of
    exp(-(their distance - the nearest) / 2 at.%)): nothing, for rows well beyond.
    """

    def __init__(self, rows: np.ndarray, n_starts: int):
        import torch

        self.rows = np.asarray(rows, np.float64)
        m, v = self.rows.shape
        per_row = max(n_starts * v, 1)
        self.k = m if m * per_row <= EVERY_ROW_BUDGET else min(m, max(64, NEAREST_BUDGET // per_row))
        self.every_row = self.k == m
        self.data = torch.as_tensor(self.rows)[None] if self.every_row else None

    def choose(self, x: np.ndarray) -> None:
        """Take each start's k nearest rows to ``x`` (a no-op when every row is used)."""
        import torch

        from .known_alloys import nearest_rows

        if not self.every_row:
            idx, _ = nearest_rows(x, self.rows, self.k)
            self.data = torch.as_tensor(self.rows[idx])  # (N, k, V)

    def distance(self, x):
        """Smooth minimum (at.%) of the half-L1 distances from each row of ``x`` to its rows."""
        import torch

        dist = 50.0 * torch.sqrt((x[:, None, :] - self.data) ** 2 + 1e-10).sum(-1)
        return -2.0 * torch.logsumexp(-dist / 2.0, dim=1)
