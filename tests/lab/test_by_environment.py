"""HEA_CAMPAIGN_BY names who is acting when --by is not given (a shared login, a script), for every command
that takes --by and for the TUI; --by wins over it, and a blank or empty value is refused, naming it, as a
blank --by is."""

from __future__ import annotations

import pytest
import typer
from sqlmodel import select

from hea_campaign.db.tables import AuditEvent, Measurement
from hea_campaign.tui.cli import app as cli_app

from .conftest import counts
from .test_lab_cli import _ok, _refused


@pytest.fixture
def db(store):
    return ["--db", store.url]


def _actors(store, action: str) -> list[str]:
    with store.read() as s:
        return [e.actor for e in s.exec(select(AuditEvent).where(AuditEvent.action == action)).all()]


def test_the_variable_names_who_acts(capsys, store, db, monkeypatch):
    monkeypatch.setenv("HEA_CAMPAIGN_BY", "  Ana Ruiz ")
    _ok(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", *db)
    assert _actors(store, "measurement.add") == ["Ana Ruiz"]  # checked and stripped by the --by rule
    with store.read() as s:
        assert s.exec(select(Measurement.operator)).one() == "Ana Ruiz"  # the operator defaults to who acts


def test_by_wins_over_the_variable(capsys, store, db, monkeypatch):
    monkeypatch.setenv("HEA_CAMPAIGN_BY", "Ana Ruiz")
    _ok(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", "--by", "Bo Li", *db)
    assert _actors(store, "measurement.add") == ["Bo Li"]


@pytest.mark.parametrize("value", ["", "   ", "Ana\x1b[31mRuiz", "x" * 101])
def test_a_blank_or_bad_variable_is_refused_naming_it_and_nothing_is_written(value, capsys, store, db,
                                                                            monkeypatch):
    monkeypatch.setenv("HEA_CAMPAIGN_BY", value)
    before = counts(store)
    line = _refused(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", *db)
    assert "HEA_CAMPAIGN_BY" in line and "\x1b" not in line
    if not value.strip():
        assert "HEA_CAMPAIGN_BY is blank" in line
    assert counts(store) == before
    _ok(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", "--by", "Bo Li", *db)  # not read then


def test_a_blank_by_is_still_refused_as_before(capsys, store, db, monkeypatch):
    monkeypatch.setenv("HEA_CAMPAIGN_BY", "Ana Ruiz")
    assert "--by is blank" in _refused(capsys, "result", "add", "CoCrFeNi", "--single-phase", "yes", "--by", " ",
                                       *db)


def test_every_command_with_by_reads_the_variable(monkeypatch):
    """Every --by goes through the one callback (options._by_name), which reads HEA_CAMPAIGN_BY."""
    from hea_campaign.tui.cli.options import _by_name

    def walk(cmd, prefix):
        subs = getattr(cmd, "commands", None)
        if not subs:
            return [(prefix, cmd)]
        return [p for name, sub in subs.items() for p in walk(sub, (*prefix, name))]

    with_by = [(path, p) for path, cmd in walk(typer.main.get_command(cli_app), ())
               for p in cmd.params if "--by" in getattr(p, "opts", ())]
    assert len(with_by) > 10 and ("tui",) in [path for path, _ in with_by]
    for path, param in with_by:
        assert param.callback is not None, path
    monkeypatch.setenv("HEA_CAMPAIGN_BY", "Ana Ruiz")
    assert _by_name(None) == "Ana Ruiz" and _by_name("Bo Li") == "Bo Li"


def test_the_tui_acts_as_the_variable_unless_by_is_given(store, monkeypatch):
    import hea_campaign.tui.app as app_package
    from hea_campaign.tui.cli import main

    started = []
    monkeypatch.setattr(app_package, "run_app", lambda app: started.append(app) or 0)
    monkeypatch.setenv("HEA_CAMPAIGN_BY", "Ana Ruiz")
    assert main(["tui", "--db", store.url]) == 0 and started[-1].actor == "Ana Ruiz"
    assert main(["tui", "--db", store.url, "--by", "Bo Li"]) == 0 and started[-1].actor == "Bo Li"
    monkeypatch.setenv("HEA_CAMPAIGN_BY", " ")
    assert main(["tui", "--db", store.url]) == 2 and len(started) == 2
    from hea_campaign.tui.app import CampaignApp

    monkeypatch.setenv("HEA_CAMPAIGN_BY", "Cy Ko")
    assert CampaignApp(store).actor == "Cy Ko"  # the app itself follows the same rule
