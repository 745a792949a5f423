"""What is in a campaign: the counts `hea-campaign status` and the dashboard show."""

from __future__ import annotations

from dataclasses import dataclass, field

from hea_campaign.db import store as q
from hea_campaign.db.tables import CANDIDATE_STATUSES

from .labels import alloy_labels
from .training_set import PROPOSAL_SOURCE
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


def campaign_status(store: CampaignStore, recent: int = 5) -> CampaignStatus:
    with store.read() as session:
        labels = alloy_labels(session, store.campaign_id)
        single = sum(1 for s in labels.values() if s.label is True)
        multi = sum(1 for s in labels.values() if s.label is False)
        conflicts = sum(1 for s in labels.values() if s.conflict)
        proposed = sum(
            1 for s in labels.values()
            if s.n_measurements == 0 and s.alloy.source.startswith(PROPOSAL_SOURCE)
        )
        counts = q.candidate_status_counts(session, store.campaign_id)
        model = q.active_model(session, store.campaign_id)
        events = q.recent_events(session, store.campaign_id, recent)
        return CampaignStatus(
            store_url=store.url,
            campaign=store.campaign_name,
            alloys=len(labels),
            labelled=single + multi,
            single_phase=single,
            multi_phase=multi,
            unlabelled=len(labels) - single - multi - conflicts - proposed,
            proposed_only=proposed,
            conflicts=conflicts,
            outside_vocabulary=q.count_outside_vocabulary(session, store.campaign_id),
            measurements=sum(s.n_measurements for s in labels.values()),
            candidates={s: counts.get(s, 0) for s in CANDIDATE_STATUSES},
            active_model=None
            if model is None
            else {"id": model.id, "created_at": f"{model.created_at:%Y-%m-%d %H:%M} UTC", "metrics": model.metrics},
            recent=[
                f"{e.at:%Y-%m-%d %H:%M} {e.actor}: {e.action} {e.entity} {e.entity_id or ''}".rstrip() for e in events
            ],
        )
