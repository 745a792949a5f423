"""Lab results as the results browser shows them: table cells and a correction chain."""

from __future__ import annotations


def yes_no(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "no"


# what a person scans for comes first (state before who and how), so nothing that matters is cut at 120 columns
RESULT_COLUMNS = ("id", "alloy", "single", "phases", "state", "candidate", "date", "operator", "method", "chain")
ALLOY_WIDTH = 26  # a long formula would push the state column off a 120-column screen; whole in the panel


def _in_order(**cells) -> tuple:
    return tuple(cells[c] for c in RESULT_COLUMNS)


def short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def result_cells(r) -> tuple:
    """One browser row (campaign.results_browser.ResultRow): the values of its columns."""
    state = "current" if r.current else f"corrected by {r.superseded_by}"
    chain = " > ".join(map(str, r.chain)) if len(r.chain) > 1 else ""
    return _in_order(id=r.id, alloy=short(r.formula, ALLOY_WIDTH), single=yes_no(r.single_phase),
                     phases=r.phases or "", method=r.method or "", operator=r.operator or "", date=r.day.isoformat(),
                     candidate="" if r.candidate_id is None else r.candidate_id, state=state, chain=chain)


def failure_cells(f) -> tuple:
    """A failed synthesis (campaign.results_browser.FailedSynthesis) as a browser row.

    "failed" where a result says single phase or not, the reason (shortened; whole in the panel) where its
    phases go, so both show in the first columns.
    """
    reason = short(f.reason, 30)
    state = "synthesis failed" + ("" if f.candidate_status == "failed" else f" (candidate {f.candidate_status} since)")
    return _in_order(id="", alloy=short(f.formula, ALLOY_WIDTH), single="failed", phases=reason, method="",
                     operator=f.operator, date=f.day.isoformat(), candidate=f.candidate_id, state=state, chain="")


def format_failure(f) -> str:
    """The panel under the table for a failed synthesis."""
    lines = [f"Candidate {f.candidate_id} ({f.formula}): synthesis failed, recorded {f.at:%Y-%m-%d %H:%M} by {f.operator}",
             f"  reason: {f.reason or '-'}",
             f"  the candidate is {f.candidate_status} now"
             + ("; approve it for another try on the Candidates tab" if f.candidate_status == "failed" else ""),
             "  no lab result to correct: nothing was measured"]
    return "\n".join(lines)





def format_chain(chain: list, selected: int) -> str:
    """The correction chain of a result, oldest first, the one that counts marked."""
    if not chain:
        return ""
    head = chain[0]
    lines = [f"Result {selected} of {head.formula}: " + (
        "no corrections" if len(chain) == 1 else f"{len(chain) - 1} correction(s), the last one counts")]
    for r in chain:
        mark = "counts" if r.current else f"superseded by {r.superseded_by}"
        what = f"single phase {yes_no(r.single_phase)}" + (f", {r.phases}" if r.phases else "")
        extra = "".join(f", {v}" for v in (r.method,) if v)
        lines.append(f"  {r.id:>6}  {r.day.isoformat()}  {what}{extra}  by {r.operator or '?'}  [{mark}]"
                     + (f"  notes: {r.notes}" if r.notes else ""))
    return "\n".join(lines)
