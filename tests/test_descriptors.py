"""f(x): hand-computed values, element data coverage, batch == single."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.model.descriptors import DESCRIPTOR_NAMES, featurize
from hea_campaign.model.elements import table_for
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY

R = 8.314462618
# Element data written out by hand from the documented sources (elements.py):
# k (GPa), Vm (cm3/mol), Tm (K), VEC (no f electrons), r (Miracle, angstrom), chi (Pauling).
ELEMENTS = {
    "Co": (180, 6.67, 1768, 9, 1.25, 1.88),
    "Cr": (160, 7.23, 2180, 6, 1.30, 1.66),
    "Fe": (170, 7.09, 1811, 8, 1.25, 1.83),
    "Mn": (120, 7.35, 1519, 7, 1.32, 1.55),
    "Ni": (180, 6.59, 1728, 10, 1.26, 1.91),
    "Hf": (110, 13.44, 2506, 4, 1.58, 1.30),
    "Nb": (170, 10.83, 2750, 5, 1.43, 1.60),
    "Ta": (200, 10.85, 3290, 5, 1.45, 1.50),
    "Ti": (110, 10.64, 1941, 4, 1.42, 1.54),
    "Zr": (83.3, 14.02, 2128, 4, 1.58, 1.33),
    "Al": (76, 10.0, 933.47, 3, 1.41, 1.61),
    "Cu": (140, 7.11, 1357.77, 11, 1.26, 1.90),
}
# Takeuchi & Inoue (2005) Miedema binary mixing enthalpies, kJ/mol.
H = {
    frozenset(p.split("-")): v
    for p, v in {
        "Co-Cr": -4, "Co-Fe": -1, "Co-Mn": -5, "Co-Ni": 0, "Cr-Fe": -1, "Cr-Mn": 2, "Cr-Ni": -7,
        "Fe-Mn": 0, "Fe-Ni": -2, "Mn-Ni": -8,
        "Hf-Nb": 4, "Hf-Ta": 3, "Hf-Ti": 0, "Hf-Zr": 0, "Nb-Ta": 0, "Nb-Ti": 2, "Nb-Zr": 4,
        "Ta-Ti": 1, "Ta-Zr": 3, "Ti-Zr": 0,
        "Al-Co": -19, "Al-Cr": -10, "Al-Cu": -1, "Al-Fe": -11, "Al-Ni": -22, "Co-Cu": 6,
        "Cr-Cu": 12, "Cu-Fe": 13, "Cu-Ni": 4,
    }.items()
}  # fmt: skip


def by_hand(fractions: dict[str, float]) -> list[float]:
    """The DESIGN.md formulas written as plain loops over elements."""
    els = list(fractions)
    c = [fractions[e] for e in els]
    prop = lambda j: [ELEMENTS[e][j] for e in els]  # noqa: E731
    mix = lambda j: sum(ci * pi for ci, pi in zip(c, prop(j)))  # noqa: E731
    r_bar, chi_bar = mix(4), mix(5)
    delta = 100 * math.sqrt(sum(ci * (1 - ri / r_bar) ** 2 for ci, ri in zip(c, prop(4))))
    dchi = math.sqrt(sum(ci * (xi - chi_bar) ** 2 for ci, xi in zip(c, prop(5))))
    ds = -R * sum(ci * math.log(ci) for ci in c)
    dh = sum(4 * H[frozenset((els[i], els[j]))] * c[i] * c[j] for i in range(len(els)) for j in range(i + 1, len(els)))
    return [mix(0), mix(1), mix(2), mix(3), delta, dchi, ds, dh]


@pytest.mark.parametrize(
    ("formula", "literature"),
    [
        # literature values that do not depend on the radius scale: VEC, dS (R ln n), dH
        ("CoCrFeMnNi", {"VEC": 8.0, "dS": R * math.log(5), "dH": -4.16}),
        ("HfNbTaTiZr", {"VEC": 4.4, "dS": R * math.log(5), "dH": 2.72}),
        ("Al0.5CoCrCuFeNi", {"VEC": 45.5 / 5.5, "dS": 14.70, "dH": -1.52}),
    ],
)
def test_descriptors_match_hand_computation(formula, literature):
    comp = parse_formula(formula)
    got = featurize(comp.vector(DEFAULT_VOCABULARY))
    expected = by_hand(comp.as_dict())
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
    for name, value in literature.items():
        assert got[DESCRIPTOR_NAMES.index(name)] == pytest.approx(value, abs=0.01), name


def test_every_vocabulary_element_has_every_property():
    t = table_for(DEFAULT_VOCABULARY)
    for name in ("bulk_modulus", "molar_volume", "melting_point", "vec", "radius", "electronegativity"):
        values = getattr(t, name)
        assert values.shape == (30,), name
        assert np.all(np.isfinite(values)) and np.all(values > 0), name
    h = t.mixing_enthalpy
    assert np.all(np.isfinite(h)) and np.allclose(h, h.T) and np.all(np.diag(h) == 0)
    off_diagonal = h[~np.eye(30, dtype=bool)]
    assert np.count_nonzero(off_diagonal) > 0.8 * off_diagonal.size  # real table, not a zero fill


def test_vec_counts_no_f_electrons_and_sn_melts_at_505_k():
    t = table_for(DEFAULT_VOCABULARY)
    vec = dict(zip(DEFAULT_VOCABULARY, t.vec))
    assert (vec["Ta"], vec["W"], vec["Hf"], vec["Pt"], vec["Au"]) == (5, 6, 4, 10, 11)
    assert (vec["Al"], vec["Si"], vec["Sn"]) == (3, 4, 14)
    tm = dict(zip(DEFAULT_VOCABULARY, t.melting_point))
    assert tm["Sn"] == pytest.approx(505.08, abs=0.5)


def test_pure_element_has_no_mixing_terms():
    row = np.zeros(30)
    row[DEFAULT_VOCABULARY.index("W")] = 1.0
    f = featurize(row)
    assert f[DESCRIPTOR_NAMES.index("delta")] == 0
    assert f[DESCRIPTOR_NAMES.index("dS")] == 0
    assert f[DESCRIPTOR_NAMES.index("dH")] == 0


def test_batch_and_single_agree():
    rng = np.random.default_rng(0)
    x = rng.dirichlet(np.ones(30) * 0.3, size=64)
    batch = featurize(x)
    single = np.stack([featurize(row) for row in x])
    np.testing.assert_allclose(batch, single, rtol=1e-12)
    assert batch.shape == (64, 8)
    assert np.all(np.isfinite(batch))


def test_wrong_width_is_refused():
    with pytest.raises(ValueError, match="shape"):
        featurize(np.ones((2, 5)) / 5)


def test_torch_descriptors_match_numpy_and_have_gradients():
    import torch

    from hea_campaign.model.descriptors import featurize_torch

    rng = np.random.default_rng(1)
    x = rng.dirichlet(np.ones(30) * 0.3, size=16)
    xt = torch.tensor(x, requires_grad=True)
    ft = featurize_torch(xt)
    np.testing.assert_allclose(ft.detach().numpy(), featurize(x), rtol=1e-6, atol=1e-6)
    ft[:, DESCRIPTOR_NAMES.index("dH")].sum().backward()
    assert torch.isfinite(xt.grad).all() and xt.grad.abs().sum() > 0
