"""The weigh sheet: what a person at the balance reads and fills in.

One line per candidate and element (long format), so the grams sit next to
the element instead of after thirty columns of flags::

    candidate_id, formula, element, at_pct, grams, loss_pct, weighed_g, single_phase, phases

``grams`` is the target mass of the element (export.py's exact largest-
remainder masses) plus its loss allowance: ``--loss Mn:2%,Al:1%`` adds 2 % to
every Mn line and 1 % to every Al line, for what evaporates in the arc
(``loss_pct`` says which lines carry one).  After the candidates come the
per-element totals for the batch (``candidate_id`` = ``total``), what to take
from each stock bottle.  Mass columns are ``grams``/``weighed_g`` for
``unit="g"`` and ``milligrams``/``weighed_mg`` for ``unit="mg"``.

The person fills ``weighed_g`` with what went into the crucible and, once the
alloy is measured, ``single_phase`` (and ``phases``) on any line of the
candidate; ``hea-campaign result import SHEET`` then records one measurement
per candidate with a result, with the masses weighed (``weighed_g``: grams, each
the decimal typed; a sheet in milligrams moved to grams without rounding) and
the composition actually made (``made_composition``: moles from the weighed
masses), which training uses instead of the nominal one.  Candidates without a
result yet are skipped and counted, so the same sheet can be imported again as
results come in.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from .errors import CampaignError
from .export import MASS_COLUMN, UNITS_PER, _csv_cell, _format_mass, atomic_mass

MAX_LOSS_PCT = 50.0
TOTAL = "total"
_LOSS_ITEM = re.compile(r"^\s*([A-Z][a-z]?)\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$")
_MASS_ITEM = re.compile(r"^\s*([A-Z][a-z]?)\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*$")


BATCH_COLUMN = "batch"  # the export batch a line was weighed for: a sheet of a voided or retried batch is refused


# optional columns a lab may add to a sheet, as a results CSV has them: read (campaign.results.prepare) and
# stored with the candidate's result; typed on any of its lines, like single_phase
DETAIL_COLUMNS = ("method", "operator", "notes", "measured_on")


def sheet_columns(unit: str) -> list[str]:
    return ["candidate_id", "formula", "element", "at_pct", MASS_COLUMN[unit], "loss_pct", f"weighed_{unit}",
            "single_phase", "phases", BATCH_COLUMN]  # fmt: skip


def sheet_columns_read(unit: str) -> list[str]:
    """The columns a filled sheet may have: those it is written with, and the lab's optional details."""
    return [*sheet_columns(unit), *DETAIL_COLUMNS]


def _symbol_of(pattern: re.Pattern, item: str) -> bool:
    """``item`` matches ``pattern`` and starts with a real element symbol."""
    from .chemistry import FormulaError, parse_formula

    m = pattern.match(item)
    if not m:
        return False
    try:
        parse_formula(m.group(1))
    except FormulaError:
        return False
    return True


def _element_values(text: str, pattern: re.Pattern, what: str, example: str, twice: str) -> dict[str, float]:
    """'El:number,...' -> {El: number} by ``pattern`` (element, number); refuses bad items and repeats."""
    out: dict[str, float] = {}
    for item in str(text).split(","):
        m = pattern.match(item)
        if not m:
            fixed = item.strip()[:1].upper() + item.strip()[1:2].lower() + item.strip()[2:]
            hint = f" ({fixed!r}? element symbols are written Al, not al or AL)" if _symbol_of(pattern, fixed) else ""
            raise CampaignError(f"{item.strip()!r} is not {what}{hint}; write e.g. {example}")
        if m.group(1) in out:
            raise CampaignError(f"{m.group(1)} {twice}")
        out[m.group(1)] = float(m.group(2))
    return out


def parse_loss(text: str | None) -> dict[str, float]:
    """'Mn:2%,Al:1%' -> {'Mn': 0.02, 'Al': 0.01}; refuses unknown elements, repeats, silly values."""
    from .chemistry import parse_formula

    if text is None or not str(text).strip():
        return {}
    pcts = _element_values(text, _LOSS_ITEM, "a loss allowance", "Mn:2%,Al:1%", "has two loss allowances")
    for element, pct in pcts.items():
        parse_formula(element)  # an element symbol, or a FormulaError naming it
        if not 0 < pct <= MAX_LOSS_PCT:
            raise CampaignError(f"a loss allowance of {pct:g} % for {element} is outside 0-{MAX_LOSS_PCT:g} %")
    return {element: pct / 100.0 for element, pct in pcts.items()}


