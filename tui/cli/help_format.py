"""Readable `--help`: real metavars instead of Typer 0.29's type names (``<str>``, ``<bool>``),
and paragraphs that wrap to the terminal.

Flags show no value; an option with an explicit ``metavar`` shows it; choices
show ``[a|b|c]``; the rest show a name for what is expected (``N``, ``NUMBER``,
``PATH``) or the option's own name in capitals.  Typer 0.29 keeps the single
line breaks of a docstring's later paragraphs, so at 80 columns they broke
into a long and a short line each; they are joined, as Typer does for the
first paragraph (a paragraph starting with ``\b`` keeps its lines).
"""

from __future__ import annotations

_KIND = {"int": "N", "float": "NUMBER", "path": "PATH", "file": "FILE", "directory": "FOLDER", "bool": "yes|no"}


def _readable(original):
    def display_type_rich(self, ctx):
        if self.metavar is not None:
            return self.metavar or None
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return None
        shown = original(self, ctx)
        if not shown:
            return shown
        many = shown.endswith("...")
        inner = shown.removesuffix("...").strip("<>")
        if inner.startswith("list[") and inner.endswith("]"):
            inner, many = inner[5:-1], True
        if "|" in inner:
            label = f"[{inner}]"
        else:
            label = _KIND.get(inner) or (self.name or "value").upper()
        return label + ("..." if many else "")

    display_type_rich._readable = True
    return display_type_rich


def readable_metavars() -> None:
    """Install the readable metavars on Typer's parameter classes (once; harmless if Typer changes)."""
    try:
        from typer.core import TyperArgument, TyperOption
    except ImportError:  # pragma: no cover
        return
    for cls in (TyperOption, TyperArgument):
        current = getattr(cls, "display_type_rich", None)
        if current is not None and not getattr(current, "_readable", False):
            cls.display_type_rich = _readable(current)


def _joined(paragraphs: list[str], _markup_mode=None) -> str:
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split("\n")) for p in paragraphs)


def _joining(original):
    def format_help(self, ctx, formatter):
        from typer import rich_utils  # loaded only when help is shown (about 60 ms)

        if callable(getattr(rich_utils, "_fix_linebreaks", None)):
            rich_utils._fix_linebreaks = _joined
        return original(self, ctx, formatter)

    format_help._joining = True
    return format_help


def wrapped_paragraphs() -> None:
    """Join help paragraphs' lines whenever Typer renders help (harmless if Typer changes)."""
    try:
        from typer.core import TyperCommand, TyperGroup
    except ImportError:  # pragma: no cover
        return
    for cls in (TyperCommand, TyperGroup):
        current = getattr(cls, "format_help", None)
        if current is not None and not getattr(current, "_joining", False):
            cls.format_help = _joining(current)
