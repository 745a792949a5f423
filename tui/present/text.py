"""User text made safe to show: control and escape characters neutralised, markup never interpreted.

Anything a user typed (a name given with --by, notes, a formula, a file name)
can reach a terminal.  ``plain`` writes control characters (ESC, CR, BEL, ...)
and the bidirectional overrides as visible ``\\x1b``-style escapes, so a note
cannot move the cursor, clear the screen or reorder text.  The Textual app
shows user text as ``rich.text.Text`` (never parsed as markup).
"""

from __future__ import annotations

import re

# C0 and C1 controls except newline, DEL, and the bidi embeddings/overrides/isolates.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match) -> str:
    ch = m.group()
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def plain(text: object) -> str:
    """Text with control characters shown as escapes; newlines kept (our own line breaks)."""
    return _UNSAFE.sub(_escape, str(text))


def one_line(text: object) -> str:
    """Text on one line: newlines and every other control character shown as escapes."""
    return _UNSAFE_ONE_LINE.sub(_escape, str(text))


LINE_BREAK = "\u23ce"  # ⏎: a line break of a result's notes in a one-line form field


def notes_for_field(notes: str | None) -> str:
    """A result's notes in a one-line text field: each line break shown as ⏎ (a raw newline in the field
    broke the screen's layout); ``notes_from_field`` gives the same notes back."""
    return (notes or "").replace("\r\n", "\n").replace("\n", LINE_BREAK)


def notes_from_field(value: str) -> str:
    """What a one-line notes field stores: each ⏎ is a line break."""
    return value.replace(LINE_BREAK, "\n")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 seed', '5 seeds': a count with its noun in the number it needs."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def fit_url(url: str, room: int) -> str:
    """``url`` in at most ``room`` characters, cut in the middle so that its last part (the store's file
    name or database) stays: 'sqlite:////home/ana/…/lab.db'."""
    if len(url) <= room:
        return url
    tail = url[url.rstrip("/").rfind("/"):]
    if len(tail) + 1 >= room:
        return "…" + url[-(room - 1):] if room > 1 else "…"
    return url[:room - 1 - len(tail)] + "…" + tail
