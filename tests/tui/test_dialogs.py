"""The small dialogs: questions shown whole, answers that keep what was typed, reasons that are required."""

from __future__ import annotations

import pytest

from hea_campaign.tui.app import CampaignApp
from hea_campaign.tui.app.modals import ConfirmModal, ExportModal, ReasonModal

from .test_app import candidates_shown, wait_for
from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
SIZE = (120, 40)
LONG = ("a target mass of 2000 g per ingot is more than 1000 g; check the mass and its unit, or confirm it to "
        "export it anyway (--yes on the command line). Export anyway?")


def shown_text(widget) -> str:
    """What the widget draws on the screen, its lines joined by spaces."""
    lines = widget.render_lines(widget.size.region)
    return " ".join(" ".join(strip.text.split()) for strip in lines)


async def test_a_long_question_wraps_and_shows_whole(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await app.panes_ready.wait()
        app.push_screen(ConfirmModal(LONG))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.query(".modal-title"))
        await pilot.pause()
        title = app.screen.query_one(".modal-title")
        assert title.size.height >= 2, "wrapped onto several lines"
        assert title.region.right <= app.screen.query_one(".modal").region.right
        assert " ".join(LONG.split()) in shown_text(title)


async def test_a_stray_enter_declines_and_the_arrows_reach_yes(fixed_store):  # noqa: F811
    """Every question asks whether to do something risky anyway (store a contradicting result, export a
    heavy ingot): Enter alone must not say yes; left/right move between the answers; y and n answer."""
    app = CampaignApp(fixed_store, actor="tester")
    answers = []
    async with app.run_test(size=SIZE) as pilot:
        await app.panes_ready.wait()
        for keys in (["enter"], ["right", "enter"], ["right", "left", "enter"], ["y"], ["n"]):
            app.push_screen(ConfirmModal("Store both results?"), answers.append)
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.query("#no"))
            await pilot.pause()
            await pilot.press(*keys)
            await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmModal))
    assert answers == [False, True, False, True, False]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_the_questions_footer_offers_its_own_keys_not_the_screens_behind_it(fixed_store, size):  # noqa: F811
    """Over the Candidates tab (a approve, r reject, e export, ...: keys that do nothing while the question
    is up), the bottom line names the question's keys: y, n or Esc, the arrows, and none of the tab's."""
    from .test_screen_fit import screen_lines

    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=size) as pilot:
        await candidates_shown(pilot)
        behind = screen_lines(app)[-1]
        assert "Approve" in behind and "Reject" in behind, behind  # the tab's footer, before the question
        app.push_screen(ConfirmModal("Store both results?"))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.query("#no"))
        await pilot.pause()
        bottom = screen_lines(app)[-1]
        for words in ("Approve", "Reject", "Export", "Help", "go to"):
            assert words not in bottom, (words, bottom)
        for hint in ("y Yes", "n/esc No", "←→ Other answer"):
            assert hint in bottom, (hint, bottom)
        await pilot.press("y")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmModal))
        assert "Approve" in screen_lines(app)[-1]  # the tab's own keys again


async def test_no_to_a_heavy_ingot_returns_to_the_export_dialog_with_its_entries(fixed_store, tmp_path,  # noqa: F811
                                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "heavy.csv"
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)  # candidate 1 is approved
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal) and app.screen.query("#mass"))
        app.screen.query_one("#mass").value = "2000"
        app.screen.query_one("#path").value = str(out)
        app.screen.query_one("#fmt").value = "json"
        await pilot.pause()
        app.screen.query_one("#ok").press()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.query("#no"))
        app.screen.query_one("#no").press()
        await wait_for(pilot, lambda: isinstance(app.screen, ExportModal) and app.screen.query("#mass"))
        await pilot.pause()
        assert app.screen.query_one("#mass").value == "2000"
        assert app.screen.query_one("#path").value == str(out)
        assert app.screen.query_one("#fmt").value == "json"
        assert not out.exists()


async def test_a_required_reason_is_asked_for_and_an_optional_one_is_not(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    answers = []
    async with app.run_test(size=SIZE) as pilot:
        await app.panes_ready.wait()
        app.push_screen(ReasonModal("Void export batch 1: why?", required=True), answers.append)
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonModal) and app.screen.query("#reason"))
        assert "required" in app.screen.query_one("#reason").placeholder
        assert "optional" not in app.screen.query_one("#reason").placeholder
        app.screen.query_one("#reason").focus()
        await pilot.press("space", "enter")  # blank: not taken
        await pilot.pause()
        assert isinstance(app.screen, ReasonModal) and answers == []
        assert "give a reason" in shown_text(app.screen.query_one("#reason-error"))
        await pilot.press(*"oven broke", "enter")
        await wait_for(pilot, lambda: answers)
        assert answers == [" oven broke"]
        app.push_screen(ReasonModal("Reject candidate(s) 2: why?"), answers.append)
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonModal) and app.screen.query("#reason"))
        assert "optional" in app.screen.query_one("#reason").placeholder
        app.screen.query_one("#reason").focus()
        await pilot.press("enter")  # an optional reason may be left out
        await wait_for(pilot, lambda: len(answers) == 2)
        assert answers[1] == ""


