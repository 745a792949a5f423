"""What each candidate flag is evidence of, as ``evaluate --flags`` measured it (standard library only).

On held-out alloys (README, "Do the flags mean something?") alloys flagged
``uncertain`` or ``disputed`` were predicted clearly worse than the others, and
``inconsistent`` says the re-scored p missed its target: these warn that p may
be wrong.  ``novel``, ``low_density`` and ``out_of_range`` say where the alloy
lies against the data; alloys so flagged were not predicted worse (``low_density``
ones better), so they are shown as notes, not warnings.
"""

from __future__ import annotations

P_MAY_BE_WRONG = ("uncertain", "disputed", "inconsistent")
WHERE_IT_LIES = ("novel", "low_density", "out_of_range")


def warns(flag: str) -> bool:
    """A flag that warns that p may be wrong (the others note where the alloy lies)."""
    return flag not in WHERE_IT_LIES
