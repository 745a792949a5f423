"""What is in a campaign: the counts `hea-campaign status` and the dashboard show."""

from __future__ import annotations

from dataclasses import dataclass, field

from hea_campaign.db import store as q
from hea_campaign.db.tables import CANDIDATE_STATUSES

from .alloy_sources import PROPOSAL_SOURCE
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


def campaign_status(store: CampaignStore, recent: int = 5) -> CampaignStatus:
    with store.read() as session:
        c = q.status_summary(session, store.campaign_id, PROPOSAL_SOURCE)  # counted by the database
        single, multi, conflicts = c["single_phase"], c["multi_phase"], c["conflicts"]
        counts = q.candidate_status_counts(session, store.campaign_id)
        model = q.active_model(session, store.campaign_id)
        events = q.recent_events(session, store.campaign_id, recent)
        batch_states = q.export_batch_counts(session, store.campaign_id)
        return CampaignStatus(
            store_url=store.display_url,
            campaign=store.campaign_name,
            alloys=c["alloys"],
            labelled=single + multi,
            single_phase=single,
            multi_phase=multi,
            unlabelled=c["alloys"] - single - multi - conflicts - c["proposed_only"],
            proposed_only=c["proposed_only"],
            conflicts=conflicts,
            outside_vocabulary=q.count_outside_vocabulary(session, store.campaign_id),
            measurements=c["measurements"],
            candidates={s: counts.get(s, 0) for s in CANDIDATE_STATUSES},
            active_model=None
            if model is None
            else {"id": model.id, "created_at": f"{model.created_at:%Y-%m-%d %H:%M} UTC", "metrics": model.metrics},
            interrupted_exports=batch_states.get("pending", 0),
            voided_batches=batch_states.get("void", 0),
            recent=[
                f"{e.at:%Y-%m-%d %H:%M} {e.actor}: {e.action} {e.entity} {e.entity_id or ''}".rstrip() for e in events
            ],
        )


def refresh_activity(store: CampaignStore, previous: CampaignStatus, recent: int = 5) -> CampaignStatus:
    """``previous`` with fresh candidate counts, active model and recent activity, the label counts kept.

    For a live view after writes that touched no alloy or measurement (approvals,
    proposals, a new model): recounting labels reads every measurement, which
    takes seconds with a hundred thousand of them; these three reads do not.
    """
    from dataclasses import replace

    with store.read() as session:
        counts = q.candidate_status_counts(session, store.campaign_id)
        model = q.active_model(session, store.campaign_id)
        events = q.recent_events(session, store.campaign_id, recent)
        return replace(
            previous,
            candidates={s: counts.get(s, 0) for s in CANDIDATE_STATUSES},
            active_model=None
            if model is None
            else {"id": model.id, "created_at": f"{model.created_at:%Y-%m-%d %H:%M} UTC", "metrics": model.metrics},
            recent=[
                f"{e.at:%Y-%m-%d %H:%M} {e.actor}: {e.action} {e.entity} {e.entity_id or ''}".rstrip() for e in events
            ],
        )
