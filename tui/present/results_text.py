"""Lab results as the results browser shows them: table cells, their widths, and a correction chain.

The table must fit the screen: a person should not have to scroll sideways to
see a column.  ``fit_columns`` decides, from the widest text of each column
and the width there is, how wide each column is drawn and which columns a
narrow screen leaves out; ``fit_row`` cuts the cells to those widths with an
ellipsis.  Whatever a cell or a left-out column does not show is in the panel
under the table (``format_chain``, ``format_failure``), in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from .text import one_line


def weighed_text(weighed: dict | None) -> str:
    """The masses weighed for an ingot (``Measurement.weighed_g``: element -> grams as typed) with their total:
    'weighed 9.75 g Fe, 10.250 g Ni (total 20.000 g)'; '' when none were recorded.  The masses are shown as
    stored (the balance's digits), the total is their exact decimal sum."""
    if not weighed:
        return ""
    from decimal import Decimal

    masses = ", ".join(f"{one_line(grams)} g {one_line(el)}" for el, grams in sorted(weighed.items()))
    try:
        total = f" (total {format(sum(Decimal(str(g)) for g in weighed.values()), 'f')} g)"
    except ArithmeticError:  # not a store's decimal: shown as it is, without a total
        total = ""
    return f"weighed {masses}{total}"


def weighed_field(weighed: dict | None) -> str:
    """The masses weighed (``Measurement.weighed_g``) as typed into a correction's field or ``--weighed-g``:
    'Fe:9.75,Ni:10.250', the digits as stored; '' when none were recorded."""
    return ",".join(f"{el}:{grams}" for el, grams in sorted((weighed or {}).items()))


def made_text(made: dict | None) -> str:
    """The composition made (``Measurement.made_composition``, atomic fractions) as 'made (at.%) Fe48.54 Ni51.46'."""
    if not made:
        return ""
    return "made (at.%) " + " ".join(f"{one_line(el)}{100 * float(x):.2f}" for el, x in sorted(made.items()))


def yes_no(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "no"


@dataclass(frozen=True)
class Column:
    """A column of the results table.  ``soft``: free text wider than this is cut first when the columns do
    not fit; ``least``: cut down to this if they still do not; None: never cut (numbers, dates, states)."""

    key: str
    soft: int | None = None
    least: int | None = None

    @property
    def header(self) -> str:
        return self.key


# what a person scans for comes first (state before who); the method and the correction chain are in the
# panel under the table (with the notes), so a 120-column screen shows every column without scrolling
RESULT_COLUMNS = (
    Column("id"),
    Column("alloy", soft=24, least=16),
    Column("single"),
    Column("phases", soft=16, least=10),  # a failed synthesis: its reason
    Column("state"),
    Column("candidate"),
    Column("date"),
    Column("operator", soft=14, least=8),
)
SHRINK_ORDER = ("operator", "phases", "alloy")  # the free text that may be cut; on a tie the first gives way
# left out, in this order, of a screen too narrow for every column even cut (80 wide): all three are in the panel
LEAVE_OUT = ("operator", "candidate", "date")
CELL_PADDING = 2  # a DataTable's cell padding, both sides


def short(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells, an ellipsis marking the cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)) + "…" if width > 0 else ""


def fit_columns(natural: dict[str, int], room: int, columns=RESULT_COLUMNS) -> dict[str, int]:
    """The width of each column shown, in order, for a table ``room`` cells wide (cell padding included).

    ``natural``: each column's widest text, its header included.  Free text is cut only as much as needed:
    first what is wider than the columns' ``soft`` widths, then down to ``least``, each time the column
    furthest over the mark first (so long formulas and long reasons give way alike).  A column of
    ``LEAVE_OUT`` goes only when the others do not fit even cut to ``least``.
    """
    by_key = {c.key: c for c in columns}
    shown = [c.key for c in columns]

    def bound(key: str, limit: str) -> int:
        mark = getattr(by_key[key], limit)
        return natural[key] if mark is None else min(natural[key], max(mark, cell_len(by_key[key].header)))

    for key in LEAVE_OUT:
        if sum(bound(k, "least") + CELL_PADDING for k in shown) <= room:
            break
        if key in shown:
            shown.remove(key)
    widths = {k: natural[k] for k in shown}
    excess = sum(w + CELL_PADDING for w in widths.values()) - room
    for limit in ("soft", "least"):
        marks = {k: bound(k, limit) for k in SHRINK_ORDER if k in widths}
        while excess > 0:
            over = {k: widths[k] - mark for k, mark in marks.items() if widths[k] > mark}
            if not over:
                break
            most = max(over.values())
            key = next(k for k in SHRINK_ORDER if over.get(k) == most)  # ties: in SHRINK_ORDER
            widths[key] -= 1
            excess -= 1
    return widths


def natural_widths(rows, columns=RESULT_COLUMNS) -> dict[str, int]:
    """Each column's widest text (header included) over ``rows`` (dicts from ``result_cells``/``failure_cells``)."""
    widths = {c.key: cell_len(c.header) for c in columns}
    for cells in rows:
        for key, value in cells.items():
            if key in widths:
                widths[key] = max(widths[key], cell_len(value))
    return widths


def fit_row(cells: dict[str, str], widths: dict[str, int]) -> tuple[str, ...]:
    """The cells of the columns shown (``fit_columns``), each cut to its column's width."""
    return tuple(short(cells[key], width) for key, width in widths.items())


def count_line(counts, listed_results: int, listed_failures: int) -> str:
    """The line over the table: the true totals of the filter (``counts``, campaign.results_browser.ResultCounts,
    counted by the database), and when the table lists only the newest of them, how many."""
    results = f"{counts.results:,} result(s)"
    if listed_results < counts.results:
        results += f" (newest {listed_results:,} listed; filter to narrow)"
    failures = f"{counts.failures:,} failed synthesis(es)"
    if listed_failures < counts.failures:
        failures += f" (newest {listed_failures:,} listed)"
    withdrawn = f", {counts.withdrawn:,} withdrawn" if counts.withdrawn else ""
    return (f"{results}, {counts.corrected:,} corrected{withdrawn}, {failures}; date* = entered, not measured; "
            "c/Enter: correct; w: withdraw; h: history")


def _who(r) -> str:
    """Who measured a result: its operator, the literature for a dataset's row (as `history` says)."""
    from hea_campaign.campaign.importing import DATASET_SOURCE

    if r.operator:
        return one_line(r.operator)
    return f"literature, from {one_line(r.source)}" if r.source.startswith(DATASET_SOURCE) else "?"


def result_cells(r) -> dict[str, str]:
    """One browser row (campaign.results_browser.ResultRow): the whole text of each column."""
    if getattr(r, "withdrawal", False):  # the reason where the phases go, as for a failed synthesis
        return dict(id=str(r.id), alloy=one_line(r.formula), single="withdrawal", phases=one_line(r.notes or ""),
                    state=f"withdraws {r.supersedes_id}", date=r.day.isoformat() + "*", candidate="",
                    operator=one_line(r.operator or ""))
    conflict = r.current and getattr(r, "conflicting", False)  # counts, but its alloy is left out of training
    state = ("current, conflict" if conflict else "current" if r.current
             else f"WITHDRAWN ({r.superseded_by})" if getattr(r, "withdrawn", False)
             else f"corrected by {r.superseded_by}" if not getattr(r, "moved_to", None)
             else f"moved to {one_line(r.moved_to)} ({r.superseded_by})")
    return dict(id=str(r.id), alloy=one_line(r.formula), single=yes_no(r.single_phase),
                phases=one_line(r.phases or ""), state=state, date=r.day.isoformat() + ("" if r.measured_on else "*"),
                candidate="" if r.candidate_id is None else str(r.candidate_id), operator=one_line(r.operator or ""))


def failure_cells(f) -> dict[str, str]:
    """A failed synthesis (campaign.results_browser.FailedSynthesis) as a browser row.

    "failed" where a result says single phase or not, the reason where its phases go, so both show in the
    first columns; the state says where the candidate is now if it moved on (approved for another try).
    """
    state = "synthesis failed" if f.candidate_status == "failed" else f"failed; now {f.candidate_status}"
    if getattr(f, "withdrawn", None):
        state = f"withdrawn; now {f.candidate_status}"
    return dict(id="", alloy=one_line(f.formula), single="failed", phases=one_line(f.reason), state=state,
                date=f.day.isoformat(), candidate=str(f.candidate_id), operator=one_line(f.operator))


def format_failure(f) -> str:
    """The panel under the table for a failed synthesis."""
    lines = [f"Candidate {f.candidate_id} ({f.formula}): synthesis failed, recorded {f.at:%Y-%m-%d %H:%M} by "
             f"{one_line(f.operator)}",
             f"  reason: {one_line(f.reason or '-')}",
             f"  the candidate is {f.candidate_status} now"
             + ("; approve it for another try on the Candidates tab" if f.candidate_status == "failed" else ""),
             "  no lab result to correct: nothing was measured"]
    if getattr(f, "withdrawn", None):
        lines.insert(2, f"  WITHDRAWN (recorded by mistake) {one_line(f.withdrawn)}")
    return "\n".join(lines)


def format_chain(chain: list, selected: int) -> str:
    """The correction chain of a result, oldest first, the one that counts marked; a step that moved the
    result to another alloy or candidate names where it went."""
    if not chain:
        return ""
    this = next((r for r in chain if r.id == selected), chain[0])
    of = this.formula + ("" if this.candidate_id is None else f" (candidate {this.candidate_id})")
    steps = " > ".join(str(r.id) for r in chain)
    if getattr(chain[-1], "withdrawal", False):
        head = f"withdrawn by {chain[-1].id}, nothing counts ({steps})"
    else:
        head = ("no corrections" if len(chain) == 1
                else f"{len(chain) - 1} correction(s), the last one counts ({steps})")
    lines = [f"Result {selected} of {of}: {head}"]
    before = None
    for r in chain:
        if getattr(r, "withdrawal", False):
            lines.append(f"  {r.id:>6}  entered {r.entered_at:%Y-%m-%d %H:%M} UTC  WITHDRAWS {r.supersedes_id}: "
                         f"{one_line(r.notes or '')}  by {one_line(r.operator or '?')}")
            continue
        mark = ("counts, but the alloy's current results conflict: training leaves it out"
                if r.current and getattr(r, "conflicting", False)
                else "counts" if r.current else f"WITHDRAWN by {r.superseded_by}" if getattr(r, "withdrawn", False)
                else f"superseded by {r.superseded_by}")
        what = f"single phase {yes_no(r.single_phase)}" + (f", {one_line(r.phases)}" if r.phases else "")
        if before is not None and (r.formula, r.candidate_id) != (before.formula, before.candidate_id):
            what = f"moved to {r.formula}" + ("" if r.candidate_id is None else f" (candidate {r.candidate_id})") \
                + f": {what}"
        before = r
        extra = f", method {one_line(r.method)}" if r.method else ""
        when = r.day.isoformat() if r.measured_on else f"entered {r.day.isoformat()} (no measurement date)"
        lines.append(f"  {r.id:>6}  {when}  {what}{extra}  by {_who(r)}  [{mark}]"
                     + (f"  notes: {_note_lines(r.notes)}" if r.notes else ""))
        weighed = "; ".join(t for t in (made_text(getattr(r, "made_composition", None)),
                                        weighed_text(getattr(r, "weighed_g", None))) if t)
        if weighed:
            lines.append(f"          {weighed}")
    return "\n".join(lines)


def _note_lines(notes: str) -> str:
    """A result's notes may run over several lines (the only control character they may hold): each line
    of them on a line of the panel, indented under the result; anything else unsafe shown as an escape."""
    return "\n          ".join(one_line(line) for line in notes.replace("\r\n", "\n").split("\n"))
