"""Which key hints a one-line footer leaves out when they do not all fit (80 columns).

Every key is still listed by F1 and the command palette.  The footer keeps
Help and the keys of what is on screen (the current tab, the open screen),
and gives up first what is shown elsewhere: the command palette's own hint,
then the group of go-to keys (the tab bar names the tabs), then the other
app-wide keys (Quit, ...), and only then the screen's keys, from the right.
"""

from __future__ import annotations

from collections.abc import Sequence

PALETTE, GROUP, APP, SCREEN, HELP = "palette", "group", "app", "screen", "help"
GIVE_UP = (PALETTE, GROUP, APP, SCREEN)  # the first goes first; Help stays


def hints_to_hide(hints: Sequence[tuple[str, int]], width: int) -> set[int]:
    """The positions of the hints to leave out so that the others fit in ``width`` cells.

    ``hints``: (kind, width in cells, margins included) of each hint, left to right.
    """
    hidden: set[int] = set()
    total = sum(w for _, w in hints)
    for kind in GIVE_UP:
        for i in reversed(range(len(hints))):  # the rightmost first
            if total <= width:
                return hidden
            if hints[i][0] == kind:
                hidden.add(i)
                total -= hints[i][1]
    return hidden


def quit_hint(keys: Sequence[str]) -> str:
    """What Ctrl+C says, in plain words: the keys that quit (a letter key types in a text field instead)."""
    combos = [k for k in dict.fromkeys(keys) if len(k) > 1]
    letters = [k for k in dict.fromkeys(keys) if len(k) == 1]
    text = f"Press {' or '.join(combos or letters)} to quit the app"
    if combos and letters:
        text += f" ({' or '.join(letters)} too, outside a text field)"
    return text + "."
