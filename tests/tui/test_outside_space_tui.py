"""The TUI warns when it approves a candidate outside the campaign's current design space (and approves it)."""

from __future__ import annotations

from hea_campaign.campaign.chemistry import parse_formula
from hea_campaign.campaign.design_space import save_design_space
from hea_campaign.campaign.constraints import HEA_DEFAULTS, Constraints
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


def _flags_cells(app) -> dict[int, str]:
    table = app.query_one("#candidates-pane").query_one("DataTable")
    return {int(key.value): table.get_cell(key, "flags").text for key in table.rows}


async def test_the_table_marks_candidates_outside_the_space_as_the_cli_does(trained_store):
    """The flags column says "outside space" for the candidates the CLI's `candidates` marks, and keeps
    saying it after a decision on one of them; a space changed meanwhile is picked up by the live refresh."""
    from hea_campaign.campaign.read_models import candidates

    from .test_app import wait_for

    ids = with_candidates(trained_store)
    [first] = candidates_with_ids(trained_store, [ids[0]])
    comp = parse_formula(first.formula).as_dict()
    element = max(comp, key=comp.get)
    save_design_space(trained_store, Constraints(min_elements=3, banned=frozenset({element})))
    outside = {c.id for c in candidates(trained_store) if c.outside_space}
    assert ids[0] in outside
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        cells = _flags_cells(app)
        assert {cid for cid, text in cells.items() if text.endswith("outside space")} == outside
        await pilot.press("r")  # a rejection (its views do not ask about the space): the mark stays
        await pilot.pause()
        await pilot.press(*"too much", "enter")
        await pilot.pause()
        assert candidates_with_ids(trained_store, [ids[0]])[0].status == "rejected"
        assert _flags_cells(app)[ids[0]].endswith("outside space")
        save_design_space(trained_store, Constraints(min_elements=3))  # another user widens the space: all inside
        await wait_for(pilot, lambda: not any(t.endswith("outside space") for t in _flags_cells(app).values()))
