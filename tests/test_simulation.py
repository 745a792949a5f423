"""The retrospective campaign: metrics by hand, the store it leaves behind, and `simulate --quick`."""

from __future__ import annotations

import csv
import math
from collections import Counter

import numpy as np
import pytest
from sqlalchemy import text

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.simulation import (
    QUICK,
    STRATEGIES,
    SimulationSettings,
    Target,
    _split,
    _subset,
    load_pool,
    parse_target,
    simulate,
)
from hea_campaign.campaign.simulation_metrics import Spread, acceleration, enhancement, experiments_to_reach
from hea_campaign.campaign.simulation_report import summarise


@pytest.fixture(scope="module")
def pool():
    return load_pool("yan2021")


# --- metrics -------------------------------------------------------------------------


def test_enhancement_is_the_ratio_at_equal_experiments_and_undefined_while_neither_found_any():
    """3 found against random's 0 was nan and left out of the median: of repeats 3/0, 2/1, 3/1 the EF read
    2.50 over two repeats under a header saying three. It is infinite, and the table says when a repeat is
    left out."""
    from hea_campaign.campaign.simulation_metrics import Spread
    from hea_campaign.tui.present.simulation_text import _of

    ef = enhancement(np.array([0, 3, 6, 8]), np.array([0, 0, 2, 4]))
    assert math.isnan(ef[0]) and ef[1] == math.inf
    assert ef[2:].tolist() == [3.0, 2.0]
    spread = Spread.of(enhancement(np.array([3, 2, 3]), np.array([0, 1, 1])))
    assert spread.n == 3 and spread.median == 3.0 and spread.format(2) == "3.00 [2.00, inf]"
    some = Spread.of(enhancement(np.array([0, 2, 3]), np.array([0, 1, 1])))
    assert some.n == 2 and _of(some, 3) == " (2 of 3)" and _of(spread, 3) == ""


def test_experiments_to_reach_interpolates_between_rounds():
    x = np.array([0, 8, 16, 24])
    found = np.array([0, 2, 6, 7])
    assert experiments_to_reach(x, found, 2) == 8
    assert experiments_to_reach(x, found, 4) == 12  # halfway from 2 (at 8) to 6 (at 16)
    assert experiments_to_reach(x, found, 0) == 0
    assert math.isinf(experiments_to_reach(x, found, 8))


def test_acceleration_compares_experiments_for_the_same_count():
    x = np.array([0, 8, 16, 24])
    strategy = np.array([0, 4, 7, 9])
    random = np.array([0, 2, 4, 7])
    af = acceleration(x, strategy, random)
    assert math.isnan(af[0])
    assert af[1] == pytest.approx(16 / 8)  # random reaches 4 at 16
    assert af[2] == pytest.approx(24 / 16)  # random reaches 7 at 24
    assert math.isinf(af[3])  # random never reaches 9


def test_spread_keeps_infinite_values_as_larger_than_any_and_prints_a_bound():
    s = Spread.of([1.0, 2.0, math.inf, math.inf, math.nan])
    assert s.n == 4 and math.isinf(s.q3) and s.q1 == 1.0
    assert s.format(2, bound=3.0).endswith(", >3.00]")
    assert Spread.of([1.0, 3.0]).median == 2.0
    assert Spread.of([math.nan]).format() == "n/a"
    # every repeat alike still shows its (empty) spread, so that no strategy's cell reads differently
    assert Spread.of([8.0, 8.0]).format(1) == "8.0 [8.0, 8.0]" and Spread.of([8.0]).format(1) == "8.0"


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [("single phase", 1), ("single phase with at least 4 elements", 4), ("Single-phase with at least 5 elements", 5),
     ("single phase >= 3 elements", 3)],
)  # fmt: skip
def test_parse_target_reads_the_documented_forms(text_in, expected):
    assert parse_target(text_in) == Target(expected)


@pytest.mark.parametrize("bad", ["", "multi phase", "single phase with at least 0 elements",
                                 "single phase with at least 99 elements", "single phase with 4"])  # fmt: skip
def test_parse_target_refuses_anything_else(bad):
    with pytest.raises(CampaignError):
        parse_target(bad)


def test_settings_that_cannot_run_are_refused_with_a_reason(pool):
    with pytest.raises(CampaignError, match="random"):
        SimulationSettings(strategies=("exploit",)).check(len(pool))
    with pytest.raises(CampaignError, match="unknown strategy"):
        SimulationSettings(strategies=("random", "greediest")).check(len(pool))
    with pytest.raises(CampaignError, match="fewer than"):
        SimulationSettings(batch=100, rounds=20).check(len(pool))


