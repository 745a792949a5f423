"""Queries and writes the campaign layer needs, kept here so SQL stays in db/.

Functions take an open Session (one per unit of work, see engine.py) and
never commit: the caller's unit of work commits the change and its audit
event together, or neither.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import islice
from typing import Any

from sqlalchemy import Integer, String, Text, case, cast, false, func, null
from sqlmodel import Session, col, select

from .tables import Alloy, AuditEvent, Campaign, Candidate, ExportBatch, Measurement, ModelVersion, ModelVersionAlloy
from .status_reads import label_counts


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None = None,
    campaign_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction."""
    event = AuditEvent(
        campaign_id=campaign_id,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        payload=payload or {},
    )
    session.add(event)
    return event


def find_campaign(session: Session, name: str) -> Campaign | None:
    return session.exec(select(Campaign).where(Campaign.name == name)).first()


def create_campaign(session: Session, name: str, actor: str, settings: dict | None = None) -> Campaign:
    campaign = Campaign(name=name, settings=settings or {})
    session.add(campaign)
    session.flush()
    audit(session, actor=actor, action="campaign.create", entity="campaign", entity_id=campaign.id,
          campaign_id=campaign.id, payload={"name": name})
    return campaign


def alloys_by_formula(session: Session, campaign_id: int, formulas: Iterable[str] | None = None) -> dict[str, Alloy]:
    """Alloys of a campaign keyed by canonical formula (all, or just ``formulas``)."""
    query = select(Alloy).where(Alloy.campaign_id == campaign_id)
    if formulas is not None:
        wanted = list(set(formulas))
        out: dict[str, Alloy] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            for a in session.exec(query.where(col(Alloy.formula).in_(chunk))):
                out[a.formula] = a
        return out
    return {a.formula: a for a in session.exec(query)}


def existing_source_keys(session: Session, keys: Iterable[str]) -> set[str]:
    wanted = list(set(keys))
    found: set[str] = set()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        found.update(session.exec(select(Measurement.source_key).where(col(Measurement.source_key).in_(chunk))))
    return found


def current_measurements(session: Session, campaign_id: int) -> list[tuple[Measurement, Alloy]]:
    """Measurements no other measurement supersedes, with their alloys (a withdrawal is no result: left out)."""
    superseded = select(Measurement.supersedes_id).where(col(Measurement.supersedes_id).is_not(None))
    rows = session.exec(
        select(Measurement, Alloy)
        .join(Alloy, Alloy.id == Measurement.alloy_id)
        .where(Alloy.campaign_id == campaign_id)
        .where(col(Measurement.id).not_in(superseded))
        .where(col(Measurement.withdrawn).is_(false()))
        .order_by(Measurement.id)
    )
    return list(rows)


def alloy_rows(session: Session, campaign_id: int) -> list[tuple[int, str, dict, str]]:
    """(id, formula, composition, source) of every alloy of a campaign, in id order: plain
    tuples from SQLAlchemy Core, no row objects (a training snapshot reads 10^5 of them)."""
    a = Alloy.__table__
    rows = session.connection().execute(
        select(a.c.id, a.c.formula, a.c.composition, a.c.source).where(a.c.campaign_id == campaign_id).order_by(a.c.id)
    )
    return [tuple(r) for r in rows]


def current_measurement_rows(session: Session, campaign_id: int) -> list[tuple[int, bool | None, dict | None]]:
    """(alloy id, single_phase, made_composition) of the measurements no other supersedes, in
    measurement id order (as ``current_measurements``, withdrawals left out), as plain tuples without row objects."""
    m, a = Measurement.__table__, Alloy.__table__
    superseded = select(m.c.supersedes_id).where(m.c.supersedes_id.is_not(None))
    rows = session.connection().execute(
        select(m.c.alloy_id, m.c.single_phase, m.c.made_composition)
        .join(a, a.c.id == m.c.alloy_id)
        .where(a.c.campaign_id == campaign_id)
        .where(m.c.id.not_in(superseded))
        .where(m.c.withdrawn.is_(false()))
        .order_by(m.c.id)
    )
    return [tuple(r) for r in rows]


def count_alloys(session: Session, campaign_id: int) -> int:
    return session.exec(select(func.count()).select_from(Alloy).where(Alloy.campaign_id == campaign_id)).one()


def count_outside_vocabulary(session: Session, campaign_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Alloy)
        .where(Alloy.campaign_id == campaign_id)
        .where(Alloy.outside_vocabulary > "")  # a range of ix_alloy_campaign_outside ('' sorts first)
    ).one()


