"""Parsing and range checks for what a user types, shared by the CLI and the TUI.

Each function takes the value as typed (a string from a form field, or the
number Typer already converted) and returns the checked value or raises
``CampaignError`` with one sentence that names the option and what it needs.
"""

from __future__ import annotations

import math
from pathlib import Path

from hea_campaign.campaign.errors import CampaignError

DB_ID_MAX = 2**31 - 1  # the id columns are PostgreSQL's integer (SQLite's hold more, but never get there)
SEED_MAX = 2**32 - 1  # numpy and torch seeds


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def number(value, name: str, *, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, hi_open: bool = False) -> float:
    """A finite float within [lo, hi] (or the open ends asked for)."""
    try:
        x = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise CampaignError(f"{name} must be a number (got '{value}')") from None
    if not math.isfinite(x):
        raise CampaignError(f"{name} must be a finite number (got '{value}')")
    if lo is not None and (x <= lo if lo_open else x < lo) or hi is not None and (x >= hi if hi_open else x > hi):
        raise CampaignError(f"{name} must be {_interval(lo, hi, lo_open, hi_open)} (got {x:g})")
    return x


def _interval(lo, hi, lo_open: bool, hi_open: bool) -> str:
    """'in [0, 1]' when both ends are finite; 'more than 0' rather than '(0, inf]' when one is open-ended."""
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if hi is None:
        return f"{'more than' if lo_open else 'at least'} {lo:g}"
    return f"{'less than' if hi_open else 'at most'} {hi:g}"


def integer(value, name: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """A whole number within [lo, hi]; '²' and '1.5' are refused, not crashed on."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise CampaignError(f"{name} must be a whole number (got '{value}')")
    if isinstance(text, str):
        digits = text[1:] if text[:1] in "+-" else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 30:
            raise CampaignError(f"{name} must be a whole number (got '{value}')")
        text = int(text)
    if (lo is not None and text < lo) or (hi is not None and text > hi):
        bounds = f"between {lo} and {hi}" if lo is not None and hi is not None else _interval(lo, hi, False, False)
        raise CampaignError(f"{name} must be {bounds} (got {text})")
    return text


def record_id(value, name: str = "the id") -> int:
    """A database id: 1 .. 2^63 - 1."""
    return integer(value, name, lo=1, hi=DB_ID_MAX)


def version_number(value) -> int:
    """A model version number as `activate` takes it: 0 and negative numbers refused in those words."""
    v = integer(value, "the model version", hi=DB_ID_MAX)
    if v < 1:
        raise CampaignError(f"model version numbers start at 1 (got {v}); list them with: hea-campaign models")
    return v


def seed(value, name: str = "--seed") -> int:
    return integer(value, name, lo=0, hi=SEED_MAX)


def campaign_name(value, name: str = "--campaign") -> str:
    """A campaign name: not empty, not only spaces."""
    if is_blank(value):
        state = "empty" if not value else "blank (only spaces)"
        raise CampaignError(f"{name} is {state}; give a campaign name (the default one is 'default')")
    return value


# What each kind of output is, and the file name endings that say so.
CSV_SUFFIXES = (".csv", ".txt")
JSON_SUFFIXES = (".json",)
PNG_SUFFIXES = (".png",)
_KIND_OF = {CSV_SUFFIXES: "CSV text", JSON_SUFFIXES: "JSON", PNG_SUFFIXES: "a PNG image"}


def output_file(value, name: str, suffixes: tuple[str, ...] | None = None, *, what: str | None = None) -> Path:
    """A file to write, as typed: not empty, in a folder that exists, not a folder itself, and
    (with ``suffixes``) named with an ending that says what is written in it.

    Messages quote the path as typed, never a temporary name or Path's reading of it
    (an empty string would be read as the current folder).
    """
    if is_blank(value):
        state = "empty" if not value else "blank (only spaces)"
        raise CampaignError(f"{name} is {state}; give the name of the file to write")
    text = str(value)
    path = Path(text).expanduser()
    if path.is_dir():
        raise CampaignError(f"{name} {text}: is a folder, not a file")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        kind = what or _KIND_OF.get(suffixes, "this format")
        endings = " or ".join(suffixes)
        got = f"ends in '{path.suffix}'" if path.suffix else "has no file extension"
        raise CampaignError(f"{name} {text}: {got}, but {kind} is written; name the file with {endings}")
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise CampaignError(f"{name} {text}: the folder {folder} {problem}")
    _probe(folder, f"{name} {text}")
    return path


def _probe(folder: Path, said: str) -> None:
    """Write and remove an empty file in ``folder``: a folder that cannot be written (a read-only mount;
    permissions, which root ignores but a mount does not) is said before the work, not after an hour of it."""
    import os
    import tempfile

    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".hea-campaign-probe-")
    except OSError as exc:
        raise CampaignError(f"{said}: cannot write in the folder {folder} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def replacing(path) -> str:
    """What to add after a file's name when writing it replaces a file already there ('' otherwise):
    plots and per-round CSVs are replaced, never silently."""
    return " (replaced the file that was there)" if Path(path).expanduser().is_file() else ""


def names(text, name: str, *, unique: bool = True) -> list[str]:
    """'Fe, Ni,Co' -> ['Fe', 'Ni', 'Co']; a name given twice is refused (it would be silently merged).

    A repeated option arrives as a list (``--allowed Fe,Ni --allowed Co``): every value counts."""
    if isinstance(text, (list, tuple)):
        text = ",".join(str(t) for t in text if t is not None)
    items = [t.strip() for t in (text or "").split(",") if t.strip()]
    if unique:
        seen = sorted({t for t in items if items.count(t) > 1})
        if seen:
            raise CampaignError(f"{name} names {', '.join(seen)} more than once")
    return items
