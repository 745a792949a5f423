"""The TUI warns when it approves a candidate outside the campaign's current design space (and approves it)."""

from __future__ import annotations

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.campaign.design_space import save_design_space
from hea_campaign.campaign.constraints import HEA_DEFAULTS
from hea_campaign.campaign.read_models import candidates_with_ids
from hea_campaign.tui.app import CampaignApp

from .test_app import SIZE, candidates_shown, with_candidates


async def test_approving_a_candidate_outside_the_space_warns(trained_store):
    ids = with_candidates(trained_store)
    [first] = candidates_with_ids(trained_store, [ids[0]])
    comp = parse_formula(first.formula).as_dict()
    element = max(comp, key=comp.get)
    save_design_space(trained_store, HEA_DEFAULTS.replace(min_elements=3, banned=frozenset({element})))
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        await pilot.press("a")
        await pilot.pause()
        warned = [n for n in app._notifications if "outside the current design space" in n.message]
    [note] = warned
    assert note.severity == "warning"
    assert f"warning: candidate {ids[0]} is outside the current design space: {element} is banned" in note.message
    assert "approved all the same" in note.message
    assert candidates_with_ids(trained_store, [ids[0]])[0].status == "approved"
