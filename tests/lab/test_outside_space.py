"""Candidates outside the campaign's current design space (a space tightened after they were proposed):
approve and export warn, naming each and why, and the list and the detail mark them; nothing is refused."""

from __future__ import annotations

import numpy as np

from hea_campaign.campaign.constraints import HEA_DEFAULTS, Constraints, violations
from hea_campaign.campaign.design_space import (
    outside_current_space,
    outside_reasons,
    save_design_space,
    update_design_space,
)
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V

from .conftest import insert_candidates

OUT = "Co18Cr6Cu23Fe35Ni18"  # Cu, and above 12 USD/kg at pymatgen's prices
IN = "Cr20Fe35Mn30Ni15"  # cheap, no Cu


def _tight(**more) -> dict:
    return {"design_space": HEA_DEFAULTS.replace(max_cost_per_kg=12, banned=frozenset({"Cu"}), **more).describe()}


def test_reasons_are_short_and_say_why():
    why = outside_reasons({15: OUT, 2: IN, 3: "Fe40Ni30Co30"}, _tight())
    assert set(why) == {15, 3}
    assert why[15][0] == "Cu is banned" and why[15][1].endswith(" USD/kg > 12")
    assert why[3][:2] == ("3 elements < 4", "Fe 40 at.% > 35")
    assert outside_reasons({15: OUT}, {}) == {}  # the default space admits it
    assert outside_reasons({15: OUT}, _tight(allowed=frozenset({"Co", "Cr", "Fe", "Ni", "Mn"})))[15][0] == \
        "Cu is banned"
    only = {"design_space": HEA_DEFAULTS.replace(allowed=frozenset({"Co", "Cr", "Fe", "Ni", "Mn"})).describe()}
    assert outside_reasons({15: OUT}, only) == {15: ("Cu is not allowed",)}


def test_short_reasons_come_from_the_same_checks_as_the_long_ones():
    x = np.zeros(len(V))
    x[V.index("Fe")], x[V.index("Ni")], x[V.index("Co")] = 0.4, 0.3, 0.3
    space = HEA_DEFAULTS.replace(max_density=7.0, min_fraction={"Cr": 0.05})
    long, short = violations(x, space, V), violations(x, space, V, short=True)
    assert len(long) == len(short) == 4
    assert short == ["3 elements < 4", "Cr 0 at.% < 5", "Fe 40 at.% > 35", f"{short[-1].split()[0]} g/cm3 > 7"]


def test_the_current_space_is_read_from_the_store(store):
    [a, b] = insert_candidates(store, [OUT, IN])
    assert outside_current_space(store, {a: OUT, b: IN}) == {}
    update_design_space(store, max_cost_per_kg=12, banned=frozenset({"Cu"}))
    assert list(outside_current_space(store, {a: OUT, b: IN})) == [a]