def parse_weighed(text: str, elements: list[str], unit: str = "g") -> dict[str, float]:
    """'Fe:10.12,Ni:9.88' (in ``unit``, grams by default) -> {'Fe': 10.12, 'Ni': 9.88} in grams: every element
    of the alloy once, each positive.  Milligrams become grams as a weigh sheet's do (``weighed_masses``)."""
    example = "element:grams as Fe:10.12,Ni:9.88" if unit == "g" else "element:milligrams as Fe:10120,Ni:9880"
    out = _element_values(text, _MASS_ITEM, "a weighed mass", example, "is weighed twice")
    for element, mass in out.items():
        if not (math.isfinite(mass) and mass > 0):
            raise CampaignError(f"the weighed mass of {element} must be positive, not {mass:g}")
    if sorted(out) != sorted(elements):
        raise CampaignError(f"give the weighed mass of every element of the alloy and no other: "
                            f"{', '.join(sorted(elements))} (got {', '.join(sorted(out))})")
    return {element: mass * UNITS_PER[unit] / UNITS_PER["g"] for element, mass in out.items()}


def parse_weighed_text(text: str, elements: list[str], unit: str = "g") -> dict[str, str]:
    """'Fe:10.10,Ni:9.875' -> {'Fe': '10.10', 'Ni': '9.875'}: the masses as typed, in grams (typed in mg:
    the decimal point moved, as a weigh sheet's ``weighed_mg``), checked as ``parse_weighed`` checks them;
    what the store keeps (``Measurement.weighed_g``)."""
    parse_weighed(text, elements, unit)  # every element once, each a positive number, or a CampaignError
    typed = {}
    for item in str(text).split(","):
        m = _MASS_ITEM.match(item)
        typed[m.group(1)] = grams_text(m.group(2), unit)
    return dict(sorted(typed.items()))


_GRAMS_EXPONENT = {"g": 0, "mg": -3}  # a mass typed in this unit is so many powers of ten of a gram


def grams_text(text: str, unit: str = "g") -> str:
    """A mass typed in ``unit`` as the exact decimal of its grams, digits as typed: '10.10' stays '10.10' (the
    balance's last digit), '4123.4' mg is '4.1234' (the decimal point moved, nothing rounded); no exponent."""
    return format(Decimal(str(text).strip()).scaleb(_GRAMS_EXPONENT[unit]), "f")


def same_weighed(a: dict[str, str], b: dict[str, str]) -> bool:
    """Whether two records of masses weighed say the same masses ('10.1' and '10.10' do)."""
    try:
        return set(a) == set(b) and all(Decimal(str(a[e])) == Decimal(str(b[e])) for e in a)
    except ArithmeticError:
        return a == b


def render_sheet(rows: list[dict], unit: str, loss: dict[str, float], batch_id: int | None = None) -> bytes:
    """The long-format sheet for export rows (export._row), with loss allowances and totals; every line
    names its export batch."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(sheet_columns(unit))
    totals: dict[str, int] = {}
    for r in rows:
        for ln in r["elements"]:
            extra = loss.get(ln.element, 0.0)
            units = ln.mass_units + round(ln.mass_units * extra)
            totals[ln.element] = totals.get(ln.element, 0) + units
            writer.writerow([_csv_cell(c) for c in (
                r["candidate_id"], r["formula"], ln.element, ln.at_pct, _format_mass(units, unit),
                round(100 * extra, 4) if extra else None, None, None, None, batch_id)])  # fmt: skip
    for element in sorted(totals):
        extra = loss.get(element, 0.0)
        writer.writerow([_csv_cell(c) for c in (
            TOTAL, None, element, None, _format_mass(totals[element], unit),
            round(100 * extra, 4) if extra else None, None, None, None, batch_id)])  # fmt: skip
    return buf.getvalue().encode("utf-8")


def is_sheet(names: list[str]) -> bool:
    return "element" in names and any(n in names for n in ("weighed_g", "weighed_mg"))


@dataclass
class SheetCandidate:
    """One candidate's lines of a filled sheet."""

    candidate_id: str
    formula: str
    line: int  # first line
    weighed: dict[str, str] = field(default_factory=dict)  # element -> cell text
    target: dict[str, str] = field(default_factory=dict)  # element -> the mass to weigh (grams/milligrams) as written
    single_phase: str = ""
    phases: str = ""
    batch: str = ""  # the export batch it was weighed for ('' on sheets written before the column)
    # DETAIL_COLUMNS as typed ('' when blank or not on the sheet)
    method: str = ""
    operator: str = ""
    notes: str = ""
    measured_on: str = ""
    errors: list[tuple[int, str]] = field(default_factory=list)

    def content(self) -> str:
        """The candidate's filled-in data, for recognising it in a re-import (a sheet without details keeps
        the key it had before the detail columns were read)."""
        masses = ";".join(f"{e}={self.weighed[e].strip()}" for e in sorted(self.weighed))
        key = f"sheet|{self.candidate_id}|{masses}|{self.single_phase.strip().lower()}|{self.phases.strip()}"
        details = [getattr(self, name) for name in DETAIL_COLUMNS]
        return key + ("|" + "|".join(details) if any(details) else "")


