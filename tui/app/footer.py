"""The footer of every screen: compact, and on one line without cut key hints.

Textual's footer lays its hints out in a row and cuts what does not fit (at
80 columns the Candidates tab lost Help and Quit, and the palette hint covered
the last key).  ``KeyFooter`` measures its hints and leaves out those that do
not fit, least needed first (``present.key_hints``); every key stays in F1's
list and the command palette.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup  # the footer's parts (not exported)

from hea_campaign.tui.present.key_hints import APP, GROUP, HELP, PALETTE, SCREEN, hints_to_hide


def _outer_width(widget: Widget) -> int:
    """The cells ``widget`` takes in the footer's row: content, padding, border and margins."""
    big = Size(10_000, 1)
    styles = widget.styles
    return widget.get_content_width(big, big) + styles.gutter.width + styles.margin.width


class KeyFooter(Footer):
    def __init__(self, **kwargs):
        super().__init__(compact=True, **kwargs)

    async def recompose(self) -> None:
        await super().recompose()  # the footer composes its hints anew whenever the bindings change
        self.fit()

    def on_resize(self, _event) -> None:
        self.fit()

    def hints(self) -> list[tuple[str, list[Widget]]]:
        """(kind, widgets) of each hint, left to right; a group is its keys and its label."""
        app_actions = {b.action for b in getattr(type(self.app), "BINDINGS", ()) if isinstance(b, Binding)}
        found: list[tuple[str, list[Widget]]] = []
        for widget in self.children:
            if isinstance(widget, FooterLabel) and found and found[-1][0] == GROUP:
                found[-1][1].append(widget)
            elif isinstance(widget, KeyGroup):
                found.append((GROUP, [widget]))
            elif isinstance(widget, FooterKey) and widget.has_class("-command-palette"):
                found.append((PALETTE, [widget]))
            elif isinstance(widget, FooterKey) and widget.action in ("help", "app.help"):
                found.append((HELP, [widget]))
            elif isinstance(widget, FooterKey) and widget.action.removeprefix("app.") in app_actions:
                found.append((APP, [widget]))
            else:
                found.append((SCREEN, [widget]))
        return found

    def fit(self) -> None:
        """Show the hints that fit on the footer's line, leave out the others."""
        width = self.size.width or self.app.size.width
        hints = self.hints()
        hidden = hints_to_hide([(kind, sum(_outer_width(w) for w in widgets)) for kind, widgets in hints], width)
        for i, (_, widgets) in enumerate(hints):
            for widget in widgets:
                widget.display = i not in hidden
