#!/usr/bin/env bash
# Create (or reuse) a virtual environment and install digits into it, editable, with the given extras.
# Safe to run twice. Usage: scripts/setup.sh [--venv DIR] [--python PYTHON] [EXTRAS]
#   --venv DIR        the environment's folder (default .venv, the one the other scripts use)
#   --python PYTHON   the interpreter that creates it (default $PYTHON, else python3); an existing DIR made
#                     by another Python version is refused (remove it to rebuild)
#   EXTRAS            default train,edge,dev
# e.g. the Trixie-like test set: PYENV_VERSION=3.13.0 scripts/setup.sh --venv .venv-trixie --python python3.13
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
python="${PYTHON:-python3}"
extras=train,edge,dev
while [ $# -gt 0 ]; do
    case "$1" in
        --venv) venv="${2:?--venv needs a folder}"; shift 2 ;;
        --python) python="${2:?--python needs an interpreter}"; shift 2 ;;
        -*) echo "setup: unknown option $1 (usage: scripts/setup.sh [--venv DIR] [--python PYTHON] [EXTRAS])" >&2
            exit 2 ;;
        *) extras="$1"; shift ;;
    esac
done
version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }
wanted="$(version_of "$python")" || { echo "setup: cannot run $python" >&2; exit 1; }
if [ -x "$venv/bin/python" ]; then
    found="$(version_of "$venv/bin/python")"
    if [ "$found" != "$wanted" ]; then
        echo "setup: $venv has Python $found, not $python's $wanted: remove it to rebuild" >&2
        exit 1
    fi
else
    echo "setup: creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi
echo "setup: installing digits[${extras}] into $venv"
# pip's notices about unreachable local package folders on some machines are noise: drop them.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[${extras}]" \
    2> >(grep -v "^WARNING: Location .* is ignored" >&2)
