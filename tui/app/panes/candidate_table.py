"""The candidates' table: cells drawn as plain text, and the count line above it.

Numbers are right-aligned in their column (as the CLI's ``candidates``), texts
left-aligned; the blank kept on a cell's right (``CandidateTable.gap``) stays
blank either way, so that a number never touches the column after it.

The table holds one page of candidates (``panes.candidates``); drawing a new
page is the UI thread's main work when a page arrives, so the cells, the
rows and the styles take short cuts that give the DataTable's own segments
(tests/tui/test_candidate_pages.py compares them).
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable


def cut(text: str, width: int) -> str:
    """``text`` in ``width`` cells, ending in '…' so that a reader sees something was cut."""
    return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)


class Cell:
    """A table cell: its value and the text shown for it (as the DataTable would format it), drawn as
    plain text (never markup: a formula or a reason was typed by someone), at the left of its column or,
    ``justify="right"`` (numbers), at its right.

    Compares, sorts and hashes by value.  No ``__rich_measure__`` on purpose:
    the DataTable then skips measuring it (see the module docstring).
    """

    __slots__ = ("value", "text", "justify")

    def __init__(self, value, fmt: str = ".2f", justify: str = "left"):
        self.value = value
        self.text = "" if value is None else format(value, fmt) if isinstance(value, float) else str(value)
        self.justify = justify

    def __rich_console__(self, console, options):
        yield Text(self.text, no_wrap=True, end="", justify="right" if self.justify == "right" else None)

    @staticmethod
    def _other(other):
        return other.value if isinstance(other, Cell) else other

    def __eq__(self, other) -> bool:
        return self.value == self._other(other)

    def __lt__(self, other) -> bool:
        return self.value < self._other(other)

    def __gt__(self, other) -> bool:
        return self.value > self._other(other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Cell({self.value!r})"


class CandidateTable(DataTable):
    """The candidates' DataTable: moving past the page's first or last row turns the page.

    A ``Cell`` one line high is drawn straight into segments (the same ones the DataTable's
    own path, ``Padding`` and ``Styled`` through the Rich console, gives; checked by
    tests/tui/test_candidate_pages.py): a new page draws its visible cells at once, and that
    path took most of the time between a page read and its first frame (bench/tui.py).
    """

    gap = 0  # blank cells kept on each cell's right, inside its column's width (a cut text stops before them)

    def set_spacing(self, padding: int, gap: int) -> None:
        """The blanks around the cells: ``padding`` on both sides (the DataTable's cell padding), ``gap`` on the
        right only (one blank between columns instead of two, for a narrow screen)."""
        if (padding, gap) != (self.cell_padding, self.gap):
            self.gap = gap
            self.cell_padding = padding  # clears the caches and sets the virtual width
            self._require_update_dimensions = True
            self._clear_caches()
            self.refresh()

    def set_columns(self, columns, rows) -> None:
        """Lay the table out again with ``columns`` ((key, label, width), left to right) and ``rows`` ((key,
        cells in that order)), keeping the cursor's row: a new order of the columns (a narrow screen moves
        some after the reason)."""
        cursor = self.cursor_row
        self.clear(columns=True)
        self._ordered_cache = None
        for key, label, width in columns:
            self.add_column(label, key=key, width=width)
        for key, cells in rows:
            self.add_row(*cells, key=key)
        self.settle_dimensions()
        if self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)

    def set_width(self, key: str, width: int) -> None:
        """Give a column a new width after its rows were added (the table is laid out again)."""
        column = self.columns[key]
        if column.width != width:
            column.width = width
            self._require_update_dimensions = True
            self._clear_caches()
            self.refresh()

    @property
    def ordered_columns(self) -> list:
        """The columns in order, kept while the set of columns is the same (the DataTable rebuilt this
        list for every row it measured or drew)."""
        keys = tuple(self.columns)
        cached = getattr(self, "_ordered_cache", None)
        if cached is None or cached[0] != keys:
            cached = self._ordered_cache = (keys, DataTable.ordered_columns.fget(self))
        return cached[1]

    _frame_styles: dict | None = None  # Rich styles computed once per draw (see render_lines)

    def render_lines(self, crop):
        """Draw with the table's and its rows' Rich styles computed once per draw: Textual computes
        them again for every line (walking the widget's ancestors each time), a third of a page's draw."""
        self._frame_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._frame_styles = None

    @property
    def rich_style(self) -> Style:
        memo = self._frame_styles
        if memo is None:
            return DataTable.rich_style.fget(self)
        if "table" not in memo:
            memo["table"] = DataTable.rich_style.fget(self)
        return memo["table"]

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        memo = self._frame_styles
        if memo is None or row_index < self.fixed_rows:  # the header (-1) and fixed rows: as the DataTable does
            return super()._get_row_style(row_index, base_style)
        key = ("row", row_index % 2, base_style)
        if key not in memo:
            memo[key] = super()._get_row_style(row_index, base_style)
        return memo[key]

    def _update_dimensions(self, new_rows) -> None:
        """Measure only rows holding something other than ``Cell``s one line high: the pane sets every
        column's width itself, so measuring a page of Cells would change nothing.  (The DataTable
        then sets its virtual size, for all rows, as always.)"""
        data, rows = self._data, self.rows
        super()._update_dimensions([key for key in new_rows
                                    if key in rows and (rows[key].height != 1 or rows[key].label is not None
                                                        or not all(isinstance(v, Cell) for v in data[key].values()))])

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False):
        if row_index == -1 and column_index >= 0 and self.gap:
            label = self.ordered_columns[column_index].label
            if getattr(label, "justify", None) == "right":  # over a column of numbers: right-aligned as they are,
                lines = super()._render_cell(row_index, column_index, base_style, width - self.gap, cursor, hover)
                return [[*line, Segment(" " * self.gap, line[-1].style if line else None)] for line in lines]
        if row_index < 0 or column_index < 0 or row_index < self.fixed_rows or column_index < self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor, self._update_count,
               self._pseudo_class_state)
        cache = self._cell_render_cache
        if key in cache:
            return cache[key]
        row = self.rows.get(row_key)
        cell = self._data[row_key].get(column_key) if row is not None and row.height == 1 else None
        if not isinstance(cell, Cell):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        base_style += Style.from_meta({"row": row_index, "column": column_index})
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        style = base_style + component_style + post_style
        pad, gap = self.cell_padding, self.gap
        inner = max(0, width - 2 * pad - gap)
        text = cut(cell.text, inner) if cell_len(cell.text) > inner else cell.text
        if cell.justify == "right":  # the blanks before the number, the gap after it
            lead = max(0, inner - cell_len(text))
            trail = max(0, width - 2 * pad - lead - cell_len(text))
            line = [Segment(" " * pad, style), Segment(f"{' ' * lead}{text}{' ' * trail}", style)]
        else:
            fill = max(0, width - 2 * pad - cell_len(text))  # the gap included
            line = [Segment(" " * pad, style), Segment(text, style)]
            if fill:
                line.append(Segment(" " * fill, style))
        line.append(Segment(" " * pad, style))
        cache[key] = lines = [line]
        return lines

    _row_styles: dict | None = None  # (row index, states) -> the cells' and the filler's styles

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._row_styles = None

    def _plain_row(self, row_key) -> bool:
        """Whether the row is drawn by ``_render_line_in_row``'s short cut: one line of ``Cell``s."""
        row = self.rows.get(row_key)
        return (row is not None and row.height == 1 and row.label is None and not self.fixed_columns
                and self.cursor_type == "row" and not (self._labelled_row_exists and self.show_row_labels)
                and all(isinstance(v, Cell) for v in self._data[row_key].values()))

    def _styles_of_row(self, row_index: int, base_style: Style, cursor: bool, hover: bool):
        """The styles of a row's cells (mouse metadata included) and of the filler to its right, as the
        DataTable computes them.  They depend on the row's position, not on what it holds, so they are
        kept across pages (a new page's rows all have new keys, which empties the DataTable's caches)."""
        key = (row_index, base_style, cursor, hover, self.show_cursor, self._show_hover_cursor,
               self._pseudo_class_state, len(self.columns), self.cursor_foreground_priority,
               self.cursor_background_priority)
        memo = self._row_styles
        if memo is None or len(memo) > 4096:
            memo = self._row_styles = {}
        if key not in memo:
            row_style = self._get_row_style(row_index, base_style)
            component, post = self._get_styles_to_render_cell(
                False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
                self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
            cells = [row_style + Style.from_meta({"row": row_index, "column": c}) + component + post
                     for c in range(len(self.columns))]
            extend, _ = self._get_styles_to_render_cell(False, False, False, hover, cursor, self.show_cursor,
                                                        self._show_hover_cursor, False, False)
            filler = row_style + extend + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
            memo[key] = (cells, filler)
        return memo[key]

    def _render_line_in_row(self, row_key, line_no: int, base_style: Style, cursor_location, hover_location):
        """A row of ``Cell``s drawn straight into one segment per cell (the DataTable's path, through
        ``_render_cell`` for each cell, was three quarters of a new page's draw: bench/tui.py)."""
        if line_no != 0 or not self._plain_row(row_key):
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        cache_key = (row_key, line_no, base_style, cursor_location, hover_location, self.cursor_type,
                     self.show_cursor, self._show_hover_cursor, self._update_count, self._pseudo_class_state)
        cache = self._row_render_cache
        if cache_key in cache:
            return cache[cache_key]
        row_index = self._row_locations.get(row_key)
        cells, filler = self._styles_of_row(row_index, base_style, cursor_location.row == row_index,
                                            hover_location.row == row_index)
        pad, gap = " " * self.cell_padding, self.gap
        data = self._data[row_key]
        line, used = [], 0
        for column, style in zip(self.ordered_columns, cells, strict=True):
            width = column.get_render_width(self)
            inner = max(0, width - 2 * len(pad) - gap)
            cell = data[column.key]
            text = cell.text
            size = cell_len(text)
            if size > inner:
                text, size = cut(text, inner), inner
            lead = max(0, inner - size) if cell.justify == "right" else 0  # a number: at the right, the gap after it
            line.append([Segment(f"{pad}{' ' * lead}{text}{' ' * max(0, width - 2 * len(pad) - size - lead)}{pad}",
                                 style)])
            used += width
        line.append([Segment(" " * max(0, self.size.width - used - self._row_label_column_width), filler)])
        cache[cache_key] = pair = ([], line)
        return pair

    def settle_dimensions(self) -> None:
        """Size the new rows now rather than when the app is next idle (what ``_on_idle`` does), so that
        a cursor moved to a page's last row scrolls there before the page's first frame: otherwise
        that frame showed the page's top, and a second full draw (25-30 ms at 10^5) followed."""
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)

    def _turn(self, step: int, cursor: str) -> bool:
        turn_page = getattr(self.parent, "turn_page", None)  # the CandidatesPane's: past the page's edge
        return turn_page is not None and turn_page(step, cursor)

    def action_cursor_down(self) -> None:
        if not (self.row_count and self.cursor_row >= self.row_count - 1 and self._turn(1, "first")):
            super().action_cursor_down()

    def action_page_down(self) -> None:
        if not (self.row_count and self.cursor_row >= self.row_count - 1 and self._turn(1, "first")):
            super().action_page_down()

    def action_cursor_up(self) -> None:
        if not (self.row_count and self.cursor_row <= 0 and self._turn(-1, "last")):
            super().action_cursor_up()

    def action_page_up(self) -> None:
        if not (self.row_count and self.cursor_row <= 0 and self._turn(-1, "last")):
            super().action_page_up()

    def action_scroll_top(self) -> None:
        if not self._turn(-(1 << 40), "first"):
            super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        if not self._turn(1 << 40, "last"):
            super().action_scroll_bottom()


class CountLine(Widget):
    """The line counting the rows: a new text is redrawn in place.  (A Label's update lays out the
    whole screen again, every tab's widgets, and the line changes twice for every page.)"""

    text: reactive[str] = reactive("", layout=False)

    def render(self) -> Text:
        return Text(self.text)

    def update(self, text: str) -> None:
        self.text = text

    def with_text(self, text: str) -> CountLine:
        """Start with ``text`` (said until the first page is read)."""
        self.set_reactive(CountLine.text, text)
        return self