def candidate_status_counts(session: Session, campaign_id: int) -> Counter:
    rows = session.exec(
        select(Candidate.status, func.count()).where(Candidate.campaign_id == campaign_id).group_by(Candidate.status)
    )
    return Counter(dict(rows.all()))


def export_batch_counts(session: Session, campaign_id: int) -> Counter:
    """Export batches by state, with voided ones counted under "void" (and under their state)."""
    rows = session.exec(
        select(ExportBatch.state, func.count()).where(ExportBatch.campaign_id == campaign_id).group_by(ExportBatch.state)
    )
    out = Counter(dict(rows.all()))
    out["void"] = session.exec(select(func.count()).select_from(ExportBatch)
                               .where(ExportBatch.campaign_id == campaign_id)
                               .where(col(ExportBatch.voided_at).is_not(None))).one()  # fmt: skip
    return out


def written_batches(session: Session, campaign_id: int) -> list[ExportBatch]:
    """The campaign's export batches whose file was written (voided ones included), oldest first."""
    return list(session.exec(select(ExportBatch).where(ExportBatch.campaign_id == campaign_id)
                             .where(ExportBatch.state == "complete").order_by(ExportBatch.id)))  # fmt: skip


def active_model(session: Session, campaign_id: int) -> ModelVersion | None:
    return session.exec(
        select(ModelVersion).where(ModelVersion.campaign_id == campaign_id).where(ModelVersion.active == True)  # noqa: E712
    ).first()


def action_payloads(session: Session, campaign_id: int, action: str) -> list[dict]:
    """Payloads of a campaign's audit events of one action, oldest first (imports: one per file written)."""
    query = select(AuditEvent.payload).where(AuditEvent.campaign_id == campaign_id, AuditEvent.action == action)
    return list(session.exec(query.order_by(col(AuditEvent.id))))


def recent_events(session: Session, campaign_id: int, limit: int = 10) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.campaign_id == campaign_id).order_by(col(AuditEvent.id).desc()).limit(limit)
        )
    )


def count_audit_events(session: Session, campaign_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent)
    if campaign_id is not None:
        query = query.where(AuditEvent.campaign_id == campaign_id)
    return session.exec(query).one()


# --- lab loop: candidates, measurements, history -----------------------------


def candidates_by_id(session: Session, campaign_id: int, ids: Iterable[int]) -> dict[int, Candidate]:
    """Candidates of a campaign keyed by id (ids from other campaigns are simply absent)."""
    wanted = sorted(set(ids))
    out: dict[int, Candidate] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        rows = session.exec(
            select(Candidate).where(Candidate.campaign_id == campaign_id).where(col(Candidate.id).in_(chunk))
        )
        out.update({c.id: c for c in rows})
    return out


def candidates_with_status(session: Session, campaign_id: int, status: str) -> list[Candidate]:
    return list(
        session.exec(
            select(Candidate)
            .where(Candidate.campaign_id == campaign_id)
            .where(Candidate.status == status)
            .order_by(Candidate.id)
        )
    )


def candidates_of_alloy(session: Session, campaign_id: int, alloy_id: int) -> list[Candidate]:
    return list(
        session.exec(
            select(Candidate)
            .where(Candidate.campaign_id == campaign_id)
            .where(Candidate.alloy_id == alloy_id)
            .order_by(Candidate.id)
        )
    )


def alloys_by_id(session: Session, campaign_id: int, ids: Iterable[int]) -> dict[int, Alloy]:
    wanted = sorted(set(ids))
    out: dict[int, Alloy] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        rows = session.exec(select(Alloy).where(Alloy.campaign_id == campaign_id).where(col(Alloy.id).in_(chunk)))
        out.update({a.id: a for a in rows})
    return out


def measurement_with_alloy(session: Session, campaign_id: int, measurement_id: int) -> tuple[Measurement, Alloy] | None:
    """A measurement of this campaign and its alloy, or None."""
    return session.exec(
        select(Measurement, Alloy)
        .join(Alloy, Alloy.id == Measurement.alloy_id)
        .where(Alloy.campaign_id == campaign_id)
        .where(Measurement.id == measurement_id)
    ).first()


def superseding_measurement(session: Session, measurement_id: int) -> Measurement | None:
    """The measurement that corrects ``measurement_id``, if any."""
    return session.exec(select(Measurement).where(Measurement.supersedes_id == measurement_id)).first()


