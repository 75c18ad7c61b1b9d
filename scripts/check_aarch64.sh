#!/usr/bin/env bash
# Check the edge runner on linux-aarch64: a Debian Bookworm arm64 root (the base of Raspberry Pi OS 64-bit,
# Python 3.11) run under qemu-user-static. Installs the checkout's `edge` extra there (tflite-runtime 2.14,
# numpy < 2, no tensorflow), then asserts the digits read by `digits-edge --dir TestSet/Luis` and by a
# headless `digits-edge --camera VIDEO` run on a generated video, and the numbers read by `digits-edge --dir
# --multi` on generated pages of cramped writing (scripts/aarch64/render_pages.py).
#
# Needs root (debootstrap, chroot, mount). Safe to run twice; runs one at a time (a lock on the cache).
# The arm64 root and the downloaded wheels are cached outside the clone in $DIGITS_AARCH64_CACHE
# (default /var/cache/digits/bookworm-arm64). The Debian mirror is the one apt uses on this machine
# (override: DIGITS_DEBIAN_MIRROR). Cold (debootstrap + downloads): about 4 min on this 2-core machine,
# 6-8 min while other jobs load it. Warm (cached root and wheels): about 30 s. Both are mostly emulation.
# Usage: scripts/check_aarch64.sh        Exit: 0 PASS, 1 FAIL.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

suite=bookworm
cache="${DIGITS_AARCH64_CACHE:-/var/cache/digits/bookworm-arm64}"
rootfs="$cache/rootfs"
pip_cache="$cache/pip"
# python3-numpy: Raspberry Pi OS has Debian's numpy 1.24 (picamera2 needs it), which the README's venv with
# --system-site-packages sees. libgl1 and libglib2.0-0: what the opencv-python wheel's cv2 loads at import
# (a bare system such as Pi OS Lite lacks them; libgl1 brings Mesa).
rootfs_packages="python3,python3-venv,python3-pip,python3-numpy,ca-certificates,libgl1,libglib2.0-0"
# A cached root made from another package list is rebuilt.
rootfs_stamp="digits-aarch64-rootfs v2 $suite $rootfs_packages"
host_python="${DIGITS_HOST_PYTHON:-$repo/.venv/bin/python}"
luis_dir="TestSet/Luis"
# The MNIST test digits that the camera video is made of (the same default as .ci/run).
mnist_dir="${DIGITS_MNIST_DIR:-$(cd .. && pwd)/shared/mnist}"

started=$EPOCHREALTIME
step_started=$started
step_name="start"
passed=0
mounts=()
workdir=""

log() { printf 'check_aarch64: %s\n' "$*"; }
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
fail() { log "ERROR: $*" >&2; exit 1; }

step() {
    if [ "$step_name" != start ]; then log "  done in $(seconds_since "$step_started") s"; fi
    step_name="$1"
    step_started=$EPOCHREALTIME
    log "== $1"
}

unmount_all() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
    done
    mounts=()
}

# Unmount whatever is still mounted under $1 (an interrupted debootstrap can leave its /proc mounted).
unmount_under() {
    local target
    awk -v root="$(realpath -m "$1")" '$2 == root || index($2, root "/") == 1 { print $2 }' /proc/mounts \
        | sort -r | while read -r target; do umount "$target" 2>/dev/null || umount -l "$target"; done
}

remove_tree() {
    [ -e "$1" ] || return 0
    unmount_under "$1"
    rm -rf --one-file-system "$1"
}

