"""What is in a campaign: the counts `hea-campaign status` and the dashboard show.

``quick_status`` answers for a plain SQLite file with the standard library alone (no
SQLAlchemy import, which costs more than everything else ``status`` does); ``campaign_status``
answers for any open store.  Both build the same ``CampaignStatus`` from the same counts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from hea_campaign.db.states import CANDIDATE_STATUSES

from .alloy_sources import PROPOSAL_SOURCE

if TYPE_CHECKING:
    from .store import CampaignStore


@dataclass
class CampaignStatus:
    store_url: str
    campaign: str
    alloys: int
    labelled: int
    single_phase: int
    multi_phase: int
    unlabelled: int
    proposed_only: int  # compositions that exist only as model proposals, not yet measured
    conflicts: int
    outside_vocabulary: int
    measurements: int
    candidates: dict[str, int] = field(default_factory=dict)
    active_model: dict | None = None
    recent: list[str] = field(default_factory=list)
    interrupted_exports: int = 0  # pending export batches (settled by the next export)
    voided_batches: int = 0
    moved_away: int = 0  # alloys whose every result was moved to another alloy (a typo corrected): not trained on


def _activity(counts, model, events) -> dict:
    """The fields of a status that change without any lab result: candidates, model, recent events.

    ``model`` is (id, created_at, metrics, results entered since) or None; ``events`` are (at, actor, action,
    entity, entity_id)."""
    return {
        "candidates": {s: counts.get(s, 0) for s in CANDIDATE_STATUSES},
        "active_model": None if model is None
        else {"id": model[0], "created_at": f"{model[1]:%Y-%m-%d %H:%M} UTC", "metrics": model[2],
              "results_since": model[3]},
        "recent": [f"{at:%Y-%m-%d %H:%M} {actor}: {action} {entity} {entity_id or ''}".rstrip()
                   for at, actor, action, entity, entity_id in events],
    }


def _status(store_url: str, campaign: str, c: dict, outside: int, batches, activity: dict) -> CampaignStatus:
    single, multi, conflicts = c["single_phase"], c["multi_phase"], c["conflicts"]
    return CampaignStatus(
        store_url=store_url, campaign=campaign, alloys=c["alloys"], labelled=single + multi,
        single_phase=single, multi_phase=multi,
        unlabelled=c["unlabelled"], moved_away=c["moved_away"],
        proposed_only=c["proposed_only"], conflicts=conflicts, outside_vocabulary=outside,
        measurements=c["measurements"], interrupted_exports=batches.get("pending", 0),
        voided_batches=batches.get("void", 0), **activity,
    )


def read_only_here(url: str) -> str | None:
    """Why a SQLite store cannot be written from here ('the file is read-only', ...), None if it can
    (or is not a plain file); the header and ``status`` say it before anyone types a result."""
    from hea_campaign.db.location import plain_sqlite_file, unwritable_store

    path = plain_sqlite_file(url)
    return None if path is None else unwritable_store(path)


def quick_status(db: str | os.PathLike | None, campaign: str, recent: int = 5) -> CampaignStatus | None:
    """The status of a campaign in a plain SQLite file, read without SQLAlchemy; None when
    ``campaign_status`` on an opened store must answer (a server, an older schema, no such
    campaign or file: opening says what is wrong)."""
    from hea_campaign.db.location import plain_sqlite_file, resolve_url
    from hea_campaign.db.status_reads import read_status

    url = resolve_url(db)
    path = plain_sqlite_file(url)
    got = read_status(path, campaign, PROPOSAL_SOURCE, recent) if path is not None else None
    if got is None:
        return None
    batches = {**got["batches"], "void": got["voided"]}
    return _status(url, campaign, got["summary"], got["outside_vocabulary"], batches,
                   _activity(got["candidates"], got["model"], got["events"]))


def _read_activity(session, store: CampaignStore, recent: int) -> dict:
    from hea_campaign.db import store as q

    model = q.active_model(session, store.campaign_id)
    return _activity(q.candidate_status_counts(session, store.campaign_id),
                     None if model is None else (model.id, model.created_at, model.metrics,
                                                 q.results_since(session, store.campaign_id, model.id)),
                     [(e.at, e.actor, e.action, e.entity, e.entity_id)
                      for e in q.recent_events(session, store.campaign_id, recent)])


def campaign_status(store: CampaignStore, recent: int = 5) -> CampaignStatus:
    from hea_campaign.db import store as q

    with store.read() as session:
        c = q.status_summary(session, store.campaign_id, PROPOSAL_SOURCE)  # counted by the database
        return _status(store.display_url, store.campaign_name, c, q.count_outside_vocabulary(session, store.campaign_id),
                       q.export_batch_counts(session, store.campaign_id), _read_activity(session, store, recent))


def refresh_activity(store: CampaignStore, previous: CampaignStatus, recent: int = 5) -> CampaignStatus:
    """``previous`` with fresh candidate counts, active model and recent activity, the label counts kept.

    For a live view after writes that touched no alloy or measurement (approvals,
    proposals, a new model): recounting labels reads every measurement, which
    takes seconds with a hundred thousand of them; these three reads do not.
    """
    with store.read() as session:
        return replace(previous, **_read_activity(session, store, recent))
