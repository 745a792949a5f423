"""Fixtures for the fuzz tests: stores that live for a whole Hypothesis run.

Hypothesis runs a test body many times with one set of fixtures, so the
stores here are module-scoped; every property is checked relative to the
store's counts just before the import under test.
"""

from __future__ import annotations

import itertools

import pytest

_names = itertools.count()

#: exported candidates put in every results-fuzzing store: id -> canonical formula
CANDIDATE_FORMULAS = ("CoCrFeNi", "AlCoCrFeNi", "HfNbTaTiZr")


def new_store(folder):
    from hea_campaign.campaign.store import CampaignStore

    return CampaignStore.open(folder / f"fuzz{next(_names)}.db", actor="fuzz")


def add_exported_candidates(store) -> dict[int, str]:
    from tests.lab.conftest import insert_candidates

    ids = insert_candidates(store, CANDIDATE_FORMULAS, status="exported")
    return dict(zip(ids, CANDIDATE_FORMULAS, strict=True))


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def dataset_store(fuzz_dir):
    s = new_store(fuzz_dir)
    yield s
    s.close()


@pytest.fixture(scope="module")
def results_store(fuzz_dir):
    """(store, {candidate id: formula}) with a few exported candidates."""
    s = new_store(fuzz_dir)
    yield s, add_exported_candidates(s)
    s.close()


def next_path(folder, suffix: str = ".csv"):
    """A fresh file name (files are kept: their sha256 keys the imports)."""
    return folder / f"in{next(_names)}{suffix}"
