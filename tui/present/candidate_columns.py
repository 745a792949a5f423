"""The candidates table's columns and how they are laid out for the width there is.

A scientist looks at a candidate to see why it was proposed or rejected: the
reason must be on screen without scrolling sideways, also at 80 columns.
``fit_columns`` decides, from the widest text of each column and the width of
the table, which layout is drawn (``CandidateLayout``):

* wide (120 columns and more, usually): every column in ``COLUMNS`` order,
  a cell padding of one blank on each side, the reason cut to what the other
  columns leave (at least ``REASON_MIN``, or its whole text if shorter);
* compact: one blank between columns instead of two, the same order if the
  reason then gets its room, with several flags cut (``…``) to ``FLAGS_SOFT``
  if it needs them to (the detail, Enter, lists every flag);
* narrow (80 columns): one blank between columns, and the columns a person
  can do without while deciding (cost, density, at.%, model) move after the
  reason, reachable by scrolling right; the flags are cut as above if the
  reason needs the room.

Sorting does not depend on the layout: the database sorts by a column's key.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len

# short headers, as the CLI's `candidates` (p, at.%, USD/kg, g/cm3); the status before the flags, whose width has
# no bound (several flags)
COLUMNS = (("sel", " "), ("id", "id"), ("formula", "formula"), ("p", "p"), ("status", "status"), ("cost", "USD/kg"),
           ("density", "g/cm3"), ("flags", "flags"), ("change", "at.%"), ("model", "model"), ("reason", "reason"))
LABELS = dict(COLUMNS)
# the columns of numbers (and ids), right-aligned as the CLI's `candidates` aligns them; the others (the formula,
# the status, the flags, the reason: text) start at the left
RIGHT = frozenset({"id", "p", "cost", "density", "change", "model"})
# how a column's numbers are written, as the CLI's `candidates` and the detail write them: the change from the
# start alloy to 0.1 at.%; any other number to two decimals
FORMATS = {"change": ".1f"}
# what a person needs to decide on a candidate, in this order, then the reason; the rest follows the reason
# when the table is too narrow for all of them before it
FIRST = ("sel", "id", "formula", "p", "status", "flags")
AFTER_REASON = ("cost", "density", "change", "model")
REASON_WIDTH = 40  # a long rejection reason is cut here in the table; the detail shows it whole
REASON_MIN = 20  # the reason gets at least this much room (or its whole text, if shorter) before others move
FLAGS_SOFT = 12  # several flags are cut to this ("out_of_range" is whole) when the reason needs the room
OUTSIDE_MARK = "outside space"  # after the flags, as the CLI's `candidates` marks it: not in the current design space


def flags_text(flag_names, outside_space=()) -> str:
    """The flags cell: the flag names, then the mark of a candidate outside the current design space (a space
    tightened after it was proposed; the detail, Enter, says why), as the CLI's `candidates` writes them."""
    flags = ",".join(flag_names)
    if not outside_space:
        return flags or "-"
    return f"{flags}  {OUTSIDE_MARK}" if flags else OUTSIDE_MARK


@dataclass(frozen=True)
class CandidateLayout:
    """Which columns, in which order (keys, left to right), how wide (``widths``: the text's cells, the
    blank between columns not included), and the blanks around each cell: ``padding`` on both sides
    (the DataTable's ``cell_padding``) and ``gap`` on the right only (kept blank when a text is cut)."""

    order: tuple[str, ...]
    widths: dict[str, int]
    padding: int
    gap: int

    def render_width(self, key: str) -> int:
        return self.widths[key] + 2 * self.padding + self.gap


def natural_widths(widths: dict[str, int]) -> dict[str, int]:
    """Every column's widest text, its header included (``widths``: the widest cell seen per key)."""
    return {key: max(cell_len(label), widths.get(key, 0)) for key, label in COLUMNS}


def fit_columns(natural: dict[str, int], room: int) -> CandidateLayout:
    """The layout of a table ``room`` cells wide for columns whose widest texts are ``natural``."""
    reason = natural["reason"]
    wanted = min(reason, max(REASON_MIN, cell_len(LABELS["reason"])))  # the reason's room before others move
    order = tuple(key for key, _ in COLUMNS)
    for padding, gap, flags in ((1, 0, None), (0, 1, None), (0, 1, FLAGS_SOFT)):
        widths = dict(natural)
        if flags is not None:
            widths["flags"] = min(widths["flags"], flags)
        per_column = 2 * padding + gap
        left = room - sum(widths[key] + per_column for key in order if key != "reason") - per_column
        if left >= wanted:
            return CandidateLayout(order, {**widths, "reason": min(reason, left)}, padding, gap)
    order = (*FIRST, "reason", *AFTER_REASON)
    widths = dict(natural)
    left = room - sum(widths[key] + 1 for key in FIRST) - 1
    if left < wanted and widths["flags"] > FLAGS_SOFT:
        cut = min(widths["flags"] - FLAGS_SOFT, wanted - left)
        widths["flags"] -= cut
        left += cut
    widths["reason"] = max(min(reason, left), wanted)  # too narrow even so: the table scrolls to the reason
    return CandidateLayout(order, widths, 0, 1)
