"""Lab-loop tests: lifecycle, export, results, history, backup, CLI, crash safety."""
