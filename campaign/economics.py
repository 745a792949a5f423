"""What an alloy costs and weighs: raw-material cost and a density estimate.

Cost: each element's price in USD per kg of pure element, from pymatgen's
element cost table (``pymatgen/analysis/costdb_elements.csv``, compiled from
Wolfram Alpha and Wikipedia in September 2013) unless the campaign holds a
lab price list (a CSV with ``element`` and ``usd_per_kg`` columns), whose
prices override the table element by element.  An alloy's cost per kg is
the mass-weighted sum of its elements' prices; per ingot, that times the
ingot mass.  These are raw-material prices only (no melting, no losses), and
2013 commodity prices at that.

Density: rule of mixtures, 1 / sum(w_i / rho_i) over weight fractions w_i
with rho_i the element's solid density (pymatgen).  It assumes ideal mixing
(no excess volume), so it is an estimate, typically within a few percent for
solid solutions; it is labelled as such wherever it is shown.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from .datasets import separator_hint
from .errors import CampaignError, cut

DENSITY_NOTE = "rule-of-mixtures estimate (ideal mixing)"
PYMATGEN_TABLE = "pymatgen element cost table (Wolfram Alpha / Wikipedia, September 2013)"


@dataclass(frozen=True)
class PriceTable:
    """USD per kg of each element, where each price comes from."""

    prices: Mapping[str, float]
    sources: Mapping[str, str] = field(default_factory=dict)  # element -> source text

    def price(self, element: str) -> float:
        if element not in self.prices:
            raise CampaignError(f"no price for {element}: add it to the lab price list")
        return float(self.prices[element])

    def vector(self, vocabulary: Sequence[str]) -> np.ndarray:
        """Prices on ``vocabulary`` (nan where unknown)."""
        return np.array([float(self.prices.get(e, math.nan)) for e in vocabulary])

    def source_of(self, element: str) -> str:
        return self.sources.get(element, "")

    def describe(self, elements: Sequence[str] | None = None) -> str:
        """One line: where the prices of ``elements`` (default: all) come from, in USD per kg."""
        groups: dict[str, list[str]] = {}
        for el in elements if elements is not None else sorted(self.prices):
            groups.setdefault(self.sources.get(el, "no price"), []).append(el)
        parts = []
        for src, els in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            parts.append(f"{src}: {', '.join(els) if len(els) <= 6 else f'{len(els)} elements'}")
        return "; ".join(parts) + " (USD/kg, raw materials)" if parts else "no prices"


def _bib_field(bib: str, name: str) -> str:
    m = re.search(rf'{name}\s*=\s*"([^"]*)"', bib)
    return m.group(1) if m else ""


@cache
def pymatgen_prices() -> PriceTable:
    """Element prices shipped with pymatgen (USD per kg), with the source and year of each."""
    from importlib.resources import files

    path = files("pymatgen.analysis").joinpath("costdb_elements.csv")
    prices, sources = {}, {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, quotechar="|"):
            if len(row) < 2 or not row[0].isalpha():
                continue
            prices[row[0]] = float(row[1])
            bib = row[3] if len(row) > 3 else ""
            origin = " ".join(x for x in (_bib_field(bib, "title"), _bib_field(bib, "year")) if x)
            sources[row[0]] = f"pymatgen cost table ({origin})" if origin else "pymatgen cost table"
    return PriceTable(prices, sources)


MAX_USD_PER_KG = 1e9  # far above any element's price (pymatgen's dearest, neon, is 6.6e5)


def read_price_list(text: str, name: str = "price list") -> dict[str, float]:
    """A lab price list: CSV with columns ``element`` and ``usd_per_kg`` -> {element: price}.

    Every bad row is reported at once, by the file's line number; nothing is returned half-read.
    """
    reader = csv.DictReader(io.StringIO(text))
    cols = {c.strip().lower(): c for c in (reader.fieldnames or [])}
    if "element" not in cols or "usd_per_kg" not in cols:
        hint = separator_hint(list(reader.fieldnames or []))  # 'element;usd_per_kg' is one column
        if hint:
            raise CampaignError(f"{name}: {hint}")
        raise CampaignError(f"{name}: needs the columns element and usd_per_kg (got {', '.join(cols) or 'none'})")
    out: dict[str, float] = {}
    problems = []
    for row in reader:
        line = reader.line_num  # the file's line: blank lines are skipped but counted
        read = _price_row(row, cols, len(reader.fieldnames))
        if isinstance(read, str):
            problems.append(f"line {line}: {read}")
        elif read[0] in out:
            problems.append(f"line {line}: {read[0]} is listed twice")
        else:
            out[read[0]] = read[1]
    if problems:
        raise CampaignError(f"{name}: " + "; ".join(problems[:5]) + (f" ({len(problems) - 5} more)" if len(problems) > 5 else ""))
    if not out:
        raise CampaignError(f"{name}: no prices in it")
    return out


def _price_row(row: dict, cols: dict[str, str], n_columns: int) -> tuple[str, float] | str:
    """(element, USD/kg) of one price list row, or what is wrong with it."""
    from pymatgen.core import Element

    extra = [cell for cell in row.get(None) or [] if (cell or "").strip()]
    if extra:  # 'Co,1,234' or 'Ni,18,50': a thousands separator or a decimal comma split the price
        return (f"{n_columns + len(row[None])} cells but the header has {n_columns} columns: a price written "
                f"with a comma (1,234 or 18,50) is split in two; write 1234 or 18.50, and name any other column "
                f"in the header")
    el = (row.get(cols["element"]) or "").strip()
    raw = (row.get(cols["usd_per_kg"]) or "").strip()
    if not (el.isalpha() and len(el) <= 2 and Element.is_valid_symbol(el)):
        from .chemistry import symbol_case_hint

        return symbol_case_hint(el) or f"'{cut(el, 20)}' is not an element symbol"
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= MAX_USD_PER_KG:
        return f"the price of {el} must be a number from 0 to {MAX_USD_PER_KG:.0e} USD/kg (got '{cut(raw, 20)}')"
    return el, value


def price_table(overrides: Mapping[str, float] | None = None, source: str = "lab price list") -> PriceTable:
    """pymatgen's table with the lab's prices laid over it."""
    base = pymatgen_prices()
    prices, sources = dict(base.prices), dict(base.sources)
    for el, v in (overrides or {}).items():
        prices[el] = float(v)
        sources[el] = source
    return PriceTable(prices, sources)


@cache
def element_data(vocabulary: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(atomic mass g/mol, solid density g/cm3) on a vocabulary."""
    from pymatgen.core import Element

    mass = np.array([float(Element(e).atomic_mass) for e in vocabulary])
    rho = np.array([float(Element(e).density_of_solid) / 1000.0 for e in vocabulary])  # kg/m3 -> g/cm3
    return mass, rho