def test_the_pool_merges_repeated_compositions_and_leaves_out_conflicts(pool):
    assert len(pool.formulas) == len(set(pool.formulas))
    assert pool.left_out["conflicting labels"] == 3  # the three conflicts the importer reports
    assert len(pool) == 1369 - 3
    assert np.allclose(pool.X.sum(1), 1.0)


# --- a small run, through the store ------------------------------------------------------


def test_a_run_reveals_exactly_its_picks_through_the_store(pool, tmp_path):
    s = SimulationSettings(**{**QUICK, "repeats": 1, "rounds": 2, "strategies": ("random", "exploit"), "jobs": 1})
    result = simulate(pool, s, workdir=tmp_path)
    by_formula = dict(zip(pool.formulas, range(len(pool)), strict=True))
    folder = tmp_path / "repeat-00"
    for strategy in s.strategies:
        recs = [r for r in result.records if r.strategy == strategy]
        assert [r.round for r in recs] == [0, 1, 2]
        picked = [f for r in recs if r.round > 0 for f in r.picked.split(";") if f]
        assert len(picked) == len(set(picked)) == s.rounds * s.batch  # never the same alloy twice
        idx = [by_formula[f] for f in picked]
        assert all(pool.n_elements[i] >= s.target.min_elements for i in idx)
        assert recs[-1].found == int(pool.targets(s.target)[idx].sum())  # found counts the hidden labels
        from hea_campaign.campaign.store import CampaignStore

        store = CampaignStore.open(folder / f"{strategy}.db", create=False)
        try:
            with store.read() as session:
                actions = Counter(a for (a,) in session.execute(text("select action from audit_event")))
                measured = {f for (f,) in session.execute(text(
                    "select a.formula from measurement m join alloy a on a.id = m.alloy_id"))}  # fmt: skip
                in_store = {f for (f,) in session.execute(text("select formula from alloy"))}
                assert session.execute(text("pragma integrity_check")).scalar() == "ok"
        finally:
            store.close()
        assert actions["measurement.add"] == s.initial + s.rounds * s.batch
        assert actions["model.train"] == s.rounds + 1 and actions["model.activate"] == s.rounds + 1
        assert set(picked) <= measured  # every pick is a measurement in the store
        # the held-out test alloys never enter the store; every other pool alloy does
        sub = _subset(pool, s.max_pool, s.seed)
        test, _, _ = _split(sub, s, np.random.default_rng(s.seed))
        test_formulas = {sub.formulas[i] for i in test}
        assert not test_formulas & in_store
        assert len(in_store) == len(sub) - len(test)


