"""Lab results as a list: every measurement with its correction chain, filtered.

Failed syntheses are listed beside them (``list_failures``): a candidate whose
ingot could not be made has no measurement, but it is an outcome of the lab
that a person looks for in the same place, with the reason given.

A correction never changes a measurement; it adds one that supersedes it.  So
a result has a chain: the first measurement, then each correction, the last
one being the result that counts.  A result that should never have been
entered is withdrawn (campaign.withdrawals): its chain ends with the withdrawal,
a row of its own that carries the reason, and nothing in that chain counts.  The
browser lists measurements (corrected and withdrawn ones included, marked) and
can say the whole chain of any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from hea_campaign.db import cockpit_queries as cq
from hea_campaign.db import store as q

from .chemistry import parse_formula
from .errors import CampaignError
from .results import MAX_ID
from .store import CampaignStore


LISTED = 5000  # the browser lists the newest this many results (and failed syntheses); ``count_results`` counts all


@dataclass
class ResultRow:
    id: int
    formula: str  # canonical
    single_phase: bool | None
    phases: str | None
    method: str | None
    operator: str | None
    measured_on: date | None
    entered_at: datetime
    candidate_id: int | None
    source: str
    notes: str | None
    supersedes_id: int | None
    superseded_by: int | None = None
    chain: list[int] = field(default_factory=list)  # oldest first; the last one is the result that counts
    moved_to: str | None = None  # the alloy its correction went to, when that is another alloy (a move)
    made_composition: dict | None = None  # element -> atomic fraction made (from the masses weighed)
    weighed_g: dict | None = None  # element -> grams weighed, as typed
    withdrawal: bool = False  # this row withdraws the result it supersedes (notes: the reason; operator: who)
    withdrawn: bool = False  # a withdrawal supersedes this result: it should never have been entered
    conflicting: bool = False  # its alloy's current results disagree: training leaves the alloy out

    @property
    def current(self) -> bool:
        """The result counts: nothing supersedes it and it is no withdrawal."""
        return self.superseded_by is None and not self.withdrawal

    @property
    def day(self) -> date:
        return self.measured_on or self.entered_at.date()


@dataclass
class FailedSynthesis:
    """One recorded failed synthesis: who recorded it, when, and why."""

    event_id: int
    candidate_id: int
    formula: str  # canonical
    reason: str
    operator: str
    at: datetime
    candidate_status: str  # now: "failed", or "approved" again for another try
    withdrawn: str | None = None  # recorded by mistake: who withdrew it, when and why (result not-failed)

    @property
    def day(self) -> date:
        return self.at.date()


@dataclass
class ResultFilter:
    formula: str | None = None
    candidate_id: int | None = None
    operator: str | None = None
    since: date | None = None
    until: date | None = None


def build_filter(formula: str = "", candidate: str = "", operator: str = "", since: str = "", until: str = "") -> ResultFilter:
    """The browser's filter from what was typed (blank: no filter); bad values are refused with a message."""
    f = ResultFilter()
    if formula.strip():
        f.formula = parse_formula(formula.strip()).formula
    if candidate.strip():
        text = candidate.strip()
        if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
            raise CampaignError(f"{text!r} is not a candidate id")
        f.candidate_id = int(text)
    if operator.strip():
        f.operator = operator.strip()
    for name in ("since", "until"):
        text = locals()[name].strip()
        if text:
            try:
                setattr(f, name, date.fromisoformat(text))
            except ValueError:
                raise CampaignError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None
    return f


def _row(m, formula: str) -> ResultRow:
    return ResultRow(id=m.id, formula=formula, single_phase=m.single_phase, phases=m.phases, method=m.method,
                     operator=m.operator, measured_on=m.measured_on, entered_at=m.entered_at,
                     candidate_id=m.candidate_id, source=m.source, notes=m.notes, supersedes_id=m.supersedes_id,
                     made_composition=m.made_composition, weighed_g=m.weighed_g, withdrawal=bool(m.withdrawn))