def weight_fractions(X: np.ndarray, vocabulary: Sequence[str]) -> np.ndarray:
    mass, _ = element_data(tuple(vocabulary))
    w = np.atleast_2d(np.asarray(X, dtype=np.float64)) * mass[None, :]
    return w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)


def cost_per_kg(X: np.ndarray, vocabulary: Sequence[str], prices: PriceTable) -> np.ndarray:
    """USD per kg of each row of atomic fractions (nan if an element present has no price)."""
    w = weight_fractions(X, vocabulary)
    p = prices.vector(vocabulary)
    present = w > 0
    missing = np.any(present & np.isnan(p)[None, :], axis=1)
    cost = (w * np.nan_to_num(p)[None, :]).sum(axis=1)
    return np.where(missing, np.nan, cost)


def density(X: np.ndarray, vocabulary: Sequence[str]) -> np.ndarray:
    """Rule-of-mixtures density estimate in g/cm3 of each row of atomic fractions."""
    _, rho = element_data(tuple(vocabulary))
    w = weight_fractions(X, vocabulary)
    return 1.0 / (w / rho[None, :]).sum(axis=1)


@dataclass(frozen=True)
class Economics:
    cost_per_kg: float  # USD
    density: float  # g/cm3, estimate
    price_source: str

    def cost_per_ingot(self, mass_g: float) -> float:
        return self.cost_per_kg * mass_g / 1000.0


def economics_of(composition: Mapping[str, float], prices: PriceTable) -> Economics:
    """Cost and density of one alloy given as {element: atomic fraction}."""
    vocab = tuple(sorted(composition))
    x = np.array([[composition[e] for e in vocab]])
    used = sorted({prices.source_of(e) for e in vocab if prices.source_of(e)})
    return Economics(float(cost_per_kg(x, vocab, prices)[0]), float(density(x, vocab)[0]), "; ".join(used))
