#!/usr/bin/env bash
# Run the whole test suite under both dependency sets of the platform matrix, each in a venv of its own:
#   bookworm  .venv          Python 3.11 ($DIGITS_BOOKWORM_PYTHON, else python3): numpy 1, OpenCV 4,
#                            tflite-runtime 2.14 and ai-edge-litert (as on Raspberry Pi OS Bookworm)
#   trixie    .venv-trixie   Python 3.13 ($DIGITS_TRIXIE_PYTHON, else python3.13 with PYENV_VERSION=3.13.0 when
#                            pyenv is there): the newest numpy 2, OpenCV 5 and ai-edge-litert the extras allow
#                            (as on Raspberry Pi OS Trixie)
# Each venv is set up first (scripts/setup.sh), the Debian packages the tests use are installed when missing
# (scripts/debian_packages.sh), and the code is linted (ruff) before the tests run. MNIST is read from
# DIGITS_MNIST_DIR (the four IDX files).
# Usage: scripts/test.sh [--set bookworm|trixie] [PYTEST ARGS...]   (default: both sets, one after the other)
# Exit: 0 when every set passed, else the exit status of the first set that failed.
set -euo pipefail
cd "$(dirname "$0")/.."
sets=(bookworm trixie)
if [ "${1:-}" = --set ]; then
    case "${2:-}" in
        bookworm | trixie) sets=("$2") ;;
        *) echo "test: --set takes bookworm or trixie" >&2; exit 2 ;;
    esac
    shift 2
fi

run_set() {  # run_set NAME PYTEST_ARGS...
    local name="$1" venv python version
    shift
    case "$name" in
        bookworm) venv=.venv version=3.11 python="${DIGITS_BOOKWORM_PYTHON:-python3}" ;;
        trixie) venv=.venv-trixie version=3.13 python="${DIGITS_TRIXIE_PYTHON:-python3.13}"
            if [ -z "${DIGITS_TRIXIE_PYTHON:-}" ] && command -v pyenv >/dev/null; then
                export PYENV_VERSION="${PYENV_VERSION:-3.13.0}"
            fi ;;
    esac
    echo "== test set $name: Python $version in $venv"
    scripts/setup.sh --venv "$venv" --python "$python" train,edge,dev
    local found
    found="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if [ "$found" != "$version" ]; then
        echo "test: $venv has Python $found; the $name set is Python $version" >&2
        return 1
    fi
    "$venv/bin/python" - <<'EOF'
import importlib.metadata as md
found = []
for name in ("numpy", "opencv-python", "tflite-runtime", "ai-edge-litert", "tensorflow-cpu", "tensorflow"):
    try:
        found.append(f"{name} {md.version(name)}")
    except md.PackageNotFoundError:
        pass
print("test: " + ", ".join(found))
EOF
    "$venv/bin/python" -m ruff check .
    "$venv/bin/python" -m pytest "$@"
}

# What the tests use for real besides Python: a virtual X server (the window tests), systemd-analyze (the unit),
# an MQTT broker (--mqtt), a headless browser and its WebDriver (the --serve page)
scripts/debian_packages.sh xvfb:Xvfb systemd:systemd-analyze mosquitto:mosquitto chromium:chromium \
    chromium-driver:chromedriver
trap 'exit 130' INT  # Ctrl-C stops the run, not only the set being tested
failed=0
summary=()
for name in "${sets[@]}"; do
    started=$SECONDS
    status=0
    (run_set "$name" "$@") || status=$?
    summary+=("$name: $([ "$status" = 0 ] && echo passed || echo "FAILED (exit $status)") in $((SECONDS - started)) s")
    if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=$status; fi
done
echo
printf 'test: %s\n' "${summary[@]}"
exit "$failed"