finish() {
    local status=$?
    unmount_all
    if [ -n "$workdir" ]; then rm -rf --one-file-system "$workdir"; fi
    if [ -n "${host_tmp:-}" ]; then rm -rf "$host_tmp"; fi
    if [ "$passed" = 1 ] && [ "$status" = 0 ]; then
        log "  done in $(seconds_since "$step_started") s"
        log "PASS in $(seconds_since "$started") s (linux-aarch64 under qemu, Debian $suite)"
    else
        log "FAIL in step '$step_name' after $(seconds_since "$started") s"
        [ "$status" != 0 ] || status=1
    fi
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bind_mount() {  # bind_mount SOURCE TARGET_IN_ROOTFS
    mkdir -p "$rootfs$2"
    mount --bind "$1" "$rootfs$2"
    mounts+=("$rootfs$2")
}

# Run a command inside the arm64 root with a clean environment (the host's PATH and pip settings
# name host paths) plus the proxy and pip index settings that reach the registries from here.
in_root() {
    local -a env_vars=(HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt
        PYTHONDONTWRITEBYTECODE=1
        # numpy warns at import that float64's smallest subnormal is zero: an artefact of qemu's emulation.
        "PYTHONWARNINGS=ignore:The value of the smallest subnormal:UserWarning")
    local name
    for name in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT \
        http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
        if [ -n "${!name:-}" ]; then env_vars+=("$name=${!name}"); fi
    done
    env -i "${env_vars[@]}" chroot "$rootfs" "$@"
}

# ---------------------------------------------------------------------------------------------------------
step "host tools (qemu-user-static, debootstrap, binfmt_misc)"
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot and mount)"
[ -x "$host_python" ] || fail "$host_python is missing: run scripts/setup.sh first (it renders the test video)"
if ! command -v qemu-aarch64-static >/dev/null || ! command -v debootstrap >/dev/null \
    || ! command -v update-binfmts >/dev/null; then
    log "installing qemu-user-static, binfmt-support and debootstrap with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static binfmt-support debootstrap >/dev/null
fi
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/register" ]; then
    mount -t binfmt_misc binfmt_misc "$binfmt" || fail "cannot mount binfmt_misc at $binfmt"
fi
if [ ! -e "$binfmt/qemu-aarch64" ]; then
    update-binfmts --enable qemu-aarch64 || true
elif ! grep -qx enabled "$binfmt/qemu-aarch64"; then
    echo 1 >"$binfmt/qemu-aarch64"  # registered but switched off
fi
grep -qx enabled "$binfmt/qemu-aarch64" 2>/dev/null \
    || fail "qemu-aarch64 is not registered in binfmt_misc (try: update-binfmts --enable qemu-aarch64)"
# F (fix binary): the kernel keeps the interpreter open, so arm64 programs also start inside the chroot.
grep -q '^flags:.*F' "$binfmt/qemu-aarch64" \
    || fail "binfmt_misc's qemu-aarch64 entry lacks the F flag, so it cannot run inside a chroot"
log "$(qemu-aarch64-static --version | head -1); binfmt_misc qemu-aarch64 enabled"

# ---------------------------------------------------------------------------------------------------------
step "Debian $suite arm64 root in $rootfs"
mkdir -p "$cache" "$pip_cache"
exec 9>"$cache/.lock"
flock -w 1800 9 || fail "another check_aarch64 run holds $cache/.lock"
if [ -f "$rootfs/.digits-rootfs" ] && [ "$(cat "$rootfs/.digits-rootfs")" = "$rootfs_stamp" ]; then
    log "reusing the cached root"
    # What a killed run (kill -9) left behind: no other run is going on while we hold the lock.
    unmount_under "$rootfs"
    rm -rf --one-file-system "$rootfs"/tmp/digits-check.*
else
    mirror="${DIGITS_DEBIAN_MIRROR:-}"
    if [ -z "$mirror" ]; then
        # The mirror apt uses here, whatever the format of its sources (one-line or deb822).
        mirror="$(apt-get indextargets --format '$(SITE) $(CODENAME)' 2>/dev/null \
            | awk -v suite="$suite" '$2 == suite { print $1; exit }')"
    fi
    [ -n "$mirror" ] || fail "no Debian $suite mirror in apt's sources; set DIGITS_DEBIAN_MIRROR"
    building="$cache/rootfs.building"
    remove_tree "$building"  # a half-made root from an interrupted run
    log "debootstrap --variant=minbase --include=$rootfs_packages from $mirror (a few minutes)"
    debootstrap --arch=arm64 --variant=minbase --include="$rootfs_packages" \
        "$suite" "$building" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || { tail -20 "$cache/debootstrap.log" >&2; fail "debootstrap failed (log: $cache/debootstrap.log)"; }
    rm -rf "$building/var/cache/apt/archives/"*.deb
    printf '%s\n' "$rootfs_stamp" >"$building/.digits-rootfs"
    remove_tree "$rootfs"
    mv -T "$building" "$rootfs"
