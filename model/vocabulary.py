"""The element vocabulary: the ordered elements a model can encode.

It is a model setting (stored in every checkpoint), so it lives in model/;
the default is the 30 elements of the seed dataset in the seed paper's order.
"""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_VOCABULARY: tuple[str, ...] = (
    "Fe", "Ni", "Cr", "Co", "Al", "Ti", "Cu", "Mo", "V", "Nb",
    "Mn", "Zr", "Ta", "W", "Hf", "Si", "Rh", "Ru", "Re", "Os",
    "Pt", "Pd", "Ir", "Mg", "Ag", "Zn", "Sn", "Au", "Li", "Sc",
)  # fmt: skip


def outside(elements: Sequence[str], vocabulary: Sequence[str] = DEFAULT_VOCABULARY) -> list[str]:
    """Elements that the vocabulary cannot encode, in the order given."""
    known = set(vocabulary)
    return [e for e in elements if e not in known]