def superseded_by(session: Session, measurement_ids: Iterable[int]) -> dict[int, int]:
    """old id -> the id of the measurement that corrects it, for those of ``measurement_ids`` corrected.

    A correction may belong to another alloy (a result moved to the alloy it was really for), so
    which of an alloy's measurements are current is asked of every measurement, not of its own."""
    wanted = sorted(set(measurement_ids))
    out: dict[int, int] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        out.update((old, new) for new, old in session.exec(
            select(Measurement.id, Measurement.supersedes_id).where(col(Measurement.supersedes_id).in_(chunk))))
    return out


def withdrawals_of(session: Session, measurement_ids: Iterable[int]) -> dict[int, Measurement]:
    """withdrawn id -> the withdrawal (a measurement row with ``withdrawn``, migration 0007) that supersedes it,
    for those of ``measurement_ids`` withdrawn."""
    wanted = sorted(set(measurement_ids))
    out: dict[int, Measurement] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        out.update((w.supersedes_id, w) for w in session.exec(
            select(Measurement).where(col(Measurement.supersedes_id).in_(chunk))
            .where(col(Measurement.withdrawn).is_(True))))
    return out


def formulas_of_measurements(session: Session, measurement_ids: Iterable[int]) -> dict[int, str]:
    """measurement id -> the formula of its alloy."""
    wanted = sorted(set(measurement_ids))
    out: dict[int, str] = {}
    for i in range(0, len(wanted), 500):
        out.update(session.exec(select(Measurement.id, Alloy.formula).join(Alloy, Alloy.id == Measurement.alloy_id)
                                .where(col(Measurement.id).in_(wanted[i : i + 500]))).all())
    return out


def measurements_of_alloy(session: Session, alloy_id: int) -> list[Measurement]:
    """Every measurement of an alloy, superseded ones included, oldest first."""
    return list(
        session.exec(
            select(Measurement).where(Measurement.alloy_id == alloy_id).order_by(Measurement.entered_at, Measurement.id)
        )
    )


def audit_events_for(session: Session, entity: str, entity_ids: Iterable[int]) -> list[AuditEvent]:
    """Audit events about some entities (e.g. candidates), oldest first."""
    wanted = sorted(set(entity_ids))
    out: list[AuditEvent] = []
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        out.extend(
            session.exec(
                select(AuditEvent).where(AuditEvent.entity == entity).where(col(AuditEvent.entity_id).in_(chunk))
            )
        )
    return sorted(out, key=lambda e: (e.at, e.id))


def model_versions(session: Session, campaign_id: int) -> list[ModelVersion]:
    return list(
        session.exec(select(ModelVersion).where(ModelVersion.campaign_id == campaign_id).order_by(ModelVersion.id))
    )


def record_model_roles(session: Session, version_id: int, roles: dict[str, Iterable[int]]) -> None:
    """One row per alloy the version used (role -> alloy ids), in bulk chunks: at 10^6 alloys, objects would
    cost seconds and one list of every row hundreds of MB."""
    rows = ({"model_version_id": version_id, "alloy_id": int(a), "role": role}
            for role, ids in roles.items() for a in ids)
    while chunk := list(islice(rows, 20_000)):
        session.execute(ModelVersionAlloy.__table__.insert(), chunk)


def model_role(session: Session, version_id: int, alloy_id: int) -> str | None:
    """What ``version_id`` did with ``alloy_id`` (a role of ``db.states.MODEL_ROLES``), None when it did not use it."""
    return session.exec(select(ModelVersionAlloy.role).where(ModelVersionAlloy.model_version_id == version_id,
                                                             ModelVersionAlloy.alloy_id == alloy_id)).first()


def model_role_counts(session: Session, version_id: int) -> dict[str, int]:
    """role -> number of alloys ``version_id`` used so (empty for versions trained before 0008)."""
    rows = session.exec(select(ModelVersionAlloy.role, func.count()).where(ModelVersionAlloy.model_version_id == version_id)
                        .group_by(ModelVersionAlloy.role)).all()
    return {role: int(n) for role, n in rows}


def newest_measurement_id(session: Session) -> int | None:
    """The largest measurement id (ids only grow): what a training set read now includes."""
    return session.exec(select(func.max(Measurement.id))).one()


