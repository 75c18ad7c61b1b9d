#!/usr/bin/env bash
# Install the Debian packages whose programs the tests use for real, when one is missing (as root, with apt-get).
# Without root or apt-get it only says what is missing: the tests that need it are skipped, with that reason.
# Usage: scripts/debian_packages.sh PACKAGE:PROGRAM...   e.g. xvfb:Xvfb systemd:systemd-analyze
set -euo pipefail
missing=()
for pair in "$@"; do
    command -v "${pair#*:}" >/dev/null || missing+=("${pair%%:*}")
done
[ "${#missing[@]}" = 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "debian_packages: not installed: ${missing[*]} (the tests that need them are skipped)" >&2
    exit 0
fi
echo "debian_packages: installing ${missing[*]} with apt-get"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