fi
# The host's name resolution, pip settings and CA bundle (which may include a proxy's certificate).
cp -L /etc/resolv.conf "$rootfs/etc/resolv.conf"
if [ -f /etc/pip.conf ]; then cp -L /etc/pip.conf "$rootfs/etc/pip.conf"; fi
ca_bundle="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
if [ -f "$ca_bundle" ]; then cp -L "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"; fi
mount -t proc proc "$rootfs/proc"
mounts+=("$rootfs/proc")
bind_mount "$pip_cache" /var/cache/digits-pip
log "$(in_root uname -m), $(in_root python3 --version), $(sed -n 's/^PRETTY_NAME=//p' "$rootfs/etc/os-release")"

# ---------------------------------------------------------------------------------------------------------
step "install the checkout's edge extra into a fresh venv in the arm64 root (as on the Pi)"
workdir="$(mktemp -d "$rootfs/tmp/digits-check.XXXXXX")"
work="${workdir#"$rootfs"}"  # the same folder as seen inside the root
mkdir "$workdir/src"
# The checkout as git sees it (tracked and new files, without what .gitignore leaves out).
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$repo" ls-files -z --cached --others --exclude-standard \
        | (cd "$repo" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _) \
        | tar -C "$repo" --null -T - -cf - | tar -C "$workdir/src" -xf -
else
    tar -C "$repo" --exclude=.git --exclude=.venv --exclude=__pycache__ --exclude='*.egg-info' -cf - . \
        | tar -C "$workdir/src" -xf -
fi
# As the README says for the Pi: --system-site-packages (for picamera2), so Debian's numpy is seen.
# The venv has no pip of its own (ensurepip takes a minute under qemu): the root's pip installs into it.
in_root python3 -m venv --system-site-packages --without-pip "$work/venv"
# pip's own HTTP cache keeps nothing here (the registry's answers are not cacheable), so the wheels are
# kept in a folder of their own, fetched again only when pyproject.toml or the root changes.
wheels_stamp="$(cat "$rootfs/.digits-rootfs" "$repo/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$pip_cache/wheels.stamp" 2>/dev/null)" != "$wheels_stamp" ]; then
    rm -rf "$pip_cache/wheels" "$pip_cache/wheels.stamp"
    log "downloading the edge extra's wheels (and setuptools to build the checkout) into $pip_cache/wheels"
    in_root python3 -m pip download --quiet --dest /var/cache/digits-pip/wheels "setuptools>=68" "$work/src[edge]"
    printf '%s\n' "$wheels_stamp" >"$pip_cache/wheels.stamp"
else
    log "reusing the wheels in $pip_cache/wheels"
fi
in_root python3 -m pip --python "$work/venv/bin/python" install --quiet --no-compile \
    --no-index --find-links /var/cache/digits-pip/wheels "$work/src[edge]"
in_root "$work/venv/bin/python" - <<'EOF'
import importlib.metadata as md
import importlib.util
import platform
import sys

assert platform.machine() == "aarch64", platform.machine()
assert sys.version_info[:2] == (3, 11), sys.version
installed = {d.metadata["Name"].lower(): d.version for d in md.distributions()}
for name in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
    assert name not in installed, f"{name} {installed[name]} is installed: the edge extra must not bring it"