def group_sheet(rows: list[tuple[int, dict[str, str]]]) -> list[SheetCandidate]:
    """Sheet lines grouped by candidate (totals lines dropped); disagreements noted per candidate."""
    groups: dict[str, SheetCandidate] = {}
    weighed_col = "weighed_g" if any("weighed_g" in cells for _, cells in rows) else "weighed_mg"
    for line, cells in rows:
        cid = (cells.get("candidate_id") or "").strip()
        if cid.lower() == TOTAL:
            _check_total_line(groups, line, cells)
            continue
        g = groups.setdefault(cid, SheetCandidate(cid, (cells.get("formula") or "").strip(), line))
        element = (cells.get("element") or "").strip()
        if not element:
            g.errors.append((line, "no element on this line"))
            continue
        if element in g.weighed:
            g.errors.append((line, f"{element} appears twice for candidate {cid}"))
        g.weighed[element] = cells.get(weighed_col) or ""
        g.target[element] = cells.get(MASS_COLUMN["g" if weighed_col == "weighed_g" else "mg"]) or ""
        g.batch = g.batch or (cells.get(BATCH_COLUMN) or "").strip()
        for name in ("single_phase", "phases", *DETAIL_COLUMNS):
            value = (cells.get(name) or "").strip()
            have = getattr(g, name)
            if value and have and value.lower() != have.lower():
                g.errors.append((line, f"candidate {cid}: {name} {value!r} here but {have!r} on another line"))
            elif value:
                setattr(g, name, value)
    return list(groups.values())


def _check_total_line(groups: dict[str, SheetCandidate], line: int, cells: dict[str, str]) -> None:
    """A result typed on a batch total line (what to take from a stock bottle) is for no candidate:
    an error of that line, rather than a result lost without a word (a weighed mass there is ignored)."""
    typed = [name for name in ("single_phase", "phases") if (cells.get(name) or "").strip()]
    if typed:
        g = groups.setdefault(f"{TOTAL} {line}", SheetCandidate(TOTAL, "", line))
        g.errors.append((line, f"{' and '.join(typed)} typed on a total line (the batch's "
                               f"{(cells.get('element') or '').strip() or 'element'} to take from stock), which is no "
                               "candidate's: type it on a line of the candidate it belongs to"))


