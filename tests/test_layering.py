"""DESIGN.md's layering, checked by import-linter: tui -> campaign -> {model, db}."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable))
    assert exe, "import-linter is not installed (pip install -e '.[test]')"
    out = subprocess.run([exe, "--config", str(REPO / ".importlinter")], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout
