"""Plain-text rendering of proposals, candidates and explanations."""

from __future__ import annotations

from hea_campaign.model.descriptors import DESCRIPTOR_UNITS


def _flags(flags: list[dict]) -> str:
    return ",".join(f["flag"] for f in flags) or "-"


def format_candidate_table(rows, total: int | None = None, offset: int = 0) -> str:
    """The candidate rows; with ``total``, a last line saying which rows of how many these are."""
    if not rows:
        return "No candidates." if not total else f"No candidates from row {offset + 1} (there are {total})."
    lines = [f"{'id':>5}  {'formula':<34} {'p':>5}  {'change':>6}  {'status':<9} {'model':>5}  flags"]
    for c, formula in rows:
        change = f"{c.change_at_pct:5.1f}%" if c.change_at_pct is not None else "     -"
        lines.append(
            f"{c.id:>5}  {formula:<34} {c.p_single:5.2f}  {change:>6}  {c.status:<9} {'v' + str(c.model_version_id):>5}  "
            f"{_flags(c.flags)}"
        )
    if total is not None and (offset > 0 or len(rows) < total):
        lines.append(f"(rows {offset + 1}-{offset + len(rows)} of {total}; --offset and --limit show others)")
    return "\n".join(lines)


def _path(path: list[dict]) -> list[str]:
    return [f"    step {s['step']}: {s['formula']}  p={s['p']:.2f}" for s in path]


def format_proposal(store, req, outcome) -> str:
    from hea_campaign.campaign.candidates import candidates_with_ids

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
    if outcome.candidate_ids:
        lines.append(format_candidate_table(candidates_with_ids(store, outcome.candidate_ids)))
    return "\n".join(lines)


def format_candidate_detail(d) -> str:
    c = d.candidate
    lines = [
        f"Candidate {c.id}: {d.formula}   status {c.status}   model v{c.model_version_id}   run {c.proposal_run_id}",
        f"  p(single phase) = {c.p_single:.3f}   origin {c.origin}"
        + (f"   from {d.start_formula}" if d.start_formula else "")
        + (f"   change {c.change_at_pct:.1f} at.%" if c.change_at_pct is not None else "")
        + (f" in {c.steps} steps" if c.steps is not None else ""),
        "  composition (at.%): " + "  ".join(f"{e} {100 * f:.1f}" for e, f in sorted(d.composition.items())),
        "  uncertainty: " + ", ".join(f"{k} {v:.3g}" for k, v in c.uncertainty.items()),
        "  latent z: " + ", ".join(f"{v:.2f}" for v in c.latent_z),
    ]
    if c.flags:
        lines.append("  flags:")
        lines += [f"    {f['flag']}: {f['reason']}" for f in c.flags]
    else:
        lines.append("  flags: none")
    lines.append("  descriptors (labelled training range):")
    for name, value in d.descriptors.items():
        lo, hi = d.training_range[name]
        mark = "" if lo - 1e-9 <= value <= hi + 1e-9 else "  <- outside"
        lines.append(f"    {name:>6} = {value:10.3f} {DESCRIPTOR_UNITS[name]:<10} [{lo:.3f}, {hi:.3f}]{mark}")
    if d.shap:
        lines.append("  SHAP contributions to p(single phase):")
        for name, value in sorted(d.shap.items(), key=lambda kv: -abs(kv[1])):
            lines.append(f"    {name:>6} {value:+.3f}")
    if c.path:
        lines.append("  path:")
        lines += _path(c.path)
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
