"""Checks that every command's tests share."""
from __future__ import annotations

import subprocess
import sys


def help_loaded_modules(module: str, names: set[str]) -> tuple[subprocess.CompletedProcess, str]:
    """Run `main(['--help'])` of a command's module in a fresh interpreter; the process and which of `names`
    were imported by then (space-separated, "" for none)."""
    code = (f"import sys; from {module} import main; main(['--help'], standalone_mode=False); "
            f"print('LOADED', ' '.join(sorted({sorted(names)!r} & sys.modules.keys())))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    loaded = next((line[len("LOADED "):] for line in result.stdout.splitlines() if line.startswith("LOADED")), None)
    return result, loaded