assert importlib.util.find_spec("tensorflow") is None, "tensorflow is importable"
assert installed.get("tflite-runtime") == "2.14.0", f"tflite-runtime {installed.get('tflite-runtime')}, expected 2.14.0"
import cv2  # noqa: E402  (fails here when the root lacks a library OpenCV's wheel loads)
import numpy  # noqa: E402
assert int(numpy.__version__.split(".")[0]) < 2, f"numpy {numpy.__version__} ({numpy.__file__}), expected < 2"
print(f"check_aarch64: python {platform.python_version()} {platform.machine()}; "
      f"tflite-runtime {installed['tflite-runtime']}, numpy {numpy.__version__} "
      f"({'Debian' if '/dist-packages/' in numpy.__file__ else 'the venv'}'s), "
      f"opencv-python {installed.get('opencv-python')}, cv2 {cv2.__version__}; no tensorflow")
EOF

# ---------------------------------------------------------------------------------------------------------
step "digits-edge --dir $luis_dir --json (under qemu)"
[ -d "$repo/$luis_dir" ] || fail "$luis_dir is missing from the checkout"
if [ -f "$repo/$luis_dir/labels.csv" ]; then labels="$luis_dir/labels.csv"; else labels="TestSet/labels.csv"; fi
[ -f "$repo/$labels" ] || fail "no labels file for $luis_dir ($luis_dir/labels.csv or TestSet/labels.csv)"
run_started=$EPOCHREALTIME
in_root sh -c "cd '$work/src' && '$work/venv/bin/digits-edge' --dir '$luis_dir' --json" >"$workdir/dir.jsonl" \
    || fail "digits-edge --dir exited with $?"
log "digits-edge --dir wall time under qemu (emulation, not a Pi figure): $(seconds_since "$run_started") s"
"$host_python" "$repo/scripts/aarch64/expect.py" dir --labels "$repo/$labels" --output "$workdir/dir.jsonl"

# ---------------------------------------------------------------------------------------------------------
step "digits-edge --camera VIDEO --headless --json (under qemu)"
host_tmp="$(mktemp -d)"
DIGITS_MNIST_DIR="$mnist_dir" "$host_python" "$repo/scripts/aarch64/render_video.py" "$host_tmp"
cp "$host_tmp/video.avi" "$host_tmp/schedule.json" "$workdir/"
# Stop at the video's last frame: --max-frames is exercised and the run still sees every digit.
frames="$("$host_python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["frames"])' "$host_tmp/schedule.json")"
run_started=$EPOCHREALTIME
in_root "$work/venv/bin/digits-edge" --camera "$work/video.avi" --headless --json --max-frames "$frames" \
    >"$workdir/camera.jsonl" || fail "digits-edge --camera exited with $?"
log "digits-edge --camera wall time under qemu (emulation, not a Pi figure): $(seconds_since "$run_started") s"
"$host_python" "$repo/scripts/aarch64/expect.py" camera --schedule "$workdir/schedule.json" \
    --output "$workdir/camera.jsonl"

# ---------------------------------------------------------------------------------------------------------
step "digits-edge --dir PAGES --multi --json (under qemu)"
# Numbers written cramped: the reader weighs cutting a mark against reading it whole on confidences the int8
# model often gives as equal; the Pi must decide such ties as this machine does (SCORE_TIE in edge/multi.py).
DIGITS_MNIST_DIR="$mnist_dir" "$host_python" "$repo/scripts/aarch64/render_pages.py" "$host_tmp/pages"
cp -r "$host_tmp/pages" "$workdir/pages"
run_started=$EPOCHREALTIME
in_root "$work/venv/bin/digits-edge" --dir "$work/pages" --multi --json >"$workdir/multi.jsonl" \
    || fail "digits-edge --multi exited with $?"
log "digits-edge --multi wall time under qemu (emulation, not a Pi figure): $(seconds_since "$run_started") s"
"$host_python" "$repo/scripts/aarch64/expect.py" multi --labels "$workdir/pages/labels.csv" \
    --output "$workdir/multi.jsonl"

passed=1