def weighed_masses(g: SheetCandidate, unit: str) -> dict[str, float] | None:
    """Weighed masses in grams, or None when none are filled; refuses a half-filled candidate."""
    filled = {e: t.strip() for e, t in g.weighed.items() if t.strip()}
    if not filled:
        return None
    blank = sorted(set(g.weighed) - set(filled))
    if blank:
        raise CampaignError(f"candidate {g.candidate_id}: weighed mass missing for {', '.join(blank)} "
                            "(fill every element of a candidate, or none)")  # fmt: skip
    out = {}
    for element, text in filled.items():
        try:
            value = float(Decimal(text))
        except ArithmeticError:
            raise CampaignError(f"candidate {g.candidate_id}: weighed mass {text!r} of {element} is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise CampaignError(f"candidate {g.candidate_id}: weighed mass of {element} must be positive, not {text}")
        out[element] = value * UNITS_PER[unit] / UNITS_PER["g"]
    return out


def weighed_grams_text(g: SheetCandidate, unit: str) -> dict[str, str] | None:
    """The masses filled in for a sheet candidate, in grams, each the exact decimal typed (``grams_text``);
    None when none are filled.  Call after ``weighed_masses``, which refuses what is no mass."""
    filled = {e: t.strip() for e, t in g.weighed.items() if t.strip()}
    return {e: grams_text(t, unit) for e, t in sorted(filled.items())} if filled else None


def target_grams(g: SheetCandidate, unit: str) -> float | None:
    """The ingot a sheet candidate was to weigh, in grams: its lines' target masses (loss allowances
    included) added up; None when a line's target is missing or not a number (a sheet retyped by hand)."""
    try:
        values = [float(Decimal(g.target.get(e, "").strip())) for e in g.weighed]
    except ArithmeticError:
        return None
    total = math.fsum(values)
    return total * UNITS_PER[unit] / UNITS_PER["g"] if values and math.isfinite(total) and total > 0 else None


def made_composition(grams: dict[str, float]) -> dict[str, float]:
    """Atomic fractions from weighed masses (moles = grams / atomic mass), rounded to 1e-6."""
    moles = {e: g / atomic_mass(e) for e, g in grams.items()}
    total = math.fsum(moles.values())
    return {e: round(m / total, 6) for e, m in sorted(moles.items())}


WEIGHED_TOTAL_FACTOR = 2.0  # weighed masses adding up to more than twice, or less than half, the ingot: a unit slip


def check_weighed_total(who: str, grams: dict[str, float], ingot_g: float | None, unit: str = "g") -> None:
    """Refuse weighed masses whose total is no ingot of this candidate: more than twice or less than half the
    ingot mass it was exported for (``ingot_g``; loss allowances and a short melt stay well inside), or, with
    no ingot known, outside what export takes without --yes (100 mg to 1 kg).  Milligrams typed as grams
    (a 20 g ingot weighed as 20 kg) give the composition meant, so only the total can tell.  ``unit``: the
    unit the masses were typed in, for the message."""
    from .export import SANE_MASS, SMALL_MASS

    total = math.fsum(grams.values())
    scale = UNITS_PER["g"] / UNITS_PER[unit]  # typed units per gram
    if ingot_g:
        if ingot_g / WEIGHED_TOTAL_FACTOR <= total <= ingot_g * WEIGHED_TOTAL_FACTOR:
            return
        said = f"its export batch's ingot is {ingot_g * scale:g} {unit}"
    else:
        if SMALL_MASS["g"] <= total <= SANE_MASS["g"]:
            return
        said = f"an ingot is {SMALL_MASS[unit]:g} {unit} to {SANE_MASS[unit]:g} {unit}"
    slip = "milligrams typed as grams" if unit == "g" else "grams typed as milligrams"
    raise CampaignError(f"{who}: the weighed masses add up to {total * scale:g} {unit}, where {said}: check the "
                        f"masses and their unit ({slip}?)")


MADE_OFF_BY = 0.05  # 5 at.% in one element: far beyond weighing error, the mark of a mistyped mass


def check_made_near_nominal(who: str, nominal: dict[str, float], made: dict[str, float],
                            what: str = "the candidate") -> None:
    """Refuse weighed masses whose composition is far from the nominal one: a mass typed in the wrong
    unit or with a slip of the finger would otherwise train the model on an alloy nobody made."""
    element = max(nominal, key=lambda e: abs(made.get(e, 0.0) - nominal[e]))
    off = abs(made.get(element, 0.0) - nominal[element])
    if off > MADE_OFF_BY:
        raise CampaignError(
            f"{who}: the weighed masses give {100 * made.get(element, 0.0):.1f} at.% {element} "
            f"where {what} has {100 * nominal[element]:.1f} at.% ({100 * off:.1f} at.% apart, more than "
            f"{100 * MADE_OFF_BY:g}): check the masses; if that alloy was really made, enter its result by formula "
            "(result add FORMULA)")


def sheet_unit(names: list[str]) -> str:
    return "g" if "weighed_g" in names else "mg"

