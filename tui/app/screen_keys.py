"""Screens pushed over the tabs that keep the app's letter keys from leaving them.

The app's single-letter keys (d c p l t m b v S: go to a tab or a screen) close every screen
over the tabs first.  On a screen holding a form or keys of its own (the import, the results
browser, the model versions) a letter typed while a checkbox, a button or the table had focus
left the screen and lost what was on it (typing a file name with the "skip bad rows" box
focused went to Lab results, the browser, a correction).  Such a screen consumes those letters:
Textual then leaves them out of the app's bindings (and out of the footer) while it is open.
Escape goes back; q still quits; F1 and Ctrl+P work, and the palette still goes anywhere.
"""

from __future__ import annotations

from textual.binding import Binding


class KeepsLetters:
    """Mix into a Screen: the app's single-letter keys other than q do nothing while it is open."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        app_letters = {b.key for b in getattr(type(self.app), "BINDINGS", ())
                       if isinstance(b, Binding) and len(b.key) == 1 and b.key != "q"}
        return key in app_letters or super().check_consume_key(key, character)
