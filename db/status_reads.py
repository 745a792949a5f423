"""The counts ``hea-campaign status`` shows, read from a SQLite store with the standard library.

Importing SQLAlchemy with SQLModel takes over a second on a 2-core lab machine, far longer
than the few indexed counts ``status`` needs.  On a plain SQLite file these read-only queries
answer without them, in one read transaction (one consistent snapshot, as the full path has), on a
connection that writes nothing and leaves nothing beside the file (``read_status``).
They give up (None) on anything unusual: not the schema this program writes (``SCHEMA_HEAD``),
no such campaign, a file SQLite cannot open; the caller then goes the full way, which says
what is wrong.  The same counts as ``db.store``'s queries: a test compares both on the same stores.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from .location import read_only_uri, unwritable_store
from .states import SCHEMA_HEAD


def read_status(path: Path, campaign: str, proposal_source: str, recent: int) -> dict | None:
    """Everything ``campaign.status`` shows, or None when the full path must answer."""
    if not path.is_file():
        return None
    try:
        path = path.resolve()
        # A store this user may write is opened read-write (``mode=rw``: never created), though only read:
        # a read-only connection to a WAL store makes its -wal and -shm files and, unable to write, leaves
        # them behind when it closes; a read-write one, the last to close, removes them, as every command
        # does.  Reading changes nothing in the file either way.
        uri = read_only_uri(path) if unwritable_store(path) else f"file:{quote(str(path))}?mode=rw"
        con = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        con.execute("PRAGMA busy_timeout = 30000")
        con.execute("BEGIN")
        return _read(con, campaign, proposal_source, recent)
    except sqlite3.Error:
        return None
    finally:
        con.close()


def _read(con: sqlite3.Connection, campaign: str, proposal_source: str, recent: int) -> dict | None:
    if con.execute("SELECT version_num FROM alembic_version").fetchall() != [(SCHEMA_HEAD,)]:
        return None
    row = con.execute("SELECT id FROM campaign WHERE name = ?", (campaign,)).fetchone()
    if row is None:
        return None
    cid = row[0]
    by_state = {s: (n, m) for s, n, m in con.execute(
        "SELECT label_state, count(*), coalesce(sum(n_current), 0) FROM alloy WHERE campaign_id = ? GROUP BY label_state",
        (cid,))}
    one = lambda sql, *args: con.execute(sql, (cid, *args)).fetchone()[0]  # noqa: E731
    model = con.execute("SELECT id, created_at, metrics FROM model_version WHERE campaign_id = ? AND active = 1 LIMIT 1",
                        (cid,)).fetchone()
    proposed_only = one("SELECT count(*) FROM alloy WHERE campaign_id = ? AND label_state = 'none' "
                        "AND substr(source, 1, ?) = ?", len(proposal_source), proposal_source)
    return {
        "summary": label_counts(by_state, proposed_only),
        "outside_vocabulary": one("SELECT count(*) FROM alloy WHERE campaign_id = ? AND outside_vocabulary > ''"),
        "candidates": dict(con.execute("SELECT status, count(*) FROM candidate WHERE campaign_id = ? GROUP BY status",
                                       (cid,)).fetchall()),
        "batches": dict(con.execute("SELECT state, count(*) FROM export_batch WHERE campaign_id = ? GROUP BY state",
                                    (cid,)).fetchall()),
        "voided": one("SELECT count(*) FROM export_batch WHERE campaign_id = ? AND voided_at IS NOT NULL"),
        "model": None if model is None else (model[0], datetime.fromisoformat(model[1]), json.loads(model[2]),
                                             _results_since(con, cid, model[0])),
        "events": [(datetime.fromisoformat(at), actor, action, entity, entity_id) for at, actor, action, entity, entity_id
                   in con.execute("SELECT at, actor, action, entity, entity_id FROM audit_event WHERE campaign_id = ? "
                                  "ORDER BY id DESC LIMIT ?", (cid, recent))],
    }


def _results_since(con: sqlite3.Connection, cid: int, version_id: int) -> int:
    """As ``db.store.results_since``: measurement rows the version's training set did not include (by range)."""
    last, created = con.execute("SELECT last_measurement_id, created_at FROM model_version WHERE id = ?",
                                (version_id,)).fetchone()
    after, bound = ("m.id > ?", last) if last is not None else ("m.entered_at > ?", created)
    return con.execute(f"SELECT count(*) FROM measurement m JOIN alloy a ON a.id = m.alloy_id WHERE {after} "
                       "AND a.campaign_id + 0 = ?", (bound, cid)).fetchone()[0]


def label_counts(by_state: dict[str, tuple[int, int]], proposed_only: int) -> dict[str, int]:
    """Alloys and current measurements by label state ({state: (alloys, measurements)}) as status counts them."""
    return {
        "alloys": sum(int(n) for n, _ in by_state.values()),
        "measurements": sum(int(m) for _, m in by_state.values()),
        "single_phase": int(by_state.get("single", (0, 0))[0]),
        "multi_phase": int(by_state.get("multi", (0, 0))[0]),
        "conflicts": int(by_state.get("conflict", (0, 0))[0]),
        "proposed_only": int(proposed_only),
        "unlabelled": int(by_state.get("unlabelled", (0, 0))[0]),
        # no current measurement and not a proposal: every result was moved to another alloy or withdrawn
        "moved_away": int(by_state.get("none", (0, 0))[0]) - int(proposed_only),
    }
