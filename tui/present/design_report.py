"""Plain-text rendering of proposals, candidates and explanations."""

from __future__ import annotations

from hea_campaign.campaign.descriptor_info import DESCRIPTOR_UNITS


def format_candidate_table(rows) -> str:
    """Candidates (campaign.read_models.CandidateView), one line each."""
    if not rows:
        return "No candidates."
    lines = [f"{'id':>5}  {'formula':<34} {'p':>5}  {'change':>6}  {'status':<9} {'model':>5}  flags"]
    for c in rows:
        change = f"{c.change_at_pct:5.1f}%" if c.change_at_pct is not None else "     -"
        lines.append(
            f"{c.id:>5}  {c.formula:<34} {c.p_single:5.2f}  {change:>6}  {c.status:<9} {'v' + str(c.model_version_id):>5}  "
            f"{','.join(c.flag_names) or '-'}"
        )
    return "\n".join(lines)


def _path(path: list[dict]) -> list[str]:
    return [f"    step {s['step']}: {s['formula']}  p={s['p']:.2f}" for s in path]


def format_proposal(req, outcome, stored) -> str:
    """A proposal run: paths (few starts), counts, and the stored candidates (CandidateViews)."""
    lines = []
    if req.mode == "invert" and len(outcome.paths) <= 5:
        for start, path in outcome.paths.items():
            end = path[-1]
            verdict = "reached" if end["p"] > req.cutoff else "did NOT reach"
            lines.append(f"Path from {start} ({req.inversion} loop, {verdict} the cutoff {req.cutoff}):")
            lines += _path(path)
    dropped = ", ".join(f"{k}: {v}" for k, v in outcome.dropped.items() if v)
    lines.append(
        f"Proposal run {outcome.run_id if outcome.run_id is not None else '(nothing stored)'}: "
        f"{outcome.produced} produced, {len(outcome.candidate_ids)} stored" + (f"; dropped - {dropped}" if dropped else "")
    )
    if stored:
        lines.append(format_candidate_table(stored))
    return "\n".join(lines)


def format_explanation(formula: str, version_id: int, e) -> str:
    lines = [
        f"{formula}: p(single phase) = {e.prediction:.3f} (model v{version_id}); "
        f"average over the background {e.base_value:.3f}",
        "SHAP contributions (sum = p - average):",
    ]
    order = sorted(range(len(e.descriptor_names)), key=lambda j: -abs(e.contributions[j]))
    for j in order:
        n = e.descriptor_names[j]
        lines.append(f"  {n:>6} = {e.descriptors[j]:10.3f} {DESCRIPTOR_UNITS[n]:<10} {e.contributions[j]:+.3f}")
    return "\n".join(lines)
