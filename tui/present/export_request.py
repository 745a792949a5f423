"""The synthesis-batch export request, checked once for the CLI and the TUI's export dialog."""

from __future__ import annotations

from dataclasses import dataclass

from hea_campaign.campaign.errors import CampaignError

from .checks import CSV_SUFFIXES, JSON_SUFFIXES, is_blank, number, output_file, record_id
from .choices import ExportFormat, ExportStatus, MassUnit, values

DEFAULT_MASS_G = 20.0
# An ingot heavier than this is almost surely a typo (1e308, grams meant as mg); --yes lifts it.
# The same limit as campaign.export.SANE_MASS (the TUI asks instead of refusing).
MASS_LIMIT = {"g": 1000.0, "mg": 1_000_000.0}
MASS_FLOOR = {"g": 0.1, "mg": 100.0}  # below 100 mg: grams typed with --unit mg (campaign.export.SMALL_MASS)


@dataclass(frozen=True)
class ExportRequest:
    mass: float
    unit: str
    out: str
    fmt: str | None
    ids: list[int] | None
    status: str


def parse_ids(text) -> list[int]:
    """'1,2, 3' -> [1, 2, 3]: database ids, each given once."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise CampaignError("--ids is empty; give candidate ids like 1,2,3")
    ids = []
    for t in items:
        try:
            ids.append(record_id(t, "a candidate id in --ids"))
        except CampaignError:
            raise CampaignError(f"'{t}' is not a candidate id (--ids takes ids like 1,2,3)") from None
    if len(set(ids)) != len(ids):
        raise CampaignError("--ids names a candidate more than once")
    return ids


# what to do instead, by the status asked for (campaign.lifecycle.TRANSITIONS: only approved -> exported)
_INSTEAD = {
    "proposed": "approve them first (hea-campaign approve ID ...; hea-campaign candidates --status proposed lists "
                "them), then export",
    "rejected": "approve them again first (hea-campaign approve ID ...; hea-campaign candidates --status rejected "
                "lists them), then export",
    "failed": "approve them again for another try (hea-campaign approve ID ...; hea-campaign candidates --status "
              "failed lists them), then export",
    "exported": "these are in a batch already; to export one again, void its batch (hea-campaign export void BATCH "
                "--reason ...), which approves its candidates again",
    "measured": "a measured candidate has its result and is not exported again",
}


def check_export_status(status) -> str:
    """``--status``: export writes approved candidates only; any other status is refused with what to do."""
    said = "approved" if is_blank(status) else str(status).strip()
    if said in values(ExportStatus):
        return said
    instead = _INSTEAD.get(said, "approve the candidates to make first (hea-campaign approve ID ...), then export")
    raise CampaignError(f"export writes approved candidates only (--status approved, the default; got '{said}'): "
                        f"{instead}")


def check_mass(mass, unit: str, *, allow_large: bool = False) -> float:
    if unit not in values(MassUnit):
        raise CampaignError(f"the mass unit must be one of {', '.join(values(MassUnit))} (got '{unit}')")
    top = None if allow_large else MASS_LIMIT[unit]
    value = number(mass, f"the ingot mass ({unit})", lo=0, lo_open=True)
    if top is not None and value > top:
        raise CampaignError(f"an ingot of {value:g} {unit} is more than {top:g} {unit}; "
                            f"if you mean it, add --yes")
    if not allow_large and value < MASS_FLOOR[unit]:
        raise CampaignError(f"an ingot of {value:g} {unit} is less than {MASS_FLOOR[unit]:g} {unit}; check the unit"
                            + (" (20 g is --mass 20000 --unit mg)" if unit == "mg" else "") + " or, if you mean it, "
                            "add --yes")
    return value


def check_out(out, fmt=None) -> None:
    """The batch file's name must say what is written in it: CSV (csv, sheet) in .csv or .txt, JSON in .json.

    Without a format the name chooses it (.json: JSON, .csv or .txt: CSV); any other ending is refused
    rather than silently filled with CSV text.
    """
    from pathlib import Path

    suffix = Path(str(out).strip()).suffix.lower()
    if fmt is None:
        if suffix not in CSV_SUFFIXES + JSON_SUFFIXES:
            got = f"ends in '{Path(str(out).strip()).suffix}'" if suffix else "has no file extension"
            raise CampaignError(f"--out {str(out).strip()}: {got}; a batch is written as CSV (name it .csv or .txt) "
                                f"or JSON (name it .json)")
        fmt = "json" if suffix in JSON_SUFFIXES else "csv"
    fmt = str(fmt)
    if fmt == "json":
        output_file(str(out).strip(), "--out", JSON_SUFFIXES, what="JSON (--format json)")
    else:
        output_file(str(out).strip(), "--out", CSV_SUFFIXES, what=f"CSV text (--format {fmt})")


def build_export_request(*, mass, unit="g", out, fmt=None, ids=None, status="approved",
                         allow_large_mass: bool = False) -> ExportRequest:
    unit = str(unit)
    value = check_mass(mass, unit, allow_large=allow_large_mass)
    if is_blank(out):
        raise CampaignError("--out is empty; give the file to write, e.g. --out batch-7.csv")
    if fmt is not None and str(fmt) not in values(ExportFormat):
        raise CampaignError(f"the format must be one of {', '.join(values(ExportFormat))} (got '{fmt}')")
    check_out(out, fmt)
    status = check_export_status(status)
    return ExportRequest(mass=value, unit=unit, out=str(out).strip(), fmt=None if fmt is None else str(fmt),
                         ids=None if is_blank(ids) else (list(ids) if isinstance(ids, list) else parse_ids(ids)),
                         status=str(status))
