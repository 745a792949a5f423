"""Richer physics descriptors for the scorer (the SSVAE head keeps the paper's eight).

Beside f(x) (``descriptors.featurize``): the Omega parameter of Yang & Zhang
(2012), Omega = Tm dS / |dH|; the spread (concentration-weighted standard
deviation) of VEC, electronegativity, melting point and atomic radius; the
largest and smallest atomic radius ratio to the mean; the number of elements;
and the largest fraction.  All from the same element table as f(x), vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .descriptors import DESCRIPTOR_NAMES, featurize
from .elements import table_for
from .vocabulary import DEFAULT_VOCABULARY

EXTRA_NAMES: tuple[str, ...] = (
    "Omega", "VEC_sd", "chi_sd_rel", "Tm_sd", "r_sd", "r_max_ratio", "r_min_ratio", "n_elements", "c_max",
)
RICH_DESCRIPTOR_NAMES: tuple[str, ...] = DESCRIPTOR_NAMES + EXTRA_NAMES


def _weighted_sd(c: np.ndarray, values: np.ndarray) -> np.ndarray:
    mean = c @ values
    return np.sqrt(np.maximum(c @ (values**2) - mean**2, 0.0))


def rich_descriptors(fractions: np.ndarray, vocabulary: Sequence[str] = DEFAULT_VOCABULARY) -> np.ndarray:
    """(N, 17): the eight paper descriptors followed by ``EXTRA_NAMES``."""
    c = np.asarray(fractions, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] != len(vocabulary):
        raise ValueError(f"fractions must have shape (N, {len(vocabulary)}), got {c.shape}")
    t = table_for(vocabulary)
    base = featurize(c, vocabulary)
    tm, ds, dh = base[:, 2], base[:, 6], base[:, 7]
    omega = tm * ds / np.maximum(np.abs(dh) * 1000.0, 1.0)  # dH in kJ/mol; |dH| < 1 J/mol counts as 1
    present = c > 1e-9
    r_bar = c @ t.radius
    r = np.where(present, t.radius[None, :], np.nan)
    with np.errstate(invalid="ignore"):
        r_max = np.nanmax(r, axis=1) / r_bar
        r_min = np.nanmin(r, axis=1) / r_bar
    chi_bar = c @ t.electronegativity
    extra = np.stack([
        np.log1p(omega),
        _weighted_sd(c, t.vec),
        _weighted_sd(c, t.electronegativity) / chi_bar,
        _weighted_sd(c, t.melting_point),
        _weighted_sd(c, t.radius),
        r_max,
        r_min,
        present.sum(axis=1).astype(np.float64),
        c.max(axis=1),
    ], axis=1)  # fmt: skip
    return np.concatenate([base, extra], axis=1)
