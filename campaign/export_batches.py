"""Export batches after the fact: settling interrupted exports, voiding a batch.

An export announces its file as a ``pending`` batch before the file can
appear (export.py).  A pending batch whose writer is gone is settled here, by
the next export or by ``reconcile_exports``:

* its file is in place with the announced sha256: the file is whole and the
  lab may weigh from it, so the batch completes (candidates ``exported``)
  if its candidates are all still approved; otherwise the batch is recorded
  and voided at once, and the report says the file must not be used;
* no file (killed before the rename): the batch is ``abandoned`` and any
  temporary file the write left beside the path is removed;
* another file at the path (not the announced bytes): ``abandoned``, and that
  file is left alone.

A writer is gone when it ran on this host and its process no longer exists,
or, for another host (a shared PostgreSQL store), when its batch has been
pending longer than ``STALE_AFTER``.  A live writer's candidates are not
offered to another export meanwhile.

Voiding a batch (the ingots were never cast: a wrong mass, a wrong furnace)
returns its exported candidates to approved, keeps the file, and marks the
batch void with who, when and why; a batch whose candidates already have
results (measured, failed) cannot be voided.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

from sqlmodel import Session, select

from hea_campaign.db import store as q
from hea_campaign.db.tables import ExportBatch, utcnow

from .errors import CampaignError
from .files import temp_name_pattern
from .lifecycle import clean_reason, load_candidates, mark_exported, mark_unexported
from .store import CampaignStore, current_user

STALE_AFTER = timedelta(minutes=10)


def process_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _writer_gone(batch: ExportBatch) -> bool:
    host, _, pid = (batch.owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return False  # this process: an export of ours is in flight (another thread)
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    created = batch.created_at if batch.created_at.tzinfo else batch.created_at.replace(tzinfo=UTC)
    return utcnow() - created > STALE_AFTER


def _pending(session: Session, campaign_id: int) -> list[ExportBatch]:
    return list(session.exec(select(ExportBatch).where(ExportBatch.campaign_id == campaign_id)
                             .where(ExportBatch.state == "pending").order_by(ExportBatch.id)))  # fmt: skip


def held_by_pending(session: Session, campaign_id: int) -> set[int]:
    """Candidates in a pending batch of a live writer (not to be offered to another export)."""
    return {cid for b in _pending(session, campaign_id) for cid in b.candidate_ids}


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _remove_temporaries(path: Path) -> int:
    removed = 0
    for tmp in path.parent.glob(temp_name_pattern(path)):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed += 1
    return removed


def _settle(session: Session, store: CampaignStore, batch: ExportBatch, actor: str) -> str:
    path = Path(batch.path)
    found = _sha256(path) if path.exists() else None
    common = {"path": batch.path, "candidate_ids": batch.candidate_ids, "owner": batch.owner}
    if found == batch.file_sha256:
        cands = load_candidates(session, store.campaign_id, batch.candidate_ids) if batch.candidate_ids else []
        changed = [c.id for c in cands if c.status != "approved"]
        batch.state = "complete"
        if not changed:
            mark_exported(session, store.campaign_id, batch.candidate_ids, by=actor, batch_id=batch.id)
            q.audit(session, actor=actor, action="export_batch.recover", entity="export_batch", entity_id=batch.id,
                    campaign_id=store.campaign_id, payload={**common, "sha256": found})  # fmt: skip
            return (f"batch {batch.id}: an interrupted export had written {path} in full; it is now recorded, "
                    f"candidates {', '.join(map(str, batch.candidate_ids))} exported")  # fmt: skip
        batch.voided_at, batch.voided_by = utcnow(), actor
        batch.void_reason = f"interrupted export; candidates {', '.join(map(str, changed))} changed before it was settled"
        q.audit(session, actor=actor, action="export_batch.void", entity="export_batch", entity_id=batch.id,
                campaign_id=store.campaign_id, payload={**common, "reason": batch.void_reason})  # fmt: skip
        return f"batch {batch.id}: {path} from an interrupted export is VOID (do not weigh from it): {batch.void_reason}"
    batch.state = "abandoned"
    removed = _remove_temporaries(path)
    q.audit(session, actor=actor, action="export_batch.abandon", entity="export_batch", entity_id=batch.id,
            campaign_id=store.campaign_id, payload={**common, "file": "other" if found else "absent",
                                                    "temporaries_removed": removed})  # fmt: skip
    if found:
        return f"batch {batch.id}: an interrupted export never wrote {path}; the file there now is another one, left alone"
    return f"batch {batch.id}: an interrupted export never wrote {path}; nothing was exported"


def reconcile_in(session: Session, store: CampaignStore, actor: str) -> list[str]:
    """Settle the pending batches of gone writers inside the caller's write transaction."""
    out = []
    for batch in _pending(session, store.campaign_id):
        if _writer_gone(batch):
            out.append(_settle(session, store, batch, actor))
            session.add(batch)
    session.flush()
    return out


