"""The lab results form asks before storing a formula as a new alloy next to a candidate the lab made,
and says when the amounts it was given were read as proportions (they added to 101) and how it stored the
phases typed (FCC+Laves for fcc + laves)."""

from __future__ import annotations

from hea_campaign.db.tables import Alloy, Measurement
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.modals import ConfirmModal

from ..lab.conftest import candidate_statuses, insert_candidates
from .test_app import SIZE, count, wait_for


async def test_a_formula_next_to_an_exported_candidate_asks_first(seeded_store):
    [cid] = insert_candidates(seeded_store, ["Co14Cr21Fe28Ni27Ti10"], status="exported")
    before, alloys = count(seeded_store, Measurement), count(seeded_store, Alloy)
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        for answer in ("#no", "#yes"):
            app.query_one("#r-formula").value = "Co14Cr21Fe28Ni27Ti11"
            app.query_one("#r-single").value = "no"
            await pilot.pause()
            await pilot.click("#save-result")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.query(answer))
            question = str(app.screen.query_one(".modal-title").render())
            assert f"candidate {cid} (Co14Cr21Fe28Ni27Ti10)" in question and "amounts sum to 101" in question
            assert count(seeded_store, Measurement) == before  # nothing until the person says so
            await pilot.click(answer)
            await pilot.pause()
        await wait_for(pilot, lambda: "Saved result" in str(app.query_one("#result-status").render()))
        assert "amounts sum to 101" in str(app.query_one("#result-status").render())
    assert count(seeded_store, Measurement) == before + 1 and count(seeded_store, Alloy) == alloys + 1
    assert candidate_statuses(seeded_store, [cid]) == {cid: "exported"}


async def test_the_form_says_how_the_phases_were_stored(seeded_store):
    from sqlmodel import select

    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        app.query_one("#r-formula").value = "CoCrFeNiMn0.5"
        app.query_one("#r-single").value = "no"
        app.query_one("#r-phases").value = "fcc + laves"
        await pilot.pause()
        await pilot.click("#save-result")
        await wait_for(pilot, lambda: "Saved result" in str(app.query_one("#result-status").render()))
        assert "Phases stored as FCC+Laves." in str(app.query_one("#result-status").render())
    with seeded_store.read() as s:
        last = s.exec(select(Measurement).order_by(Measurement.id.desc())).first()
    assert last.phases == "FCC+Laves"
