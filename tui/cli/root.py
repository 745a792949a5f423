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

from hea_campaign.campaign.chemistry import FormulaError
from hea_campaign.campaign.errors import CampaignError

from .options import UserError

app = typer.Typer(
    name="hea-campaign",
    help="Active-learning campaign for single-phase high-entropy alloys: store, model, proposals and lab loop.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    """Entry point: run the Typer app, turning user-fixable errors into one line."""
    from sqlalchemy.exc import DBAPIError

    from hea_campaign.db.engine import describe_db_error
    from hea_campaign.db.migrate import SchemaOutOfDate

    try:
        app(args=argv, standalone_mode=False)
    except (CampaignError, FormulaError, UserError, SchemaOutOfDate) as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except DBAPIError as exc:  # e.g. db upgrade against a server that is down or refuses the login
        typer.echo(f"error: the database refused: {describe_db_error(exc)}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except Exception as exc:  # click usage errors and friends
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            typer.echo("aborted", err=True)
            return 1
        raise
    return 0


def entry() -> None:
    sys.exit(main())
