"""Screening on a Dask cluster (a real dask.distributed LocalCluster) returns the local run's rows."""

from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from hea_campaign.campaign.constraints import Constraints  # noqa: E402
from hea_campaign.campaign.screening import enumerate_space, part_groups, screen_space  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c


def test_a_cluster_screens_the_same_best_rows_as_a_local_run(trained, cluster):
    model = trained[0].model
    els = ["Fe", "Ni", "Co", "Cr", "Al", "Ti"]
    space = Constraints(max_fraction={"Al": 0.3}, min_elements=4, granularity=0.05)
    local_X, local_s = screen_space(model, els, step=0.05, keep=300, strategy="balanced", constraints=space, chunk=6000)
    seen = []
    remote_X, remote_s = screen_space(model, els, step=0.05, keep=300, strategy="balanced", constraints=space,
                                      scheduler=cluster.scheduler_address, progress=lambda d, t: seen.append((d, t)),
                                      chunk=6000)
    assert len(seen) > 5  # the space went out in several groups
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


@pytest.mark.parametrize(("k", "units", "chunk"), [(5, 20, 200_000), (6, 20, 6000), (4, 10, 7), (2, 10, 3), (1, 10, 5)])
def test_parts_are_joined_in_order_into_groups_no_larger_than_a_chunk(k, units, chunk):
    from math import comb

    firsts = [units] if k == 1 else list(range(units + 1))
    groups = part_groups(k, units, firsts, chunk)
    assert [f for g in groups for f in g] == firsts  # every part once, in order
    size = (lambda f: 1) if k <= 2 else (lambda f: comb(units - f + k - 2, k - 2))
    for g in groups:
        assert len(g) == 1 or sum(map(size, g)) <= chunk  # a part larger than a chunk stands alone
    for g, h in zip(groups, groups[1:]):
        assert sum(map(size, g)) + size(h[0]) > chunk  # joined as far as the chunk allows
    if k == 5:
        assert len(groups) == 1  # Fe-Ni-Co-Cr-Al at 5 at.%: 10,626 compositions, one group


def test_a_space_that_fits_a_chunk_is_scored_in_one_call(trained):
    model = trained[0].model
    calls = []
    real = model.predict_proba

    class Counting:
        vocabulary = model.vocabulary

        def predict_proba(self, X, return_std=False):
            calls.append(len(X))
            return real(X, return_std=return_std)

    space = Constraints(element_min=0.05, element_max=0.35)  # the default design space
    X, _ = screen_space(Counting(), ["Fe", "Ni", "Co", "Cr", "Al"], step=0.05, keep=12, strategy="balanced",
                        constraints=space)
    assert len(calls) == 1 and calls[0] > 1000 and len(X) == 12


def test_a_cluster_task_scores_on_one_thread_where_a_local_run_splits(trained, monkeypatch):
    """The workers are one process per core: a task must not split its batch over every core."""
    from hea_campaign.campaign import screening
    from hea_campaign.model import ssvae, threads

    model = trained[0].model
    monkeypatch.delenv(threads.ENV, raising=False)
    monkeypatch.setattr(threads, "cores", lambda: 2)
    parts: list[int] = []
    real = threads.map_split
    monkeypatch.setattr(ssvae, "map_split", lambda kind, ps, fn: parts.append(len(ps)) or real(kind, ps, fn))
    args = (["Fe", "Ni", "Co", "Cr", "Al", "Ti"], 0.05, list(range(21)), 5, "exploit")
    local = screening.screen_parts(model, *args)
    assert parts and max(parts) == 2  # here the 53,130 rows are split over the two cores
    parts.clear()
    remote = screening._screen_parts_on_worker(model, *args)
    assert parts == [] or max(parts) == 1
    np.testing.assert_array_equal(local[0], remote[0])
    np.testing.assert_array_equal(local[1], remote[1])


def test_screening_inside_the_bounds_keeps_the_rows_the_whole_grid_gave(trained):
    """Screening used to enumerate the whole grid and filter it; now it enumerates the design space only.
    The best rows (and their order) are those of the whole grid filtered, and the progress counts the
    compositions of the space (2,196 here), not the grid's 10,626."""
    import itertools

    from hea_campaign.campaign.acquisition import acquisition
    from hea_campaign.campaign.constraints import HEA_DEFAULTS, satisfies

    model = trained[0].model
    els = ["Fe", "Ni", "Co", "Cr", "Al"]
    rows = [r for r in itertools.product(range(21), repeat=5) if sum(r) == 20]  # the whole grid, in its order
    X_all = np.zeros((len(rows), len(model.vocabulary)))
    X_all[:, [list(model.vocabulary).index(e) for e in els]] = np.array(rows) / 20
    X_all = X_all[satisfies(X_all, HEA_DEFAULTS, model.vocabulary)]
    p, s = model.predict_proba(X_all, return_std=True)
    score = acquisition(p, s, "balanced")
    top = np.argsort(-score, kind="stable")[:40]
    seen = []
    X, sc = screen_space(model, els, step=0.05, keep=40, strategy="balanced", constraints=HEA_DEFAULTS,
                         progress=lambda d, t: seen.append((d, t)))
    np.testing.assert_array_equal(X, X_all[top])
    np.testing.assert_array_equal(sc, score[top])
    assert seen[-1] == (len(X_all), len(X_all)) == (2196, 2196)
