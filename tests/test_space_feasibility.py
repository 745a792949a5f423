"""The design space as the user types it: every --min and --max kept, impossible spaces refused
with their reason (by `space set`, and by `propose` for one stored before the checks), and
messages about granularity, step and --from-multi-phase that name what the user gave."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from hea_campaign.campaign.constraints import (
    HEA_DEFAULTS,
    ConstraintError,
    Constraints,
    check_screening_step,
    satisfies,
    violations,
)
from hea_campaign.campaign.design_space import SETTINGS_KEY, load_design_space, load_prices, show, space_for_run
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.screening import enumerate_space
from hea_campaign.db.tables import Campaign
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V
from hea_campaign.tui.cli import main
from hea_campaign.tui.present.design_space_view import design_space_lines, space_changes
from hea_campaign.tui.present.proposal_request import build_proposal_request, parse_bounds


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return code, out.out, out.err


def refused(capsys, *args: str) -> str:
    code, _, err = cli(capsys, *args)
    lines = err.splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (args, code, err)
    return lines[0]


@pytest.fixture
def on_store(seeded_store, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEA_CAMPAIGN_DB", seeded_store.url)
    return seeded_store


@pytest.fixture
def proposal_requests(monkeypatch) -> list:
    """The requests `propose` builds, caught before any model runs (the run is then refused)."""
    import hea_campaign.campaign.proposals as proposals

    seen: list = []

    def stop(store, req, **kw):
        seen.append(req)
        raise CampaignError("stopped by the test")

    monkeypatch.setattr(proposals, "propose", stop)
    return seen


def store_space(store, space: Constraints) -> None:
    """Write a space straight into Campaign.settings, as an older version could have stored it."""
    with store.write() as session:
        row = session.get(Campaign, store.campaign_id)
        row.settings = {**(row.settings or {}), SETTINGS_KEY: space.describe()}
        session.add(row)


# --------------------------------------------------------------------------- 1. repeated --min / --max


def test_repeated_min_and_max_are_all_kept_by_space_set(on_store, capsys):
    code, out, _ = cli(capsys, "space", "set", "--min", "Fe:20", "--min", "Ni:20", "--min", "Co:15,Cr:10",
                       "--max", "Al:10", "--max", "Ti:5")
    assert code == 0
    space = load_design_space(on_store)
    assert space.min_fraction == {"Fe": 0.20, "Ni": 0.20, "Co": 0.15, "Cr": 0.10}
    assert space.max_fraction == {"Al": 0.10, "Ti": 0.05}
    assert "required minimum: Co 15 at.%, Cr 10 at.%, Fe 20 at.%, Ni 20 at.%" in out


def test_one_element_with_two_amounts_is_refused_and_nothing_is_stored(on_store, capsys):
    line = refused(capsys, "space", "set", "--min", "Fe:20", "--min", "Fe:30")
    assert "--min gives Fe twice with different amounts (20 and 30 at.%)" in line
    assert "--max gives Cr twice" in refused(capsys, "space", "set", "--max", "Cr:20,Cr:25")
    assert load_design_space(on_store) == HEA_DEFAULTS
    assert cli(capsys, "space", "set", "--min", "Fe:20", "--min", "Fe:20%")[0] == 0  # the same amount twice is one
    assert load_design_space(on_store).min_fraction == {"Fe": 0.20}


def test_repeated_min_and_max_reach_the_proposal_request(on_store, capsys, proposal_requests):
    seen = proposal_requests
    refused(capsys, "propose", "--from", "CoCrFeNi", "--min", "Fe:20", "--min", "Ni:25", "--max", "Co:30",
            "--max", "Cr:30")
    assert seen[0].space_overrides["min_fraction"] == {"Fe": 0.20, "Ni": 0.25}
    assert seen[0].space_overrides["max_fraction"] == {"Co": 0.30, "Cr": 0.30}
    assert "gives Fe twice" in refused(capsys, "propose", "--from", "CoCrFeNi", "--min", "Fe:20", "--min", "Fe:25")


def test_repeated_allowed_and_banned_are_all_kept_by_space_set(on_store, capsys):
    code, out, _ = cli(capsys, "space", "set", "--allowed", "Fe,Ni,Co", "--allowed", "Cr", "--allowed", "Mn,Al",
                       "--banned", "Li", "--banned", "Au,Os")
    assert code == 0, out
    space = load_design_space(on_store)
    assert space.allowed == frozenset({"Fe", "Ni", "Co", "Cr", "Mn", "Al"})
    assert space.banned == frozenset({"Li", "Au", "Os"})
    assert "elements banned: Au, Li, Os" in out
    assert "--allowed names Fe more than once" in refused(capsys, "space", "set", "--allowed", "Fe,Ni",
                                                          "--allowed", "Fe,Co")
    assert cli(capsys, "space", "set", "--banned", "none")[0] == 0
    assert load_design_space(on_store).banned == frozenset()


def test_repeated_allowed_and_banned_reach_the_proposal_request(on_store, capsys, proposal_requests):
    seen = proposal_requests
    refused(capsys, "propose", "--from", "CoCrFeNi", "--allowed", "Co,Cr,Fe", "--allowed", "Ni,Mn",
            "--banned", "Li", "--banned", "Au")
    assert seen[0].space_overrides["allowed"] == frozenset({"Co", "Cr", "Fe", "Ni", "Mn"})
    assert seen[0].space_overrides["banned"] == frozenset({"Li", "Au"})


def test_the_parser_takes_a_list_or_a_string():
    assert parse_bounds(["Fe:20", "Ni:5%,Co:1"], "--min") == {"Fe": 0.20, "Ni": 0.05, "Co": 0.01}
    assert parse_bounds("Fe:20, Ni:5", "--min") == {"Fe": 0.20, "Ni": 0.05}
    assert space_changes(min_frac=[], max_frac=None) == {}  # an option not given changes nothing


# --------------------------------------------------------------------------- 2. impossible spaces


IMPOSSIBLE = [
    (HEA_DEFAULTS.replace(allowed=frozenset({"Fe", "Ni", "Co"})),
     "only 3 element(s) are allowed (Co, Fe, Ni), fewer than the minimum of 4"),
    (HEA_DEFAULTS.replace(banned=frozenset(V) - {"Fe", "Ni"}), "only 2 element(s) are allowed"),
    (HEA_DEFAULTS.replace(min_fraction={"Fe": 0.40}),
     "Fe is required with at least 40 at.% but no element may have more than 35 at.%"),
    (HEA_DEFAULTS.replace(min_fraction={"Fe": 0.30}, max_fraction={"Fe": 0.20}), "min <= max"),
    (HEA_DEFAULTS.replace(min_fraction={"Fe": 0.01}, max_fraction={"Fe": 0.03}),
     "its maximum is 3 at.%, below the per-element minimum of 5 at.%"),
    (HEA_DEFAULTS.replace(min_fraction={"Fe": 0.335}, max_fraction={"Fe": 0.339}), "no multiple of the granularity"),
    (HEA_DEFAULTS.replace(min_fraction={"Fe": 0.3, "Ni": 0.3, "Co": 0.3, "Cr": 0.3}), "add up to more than 100"),
    (HEA_DEFAULTS.replace(min_fraction={"Fe": 0.32, "Ni": 0.32, "Co": 0.32}),
     "4 elements need at least 101 at.% together (Co 32, Fe 32, Ni 32, 1 more of at least 5 at.%)"),
    (HEA_DEFAULTS.replace(min_fraction={e: 0.05 for e in ("Fe", "Ni", "Co", "Cr", "Al", "Ti", "Mn")}),
     "7 elements have a required minimum (Al, Co, Cr, Fe, Mn, Ni, Ti), more than the maximum of 6"),
    (HEA_DEFAULTS.replace(max_elements=4, element_max=0.24), "4 elements of at most 24 at.% cannot make up 100"),
    (HEA_DEFAULTS.replace(allowed=frozenset({"Fe", "Ni", "Co", "Cr", "Al"}),
                          max_fraction={"Fe": 0.05, "Ni": 0.05, "Co": 0.05}),
     "5 elements (the most the space allows) cannot make up 100 at.%: their maxima reach only 85 at.%"),
    (HEA_DEFAULTS.replace(allowed=frozenset({"Fe", "Ni", "Co", "Cr"}), max_fraction={"Fe": 0.03}),
     "only 3 allowed element(s) can be present"),
    (Constraints(min_elements=2, max_elements=3, element_min=0.40, element_max=0.45),
     "no element count from 2 to 3 makes 100 at.%: 2 elements reach at most 90 at.% and 3 need at least 120"),
    (HEA_DEFAULTS.replace(granularity=0.5), "no multiple of the granularity (50 at.%) lies within"),
]


@pytest.mark.parametrize(("space", "reason"), IMPOSSIBLE, ids=[r[:40] for _, r in IMPOSSIBLE])
def test_a_space_no_composition_satisfies_is_refused_with_its_reason(space, reason):
    with pytest.raises(ConstraintError) as info:
        space.validate(V)
    assert reason in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("space", [
    HEA_DEFAULTS, Constraints(),
    HEA_DEFAULTS.replace(max_elements=4, element_max=0.25),  # exactly 100 at.%
    HEA_DEFAULTS.replace(min_fraction={"Fe": 0.30, "Ni": 0.30, "Co": 0.30}),  # 90 + one more of 5 at.%
    HEA_DEFAULTS.replace(allowed=frozenset({"Fe", "Ni", "Co", "Cr"})),
    HEA_DEFAULTS.replace(min_fraction={"Fe": 0.0}, max_fraction={"Fe": 0.0}),  # Fe simply absent
    HEA_DEFAULTS.replace(max_fraction={"Fe": 0.5}),  # above the ceiling: no effect, not a contradiction
])
def test_spaces_that_hold_compositions_are_accepted(space):
    space.validate(V)


def random_space(rng: random.Random, els: list[str]) -> Constraints:
    allowed = frozenset(rng.sample(els, rng.randint(1, len(els)))) if rng.random() < 0.5 else None
    pool = sorted(allowed if allowed is not None else els)
    banned = frozenset(rng.sample(els, rng.randint(1, 3))) if allowed is None and rng.random() < 0.4 else frozenset()
    usable = [e for e in pool if e not in banned]
    lo_el, hi_el = sorted(rng.choice([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0]) for _ in range(2))
    mins = {e: rng.choice([0.1, 0.2, 0.3, 0.4]) for e in rng.sample(usable, rng.randint(0, min(3, len(usable))))}
    maxs = {e: max(mins.get(e, 0), rng.choice([0.0, 0.1, 0.2, 0.3, 0.5])) for e in rng.sample(els, rng.randint(0, 2))}
    n_lo = rng.randint(1, 5)
    return Constraints(allowed=allowed, banned=banned, min_fraction=mins, max_fraction=maxs, min_elements=n_lo,
                       max_elements=rng.choice([None, n_lo, n_lo + 1, 5]), element_min=lo_el, element_max=hi_el,
                       granularity=0.1)


def test_validate_refuses_exactly_the_spaces_without_a_composition():
    """Against brute force: every 10 at.% composition of five elements, 400 random spaces."""
    els = ["Fe", "Ni", "Co", "Cr", "Al"]
    X = np.concatenate(list(enumerate_space(els, els, step=0.1)))
    assert len(X) == 1001 and np.allclose(X.sum(axis=1), 1)
    rng = random.Random(7)
    refused_count = 0
    for _ in range(400):
        space = random_space(rng, els)
        possible = bool(satisfies(X, space, els).any())
        try:
            space.validate(els)
        except ConstraintError as exc:
            assert not possible, (space, str(exc))
            refused_count += 1
        else:
            assert possible, space
    assert 50 < refused_count < 350  # both kinds were drawn


def test_cost_and_density_limits_are_refused_exactly_when_no_composition_meets_them():
    """Against brute force: every 10 at.% composition of six elements, random spaces and limits; a refusal
    for one limit names the cheapest (lightest) composition, which is the brute-force minimum."""
    from hea_campaign.campaign.economics import cost_per_kg, density, price_table

    els = ["Fe", "Ni", "Co", "Cr", "Al", "Ti"]
    X = np.concatenate(list(enumerate_space(els, els, step=0.1)))
    cost, rho = cost_per_kg(X, els, price_table()), density(X, els)
    rng = random.Random(11)
    outcomes = {"accepted": 0, "cost": 0, "density": 0, "both": 0}
    while sum(outcomes.values()) < 150:
        space = random_space(rng, els)
        inside = satisfies(X, space, els)
        if not inside.any():
            continue
        limits = {"max_cost_per_kg": float(np.quantile(cost[inside], rng.random()) * rng.uniform(0.9, 1.05)),
                  "max_density": float(np.quantile(rho[inside], rng.random()) * rng.uniform(0.95, 1.02))}
        space = space.replace(**{k: v for k, v in limits.items() if rng.random() < 0.7})
        possible = bool(satisfies(X, space, els).any())
        try:
            space.validate(els)
        except ConstraintError as exc:
            assert not possible, (space, str(exc))
            if "cheapest costs" in str(exc) and "together" not in str(exc):
                assert float(re.search(r"cheapest costs ([0-9.]+)", str(exc))[1]) == pytest.approx(
                    cost[inside].min(), abs=0.006), str(exc)
                outcomes["cost"] += 1
            elif "lightest is about" in str(exc):
                assert float(re.search(r"lightest is about ([0-9.]+)", str(exc))[1]) == pytest.approx(
                    rho[inside].min(), abs=0.006), str(exc)
                outcomes["density"] += 1
            else:
                assert "together leave no composition" in str(exc)
                outcomes["both"] += 1
        else:
            assert possible, space
            outcomes["accepted"] += 1
    assert min(outcomes["accepted"], outcomes["cost"], outcomes["density"]) >= 10, outcomes


def test_space_set_refuses_a_cost_or_density_no_composition_meets(on_store, capsys):
    from hea_campaign.campaign.economics import density

    line = refused(capsys, "space", "set", "--allowed", "Fe,Ni,Co,Cr,Mn", "--max-density", "7")
    assert "no composition of the design space has a density of at most 7 g/cm3" in line
    lightest = re.search(r"lightest is about ([0-9.]+) g/cm3: ([A-Za-z0-9.]+)\)", line)
    amounts = dict(re.findall(r"([A-Z][a-z]?)([0-9.]+)", lightest[2]))
    x = np.array([[float(amounts.get(e, 0)) / 100 for e in V]])
    assert float(density(x, V)[0]) == pytest.approx(float(lightest[1]), abs=0.006)
    assert sorted(amounts) == sorted(set(amounts) & {"Fe", "Ni", "Co", "Cr", "Mn"}) and len(amounts) >= 4
    assert "costs at most 0.5 USD/kg (the cheapest costs" in refused(capsys, "space", "set", "--max-cost", "0.5")
    assert load_design_space(on_store) == HEA_DEFAULTS
    assert cli(capsys, "space", "set", "--max-cost", "50", "--max-density", "8")[0] == 0


def test_a_price_list_that_makes_the_cost_limit_unreachable_is_named_by_space_show(on_store, capsys, tmp_path):
    assert cli(capsys, "space", "set", "--max-cost", "20")[0] == 0
    dear = tmp_path / "prices.csv"
    dear.write_text("element,usd_per_kg\n" + "".join(f"{e},{100 + i}\n" for i, e in enumerate(V)))
    code, out, _ = cli(capsys, "space", "set", "--prices", str(dear))
    assert code == 0
    assert "warning: proposals cannot use this design space" in out and "costs at most 20 USD/kg" in out
    with pytest.raises(CampaignError, match="costs at most 20 USD/kg"):
        space_for_run(load_design_space(on_store), {}, V, prices=load_prices(on_store))


def test_space_set_refuses_the_reviewers_impossible_spaces(on_store, capsys):
    assert "only 3 element(s) are allowed (Co, Fe, Ni)" in refused(capsys, "space", "set", "--allowed", "Fe,Ni,Co")
    assert "Fe is required with at least 40 at.%" in refused(capsys, "space", "set", "--min", "Fe:40")
    assert load_design_space(on_store) == HEA_DEFAULTS


def test_a_stored_impossible_space_is_named_by_space_show_and_refused_by_the_run(seeded_store):
    store_space(seeded_store, HEA_DEFAULTS.replace(allowed=frozenset({"Fe", "Ni", "Co"})))
    view = show(seeded_store)
    assert "fewer than the minimum of 4" in view.problem
    assert any(line.startswith("warning: proposals cannot use this design space") for line in design_space_lines(view))
    with pytest.raises(CampaignError, match=r"^the campaign's design space cannot be used: only 3 element\(s\)"):
        space_for_run(load_design_space(seeded_store), {}, V)
    with pytest.raises(CampaignError, match="with this run's options cannot be used: Fe is required with at least 40"):
        space_for_run(HEA_DEFAULTS, {"min_fraction": {"Fe": 0.4}}, V)
    assert space_for_run(load_design_space(seeded_store), {"allowed": None}, V).allowed is None


def test_propose_reports_a_stored_impossible_space(trained_store):
    from hea_campaign.campaign.proposals import ProposalRequest, propose

    store_space(trained_store, HEA_DEFAULTS.replace(allowed=frozenset({"Fe", "Ni", "Co"})))
    with pytest.raises(CampaignError, match="design space cannot be used: only 3 element"):
        propose(trained_store, ProposalRequest(mode="invert", from_multi_phase=3, batch=2))


def test_violations_name_the_ceiling_that_satisfies_applies():
    """A --max above the per-element ceiling does not lift it: the row is refused, and violations say why."""
    space = HEA_DEFAULTS.replace(max_fraction={"Fe": 0.5})
    x = np.zeros(len(V))
    for el, f in {"Fe": 0.4, "Ni": 0.2, "Co": 0.2, "Cr": 0.2}.items():
        x[V.index(el)] = f
    assert not satisfies(x[None], space, V)[0]
    assert violations(x, space, V) == ["Fe is 40.0 at.%, above the per-element maximum 35"]


# --------------------------------------------------------------------------- 3. granularity and step


def test_a_granularity_that_does_not_divide_100_is_refused_as_such(on_store, capsys):
    line = refused(capsys, "propose", "--from", "CoCrFeNiMn", "--granularity", "7")
    assert line == "error: --granularity must divide 100 at.% evenly, e.g. 0.5, 1, 2, 5 or 10 (got 7)"
    assert "--granularity must divide 100" in refused(capsys, "space", "set", "--granularity", "7")
    assert "--step" not in line


def test_the_step_only_matters_to_screening_and_its_default_is_named():
    assert build_proposal_request(starts="CoCrFeNiMn", granularity=10).space_overrides["granularity"] == 0.10
    with pytest.raises(CampaignError) as info:
        build_proposal_request(screen="Fe,Ni,Co,Cr", granularity=10)
    assert str(info.value) == ("the screening step (5 at.%, the default, as --step was not given) must be a multiple "
                               "of the granularity (10 at.%), and so at least the granularity: use e.g. --step 10")
    with pytest.raises(CampaignError) as info:  # a typed --step 5 is the user's, not the default
        build_proposal_request(screen="Fe,Ni,Co,Cr", granularity=2, step=5)
    assert str(info.value) == ("the screening step (5 at.%) must be a multiple of the granularity (2 at.%), and so at "
                               "least the granularity: use e.g. --step 10")
    assert build_proposal_request(screen="Fe,Ni,Co,Cr", granularity=2, step=10).step == 0.10


def test_the_cli_names_the_step_as_the_default_only_when_step_was_not_given(on_store, capsys):
    """`--granularity 2 --step 5` was told its step was "the default when --step is not given": the CLI's --step
    has a default of 5, so the request could not tell a typed 5 from none."""
    typed = refused(capsys, "propose", "--screen", "Fe,Ni,Co,Cr", "--granularity", "2", "--step", "5")
    assert typed == ("error: the screening step (5 at.%) must be a multiple of the granularity (2 at.%), and so at "
                     "least the granularity: use e.g. --step 10")
    left_out = refused(capsys, "propose", "--screen", "Fe,Ni,Co,Cr", "--granularity", "2")
    assert left_out.startswith("error: the screening step (5 at.%, the default, as --step was not given) must be a "
                               "multiple of the granularity (2 at.%)")
    # the granularity not given: the design space's applies, and the error says whose it is
    assert main(["space", "set", "--granularity", "2"]) == 0
    capsys.readouterr()
    stored = refused(capsys, "propose", "--screen", "Fe,Ni,Co,Cr", "--step", "5")
    assert stored == ("error: the screening step (5 at.%) must be a multiple of the design space's granularity "
                      "(2 at.%), and so at least the granularity: use e.g. --step 10")


def test_a_screening_step_off_the_stored_granularity_is_refused():
    check_screening_step(0.05, 0.01)
    with pytest.raises(ConstraintError, match=r"step \(2.5 at.%\) must be a multiple of the design space's "
                                              r"granularity \(1 at.%\)"):
        space_for_run(HEA_DEFAULTS, {}, V, screen_step=0.025)
    with pytest.raises(ConstraintError, match=r"step \(2.5 at.%\) must be a multiple of the granularity \(1 at.%\)"):
        space_for_run(HEA_DEFAULTS, {"granularity": 0.01}, V, screen_step=0.025)  # the run's own granularity


# --------------------------------------------------------------------------- 4. --from-multi-phase 0


def test_from_multi_phase_zero_asks_for_at_least_one(on_store, capsys):
    line = refused(capsys, "propose", "--from-multi-phase", "0")
    assert "--from-multi-phase" in line and "must be at least 1 (got 0)" in line and "choose one mode" not in line
    with pytest.raises(CampaignError, match="at least 1"):
        build_proposal_request(from_multi_phase="0")
    assert build_proposal_request(from_multi_phase="", starts="CoCrFeNi").from_multi_phase == 0
    assert "choose one mode" in refused(capsys, "propose")


def test_one_word_clears_a_setting_in_the_cli_and_the_tui_alike():
    """'none' clears the per-element bounds and 'any' the allowed elements, through the shared parser."""
    assert space_changes(min_frac="none", max_frac=["None"]) == {"min_fraction": {}, "max_fraction": {}}
    assert space_changes(allowed=" any ") == {"allowed": None}
    assert space_changes(allowed="Fe,Ni,Co,Cr", min_frac="Fe:10") == {
        "allowed": frozenset({"Fe", "Ni", "Co", "Cr"}), "min_fraction": {"Fe": 0.10}}
    with pytest.raises(CampaignError):
        space_changes(min_frac="none,Fe:10")  # 'none' only on its own


def test_a_refused_space_set_keeps_the_old_price_list_and_no_prices_removes_it(on_store, capsys, tmp_path):
    """`space set --prices NEW --max-cost X` that is refused writes neither (the old list stays, no audit
    event); `--no-prices` brings pymatgen's prices back; a price beyond any element's is refused."""
    from sqlmodel import select

    from hea_campaign.db.tables import AuditEvent

    def events() -> list[str]:
        with on_store.read() as s:
            return [e.action for e in s.exec(select(AuditEvent)) if e.action.startswith(("prices.", "design_space."))]

    six, fe_only, absurd = tmp_path / "six.csv", tmp_path / "fe.csv", tmp_path / "absurd.csv"
    six.write_text("element,usd_per_kg\n" + "".join(f"{e},{10 + i}\n" for i, e in enumerate("Fe Ni Co Cr Mn Al".split())))
    fe_only.write_text("element,usd_per_kg\nFe,1000\n")
    absurd.write_text("element,usd_per_kg\nFe,1e306\n")
    assert cli(capsys, "space", "set", "--prices", str(six))[0] == 0
    before = events()
    assert "costs at most 0.1 USD/kg" in refused(capsys, "space", "set", "--prices", str(fe_only), "--max-cost", "0.1")
    assert events() == before and load_prices(on_store).prices["Ni"] == 11 and load_prices(on_store).prices["Fe"] == 10
    assert load_design_space(on_store).max_cost_per_kg is None
    assert "must be a number from 0 to 1e+09 USD/kg" in refused(capsys, "space", "set", "--prices", str(absurd))
    code, out, _ = cli(capsys, "space", "set", "--no-prices")
    assert code == 0 and "Removed the lab price list" in out and "lab price list" not in show(on_store).price_summary
    assert "Design space saved" not in out, "only the list changed"
    code, out, _ = cli(capsys, "space", "set", "--no-prices")
    assert code == 0 and "There was no lab price list to remove" in out and "Removed" not in out
    assert load_prices(on_store).prices["Ni"] != 11 and events() == before + ["prices.clear"]
    assert "not both" in refused(capsys, "space", "set", "--prices", str(six), "--no-prices")


def test_a_price_list_separated_by_semicolons_says_so_as_result_import_does(on_store, capsys, tmp_path):
    """`element;usd_per_kg` read as one column said "needs the columns element and usd_per_kg (got
    element;usd_per_kg)"; now the separator hint that result import and import give."""
    semi, other = tmp_path / "p3.csv", tmp_path / "p4.csv"
    semi.write_text("element;usd_per_kg\nCo;30\n")
    other.write_text("elem,usd\nCo,30\n")
    line = refused(capsys, "space", "set", "--prices", str(semi))
    assert line == ("error: p3.csv: the header is one column 'element;usd_per_kg': the file looks separated by "
                    "semicolons; save it as comma-separated CSV (with '.' as the decimal point)")
    assert "needs the columns element and usd_per_kg (got elem, usd)" in refused(capsys, "space", "set", "--prices",
                                                                                  str(other))
    assert "lab price list" not in show(on_store).price_summary


