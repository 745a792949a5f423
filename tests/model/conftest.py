"""Shared fixtures for the model-layer tests: the seed dataset read in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def seed_data():
    """(fractions, labels, split names) of the 1373 alloys of the paper's split."""
    comps = DATA / "HEA_top30_comps.csv"
    split = DATA / "paper_split.csv"
    if not comps.is_file() or not split.is_file():
        pytest.skip(f"seed data not found under {DATA}")
    df = pd.read_csv(comps, comment="#")
    sp = pd.read_csv(split)
    first = df.drop_duplicates("Alloys", keep="first").set_index("Alloys").loc[sp["Alloys"]]
    X = first.iloc[:, 1:].to_numpy(np.float64)
    y = first["Class"].to_numpy(np.float64)
    return X, y, sp["split"].to_numpy()


@pytest.fixture(scope="session")
def small_config():
    from hea_campaign.model.ssvae import SSVAEConfig

    return SSVAEConfig(
        encoder_hidden=(32,), decoder_hidden=(32,), classifier_hidden=(32, 32), n_heads=3,
        epochs=60, eval_every=5, patience=0, lr=5e-3, seed=0, background_size=8,
    )


@pytest.fixture(scope="session")
def trained(seed_data, small_config):
    """A short training on a subset of the paper split (shared by several tests)."""
    from hea_campaign.model.training import train

    X, y, s = seed_data
    rng = np.random.default_rng(0)
    lab = rng.permutation(np.flatnonzero(s == "labelled"))[:400]
    unl = np.flatnonzero(s == "unlabelled")[:150]
    val = np.flatnonzero(s == "validation")
    res = train(X[lab], y[lab], X[unl], X[val], y[val], small_config)
    return res, (lab, unl, val)
