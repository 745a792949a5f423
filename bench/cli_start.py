"""How long `hea-campaign --help` and `hea-campaign status` take to start and answer.

Runs the installed entry point N times (default 10) in fresh processes and
prints the median and range of the wall time, the machine and its load, and
whether Textual, torch, numpy, pandas or SQLAlchemy were imported by `--help`
and by `status` (they must not be: the CLI imports them inside the commands
that need them, and `status` reads a SQLite file with sqlite3).  `status` runs on a store
made once with `init --dataset yan2021` (the seed store, in a temporary
folder), the whole process from start to its last line (target: under 1 s).

    .venv/bin/python bench/cli_start.py [N]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

PROBE = ("import sys; from hea_campaign.tui.cli import main\n"
         "import contextlib, io\n"
         "with contextlib.redirect_stdout(io.StringIO()): code = main(['--help'])\n"
         "print(' '.join(m for m in ('textual', 'torch', 'numpy', 'pandas', 'sqlalchemy') if m in sys.modules) or '-')")


def _timed(argv: list[str], n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return times


def _line(what: str, times: list[float]) -> str:
    return (f"{what}: median {statistics.median(times):.2f} s over {len(times)} runs "
            f"(min {min(times):.2f}, max {max(times):.2f})")


def main(n: int = 10) -> None:
    exe = shutil.which("hea-campaign", path=os.path.dirname(sys.executable)) or "hea-campaign"
    print(f"machine: {describe()}; load average at the start {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(_line("hea-campaign --help", _timed([exe, "--help"], n)))
    loaded = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.strip()
    print(f"heavy modules imported by --help: {loaded}")
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "seed.db")
        subprocess.run([exe, "init", "--dataset", "yan2021", "--db", db], capture_output=True, check=True)
        print(_line("hea-campaign status on the seed store", _timed([exe, "status", "--db", db], n)))
        probe = PROBE.replace("['--help']", repr(["status", "--db", db]))
        loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
        print(f"heavy modules imported by status: {loaded}")
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
