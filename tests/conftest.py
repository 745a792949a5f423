"""Shared fixtures: the real datasets from ../shared/data and real SQLite stores."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = (REPO / ".." / "shared" / "data").resolve()
SEED_CSV = DATA_DIR / "HEA_top30_comps.csv"
PAPER_SPLIT = DATA_DIR / "paper_split.csv"
MPEA_CSV = DATA_DIR / "external" / "MPEA_dataset.csv"

# Tests never touch the network or the user's cache: named datasets come from ../shared/data.
os.environ["HEA_CAMPAIGN_DATA_DIR"] = str(DATA_DIR)
os.environ.pop("HEA_CAMPAIGN_DB", None)


def pytest_configure(config):
    if not SEED_CSV.exists():
        raise pytest.UsageError(f"the seed dataset is missing: {SEED_CSV} (tests read ../shared/data beside the repo)")


@pytest.fixture
def store_path(tmp_path) -> Path:
    return tmp_path / "campaign.db"


@pytest.fixture
def store(store_path):
    from hea_campaign.campaign.store import CampaignStore

    s = CampaignStore.open(store_path, actor="tester")
    yield s
    s.close()


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory) -> Path:
    from hea_campaign.campaign.datasets import fetch
    from hea_campaign.campaign.importing import import_csv
    from hea_campaign.campaign.store import CampaignStore

    path = tmp_path_factory.mktemp("seeded") / "seed.db"
    s = CampaignStore.open(path, actor="tester")
    import_csv(s, fetch("yan2021"), source="yan2021", actor="tester")
    s.close()
    return path


def _open_copy(template: Path, path: Path):
    from hea_campaign.campaign.store import CampaignStore

    shutil.copy(template, path)
    return CampaignStore.open(path, actor="tester")


@pytest.fixture
def seeded_store(_seeded_template, tmp_path):
    """A fresh copy of a store holding the imported seed dataset."""
    s = _open_copy(_seeded_template, tmp_path / "seeded.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def _trained_template(_seeded_template, tmp_path_factory) -> Path:
    """The seeded store with one short training, active (checkpoints beside it)."""
    from hea_campaign.campaign.model_versions import train_version
    from hea_campaign.campaign.store import CampaignStore

    folder = tmp_path_factory.mktemp("trained")
    path = folder / "trained.db"
    shutil.copy(_seeded_template, path)
    s = CampaignStore.open(path, actor="tester")
    train_version(s, seed=0, epochs=120, activate=True, by="tester")
    s.close()
    return path


@pytest.fixture
def trained_store(_trained_template, tmp_path):
    """A fresh copy of a seeded store with an active (briefly trained) model."""
    s = _open_copy(_trained_template, tmp_path / "trained.db")
    yield s
    s.close()
