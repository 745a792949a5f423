"""Who acts in the TUI: `hea-campaign tui --by NAME`, as every command's --by, shown in the header.

A user review: in a lab sharing one login every TUI approval, export, import and
correction was recorded as the OS user, so the audit trail could not tell people apart.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from hea_campaign.db.tables import AuditEvent
from hea_campaign.tui.cli import main

from .test_app import candidates_shown, wait_for
from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)

pytestmark = pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")


def _run_tui(monkeypatch, *args: str):
    """Run `hea-campaign tui ARGS` in-process; the app it would run is returned instead of run."""
    import hea_campaign.tui.app as app_package

    started = []
    monkeypatch.setattr(app_package, "run_app", lambda app: started.append(app) or 0)
    code = main(["tui", *args])
    return code, (started[0] if started else None)


async def test_tui_by_is_recorded_for_what_the_session_does_and_the_header_says_who(fixed_store,  # noqa: F811
                                                                                  monkeypatch):
    code, app = _run_tui(monkeypatch, "--db", fixed_store.url, "--by", "  Ana Ruiz ")
    assert code == 0 and app is not None
    assert app.actor == "Ana Ruiz"  # checked and stripped by the --by rule (campaign/actors.py)
    async with app.run_test(size=(80, 24)) as pilot:
        await candidates_shown(pilot)
        await wait_for(pilot, lambda: app._opening is None or app._opening.done)
        assert app.sub_title.endswith(" · by Ana Ruiz"), app.sub_title
        header = app.screen.query_one("HeaderTitle")
        assert "by Ana Ruiz" in str(header.render())
        pane = app.query_one("#candidates-pane")
        proposed = next(c.id for c in pane.rows.values() if c.status == "proposed")
        app.query_one("#candidate-table").move_cursor(row=pane.shown.index(proposed))
        await pilot.press("a")
        await wait_for(pilot, lambda: pane.rows[proposed].status == "approved")
    with fixed_store.read() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "candidate.approve",
                                                AuditEvent.entity_id == proposed)).one()
    assert event.actor == "Ana Ruiz"


async def test_without_by_the_tui_acts_as_the_os_user_and_says_so(fixed_store, monkeypatch):  # noqa: F811
    from hea_campaign.campaign.actors import current_user

    code, app = _run_tui(monkeypatch, "--db", fixed_store.url)
    assert code == 0 and app.actor == current_user()
    assert app.sub_title.endswith(f" · by {current_user()}")


def test_a_blank_or_multi_line_by_is_refused_before_the_tui_starts(fixed_store, monkeypatch, capsys):  # noqa: F811
    for bad, why in (("   ", "--by is blank"), ("ana\nbob", "--by contains a control character")):
        code, app = _run_tui(monkeypatch, "--db", fixed_store.url, "--by", bad)
        assert code == 2 and app is None
        assert why in capsys.readouterr().err


def test_tui_help_explains_by(capsys):
    assert main(["tui", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--by" in text and "audit trail" in text and "OS user" in text


async def test_a_long_name_is_cut_in_the_header_and_recorded_whole(fixed_store):  # noqa: F811
    from hea_campaign.tui.app import CampaignApp

    name = "Dr. Katharina Oberhauser-Lindqvist (materials lab, 2nd floor)"
    app = CampaignApp(fixed_store, actor=name)
    assert app.actor == name
    async with app.run_test(size=(80, 24)):
        assert app.sub_title.endswith(" · by Dr. Katharina Oberhause…"), app.sub_title
