"""The element table and symbol set cached on disk: same values, no pymatgen/matminer import once cached."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from hea_campaign.model import elements

PROBE = """
import json, sys
from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.model.descriptors import featurize
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY
x = parse_formula("Al0.5CoCrCuFeNi").vector(DEFAULT_VOCABULARY)
try:
    parse_formula("FeXx")
except ValueError as e:
    err = str(e)
print(json.dumps({"d": featurize(x).tolist(), "err": err,
                  "imported": sorted(m for m in ("pymatgen", "matminer") if m in sys.modules)}))
"""


def _probe(cache) -> dict:
    env = {**os.environ, "HEA_CAMPAIGN_CACHE": str(cache)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_process_reads_the_cache_and_imports_neither_library(tmp_path):
    first = _probe(tmp_path)
    assert first["imported"]  # built: pymatgen (and matminer) were needed
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("*.npz")) == ["elements", "symbols"]
    second = _probe(tmp_path)
    assert second["imported"] == []
    assert second["d"] == first["d"]
    assert second["err"] == first["err"] and "not a chemical element" in second["err"]


def test_an_unreadable_cache_file_is_rebuilt_with_the_same_values(tmp_path, monkeypatch):
    monkeypatch.setenv("HEA_CAMPAIGN_CACHE", str(tmp_path))
    voc = ("Fe", "Ni", "Cr", "Co", "Al")
    built = elements.build_element_table(voc)
    elements.element_table.cache_clear()
    first = elements.element_table(voc)
    (path,) = tmp_path.glob("elements-*.npz")
    path.write_bytes(b"not an npz file")
    elements.element_table.cache_clear()
    again = elements.element_table(voc)
    for field in ("bulk_modulus", "molar_volume", "melting_point", "vec", "radius", "electronegativity",
                  "mixing_enthalpy"):
        np.testing.assert_array_equal(getattr(first, field), getattr(built, field))
        np.testing.assert_array_equal(getattr(again, field), getattr(built, field))
    assert np.load(path)["vec"].shape == (5,)  # rewritten whole
    elements.element_table.cache_clear()


def test_the_cache_key_follows_the_library_versions(tmp_path, monkeypatch):
    monkeypatch.setenv("HEA_CAMPAIGN_CACHE", str(tmp_path))
    voc = ("Fe", "Ni")
    a = elements._cache_path("elements", voc)
    versions = dict(elements._library_versions())
    monkeypatch.setattr(elements, "_library_versions", lambda: {**versions, "pymatgen": "0.0.1"})
    b = elements._cache_path("elements", voc)
    assert a != b and a.parent == b.parent == tmp_path
    assert elements._cache_path("elements", ("Ni", "Fe")) != b  # the order of the vocabulary matters
