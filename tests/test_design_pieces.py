"""Constraints, rounding, screening enumeration and batch selection."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hea_campaign.campaign.acquisition import acquisition, select_diverse
from hea_campaign.campaign.constraints import (
    HEA_DEFAULTS,
    ConstraintError,
    Constraints,
    round_to_granularity,
    satisfies,
    violations,
)
from hea_campaign.campaign.screening import Grid, enumerate_space, space_size
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V

IDX = {e: i for i, e in enumerate(V)}


def row(**fr):
    x = np.zeros(len(V))
    for e, f in fr.items():
        x[IDX[e]] = f
    return x


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=30, max_size=30).filter(lambda v: sum(v) > 1e-3),
       st.sampled_from([0.01, 0.02, 0.05, 0.1]))
def test_rounding_keeps_the_sum_and_the_grid(values, step):
    x = np.array([values])
    r = round_to_granularity(x, step)
    assert r.sum() == pytest.approx(1.0, abs=1e-9)
    units = r / step
    assert np.allclose(units, np.round(units), atol=1e-9)
    assert np.all(np.abs(r - x / x.sum()) <= step + 1e-9)


def test_each_constraint_is_enforced():
    base = row(Fe=0.25, Ni=0.25, Co=0.25, Cr=0.25)
    assert satisfies(base[None], Constraints(), V)[0]
    cases = [
        (Constraints(allowed=frozenset({"Fe", "Ni", "Co"})), "not allowed"),
        (Constraints(banned=frozenset({"Cr"})), "not allowed"),
        (Constraints(max_elements=3), "more than the maximum"),
        (Constraints(min_elements=5), "fewer than the minimum"),
        (Constraints(min_fraction={"Fe": 0.3}), "below the minimum"),
        (Constraints(max_fraction={"Ni": 0.2}), "above the maximum"),
    ]
    for c, phrase in cases:
        c.validate(V)
        assert not satisfies(base[None], c, V)[0], c
        assert any(phrase in v for v in violations(base, c, V)), (c, violations(base, c, V))


@pytest.mark.parametrize(
    ("c", "phrase"),
    [
        (Constraints(allowed=frozenset({"Fe", "Xx"})), "outside the model vocabulary"),
        (Constraints(allowed=frozenset({"Fe"}), banned=frozenset({"Fe"})), "both allowed and banned"),
        (Constraints(min_fraction={"Fe": 0.6, "Ni": 0.6}), "more than 100"),
        (Constraints(min_fraction={"Fe": 0.5}, max_fraction={"Fe": 0.2}), "min <= max"),
        (Constraints(granularity=0.03), "divide 100"),
        (Constraints(banned=frozenset({"Fe"}), min_fraction={"Fe": 0.1}), "not allowed"),
    ],
)
def test_contradictory_constraints_are_refused(c, phrase):
    with pytest.raises(ConstraintError, match=phrase):
        c.validate(V)


def test_screening_enumerates_the_whole_space_once():
    els = ["Fe", "Ni", "Co", "Cr"]
    chunks = list(enumerate_space(els, V, step=0.1, chunk=37))
    allx = np.concatenate(chunks)
    assert len(allx) == space_size(4, 0.1) == math.comb(13, 3)
    assert np.allclose(allx.sum(axis=1), 1)
    assert len({tuple(np.round(r * 10).astype(int)) for r in allx}) == len(allx)
    assert all(len(c) <= 37 for c in chunks)


def test_screening_applies_bounds_and_element_counts():
    c = Constraints(min_elements=4, max_fraction={"Fe": 0.3})
    allx = np.concatenate(list(enumerate_space(["Fe", "Ni", "Co", "Cr", "Al"], V, step=0.05, constraints=c)))
    assert len(allx) > 0
    assert np.all((allx > 0).sum(axis=1) >= 4)
    assert np.all(allx[:, IDX["Fe"]] <= 0.3 + 1e-9)
    everything = np.concatenate(list(enumerate_space(["Fe", "Ni", "Co", "Cr", "Al"], V, step=0.05)))
    assert satisfies(everything, c, V).sum() == len(allx)


def test_strategies_rank_as_documented():
    p = np.array([0.9, 0.5, 0.2])
    s = np.array([0.0, 0.2, 0.05])
    assert np.argmax(acquisition(p, s, "exploit")) == 0
    assert np.argmax(acquisition(p, s, "explore")) == 1
    assert np.argmax(acquisition(p, s, "greedy")) == 0
    with pytest.raises(ValueError, match="unknown strategy"):
        acquisition(p, s, "greediest")


def test_greedy_batch_skips_near_copies_but_fills_the_batch():
    from hea_campaign.campaign.acquisition import select_distinct

    X = np.array([[0.5, 0.5, 0.0], [0.51, 0.49, 0.0], [0.2, 0.4, 0.4], [0.3, 0.3, 0.4]])
    p = np.array([0.9, 0.85, 0.8, 0.1])
    assert select_distinct(p, X, 2) == [0, 2]  # row 1 is within 2 at.% of row 0
    assert select_distinct(p, X, 4) == [0, 2, 3, 1]  # filled with the near-copy when nothing else is left


def test_diverse_batch_is_not_near_copies():
    rng = np.random.default_rng(0)
    cluster = rng.normal(0, 0.01, size=(50, 2))  # fifty near-copies with the best scores
    far = rng.normal(0, 1, size=(20, 2)) + 5
    pts = np.concatenate([cluster, far])
    scores = np.concatenate([np.full(50, 0.9) + rng.random(50) * 0.01, np.full(20, 0.5)])
    picked = select_diverse(scores, pts, 8, min_distance=0.5)
    assert len(picked) == 8 and len(set(picked)) == 8
    assert sum(i < 50 for i in picked) == 1  # one from the cluster, the rest spread out
    top_only = list(np.argsort(-scores)[:8])
    assert sum(i < 50 for i in top_only) == 8  # plain ranking would have taken eight copies
    assert len(select_diverse(scores[:3], pts[:3], 10)) == 3


@pytest.mark.parametrize("strategy", ["greedy", "exploit", "explore", "balanced"])
def test_an_empty_pool_gives_an_empty_batch(strategy):
    """Every row set aside (all already in the store) must give no picks, not a crash."""
    from hea_campaign.campaign.acquisition import pick_batch

    empty = np.zeros(0)
    assert pick_batch(strategy, empty, empty, np.zeros((0, 5)), np.zeros((0, 2)), 3) == []


def test_latent_points_far_from_the_training_alloys_are_named():
    """A decoding far outside where the training alloys sit was never learnt from data: named, with the
    box widened by a quarter of its size on each side."""
    import numpy as np

    from hea_campaign.campaign.proposals import latent_points_outside

    training = np.array([[0.37, -0.12], [0.49, -0.04], [0.42, -0.08]])
    assert latent_points_outside([[0.47, -0.08], [0.51, -0.03], [9, 9], [0.40, -0.5]], training) == ["9,9", "0.4,-0.5"]
    assert latent_points_outside([], training) == []


def test_a_collapsed_latent_map_is_said_instead_of_blaming_the_points():
    """After `train --epochs 20` every alloy sat at one latent point and every point decoded to one alloy;
    the reply said the user's points 'lie outside the latent map'. It now says the map collapsed."""
    from types import SimpleNamespace

    from hea_campaign.tui.present.design_report import proposal_summary

    req = SimpleNamespace(mode="latent", cutoff=0.6, batch=4)
    base = dict(paths={}, dropped={}, known=[], candidate_ids=[7], produced=1, run_id=3, prior_weight=None,
                outside_map=["0,0", "3,3"])
    collapsed = "\n".join(proposal_summary(req, SimpleNamespace(**base, latent_extent=0.08)))
    assert "latent map has collapsed: every training alloy lies within 0.08 of one point" in collapsed
    assert "lie outside the latent map" not in collapsed
    healthy = "\n".join(proposal_summary(req, SimpleNamespace(**base, latent_extent=7.4)))
    assert "collapsed" not in healthy and "Latent point(s) 0,0; 3,3 lie outside the latent map" in healthy


