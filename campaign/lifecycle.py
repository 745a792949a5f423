"""Candidate status: one explicit transition table, checked on every move.

A candidate goes through the lab loop in one direction::

    proposed --approve--> approved --export--> exported --measure--> measured
        |                  ^    |     ^           |  |  ^               |
        +----reject--> rejected-+     |           |  |  +----reopen-----+
                                      +---void----+  +--fail--> failed --approve--> approved
                                                     ^              |
                                                     +--withdraw-failure (a failure entered by mistake)

(approve <-> reject: a person may change their mind until the candidate is
exported.)  ``TRANSITIONS`` below is the whole truth; nothing else changes a
candidate's status.  Once a candidate has been exported it cannot be rejected
any more (its ingot may already be cast); voiding its export batch (the batch
was never cast: wrong mass, wrong furnace) returns it to approved.  A
synthesis that failed (cracked or oxidised ingot, incomplete melting) is an
outcome of its own, ``failed`` with a reason from ``FAILURE_REASONS``, not a
phase label: it teaches the model nothing about phases.  A failed candidate
may be approved again for another try.  A failure recorded by mistake (wrong
candidate, wrong key) is withdrawn with a reason (``withdraw_failure``):
failed -> exported, so the real result can be entered; the failure and its
withdrawal both stay in the audit log.  A measured candidate stays measured
(a wrong result is fixed by correcting the measurement, not the candidate),
with one exception no person triggers directly: a result entered for the
wrong candidate and moved to the right one (``result correct --candidate``),
or withdrawn (``result withdraw``: it should never have been entered), reopens
the candidate it leaves, measured -> exported, when no current lab result is for
it any more: its ingot still awaits its own result.

Every move is refused unless it is in the table, with a message that names the
candidate, its status and the moves it allows.  A batch (several ids) is all or
nothing: one illegal move refuses the whole batch and writes nothing.  Each
move writes one ``AuditEvent`` (who, when, from, to, reason) in the same
transaction as the status change.

``approve``, ``reject``, ``fail`` and ``withdraw_failure`` are the person's decisions;
``mark_exported``, ``mark_measured``, ``mark_reopened`` and ``mark_unexported`` are
called by the export, results and void services inside their own transactions, so the
status change and the file/measurement that caused it commit together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session

from hea_campaign.db import store as q
from hea_campaign.db.tables import FAILURE_REASONS, Candidate, utcnow

from .actors import plain_text
from .errors import CampaignError
from .store import CampaignStore, current_user

# status -> the statuses it may move to.  Keep in sync with the module docstring.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("approved", "rejected"),
    "approved": ("rejected", "exported"),
    "rejected": ("approved",),
    "exported": ("measured", "failed", "approved"),
    "measured": ("exported",),  # only when its result is moved to another candidate or withdrawn
    "failed": ("approved", "exported"),  # exported: a failure recorded by mistake, withdrawn
}

# The verb (and audit action) that reaches each status.
ACTION_FOR: dict[str, str] = {
    "approved": "approve",
    "rejected": "reject",
    "exported": "export",
    "measured": "measure",
    "failed": "fail",
}
# Moves whose verb is not the target's usual one: (from, to) -> verb.
ACTION_FOR_MOVE: dict[tuple[str, str], str] = {("exported", "approved"): "void", ("measured", "exported"): "reopen",
                                                ("failed", "exported"): "withdraw-failure"}
# Moves only a service makes, with what a person does instead (for messages).
BY_SERVICE_ONLY: dict[tuple[str, str], str] = {
    ("measured", "exported"): "a result entered for the wrong candidate is moved to the right one with "
                              "hea-campaign result correct MEASUREMENT --candidate ID, and one that should never "
                              "have been entered is withdrawn with hea-campaign result withdraw MEASUREMENT "
                              "--reason TEXT; either reopens it",
}

MAX_REASON_LENGTH = 1000


class TransitionError(CampaignError):
    """A candidate cannot make the requested move from its current status."""


def allowed_moves(status: str) -> str:
    """The moves a status allows, in words (for messages)."""
    targets = [t for t in TRANSITIONS.get(status, ()) if (status, t) not in BY_SERVICE_ONLY]
    if not targets:
        hints = "; ".join(h for (s, _), h in BY_SERVICE_ONLY.items() if s == status)
        return f"no further moves ({hints})" if hints else "no further moves (final)"
    return ", ".join(f"{_verb(status, t)} (-> {t})" for t in targets)


def _verb(source: str, target: str) -> str:
    return ACTION_FOR_MOVE.get((source, target), ACTION_FOR.get(target, target))


def parse_ids(text: str | Sequence[str] | Sequence[int]) -> list[int]:
    """Candidate ids from '1,2,3' or a list of strings/ints; refuses anything else."""
    parts: list[str] = []
    items = [text] if isinstance(text, str) else list(text)
    for item in items:
        parts += [p.strip() for p in str(item).split(",") if p.strip()]
    if not parts:
        raise CampaignError("no candidate ids given")
    ids: list[int] = []
    for p in parts:
        if not p.isdigit() or int(p) == 0:
            raise CampaignError(f"'{p}' is not a candidate id (ids are positive whole numbers)")
        ids.append(int(p))
    return ids


def _unique(ids: Iterable[int]) -> list[int]:
    seen: dict[int, None] = {}
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int):
            raise CampaignError(f"'{i}' is not a candidate id")
        seen.setdefault(i, None)
    return list(seen)


def clean_reason(reason: str | None, what: str = "the reason") -> str | None:
    """A reason or note typed by a person: stripped, None when blank; one too long, or with a control, escape
    or invisible character (it goes into export files and onto terminals), refused in one line."""
    if reason is None or not str(reason).strip():
        return None
    text = str(reason).strip()
    plural = what.endswith("notes")
    if len(text) > MAX_REASON_LENGTH:
        raise CampaignError(f"{what} {'are' if plural else 'is'} {len(text)} characters long; at most "
                            f"{MAX_REASON_LENGTH} are accepted")
    return plain_text(text, what, contains="contain" if plural else "contains")


def check_transition(candidate: Candidate, target: str, only_from: tuple[str, ...] | None = None) -> None:
    """Raise TransitionError unless ``candidate`` may move to ``target`` (from one of ``only_from``)."""
    if only_from is not None and candidate.status not in only_from and target in TRANSITIONS.get(candidate.status, ()):
        how = {"exported": "void its export batch (hea-campaign export void BATCH --reason ...)",
               "failed": "approve it again for another try (hea-campaign approve ID), then export it; a failure "
                         "recorded by mistake is withdrawn with hea-campaign result not-failed"}
        raise TransitionError(
            f"candidate {candidate.id} is {candidate.status}; cannot {ACTION_FOR.get(target, target)} it directly. "
            f"To move it to {target}: {how.get(candidate.status, allowed_moves(candidate.status))}"
        )
    if target not in TRANSITIONS.get(candidate.status, ()):
        verb = ACTION_FOR.get(target, target)

        already = " (it already is)" if candidate.status == target else ""
        raise TransitionError(
            f"candidate {candidate.id} is {candidate.status}{already}; cannot {verb} it. "
            f"Allowed from {candidate.status}: {allowed_moves(candidate.status)}"
        )


def load_candidates(session: Session, campaign_id: int, ids: Iterable[int]) -> list[Candidate]:
    """The candidates with these ids in this campaign, in the order given; refuses unknown ids."""
    wanted = _unique(ids)
    if not wanted:
        raise CampaignError("no candidates selected")
    found = q.candidates_by_id(session, campaign_id, wanted)
    missing = [i for i in wanted if i not in found]
    if missing:
        raise CampaignError(f"no candidate with id {', '.join(map(str, missing))} in this campaign")
    return [found[i] for i in wanted]


def transition(
    session: Session,
    campaign_id: int,
    ids: Iterable[int],
    target: str,
    *,
    by: str | None = None,
    reason: str | None = None,
    set_reason: bool = False,
    payload: dict | None = None,
    at: datetime | None = None,
    only_from: tuple[str, ...] | None = None,
) -> list[Candidate]:
    """Move every candidate in ``ids`` to ``target`` inside the caller's transaction.

    Every candidate is checked before any is changed, so one illegal move
    refuses the batch.  ``set_reason`` replaces ``status_reason`` (decisions);
    otherwise it is kept (export and measurement keep the decision's reason).
    """
    actor = by or current_user()
    reason = clean_reason(reason)
    candidates = load_candidates(session, campaign_id, ids)
    problems = []
    for c in candidates:
        try:
            check_transition(c, target, only_from)
        except TransitionError as exc:
            problems.append(str(exc))
    if problems:
        extra = f" ({len(problems) - 1} more refused)" if len(problems) > 1 else ""
        note = " Nothing was changed." if len(candidates) > 1 else ""
        raise TransitionError(problems[0] + extra + note)
    when = at or utcnow()
    for c in candidates:
        before = c.status
        c.status = target
        if set_reason:
            c.status_reason = reason
        c.updated_at = when
        session.add(c)
        event = q.audit(
            session,
            actor=actor,
            action=f"candidate.{_verb(before, target)}",
            entity="candidate",
            entity_id=c.id,
            campaign_id=campaign_id,
            payload={"from": before, "to": target, "reason": reason, **(payload or {})},
        )
        event.at = when
    session.flush()
    return candidates


def approve(store: CampaignStore, ids: Iterable[int], by: str | None = None, reason: str | None = None) -> list[Candidate]:
    """Approve candidates for synthesis (from proposed or rejected); all or nothing."""
    with store.write() as session:
        return transition(session, store.campaign_id, ids, "approved", by=by, reason=reason, set_reason=True,
                          only_from=("proposed", "rejected", "failed"))


def reject(store: CampaignStore, ids: Iterable[int], by: str | None = None, reason: str | None = None) -> list[Candidate]:
    """Reject candidates (from proposed or approved), optionally saying why; all or nothing."""
    with store.write() as session:
        return transition(session, store.campaign_id, ids, "rejected", by=by, reason=reason, set_reason=True)


def mark_exported(
    session: Session, campaign_id: int, ids: Iterable[int], *, by: str | None = None, batch_id: int | None = None
) -> list[Candidate]:
    """approved -> exported, inside the export's transaction."""
    return transition(session, campaign_id, ids, "exported", by=by, payload={"export_batch_id": batch_id},
                      only_from=("approved",))


def mark_reopened(
    session: Session, campaign_id: int, ids: Iterable[int], *, by: str | None = None, measurement_id: int,
    withdrawal_id: int | None = None, reason: str | None = None,
) -> list[Candidate]:
    """measured -> exported, inside the transaction that moves its result (``measurement_id``) elsewhere or,
    with ``withdrawal_id``, withdraws it (campaign.withdrawals)."""
    payload = ({"moved_measurement_id": measurement_id} if withdrawal_id is None
               else {"withdrawn_measurement_id": measurement_id, "withdrawal_id": withdrawal_id})
    return transition(session, campaign_id, ids, "exported", by=by, reason=reason, only_from=("measured",),
                      payload=payload)


def fail(
    store: CampaignStore, ids: Iterable[int], reason: str, *, notes: str | None = None, by: str | None = None
) -> list[Candidate]:
    """A synthesis failed: exported -> failed with a reason from FAILURE_REASONS (and notes); all or nothing."""
    if reason not in FAILURE_REASONS:
        raise CampaignError(f"unknown failure reason {reason!r}; one of {', '.join(FAILURE_REASONS)}")
    notes = clean_reason(notes, "the notes")
    text = reason if notes is None else f"{reason}: {notes}"
    with store.write() as session:
        return transition(session, store.campaign_id, ids, "failed", by=by, reason=text, set_reason=True,
                          payload={"failure": reason, "notes": notes})


def check_failure_withdrawal_reason(reason: str | None) -> str:
    """Why a failure is withdrawn, checked as any reason is (one line kept plain); a blank one is refused."""
    text = clean_reason(reason)
    if text is None:
        raise CampaignError("say why the failure is withdrawn (--reason TEXT, e.g. 'entered for the wrong candidate')")
    return text


def _failure_withdrawable(candidate: Candidate, events, failure_event_id: int | None) -> None:
    """Refuse (one line) unless ``candidate`` is failed and, with ``failure_event_id``, that failure is the one
    standing: not withdrawn already, and not an older failure of a candidate that failed again since."""
    if failure_event_id is not None:
        withdrawn = any(e.action == "candidate.withdraw-failure" and (e.payload or {}).get("failure_event_id")
                        == failure_event_id for e in events)
        if withdrawn:
            raise TransitionError(f"that failure of candidate {candidate.id} was withdrawn already "
                                  f"(now {candidate.status}); nothing was changed.")
    if candidate.status != "failed":
        raise TransitionError(f"candidate {candidate.id} is {candidate.status}, not failed: there is no failed "
                              f"synthesis to withdraw.")
    if failure_event_id is not None:
        last = [e.id for e in events if e.action == "candidate.fail"][-1:]
        if last != [failure_event_id]:
            raise TransitionError(f"candidate {candidate.id} failed again since that failure: only its latest "
                                  f"failure can be withdrawn; nothing was changed.")


def check_failure_withdrawable(store: CampaignStore, candidate_id: int, failure_event_id: int | None = None) -> None:
    """Refuse, as ``withdraw_failure`` would, a failure that cannot be withdrawn now (read only)."""
    with store.read() as session:
        (c,) = load_candidates(session, store.campaign_id, [candidate_id])
        _failure_withdrawable(c, q.audit_events_for(session, "candidate", [c.id]), failure_event_id)


def withdraw_failure(store: CampaignStore, ids: Iterable[int], reason: str | None, *, by: str | None = None,
                     failure_event_id: int | None = None) -> list[Candidate]:
    """A failure recorded by mistake: failed -> exported, saying why; all or nothing.

    The candidate awaits its real result again (its ingot exists).  The failure's event stays, and the
    withdrawal is an event of its own (who, when, why, which failure event it withdraws).  With
    ``failure_event_id`` (one candidate: the TUI's row), that very failure must be the one standing."""
    text = check_failure_withdrawal_reason(reason)
    with store.write() as session:
        candidates = load_candidates(session, store.campaign_id, ids)
        events = q.audit_events_for(session, "candidate", [c.id for c in candidates])
        if failure_event_id is not None:
            if len(candidates) != 1:
                raise CampaignError("a failure event names one candidate: withdraw one at a time")
            _failure_withdrawable(candidates[0], [e for e in events if e.entity_id == candidates[0].id],
                                  failure_event_id)
        wrong = [c for c in candidates if c.status != "failed"]
        if wrong:
            c = wrong[0]
            more = f" ({len(wrong) - 1} more not failed)" if len(wrong) > 1 else ""
            note = " Nothing was changed." if len(candidates) > 1 else ""
            raise TransitionError(f"candidate {c.id} is {c.status}, not failed: there is no failed synthesis to "
                                  f"withdraw{more}.{note}")
        failures = {e.entity_id: e for e in events if e.action == "candidate.fail"}  # the last one of each
        moved = []
        for c in candidates:  # one at a time: each event names the failure it withdraws
            failure = failures.get(c.id)
            what = (failure.payload or {}).get("failure") if failure else None
            moved += transition(session, store.campaign_id, [c.id], "exported", by=by, reason=text,
                                only_from=("failed",),
                                payload={"failure_event_id": failure.id if failure else None, "failure": what})
            c.status_reason = f"failure{f' ({what})' if what else ''} withdrawn: {text}"
            session.add(c)
        session.flush()
        return moved


def mark_unexported(
    session: Session, campaign_id: int, ids: Iterable[int], *, by: str | None = None, batch_id: int,
    reason: str | None = None,
) -> list[Candidate]:
    """exported -> approved, inside the transaction that voids their export batch."""
    return transition(session, campaign_id, ids, "approved", by=by, reason=reason, only_from=("exported",),
                      payload={"export_batch_id": batch_id})


def mark_measured(
    session: Session, campaign_id: int, candidate_id: int, *, by: str | None = None, measurement_id: int | None = None
) -> Candidate:
    """exported -> measured, inside the transaction that adds the measurement."""
    return transition(session, campaign_id, [candidate_id], "measured", by=by, payload={"measurement_id": measurement_id})[0]
