"""Plain-text summary of a simulated campaign: the strategy table and the one-sentence verdict."""

from __future__ import annotations

from .text import counted


def format_summary(result, rows) -> str:
    """The table: one line per strategy and milestone, medians [IQR] over repeats."""
    s = result.settings
    last = int(result.experiments[-1])
    lines = [
        f"Simulated campaign on {result.pool_name}: {result.pool_size} alloys, {result.pool_targets} targets "
        f"({s.target.text}); {result.eligible_targets_rate:.0%} of the alloys a strategy may pick are targets.",
        f"{counted(s.repeats, 'repeat')} x {counted(len(s.strategies), 'strategy', 'strategies')}; {s.initial} initial "
        f"alloys, then {counted(s.rounds, 'round')} "
        f"of {s.batch}; {s.test_fraction:.0%} held out for test accuracy. Median [IQR] over repeats.",
        "EF = found / found by random at the same experiments (inf: random found none; a repeat where neither "
        "found any is left out, and the cell says of how many repeats); AF = experiments random needs for the same count / "
        f"experiments used (>x: random did not get there within the run's {last} experiments).",
        "Reference strategies (what a lab can do without this tool): forest = random forest on the 8 descriptors, "
        "greedy; rule = mixing enthalpy in [-15, 5] kJ/mol, then smallest atomic size difference (no labels).",
        "vs best reference: targets found minus those of the best reference strategy at that point, repeat by "
        "repeat (same initial alloys): median [IQR], wins/ties/losses, Wilcoxon signed-rank p.",
        "",
        f"{'strategy':<9} {'exp.':>4}  {'found':<20} {'EF':<19} {'AF':<20} {'test accuracy':<21} "
        f"{'vs best reference'}",
    ]
    for r in rows:
        ef = "(reference)" if r.strategy == "random" else r.ef.format(2) + _of(r.ef, s.repeats)
        af = "(reference)" if r.strategy == "random" else r.af.format(2, bound=last / r.experiments)
        vs = r.paired.format() if getattr(r, "paired", None) is not None else ""
        lines.append(f"{r.strategy:<9} {r.experiments:>4}  {r.found.format(1):<20} {ef:<19} {af:<20} "
                     f"{r.test_accuracy.format(3):<21} {vs}".rstrip())  # fmt: skip
    return "\n".join(lines)


def verdict(result, rows, at: int = 40, bar: float = 1.5) -> str:
    """One sentence: did a strategy beat random with EF above ``bar`` at ``at`` experiments?"""
    here = [r for r in rows if r.experiments == at and r.strategy != "random"]
    if not here:
        return f"(the run does not reach {at} experiments; no verdict on EF at {at})"
    best = max(here, key=lambda r: r.ef.median if r.ef.n else -1)
    if best.ef.n and best.ef.median > bar:
        return f"At {at} experiments {best.strategy} beats random: EF {best.ef.format(2)} (> {bar})."
    return (f"At {at} experiments no strategy reaches EF {bar}: the best, {best.strategy}, has EF "
            f"{best.ef.format(2)}, {bar - best.ef.median:.2f} short.")  # fmt: skip


def default_verdict(result, strategy: str = "greedy", reference: str = "forest", at=(40, 160)) -> list[str]:
    """The shipping test of the default strategy: more targets than the forest, repeat by repeat."""
    from hea_campaign.campaign.simulation_report import learning_check, paired
    from hea_campaign.campaign.simulation_metrics import Spread, enhancement

    s = result.settings
    if strategy not in s.strategies or reference not in s.strategies:
        return []
    exps = list(result.experiments)
    mine, ref, rnd = result.curves(strategy), result.curves(reference), result.curves("random")
    lines = []
    for n in at:
        if n not in exps:
            continue
        j = exps.index(n)
        p = paired(mine[:, j], ref[:, j], reference)
        ef = Spread.of(enhancement(mine[:, j], rnd[:, j]))
        lines.append(f"{strategy} vs {reference} at {n} experiments: more targets in {p.wins} of {counted(s.repeats, 'repeat')} "
                     f"({p.ties} ties, {p.losses} losses), difference {p.difference.format(1)}, Wilcoxon p="
                     + ("n/a" if p.p_value != p.p_value else f"{p.p_value:.3f}") + f"; median EF {ef.median:.2f}")
    for name in s.strategies:
        check = learning_check(result, name)
        if check is not None:
            lines.append("learning curve, " + check.format())
    return lines


def _of(spread, repeats: int) -> str:
    """' (2 of 3)' when repeats were left out of a median (EF where neither random nor the strategy found any)."""
    return f" ({spread.n} of {repeats})" if 0 < spread.n < repeats else ""