def reconcile_exports(store: CampaignStore, by: str | None = None) -> list[str]:
    """Settle interrupted exports now; one line per batch settled."""
    with store.write() as session:
        return reconcile_in(session, store, by or current_user())


def pending_exports(store: CampaignStore) -> int:
    with store.read() as session:
        return len(_pending(session, store.campaign_id))


def forget_pending(store: CampaignStore, batch_id: int) -> None:
    """Drop the pending row of an export that failed in this process (best effort; reconciliation is the net)."""
    with contextlib.suppress(Exception), store.write() as session:
        batch = session.get(ExportBatch, batch_id)
        if batch is not None and batch.state == "pending":
            session.delete(batch)


def export_of(session: Session, campaign_id: int, candidate_id: int) -> ExportBatch | None:
    """The newest complete, not voided export batch a candidate went out in (its ingot mass), or None."""
    batches = session.exec(select(ExportBatch).where(ExportBatch.campaign_id == campaign_id)
                           .where(ExportBatch.state == "complete").where(ExportBatch.voided_at.is_(None))
                           .order_by(ExportBatch.id.desc())).all()  # fmt: skip
    return next((b for b in batches if candidate_id in (b.candidate_ids or [])), None)


def batch_of(store: CampaignStore, candidate_id: int) -> int:
    """The export batch (complete, not void) an exported candidate went out in."""
    with store.read() as session:
        batches = session.exec(select(ExportBatch).where(ExportBatch.campaign_id == store.campaign_id)
                               .where(ExportBatch.state == "complete").order_by(ExportBatch.id.desc())).all()  # fmt: skip
    for b in batches:
        if b.voided_at is None and candidate_id in (b.candidate_ids or []):
            return b.id
    raise CampaignError(f"candidate {candidate_id} is in no export batch that could be voided")


@dataclass
class VoidResult:
    batch_id: int
    path: Path
    candidate_ids: list[int]
    reason: str
    voided_by: str


def void_batch(store: CampaignStore, batch_id: int, reason: str, by: str | None = None) -> VoidResult:
    """Void an export batch: candidates back to approved, file kept, batch marked void; all or nothing."""
    actor = by or current_user()
    text = clean_reason(reason)
    if text is None:
        raise CampaignError("say why the batch is voided (--reason), e.g. 'wrong target mass'")
    with store.write() as session:
        reconcile_in(session, store, actor)
        batch = session.get(ExportBatch, batch_id)
        if batch is None or batch.campaign_id != store.campaign_id:
            raise CampaignError(f"no export batch {batch_id} in campaign '{store.campaign_name}'")
        if batch.voided_at is not None:
            raise CampaignError(f"batch {batch_id} was already voided by {batch.voided_by}: {batch.void_reason}")
        if batch.state != "complete":
            raise CampaignError(f"batch {batch_id} is {batch.state}: it was never exported, there is nothing to void")
        cands = load_candidates(session, store.campaign_id, batch.candidate_ids)
        done = [f"{c.id} ({c.status})" for c in cands if c.status != "exported"]
        if done:
            raise CampaignError(f"batch {batch_id} cannot be voided: candidate(s) {', '.join(done)} already have an "
                                "outcome (a lab result, or a failed synthesis: the ingot was made); correct a "
                                "wrong result with `result correct` (in the TUI: results browser, key b, then c). "
                                "Nothing was changed.")  # fmt: skip
        mark_unexported(session, store.campaign_id, batch.candidate_ids, by=actor, batch_id=batch.id, reason=text)
        batch.voided_at, batch.voided_by, batch.void_reason = utcnow(), actor, text
        session.add(batch)
        q.audit(session, actor=actor, action="export_batch.void", entity="export_batch", entity_id=batch.id,
                campaign_id=store.campaign_id,
                payload={"path": batch.path, "candidate_ids": batch.candidate_ids, "reason": text})  # fmt: skip
        return VoidResult(batch.id, Path(batch.path), list(batch.candidate_ids), text, actor)