def test_a_path_whose_start_was_moved_into_the_design_space_says_so():
    from types import SimpleNamespace

    from hea_campaign.tui.present.design_report import proposal_summary

    req = SimpleNamespace(mode="invert", cutoff=0.6, inversion="proximal", batch=12)
    path = [{"step": 0, "formula": "Al17Cr24Fe24Ni35", "p": 0.15}, {"step": 1, "formula": "Al7Cr29Fe29Ni35", "p": 0.61}]
    outcome = SimpleNamespace(paths={"Al0.7CrFeNi2.3": path}, dropped={}, known=[], candidate_ids=[7], produced=1,
                              run_id=3, prior_weight=None, outside_map=[])
    text = "\n".join(proposal_summary(req, outcome))
    assert ("(step 0 is Al0.7CrFeNi2.3 moved into the design space; the change is counted from Al0.7CrFeNi2.3 as "
            "it is: at.% Al 14.0 Cr 20.0 Fe 20.0 Ni 46.0)") in text
    inside = SimpleNamespace(**{**vars(outcome), "paths": {"Al17Cr24Fe24Ni35": path}})
    assert "moved into the design space" not in "\n".join(proposal_summary(req, inside))


def _whole_grid_then_filtered(els, step, c):
    """What screening enumerated before it knew the bounds: every composition of the grid (zeros allowed,
    lexicographic order of the amounts), kept when ``satisfies`` says so."""
    units = round(1 / step)
    rows = [r for r in itertools.product(range(units + 1), repeat=len(els)) if sum(r) == units]
    X = np.zeros((len(rows), len(V)))
    X[:, [IDX[e] for e in els]] = np.array(rows) / units
    return X[satisfies(X, c, V)]


