"""The terminal front door: ``present`` (shared by both front ends), ``cli`` (Typer), ``app`` (Textual)."""
