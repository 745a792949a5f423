"""Coverage-guided fuzzing of the CSV readers and importers with atheris (libFuzzer).

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/atheris_csv.py -max_total_time=300          # five minutes
    .venv/bin/python fuzz/atheris_csv.py WORKDIR -max_total_time=600  # keep libFuzzer's corpus

Input bytes: the first byte picks what runs (low bit: 0 dataset import with
read_table + import_csv, 1 lab-results import with import_results; bit 1:
skip_bad); the rest is the file.  Each input is checked with the property of
the test suite (tests/fuzz/props.py): success with counts that agree with the
store and an idempotent re-import, or a CampaignError with one printable line
and real line numbers that leaves the store unchanged.  The stores (one per
kind, the results one holding exported candidates 1-3) live in a temporary
folder for the whole run.  A file that breaks the property is saved as
tests/fuzz/corpus/csv/<kind>-atheris-<sha1>.csv with a line in index.jsonl, which
tests/fuzz/test_corpus.py runs on every test run, and the fuzzer stops with
the traceback.  Without a WORKDIR, libFuzzer starts from the corpus folder.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CSV_DIR = REPO / "tests" / "fuzz" / "corpus" / "csv"

import atheris  # noqa: E402

with atheris.instrument_imports(
    include=["hea_campaign.campaign.datasets", "hea_campaign.campaign.importing", "hea_campaign.campaign.results",
             "hea_campaign.campaign.chemistry"]  # fmt: skip
):
    from hea_campaign.campaign import chemistry, datasets, importing, results  # noqa: F401

from tests.fuzz import props  # noqa: E402
from tests.fuzz.conftest import add_exported_candidates, new_store  # noqa: E402

props.USE_ALARM = False  # libFuzzer's -timeout owns SIGALRM
WORK = Path(tempfile.mkdtemp(prefix="atheris-csv-"))
STORES: dict[str, object] = {}
_names = itertools.count()


def store(kind: str):
    if kind not in STORES:
        STORES[kind] = new_store(WORK)
        if kind == "results":
            add_exported_candidates(STORES[kind])
    return STORES[kind]


def save(kind: str, body: bytes, exc: BaseException) -> None:
    name = f"{kind}-atheris-{hashlib.sha1(body).hexdigest()[:12]}.csv"
    target = CSV_DIR / name
    if not target.exists():
        target.write_bytes(body)
        entry = {"file": name, "found_by": "atheris", "note": repr(exc)[:300]}
        with open(CSV_DIR / "index.jsonl", "a", encoding="ascii") as fh:
            fh.write(json.dumps(entry, ensure_ascii=True) + "\n")
    print(f"\n== saved to {target}", file=sys.stderr)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    kind = "results" if data[0] & 1 else "dataset"
    skip_bad = bool(data[0] & 2)
    body = data[1:]
    path = WORK / f"in{next(_names)}.csv"
    path.write_bytes(body)
    try:
        if kind == "dataset":
            props.check_dataset_import(store(kind), path, source=path.name, skip_bad=skip_bad)
        else:
            props.check_results_import(store(kind), path)
    except BaseException as exc:
        save(kind, body, exc)
        raise
    finally:
        path.unlink()


def seed_dir() -> str:
    folder = Path(tempfile.mkdtemp(prefix="atheris-csv-seeds-"))
    for i, p in enumerate(sorted(CSV_DIR.glob("*.csv"))):
        flag = 1 if p.name.startswith("results-") else 0
        (folder / f"seed{i}").write_bytes(bytes([flag]) + p.read_bytes()[:4000])
    return str(folder)


def main() -> None:
    argv = list(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        argv.append(seed_dir())
    argv.append("-max_len=4096")
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
