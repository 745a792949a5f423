"""Datasets by name (downloaded once, verified, cached) and CSV readers.

``yan2021`` is the seed HEA phase dataset (Yan, Lu & Wang 2021, top-30
elements), fetched from the seed paper's repository at a pinned commit and
checked against its sha256.  ``HEA_CAMPAIGN_DATA_DIR`` names a folder that
already holds the file (offline machines, tests); otherwise pooch caches it
in the user cache folder.

Readers turn a CSV into ``RawRow`` objects that keep the file's line number,
so every problem can be reported where the user can find it.  Three layouts
are recognised: the seed paper's (``Alloys``, ``Class``), the MPEA database's
(``FORMULA``, ``PROPERTY: Microstructure``), and a generic one (a formula
column and an optional label or phase column, names configurable).
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DatasetError, LabFileAsDataset, cut
from .input_files import input_file

ENV_DATA_DIR = "HEA_CAMPAIGN_DATA_DIR"


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    filename: str
    url: str
    sha256: str
    description: str


DATASETS: dict[str, DatasetSpec] = {
    "yan2021": DatasetSpec(
        name="yan2021",
        filename="HEA_top30_comps.csv",
        url=(
            "https://raw.githubusercontent.com/cengc13/d_vae_hea/"
            "d6f640a9ce96166738e8ca7466aa3641e755ad3b/data/HEA_top30_comps.csv"
        ),
        sha256="ddeeab9b7746baf32a00974ac8852aeaea031fac3f7d1436e9f591d93b7bf304",
        description="Yan, Lu & Wang (2021) HEA phase data, alloys of the 30 most frequent elements (1375 rows)",
    ),
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dir() -> Path:
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("hea-campaign"))


def fetch(name: str) -> Path:
    """Local path of a named dataset, downloading and verifying it if needed."""
    spec = DATASETS.get(name)
    if spec is None:
        raise DatasetError(f"unknown dataset '{name}'; known: {', '.join(sorted(DATASETS))}")
    folder = cache_dir()
    local = folder / spec.filename
    if local.exists():
        digest = sha256_of(local)
        if digest != spec.sha256:
            raise DatasetError(
                f"{local} has sha256 {digest[:12]}..., not the expected {spec.sha256[:12]}...; "
                "delete it or point HEA_CAMPAIGN_DATA_DIR at a verified copy"
            )
        return local
    if os.environ.get(ENV_DATA_DIR):
        raise DatasetError(f"{spec.filename} is not in {folder} (set by {ENV_DATA_DIR})")
    import pooch

    try:
        path = pooch.retrieve(
            url=spec.url, known_hash=f"sha256:{spec.sha256}", fname=spec.filename, path=folder, progressbar=False
        )
    except Exception as exc:  # network errors come in many types
        from urllib.parse import urlparse

        raise DatasetError(
            f"could not download {name} from {urlparse(spec.url).netloc} ({exc.__class__.__name__}); "
            f"on an offline machine set {ENV_DATA_DIR} to a folder holding {spec.filename}, "
            "or import that file by its path"
        ) from None
    return Path(path)


@dataclass
class RawRow:
    """One data row of a CSV, before the formula is parsed."""

    line: int
    text: str
    single_phase: bool | None = None
    phases: str | None = None
    method: str | None = None
    error: str | None = None


@dataclass
class DatasetTable:
    path: Path
    layout: str
    rows: list[RawRow] = field(default_factory=list)
    unread_columns: tuple[str, ...] = ()  # when no label or phase column was found: the columns left unread


_YES = {"1", "yes", "y", "true", "t", "single", "single phase", "single-phase", "ss"}
_NO = {"0", "no", "n", "false", "f", "multi", "multiple", "multi phase", "multi-phase", "multiple phases", "mp"}
_SINGLE_PHASES = {"BCC", "FCC", "HCP"}
_FORMULA_NAMES = ("formula", "alloy", "alloys", "composition")
_LABEL_NAMES = ("single_phase", "single phase", "label", "class", "is_single_phase")
_PHASE_NAMES = ("phases", "phase", "microstructure")


def parse_label(text: str | None) -> bool | None:
    """yes/no, 1/0, true/false, single/multi -> bool; blank -> None."""
    if text is None or not str(text).strip():
        return None
    value = str(text).strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f"{text!r} is not a single-phase label (use yes/no, 1/0, single/multi)")


def phase_to_label(phases: str | None) -> bool | None:
    """Exactly BCC, FCC or HCP -> single phase; anything with '+' -> multi; else unknown."""
    if phases is None or not phases.strip():
        return None
    value = phases.strip().upper()
    if value in _SINGLE_PHASES:
        return True
    if "+" in value:
        return False
    return None


def _unprintable(row: RawRow) -> str | None:
    """Why a phases or method cell cannot be kept (an escape sequence, an invisible character: the rule
    `result add` applies to the same fields; a quoted cell may hold new lines, as a results file's may), or None."""
    from .actors import plain_text
    from .errors import CampaignError

    for what, text in (("the phases cell", row.phases), ("the method cell", row.method)):
        try:
            plain_text(text or "", what, "phases as text", lines=True)  # a cell over two lines (Alt+Enter) is fine
        except CampaignError as exc:
            return str(exc)
    return None


def _find(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, path: Path) -> str | None:
    if wanted is not None:
        if wanted not in columns:
            raise DatasetError(f"{path.name} has no column {wanted!r} (columns: {', '.join(map(repr, columns))})")
        return wanted
    by_lower = {c.strip().lower(): c for c in columns}
    for name in candidates:
        if name in by_lower:
            return by_lower[name]
    return None


def read_table(
    path: str | os.PathLike,
    *,
    formula_column: str | None = None,
    label_column: str | None = None,
    phase_column: str | None = None,
) -> DatasetTable:
    """Read a dataset CSV into rows with line numbers; recognises the layout."""
    stream = stream_table(path, formula_column=formula_column, label_column=label_column, phase_column=phase_column)
    return DatasetTable(path=stream.path, layout=stream.layout, rows=list(stream.rows),
                        unread_columns=stream.unread_columns)


@dataclass
class DatasetStream:
    """A dataset CSV whose header is read and checked; ``rows`` reads the data rows afresh
    each time it is asked, one at a time, so a file of any size is read in flat memory."""

    path: Path
    layout: str
    _reader_args: tuple = ()
    unread_columns: tuple[str, ...] = ()  # when no label or phase column was found: the columns left unread

    @property
    def rows(self) -> Iterator[RawRow]:
        return _data_rows(self.path, *self._reader_args)


def _lines(path: Path) -> Iterator[str]:
    """The file's lines, ending at \\r\\n, \\r or \\n only, as in the csv module (str.splitlines
    also splits at \\x0b, \\x1c, \\u2028 ... inside cells); each keeps its ending so quoted cells
    spanning lines keep their line breaks."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            yield from fh
    except UnicodeDecodeError:
        raise DatasetError(f"{path.name} is not a UTF-8 text file") from None


def _header(path: Path) -> tuple[int, list[str]]:
    """(lines before the header: comments and blanks, the header cells)."""
    start = 0
    lines = _lines(path)
    for line in lines:
        if line.startswith("#") or not line.strip():
            start += 1
            continue
        try:
            return start, [h.strip() for h in next(csv.reader(itertools.chain([line], lines)))]
        except csv.Error as exc:
            raise DatasetError(f"{path.name}: cannot read the header ({exc})") from None
        finally:
            lines.close()
    raise DatasetError(f"{path.name} has no header row")


def stream_table(
    path: str | os.PathLike,
    *,
    formula_column: str | None = None,
    label_column: str | None = None,
    phase_column: str | None = None,
) -> DatasetStream:
    """Read and check a dataset CSV's header (layout, columns); the rows are read when iterated."""
    path = input_file(path, "the CSV", DatasetError)
    # the whole file must decode: check it before anything is read row by row (and written)
    for _ in _lines(path):
        pass
    start, header = _header(path)
    method_col = None
    if formula_column is None and "FORMULA" in header and "PROPERTY: Microstructure" in header:
        layout, f_col, l_col, p_col = "mpea", "FORMULA", None, "PROPERTY: Microstructure"
        method_col = "PROPERTY: Processing method" if "PROPERTY: Processing method" in header else None
    elif formula_column is None and "Alloys" in header and "Class" in header:
        layout, f_col, l_col, p_col = "seed", "Alloys", "Class", None
    else:
        layout = "generic"
        lab = lab_file_hint(header)
        if lab:
            raise LabFileAsDataset(f"{path.name}: {lab}")
        f_col = _find(header, formula_column, _FORMULA_NAMES, "formula", path)
        if f_col is None:
            raise DatasetError(_no_formula_column(path, header))
        l_col = _find(header, label_column, _LABEL_NAMES, "label", path)
        p_col = _find(header, phase_column, _PHASE_NAMES, "phase", path)
    lowered = [h.lower() for h in header]
    for used in (f_col, l_col, p_col, method_col):
        if used is not None and lowered.count(used.lower()) > 1:
            raise DatasetError(
                f"{path.name}: the column {used!r} appears {lowered.count(used.lower())} times in the header; "
                "rename or remove the extra one(s) so it is clear which to read"
            )
    index = {name: i for i, name in enumerate(header)}
    unread = tuple(h for h in header if h not in (f_col, method_col) and h) if l_col is None and p_col is None else ()
    return DatasetStream(path=path, layout=layout, _reader_args=(start, index, f_col, l_col, p_col, method_col),
                         unread_columns=unread)


LAB_COLUMNS = ("candidate_id", "operator", "measured_on", "weighed_g", "weighed_mg")


def lab_file_hint(header: list[str]) -> str | None:
    """Why a file is the lab's own results or weigh sheet rather than a dataset of alloys, or None.

    Read as a dataset it would store its rows as literature measurements (append-only, without
    operator, date or candidate), so it is refused with the command that reads it."""
    lab = [h for h in header if h.strip().lower() in LAB_COLUMNS]
    if not lab:
        return None
    kind = "a weigh sheet" if any(h.strip().lower().startswith("weighed_") for h in lab) else "a lab results file"
    return (f"this looks like {kind} (columns {', '.join(lab)}), not a dataset of alloys: record it with "
            "hea-campaign result import (if it really is a dataset, remove or rename those columns)")


def separator_hint(header: list[str]) -> str | None:
    """What to do when a one-column header shows another separator than ',' (a spreadsheet saved
    with ';' or tabs reads as one column), or None."""
    if len(header) != 1:
        return None
    for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        if sep in header[0]:
            return (f"the header is one column {cut(header[0], 200)!r}: the file looks separated by {name}; "
                    "save it as comma-separated CSV (with '.' as the decimal point)")
    return None


def _no_formula_column(path: Path, header: list[str]) -> str:
    """Why no formula column was found."""
    hint = separator_hint(header)
    if hint:
        return f"{path.name}: {hint}"
    return (f"{path.name}: no formula column found (looked for {', '.join(_FORMULA_NAMES)}); rename the "
            "column, or name it with --formula-column where the command has that option (import)")


def _cell_count_error(cells: list[str], index: dict, used: tuple) -> str | None:
    """Why a row's cells do not fit the header, when that would lose what the row says: a filled
    cell beyond the last column (an unquoted comma, as in ``FCC, BCC``) or no cell for a column
    that is read.  Rows whose extra cells are blank, or that end before unread columns, are fine."""
    n = max(index.values()) + 1  # the header's length: its last column is always in the index
    got = f"{len(cells)} cell{'s' if len(cells) != 1 else ''}"
    if len(cells) > n and any(c.strip() for c in cells[n:]):
        return (f"{got} but the header has {n} columns (an unquoted comma? "
                "quote a cell that contains one, e.g. \"FCC, BCC\")")
    missing = [name for name in used if name is not None and index[name] >= len(cells)]
    if missing:
        return (f"{got} but the header has {n} columns: no cell for {', '.join(map(repr, missing))} "
                "(write an empty cell for an unknown value)")
    return None


def _data_rows(path: Path, start: int, index: dict, f_col, l_col, p_col, method_col) -> Iterator[RawRow]:
    lines = _lines(path)
    for _ in range(start):
        next(lines)
    reader = csv.reader(lines)
    try:
        next(reader)  # the header, checked by stream_table
        for cells in reader:
            line = start + reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue

            def cell(name: str | None) -> str | None:
                if name is None or index[name] >= len(cells):
                    return None
                value = cells[index[name]].strip()
                return value or None

            row = RawRow(line=line, text=cell(f_col) or "")
            row.error = _cell_count_error(cells, index, (f_col, l_col, p_col, method_col))
            row.phases = cell(p_col)
            if row.phases is not None and row.phases.lower() in _YES | _NO and not row.error:
                row.error = (f"the phases cell {row.phases!r} is a single-phase label, not a phase list: "
                             "name that column with --label-column")
            row.method = cell(method_col) if method_col else None
            row.error = row.error or _unprintable(row)
            try:
                label = parse_label(cell(l_col)) if l_col else None
            except ValueError as exc:
                row.error = row.error or str(exc)
                label = None
            row.single_phase = label if label is not None else phase_to_label(row.phases)
            yield row
    except csv.Error as exc:
        raise DatasetError(f"{path.name}: malformed CSV near line {start + reader.line_num} ({exc})") from None
    finally:
        lines.close()
