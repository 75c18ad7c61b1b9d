#!/usr/bin/env bash
# Set up .venv and run the whole test suite. MNIST is read from DIGITS_MNIST_DIR (the four IDX files).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh train,edge,dev
exec .venv/bin/python -m pytest "$@"
