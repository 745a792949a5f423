"""Is a row of a results file a result the store already holds?

A lab imports the same facts more than once: the diffractometer's CSV after the
result was typed in, a file fixed after ``result correct``, a weigh sheet whose
masses were filled in after its labels.  Storing such a row again would give one
ingot two current results.  ``match_stored`` compares a row with the current lab
results of the same candidate (for a row typed by formula: of the exported
candidate it will be the result of, or else of the whole alloy) that carry the
same label and no other measurement date:

- ``same``: the row says nothing the stored result does not: it is not stored;
- ``masses``: it only adds the weighed masses: stored as a correction that keeps
  everything else of the stored result;
- ``differs``: it gives other phases, method, operator or notes, or details the
  stored result lacks (a fixed file, or another ingot): refused unless the
  person says it is another ingot.  Against a correction only phases and
  method count: a correction sets its own operator and notes;
- ``other``: other masses, left to ``campaign.results.contradiction``, which
  asks about masses for the same candidate.

A row measured on another day is a new measurement.  A row whose stored twin
was already matched by an earlier row of the same file, or was stored from this
very file, is not matched here: ``campaign.results`` refuses it when it says
exactly what an earlier row of the file says (a row pasted twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from hea_campaign.db import store as q
from hea_campaign.db.tables import Measurement

from .importing import DATASET_SOURCE
from .weigh_sheet import same_weighed

TEXT_FIELDS = ("phases", "method", "operator", "notes")


@dataclass
class StoredMatch:
    kind: str  # "same", "masses" or "differs"
    measurement: Measurement
    fields: list[str]  # for "differs": the fields both give, differently
    adds: list[str] = field(default_factory=list)  # for "differs": the fields the stored result lacks


def squeezed(text: str | None) -> str:
    """Text without case or spacing: 'FCC + BCC' and 'fcc+bcc' say the same."""
    return "".join((text or "").split()).casefold()


def match_stored(session: Session, campaign_id: int, alloy_id: int | None, r, used: set[int],
                 file_keys: frozenset[str] = frozenset()) -> StoredMatch | None:
    """The stored lab result ``r`` (a campaign.results.ResultInput) repeats, if any (see the module
    docstring); ``used``: measurements already matched by earlier rows of the file, and ``file_keys``:
    the row keys of this file (a result stored from this very file is another row's, not this one's)."""
    if alloy_id is None or r.single_phase is None:
        return None
    found = [_classify(m, r) for m in _current_twins(session, campaign_id, alloy_id, r)
             if m.id not in used and m.source_key not in file_keys]
    for kind in ("same", "masses", "differs"):
        first = next((f for f in found if f.kind == kind), None)
        if first is not None:
            return first
    return None


def other_day_twins(session: Session, campaign_id: int, alloy_id: int | None, r) -> list[Measurement]:
    """Current lab results that ``r`` would repeat but for the day: the row's label, of the row's candidate
    (as ``match_stored`` reads it), measured on another day than the row says.  Such a row is stored as a new
    measurement (another ingot); the import report names it, in case only the date was fixed in the file."""
    if alloy_id is None or r.single_phase is None or r.measured_on is None:
        return []
    return [m for m in _labelled_results(session, campaign_id, alloy_id, r)
            if m.measured_on is not None and m.measured_on != r.measured_on]


def _current_twins(session: Session, campaign_id: int, alloy_id: int, r) -> list[Measurement]:
    """Current lab results with the row's label, on no other day, of the row's candidate; for a row typed
    by formula, of the exported candidate it will be the result of, or else of the alloy."""
    return [m for m in _labelled_results(session, campaign_id, alloy_id, r)
            if m.measured_on is None or r.measured_on is None or m.measured_on == r.measured_on]


def _labelled_results(session: Session, campaign_id: int, alloy_id: int, r) -> list[Measurement]:
    """Current lab results with the row's label, of the row's candidate (see ``_current_twins``), any day."""
    ms = q.measurements_of_alloy(session, alloy_id)
    superseded = q.superseded_by(session, [m.id for m in ms])
    whose = _whose(session, campaign_id, alloy_id, r)
    return [m for m in ms if m.id not in superseded and not m.withdrawn and not m.source.startswith(DATASET_SOURCE)
            and (whose is _ANY or m.candidate_id == whose) and m.single_phase == r.single_phase]


_ANY = object()


def _whose(session: Session, campaign_id: int, alloy_id: int, r):
    """The candidate whose results the row is compared with, or _ANY (a formula row for no exported candidate)."""
    if r.candidate_id is not None:
        return r.candidate_id
    exported = [c.id for c in q.candidates_of_alloy(session, campaign_id, alloy_id)
                if c.status == "exported"]
    return exported[0] if exported else _ANY


def _classify(m: Measurement, r) -> StoredMatch:
    if weighed_differ(r, m):
        return StoredMatch("other", m, ["masses"])  # another ingot or a mistyped mass: results.contradiction asks
    # a correction sets its own operator and notes: a fixed file's row is compared on what it corrected
    fields = TEXT_FIELDS if m.supersedes_id is None else ("phases", "method")
    differs = [f for f in fields
               if getattr(r, f) and getattr(m, f) and squeezed(getattr(r, f)) != squeezed(getattr(m, f))]
    adds = [f for f in fields if getattr(r, f) and not getattr(m, f) and f != "operator"]
    if r.measured_on is not None and m.measured_on is None:
        adds.append("measured_on")
    if differs or adds:
        return StoredMatch("differs", m, differs, adds)
    if r.made_composition and not m.made_composition:
        return StoredMatch("masses", m, [])
    return StoredMatch("same", m, [])


def masses_differ(a: dict, b: dict, tol: float = 1e-6) -> bool:
    return any(abs(float(a.get(e, 0)) - float(b.get(e, 0))) > tol for e in set(a) | set(b))


def weighed_differ(r, m) -> bool:
    """Whether two results (a ResultInput or a Measurement each) that both record what was weighed record
    other masses: the masses themselves where both keep them (``weighed_g``, since migration 0006), else the
    compositions made from them (a result stored before kept only that)."""
    if not (r.made_composition and m.made_composition):
        return False
    if getattr(r, "weighed_g", None) and getattr(m, "weighed_g", None):
        return not same_weighed(r.weighed_g, m.weighed_g)
    return masses_differ(r.made_composition, m.made_composition)
