"""Plain-text rendering of proposals, candidates and explanations."""

from __future__ import annotations

from hea_campaign.campaign.descriptor_info import DESCRIPTOR_UNITS

from .candidate_columns import OUTSIDE_MARK
from .formulas import OUTSIDE, at_percent, path_lines
from .money import usd


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _num(value, fmt: str, width: int) -> str:
    return f"{value:{width}{fmt}}" if isinstance(value, (int, float)) else f"{'-':>{width}}"


def format_candidate_table(rows, total: int | None = None, offset: int = 0) -> str:
    """Candidates (campaign.read_models.CandidateView), one line each; cost (USD/kg, raw materials)
    and density (g/cm3, rule-of-mixtures estimate) as computed when it was proposed.  With ``total``,
    a last line says which rows of how many these are."""
    if not rows:
        return "No candidates." if not total else f"No candidates from row {offset + 1} (there are {total})."
    lines = [f"{'id':>5}  {'formula':<34} {'p':>5} {'p2':>5}  {'at.%':>6}  {'USD/kg':>8} {'g/cm3':>5}  "
             f"{'status':<9} {'model':>5}  flags"]
    for c in rows:
        u = c.uncertainty or {}
        change = f"{c.change_at_pct:5.1f}" if c.change_at_pct is not None else "     -"
        p2 = (u.get("second_opinion") or {}).get("p_single")
        lines.append(
            f"{c.id:>5}  {c.formula:<34} {c.p_single:5.2f} {_num(p2, '.2f', 5)}  {change:>6}  "
            f"{_num(u.get('cost_usd_per_kg'), '.2f', 8)} {_num(u.get('density_g_cm3'), '.2f', 5)}  "
            f"{c.status:<9} {'v' + str(c.model_version_id):>5}  {','.join(c.flag_names) or '-'}"
            + (f"  {OUTSIDE_MARK}" if getattr(c, "outside_space", ()) else "")
        )
    legend = ["p2: independent second opinion (k nearest neighbours)"] * any(
        (c.uncertainty or {}).get("second_opinion") for c in rows)
    legend += ["at.%: change from the start alloy"] * any(c.change_at_pct is not None for c in rows)
    legend += ["outside space: not in the current design space (hea-campaign candidate ID says why)"] * any(
        getattr(c, "outside_space", ()) for c in rows)
    lines.append("; ".join(legend + ["USD/kg: raw materials at the prices when proposed (hea-campaign candidate ID: "
                                     "today's)", "g/cm3: rule-of-mixtures estimate"]))
    if total is not None:
        others = "; --offset and --limit show others" if offset > 0 or offset + len(rows) < total else ""
        lines.append(f"(rows {offset + 1}-{offset + len(rows)} of {total}{others})")
    return "\n".join(lines)


def _canonical(formula: str) -> str:
    from hea_campaign.campaign.chemistry import FormulaError, parse_formula

    try:
        return parse_formula(formula).formula
    except FormulaError:
        return formula


