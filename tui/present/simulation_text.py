"""Plain-text summary of a simulated campaign: the strategy table and the one-sentence verdict."""

from __future__ import annotations


def format_summary(result, rows) -> str:
    """The table: one line per strategy and milestone, medians [IQR] over repeats."""
    s = result.settings
    last = int(result.experiments[-1])
    lines = [
        f"Simulated campaign on {result.pool_name}: {result.pool_size} alloys, {result.pool_targets} targets "
        f"({s.target.text}); {result.eligible_targets_rate:.0%} of the alloys a strategy may pick are targets.",
        f"{s.repeats} repeats x {len(s.strategies)} strategies; {s.initial} initial alloys, then {s.rounds} rounds "
        f"of {s.batch}; {s.test_fraction:.0%} held out for test accuracy. Median [IQR] over repeats.",
        "EF = found / found by random at the same experiments; AF = experiments random needs for the same count / "
        f"experiments used (>x: random did not get there within the run's {last} experiments).",
        "",
        f"{'strategy':<9} {'exp.':>4}  {'found':<20} {'EF':<19} {'AF':<20} {'test accuracy':<21}",
    ]
    for r in rows:
        ef = "(reference)" if r.strategy == "random" else r.ef.format(2)
        af = "(reference)" if r.strategy == "random" else r.af.format(2, bound=last / r.experiments)
        lines.append(f"{r.strategy:<9} {r.experiments:>4}  {r.found.format(1):<20} {ef:<19} {af:<20} "
                     f"{r.test_accuracy.format(3)}".rstrip())  # fmt: skip
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
