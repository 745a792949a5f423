"""DESIGN.md's layering, checked by import-linter: tui.cli | tui.app -> tui.present -> campaign -> {model, db}."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUN_LINTER = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_import_contracts_are_kept():
    config = REPO / ".importlinter"
    out = subprocess.run([sys.executable, "-c", RUN_LINTER, str(config)], capture_output=True, text=True, cwd=REPO)
    assert "No module named 'importlinter'" not in out.stderr, "import-linter is not installed (pip install -e '.[test]')"
    assert out.returncode == 0, out.stdout + out.stderr
    contracts = config.read_text().count("[importlinter:contract:")
    assert contracts >= 5
    assert f"{contracts} kept, 0 broken" in out.stdout, out.stdout
