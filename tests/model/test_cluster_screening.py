"""Screening on a Dask cluster (a real dask.distributed LocalCluster) returns the local run's rows."""

from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from hea_campaign.campaign.constraints import Constraints  # noqa: E402
from hea_campaign.campaign.screening import enumerate_space, screen_space  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c


def test_a_cluster_screens_the_same_best_rows_as_a_local_run(trained, cluster):
    model = trained[0].model
    els = ["Fe", "Ni", "Co", "Cr", "Al", "Ti"]
    space = Constraints(max_fraction={"Al": 0.3}, min_elements=4, granularity=0.05)
    local_X, local_s = screen_space(model, els, step=0.05, keep=300, strategy="balanced", constraints=space)
    seen = []
    remote_X, remote_s = screen_space(model, els, step=0.05, keep=300, strategy="balanced", constraints=space,
                                      scheduler=cluster.scheduler_address, progress=lambda d, t: seen.append((d, t)))
    np.testing.assert_array_equal(remote_X, local_X)
    np.testing.assert_array_equal(remote_s, local_s)
    assert len(local_X) == 300 and np.all(np.diff(local_s) <= 0)
    assert seen[-1][0] == seen[-1][1]  # every composition of the space was screened


def test_the_parts_cover_the_space_once_and_keep_its_best_rows(trained):
    from hea_campaign.campaign.acquisition import acquisition

    model = trained[0].model
    els = ["Fe", "Ni", "Co", "Cr"]
    X_all = np.concatenate(list(enumerate_space(els, model.vocabulary, step=0.1)))
    p, s = model.predict_proba(X_all, return_std=True)
    score = acquisition(p, s, "exploit")
    X, sc = screen_space(model, els, step=0.1, keep=len(X_all) + 5, strategy="exploit", chunk=7)
    assert len(X) == len(X_all) == len({tuple(x) for x in X})  # every composition, once
    np.testing.assert_allclose(np.sort(sc), np.sort(score), rtol=1e-5, atol=1e-6)
    top, _ = screen_space(model, els, step=0.1, keep=10, strategy="exploit")
    assert {tuple(x) for x in top} <= {tuple(x) for x in X[np.argsort(-sc, kind="stable")[:10 + 5]]}


def test_simulate_spreads_repeats_over_a_cluster_with_the_local_records(cluster):
    from hea_campaign.campaign.simulation import SimulationSettings, load_pool, simulate

    pool = load_pool("yan2021")
    s = SimulationSettings(initial=20, batch=4, rounds=1, repeats=2, strategies=("random", "exploit"),
                           first_epochs=2, round_epochs=1, max_pool=120, seed=3, jobs=1)
    local = simulate(pool, s)
    ticks = []
    remote = simulate(pool, s, scheduler=cluster.scheduler_address, progress=lambda d, t, m: ticks.append((d, t)))
    strip = [(r.strategy, r.repeat, r.round, r.found, r.experiments, r.picked) for r in local.records]
    assert strip == [(r.strategy, r.repeat, r.round, r.found, r.experiments, r.picked) for r in remote.records]
    assert ticks[-1] == (s.trainings, s.trainings)
