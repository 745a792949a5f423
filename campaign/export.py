"""Synthesis batches: approved candidates -> a CSV or JSON file the lab weighs from.

Why it is built this way:

* **Masses are exact.**  For a target ingot mass M, each element's mass is
  M x its weight fraction, rounded to 0.1 mg.  Rounding each element on its
  own can make the total miss M by a few 0.1 mg, so the rounding is done in
  integer units of 0.1 mg with the largest-remainder method: every element
  gets the floor of its exact share, and the units still missing go to the
  elements with the largest remainders (ties: alphabetical).  The masses of
  every row therefore add up to exactly M.  M itself must be a whole number
  of 0.1 mg, and every element must get at least 0.1 mg, or the export is
  refused.  at.% and wt.% are exact values rounded to 4 decimals for reading
  (each on its own; they may sum to 100 +/- a few 0.0001).  Atomic masses
  come from pymatgen (``Element(x).atomic_mass``, IUPAC standard values).
* **Spreadsheet-safe.**  A CSV is opened in a spreadsheet, where a cell that
  starts with ``= + - @``, a tab or a carriage return can run as a formula.
  Text cells (formula, flags, flag reasons, the approval note) that start so
  get a leading single quote; numeric cells are written as plain numbers and
  are never touched.  The JSON file is for programs and keeps text exactly.
* **Whole or absent, even after a kill.**  The file is written atomically
  (see files.py) in two steps the store can follow.  First a ``pending``
  ``ExportBatch`` row announces the file (path, sha256 of the bytes to come,
  candidate ids, the writing process) and commits.  Then, holding the write
  lock, the file is put in place and the batch becomes ``complete`` with the
  candidates ``exported`` and the audit events, in one transaction.  If the
  process is killed anywhere in between, the next export (or
  ``reconcile_exports``) finds the pending batch of a dead writer and settles
  it: the file is there with the announced sha256 -> the batch completes (or
  is voided if its candidates changed meanwhile); no file -> the batch is
  ``abandoned`` and leftover temporary files are removed.  A candidate is
  therefore never in two batches, and every complete batch has its file.  An
  ordinary failure (disk full, a refused move) removes the new file and the
  pending row at once.  An existing file is never overwritten.
* **A sane mass.**  A target mass above ``SANE_MASS`` for its unit (a kilogram
  ingot; ``1e9`` g was once typed into the TUI) or below ``SMALL_MASS`` (100
  mg: ``--mass 20 --unit mg`` meant as 20 g) is refused unless confirmed
  (``--yes``).

CSV layout (one row per candidate, UTF-8, header row first)::

    candidate_id, formula, n_elements, p_single, flags, flag_reasons,
    approval_note, model_version_id, proposal_run_id, target_mass, mass_unit,
    p_second_opinion, conformal_set, nearest_measured, cost_usd_per_kg,
    cost_usd_per_ingot, density_g_cm3_estimate, price_source,
    at_pct_<El>..., wt_pct_<El>..., <grams|milligrams>_<El>...

``nearest_measured`` lists the three nearest measured alloys when the
candidate was proposed as ``formula (label, distance at.%)`` joined with
`` | ``; cost is raw material at the campaign's current prices (pymatgen's
2013 table unless a lab price list was imported), per kg and for one ingot
of the target mass (USD to the cent; a cost below a cent to two significant
digits, so that a small ingot does not read as free); density is a
rule-of-mixtures estimate.

with ``<El>`` running over the union of the batch's elements in alphabetical
order, and a blank cell where a candidate does not contain that element.
``flags`` joins flag names with ``;``; ``flag_reasons`` joins
``flag: reason`` with `` | ``.  Mass columns are ``grams_<El>`` (4 decimals)
for ``unit="g"`` and ``milligrams_<El>`` (1 decimal) for ``unit="mg"``.

JSON layout: ``{"kind": "hea-campaign synthesis batch", "campaign", "created_at",
"created_by", "target_mass", "mass_unit", "rounding", "candidates": [{
candidate_id, formula, n_elements, p_single, flags: [{flag, reason}],
approval_note, model_version_id, proposal_run_id, elements: [{element,
at_pct, wt_pct, mass}]}]}`` with masses in ``mass_unit``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

from hea_campaign.db import store as q
from hea_campaign.db.tables import CANDIDATE_STATUSES, Alloy, Campaign, Candidate, ExportBatch, utcnow

from .chemistry import parse_formula
from .errors import CampaignError
from .files import atomic_write_bytes
from .importing import DATASET_SOURCE
from .export_batches import forget_pending, held_by_pending, process_owner, reconcile_in
from .lifecycle import TransitionError, check_transition, load_candidates, mark_exported
from .store import CampaignStore, current_user

# Units of 0.1 mg per unit of mass the user may give.
UNITS_PER: dict[str, int] = {"g": 10_000, "mg": 10}
MASS_DECIMALS: dict[str, int] = {"g": 4, "mg": 1}
MASS_COLUMN: dict[str, str] = {"g": "grams", "mg": "milligrams"}
FORMATS = ("csv", "json", "sheet")
SANE_MASS: dict[str, int] = {"g": 1000, "mg": 1_000_000}  # one ingot of a kilogram, in the unit given
SMALL_MASS: dict[str, float] = {"g": 0.1, "mg": 100}  # below 100 mg: grams typed with --unit mg, or a slip
ROUNDING = "0.1 mg, largest remainder (masses sum exactly to the target)"
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ExportResult:
    batch_id: int
    path: Path
    format: str
    mass: float
    unit: str
    sha256: str
    candidate_ids: list[int]
    elements: list[str]
    rows: list[dict] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)  # what reconciling interrupted exports did first
    loss: dict[str, float] = field(default_factory=dict)  # weigh sheet loss allowances (element -> fraction)
    outside_space: dict[int, tuple[str, ...]] = field(default_factory=dict)  # candidate id -> why it lies outside
    # the campaign's current design space (exported all the same: a warning, the scientist may mean it)

    @property
    def batch_cost(self) -> tuple[float | None, int]:
        """(raw-material cost in USD of one ingot of every candidate priced, candidates with no price)."""
        return batch_cost(self.rows)


EXACT_INGOT_COST = "_cost_usd_per_ingot"  # a row's unrounded ingot cost: summed, then rounded; never written out


def batch_cost(rows: list[dict]) -> tuple[float | None, int]:
    """(summed ingot cost of the rows that have one, rounded once, or None when none has; rows without a price).

    The unrounded costs are summed: a sum of costs rounded to the cent drifts by up to half a cent a row."""
    priced = [r.get(EXACT_INGOT_COST, r["cost_usd_per_ingot"]) for r in rows if r.get("cost_usd_per_ingot") is not None]
    return (round_usd(math.fsum(priced)) if priced else None), len(rows) - len(priced)


def round_usd(value: float) -> float:
    """To the cent, and below a cent to two significant digits: the raw materials of a 100 mg ingot of cheap
    elements cost a tenth of a cent, which rounded to the cent would read as free."""
    if value == 0 or abs(value) >= 0.01:
        return round(value, 2)
    return float(f"{value:.2g}")


class MassNeedsConfirmation(CampaignError):
    """A target mass above the sane limit for its unit; pass confirm=True (--yes) if it is meant."""


class AlreadyMeasured(CampaignError):
    """Candidates whose alloy has a current lab result already (entered by formula since it was proposed):
    making it again costs a furnace day for a known answer; pass allow_measured=True (--yes) for a replicate."""


def measured_already(session, store: CampaignStore, candidates) -> list[str]:
    """'candidate 9 (CoCrFeNi): measurement 1385 says multi phase' for each candidate whose alloy has a current
    lab result."""
    said = []
    for c in candidates:
        ms = q.measurements_of_alloy(session, c.alloy_id)
        superseded = q.superseded_by(session, [m.id for m in ms])
        current = [m for m in ms if m.id not in superseded and not m.withdrawn and m.single_phase is not None
                   and not m.source.startswith(DATASET_SOURCE)]  # the lab's, not a dataset's
        if current:
            m = current[-1]
            formula = q.alloys_by_id(session, store.campaign_id, [c.alloy_id])[c.alloy_id].formula
            said.append(f"candidate {c.id} ({formula}): measurement {m.id} says "
                        f"{'single' if m.single_phase else 'multi'} phase")
    return said


def check_not_measured(store: CampaignStore, ids) -> None:
    """Refuse (AlreadyMeasured) candidates whose alloy was measured since they were proposed."""
    with store.read() as session:
        found = q.candidates_by_id(session, store.campaign_id, list(ids))
        said = measured_already(session, store, [found[i] for i in sorted(found)])
    if said:
        raise _already_measured(said)


def _already_measured(said: list[str]) -> AlreadyMeasured:
    return AlreadyMeasured(f"already measured: {'; '.join(said)}. Reject them, or export anyway for a replicate (--yes)")


@dataclass(frozen=True)
class ElementLine:
    element: str
    at_pct: float
    wt_pct: float
    mass_units: int  # in 0.1 mg
    exact_units: float  # the unrounded share, in 0.1 mg


@cache
def atomic_mass(element: str) -> float:
    """Standard atomic mass in g/mol (pymatgen)."""
    from pymatgen.core import Element

    return float(Element(element).atomic_mass)


def neutralise(text: str) -> str:
    """Prefix a quote to text a spreadsheet would read as a formula."""
    stripped = text.lstrip(" ")
    if stripped[:1] in _DANGEROUS_START or text[:1] in _DANGEROUS_START:
        return "'" + text
    return text


def mass_in_units(mass: float, unit: str) -> int:
    """The target mass as a whole number of 0.1 mg, or a CampaignError."""
    if unit not in UNITS_PER:
        raise CampaignError(f"unknown mass unit '{unit}'; use g or mg")
    try:
        value = float(mass)
    except (TypeError, ValueError):
        raise CampaignError(f"the target mass '{mass}' is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise CampaignError(f"the target mass must be a positive number, not {mass}")
    exact = value * UNITS_PER[unit]
    units = round(exact)
    if abs(exact - units) > max(1e-6, 1e-12 * exact) or units == 0:
        raise CampaignError(f"give the target mass to at most 0.1 mg ({MASS_DECIMALS[unit]} decimals in {unit}), not {mass}")
    return units


def weigh(fractions: dict[str, float], total_units: int) -> list[ElementLine]:
    """at.%, wt.% and masses (0.1 mg units summing to ``total_units``) per element."""
    elements = sorted(fractions)
    molar = {e: fractions[e] * atomic_mass(e) for e in elements}
    total_molar = math.fsum(molar.values())
    shares = {e: molar[e] / total_molar for e in elements}
    exact = {e: shares[e] * total_units for e in elements}
    units = {e: math.floor(exact[e]) for e in elements}
    short = total_units - sum(units.values())
    for e in sorted(elements, key=lambda e: (-(exact[e] - units[e]), e))[:short]:
        units[e] += 1
    return [
        ElementLine(e, round(100.0 * fractions[e], 4), round(100.0 * shares[e], 4), units[e], exact[e])
        for e in elements
    ]


def _format_mass(units: int, unit: str) -> Decimal:
    return (Decimal(units) / Decimal(UNITS_PER[unit])).quantize(Decimal(1).scaleb(-MASS_DECIMALS[unit]))


def _trust(candidate: Candidate, comp: dict, ingot_g: float, prices) -> dict:
    """Second opinion, conformal set, nearest measured alloys, cost and density of one candidate."""
    from .economics import economics_of

    u = candidate.uncertainty or {}
    econ = economics_of(comp, prices)
    cost = econ.cost_per_kg if math.isfinite(econ.cost_per_kg) else None
    conf = u.get("conformal")
    return {
        "p_second_opinion": (u.get("second_opinion") or {}).get("p_single"),
        "conformal_set": None if not conf else (" and ".join(conf["set"]) or "empty"),
        "nearest_measured": [dict(n) for n in u.get("nearest_measured", [])],
        "cost_usd_per_kg": None if cost is None else round(cost, 2),
        "cost_usd_per_ingot": None if cost is None else round_usd(econ.cost_per_ingot(ingot_g)),
        "density_g_cm3_estimate": round(econ.density, 3),
        "price_source": econ.price_source,
        **({} if cost is None else {EXACT_INGOT_COST: econ.cost_per_ingot(ingot_g)}),
    }


def _row(candidate: Candidate, alloy: Alloy, total_units: int, mass: float, unit: str, prices=None) -> dict:
    comp = parse_formula(alloy.formula)
    lines = weigh(comp.as_dict(), total_units)
    too_light = [ln.element for ln in lines if ln.exact_units < 1]
    if too_light:
        raise CampaignError(
            f"candidate {candidate.id} ({alloy.formula}): {', '.join(too_light)} would weigh less than 0.1 mg "
            f"in a {mass:g} {unit} ingot; choose a larger --mass"
        )
    flags = [f if isinstance(f, dict) else {"flag": str(f), "reason": ""} for f in (candidate.flags or [])]
    return {
        "candidate_id": candidate.id,
        "formula": alloy.formula,
        "n_elements": len(lines),
        "p_single": round(float(candidate.p_single), 4),
        "flags": flags,
        "approval_note": candidate.status_reason,
        "model_version_id": candidate.model_version_id,
        "proposal_run_id": candidate.proposal_run_id,
        **(_trust(candidate, comp.as_dict(), total_units / UNITS_PER["g"], prices) if prices is not None else {}),
        "elements": lines,
    }


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return neutralise(str(value))


def _flag_reason(f: dict) -> str:
    reason = str(f.get("reason") or "").strip()
    return f"{f['flag']}: {reason}" if reason else str(f["flag"])


def render_csv(rows: list[dict], elements: list[str], total_units: int, unit: str) -> bytes:
    mass_col = MASS_COLUMN[unit]
    header = [
        "candidate_id", "formula", "n_elements", "p_single", "flags", "flag_reasons", "approval_note",
        "model_version_id", "proposal_run_id", "target_mass", "mass_unit", *TRUST_COLUMNS,
        *(f"at_pct_{e}" for e in elements), *(f"wt_pct_{e}" for e in elements), *(f"{mass_col}_{e}" for e in elements),
    ]  # fmt: skip
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        by_el = {ln.element: ln for ln in r["elements"]}
        cells = [
            r["candidate_id"], r["formula"], r["n_elements"], r["p_single"],
            ";".join(f["flag"] for f in r["flags"]) or None,
            " | ".join(_flag_reason(f) for f in r["flags"]) or None,
            r["approval_note"], r["model_version_id"], r["proposal_run_id"], _format_mass(total_units, unit),
            unit, *(_trust_cell(r, k) for k in TRUST_COLUMNS),
            *(by_el[e].at_pct if e in by_el else None for e in elements),
            *(by_el[e].wt_pct if e in by_el else None for e in elements),
            *(_format_mass(by_el[e].mass_units, unit) if e in by_el else None for e in elements),
        ]  # fmt: skip
        writer.writerow([_csv_cell(c) for c in cells])
    return buf.getvalue().encode("utf-8")


TRUST_COLUMNS = ("p_second_opinion", "conformal_set", "nearest_measured", "cost_usd_per_kg", "cost_usd_per_ingot",
                 "density_g_cm3_estimate", "price_source")


def _trust_cell(row: dict, key: str):
    value = row.get(key)
    if key == "nearest_measured":
        return " | ".join(f"{n['formula']} ({n['label']}, {n['distance_at_pct']:g} at.%)" for n in value or []) or None
    return value


def render_json(rows: list[dict], meta: dict, unit: str) -> bytes:
    doc = {**meta, "candidates": []}
    for r in rows:
        doc["candidates"].append(
            {
                **{k: v for k, v in r.items() if k != "elements" and not k.startswith("_")},
                "elements": [
                    {"element": ln.element, "at_pct": ln.at_pct, "wt_pct": ln.wt_pct,
                     "mass": float(_format_mass(ln.mass_units, unit))}
                    for ln in r["elements"]
                ],
            }
        )  # fmt: skip
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _select(session, store: CampaignStore, ids: Iterable[int] | None, status: str) -> list[Candidate]:
    if ids is not None:
        ids = list(ids)
        if not ids:
            raise CampaignError("no candidates selected for export")
        candidates = load_candidates(session, store.campaign_id, ids)
    else:
        if status not in CANDIDATE_STATUSES:
            raise CampaignError(f"unknown status '{status}'; one of {', '.join(CANDIDATE_STATUSES)}")
        candidates = q.candidates_with_status(session, store.campaign_id, status)
        if not candidates:
            raise CampaignError(
                f"no {status} candidates in campaign '{store.campaign_name}'; nothing to export"
                + (" (approve some first: hea-campaign approve ID...)" if status == "approved" else "")
            )
    busy = held_by_pending(session, store.campaign_id)
    if ids is None:
        candidates = [c for c in candidates if c.id not in busy]
        if not candidates:
            raise CampaignError(f"every {status} candidate is being exported by another process right now")
    problems = [f"candidate {c.id} is being exported by another process right now" for c in candidates if c.id in busy]
    for c in candidates:
        try:
            check_transition(c, "exported")
        except TransitionError as exc:
            problems.append(str(exc))
    if problems:
        more = f" ({len(problems) - 1} more not exportable)" if len(problems) > 1 else ""
        raise TransitionError(f"only approved candidates can be exported: {problems[0]}{more}. Nothing was exported.")
    return candidates


def check_sane_mass(mass: float, unit: str, confirm: bool) -> None:
    """An ingot above a kilogram or below 100 mg is almost surely a typo or the wrong unit: confirmed only."""
    if confirm or SMALL_MASS[unit] <= float(mass) <= SANE_MASS[unit]:
        return
    limit = (f"more than {SANE_MASS[unit]:g} {unit}" if float(mass) > SANE_MASS[unit]
             else f"less than {SMALL_MASS[unit]:g} {unit}")
    raise MassNeedsConfirmation(
        f"a target mass of {float(mass):g} {unit} per ingot is {limit}; "
        "check the mass and its unit, or confirm it to export it anyway (--yes on the command line)"
    )


# Called with the name of each step an export passes, in order: "rendered" (pending batch not yet
# committed), "announced", "temp-written", "renamed", "before-commit", "committed".  None in normal use; the crash test sets it to kill the process there.
STEP_HOOK: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if STEP_HOOK is not None:
        STEP_HOOK(name)


def _render(store: CampaignStore, rows: list[dict], elements: list[str], total_units: int, unit: str, fmt: str,
            actor: str, created, loss: dict[str, float], batch_id: int | None = None) -> bytes:
    if fmt == "csv":
        return render_csv(rows, elements, total_units, unit)
    if fmt == "sheet":
        from .weigh_sheet import render_sheet

        return render_sheet(rows, unit, loss, batch_id)
    meta = {
        "kind": "hea-campaign synthesis batch",
        "campaign": store.campaign_name,
        "created_at": created.isoformat(timespec="seconds"),
        "created_by": actor,
        "target_mass": float(_format_mass(total_units, unit)),
        "mass_unit": unit,
        "rounding": ROUNDING,
    }
    total, unpriced = batch_cost(rows)
    meta |= {"batch_cost_usd": total, "candidates_without_price": unpriced}
    return render_json(rows, meta, unit)


def export_batch(
    store: CampaignStore,
    *,
    ids: Iterable[int] | None = None,
    status: str = "approved",
    mass: float = 20.0,
    unit: str = "g",
    out: str | Path,
    fmt: str | None = None,
    by: str | None = None,
    confirm: bool = False,
    loss: str | dict[str, float] | None = None,
    allow_measured: bool = False,
) -> ExportResult:
    """Write approved candidates to a synthesis batch file and mark them exported.

    ``ids`` picks candidates (all must be approved); otherwise every candidate
    with ``status`` is taken.  ``fmt`` defaults to the file suffix (.json ->
    json, anything else -> csv); ``sheet`` is the long weigh sheet
    (weigh_sheet.py), where ``loss`` ("Mn:2%,Al:1%") adds allowances.
    ``confirm`` accepts a mass above ``SANE_MASS``; ``allow_measured`` candidates whose alloy has a
    lab result already (otherwise AlreadyMeasured, and nothing is written).

    Two units of work: the first records a pending batch (committed before the file can appear), the
    second writes the file and marks the batch and its candidates exported together.  A failure in the
    second removes the file and the pending batch; a process killed between them leaves a pending batch
    that the next export or `status` settles.
    """
    actor = by or current_user()
    out, fmt, losses, total_units = _checked_export(out, fmt, loss, mass, unit, confirm)
    pending = _announce(store, actor, ids, status, allow_measured, losses, total_units, mass, unit, fmt, out)
    _step("announced")
    _write_and_settle(store, pending, actor, out, fmt, losses, total_units, unit)
    _step("committed")
    return ExportResult(
        batch_id=pending.batch_id,
        path=out,
        format=fmt,
        mass=float(_format_mass(total_units, unit)),
        unit=unit,
        sha256=pending.digest,
        candidate_ids=pending.ids,
        elements=pending.elements,
        rows=pending.rows,
        recovered=pending.recovered,
        loss=losses,
        outside_space=pending.outside_space,
    )


def _checked_export(out, fmt, loss, mass: float, unit: str, confirm: bool):
    """The file, format, loss allowances and total mass, checked before anything is read or written."""
    from .weigh_sheet import parse_loss

    out = Path(out).expanduser()
    fmt = (fmt or ("json" if out.suffix.lower() == ".json" else "csv")).lower()
    if fmt not in FORMATS:
        raise CampaignError(f"unknown export format '{fmt}'; use csv, json or sheet")
    losses = parse_loss(loss) if isinstance(loss, str) or loss is None else dict(loss)
    if losses and fmt != "sheet":
        raise CampaignError("loss allowances (--loss) go on the weigh sheet: use --format sheet")
    total_units = mass_in_units(mass, unit)
    check_sane_mass(mass, unit, confirm)
    if out.exists():
        raise CampaignError(f"{out} already exists; choose another name (batch files are never overwritten)")
    if not out.parent.is_dir():
        raise CampaignError(f"the folder {out.parent} does not exist")
    return out, fmt, losses, total_units


@dataclass(frozen=True)
class _Pending:
    """A batch recorded as pending, with the bytes its file will hold."""

    batch_id: int
    data: bytes
    digest: str
    ids: list[int]
    rows: list[dict]
    elements: list[str]
    created: object  # datetime
    recovered: object  # what reconcile_in settled of earlier interrupted exports
    outside_space: dict  # candidate id -> why it lies outside the current design space


def _announce(store: CampaignStore, actor: str, ids, status: str, allow_measured: bool, losses: dict,
              total_units: float, mass: float, unit: str, fmt: str, out: Path) -> _Pending:
    """Render the batch and record it as pending, committed before the file can appear."""
    from .design_space import outside_reasons, prices_from_settings

    with store.write() as session:
        recovered = reconcile_in(session, store, actor)
        candidates = _select(session, store, ids, status)
        said = [] if allow_measured else measured_already(session, store, candidates)
        if said:
            raise _already_measured(said)
        alloys = q.alloys_by_id(session, store.campaign_id, [c.alloy_id for c in candidates])
        settings = dict(session.get(Campaign, store.campaign_id).settings or {})
        prices = prices_from_settings(settings)
        outside = outside_reasons({c.id: alloys[c.alloy_id].formula for c in candidates}, settings)
        rows = [_row(c, alloys[c.alloy_id], total_units, mass, unit, prices) for c in candidates]
        elements = sorted({ln.element for r in rows for ln in r["elements"]})
        unused = sorted(set(losses) - set(elements))
        if unused:  # an allowance for an element nobody weighs is a typo or the wrong batch
            raise CampaignError(f"--loss names {', '.join(unused)}, which no candidate of this batch contains "
                                f"(its elements: {', '.join(elements)})")
        created = utcnow()
        ids_out = [c.id for c in candidates]
        batch = ExportBatch(campaign_id=store.campaign_id, created_at=created, created_by=actor,
                            path=str(out.resolve()), format=fmt, mass_g=total_units / UNITS_PER["g"],
                            file_sha256="", candidate_ids=ids_out, state="pending", owner=process_owner())  # fmt: skip
        session.add(batch)
        session.flush()  # its id goes on a weigh sheet's lines
        data = _render(store, rows, elements, total_units, unit, fmt, actor, created, losses, batch.id)
        batch.file_sha256 = digest = hashlib.sha256(data).hexdigest()
        session.add(batch)
        pending = _Pending(batch.id, data, digest, ids_out, rows, elements, created, recovered, outside)
        _step("rendered")
    return pending


def _write_and_settle(store: CampaignStore, pending: _Pending, actor: str, out: Path, fmt: str, losses: dict,
                      total_units: float, unit: str) -> None:
    """Write the file and, in the same unit of work, mark the batch complete and its candidates exported;
    on any failure before the commit the file is removed and the pending batch forgotten (a Ctrl+C after the
    commit keeps the file of the batch the store records)."""
    placed = []  # "renamed" once the file is in place: a Ctrl+C may still come before the write returns

    def step(name: str) -> None:
        if name == "renamed":
            placed.append(name)
        _step(name)

    try:
        with store.write() as session:
            batch = session.get(ExportBatch, pending.batch_id)
            if batch is None or batch.state != "pending":
                raise CampaignError("this export was taken for an interrupted one and settled by another process; "
                                    "nothing was exported, try again")  # fmt: skip
            try:
                atomic_write_bytes(out, pending.data, step=step)
            except FileExistsError as exc:
                raise CampaignError(str(exc)) from None
            except OSError as exc:
                raise CampaignError(f"could not write {out}: {exc}; nothing was exported") from exc
            batch.state = "complete"
            session.add(batch)
            q.audit(
                session,
                actor=actor,
                action="export_batch.create",
                entity="export_batch",
                entity_id=batch.id,
                campaign_id=store.campaign_id,
                payload={"path": batch.path, "format": fmt, "mass": float(_format_mass(total_units, unit)),
                         "unit": unit, "sha256": pending.digest, "candidate_ids": pending.ids,
                         **({"loss_pct": {e: round(100 * v, 4) for e, v in losses.items()}} if losses else {})},
            ).at = pending.created  # fmt: skip
            mark_exported(session, store.campaign_id, pending.ids, by=actor, batch_id=batch.id)
            _step("before-commit")
    except BaseException:
        # A Ctrl+C may land after the commit (the session closing): the store then records the batch as
        # complete and its file must stay.  Only a batch still pending loses its file; when the store cannot
        # be read, both are left to reconciliation (a pending batch with its file completes, one without is abandoned).
        state = _batch_state(store, pending.batch_id)
        if state == "pending":
            if placed:
                out.unlink(missing_ok=True)
            forget_pending(store, pending.batch_id)
        raise


def _batch_state(store: CampaignStore, batch_id: int) -> str | None:
    """The batch's state as committed in the store ("pending", "complete", ...), "gone" when it has no row, or
    None when the store could not be read."""
    try:
        with store.read() as session:
            batch = session.get(ExportBatch, batch_id)
            return "gone" if batch is None else batch.state
    except Exception:
        return None
