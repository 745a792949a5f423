"""How long `hea-campaign --help` takes to start, and what it imports.

Runs the installed entry point N times (default 10) in fresh processes and
prints the median and range of the wall time, the machine and its load, and
whether Textual, torch or numpy were imported (they must not be: the CLI
imports them inside the commands that need them).

    .venv/bin/python bench/cli_start.py [N]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

PROBE = ("import sys; from hea_campaign.tui.cli import main\n"
         "import contextlib, io\n"
         "with contextlib.redirect_stdout(io.StringIO()): code = main(['--help'])\n"
         "print(' '.join(m for m in ('textual', 'torch', 'numpy', 'pandas', 'sqlalchemy') if m in sys.modules) or '-')")


def main(n: int = 10) -> None:
    exe = shutil.which("hea-campaign", path=os.path.dirname(sys.executable)) or "hea-campaign"
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([exe, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    loaded = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.strip()
    load = os.getloadavg()
    print(f"hea-campaign --help: median {statistics.median(times):.2f} s over {n} runs "
          f"(min {min(times):.2f}, max {max(times):.2f})")
    print(f"heavy modules imported by --help: {loaded}")
    print(f"machine: {describe()}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
