"""A screening that can produce nothing is refused before it runs, with the reason; elements the design
space leaves out are named; the limit counts the compositions inside the design space."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import func, select

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.campaign.constraints import HEA_DEFAULTS
from hea_campaign.campaign.design_space import update_design_space
from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.proposals import ProposalRequest, plan_screening, propose, screening_plan
from hea_campaign.db.tables import Alloy, Candidate, ProposalRun
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY as V
from hea_campaign.tui.cli import main
from hea_campaign.tui.present.design_report import proposal_summary


def _screen(els, step=0.05, **kw):
    return ProposalRequest(mode="screen", screen_elements=els, step=step, batch=2, **kw)


def _refused(capsys, *args: str) -> str:
    code = main(list(args))
    out = capsys.readouterr()
    assert code == 2, (args, code, out.out, out.err)
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.err
    assert "Traceback" not in out.err + out.out and "screened" not in out.err
    return lines[0]


@pytest.mark.parametrize(("els", "step", "space", "message"), [
    (["Fe", "Ni", "Co"], 0.05, HEA_DEFAULTS,
     "3 elements to screen, but the design space needs at least 4 per alloy"),
    (["Cu", "Ti", "V", "Zr"], 0.05, HEA_DEFAULTS.replace(allowed=frozenset("Fe Ni Co Cr Mn Al".split())),
     "nothing to screen: Cu, Ti, V, Zr are not allowed by the design space (allowed: Al, Co, Cr, Fe, Mn, Ni)"),
    (["Fe", "Ni", "Co", "Re", "Cr"], 0.05, HEA_DEFAULTS.replace(banned=frozenset({"Re", "Cr"})),
     "3 elements to screen (Re, Cr are banned by the design space), but the design space needs at least 4"),
    (["Fe", "Ni", "Co", "Cr", "Mn"], 0.5, HEA_DEFAULTS,
     "none of the 15 compositions of Fe, Ni, Co, Cr, Mn in steps of 50 at.% lies in the design space "
     "(4 to 6 elements, each 5 to 35 at.%): use a finer --step"),
    (["Fe", "Ni", "Co", "Cr"], 0.05, HEA_DEFAULTS.replace(min_fraction={"Al": 0.1}),
     "the design space requires Al (at least 10 at.%), which is not among the elements to screen"),
    # no finer step helps: Fe can never be present, leaving 3 elements for alloys of at least 4
    (["Fe", "Ni", "Co", "Cr"], 0.05, HEA_DEFAULTS.replace(max_fraction={"Fe": 0.03}),
     "lies in the design space (4 to 6 elements, each 5 to 35 at.%, Fe at most 3 at.%): Fe (at most 3 at.%) can "
     "never be present, since every element present needs at least 5 at.%"),
    # cost and density are not bounds on single amounts, but what no mix of the bounds meets is refused at once
    (["Fe", "Ni", "Co", "Cr", "Mn"], 0.05, HEA_DEFAULTS.replace(max_density=5.0),
     "nothing to screen among Fe, Ni, Co, Cr, Mn: no composition of the design space has a density of at most 5 "
     "g/cm3 (the lightest is about 7.5"),
])
def test_a_screening_that_can_produce_nothing_says_why(els, step, space, message):
    with pytest.raises(CampaignError) as info:
        plan_screening(els, step, space, V)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_elements_the_space_leaves_out_are_named_and_the_count_is_of_the_space():
    space = HEA_DEFAULTS.replace(allowed=frozenset("Fe Ni Co Cr Mn Al Re".split()), banned=frozenset({"Re"}))
    plan = plan_screening(["Fe", "Ni", "Co", "Re", "Cr", "Cu", "Al"], 0.05, space, V)
    assert plan.elements == ("Fe", "Ni", "Co", "Cr", "Al")
    assert plan.left_out == {"Re": "banned by the design space", "Cu": "not allowed by the design space"}
    assert plan.count == 2196  # Fe-Ni-Co-Cr-Al at 5 at.% inside 4-6 elements of 5-35 at.%; the whole grid: 10,626
    with pytest.raises(CampaignError, match="means 2,196 compositions inside the design space, more than the "
                                            "limit of 2,195"):
        plan_screening(["Fe", "Ni", "Co", "Cr", "Al"], 0.05, HEA_DEFAULTS, V, limit=2195)
    assert plan_screening(["Fe", "Ni", "Co", "Cr", "Al"], 0.05, HEA_DEFAULTS, V, limit=2196).count == 2196


def test_a_banned_element_is_left_out_with_a_note(trained_store):
    update_design_space(trained_store, banned=frozenset({"Re"}))
    outcome = propose(trained_store, _screen(["Fe", "Ni", "Co", "Re", "Cr"]))
    assert outcome.left_out == {"Re": "banned by the design space"}
    assert outcome.screened == 149
    with trained_store.read() as s:
        formulas = [a.formula for a in s.exec(select(Alloy).where(Alloy.source.like("proposal%"))).all()]
    assert formulas and all("Re" not in parse_formula(f).as_dict() for f in formulas)
    lines = proposal_summary(_screen(["Fe", "Ni", "Co", "Re", "Cr"]), outcome)
    assert "Left out of the screening: Re (banned by the design space); no candidate holds it" in lines
    assert any(line.startswith("Screened 149 compositions inside the design space's element count and bounds; "
                               "the best 500 by score") for line in lines)


def test_none_within_the_cost_or_density_limit_is_said(trained_store):
    # 7.53 g/cm3: met by Fe25Cr35Co5Mn35 (about 7.52), which the 10 at.% grid cannot reach (its lightest: 7.62);
    # a limit that no mix of the bounds meets (5 g/cm3) is refused before screening (the plan's test above)
    update_design_space(trained_store, max_density=7.53)
    with pytest.raises(CampaignError, match="none of the 101 compositions screened meets the design space's "
                                            "at most 7.53 g/cm3"):
        propose(trained_store, _screen(["Fe", "Ni", "Co", "Cr", "Mn"], step=0.1))
    with trained_store.read() as s:
        assert s.exec(select(func.count()).select_from(ProposalRun)).one() == 0


def test_the_cli_refuses_before_screening_in_one_line(trained_store, capsys):
    db = ["--db", trained_store.url]
    line = _refused(capsys, "propose", "--screen", "Fe,Ni,Co", "--step", "5", *db)
    assert "3 elements to screen, but the design space needs at least 4 per alloy" in line
    assert main(["space", "set", "--allowed", "Fe,Ni,Co,Cr,Mn,Al", *db]) == 0
    capsys.readouterr()
    line = _refused(capsys, "propose", "--screen", "Cu,Ti,V,Zr", *db)
    assert "Cu, Ti, V, Zr are not allowed by the design space (allowed: Al, Co, Cr, Fe, Mn, Ni)" in line
    line = _refused(capsys, "propose", "--screen", "Fe,Ni,Co,Cr,Al", "--max-compositions", "2000", *db)
    assert "2,196 compositions inside the design space, more than the limit of 2,000" in line
    with trained_store.read() as s:
        assert s.exec(select(func.count()).select_from(ProposalRun)).one() == 0


def test_the_front_ends_plan_in_the_campaign_space(trained_store):
    update_design_space(trained_store, allowed=frozenset({"Fe", "Ni", "Co", "Cr", "Mn", "Al"}))
    plan = screening_plan(trained_store, _screen(["Fe", "Ni", "Co", "Cr", "Cu"], max_compositions=10**6))
    assert plan.left_out == {"Cu": "not allowed by the design space"} and plan.count == 149
    with pytest.raises(CampaignError, match="needs at least 5 per alloy"):  # the run's overrides count
        screening_plan(trained_store, _screen(["Fe", "Ni", "Co", "Cr"], space_overrides={"min_elements": 5}))


def test_path_steps_beyond_the_cost_or_density_limit_are_marked(trained_store):
    """Steps are moved into the element count and bounds only: a heavy start stays heavy at step 0. The path
    says so; the candidates stored still meet the limits."""
    from hea_campaign.campaign.economics import density

    update_design_space(trained_store, max_cost_per_kg=40.0, max_density=9.0)
    outcome = propose(trained_store, ProposalRequest(mode="invert", starts=["Ag35Mo15Ni35W15"], inversion="proximal",
                                                     max_steps=3, batch=1))
    step0 = outcome.paths["Ag35Mo15Ni35W15"][0]
    assert step0["formula"] == "Ag35Mo15Ni35W15"
    assert any(o.startswith("density 11.") and o.endswith("g/cm3 > 9") for o in step0["outside"]), step0
    for path in outcome.paths.values():
        for step in path:
            rho = float(density(parse_formula(step["formula"]).vector(V)[None], V)[0])
            assert (rho > 9 + 1e-9) == any(o.startswith("density") for o in step.get("outside", []))
    lines = proposal_summary(ProposalRequest(mode="invert", cutoff=0.6, inversion="proximal"), outcome)
    assert any("[outside the limits: " in line for line in lines)
    assert any(line.startswith("Steps marked [outside the limits] leave the design space") for line in lines)


def test_a_start_with_too_few_elements_steps_on_into_the_design_space(trained_store):
    """CrFeNi above the cutoff ended its path at step 0 with 3 elements (the space asks for 4 to 6), was told
    "reached the cutoff", then dropped as outside the design space. A path now ends only inside it; with
    --keep-elements, which never adds an element, such a start is refused up front."""
    update_design_space(trained_store, **{f: getattr(HEA_DEFAULTS, f) for f in (
        "min_elements", "max_elements", "element_min", "element_max")})
    req = ProposalRequest(mode="invert", starts=["CrFeNi"], inversion="proximal", cutoff=0.05, batch=1)
    outcome = propose(trained_store, req)
    path = outcome.paths["CrFeNi"]
    assert path[0]["outside"] == ["3 elements < 4"], path[0]
    assert len(path) > 1 and not path[-1].get("outside"), path[-1]
    assert outcome.dropped["outside the design space"] == 0 and len(outcome.candidate_ids) == 1
    with trained_store.read() as s:
        alloy = s.get(Alloy, s.get(Candidate, outcome.candidate_ids[0]).alloy_id)
    assert 4 <= len(alloy.composition) <= 6
    lines = proposal_summary(req, outcome)
    assert any(line.startswith("Path from CrFeNi (proximal loop, reached the cutoff") for line in lines), lines
    with pytest.raises(CampaignError, match=r"never adds an element.*at least 4 \(CrFeNi has 3\)"):
        propose(trained_store, replace(req, keep_elements=True))


def test_the_warning_counts_the_elements_really_screened():
    from hea_campaign.tui.present.proposal_request import SCREEN_WARN, screening_warning

    els = ["Fe", "Ni", "Co", "Cr", "Mn", "Al", "Ti", "Re"]
    space = HEA_DEFAULTS.replace(banned=frozenset({"Re"}))
    plan = plan_screening(els, 0.02, space, V)
    assert plan.count > SCREEN_WARN and len(plan.elements) == 7
    said = screening_warning(_screen(els, step=0.02), plan)
    assert said.startswith(f"screening {plan.count:,} compositions inside the design space's bounds (7 elements, ")
    assert screening_warning(_screen(els[:5]), plan_screening(els[:5], 0.05, space, V)) is None  # 2,196: small


def test_an_element_its_maximum_keeps_out_is_named_as_left_out():
    """`--max Fe:4` with every element present at least 5 at.%: Fe was dropped from the screening without
    a word (it never appeared); it is named with why, as a banned element is, and the count is the same."""
    space = HEA_DEFAULTS.replace(max_fraction={"Fe": 0.04})
    plan = plan_screening(["Fe", "Ni", "Co", "Cr", "Mn"], 0.05, space, V)
    assert plan.elements == ("Ni", "Co", "Cr", "Mn")
    assert plan.left_out == {"Fe": "its maximum of 4 at.% is below the 5 at.% an element present needs at this step"}
    assert plan.count == plan_screening(["Ni", "Co", "Cr", "Mn"], 0.05, space, V).count > 0


def test_the_summary_says_what_the_screened_count_holds():
    """'Screened 2,196 compositions inside the design space' then '44 produced' read as a contradiction under
    a cost limit; and one composition is not 'compositions'."""
    from types import SimpleNamespace

    def summary(screened, space):
        outcome = SimpleNamespace(paths={}, dropped={}, candidate_ids=[], produced=0, run_id=None, left_out={},
                                  screened=screened, constraints=space)
        return next(line for line in proposal_summary(_screen(["Fe", "Ni", "Co", "Cr", "Al"]), outcome)
                    if line.startswith("Screened"))

    assert summary(2196, HEA_DEFAULTS.replace(max_cost_per_kg=1.0)).startswith(
        "Screened 2,196 compositions inside the design space's element count and bounds; the best 500 (those "
        "within its cost and density limits) by score")
    assert summary(1, HEA_DEFAULTS).startswith("Screened 1 composition inside the design space's element count and "
                                               "bounds; the best 500 by score")