def results_since(session: Session, campaign_id: int, version_id: int) -> int:
    """Measurement rows (results, corrections, withdrawals) the version's training set did not include: after its
    ``last_measurement_id``, or, for versions before 0008, entered after it was saved.  ``+ 0`` keeps SQLite
    from driving the join by the campaign's alloys (every measurement read): the id or time range leads."""
    version = session.get(ModelVersion, version_id)
    after = (Measurement.id > version.last_measurement_id if version.last_measurement_id is not None
             else Measurement.entered_at > version.created_at)
    return session.exec(select(func.count()).select_from(Measurement).join(Alloy, Alloy.id == Measurement.alloy_id)
                        .where(after, Alloy.campaign_id + 0 == campaign_id)).one()


def model_roles_recorded(session: Session, version_id: int) -> bool:
    """Whether the store holds what ``version_id`` did with each alloy (not for versions trained before 0008)."""
    return session.exec(select(ModelVersionAlloy.alloy_id)
                        .where(ModelVersionAlloy.model_version_id == version_id).limit(1)).first() is not None


def candidates_with_formulas(session: Session, campaign_id: int, status: str | None = None) -> list[tuple[Candidate, str]]:
    query = (
        select(Candidate, Alloy.formula)
        .join(Alloy, Alloy.id == Candidate.alloy_id)
        .where(Candidate.campaign_id == campaign_id)
        .order_by(Candidate.id)
    )
    if status:
        query = query.where(Candidate.status == status)
    return [(c, f) for c, f in session.exec(query)]


def _current_label_counts():
    """Per alloy: current (not superseded) measurements, the lowest and highest label, how many carry one."""
    superseded = select(Measurement.supersedes_id).where(col(Measurement.supersedes_id).is_not(None))
    return (
        select(
            Measurement.alloy_id.label("alloy_id"),
            func.count().label("n"),
            func.min(cast(Measurement.single_phase, Integer)).label("lo"),
            func.max(cast(Measurement.single_phase, Integer)).label("hi"),
            func.count(Measurement.single_phase).label("n_labelled"),
        )
        .where(col(Measurement.id).not_in(superseded))
        .where(col(Measurement.withdrawn).is_(false()))
        .group_by(Measurement.alloy_id)
        .subquery()
    )


def label_summary(session: Session, campaign_id: int) -> list[tuple[int, str, int, int | None, int | None, int]]:
    """Per alloy: (id, source, current measurements, min and max current single_phase, n labelled).

    One aggregate query, so counting labels stays fast with many thousands of
    alloys (the dashboard runs it on the UI thread).
    """
    current = _current_label_counts()
    rows = session.exec(
        select(Alloy.id, Alloy.source, current.c.n, current.c.lo, current.c.hi, current.c.n_labelled)
        .outerjoin(current, current.c.alloy_id == Alloy.id)
        .where(Alloy.campaign_id == campaign_id)
    )
    return [(i, s, n or 0, lo, hi, nl or 0) for i, s, n, lo, hi, nl in rows]


def status_summary(session: Session, campaign_id: int, proposal_source: str) -> dict[str, int]:
    """Counts of alloys by label state and of current measurements, read from the alloy rows' own state.

    Each alloy's ``label_state`` and ``n_current`` are kept by the database
    (migration 0004's trigger on every measurement insert), so this reads the
    ``ix_alloy_campaign_label`` index instead of every measurement: the same
    rules as ``label_summary`` row by row (labelled when the current
    measurements agree, a conflict when they do not, proposal-only when an
    alloy from ``proposal_source...`` has no current measurement).
    """
    rows = session.exec(
        select(Alloy.label_state, func.count(), func.coalesce(func.sum(Alloy.n_current), 0))
        .where(Alloy.campaign_id == campaign_id)
        .group_by(Alloy.label_state)
    ).all()
    proposed_only = session.exec(
        select(func.count()).select_from(Alloy)
        .where(Alloy.campaign_id == campaign_id, Alloy.label_state == "none")
        .where(func.substr(Alloy.source, 1, len(proposal_source)) == proposal_source)
    ).one()
    return label_counts({state: (n, m) for state, n, m in rows}, proposed_only)


NO_FLAG = "-"  # the flag filter for candidates without any flag


