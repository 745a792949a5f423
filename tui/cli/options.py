"""Command-line options shared by every command module, the store opener and the output function."""

from typing import Annotated, Optional

import typer

from ..present.text import plain

DbOption = Annotated[
    Optional[str],
    typer.Option(
        "--db", envvar="HEA_CAMPAIGN_DB", metavar="STORE",
        help="Store: a SQLite file path or a SQLAlchemy URL \\[default: ./hea-campaign.db].",
    ),
]


def _campaign_name(value: str) -> str:
    """--campaign is never empty or blank (checked as the command line is read, for every command)."""
    from ..present.checks import campaign_name

    return campaign_name(value)


CampaignOption = Annotated[str, typer.Option("--campaign", metavar="NAME", help="Campaign name inside the store.",
                                             callback=_campaign_name)]


def _by_name(value: Optional[str]) -> Optional[str]:
    """--by, else HEA_CAMPAIGN_BY, is checked as the command line is read, for every command, by the rule
    the TUI uses too (campaign/actors.py: not blank, fits the store's who-columns, no control characters);
    stripped.  Read here, not by Click's envvar (which takes an empty variable for unset), so that a blank
    or empty HEA_CAMPAIGN_BY is refused naming it."""
    from hea_campaign.campaign.actors import given_actor

    return given_actor(value, "--by")


ByOption = Annotated[Optional[str], typer.Option(
    "--by", metavar="NAME", help="Who is acting: recorded in the audit trail \\[default: $HEA_CAMPAIGN_BY, else the "
                                 "OS user].", callback=_by_name)]


CapitalsYes = Annotated[bool, typer.Option(
    "--yes", help="Read a formula typed all in capitals as written (CONI as C, O, N and I) even though its "
                  "letters also spell another alloy (CoNi); without it, that is refused with the alloy "
                  "it may mean.")]


def given(ctx: typer.Context, name: str, value):
    """``value`` if the user gave option ``name``, else None: the shared request builder then applies the
    default itself and knows it did (an error can say a value is the default only when it is)."""
    source = ctx.get_parameter_source(name)
    return None if source is not None and source.name == "DEFAULT" else value


def given_options(ctx: typer.Context, names) -> list[str]:
    """The options among parameter ``names`` that the user typed, as typed ('max_steps' -> '--max-steps')."""
    out = []
    for name in names:
        source = ctx.get_parameter_source(name)
        if source is not None and source.name != "DEFAULT":
            out.append("--" + name.replace("_", "-"))
    return out


class UserError(Exception):
    """Raised inside commands for problems with the user's input (printed as one `error:` line)."""


def echo(text: object = "", err: bool = False) -> None:
    """Print command output with control and escape characters neutralised (user text is never obeyed)."""
    typer.echo(plain(text), err=err)


def open_store(db: str | None, campaign: str, by: str | None = None, create: bool = False):
    """Open the campaign store named on the command line.

    Only `init` creates (``create=True``); every other command refuses a store
    path or a campaign name that does not exist, suggesting the closest names.
    """
    from hea_campaign.campaign.actors import actor_name
    from hea_campaign.campaign.store import CampaignStore

    return CampaignStore.open(db, campaign=campaign, actor=actor_name(by, "--by"), create=create)