def test_space_show_lists_the_lab_prices_and_does_not_say_nothing_is_set(on_store, capsys, tmp_path):
    """After `space set --prices p.csv` alone, `space show` ended "(defaults: no design space has been set ...)"
    and named the priced elements without their prices."""
    prices = tmp_path / "p.csv"
    prices.write_text("element,usd_per_kg\nNi,15.5\nCo,30\n")
    assert "no design space has been set" in cli(capsys, "space", "show")[1]
    assert cli(capsys, "space", "set", "--prices", str(prices))[0] == 0
    code, out, _ = cli(capsys, "space", "show")
    assert code == 0 and "no design space has been set" not in out
    assert "lab prices: Co 30, Ni 15.5 USD/kg" in out.splitlines()
    assert "(default limits: only a lab price list has been set for this campaign" in out
    assert cli(capsys, "space", "set", "--elements", "4-5")[0] == 0
    code, out, _ = cli(capsys, "space", "show")
    assert "lab prices: Co 30, Ni 15.5 USD/kg" in out.splitlines() and "default" not in out


def test_an_element_maximum_below_the_per_element_minimum_says_the_element_is_in_effect_banned(on_store, capsys):
    """`--max Cr:3` with every element present at 5 to 35 at.%: Cr can never be present. Said (as `--min Fe:0.1`
    says its own no-op), with how to allow a little Cr instead; `space show` marks it too."""
    code, out, _ = cli(capsys, "space", "set", "--max", "Cr:3,Al:20")
    assert code == 0
    assert ("Note: Cr:3 at.% is below the 5 at.% every element present must have, so Cr can never be present: "
            "in effect banned (to allow a little of it, lower the per-element minimum, e.g. --at-pct 3-35; "
            "to exclude it, say so with --banned Cr).") in out
    assert "Al:20" not in out.split("Note:")[1]
    code, out, _ = cli(capsys, "space", "show")
    assert ("element maximum: Al 20 at.%, Cr 3 at.% (never present: below the 5 at.% every element present "
            "must have)") in out
    code, out, _ = cli(capsys, "space", "set", "--at-pct", "3-35")  # now Cr may be present, up to 3 at.%
    assert code == 0 and "never present" not in out and "Note" not in out