@pytest.mark.parametrize(("els", "step", "c"), [
    (["Fe", "Ni", "Co", "Cr", "Mn"], 0.05, HEA_DEFAULTS),
    (["Fe", "Ni", "Co", "Cr", "Al", "Re"], 0.1, HEA_DEFAULTS.replace(banned=frozenset({"Re"}))),
    (["Fe", "Ni", "Co", "Cr", "Al"], 0.1, Constraints(min_fraction={"Al": 0.1}, max_fraction={"Fe": 0.2},
                                                      min_elements=2, max_elements=4, element_min=0.1)),
    (["Fe", "Ni", "Co", "Cr"], 0.1, Constraints()),
    (["Fe", "Ni"], 0.25, Constraints(max_elements=1)),
    (["Fe"], 0.5, Constraints()),
])
def test_screening_enumerates_only_the_space_in_the_order_of_the_whole_grid(els, step, c):
    expected = _whole_grid_then_filtered(els, step, c)
    chunks = list(enumerate_space(els, V, step=step, constraints=c, chunk=23))
    got = np.concatenate(chunks) if chunks else np.zeros((0, len(V)))
    np.testing.assert_array_equal(got, expected)  # the same rows, in the same order
    grid = Grid(els, step, c)
    assert grid.count == len(expected)  # the count is of the compositions screened, not of the whole grid
    assert sum(grid.part_size(f) for f in grid.firsts) == grid.count
    assert all(len(b) <= 23 for b in grid.rows(chunk=23))


def test_the_screening_count_is_of_the_design_space_not_the_whole_grid():
    """7 elements at 2 at.%: the whole grid holds C(56, 6) = 32,468,436 compositions, the default design
    space (4 to 6 elements, 5 to 35 at.% each) far fewer; only those are enumerated."""
    els = ["Fe", "Ni", "Co", "Cr", "Al", "Ti", "Mn"]
    assert space_size(7, 0.02) == math.comb(56, 6) == 32_468_436
    grid = Grid(els, 0.02, HEA_DEFAULTS)
    assert grid.count == 2_629_207 < space_size(7, 0.02)
    assert Grid(els[:5], 0.05, HEA_DEFAULTS).count == 2196  # not C(24, 4) = 10,626
    assert Grid(els[:3], 0.05, HEA_DEFAULTS).count == 0  # three elements, four needed


def test_a_grid_counts_exactly_beyond_the_floats_whole_numbers():
    """30 elements at 1 at.% without bounds: C(129, 29), about 6e28, more than floats hold exactly."""
    import math

    from hea_campaign.campaign.screening import Grid

    grid = Grid([f"E{i}" for i in range(30)], 0.01)
    assert not grid.exact and grid.count == math.comb(129, 29)
    assert sum(grid.part_size(f) for f in grid.firsts) == grid.count
