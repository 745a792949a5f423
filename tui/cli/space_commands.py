"""Design-space commands: `space show` and `space set` (and a lab price list)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .options import ByOption, CampaignOption, DbOption, echo
from .options import open_store as _open


def register(app: typer.Typer) -> None:
    space = typer.Typer(help="The campaign's design space: what every proposal must satisfy.\n\n"
                             "Example: hea-campaign space show", no_args_is_help=True)
    app.add_typer(space, name="space")

    @space.command("show")
    def show(db: DbOption = None, campaign: CampaignOption = "default") -> None:
        """Show the design space every proposal mode applies (defaults: 4-6 elements, each 5-35 at.%).

        Example: hea-campaign space show
        """
        from hea_campaign.campaign.design_space import show as load

        from ..present.design_space_view import design_space_lines

        echo("\n".join(design_space_lines(load(_open(db, campaign)))))

    @space.command("set")
    def set_(
        db: DbOption = None,
        campaign: CampaignOption = "default",
        elements: Annotated[Optional[str], typer.Option(metavar="LOW-HIGH", help="Number of elements, 'low-high', e.g. 4-6.")] = None,
        at_pct: Annotated[Optional[str], typer.Option("--at-pct", metavar="LOW-HIGH", help="Every element present, at.% 'low-high', e.g. 5-35.")] = None,
        allowed: Annotated[Optional[list[str]], typer.Option(metavar="ELEMENTS", help="Only these elements (comma-separated; repeat it to add more; 'any' allows every element, as --any-elements).")] = None,
        any_elements: Annotated[bool, typer.Option("--any-elements", help="Allow every element of the vocabulary again.")] = False,
        banned: Annotated[Optional[list[str]], typer.Option(metavar="ELEMENTS", help="Never these elements (comma-separated; repeat it to add more; 'none' clears the list).")] = None,
        min_frac: Annotated[Optional[list[str]], typer.Option("--min", metavar="EL:AT%,...", help="Required element minimum in at.%, e.g. 'Al:5'; repeat it or separate with commas; 'none' clears every minimum.")] = None,
        max_frac: Annotated[Optional[list[str]], typer.Option("--max", metavar="EL:AT%,...", help="Element maximum in at.%, e.g. 'Cr:30' (Fe:1 is 1 at.%); repeat it or separate with commas; 'none' clears every maximum.")] = None,
        granularity: Annotated[Optional[float], typer.Option(metavar="AT%", help="Lab granularity in at.% (must divide 100): every proposal is rounded to this grid, and a candidate within one step of a measured alloy with the same elements is known, not new.")] = None,
        max_cost: Annotated[Optional[float], typer.Option(metavar="USD/KG", help="Maximum raw-material cost, USD per kg.")] = None,
        no_max_cost: Annotated[bool, typer.Option("--no-max-cost", help="Remove the cost limit.")] = False,
        max_density: Annotated[Optional[float], typer.Option(metavar="G/CM3", help="Maximum density, g/cm3 (rule-of-mixtures estimate).")] = None,
        no_max_density: Annotated[bool, typer.Option("--no-max-density", help="Remove the density limit.")] = False,
        prices: Annotated[Optional[str], typer.Option(metavar="CSV", help="A lab price list CSV (columns element, usd_per_kg) that overrides pymatgen's 2013 prices. It replaces any list set before; elements it leaves out keep pymatgen's price.")] = None,
        no_prices: Annotated[bool, typer.Option("--no-prices", help="Remove the lab price list: pymatgen's prices apply again.")] = False,
        reset: Annotated[bool, typer.Option("--reset", help="Start from the defaults (4-6 elements, 5-35 at.%, 1 at.%); a lab price list stays.")] = False,
        by: ByOption = None,
    ) -> None:
        """Change the design space (only the settings given); proposals outside it are never stored.

        Example: hea-campaign space set --elements 4-5 --at-pct 5-35 --banned Li,Au --max-cost 50
        """
        from hea_campaign.campaign.design_space import change_design_space, show as load

        from ..present.design_space_view import design_space_change_line, design_space_lines, space_changes

        changes = space_changes(allowed=allowed, banned=banned, elements=elements, at_pct=at_pct, min_frac=min_frac,
                                max_frac=max_frac, granularity=granularity, max_cost=max_cost,
                                max_density=max_density, no_max_cost=no_max_cost, no_max_density=no_max_density,
                                any_elements=any_elements)
        store = _open(db, campaign, by)
        if changes or reset or prices or no_prices:  # checked together, written together or not at all
            done = change_design_space(store, by=by, reset=reset, prices_file=prices or None,
                                       clear_prices=no_prices, **changes)
            echo(design_space_change_line(done, prices))
        else:
            echo("Nothing to change (see hea-campaign space set --help). The design space is:")
        echo("\n".join(design_space_lines(load(store))))
