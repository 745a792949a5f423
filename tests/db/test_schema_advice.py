"""Schema advice that works: an old store can be backed up, a store from a newer version says what it needs.

``status`` on an out-of-date store says: back it up with ``hea-campaign backup``
and run ``db upgrade``.  Both steps must then work.  A store written by a newer
hea-campaign (an unknown revision) must say which version to install, as one
``error:`` line with no traceback, for every command that opens it and for
``db upgrade``.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from hea_campaign.campaign.backup import backup_at
from hea_campaign.campaign.results import add_result
from hea_campaign.db.migrate import current_revision, downgrade, head_revision
from hea_campaign.tui.cli import main


def _make_newer(engine, revision="9999", requires="9.1.0") -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        conn.execute(text("UPDATE store_info SET value = :v WHERE key = 'schema_requires'"), {"v": requires})


@pytest.mark.parametrize("argv", [["status"], ["db", "upgrade"], ["history", "FeNi"]])
def test_a_store_from_a_newer_version_names_the_version_it_needs(store, argv, capsys):
    add_result(store, "FeNi", single_phase=True)
    _make_newer(store.engine)
    store.engine.dispose()
    code = main([*argv, "--db", store.url])
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), captured.err
    assert "hea-campaign 9.1.0 or newer" in lines[0] and "revision 9999" in lines[0]
    assert "Traceback" not in captured.err + captured.out
    with store.engine.connect() as conn:  # nothing was touched
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "9999"


@pytest.mark.sqlite_only("backup copies a SQLite file")
def test_backup_works_on_an_old_schema_store_and_then_upgrade_does(store, store_path, tmp_path, capsys):
    add_result(store, "CoCrFeNi", single_phase=True)
    downgrade(store.engine, "0001")
    store.engine.dispose()
    assert main(["status", "--db", str(store_path)]) == 2
    advice = capsys.readouterr().err
    assert "hea-campaign backup" in advice and "db upgrade" in advice

    target = tmp_path / "before-upgrade.db"
    assert main(["backup", str(target), "--db", str(store_path)]) == 0, capsys.readouterr().err
    con = sqlite3.connect(target)
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
        assert con.execute("SELECT count(*) FROM measurement").fetchone()[0] == 1
    finally:
        con.close()
    assert main(["db", "upgrade", "--db", str(store_path)]) == 0
    assert main(["status", "--db", str(store_path)]) == 0
    capsys.readouterr()


@pytest.mark.sqlite_only("backup copies a SQLite file")
def test_backup_works_on_a_store_from_a_newer_version(store, store_path, tmp_path):
    add_result(store, "CoCrFeNi", single_phase=True)
    _make_newer(store.engine)
    result = backup_at(store_path, tmp_path / "newer.db")
    assert result.integrity == "ok" and result.counts["measurement"] == 1
    assert current_revision(store.engine) == "9999" != head_revision()