async def test_approving_and_rejecting_say_so_in_words(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        table = app.query_one("#candidate-table")
        table.move_cursor(row=table.get_row_index("2"))  # proposed
        await pilot.pause()
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonModal) and app.screen.query("#reason"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("candidate(s)" in n.message for n in app._notifications))
        table.move_cursor(row=table.get_row_index("3"))
        await pilot.pause()
        await pilot.press("a")
        await wait_for(pilot, lambda: sum("candidate(s)" in n.message for n in app._notifications) == 2)
        messages = [n.message for n in app._notifications]
    assert "Rejected 1 candidate(s): 2" in messages and "Approved 1 candidate(s): 3" in messages


async def test_a_database_refusal_is_shown_in_plain_words(fixed_store):  # noqa: F811
    """A store locked past the busy timeout: the modal says so in one sentence, without the SQL and link."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from hea_campaign.tui.app.modals import ErrorModal

    locked = OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await app.panes_ready.wait()
        app.show_error(locked)
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal) and app.screen.query("#error-message"))
        await pilot.pause()
        said = shown_text(app.screen.query_one("#error-message"))
        assert "The database refused" in shown_text(app.screen.query_one(".modal-title"))
    assert "the store is busy: another program has been writing to it" in said, said
    assert "SQL" not in said and "sqlalche.me" not in said and "OperationalError" not in said


async def test_another_program_writing_gives_a_busy_message_not_a_frozen_screen(fixed_store):  # noqa: F811
    """The UI thread waits UI_WRITER_WAIT_S for another writer's lock (not the store's 30 s), then says the store
    is busy; workers and the CLI keep the default."""
    import sqlite3

    from hea_campaign.db.engine import BUSY_TIMEOUT_MS
    from hea_campaign.tui.app.campaign_app import UI_WRITER_WAIT_S
    from hea_campaign.tui.app.modals import ErrorModal

    from ..db.test_writer_wait import _writer_wait_ms
    from .test_user_text import snapshot

    app = CampaignApp(fixed_store, actor="tester")
    before = snapshot(fixed_store)
    other = sqlite3.connect(fixed_store.url.removeprefix("sqlite:///"))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await candidates_shown(pilot)
            assert app.guard(_writer_wait_ms, fixed_store) == int(UI_WRITER_WAIT_S * 1000) < BUSY_TIMEOUT_MS
            table = app.query_one("#candidate-table")
            table.move_cursor(row=table.get_row_index("2"))  # proposed
            await pilot.pause()
            other.execute("BEGIN IMMEDIATE")  # a long import in another terminal
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal) and app.screen.query("#error-message"))
            said = shown_text(app.screen.query_one("#error-message"))
            other.rollback()
        assert f"the store is busy: another program has been writing to it for more than {UI_WRITER_WAIT_S:g} s" in said
    finally:
        other.close()
    assert snapshot(fixed_store) == before
    assert _writer_wait_ms(fixed_store) == BUSY_TIMEOUT_MS  # the app has closed: this thread waits as before


async def test_exporting_an_alloy_measured_since_asks_first(fixed_store, tmp_path, monkeypatch):  # noqa: F811
    from hea_campaign.campaign.read_models import candidates_with_ids
    from hea_campaign.campaign.results import add_result

    monkeypatch.chdir(tmp_path)
    formula = candidates_with_ids(fixed_store, [1])[0].formula  # candidate 1 is approved
    m = add_result(fixed_store, formula, single_phase=False, phases="FCC+BCC")
    out = tmp_path / "again.csv"
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=SIZE) as pilot:
        await candidates_shown(pilot)
        for answer in ("#no", "#yes"):
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, ExportModal) and app.screen.query("#mass"))
            app.screen.query_one("#mass").value = "20"
            app.screen.query_one("#path").value = str(out)
            await pilot.pause()
            app.screen.query_one("#ok").press()
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.query(answer))
            title = app.screen.query_one(".modal-title")
            await wait_for(pilot, lambda: title.size.height)  # laid out: drawn before that, it showed nothing
            question = shown_text(title)
            assert f"measurement {m.id} says multi phase" in question, question
            assert not out.exists()
            app.screen.query_one(answer).press()
            if answer == "#no":  # back to the dialog with its entries; leave it
                await wait_for(pilot, lambda: isinstance(app.screen, ExportModal))
                await pilot.press("escape")
                await pilot.pause()
        await wait_for(pilot, lambda: out.exists())


@pytest.mark.parametrize("dialog", ["error", "reason", "export", "fail", "help", "simulate"])
async def test_every_dialog_has_its_own_footer(fixed_store, dialog):  # noqa: F811
    """Over the Candidates tab, the dialogs showed the tab's footer (a Approve, r Reject, ...), keys that
    do nothing while a dialog is up; each now names its own (Esc and what it does)."""
    from hea_campaign.tui.app.modals import ErrorModal, ExportModal, FailModal, HelpScreen, ReasonModal
    from hea_campaign.tui.app.simulation_screen import SimulationScreen

    from .test_screen_fit import screen_lines

    made = {"error": lambda: ErrorModal("Cannot do that", "no"), "reason": lambda: ReasonModal("Why?"),
            "export": lambda: ExportModal(2, "batch.csv"), "fail": lambda: FailModal("Why did it fail?"),
            "help": lambda: HelpScreen("keys"), "simulate": lambda: SimulationScreen()}[dialog]
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await candidates_shown(pilot)
        screen = made()
        app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause()
        bottom = screen_lines(app)[-1]
        assert "Approve" not in bottom and "Reject" not in bottom and "esc" in bottom, bottom