def proposal_summary(req, outcome, max_paths: int = 5) -> list[str]:
    """What a proposal run did, for the CLI and the TUI alike: the inversion paths (when few),
    the known alloys it met, and what it stored and dropped."""
    from hea_campaign.campaign.chemistry import proportion_note

    lines = [f"Note: start alloy {start}: {note}" for start in (getattr(req, "starts", None) or [])
             if (note := proportion_note(start))]
    since = getattr(outcome, "results_since", 0)
    if since:
        lines.append(f"Note: model version v{outcome.version_id} began training before {since} lab result(s) were "
                     "entered, corrected or withdrawn; it proposed without them (retrain to use them)")
    if req.mode == "invert" and len(outcome.paths) <= max_paths:
        for start, path in outcome.paths.items():
            end = path[-1]
            verdict = ("did NOT reach" if not end["p"] > req.cutoff
                       else "reached, outside the design space," if end.get("outside") else "reached")
            lines.append(f"Path from {start} ({req.inversion} loop, {verdict} the cutoff {req.cutoff}):")
            if path and _canonical(start) != path[0]["formula"]:
                lines.append(f"  (step 0 is {start} moved into the design space; the change is counted from "
                             f"{start} as it is: at.% {at_percent(_canonical(start))})")
            lines += path_lines(path)  # canonical formula and at.% on every step, as in the detail
        if any(step.get("outside") for path in outcome.paths.values() for step in path):
            lines.append(f"Steps marked [{OUTSIDE}] leave the design space (as the mark says): a path may pass "
                         "through them, and only ends at a step inside it; a stored candidate never is outside")
    dropped = ", ".join(f"{k}: {v}" for k, v in outcome.dropped.items() if v)
    lines += known_lines(getattr(outcome, "known", []))
    ids = ", ".join(map(str, outcome.candidate_ids))
    after_pool = sum(v for k, v in outcome.dropped.items() if k != "did not reach the cutoff")  # not produced
    left = outcome.produced - after_pool - len(outcome.candidate_ids)
    if left > 0:  # every number adds up to what was produced
        dropped = ", ".join(x for x in (dropped, _not_picked(outcome, req, left)) if x)
    weight = getattr(outcome, "prior_weight", None)
    if weight is not None and outcome.candidate_ids:
        lines.append(f"Ranked by p plus the physics rule's prior (at most +{weight:.3f} to p; it fades as "
                     "labels accumulate)")
    from hea_campaign.campaign.proposals import LATENT_COLLAPSED

    extent = getattr(outcome, "latent_extent", None)
    if extent is not None and extent < LATENT_COLLAPSED:
        lines.append(f"The active model's latent map has collapsed: every training alloy lies within {extent:.2f} of "
                     "one point, so every latent point decodes to about one alloy. Train longer (more epochs, or "
                     "the default) before generating from latent points")
    far = getattr(outcome, "outside_map", None)
    if far and not (extent is not None and extent < LATENT_COLLAPSED):
        lines.append(f"Latent point(s) {'; '.join(far)} lie outside the latent map of the training alloys (key m "
                     "in the TUI shows it): what they decode to was never learnt from data, so expect low p and "
                     "the 'inconsistent' flag")
    if req.mode == "screen":
        from hea_campaign.campaign.proposals import screening_keeps

        left_out = getattr(outcome, "left_out", None) or {}
        if left_out:
            lines.append("Left out of the screening: " + ", ".join(f"{e} ({why})" for e, why in left_out.items())
                         + f"; no candidate holds {'it' if len(left_out) == 1 else 'them'}")
        screened = getattr(outcome, "screened", None)
        count = (f"{screened:,} composition{'' if screened == 1 else 's'} inside the design space's element count "
                 "and bounds" if screened is not None else "the space")
        limits = " (those within its cost and density limits)" if _has_limits(outcome) else ""
        lines.append(f"Screened {count}; the best {screening_keeps(req.batch)}{limits} by score go on to the checks "
                     "below (all of them when there are fewer)")
    lines.append(
        f"Proposal run {outcome.run_id if outcome.run_id is not None else '(nothing stored)'}: "
        f"{outcome.produced} produced, {len(outcome.candidate_ids)} stored" + (f" (ids {ids})" if ids else "")
        + (f"; dropped - {dropped}" if dropped else "")
    )
    return lines


def format_proposal(req, outcome, stored, max_paths: int = 5) -> str:
    """A proposal run: its summary, then the stored candidates (CandidateViews)."""
    lines = proposal_summary(req, outcome, max_paths=max_paths)
    if stored:
        lines.append(format_candidate_table(stored))
    return "\n".join(lines)


