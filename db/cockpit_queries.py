"""Read-only queries for the TUI cockpit: the change marker, recent events, result listings.

Kept apart from db/store.py so the cockpit's reads do not crowd the queries the
campaign writes with.  Functions take an open Session and never write.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlalchemy.orm import aliased
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


def _measurements(query, campaign_id: int, *, formula=None, candidate_id=None, operator=None, since=None,
                  until=None, only_id=None):
    """``query`` (over Measurement) narrowed to a campaign's measurements matching the browser's filter."""
    query = query.join(Alloy, Alloy.id == Measurement.alloy_id).where(Alloy.campaign_id == campaign_id)
    day = func.coalesce(Measurement.measured_on, func.date(Measurement.entered_at))
    return _where_given(query, ((only_id, lambda v: Measurement.id == v), (formula, lambda v: Alloy.formula == v),
                                (candidate_id, lambda v: Measurement.candidate_id == v),
                                (operator, lambda v: col(Measurement.operator).in_(v)),
                                (since, lambda v: day >= v), (until, lambda v: day <= v)))


def _names(session: Session, campaign_id: int, filters: dict) -> dict:
    """``filters`` with the operator typed replaced by every stored name it names, ignoring case.

    Matched here, not with SQL's lower(): SQLite's changes only A-Z, so "Zoë Ødegård" typed exactly
    as stored matched nothing.  The names are few (the lab's people), read from the campaign's
    measurements and failed-synthesis events."""
    typed = filters.get("operator")
    if typed is None:
        return filters
    operators = (select(Measurement.operator).join(Alloy, Alloy.id == Measurement.alloy_id)
                 .where(Alloy.campaign_id == campaign_id).distinct())
    actors = (select(AuditEvent.actor).where(AuditEvent.campaign_id == campaign_id,
                                             AuditEvent.action == "candidate.fail").distinct())
    stored = set(session.exec(operators)) | set(session.exec(actors))
    wanted = typed.casefold()
    return {**filters, "operator": sorted(n for n in stored if n is not None and n.casefold() == wanted)}


def _where_given(query, conditions):
    """``query`` with the condition of every (value, condition) pair whose value was given."""
    for wanted, condition in conditions:
        if wanted is not None:
            query = query.where(condition(wanted))
    return query


def measurements_listing(session: Session, campaign_id: int, *, limit: int = 5000,
                         **filters) -> list[tuple[Measurement, str]]:
    """Measurements (superseded ones included) with their alloy's formula, newest first.

    ``filters``: formula, candidate_id, operator, since, until (dates), only_id."""
    query = _measurements(select(Measurement, Alloy.formula), campaign_id, **_names(session, campaign_id, filters))
    query = query.order_by(col(Measurement.id).desc()).limit(limit)
    return [(m, f) for m, f in session.exec(query)]


def measurement_counts(session: Session, campaign_id: int, **filters) -> tuple[int, int, int]:
    """(results, corrected ones, withdrawn ones) matching the filter of ``measurements_listing``, without its
    limit; a withdrawal row is no result of its own (it is counted as the withdrawn result it supersedes)."""
    matching = _measurements(select(Measurement.id), campaign_id, **_names(session, campaign_id, filters))
    results = matching.where(Measurement.withdrawn.is_(False))
    later = aliased(Measurement)  # a correction or a withdrawal supersedes the measurement it replaces
    superseded = results.join(later, later.supersedes_id == Measurement.id)
    corrected = superseded.where(later.withdrawn.is_(False)).distinct()
    withdrawn = superseded.where(later.withdrawn.is_(True)).distinct()
    return _count(session, results), _count(session, corrected), _count(session, withdrawn)


def _failures(query, campaign_id: int, *, formula=None, candidate_id=None, operator=None, since=None, until=None):
    """``query`` (over AuditEvent) narrowed to a campaign's recorded failed syntheses matching the filter."""
    query = (query.join(Candidate, Candidate.id == AuditEvent.entity_id).join(Alloy, Alloy.id == Candidate.alloy_id)
             .where(AuditEvent.campaign_id == campaign_id, AuditEvent.entity == "candidate",
                    AuditEvent.action == "candidate.fail", Candidate.campaign_id == campaign_id))
    day = func.date(AuditEvent.at)
    return _where_given(query, ((formula, lambda v: Alloy.formula == v), (candidate_id, lambda v: Candidate.id == v),
                                (operator, lambda v: col(AuditEvent.actor).in_(v)),
                                (since, lambda v: day >= v), (until, lambda v: day <= v)))


def failed_syntheses_listing(session: Session, campaign_id: int, *, limit: int = 5000,
                             **filters) -> list[tuple[AuditEvent, Candidate, str]]:
    """Every recorded failed synthesis (a candidate.fail event) with its candidate and formula, newest first."""
    filters = _names(session, campaign_id, filters)
    query = _failures(select(AuditEvent, Candidate, Alloy.formula), campaign_id, **filters)
    query = query.order_by(col(AuditEvent.id).desc()).limit(limit)
    return [(e, c, f) for e, c, f in session.exec(query)]


def failed_syntheses_count(session: Session, campaign_id: int, **filters) -> int:
    """How many failed syntheses match the filter of ``failed_syntheses_listing``, without its limit."""
    return _count(session, _failures(select(AuditEvent.id), campaign_id, **_names(session, campaign_id, filters)))


def _count(session: Session, query) -> int:
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def supersede_links_of_alloys(session: Session, alloy_ids: list[int]) -> list[tuple[int, int | None]]:
    """(measurement id, id it supersedes or None) for every measurement of these alloys, and for the
    rest of every correction chain through them (a result moved to another alloy continues there)."""
    links = dict(_links_where(session, Measurement.alloy_id, alloy_ids))
    frontier = sorted(links)
    while frontier:  # a few rounds at most: only moved results cross alloys
        back = sorted({links[i] for i in frontier if links[i] is not None and links[i] not in links})
        found = _links_where(session, Measurement.supersedes_id, frontier) + _links_where(session, Measurement.id, back)
        new = {k: v for k, v in found if k not in links}
        links.update(new)
        frontier = sorted(new)
    return list(links.items())


def formulas_of_measurements(session: Session, ids: list[int]) -> dict[int, str]:
    """The formula of each measurement's alloy, by measurement id (in chunks: any number of ids)."""
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        query = (select(Measurement.id, Alloy.formula).join(Alloy, Alloy.id == Measurement.alloy_id)
                 .where(col(Measurement.id).in_(ids[start : start + 500])))
        out.update((m, f) for m, f in session.exec(query))
    return out


def _links_where(session: Session, column, values: list[int]) -> list[tuple[int, int | None]]:
    out: list[tuple[int, int | None]] = []
    for i in range(0, len(values), 500):
        out.extend(session.exec(select(Measurement.id, Measurement.supersedes_id)
                                .where(col(column).in_(values[i : i + 500]))))
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
