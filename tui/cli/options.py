"""Command-line options shared by every command module."""

from typing import Annotated, Optional

import typer

DbOption = Annotated[
    Optional[str],
    typer.Option(
        "--db", envvar="HEA_CAMPAIGN_DB",
        help="Store: a SQLite file path or a SQLAlchemy URL \\[default: ./hea-campaign.db].",
    ),
]
CampaignOption = Annotated[str, typer.Option("--campaign", help="Campaign name inside the store.")]
ByOption = Annotated[Optional[str], typer.Option("--by", help="Who is acting (defaults to the OS user).")]


def open_store(db: str | None, campaign: str, by: str | None = None, create: bool = True):
    """Open the campaign store named on the command line (creating it unless ``create`` is false)."""
    from hea_campaign.campaign.store import CampaignStore

    return CampaignStore.open(db, campaign=campaign, actor=by, create=create)


class UserError(Exception):
    """Raised inside commands for problems with the user's input (printed as one `error:` line)."""
