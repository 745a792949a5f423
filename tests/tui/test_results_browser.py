"""The results browser: corrections with their chain, filters, correcting from a row."""

from __future__ import annotations

from hea_campaign.campaign.results import add_result, correct_result
from hea_campaign.campaign.results_browser import build_filter, list_results
from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.results_browser import ResultsBrowser

from .test_app import wait_for


async def test_the_browser_lists_a_corrected_result_with_its_chain(seeded_store):
    first = add_result(seeded_store, "Al0.3CoCrFeNiTi0.2", single_phase="yes", phases="FCC", method="XRD", by="ana")
    second = correct_result(seeded_store, first.id, single_phase="no", phases="FCC+BCC", by="ben", notes="re-measured")
    third = correct_result(seeded_store, second.id, single_phase="no", phases="FCC+BCC+L12", by="ben")
    app = CampaignApp(seeded_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and app.screen.rows)
        screen = app.screen
        screen.query_one("#f-alloy").value = "CoCrFeNiAl0.3Ti0.2"  # any way of writing it finds the alloy
        screen.query_one("#apply-filter").press()
        await wait_for(pilot, lambda: set(screen.rows) == {first.id, second.id, third.id})
        table = screen.query_one("#results-table")
        assert str(table.get_cell(str(first.id), "state")) == f"corrected by {second.id}"
        assert str(table.get_cell(str(second.id), "state")) == f"corrected by {third.id}"
        assert str(table.get_cell(str(third.id), "state")) == "current"
        for i in (first.id, second.id, third.id):  # the whole chain in the panel, from any of its results
            table.move_cursor(row=table.get_row_index(str(i)))
            await pilot.pause()
            text = str(screen.query_one("#result-chain").render())
            assert "2 correction(s)" in text and "re-measured" in text and f"superseded by {second.id}" in text
            assert f"({first.id} > {second.id} > {third.id})" in text.splitlines()[0]
            assert [line.split()[0] for line in text.splitlines()[1:]] == [str(first.id), str(second.id), str(third.id)]
        table.move_cursor(row=table.get_row_index(str(first.id)))
        await pilot.pause()
        await pilot.press("c")  # correcting starts from the newest result of the chain
        await wait_for(pilot, lambda: not isinstance(app.screen, ResultsBrowser))
        assert app.query_one("#r-corrects").value == str(third.id)
        assert app.focused is app.query_one("#r-single")


def test_filters_by_operator_candidate_and_date(seeded_store):
    m = add_result(seeded_store, "CoCrFeNiMn0.5", single_phase="yes", operator="Dana", measured_on="2025-03-01")
    by_op = list_results(seeded_store, build_filter(operator="dana"))
    assert [r.id for r in by_op] == [m.id]
    in_range = list_results(seeded_store, build_filter(since="2025-02-28", until="2025-03-01"))
    assert m.id in [r.id for r in in_range]
    assert m.id not in [r.id for r in list_results(seeded_store, build_filter(until="2025-02-28"))]
    assert list_results(seeded_store, build_filter(candidate="999")) == []


def _two_failures(store, tmp_path) -> list[int]:
    """Three candidates exported; the first failed (cracked), the second failed and was approved again."""
    from hea_campaign.campaign.export import export_batch
    from hea_campaign.campaign.lifecycle import approve, fail

    from .test_app import with_candidates

    ids = with_candidates(store, 3)
    approve(store, ids, by="setup")
    export_batch(store, ids=ids, mass=20, out=tmp_path / "batch.csv", by="setup")
    fail(store, [ids[0]], "cracked", notes="at the first remelt", by="ana")
    fail(store, [ids[1]], "oxidised", by="ben")
    approve(store, [ids[1]], by="ben")  # another try: the failure stays in the history
    return ids


def test_failed_syntheses_are_listed_with_their_reason_and_filtered(trained_store, tmp_path):
    from hea_campaign.campaign.results_browser import list_failures

    ids = _two_failures(trained_store, tmp_path)
    found = list_failures(trained_store)
    assert [(f.candidate_id, f.reason, f.operator, f.candidate_status) for f in found] == [
        (ids[1], "oxidised", "ben", "approved"), (ids[0], "cracked: at the first remelt", "ana", "failed")]
    first = found[1]
    assert [f.candidate_id for f in list_failures(trained_store, build_filter(formula=first.formula))] == [ids[0]]
    assert [f.candidate_id for f in list_failures(trained_store, build_filter(operator="ANA"))] == [ids[0]]
    assert [f.candidate_id for f in list_failures(trained_store, build_filter(candidate=str(ids[1])))] == [ids[1]]
    day = first.day.isoformat()
    assert len(list_failures(trained_store, build_filter(since=day, until=day))) == 2
    assert list_failures(trained_store, build_filter(until="2000-01-01")) == []
    assert list_failures(trained_store, build_filter(candidate=str(ids[2]))) == []  # exported, not failed


async def test_the_browser_lists_failed_syntheses_among_the_results(trained_store, tmp_path):
    ids = _two_failures(trained_store, tmp_path)
    add_result(trained_store, "CoCrFeNiMn0.5", single_phase="yes", method="XRD", by="ana")
    app = CampaignApp(trained_store, actor="ui-user")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsBrowser) and app.screen.failures)
        screen = app.screen
        table = screen.query_one("#results-table")
        shown = sorted((str(table.get_cell(key, "single")), str(table.get_cell(key, "phases")),
                        str(table.get_cell(key, "state"))) for key in screen.failures)
        # the reason where a result's phases go (cut with an ellipsis if the screen is short of room)
        assert [(single, state) for single, _, state in shown] == [("failed", "synthesis failed"),
                                                                   ("failed", "failed; now approved")]
        reasons = [phases for _, phases, _ in shown]
        assert "cracked: at the first remelt".startswith(reasons[0].removesuffix("…")) and reasons[1] == "oxidised"
        assert "2 failed synthesis(es)" in str(screen.query_one("#results-count").render())
        screen.query_one("#f-candidate").value = str(ids[0])  # filtered like the results
        screen.query_one("#apply-filter").press()
        await wait_for(pilot, lambda: len(screen.failures) == 1 and not screen.rows)
        (key,) = screen.failures
        assert str(table.get_cell(key, "candidate")) == str(ids[0]) and str(table.get_cell(key, "operator")) == "ana"
        table.focus()
        table.move_cursor(row=0)
        await pilot.pause()
        assert "reason: cracked: at the first remelt" in str(screen.query_one("#result-chain").render())
        await pilot.press("c")  # nothing to correct: the browser stays
        await pilot.pause()
        assert app.screen is screen
