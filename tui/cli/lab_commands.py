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

from ..present.choices import CandidateStatus, ExportFormat, MassUnit
from .options import ByOption, CampaignOption, DbOption, echo
from .options import open_store as _open


def register(app: typer.Typer) -> None:
    """Attach the lab-loop commands to the main app."""
    result_app = typer.Typer(help="Lab results: add one, import a CSV, correct one.", no_args_is_help=True)
    app.add_typer(result_app, name="result")

    SinglePhase = Annotated[str, typer.Option("--single-phase", metavar="yes|no", help="Did the alloy come out single phase: yes or no.")]
    Phases = Annotated[Optional[str], typer.Option("--phases", metavar="PHASES", help='Phases seen, e.g. "FCC" or "FCC+BCC".')]
    Method = Annotated[Optional[str], typer.Option("--method", metavar="METHOD", help="How it was measured, e.g. XRD.")]
    Notes = Annotated[Optional[str], typer.Option("--notes", metavar="TEXT", help="Free text kept with the result.")]
    MeasuredOn = Annotated[Optional[str], typer.Option("--measured-on", metavar="YYYY-MM-DD", help="Date of the measurement, YYYY-MM-DD.")]
    Operator = Annotated[Optional[str], typer.Option("--operator", metavar="NAME", help="Who measured (defaults to --by).")]
    Reason = Annotated[Optional[str], typer.Option("--reason", metavar="TEXT", help="Why (kept with the candidate and in the audit log).")]

    @result_app.command("add")
    def result_add(
        single_phase: SinglePhase,
        formula: Annotated[Optional[str], typer.Argument(metavar="FORMULA", help="The alloy, e.g. CoCrFeNi (or use --candidate).")] = None,
        candidate: Annotated[Optional[int], typer.Option("--candidate", metavar="ID", help="Candidate id the result is for.")] = None,
        phases: Phases = None,
        method: Method = None,
        notes: Notes = None,
        measured_on: MeasuredOn = None,
        operator: Operator = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Record what the lab measured for an alloy or an exported candidate.

        Example: hea-campaign result add CoCrFeNi --single-phase yes --phases FCC --method XRD
        """
        from hea_campaign.campaign.results import record_result

        from ..present.checks import record_id

        if candidate is not None:
            record_id(candidate, "--candidate")

        from ..present.report import format_recorded_result

        store = _open(db, campaign, by)
        done = record_result(store, formula, candidate, single_phase=single_phase, phases=phases, method=method,
                             operator=operator, by=by, notes=notes, measured_on=measured_on)  # fmt: skip
        echo(format_recorded_result(done))

    @result_app.command("import")
    def result_import(
        path: Annotated[Path, typer.Argument(metavar="CSV", help="CSV with formula or candidate_id, single_phase, phases, method, "
                                                  "operator, notes, measured_on.")],  # fmt: skip
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Import lab results from a CSV: all rows or none; re-importing the same file adds nothing.

        Example: hea-campaign result import xrd-batch-7.csv
        """
        from hea_campaign.campaign.results import import_results

        from ..present.report import format_results_import

        echo(format_results_import(import_results(_open(db, campaign, by), path, by=by)))

    @result_app.command("correct")
    def result_correct(
        measurement_id: Annotated[int, typer.Argument(metavar="MEASUREMENT", help="The measurement to correct.")],
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
        """Enter a corrected result; it supersedes the old one (which is kept).

        Example: hea-campaign result correct 41 --single-phase no --phases FCC+BCC --notes "second XRD"
        """
        from hea_campaign.campaign.results import correct_result

        from ..present.checks import record_id

        record_id(measurement_id, "the measurement id")

        from ..present.report import format_correction

        m = correct_result(_open(db, campaign, by), measurement_id, single_phase=single_phase, phases=phases,
                           method=method, operator=operator, measured_on=measured_on, by=by, notes=notes)  # fmt: skip
        echo(format_correction(m))

    @app.command()
    def history(
        formula: Annotated[str, typer.Argument(metavar="FORMULA", help="The alloy, e.g. CoCrFeNi.")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
    ) -> None:
        """Every result (corrections marked) and candidate event of an alloy, oldest first.

        Example: hea-campaign history CoCrFeNi
        """
        from hea_campaign.campaign.results import history as alloy_history

        from ..present.report import format_history

        echo(format_history(alloy_history(_open(db, campaign), formula)))

    @app.command()
    def approve(
        ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Candidate ids.")],
        reason: Reason = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Approve candidates for synthesis (all or none).

        Example: hea-campaign approve 12 15 17
        """
        from hea_campaign.campaign.read_models import approve as approve_candidates

        from ..present.checks import record_id

        ids = [record_id(i, "a candidate id") for i in ids]

        from ..present.report import format_transitions

        echo(format_transitions(approve_candidates(_open(db, campaign, by), ids, by=by, reason=reason), "approved"))

    @app.command()
    def reject(
        ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Candidate ids.")],
        reason: Reason = None,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Reject candidates, optionally saying why (all or none).

        Example: hea-campaign reject 13 --reason "too much Cr for our furnace"
        """
        from hea_campaign.campaign.read_models import reject as reject_candidates

        from ..present.checks import record_id

        ids = [record_id(i, "a candidate id") for i in ids]

        from ..present.report import format_transitions

        echo(format_transitions(reject_candidates(_open(db, campaign, by), ids, by=by, reason=reason), "rejected"))

    @app.command("export")
    def export(
        mass: Annotated[float, typer.Option("--mass", metavar="MASS", help="Target ingot mass per candidate, in --unit (at most 500 g unless --allow-large-mass).")],
        out: Annotated[Path, typer.Option("--out", metavar="FILE", help="File to write (must not exist).")],
        status: Annotated[CandidateStatus, typer.Option("--status", help="Export the candidates with this status.")] = CandidateStatus.approved,
        ids: Annotated[Optional[str], typer.Option("--ids", metavar="ID,ID,...", help="Export these candidates instead, e.g. 1,2,3.")] = None,
        unit: Annotated[MassUnit, typer.Option("--unit", help="Mass unit.")] = MassUnit.g,
        fmt: Annotated[Optional[ExportFormat], typer.Option("--format", help="File format (default: taken from the --out suffix, else csv).")] = None,
        allow_large_mass: Annotated[bool, typer.Option("--allow-large-mass", help="Accept an ingot above 500 g.")] = False,
        db: DbOption = None,
        campaign: CampaignOption = "default",
        by: ByOption = None,
    ) -> None:
        """Write a synthesis batch (at.%, wt.%, masses per element) and mark its candidates exported.

        Example: hea-campaign export --mass 20 --unit g --out batch-7.csv
        """
        from hea_campaign.campaign.export import export_batch

        from ..present.export_request import build_export_request
        from ..present.report import format_export

        req = build_export_request(mass=mass, unit=unit.value, out=str(out), fmt=fmt and fmt.value, ids=ids,
                                   status=status.value, allow_large_mass=allow_large_mass)
        store = _open(db, campaign, by)
        result = export_batch(store, ids=req.ids, status=req.status, mass=req.mass, unit=req.unit, out=Path(req.out),
                              fmt=req.fmt, by=by)
        echo(format_export(result))

    @app.command()
    def backup(
        path: Annotated[Path, typer.Argument(metavar="FILE", help="New file for the copy (never overwritten).")],
        db: DbOption = None,
        campaign: CampaignOption = "default",
    ) -> None:
        """Copy a SQLite store safely while it is in use, and check the copy.

        Example: hea-campaign backup backups/campaign-2026-11-28.db
        """
        from hea_campaign.campaign.backup import backup as backup_store

        from ..present.report import format_backup

        echo(format_backup(backup_store(_open(db, campaign), path)))
