"""Lab-loop commands (results, history, export, backup); filled in with the lab loop."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the lab-loop commands to the main app."""
