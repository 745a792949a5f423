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

The table is built lazily and cached per vocabulary in memory and on disk
(``table_cache_dir()``, one ``.npz`` per vocabulary keyed by the versions of
pymatgen, matminer and this project), because importing pymatgen and matminer
costs about 1.4 s in every process; a command that finds the file imports
neither.  A file that cannot be read is rebuilt; writes are atomic.
The valid element symbols (pymatgen's periodic table) are cached the same way.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import tempfile
import warnings
from pathlib import Path
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


_FIELDS = ("bulk_modulus", "molar_volume", "melting_point", "vec", "radius", "electronegativity", "mixing_enthalpy")
_FORMAT = 1  # bump when the way the table is built changes


def table_cache_dir() -> Path:
    """``HEA_CAMPAIGN_CACHE``, else ``$XDG_CACHE_HOME/hea-campaign``, else ``~/.cache/hea-campaign``."""
    env = os.environ.get("HEA_CAMPAIGN_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hea-campaign"


@functools.lru_cache(maxsize=1)
def _library_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"format": str(_FORMAT)}
    for dist in ("pymatgen", "matminer", "hea-campaign"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


def _cache_path(kind: str, vocabulary: tuple[str, ...] = ()) -> Path:
    key = json.dumps({"kind": kind, "vocabulary": vocabulary, **_library_versions()}, sort_keys=True)
    return table_cache_dir() / f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:20]}.npz"


def _read_cache(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, EOFError):
        return None


def _write_cache(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Atomic write (a partly written file is never read); a read-only cache is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, path)
        except BaseException:
            _unlink(tmp)
            raise
    except OSError:
        pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@functools.lru_cache(maxsize=1)
def valid_symbols() -> frozenset[str]:
    """Every element symbol of pymatgen's periodic table (cached on disk)."""
    path = _cache_path("symbols")
    cached = _read_cache(path)
    if cached is not None and "symbols" in cached:
        return frozenset(str(s) for s in cached["symbols"])
    from pymatgen.core import Element

    symbols = sorted(e.symbol for e in Element)
    _write_cache(path, {"symbols": np.array(symbols)})
    return frozenset(symbols)


@functools.lru_cache(maxsize=8)
def element_table(vocabulary: tuple[str, ...]) -> ElementTable:
    """The property table for ``vocabulary``: from the disk cache, or built and cached."""
    vocabulary = tuple(vocabulary)
    path = _cache_path("elements", vocabulary)
    cached = _read_cache(path)
    if cached is not None and all(f in cached for f in _FIELDS) and cached["vec"].shape == (len(vocabulary),):
        return ElementTable(vocabulary=vocabulary, **{f: cached[f] for f in _FIELDS})
    table = build_element_table(vocabulary)
    _write_cache(path, {f: getattr(table, f) for f in _FIELDS})
    return table


def build_element_table(vocabulary: tuple[str, ...]) -> ElementTable:
    """Build the property table for ``vocabulary`` from pymatgen and matminer."""
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
