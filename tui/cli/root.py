"""The root of the `hea-campaign` command line: the Typer app, command discovery, the error handler.

Every command opens the store named by ``--db`` (or ``HEA_CAMPAIGN_DB``, or
``hea-campaign.db`` here), makes one call into campaign/, and prints the
result.  Problems the user can fix are printed as one sentence with exit
status 2, never as a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

app = typer.Typer(
    name="hea-campaign",
    help="Active-learning campaign for single-phase high-entropy alloys: store, model, proposals and lab loop.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    """``--version``: the installed release (what a bug report and ``db upgrade``'s messages name)."""
    if wanted:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"hea-campaign {version('hea-campaign')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("hea-campaign (not installed: no version recorded)")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the installed version and exit."),
) -> None:
    """Options before any command (the help text is the app's)."""


def register_command_modules() -> None:
    """Every module of this package with a ``register(app)`` function adds its commands.

    Found, not listed, so helpers adding command groups never edit the same line;
    the store commands (init, import, status...) come first in --help, the rest by module name.
    """
    import importlib
    import pkgutil

    names = sorted((m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_")),
                   key=lambda n: (n != "store_commands", n))
    for name in names:
        module = importlib.import_module(f"{__package__}.{name}")
        if callable(getattr(module, "register", None)):
            module.register(app)


register_command_modules()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command; every failure is one `error:` line (see errors.py)."""
    from hea_campaign.campaign.writer_wait import say_when_waiting

    from .errors import INTERRUPTED, handle, say_interrupted
    from .help_format import readable_metavars, wrapped_paragraphs

    readable_metavars()
    wrapped_paragraphs()
    undecodable = _not_utf8(sys.argv[1:] if argv is None else argv)
    if undecodable is not None:
        from .errors import USAGE, say

        say(f"{undecodable} holds bytes that are not UTF-8 text (a file name made on another system?), which "
            "the store and the files this tool writes cannot hold; nothing was done: rename the file, or type it "
            "again in UTF-8")
        return USAGE
    say_when_waiting(_say_waiting)
    try:
        result = app(args=argv, standalone_mode=False, prog_name="hea-campaign")
    except BaseException as exc:  # noqa: BLE001 - the root handler: nothing escapes as a traceback
        if isinstance(exc, SystemExit):
            return exc.code if isinstance(exc.code, int) else 0
        return handle(exc)
    finally:
        say_when_waiting(None)
    if result == INTERRUPTED:  # Typer turns Ctrl+C into a quiet exit status 130: say what it means
        say_interrupted()
    return result if isinstance(result, int) else 0


def _not_utf8(args: list[str]) -> str | None:
    """The first argument that the OS gave with bytes UTF-8 cannot decode (Python keeps them as lone
    surrogates, which fail only later, when written: as an internal error, after the store was touched)."""
    for arg in args:
        if any("\udc80" <= ch <= "\udcff" for ch in arg):
            return "'" + arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") + "'"
    return None


def _say_waiting() -> None:
    """A write that waits for another program's lock says so on stderr instead of sitting silent."""
    sys.stderr.write("waiting for the store: another program is writing to it (a large import?); "
                     "this command goes on when it has finished, or gives up after a while\n")
    sys.stderr.flush()


def entry() -> None:
    code = main()
    # Done: a Ctrl+C now (while the interpreter shuts down) would turn a command that has committed into
    # exit status 130, which a script reads as failed.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)