def list_results(store: CampaignStore, flt: ResultFilter | None = None, limit: int = LISTED) -> list[ResultRow]:
    """Measurements matching the filter, newest first, each with its correction chain."""
    flt = flt or ResultFilter()
    with store.read() as session:
        found = cq.measurements_listing(session, store.campaign_id, limit=limit, **_filters(flt))
        # a correction is of the same alloy: the links among those alloys' measurements hold every chain
        links = cq.supersede_links_of_alloys(session, sorted({m.alloy_id for m, _ in found}))
        back = dict(links)  # id -> the id it supersedes (or None)
        forward = {old: new for new, old in links if old is not None}
        later = cq.formulas_of_measurements(session, sorted({forward[m.id] for m, _ in found if m.id in forward}))
        withdrawn = set(q.withdrawals_of(session, [m.id for m, _ in found if m.id in forward]))
        conflicting = set(q.conflicting_alloys(session, store.campaign_id))  # usually few, read by index
    rows = [_row(m, f) for m, f in found]
    for r, (m, _) in zip(rows, found, strict=True):
        r.conflicting = m.alloy_id in conflicting
        r.superseded_by = forward.get(r.id)
        r.withdrawn = r.id in withdrawn
        if r.superseded_by is not None and later.get(r.superseded_by, r.formula) != r.formula:
            r.moved_to = later[r.superseded_by]
        first = r.id
        while back.get(first) is not None:
            first = back[first]
        chain = [first]
        while chain[-1] in forward:
            chain.append(forward[chain[-1]])
        r.chain = chain
    return rows


def result_chain(store: CampaignStore, measurement_id: int) -> list[ResultRow]:
    """Every measurement in the correction chain of ``measurement_id``, oldest first."""
    with store.read() as session:
        found = cq.measurements_listing(session, store.campaign_id, limit=1, only_id=measurement_id)
    if not found:
        raise CampaignError(f"no measurement with id {measurement_id} in this campaign")
    row = list_results(store, ResultFilter(formula=found[0][1]), limit=100_000)
    by_id = {r.id: r for r in row}
    chain = by_id[measurement_id].chain
    with store.read() as session:  # a result moved to another alloy: the rest of its chain is there
        for i in (i for i in chain if i not in by_id):
            by_id.update((m.id, _row(m, f)) for m, f in cq.measurements_listing(session, store.campaign_id,
                                                                                limit=1, only_id=i))
        for r in by_id.values():  # a step of another alloy's listing knows nothing of what superseded it
            if r.id in chain and r.superseded_by is None and chain.index(r.id) + 1 < len(chain):
                r.superseded_by = chain[chain.index(r.id) + 1]
                r.withdrawn = by_id.get(r.superseded_by) is not None and by_id[r.superseded_by].withdrawal
    return [by_id[i] for i in chain if i in by_id]


def list_failures(store: CampaignStore, flt: ResultFilter | None = None, limit: int = LISTED) -> list[FailedSynthesis]:
    """Failed syntheses matching the same filter as the results (alloy, candidate, operator, dates), newest first.

    Every recorded failure is listed, also of a candidate approved again since
    (its ``candidate_status`` says so): the history stays.
    """
    flt = flt or ResultFilter()
    with store.read() as session:
        found = cq.failed_syntheses_listing(session, store.campaign_id, limit=limit, **_filters(flt))
        withdrawals = {(w.payload or {}).get("failure_event_id"): w
                       for w in q.audit_events_for(session, "candidate", {c.id for _, c, _ in found})
                       if w.action == "candidate.withdraw-failure"}
    return [FailedSynthesis(event_id=e.id, candidate_id=c.id, formula=f,
                            reason=(e.payload or {}).get("reason") or "", operator=e.actor, at=e.at,
                            candidate_status=c.status, withdrawn=_withdrawal(withdrawals.get(e.id)))
            for e, c, f in found]


def _withdrawal(event) -> str | None:
    """A failure's withdrawal in words (who, when, why), or None when it stands."""
    if event is None:
        return None
    return f"by {event.actor} {event.at:%Y-%m-%d %H:%M}: {(event.payload or {}).get('reason') or '-'}"


@dataclass(frozen=True)
class ResultCounts:
    """How many rows match a filter, counted by the database: the lists stop at ``LISTED``, these never do."""

    results: int  # measurements, corrected and withdrawn ones included, withdrawal rows not
    corrected: int  # of those, the ones a correction supersedes
    failures: int  # recorded failed syntheses
    withdrawn: int = 0  # of the results, the ones a withdrawal supersedes


def count_results(store: CampaignStore, flt: ResultFilter | None = None) -> ResultCounts:
    """The measurements and failed syntheses ``list_results`` and ``list_failures`` would list without a limit,
    counted by the database (the same filter, the same rows)."""
    filters = _filters(flt or ResultFilter())
    with store.read() as session:
        results, corrected, withdrawn = cq.measurement_counts(session, store.campaign_id, **filters)
        failures = cq.failed_syntheses_count(session, store.campaign_id, **filters)
    return ResultCounts(results=results, corrected=corrected, failures=failures, withdrawn=withdrawn)


def _filters(flt: ResultFilter) -> dict:
    """The filter as the listing queries take it."""
    return dict(formula=flt.formula, candidate_id=flt.candidate_id, operator=flt.operator, since=flt.since,
                until=flt.until)
