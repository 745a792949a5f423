"""Coverage-guided fuzzing of the formula parser with atheris (libFuzzer).

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/atheris_formula.py -max_total_time=300        # five minutes
    .venv/bin/python fuzz/atheris_formula.py -atheris_runs=100000       # a number of inputs
    .venv/bin/python fuzz/atheris_formula.py WORKDIR -max_total_time=600  # keep libFuzzer's corpus

Input bytes: the first byte's low bit is ``allow_zero``; the rest is the formula
text, decoded as UTF-8 with undecodable bytes as lone surrogates (what a
command-line argument can hold).  Every input is checked with the property of
the test suite (tests/fuzz/props.py: a canonical Composition or a one-line
FormulaError, nothing else, nothing slow).  An input that breaks it is appended
to tests/fuzz/corpus/formulas.jsonl (found_by "atheris"), which
tests/fuzz/test_corpus.py runs on every test run, and the fuzzer stops with the
traceback.  Without a WORKDIR, libFuzzer starts from that corpus file.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO / "tests" / "fuzz" / "corpus" / "formulas.jsonl"

import atheris  # noqa: E402

with atheris.instrument_imports(include=["hea_campaign.campaign.chemistry"]):
    from hea_campaign.campaign import chemistry  # noqa: F401

from tests.fuzz import props  # noqa: E402

props.USE_ALARM = False  # libFuzzer's -timeout owns SIGALRM


def decode(data: bytes) -> tuple[str, bool]:
    if not data:
        return "", False
    return data[1:].decode("utf-8", errors="surrogateescape"), bool(data[0] & 1)


def encode(text: str, allow_zero: bool) -> bytes:
    return bytes([int(allow_zero)]) + text.encode("utf-8", errors="surrogatepass")


def save(text: str, allow_zero: bool, exc: BaseException) -> None:
    known = {(e.get("input"), e.get("allow_zero", False)) for e in map(json.loads, CORPUS.read_text().splitlines())}
    if (text, allow_zero) in known:
        return
    entry = {"input": text, "allow_zero": allow_zero, "found_by": "atheris", "note": repr(exc)[:300]}
    with open(CORPUS, "a", encoding="ascii") as fh:
        fh.write(json.dumps(entry, ensure_ascii=True) + "\n")
    print(f"\n== saved to {CORPUS}: {text!r} (allow_zero={allow_zero})", file=sys.stderr)


def test_one_input(data: bytes) -> None:
    text, allow_zero = decode(data)
    try:
        props.check_formula(text, allow_zero=allow_zero)
    except BaseException as exc:
        save(text, allow_zero, exc)
        raise


def seed_dir() -> str:
    folder = Path(tempfile.mkdtemp(prefix="atheris-formula-"))
    seeds = [("CoCrFeMnNi", False), ("Al0.5CoCrCuFeNi", False), ("(FeNi)2Cr", False), ("Al0CoCrFeNi", True),
             ("[Co Cr]0.25 Fe1.5 Ni", False), ("Fe0.000000001Ni", False)]  # fmt: skip
    for line in CORPUS.read_text().splitlines():
        entry = json.loads(line)
        if "input" in entry:
            seeds.append((entry["input"], entry.get("allow_zero", False)))
    for i, (text, allow_zero) in enumerate(seeds):
        (folder / f"seed{i}").write_bytes(encode(text, allow_zero))
    return str(folder)


def main() -> None:
    argv = list(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        argv.append(seed_dir())
    argv.append("-max_len=450")
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
