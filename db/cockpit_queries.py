"""Read-only queries for the TUI cockpit: the change marker, recent events, result listings.

Kept apart from db/store.py so the cockpit's reads do not crowd the queries the
campaign writes with.  Functions take an open Session and never write.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from .tables import Alloy, AuditEvent, Candidate, Measurement


def event_marker(session: Session, campaign_id: int) -> tuple[int, int]:
    """(number of audit events, newest event id) of a campaign: changes whenever anything is written.

    The count is part of the marker because on PostgreSQL a transaction that
    took a lower id may commit after one with a higher id: the newest id then
    stays the same but the count grows.
    """
    n, newest = session.exec(
        select(func.count(), func.max(AuditEvent.id)).where(AuditEvent.campaign_id == campaign_id)
    ).one()
    return int(n or 0), int(newest or 0)


def events_after(session: Session, campaign_id: int, after_id: int, limit: int) -> list[AuditEvent]:
    """Audit events of a campaign newer than ``after_id``, oldest first, at most ``limit``."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.campaign_id == campaign_id)
            .where(AuditEvent.id > after_id)
            .order_by(AuditEvent.id)
            .limit(limit)
        )
    )


def measurements_listing(
    session: Session,
    campaign_id: int,
    *,
    formula: str | None = None,
    candidate_id: int | None = None,
    operator: str | None = None,
    since: date | None = None,
    until: date | None = None,
    only_id: int | None = None,
    limit: int = 5000,
) -> list[tuple[Measurement, str]]:
    """Measurements (superseded ones included) with their alloy's formula, newest first."""
    query = (
        select(Measurement, Alloy.formula)
        .join(Alloy, Alloy.id == Measurement.alloy_id)
        .where(Alloy.campaign_id == campaign_id)
    )
    if only_id is not None:
        query = query.where(Measurement.id == only_id)
    if formula is not None:
        query = query.where(Alloy.formula == formula)
    if candidate_id is not None:
        query = query.where(Measurement.candidate_id == candidate_id)
    if operator is not None:
        query = query.where(func.lower(Measurement.operator) == operator.lower())
    if since is not None:
        query = query.where(func.coalesce(Measurement.measured_on, func.date(Measurement.entered_at)) >= since)
    if until is not None:
        query = query.where(func.coalesce(Measurement.measured_on, func.date(Measurement.entered_at)) <= until)
    query = query.order_by(col(Measurement.id).desc()).limit(limit)
    return [(m, f) for m, f in session.exec(query)]


def failed_syntheses_listing(
    session: Session,
    campaign_id: int,
    *,
    formula: str | None = None,
    candidate_id: int | None = None,
    operator: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 5000,
) -> list[tuple[AuditEvent, Candidate, str]]:
    """Every recorded failed synthesis (a candidate.fail event) with its candidate and formula, newest first."""
    query = (
        select(AuditEvent, Candidate, Alloy.formula)
        .join(Candidate, Candidate.id == AuditEvent.entity_id)
        .join(Alloy, Alloy.id == Candidate.alloy_id)
        .where(AuditEvent.campaign_id == campaign_id, AuditEvent.entity == "candidate",
               AuditEvent.action == "candidate.fail", Candidate.campaign_id == campaign_id)
    )
    if formula is not None:
        query = query.where(Alloy.formula == formula)
    if candidate_id is not None:
        query = query.where(Candidate.id == candidate_id)
    if operator is not None:
        query = query.where(func.lower(AuditEvent.actor) == operator.lower())
    if since is not None:
        query = query.where(func.date(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(func.date(AuditEvent.at) <= until)
    query = query.order_by(col(AuditEvent.id).desc()).limit(limit)
    return [(e, c, f) for e, c, f in session.exec(query)]


def supersede_links_of_alloys(session: Session, alloy_ids: list[int]) -> list[tuple[int, int | None]]:
    """(measurement id, id it supersedes or None) for every measurement of these alloys."""
    out: list[tuple[int, int | None]] = []
    for i in range(0, len(alloy_ids), 500):
        chunk = alloy_ids[i : i + 500]
        out.extend(session.exec(select(Measurement.id, Measurement.supersedes_id)
                                .where(col(Measurement.alloy_id).in_(chunk))))
    return out


def candidates_with_formulas_by_id(session: Session, campaign_id: int, ids: list[int]) -> list[tuple[Candidate, str]]:
    out: list[tuple[Candidate, str]] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        out.extend(
            session.exec(
                select(Candidate, Alloy.formula)
                .join(Alloy, Alloy.id == Candidate.alloy_id)
                .where(Candidate.campaign_id == campaign_id)
                .where(col(Candidate.id).in_(chunk))
            )
        )
    return sorted(out, key=lambda cf: cf[0].id)


def newest_batch_id(session: Session, campaign_id: int) -> int:
    """The id of the campaign's newest export batch (0 when none)."""
    from .tables import ExportBatch

    newest = session.exec(select(func.max(ExportBatch.id)).where(ExportBatch.campaign_id == campaign_id)).one()
    return int(newest or 0)
