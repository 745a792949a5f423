"""The `hea-campaign` command line (Typer).  Never imports Textual.

Layout (DESIGN.md section 1)::

    tui/present/   request builders and validators (text -> request objects, one per
                   user action, one set of defaults and messages) and renderers
                   (results -> plain text / rich).  No Typer, no Textual.
    tui/cli/       this package: one module per command group.
    tui/app/       the Textual app (screens, panes, modals, .tcss).

How to add a command:

1. Build and check its request in ``tui/present/`` (a function or dataclass that
   turns the user's values into the call's arguments and raises ``CampaignError``
   with a one-line message), and write its renderer there (``format_...``), so
   the TUI can offer the same action with the same defaults and messages.
2. Add a module here, e.g. ``tui/cli/scorer_commands.py``, with a
   ``register(app: typer.Typer) -> None`` function that defines the commands
   (``@app.command()``) or a group (``sub = typer.Typer(); app.add_typer(sub, name=...)``).
   Modules with a ``register`` function are found and registered automatically
   (``root.register_command_modules``): no list to edit, no merge conflict.
3. Inside each command: import heavy things (campaign services, torch, pandas)
   in the function body, never at module level (``hea-campaign --help`` must not
   import torch or Textual); open the store with ``options.open_store``; use the
   shared options (``DbOption``, ``CampaignOption``, ``ByOption``); print with
   ``typer.echo``.  Errors: raise ``CampaignError`` (or ``UserError``); the root
   handler prints one ``error:`` line with exit status 2.
"""

from .root import app, entry, main

__all__ = ["app", "entry", "main"]
