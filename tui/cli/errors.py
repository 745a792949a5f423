"""The root error handler: every failure the user can cause becomes one `error:` line and exit status 2.

Typer 0.29 bundles its own click (``typer._click``); older Typer uses the
``click`` package.  Both kinds of usage error are handled here, with every
``CampaignError``, store and migration errors, and OS errors (a missing file,
a folder given as a file, a full disk).  Anything else is a bug: still one
line (exit status 1), with the traceback only when ``HEA_CAMPAIGN_DEBUG`` is set.
"""

from __future__ import annotations

import errno
import os
import re
import sys

import typer

from hea_campaign.campaign.errors import CampaignError

from ..present.text import one_line
from .options import UserError

USAGE = 2
INTERRUPTED = 130


def _click_modules() -> list:
    mods = []
    try:
        import typer._click.exceptions as bundled  # typer >= 0.24 bundles click

        mods.append(bundled)
    except ImportError:  # pragma: no cover - older typer
        pass
    try:
        import click.exceptions as separate

        mods.append(separate)
    except ImportError:  # pragma: no cover
        pass
    return mods


_progress = {"open": False}  # a progress line ("\r..." without a newline) is on the terminal


def progress_line(text: str) -> None:
    """Rewrite the progress line on stderr in place."""
    print("\r" + text, end="", file=sys.stderr, flush=True)
    _progress["open"] = True


def end_progress_line() -> None:
    """End the progress line, if one is open, so that what follows starts on a line of its own."""
    if _progress["open"]:
        print(file=sys.stderr, flush=True)
        _progress["open"] = False


def say(message: str) -> None:
    """One line on stderr, control characters neutralised."""
    end_progress_line()
    typer.echo(f"error: {one_line(message)}", err=True)


_PYDANTIC_WORDING = (
    ("Value error, ", ""),
    ("Input should be a valid integer, unable to parse string as an integer", "not a whole number"),
    ("Input should be a valid number, unable to parse string as a number", "not a number"),
    ("Input should be a valid integer", "not a whole number"),
    ("Input should be a valid number", "not a number"),
    ("Input should be greater than or equal to", "it must be at least"),
    ("Input should be less than or equal to", "it must be at most"),
    ("Input should be greater than", "it must be more than"),
    ("Input should be less than", "it must be less than"),
)


# positional id arguments, by metavar: what their numbers are called
_ID_ARGUMENTS = {"VERSION": "model version numbers", "ID": "ids", "ID...": "ids", "BATCH": "batch ids",
                 "MEASUREMENT": "measurement ids"}


def _negative_id(exc) -> str | None:
    """`activate -1`: Click reads the negative number as an unknown option; say what the number needs."""
    name, ctx = getattr(exc, "option_name", None) or "", getattr(exc, "ctx", None)
    if ctx is None or ctx.command is None or not re.fullmatch(r"-\d+", name):
        return None
    words = [_ID_ARGUMENTS[p.metavar] for p in ctx.command.params
             if p.param_type_name == "argument" and p.metavar in _ID_ARGUMENTS]
    if not words:
        return None
    if words[0] == _ID_ARGUMENTS["VERSION"]:
        from ..present.checks import version_number

        try:
            version_number(int(name))
        except CampaignError as refused:
            return str(refused)
    return f"{words[0]} start at 1 (got {name}) (see: {ctx.command_path} --help)"


def _usage_message(exc) -> str:
    said = _negative_id(exc)
    if said is not None:
        return said
    msg = exc.format_message()
    for old, new in _PYDANTIC_WORDING:
        msg = msg.replace(old, new)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and getattr(ctx, "command_path", None):
        msg += f" (see: {ctx.command_path} --help)"
    return msg


def _os_message(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        what = "the disk is full (no space left on the device); nothing was saved"
    elif isinstance(exc, IsADirectoryError):
        what = "is a folder, not a file"
    elif isinstance(exc, FileNotFoundError):
        what = "no such file or folder"
    name = exc.filename if exc.filename is not None else ""
    return f"{name}: {what}" if name else what


def say_interrupted() -> None:
    """What a Ctrl+C left: every write is one transaction (an export's file and record are settled together)."""
    end_progress_line()
    typer.echo("interrupted (Ctrl+C): every write is all or nothing, so none is left half-done", err=True)


def handle(exc: BaseException) -> int:
    """Print ``exc`` as one line and return the exit status."""
    if isinstance(exc, KeyboardInterrupt):
        say_interrupted()
        return INTERRUPTED
    if isinstance(exc, typer.Exit) or type(exc).__name__ == "Exit":
        return getattr(exc, "exit_code", 0) or 0
    if isinstance(exc, typer.Abort) or type(exc).__name__ == "Abort":
        say_interrupted()
        return INTERRUPTED
    for mod in _click_modules():
        if isinstance(exc, mod.NoArgsIsHelpError) if hasattr(mod, "NoArgsIsHelpError") else False:
            typer.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            return 0
        if isinstance(exc, mod.UsageError):
            say(_usage_message(exc))
            return USAGE
        if isinstance(exc, mod.ClickException):
            say(exc.format_message())
            return USAGE
        if hasattr(mod, "Exit") and isinstance(exc, mod.Exit):
            return exc.exit_code
        if hasattr(mod, "Abort") and isinstance(exc, mod.Abort):
            say_interrupted()
            return INTERRUPTED
    if isinstance(exc, (CampaignError, UserError)):
        say(str(exc))
        return USAGE
    if isinstance(exc, OSError):
        say(_os_message(exc))
        return USAGE
    if isinstance(exc, OverflowError):  # a number beyond what the store holds, if a check missed it
        say(f"a number is too large: {exc}")
        return USAGE
    message = _library_error(exc)
    if message is not None:
        say(message)
        return USAGE
    say(f"internal error ({type(exc).__name__}: {exc}); please report it (HEA_CAMPAIGN_DEBUG=1 shows details)")
    if os.environ.get("HEA_CAMPAIGN_DEBUG"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    return 1


def _library_error(exc: BaseException) -> str | None:
    """Errors of the store and migration libraries that a user's input causes."""
    mod = type(exc).__module__ or ""
    if mod.startswith("sqlalchemy"):
        from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

        from hea_campaign.campaign.store import describe_db_error

        if isinstance(exc, DBAPIError):
            return f"the database refused: {describe_db_error(exc)}"
        if isinstance(exc, (ArgumentError, NoSuchModuleError)):
            return f"cannot use that store address: {exc}"
    if mod.startswith("alembic"):
        return f"schema migration: {exc}"
    if any(k.__name__ in ("SchemaOutOfDate", "StoreReplaced") for k in type(exc).__mro__):  # also SchemaTooNew
        return str(exc)
    return None
