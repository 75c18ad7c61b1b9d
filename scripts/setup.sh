#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install digits with the given extras.
# Safe to run twice. Usage: scripts/setup.sh [EXTRAS]   (default: train,edge,dev)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-train,edge,dev}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$python" --version)"
    "$python" -m venv .venv
fi
echo "setup: installing digits[${extras}] into .venv"
# pip's notices about unreachable local package folders on some machines are noise: drop them.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[${extras}]" \
    2> >(grep -v "^WARNING: Location .* is ignored" >&2)
