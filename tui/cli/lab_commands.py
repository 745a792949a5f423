"""Lab-loop commands: results, history, approve/reject, export, backup.

Each command opens the store, makes one call into a campaign service and
prints the outcome with a tui.report formatter.  Validation and decisions
live in campaign/ (results, lifecycle, export, backup), so the TUI can offer
the same actions by calling the same functions.
"""

# No "from __future__ import annotations" here: Typer reads these annotations at
# runtime, and the Annotated aliases below are local to register().
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import ByOption, CampaignOption, DbOption
from .options import open_store as _open


def register(app: typer.Typer) -> None:
    """Attach the lab-loop commands to the main app."""
    result_app = typer.Typer(help="Lab results: add one, import a CSV, correct one.", no_args_is_help=True)
    app.add_typer(result_app, name="result")

    SinglePhase = Annotated[str, typer.Option("--single-phase", help="Did the alloy come out single phase: yes or no.")]
    Phases = Annotated[Optional[str], typer.Option("--phases", help='Phases seen, e.g. "FCC" or "FCC+BCC".')]
    Method = Annotated[Optional[str], typer.Option("--method", help="How it was measured, e.g. XRD.")]
    Notes = Annotated[Optional[str], typer.Option("--notes", help="Free text kept with the result.")]
    MeasuredOn = Annotated[Optional[str], typer.Option("--measured-on", help="Date of the measurement, YYYY-MM-DD.")]
    Operator = Annotated[Optional[str], typer.Option("--operator", help="Who measured (defaults to --by).")]
    Reason = Annotated[Optional[str], typer.Option("--reason", help="Why (kept with the candidate and in the audit log).")]

    @result_app.command("add")
    def result_add(
        single_phase: SinglePhase,
        formula: Annotated[Optional[str], typer.Argument(help="The alloy, e.g. CoCrFeNi (or use --candidate).")] = None,
        candidate: Annotated[Optional[int], typer.Option("--candidate", help="Candidate id the result is for.")] = None,
        phases: Phases = None,
        method: Method = None,
        notes: Notes = None,
        measured_on: MeasuredOn = None,
        operator: Operator = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Record what the lab measured for an alloy or an exported candidate."""
        from hea_campaign.campaign.results import record_result

        from ..present.report import format_recorded_result

        store = _open(db, campaign, by)
        done = record_result(store, formula, candidate, single_phase=single_phase, phases=phases, method=method,
                             operator=operator, by=by, notes=notes, measured_on=measured_on)  # fmt: skip
        typer.echo(format_recorded_result(done))

    @result_app.command("import")
    def result_import(
        path: Annotated[Path, typer.Argument(help="CSV with formula or candidate_id, single_phase, phases, method, "
                                                  "operator, notes, measured_on.")],  # fmt: skip
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Import lab results from a CSV: all rows or none; re-importing the same file adds nothing."""
        from hea_campaign.campaign.results import import_results

        from ..present.report import format_results_import

        typer.echo(format_results_import(import_results(_open(db, campaign, by), path, by=by)))

    @result_app.command("correct")
    def result_correct(
        measurement_id: Annotated[int, typer.Argument(help="The measurement to correct.")],
        single_phase: SinglePhase,
        phases: Phases = None,
        method: Method = None,
        notes: Notes = None,
        measured_on: MeasuredOn = None,
        operator: Operator = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Enter a corrected result; it supersedes the old one (which is kept)."""
        from hea_campaign.campaign.results import correct_result

        from ..present.report import format_correction

        m = correct_result(_open(db, campaign, by, create=False), measurement_id, single_phase=single_phase, phases=phases,
                           method=method, operator=operator, measured_on=measured_on, by=by, notes=notes)  # fmt: skip
        typer.echo(format_correction(m))

    @app.command()
    def history(
        formula: Annotated[str, typer.Argument(help="The alloy, e.g. CoCrFeNi.")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
    ) -> None:
        """Every result (corrections marked) and candidate event of an alloy, oldest first."""
        from hea_campaign.campaign.results import history as alloy_history

        from ..present.report import format_history

        typer.echo(format_history(alloy_history(_open(db, campaign, create=False), formula)))

    @app.command()
    def approve(
        ids: Annotated[list[int], typer.Argument(help="Candidate ids.")],
        reason: Reason = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Approve candidates for synthesis (all or none)."""
        from hea_campaign.campaign.lifecycle import approve as approve_candidates

        from ..present.report import format_transitions

        typer.echo(format_transitions(approve_candidates(_open(db, campaign, by, create=False), ids, by=by, reason=reason), "approved"))

    @app.command()
    def reject(
        ids: Annotated[list[int], typer.Argument(help="Candidate ids.")],
        reason: Reason = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Reject candidates, optionally saying why (all or none)."""
        from hea_campaign.campaign.lifecycle import reject as reject_candidates

        from ..present.report import format_transitions

        typer.echo(format_transitions(reject_candidates(_open(db, campaign, by, create=False), ids, by=by, reason=reason), "rejected"))

    @app.command("export")
    def export(
        mass: Annotated[float, typer.Option("--mass", help="Target ingot mass per candidate, in --unit.")],
        out: Annotated[Path, typer.Option("--out", help="File to write (must not exist).")],
        status: Annotated[str, typer.Option("--status", help="Export the candidates with this status.")] = "approved",
        ids: Annotated[Optional[str], typer.Option("--ids", help="Export these candidates instead, e.g. 1,2,3.")] = None,
        unit: Annotated[str, typer.Option("--unit", help="Mass unit: g or mg.")] = "g",
        fmt: Annotated[Optional[str], typer.Option("--format", help="csv or json (default: taken from the --out suffix, else csv).")] = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Write a synthesis batch (at.%, wt.%, masses per element) and mark its candidates exported."""
        from hea_campaign.campaign.export import export_batch
        from hea_campaign.campaign.lifecycle import parse_ids

        from ..present.report import format_export

        store = _open(db, campaign, by, create=False)
        selected = parse_ids(ids) if ids is not None else None
        result = export_batch(store, ids=selected, status=status, mass=mass, unit=unit, out=out, fmt=fmt, by=by)
        typer.echo(format_export(result))

    @app.command()
    def backup(
        path: Annotated[Path, typer.Argument(help="New file for the copy (never overwritten).")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
    ) -> None:
        """Copy a SQLite store safely while it is in use, and check the copy."""
        from hea_campaign.campaign.backup import backup as backup_store

        from ..present.report import format_backup

        typer.echo(format_backup(backup_store(_open(db, campaign, create=False), path)))
