"""Per-element property table behind the descriptors f(x).

Sources, one per property (each checked for every vocabulary element in tests):

- bulk modulus k_i (GPa): pymatgen ``Element.bulk_modulus`` (WebElements data).
  pymatgen has none for Zr and Os; those two use the experimental values of
  Kittel, *Introduction to Solid State Physics*, 8th ed., Table 3.3
  (Zr 83.3 GPa, Os 418 GPa).
- molar volume V_i (cm^3/mol): pymatgen ``Element.molar_volume``.
- melting temperature Tm_i (K): pymatgen ``Element.melting_point``
  (Sn is 505 K, not the 395.7 K of the seed paper's table).
- valence electron concentration VEC_i: s + d (+ p for p-block) valence
  electrons without f electrons, i.e. matminer's Magpie ``NValence`` minus
  ``NfValence`` (Al 3, Si 4, Sn 14 as in Guo 2011; Ta 5, W 6, not 19, 20).
- atomic radius r_i (angstrom): matminer's Magpie ``MiracleRadius`` (Miracle
  et al.'s metallic radii), one consistent scale for every element; pymatgen's
  metallic radii miss Si and Sn.
- electronegativity chi_i: Pauling, pymatgen ``Element.X``.
- mixing enthalpy H_ij (kJ/mol): Miedema binary values of Takeuchi & Inoue
  (2005), matminer ``MixingEnthalpy``.

The table is built lazily (pymatgen and matminer are slow to import) and
cached per vocabulary.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Kittel, Introduction to Solid State Physics (8th ed.), Table 3.3; only where
# pymatgen has no value.
_BULK_MODULUS_FALLBACK_GPA = {"Zr": 83.3, "Os": 418.0}


class ElementDataError(ValueError):
    """An element lacks a property that the descriptors need."""


@dataclass(frozen=True)
class ElementTable:
    """Property vectors aligned with a vocabulary, plus the H_ij matrix."""

    vocabulary: tuple[str, ...]
    bulk_modulus: np.ndarray
    molar_volume: np.ndarray
    melting_point: np.ndarray
    vec: np.ndarray
    radius: np.ndarray
    electronegativity: np.ndarray
    mixing_enthalpy: np.ndarray  # (V, V), symmetric, zero diagonal


def _finite(value, element: str, prop: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = math.nan
    if not math.isfinite(out):
        raise ElementDataError(f"no {prop} is known for {element}; it cannot be featurised")
    return out


@functools.lru_cache(maxsize=8)
def element_table(vocabulary: tuple[str, ...]) -> ElementTable:
    """Build (once per vocabulary) the property table for ``vocabulary``."""
    from matminer.utils.data import MagpieData, MixingEnthalpy
    from pymatgen.core import Element

    magpie = MagpieData()
    miedema = MixingEnthalpy()
    cols: dict[str, list[float]] = {k: [] for k in ("k", "Vm", "Tm", "VEC", "r", "chi")}
    elements = [Element(s) for s in vocabulary]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen warns for every missing value
        for s, el in zip(vocabulary, elements, strict=True):
            k = el.bulk_modulus
            k = _BULK_MODULUS_FALLBACK_GPA.get(s) if k is None else k
            cols["k"].append(_finite(k, s, "bulk modulus"))
            cols["Vm"].append(_finite(el.molar_volume, s, "molar volume"))
            cols["Tm"].append(_finite(el.melting_point, s, "melting point"))
            n_val = magpie.get_elemental_property(el, "NValence")
            n_f = magpie.get_elemental_property(el, "NfValence")
            cols["VEC"].append(_finite(n_val, s, "valence electron count") - _finite(n_f, s, "f electron count"))
            cols["r"].append(_finite(magpie.get_elemental_property(el, "MiracleRadius"), s, "atomic radius") / 100.0)
            cols["chi"].append(_finite(el.X, s, "Pauling electronegativity"))
    n = len(vocabulary)
    h = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            value = miedema.get_mixing_enthalpy(elements[i], elements[j])
            if value is None:
                raise ElementDataError(
                    f"no Miedema mixing enthalpy is tabulated for {vocabulary[i]}-{vocabulary[j]}"
                )
            h[i, j] = h[j, i] = float(value)
    return ElementTable(
        vocabulary=tuple(vocabulary),
        bulk_modulus=np.array(cols["k"]),
        molar_volume=np.array(cols["Vm"]),
        melting_point=np.array(cols["Tm"]),
        vec=np.array(cols["VEC"]),
        radius=np.array(cols["r"]),
        electronegativity=np.array(cols["chi"]),
        mixing_enthalpy=h,
    )


def table_for(vocabulary: Sequence[str]) -> ElementTable:
    """Cached table for any sequence of symbols."""
    return element_table(tuple(vocabulary))
