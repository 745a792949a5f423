"""The TUI forms' names for the options the shared checks name.

The checks in ``proposal_request`` and ``design_space_view`` serve the CLI and
the TUI alike, so their errors name the CLI's options (``--step``).  A form
shows labels instead; ``in_form_words`` rewrites an error so that it names the
field a user can see and change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# option -> the Propose tab's field label (the pane's Label texts; a test keeps them equal)
PROPOSE_FORM = {
    "--from": "start alloys", "--from-multi-phase": "or N multi-phase", "--cutoff": "cutoff p",
    "--max-steps": "max steps", "--keep-elements": "keep elements", "--seed": "seed of starts",
    "--latent": "latent points", "--p": "target p", "--screen": "screen elements", "--step": "step at.%",
    "--allowed": "allowed elements", "--banned": "banned elements", "--min": "min at.%", "--max": "max at.%",
    "--min-elements": "min elements", "--max-elements": "max elements", "--granularity": "granularity at.%",
    "--batch": "batch size", "--strategy": "strategy", "--loop": "mode",
}
# option -> the design-space form's field label
SPACE_FORM = {
    "--elements": "number of elements", "--at-pct": "at.% each element", "--granularity": "granularity at.%",
    "--allowed": "allowed elements", "--banned": "banned elements", "--min": "element minimum at.%",
    "--max": "element maximum at.%", "--max-cost": "max cost USD/kg", "--max-density": "max density g/cm3",
    "--prices": "lab price list CSV",
}
# options with no field in the TUI: said as the CLI's, so a user knows where to go
CLI_ONLY = ("--max-compositions",)

_OPTION = re.compile(r"--[a-z][a-z-]*")
_QUOTED = re.compile(r"((?<!\w)'[^']*'(?!\w))")  # what the user typed, echoed back: never rewritten (not "space's")
_UNIT_AGAIN = re.compile(r"'([^']*) ([^' ]+)' \(\2\)")  # 'max cost USD/kg' (USD/kg): the label has the unit
_WORD_AGAIN = re.compile(r"'([^']*) (\w+)' \2\b")  # 'latent points' points: the label has the word


def in_form_words(message: str, labels: Mapping[str, str]) -> str:
    """``message`` with every option the form has named by its field ('step at.%' for --step); text in
    quotes (a value as typed) stays as it is."""
    def name(m: re.Match) -> str:
        option = m.group()
        if option in labels:
            return f"'{labels[option]}'"
        return f"the CLI's {option}" if option in CLI_ONLY else option
    parts = _QUOTED.split(message)
    said = "".join(part if k % 2 else _OPTION.sub(name, part) for k, part in enumerate(parts))
    return _WORD_AGAIN.sub(r"'\1 \2'", _UNIT_AGAIN.sub(r"'\1 \2'", said))
