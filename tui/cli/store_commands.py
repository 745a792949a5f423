"""Store commands: init, import, status, parse, tui, and the `db` group (schema migrations)."""

# No "from __future__ import annotations": Typer reads these annotations at runtime.
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import ByOption, CampaignOption, CapitalsYes, DbOption, UserError, echo
from .options import open_store as _open


def register(app: typer.Typer) -> None:
    """Attach the store commands and the `db` group to the main app."""
    db_app = typer.Typer(help="Store maintenance: schema migrations.\n\nExample: hea-campaign db current --db lab.db",
                         no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @app.command()
    def init(
        db: DbOption = None,
        campaign: CampaignOption = "default",
        dataset: Annotated[Optional[str], typer.Option(metavar="NAME", help="Import a named dataset (yan2021).")] = None,
        csv: Annotated[Optional[Path], typer.Option("--csv", metavar="CSV", help="Import a CSV file with a formula column.")] = None,
        skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Import the good rows even if some are bad.")] = False,
        by: ByOption = None,
    ) -> None:
        """Create the store (if new) and optionally import a dataset into it.

        The only command that creates a store or a campaign you name (others refuse a --db or --campaign
        that names nothing, so a typo never starts an empty store); `tui` without --db creates
        ./hea-campaign.db on first use.

        Example: hea-campaign init --dataset yan2021
        """
        from hea_campaign.campaign.datasets import fetch, read_table
        from hea_campaign.campaign.importing import check_table, import_table
        from hea_campaign.campaign.status import campaign_status
        from hea_campaign.campaign.store import store_file_of

        from ..present.report import format_import_report
        from ..present.views import status_text

        if dataset and csv:
            raise UserError("give either --dataset or --csv, not both")
        # Everything that can be refused is read and checked before a store or a campaign is created.
        source = fetch(dataset) if dataset else csv
        table = read_table(source) if source is not None else None
        if table is not None:
            check_table(table, skip_bad=skip_bad)
        new_file = store_file_of(db)
        new_file = new_file if new_file is not None and not new_file.exists() else None
        store = _open(db, campaign, by, create=True)
        try:
            report = None if table is None else import_table(store, table, source=dataset, skip_bad=skip_bad, actor=by)
        except BaseException:
            if new_file is not None:  # a failed import (a full disk...) leaves no new, empty store behind
                store.close()
                for leftover in (new_file, *(new_file.with_name(new_file.name + s) for s in ("-wal", "-shm"))):
                    leftover.unlink(missing_ok=True)
            raise
        echo(f"Store ready: {store.display_url} (campaign '{store.campaign_name}')")
        if report is not None:
            echo(format_import_report(report))
        echo(status_text(campaign_status(store)).plain)

    @app.command("import")
    def import_(
        path: Annotated[Path, typer.Argument(metavar="CSV", help="CSV file: seed layout (Alloys,Class), MPEA layout, or any CSV with a formula column.")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
        formula_column: Annotated[Optional[str], typer.Option(metavar="COLUMN", help="Name of the formula column.")] = None,
        label_column: Annotated[Optional[str], typer.Option(metavar="COLUMN", help="Name of the single-phase label column (yes/no, 1/0).")] = None,
        phase_column: Annotated[Optional[str], typer.Option(metavar="COLUMN", help="Name of the phase column (BCC, FCC, FCC+BCC, ...).")] = None,
        skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Import the good rows even if some are bad.")] = False,
        by: ByOption = None,
    ) -> None:
        """Import alloys and labels from a CSV; re-importing the same file adds nothing.

        Example: hea-campaign import our-alloys.csv --formula-column composition --label-column single
        """
        from hea_campaign.campaign.importing import import_csv

        from ..present.report import format_import_report

        store = _open(db, campaign, by)
        report = import_csv(
            store, path, formula_column=formula_column, label_column=label_column, phase_column=phase_column,
            skip_bad=skip_bad, actor=by, progress=_rows_read(),
        )
        echo(format_import_report(report))

    @app.command()
    def status(db: DbOption = None, campaign: CampaignOption = "default") -> None:
        """Counts of alloys, labels, conflicts, candidates, and the active model.

        Example: hea-campaign status --db lab.db
        """
        from hea_campaign.campaign.status import campaign_status, quick_status

        from ..present.views import status_text

        status = quick_status(db, campaign) or campaign_status(_open(db, campaign))
        echo(status_text(status).plain)

    @app.command()
    def parse(formulas: Annotated[list[str], typer.Argument(metavar="FORMULA...", help="Formulas to check, e.g. Al0.5CoCrCuFeNi.")],
              yes: CapitalsYes = False) -> None:
        """Check formulas and show their canonical form and atomic percentages.

        A formula typed all in capitals that also spells another alloy (CONI: C O N I, or CoNi?) is
        refused with the alloy it may mean, unless --yes.

        Example: hea-campaign parse Al0.5CoCrCuFeNi "(FeNi)0.8Cr0.2"
        """
        from hea_campaign.campaign.chemistry import parse_typed_formula, proportion_note

        for text in formulas:
            comp = parse_typed_formula(text, confirmed=yes)
            pct = "  ".join(f"{e} {p:.2f}" for e, p in comp.atomic_percent().items())
            echo(f"{text} -> {comp.formula}  [at.%: {pct}]")
            note = proportion_note(text, with_percent=False, above=True)
            if note:
                echo(f"  note: {note}")

    @app.command()
    def tui(db: DbOption = None, campaign: CampaignOption = "default", by: ByOption = None) -> None:
        """Open the campaign in the terminal user interface.

        Without --db (nor HEA_CAMPAIGN_DB) it opens ./hea-campaign.db, creating it
        on first use; a --db or --campaign that names nothing is refused.

        --by NAME is who the audit trail records for everything done in this session
        (approve, reject, export, import, lab results and corrections), as every command's
        --by; the header shows it ("by NAME"). Without it: HEA_CAMPAIGN_BY, else the OS user,
        which cannot tell apart people who share one login.

        Example: hea-campaign tui --db lab.db --by "Ana Ruiz"
        """
        from ..app import cockpit_for, run_app

        create = db is None and campaign == "default"  # the quick start's first run
        raise typer.Exit(run_app(cockpit_for(db, campaign, lambda: _open(db, campaign, by, create=create), actor=by)))

    @db_app.command("upgrade")
    def db_upgrade(
        db: DbOption = None,
        revision: Annotated[str, typer.Option(metavar="REVISION", help="Target revision.")] = "head",
    ) -> None:
        """Migrate the store's schema to this version of hea-campaign (back it up first).

        From schema 0008 on it also records, from their checkpoints, what older model versions did with each
        alloy (for `history`); a version whose checkpoint is missing is named, and the next upgrade tries again.

        Example: hea-campaign db upgrade --db lab.db
        """
        from hea_campaign.campaign.schema import record_older_roles, upgrade_schema

        from ..present.report import backfill_lines

        st = upgrade_schema(db, revision)
        echo(f"{st.store}: schema {st.before or 'empty'} -> {st.current}")  # done: said before anything else
        for line in backfill_lines(record_older_roles(db)):
            echo(line)

    @db_app.command("current")
    def db_current(db: DbOption = None) -> None:
        """Show the store's schema revision and the one this version needs.

        Example: hea-campaign db current --db lab.db
        """
        from hea_campaign.campaign.schema import schema_state

        st = schema_state(db)
        echo(f"store: {st.current or 'empty'}  needed: {st.needed}")


def _rows_read():
    """A progress line on stderr every few seconds while a large file is read (nothing for a small one)."""
    import sys
    import time

    start = time.monotonic()
    last = [start]

    def progress(rows: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 3:
            last[0] = now
            print(f"  read {rows:,} rows ({now - start:.0f} s)...", file=sys.stderr, flush=True)

    return progress
