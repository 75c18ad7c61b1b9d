#!/usr/bin/env bash
# Install deploy/digits-edge.service for a checkout: fill in the user it runs as and the checkout's path,
# write it to /etc/systemd/system, then enable and (re)start it.
# Usage: sudo deploy/install.sh [--user NAME] [--dir CHECKOUT] [--unit-dir DIR] [--dry-run]
#   --user NAME      the account the service runs as (default: the owner of the checkout; never root)
#   --dir CHECKOUT   the checkout whose .venv/bin/digits-edge runs (default: the one holding this script)
#   --unit-dir DIR   write the unit into DIR and stop there, without systemctl (default /etc/systemd/system,
#                    followed by systemctl daemon-reload, enable and restart)
#   --dry-run        print the unit and the commands instead of writing or running anything
set -euo pipefail

unit_name=digits-edge.service
template="$(cd "$(dirname "$0")" && pwd -P)/$unit_name"
checkout="$(dirname "$(dirname "$template")")"
user=""
unit_dir=/etc/systemd/system
use_systemctl=1
dry_run=0
usage="usage: deploy/install.sh [--user NAME] [--dir CHECKOUT] [--unit-dir DIR] [--dry-run]"

fail() { echo "install: $1" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --user) user="${2:?--user needs a name}"; shift 2 ;;
        --dir) checkout="${2:?--dir needs a folder}"; shift 2 ;;
        --unit-dir) unit_dir="${2:?--unit-dir needs a folder}"; use_systemctl=0; shift 2 ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        *) echo "install: unknown argument $1 ($usage)" >&2; exit 2 ;;
    esac
done

# A path goes unquoted into ExecStart=, WorkingDirectory= and BindReadOnlyPaths= (where ':' separates paths
# and '%' starts a specifier): only characters that mean nothing there.
check_unit_path() {
    [[ "$2" =~ ^/[A-Za-z0-9._/@+-]*$ ]] ||
        fail "$1 $2 has characters a unit file cannot take as they are (spaces, ':', '%', ...): move it"
}

[ -d "$checkout" ] || fail "no folder $checkout"
checkout="$(cd "$checkout" && pwd -P)"
check_unit_path "the checkout's path" "$checkout"
runner="$checkout/.venv/bin/digits-edge"
python="$checkout/.venv/bin/python"
[ -x "$runner" ] && [ -x "$python" ] ||
    fail "no $runner: make the venv first (python3 -m venv --system-site-packages .venv && .venv/bin/pip install '.[edge]')"

# The unit hides home folders and mounts back the checkout, and the venv's Python installation (its bin/..)
# when that lives in a home folder outside the checkout (pyenv, for one).
read_only_paths="$checkout"
python_prefix="$(dirname "$(dirname "$(readlink -f "$python")")")"
case "$python_prefix/" in
    "$checkout"/*) ;;
    /home/*|/root/*|/run/user/*)
        check_unit_path "the venv's Python installation" "$python_prefix"
        read_only_paths="$read_only_paths $python_prefix" ;;
esac

if [ -z "$user" ]; then
    user="$(stat -c %U "$checkout")"
fi
[[ "$user" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || fail "not a user name: $user"
uid="$(id -u "$user" 2>/dev/null)" || fail "no user $user on this system"
[ "$uid" != 0 ] || fail "the service does not run as root ($checkout belongs to $user): pass --user NAME"

unit="$(sed -e "s|@USER@|$user|g" -e "s|@CHECKOUT@|$checkout|g" -e "s|@READ_ONLY_PATHS@|$read_only_paths|g" "$template")"
target="$unit_dir/$unit_name"
commands=("systemctl daemon-reload" "systemctl enable ${unit_name%.service}" "systemctl restart ${unit_name%.service}")

if [ "$dry_run" = 1 ]; then
    echo "# $target (user $user, checkout $checkout):"
    echo "$unit"
    if [ "$use_systemctl" = 1 ]; then
        printf '# then: %s\n' "${commands[@]}"
    fi
    exit 0
fi

[ -d "$unit_dir" ] || fail "no folder $unit_dir"
[ -w "$unit_dir" ] || fail "cannot write to $unit_dir: run it with sudo"
# Written beside the target and renamed: systemd never reads a half-written unit.
partial="$(mktemp "$unit_dir/.$unit_name.XXXXXX")"
trap 'rm -f "$partial"' EXIT
echo "$unit" > "$partial"
chmod 644 "$partial"
mv -f "$partial" "$target"
trap - EXIT
echo "install: wrote $target (user $user, checkout $checkout)"

if [ "$use_systemctl" = 1 ]; then
    for command in "${commands[@]}"; do
        $command || fail "$command failed"
    done
    echo "install: ${unit_name%.service} is running: journalctl -u ${unit_name%.service} -f shows its readings"
fi