def _candidate_query(campaign_id: int, status: str | None, flag: str | None, columns=None):
    """Candidates with their formulas; with ``columns`` (of candidate only), just those, without the join."""
    if columns is None:
        query = select(Candidate, Alloy.formula).join(Alloy, Alloy.id == Candidate.alloy_id)
    else:
        query = select(*columns)
    query = query.where(Candidate.campaign_id == campaign_id)
    if status:
        query = query.where(Candidate.status == status)
    if flag == NO_FLAG:
        # exact: every stored flag is an object with a "flag" key, an empty list has none
        query = query.where(~cast(Candidate.flags, String).like('%"flag"%'))
    elif flag:
        # a superset in SQL (the flag's name in quotes somewhere in the JSON text); callers keep
        # only rows whose flags really name it.  The name is a bound parameter with LIKE's
        # wildcards escaped, never SQL.
        escaped = flag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(cast(Candidate.flags, String).like(f'%"{escaped}"%', escape="\\"))
    return query


def candidates_page(
    session: Session, campaign_id: int, status: str | None = None, flag: str | None = None,
    limit: int | None = None, offset: int = 0,
) -> list[tuple[Candidate, str]]:
    """Candidates with their formulas in id order, one page (``limit`` rows from ``offset``)."""
    query = _candidate_query(campaign_id, status, flag).order_by(Candidate.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [(c, f) for c, f in session.exec(query)]


# the keys a candidate list may be sorted by (a fixed set: never a user's text in SQL), and
# whether an empty value is NULL only or also '' (empty values sort last either way)
CANDIDATE_SORT_KEYS = {
    "id": (Candidate.id, False),
    "p": (Candidate.p_single, False),
    "change": (Candidate.change_at_pct, False),
    "status": (Candidate.status, False),
    "formula": (Alloy.formula, False),
    "model": (Candidate.model_version_id, False),
    "reason": (Candidate.status_reason, True),
    "flags": (cast(Candidate.flags, String), False),  # by the stored text: first flag's name, none first
    # raw-material cost and density as computed when proposed (in the uncertainty JSON; none: last)
    "cost": (Candidate.uncertainty["cost_usd_per_kg"].as_float(), False),
    "density": (Candidate.uncertainty["density_g_cm3"].as_float(), False),
}


def candidates_sorted_page(
    session: Session, campaign_id: int, status: str | None = None, flag: str | None = None,
    sort: str = "id", descending: bool = False, limit: int | None = None, offset: int = 0, listed: bool = False,
    total: int | None = None,
) -> list[tuple[Candidate, str]]:
    """One page of candidates with their formulas, sorted in the database by one of
    ``CANDIDATE_SORT_KEYS``: empty values last, ties in id order.  With ``listed`` (and a
    ``limit``), plain rows of ``LISTED_COLUMNS``, whose ``uncertainty``, ``latent_z`` and
    ``path`` are None, instead of Candidate objects.  Given the ``total`` the filter matches, a
    page nearer the end is read from the end (the order reversed, then the page): the database
    keeps the rows up to the offset while it sorts, so the last page of a sort by p of 10^5
    candidates took 0.25 s and the first 0.05 s."""
    if sort not in CANDIDATE_SORT_KEYS:
        raise ValueError(f"cannot sort candidates by {sort!r}; one of {', '.join(CANDIDATE_SORT_KEYS)}")
    if limit is None:
        order = _candidate_order(sort, descending, reverse=False)
        return [(c, f) for c, f in session.exec(_candidate_query(campaign_id, status, flag).order_by(*order).offset(offset))]
    n, from_end = limit, total is not None and offset > max(0, total - offset - limit)
    if from_end:
        n = max(0, min(limit, total - offset))
        offset = total - offset - n
    # the ids first (the sort holds a key and an id per row, not whole rows: a page deep in a
    # sort by p of 10^5 candidates took 3 s the other way), then those rows
    ids_query = _candidate_query(campaign_id, status, flag, columns=(Candidate.id,))
    if sort == "formula":
        ids_query = ids_query.join(Alloy, Alloy.id == Candidate.alloy_id)
    order = _candidate_order(sort, descending, reverse=from_end)
    ids = list(session.exec(ids_query.order_by(*order).offset(offset).limit(n)))
    if from_end:
        ids.reverse()
    if not ids:
        return []
    if not listed:
        rows = session.exec(select(Candidate, Alloy.formula).join(Alloy, Alloy.id == Candidate.alloy_id)
                            .where(col(Candidate.id).in_(ids)))
        by_id = {c.id: (c, f) for c, f in rows}
    else:
        rows = session.connection().execute(
            select(*LISTED_COLUMNS, *(null().label(name) for name in UNLISTED), Alloy.formula)
            .join(Alloy, Alloy.id == Candidate.alloy_id).where(col(Candidate.id).in_(ids)))
        by_id = {r.id: (r, r.formula) for r in rows}
    return [by_id[i] for i in ids]


def _candidate_order(sort: str, descending: bool, reverse: bool) -> list:
    """ORDER BY terms for ``sort``: empty values last, ties in id order; ``reverse`` gives
    exactly the opposite order (every term flipped: the id makes the order total)."""
    column, blank_text = CANDIDATE_SORT_KEYS[sort]

    def direction(term, down: bool):
        return term.desc() if down != reverse else term.asc()

    order = []
    if sort != "id" and (blank_text or _nullable(column)):
        empty = column.is_(None) | (column == "") if blank_text else column.is_(None)
        value = case((empty, None), else_=column) if blank_text else column  # '' and NULL: one tie, in id order
        order += [direction(case((empty, 1), else_=0), False), direction(value, descending)]
    elif sort != "id":  # never empty: the plain column, so an index on it (p: migration 0005) gives the order
        order.append(direction(column, descending))
    order.append(direction(Candidate.id, sort == "id" and descending))
    return order


def _nullable(column) -> bool:
    """Whether a sort key may be NULL (an expression is taken to be)."""
    return getattr(getattr(column, "expression", None), "nullable", True)


# what a list of candidates shows: read as plain rows (attributes named as Candidate's), without the
# latent position, the inversion path and the uncertainty (JSON that took most of the time of a page)
LISTED_COLUMNS = (Candidate.id, Candidate.alloy_id, Candidate.campaign_id, Candidate.proposal_run_id,
                  Candidate.model_version_id, Candidate.origin, Candidate.p_single, Candidate.flags,
                  Candidate.change_at_pct, Candidate.steps, Candidate.status, Candidate.status_reason,
                  # the two numbers a list shows from the uncertainty JSON, read by the database, not the JSON
                  Candidate.uncertainty["cost_usd_per_kg"].as_float().label("cost_usd_per_kg"),
                  Candidate.uncertainty["density_g_cm3"].as_float().label("density_g_cm3"))
UNLISTED = ("uncertainty", "latent_z", "path")


def candidate_ids(
    session: Session, campaign_id: int, status: str | None = None, among: Iterable[int] | None = None,
) -> list[int]:
    """Ids of the campaign's candidates (with this status, among these ids), in id order; no row objects."""
    query = select(Candidate.id).where(Candidate.campaign_id == campaign_id)
    if status:
        query = query.where(Candidate.status == status)
    if among is not None:
        query = query.where(col(Candidate.id).in_(sorted(set(among))))
    return list(session.exec(query.order_by(Candidate.id)))


def count_candidates(session: Session, campaign_id: int, status: str | None = None, flag: str | None = None) -> int:
    sub = _candidate_query(campaign_id, status, flag, columns=(Candidate.id,)).subquery()
    return session.exec(select(func.count()).select_from(sub)).one()


def conflicting_alloys(session: Session, campaign_id: int) -> dict[int, str]:
    """alloy id -> formula of the alloys whose current measurements disagree (usually few).

    Read from the ``label_state`` the database keeps on each alloy (0004) through
    ``ix_alloy_campaign_label``: the conflicts alone are read, not every measurement
    (a group-by over all of them took 13 s at 10^6 alloys, after every import)."""
    a = Alloy.__table__
    rows = session.connection().execute(
        select(a.c.id, a.c.formula).where(a.c.campaign_id == campaign_id, a.c.label_state == "conflict")
    )
    return dict(rows.all())


LABELLED_STATES = ("single", "multi", "conflict")


def labelled_compositions(session: Session, campaign_id: int) -> list[tuple[str, dict, bool, bool]]:
    """(formula, composition, single phase, conflicting) of every alloy with a current label,
    in alloy id order: only the columns needed, no row objects.

    The label is the alloy's ``label_state`` (kept by the database since 0004), so no
    measurement is read; the compositions come as text and are parsed in one ``json.loads``
    (one call per row was two thirds of the time: 26 s at 10^6 alloys, now about 9 s)."""
    import json

    a = Alloy.__table__
    rows = session.connection().execute(
        select(a.c.formula, cast(a.c.composition, Text), a.c.label_state)
        .where(a.c.campaign_id == campaign_id, a.c.label_state.in_(LABELLED_STATES))
        .order_by(a.c.id)
    ).all()
    compositions = json.loads("[" + ",".join(text for _, text, _ in rows) + "]")
    return [(formula, comp, state == "single", state == "conflict")
            for (formula, _, state), comp in zip(rows, compositions, strict=True)]
