"""f(x): the eight physics descriptors of an alloy, vectorised over a batch.

Every descriptor is one or two matrix products over the (N, V) fraction
matrix, because screening evaluates millions of compositions:

- k = C k_i, Vm = C V_i, Tm = C Tm_i, VEC = C VEC_i      (rule of mixtures)
- delta = 100 sqrt(sum c_i (1 - r_i / r_bar)^2) = 100 sqrt(C r^2 / r_bar^2 - 1)
- dchi  = sqrt(sum c_i (chi_i - chi_bar)^2)     = sqrt(C chi^2 - chi_bar^2)
- dS    = -R sum c_i ln c_i  (J/mol/K)
- dH    = sum_{i<j} 4 H_ij c_i c_j = 2 rowsum((C H) * C)  (kJ/mol)

Element data and their sources: see ``elements.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .descriptor_names import DESCRIPTOR_NAMES, DESCRIPTOR_UNITS  # noqa: F401 (re-exported)
from .elements import table_for
from .threads import POLICIES, current, work_threads
from .vocabulary import DEFAULT_VOCABULARY

GAS_CONSTANT = 8.314462618  # J/(mol K)


def featurize(fractions: np.ndarray, vocabulary: Sequence[str] = DEFAULT_VOCABULARY) -> np.ndarray:
    """Descriptors (N, 8) for rows of atomic fractions (N, V) that sum to 1.

    Accepts float32 or float64 and computes in that precision; a single
    composition may be given as a 1-D row and gives a 1-D result.
    """
    c = np.asarray(fractions)
    if c.dtype not in (np.float32, np.float64):
        c = c.astype(np.float64)
    single = c.ndim == 1
    if single:
        c = c[None, :]
    if c.ndim != 2 or c.shape[1] != len(vocabulary):
        raise ValueError(f"fractions must have shape (N, {len(vocabulary)}), got {c.shape}")
    if c.shape[0] >= POLICIES["descriptors"].min_rows and current() is None:
        with work_threads("descriptors", rows=c.shape[0]):
            out = _featurize(c, vocabulary)
    else:
        out = _featurize(c, vocabulary)
    return out[0] if single else out


def _featurize(c: np.ndarray, vocabulary: Sequence[str]) -> np.ndarray:
    t = table_for(vocabulary)
    dt = c.dtype
    props = np.concatenate(
        [
            np.stack(
                [t.bulk_modulus, t.molar_volume, t.melting_point, t.vec,
                 t.radius, t.radius**2, t.electronegativity, t.electronegativity**2],
                axis=1,
            ),
            t.mixing_enthalpy,
        ],
        axis=1,
    ).astype(dt)  # fmt: skip
    m = c @ props  # (N, 8 + V): every linear mixture and C H in one product
    out = np.empty((c.shape[0], 8), dtype=dt)
    out[:, :4] = m[:, :4]
    r_bar = m[:, 4]
    out[:, 4] = 100.0 * np.sqrt(np.maximum(m[:, 5] / (r_bar * r_bar) - 1.0, 0.0))
    out[:, 5] = np.sqrt(np.maximum(m[:, 7] - m[:, 6] ** 2, 0.0))
    logs = np.zeros_like(c)
    np.log(c, out=logs, where=c > 0)  # 0 ln 0 = 0
    out[:, 6] = -GAS_CONSTANT * np.einsum("ij,ij->i", c, logs)
    out[:, 7] = 2.0 * np.einsum("ij,ij->i", m[:, 8:], c)
    return out


def featurize_torch(fractions, vocabulary: Sequence[str] = DEFAULT_VOCABULARY):
    """The same eight descriptors as differentiable torch operations.

    For gradient steps on compositions (proximity-preserving inverse design);
    ``featurize`` stays the fast path for scoring.
    """
    import torch

    c = fractions
    t = table_for(vocabulary)
    dt, dev = c.dtype, c.device

    def vec(a: np.ndarray):
        return torch.as_tensor(a, dtype=dt, device=dev)

    props = vec(
        np.stack(
            [t.bulk_modulus, t.molar_volume, t.melting_point, t.vec,
             t.radius, t.radius**2, t.electronegativity, t.electronegativity**2],
            axis=1,
        )
    )  # fmt: skip
    m = c @ props
    r_bar = m[:, 4]
    eps = torch.finfo(dt).eps
    delta = 100.0 * torch.sqrt(torch.clamp(m[:, 5] / (r_bar * r_bar) - 1.0, min=0.0) + eps)
    dchi = torch.sqrt(torch.clamp(m[:, 7] - m[:, 6] ** 2, min=0.0) + eps)
    ds = -GAS_CONSTANT * (c * torch.log(c.clamp_min(1e-12))).sum(dim=1)  # finite gradient at c = 0
    dh = 2.0 * ((c @ vec(t.mixing_enthalpy)) * c).sum(dim=1)
    return torch.stack([m[:, 0], m[:, 1], m[:, 2], m[:, 3], delta, dchi, ds, dh], dim=1)