def test_reference_strategies_share_initial_alloys_and_test_set_with_the_tool(pool, tmp_path):
    s = SimulationSettings(**{**QUICK, "repeats": 2, "rounds": 3,
                              "strategies": ("random", "greedy", "forest", "rule"), "jobs": 1})
    result = simulate(pool, s, workdir=tmp_path)
    sub = _subset(pool, s.max_pool, s.seed)
    for rep in range(s.repeats):
        first = {r.strategy: r for r in result.records if r.repeat == rep and r.round == 0}
        assert set(first) == set(s.strategies)
        assert len({r.picked for r in first.values()}) == 1  # the same initial alloys
        assert len(first["random"].picked.split(";")) == s.initial
        assert len({r.test_set for r in result.records if r.repeat == rep}) == 1  # the same test set
        test, initial, _ = _split(sub, s, np.random.default_rng(s.seed + 1009 * rep))
        test_f = {sub.formulas[i] for i in test}
        assert set(first["forest"].picked.split(";")) == {sub.formulas[i] for i in initial}
        for strategy in s.strategies:
            picks = [f for r in result.records if r.repeat == rep and r.strategy == strategy and r.round > 0
                     for f in r.picked.split(";")]
            assert len(picks) == len(set(picks)) == s.rounds * s.batch
            assert not set(picks) & test_f and not set(picks) & {sub.formulas[i] for i in initial}
    # the rule never sees a label: its picks are the same in every repeat whose pool is the same
    rule = [r for r in result.records if r.strategy == "rule"]
    assert all(r.test_accuracy != r.test_accuracy for r in rule)  # no model, no learning curve
    # the forest has a learning curve measured on the same test rows
    assert all(0 <= r.test_accuracy <= 1 for r in result.records if r.strategy == "forest")
    rows = summarise(result)
    paired = [r for r in rows if r.strategy == "greedy" and r.paired is not None]
    assert paired and all(p.paired.reference in ("forest", "rule") for p in paired)
    for r in paired:
        g = result.curves("greedy")[:, r.experiments // s.batch]
        ref = result.curves(r.paired.reference)[:, r.experiments // s.batch]
        assert (r.paired.wins, r.paired.ties, r.paired.losses) == (
            int((g > ref).sum()), int((g == ref).sum()), int((g < ref).sum()))


def test_same_seed_same_campaign(pool, tmp_path):
    s = SimulationSettings(**{**QUICK, "repeats": 1, "rounds": 1, "strategies": ("random", "balanced"), "jobs": 1})
    a = simulate(pool, s, workdir=tmp_path / "a")
    b = simulate(pool, s, workdir=tmp_path / "b")
    assert [(r.strategy, r.picked, r.found) for r in a.records] == [(r.strategy, r.picked, r.found) for r in b.records]
    assert [r.test_accuracy for r in a.records] == [r.test_accuracy for r in b.records]


# --- the command -------------------------------------------------------------------------


def test_simulate_quick_prints_every_strategy_and_writes_every_round(tmp_path, capsys):
    from hea_campaign.tui.cli import main

    out = tmp_path / "sim.csv"
    assert main(["simulate", "--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    seen = {(r["strategy"], int(r["repeat"]), int(r["round"])) for r in rows}
    defaults = SimulationSettings().strategies
    assert {"random", "greedy", "forest", "rule"} <= set(defaults) <= set(STRATEGIES)
    expected = {(s, k, n) for s in defaults for k in range(QUICK["repeats"]) for n in range(QUICK["rounds"] + 1)}
    assert seen == expected and len(rows) == len(expected)
    for r in rows:
        assert int(r["experiments"]) == int(r["round"]) * QUICK["batch"]
        assert 0 <= int(r["found"]) <= int(r["experiments"])
        if r["strategy"] != "rule":  # the physics rule has no model to test
            assert 0.0 <= float(r["test_accuracy"]) <= 1.0
    for strategy in defaults:
        assert sum(line.startswith(strategy + " ") for line in printed.splitlines()) >= 1
    png = out.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wall time" in printed


@pytest.fixture
def asked_to_simulate(monkeypatch):
    """The settings `simulate` would run with (the run itself replaced by a recorder that fails the command)."""
    from hea_campaign.campaign import simulation

    seen = {}

    def record(pool, settings, **kwargs):
        seen["settings"] = settings
        raise CampaignError("recorded")

    monkeypatch.setattr(simulation, "simulate", record)
    return seen


def test_quick_keeps_the_sizes_typed_and_says_what_it_set(asked_to_simulate, tmp_path, capsys):
    from hea_campaign.tui.cli import main

    out = str(tmp_path / "x.csv")
    assert main(["simulate", "--quick", "--repeats", "1", "--rounds", "20", "--round-epochs", "7", "--out", out]) == 2
    s = asked_to_simulate["settings"]
    assert (s.repeats, s.rounds, s.round_epochs) == (1, 20, 7)  # typed: they win, even 20 (the default's value)
    assert (s.initial, s.batch, s.first_epochs, s.max_pool) == tuple(
        QUICK[k] for k in ("initial", "batch", "first_epochs", "max_pool"))
    note = capsys.readouterr().err.splitlines()[0]
    assert note == ("--quick: a 400-alloy pool, --initial 30, --batch 4, --first-epochs 40; "
                    "--rounds 20, --repeats 1, --round-epochs 7 as given")
    assert main(["simulate", "--quick", "--out", out]) == 2
    assert asked_to_simulate["settings"] == SimulationSettings(**{**asked_to_simulate["settings"].__dict__, **QUICK})


def test_quick_help_says_what_it_sets_and_that_typed_sizes_win(capsys):
    from hea_campaign.tui.cli import main

    assert main(["simulate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    for key, value in QUICK.items():
        option = "pool" if key == "max_pool" else "--" + key.replace("_", "-")
        assert (f"{value}-alloy pool" if key == "max_pool" else f"{option} {value}") in text, option
    assert "any of those options you give wins" in text


def test_simulate_refuses_bad_input_with_one_line(tmp_path, capsys):
    from hea_campaign.tui.cli import main

    assert main(["simulate", "--quick", "--strategies", "exploit", "--out", str(tmp_path / "x.csv")]) == 2
    assert "random" in capsys.readouterr().err
    assert main(["simulate", "--quick", "--target", "two phases", "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["simulate", "--quick", "--out", str(tmp_path / "no" / "x.csv")]) == 2


def test_summary_rows_pair_each_strategy_with_random(pool, tmp_path):
    s = SimulationSettings(**{**QUICK, "repeats": 1, "rounds": 2, "strategies": ("random", "exploit"), "jobs": 1})
    result = simulate(pool, s, workdir=tmp_path)
    rows = {(r.strategy, r.experiments): r for r in summarise(result)}
    rnd = result.curves("random")[0]
    exp = result.curves("exploit")[0]
    last = int(result.experiments[-1])
    row = rows[("exploit", last)]
    assert row.found.median == exp[-1]
    if rnd[-1] > 0:
        assert row.ef.median == pytest.approx(exp[-1] / rnd[-1])
        assert rows[("random", last)].ef.median == 1.0


def test_one_repeat_one_strategy_and_one_round_are_said_in_the_singular(pool, tmp_path):
    from hea_campaign.tui.present.simulation_text import format_summary

    s = SimulationSettings(**{**QUICK, "repeats": 1, "rounds": 1, "strategies": ("random",), "jobs": 1})
    text = format_summary(simulate(pool, s, workdir=tmp_path), [])
    assert "1 repeat x 1 strategy; 30 initial alloys, then 1 round of 4;" in text
    assert "1 repeats" not in text and "1 rounds" not in text


def test_a_run_stops_when_asked_and_says_so(pool, tmp_path):
    from hea_campaign.campaign.simulation import SimulationCancelled

    s = SimulationSettings(**{**QUICK, "repeats": 1, "rounds": 2, "strategies": ("random",), "jobs": 1})
    seen: list[str] = []
    with pytest.raises(SimulationCancelled, match="after 1 of 3 trainings"):
        simulate(pool, s, workdir=tmp_path, progress=lambda d, t, msg: seen.append(msg),
                 should_stop=lambda: bool(seen))
    assert seen == ["repeat 1: first model"]  # nothing trained after the stop
    with pytest.raises(SimulationCancelled, match="before it started"):
        simulate(pool, s, workdir=tmp_path / "b", should_stop=lambda: True)
    assert not (tmp_path / "b" / "repeat-00").exists()


def test_an_interrupt_of_a_run_in_processes_ends_its_workers_and_stays_an_interrupt(pool, tmp_path):
    """Ctrl+C while repeats run in worker processes: the KeyboardInterrupt reaches the caller (the CLI
    says "interrupted" and exits 130), not an AttributeError from ending the workers, and none is left."""
    import multiprocessing

    s = SimulationSettings(**{**QUICK, "repeats": 2, "rounds": 1, "strategies": ("random",), "jobs": 2})

    def progress(done, total, msg):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(pool, s, workdir=tmp_path, progress=progress)
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_simulate_refuses_unknown_strategies_before_it_starts(tmp_path, capsys):
    from hea_campaign.tui.cli import main

    assert main(["simulate", "--quick", "--strategies", "random,foo", "--out", str(tmp_path / "x.csv")]) == 2
    captured = capsys.readouterr()
    assert "unknown strategy foo" in captured.err and "simulating" not in captured.err


def test_the_learning_check_takes_its_noise_from_the_t_distribution():
    """With 2 repeats, '2 SE' called a drop 'beyond noise' that a t interval (t = 12.7 at one degree of freedom)
    does not: the standard error of two values is itself a guess."""
    from types import SimpleNamespace

    from hea_campaign.campaign.simulation_report import learning_check

    acc = np.array([[0.80, 0.75], [0.80, 0.76]])  # both repeats drop: 0.05 and 0.04
    check = learning_check(SimpleNamespace(curves=lambda name, what="": acc), "greedy")
    assert check.worst_round == 1 and check.worst_drop == pytest.approx(0.045)
    assert check.noise == pytest.approx(12.706 * 0.00707107 / np.sqrt(2), rel=1e-3)
    assert check.rounds_worse == 0 and "95 % t interval over 2 repeats" in check.format()
    many = np.array([[0.80, 0.75], [0.80, 0.76]] * 5)  # the same drops in 10 repeats: beyond noise
    assert learning_check(SimpleNamespace(curves=lambda name, what="": many), "greedy").rounds_worse == 1