def trust_lines(d) -> list[str]:
    """Second opinion, conformal set, nearest alloys, cost and density of a candidate detail."""
    u = d.candidate.uncertainty or {}
    out = []
    so = u.get("second_opinion")
    if so:
        out.append(f"  second opinion: p(single) {so['p_single']:.2f} from an independent {so['model'].replace('_', ' ')}")
    conf = u.get("conformal")
    if conf:
        held = " and ".join(conf["set"]) or "empty (neither class: single and multi phase each too unlikely)"
        out.append(f"  conformal set at {100 * conf['level']:g} %: {held}")
    nt = u.get("nearest_training_alloy")
    cutoff = getattr(d, "novel_cutoff", None)  # (at.%, percentile): what the novel flag compares nt with
    beyond = f"; flagged novel beyond {cutoff[0]:.1f} at.%" if cutoff else ""
    if nt:
        out.append(f"  nearest training alloy: {nt['formula']}, {nt['distance_at_pct']:.1f} at.% away{beyond}")
        out.append(f"    ({ordinal(round(nt['percentile']))} percentile of training alloys' own distances"
                   + (f"; the cutoff is their {ordinal(round(cutoff[1]))})" if cutoff else ")"))
    elif cutoff:
        out.append(f"  flagged novel beyond {cutoff[0]:.1f} at.% from every training alloy "
                   f"(the {ordinal(round(cutoff[1]))} percentile of their own distances)")
    near = getattr(d, "nearest_measured", None) or u.get("nearest_measured") or []
    if near:
        out.append("  nearest measured alloys:")
        out += [f"    {n['formula']:<34} {n['label']:<13} {n['distance_at_pct']:5.1f} at.% away" for n in near]
    if getattr(d, "cost_per_kg", None) is not None:
        batch = getattr(d, "ingot_batch", None)
        whose = f"the mass of export batch {batch}" if batch is not None else "the default mass: not exported"
        out.append(f"  raw-material cost: {d.cost_per_kg:.2f} USD/kg, {usd(d.cost_per_ingot)} per "
                   f"{d.ingot_g:g} g ingot ({whose}; prices: {d.price_source})")
    if getattr(d, "density", None) is not None:
        out.append(f"  density: {d.density:.2f} g/cm3 (rule-of-mixtures estimate)")
    return out


def format_explanation(formula: str, version_id: int, e, scorer_p: float | None = None) -> str:
    lines = [f"{formula}: p(single phase) = {scorer_p:.3f} (model v{version_id}'s scorer: the p that ranks "
             "candidates)"] if scorer_p is not None else []
    lines += [
        f"{'SSVAE head' if scorer_p is not None else formula}: p(single phase) = {e.prediction:.3f}"
        f"{'' if scorer_p is not None else f' (model v{version_id})'}; average over the background {e.base_value:.3f}",
        "SHAP contributions of the eight descriptors to the head's p (sum = p - average):",
    ]
    order = sorted(range(len(e.descriptor_names)), key=lambda j: -abs(e.contributions[j]))
    for j in order:
        n = e.descriptor_names[j]
        lines.append(f"  {n:>6} = {e.descriptors[j]:10.3f} {DESCRIPTOR_UNITS[n]:<10} {e.contributions[j]:+.3f}")
    return "\n".join(lines)


def _has_limits(outcome) -> bool:
    """Whether the run's design space limits cost or density (checked on each screened composition)."""
    c = getattr(outcome, "constraints", None)
    return c is not None and (c.max_cost_per_kg is not None or c.max_density is not None)


KNOWN_SHOWN = 10  # known alloys named one a line; the rest are counted


def known_lines(known: list[dict]) -> list[str]:
    """One line per known alloy a run left out (the first ``KNOWN_SHOWN``), naming measured alloys within
    granularity that disagree about the label, and a count of the rest."""
    seen: dict[str, dict] = {}  # several starts can reach one known alloy: one line for it
    for k in known:
        seen.setdefault(k["formula"], k)
    known = list(seen.values())
    lines = []
    for k in known[:KNOWN_SHOWN]:
        line = (f"Known: {k['formula']} is within granularity of measured {k['measured']} (the same elements, each "
                f"less than a step apart or within 1 at.%; {k['label']}, {k['distance_at_pct']:.1f} at.% away)")
        others = k.get("disagreeing") or []
        if others:
            line += "; within it too, and disagreeing: " + ", ".join(
                f"{o['formula']} ({o['label']}, {o['distance_at_pct']:.1f} at.% away)" for o in others[:2])
            line += f" and {len(others) - 2} more" if len(others) > 2 else ""
        lines.append(line + "; not stored")
    if len(known) > KNOWN_SHOWN:
        lines.append(f"... and {len(known) - KNOWN_SHOWN} more known alloy(s), not stored")
    return lines


def _not_picked(outcome, req, left: int) -> str:
    """What the pool left over after the batch: beyond the batch size, or, when the batch came out short,
    near copies of the picked candidates (a batch is never filled with them)."""
    if len(outcome.candidate_ids) >= req.batch:
        return f"not picked for a batch of {req.batch}: {left}"
    from hea_campaign.campaign.acquisition import distinct_at

    apart = 100 * distinct_at(getattr(getattr(outcome, "constraints", None), "granularity", None))
    return f"near copy of a picked candidate (within {apart:.3g} at.% in every element): {left}"