def test_an_element_maximum_below_one_granularity_step_says_how_to_allow_it(on_store, capsys):
    """`--max Cr:0.5` at 1 at.% granularity: lowering the per-element minimum alone would not let Cr in."""
    code, out, _ = cli(capsys, "space", "set", "--max", "Cr:0.5")
    assert code == 0
    assert ("to allow a little of it, lower the per-element minimum, e.g. --at-pct 0.5-35 and a finer granularity, "
            "e.g. --granularity 0.5; to exclude it") in out
    code, out, _ = cli(capsys, "space", "set", "--at-pct", "0.5-35", "--granularity", "0.5")
    assert code == 0 and "never present" not in out and "Note" not in out


def test_the_tui_s_design_space_text_points_to_its_own_fields_not_the_cli():
    """A review: the Propose tab said 'change it with hea-campaign space set' right above the form that does."""
    from types import SimpleNamespace

    from hea_campaign.campaign.constraints import Constraints
    from hea_campaign.tui.present.design_space_view import design_space_lines

    view = SimpleNamespace(constraints=Constraints(), price_summary="pymatgen", problem="no composition fits",
                           price_list=None, is_default=True)
    cli, tui = design_space_lines(view), design_space_lines(view, "in the fields below")
    assert any(line.endswith("change it with hea-campaign space set)") for line in cli)
    assert not any("hea-campaign" in line for line in tui)
    assert "warning: proposals cannot use this design space: no composition fits; change it in the fields below" in tui
