"""What changed in a store since a screen last looked: the cockpit's cheap change counter.

Every write in campaign/ adds audit events in the same transaction, so the
number of a campaign's audit events and the newest one's id change whenever
anyone (this TUI, a CLI in another terminal, a retrain on a server) writes.
``change_marker`` reads just those two numbers; when they move,
``changes_since`` reads the new events and says which parts of the store they
touch, so a screen redraws only what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hea_campaign.db import cockpit_queries as cq

from .store import CampaignStore

MAX_EVENTS = 2000  # more new events than this at once: reload everything rather than read them all


@dataclass(frozen=True)
class ChangeMarker:
    events: int  # number of audit events of the campaign
    newest: int  # id of the newest one


@dataclass
class StoreChanges:
    """What the events between two markers touch."""

    before: ChangeMarker
    after: ChangeMarker
    everything: bool = False  # could not tell exactly (many events, or a late commit): reload all
    actions: set[str] = field(default_factory=set)  # e.g. candidate.approve, measurement.add, model.activate
    candidate_ids: set[int] = field(default_factory=set)
    measurement_ids: set[int] = field(default_factory=set)
    actors: set[str] = field(default_factory=set)

    def touches(self, *prefixes: str) -> bool:
        """Whether any new event's action starts with one of ``prefixes`` (always true for ``everything``)."""
        return self.everything or any(a.startswith(prefixes) for a in self.actions)

    @property
    def candidates(self) -> bool:
        # a design space or price list changed: which candidates lie outside it (marked in the table) may too
        return self.everything or bool(self.candidate_ids) or self.touches("proposal.", "export_batch.",
                                                                          "design_space.", "prices.")

    @property
    def measurements(self) -> bool:
        return self.touches("measurement.", "results.", "dataset.", "alloy.")

    @property
    def models(self) -> bool:
        return self.touches("model.")


def change_marker(store: CampaignStore) -> ChangeMarker:
    with store.read() as session:
        return ChangeMarker(*cq.event_marker(session, store.campaign_id))


def changes_since(store: CampaignStore, before: ChangeMarker) -> StoreChanges | None:
    """None if nothing changed since ``before``; else what the new events touch."""
    with store.read() as session:
        after = ChangeMarker(*cq.event_marker(session, store.campaign_id))
        if after == before:
            return None
        changes = StoreChanges(before=before, after=after)
        expected = after.events - before.events
        if expected <= 0 or expected > MAX_EVENTS or after.newest < before.newest:
            changes.everything = True
            return changes
        events = cq.events_after(session, store.campaign_id, before.newest, MAX_EVENTS + 1)
    if len(events) != expected:  # an event committed late with an older id: cannot tell which
        changes.everything = True
        return changes
    for e in events:
        changes.actions.add(e.action)
        changes.actors.add(e.actor)
        if e.entity == "candidate" and e.entity_id is not None:
            changes.candidate_ids.add(e.entity_id)
        elif e.entity == "measurement" and e.entity_id is not None:
            changes.measurement_ids.add(e.entity_id)
            cid = (e.payload or {}).get("candidate_id")
            if cid is not None:
                changes.candidate_ids.add(int(cid))
        elif e.entity == "export_batch":
            changes.candidate_ids.update(int(i) for i in (e.payload or {}).get("candidate_ids", []))
    return changes


def candidates_by_ids(store: CampaignStore, ids) -> list:
    """These candidates of the campaign as read models (CandidateView), by id; ids that do not exist are left out."""
    from .read_models import CandidateView

    with store.read() as session:
        rows = cq.candidates_with_formulas_by_id(session, store.campaign_id, sorted(set(ids)))
        return [CandidateView.from_row(c, f) for c, f in rows]
