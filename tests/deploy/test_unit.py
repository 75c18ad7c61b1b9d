"""deploy/install.sh and the systemd unit it installs: the right user and paths, and the sandbox's rating.

The unit is installed into a temporary folder (never /etc) for a temporary checkout whose venv runner is
this environment's `digits-edge`, and rated by the real `systemd-analyze`.
"""
from __future__ import annotations

import configparser
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from digits.edge.cli import main

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = ROOT / "deploy" / "install.sh"
UNIT_NAME = "digits-edge.service"
SYSTEM_UNIT_PATH = Path("/etc/systemd/system") / UNIT_NAME
EXPOSURE_LIMIT = 3.0

needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian package systemd)",
)


def _install(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(INSTALL_SCRIPT), *map(str, args)], capture_output=True, text=True)


def _read_unit(path: Path) -> configparser.ConfigParser:
    # strict=False: Environment=, DeviceAllow= and SystemCallFilter= appear more than once.
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(path)
    return unit


def _exposure(unit_path: Path) -> float:
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit_path)],
                            capture_output=True, text=True)
    found = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", result.stdout)
    assert found, f"no exposure level in systemd-analyze's output:\n{result.stdout}{result.stderr}"
    return float(found.group(1))


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A checkout whose venv's python and digits-edge are those of the venv running the tests."""
    runner = Path(sys.executable).parent / "digits-edge"
    assert runner.is_file(), f"no {runner}: install digits into this venv"
    venv_bin = tmp_path / "digits" / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "digits-edge").symlink_to(runner)
    (venv_bin / "python").symlink_to(sys.executable)
    return tmp_path / "digits"


@pytest.fixture
def sample_user() -> str:
    """An account other than root that exists on this machine."""
    return next(entry.pw_name for entry in pwd.getpwall() if entry.pw_uid != 0 and entry.pw_name != "nobody")


@pytest.fixture
def unit_dir(tmp_path) -> Path:
    folder = tmp_path / "units"
    folder.mkdir()
    return folder


@pytest.fixture
def installed_unit(checkout, sample_user, unit_dir) -> Path:
    result = _install("--user", sample_user, "--dir", checkout, "--unit-dir", unit_dir)
    assert result.returncode == 0, result.stderr
    return unit_dir / UNIT_NAME


def test_the_installed_unit_runs_the_checkouts_runner_as_the_user(installed_unit, checkout, sample_user):
    service = _read_unit(installed_unit)["Service"]
    assert service["User"] == sample_user
    assert service["WorkingDirectory"] == str(checkout)
    assert service["BindReadOnlyPaths"].split()[0] == str(checkout)
    command = shlex.split(service["ExecStart"])
    assert command[0] == f"{checkout}/.venv/bin/digits-edge"
    context = main.make_context("digits-edge", command[1:])  # the flags must be ones digits-edge takes
    assert context.params["camera"] == "picam" and context.params["headless"] and context.params["as_json"]
    assert not re.search(r"@[A-Z]+@", installed_unit.read_text())  # no placeholder left
    assert [path.name for path in installed_unit.parent.iterdir()] == [UNIT_NAME]  # no temporary file left


def test_a_system_python_needs_no_mount_beyond_the_checkout(checkout, sample_user, unit_dir):
    system_python = Path("/usr/bin/python3")
    if not system_python.exists():
        pytest.skip("no /usr/bin/python3 on this machine")
    (checkout / ".venv" / "bin" / "python").unlink()
    (checkout / ".venv" / "bin" / "python").symlink_to(system_python)
    assert _install("--user", sample_user, "--dir", checkout, "--unit-dir", unit_dir).returncode == 0
    assert _read_unit(unit_dir / UNIT_NAME)["Service"]["BindReadOnlyPaths"] == str(checkout)


def test_a_python_in_a_home_folder_is_mounted_back_read_only(installed_unit, checkout):
    python_prefix = Path(sys.executable).resolve().parents[1]
    if not str(python_prefix).startswith(("/home/", "/root/")):
        pytest.skip(f"this venv's Python ({python_prefix}) is not in a home folder")
    paths = _read_unit(installed_unit)["Service"]["BindReadOnlyPaths"].split()
    assert paths == [str(checkout), str(python_prefix)]


def test_the_unit_keeps_the_clean_stop_and_the_restart(installed_unit):
    unit = _read_unit(installed_unit)
    service = unit["Service"]
    assert service.get("KillSignal", "SIGTERM") == "SIGTERM" and service["TimeoutStopSec"] == "10"
    assert service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_user_defaults_to_the_owner_of_the_checkout(checkout, sample_user, unit_dir):
    owner = sample_user if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        os.chown(checkout, pwd.getpwnam(owner).pw_uid, -1)
    result = _install("--dir", checkout, "--unit-dir", unit_dir)
    assert result.returncode == 0, result.stderr
    assert _read_unit(unit_dir / UNIT_NAME)["Service"]["User"] == owner


def test_a_dry_run_prints_the_unit_and_the_commands_and_writes_nothing(checkout, sample_user):
    system_unit_before = SYSTEM_UNIT_PATH.stat().st_mtime_ns if SYSTEM_UNIT_PATH.exists() else None
    result = _install("--user", sample_user, "--dir", checkout, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"# {SYSTEM_UNIT_PATH} (user {sample_user}, checkout {checkout}):" in result.stdout
    assert f"\nUser={sample_user}\n" in result.stdout
    assert "# then: systemctl enable digits-edge" in result.stdout
    assert (SYSTEM_UNIT_PATH.stat().st_mtime_ns if SYSTEM_UNIT_PATH.exists() else None) == system_unit_before


@pytest.mark.parametrize("arguments, message", [
    (["--user", "no-such-user-here"], "install: no user no-such-user-here on this system"),
    (["--user", "root"], "install: the service does not run as root"),
    (["--user", "a b"], "install: not a user name: a b"),
])
def test_a_bad_user_is_one_line_of_error(checkout, unit_dir, arguments, message):
    result = _install(*arguments, "--dir", checkout, "--unit-dir", unit_dir)
    assert result.returncode == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert not any(unit_dir.iterdir())


def test_a_checkout_without_its_venv_is_one_line_of_error(tmp_path, sample_user, unit_dir):
    result = _install("--user", sample_user, "--dir", tmp_path, "--unit-dir", unit_dir)
    assert result.returncode == 1
    assert result.stderr.startswith(f"install: no {tmp_path}/.venv/bin/digits-edge: make the venv first")
    assert not any(unit_dir.iterdir())


def test_a_checkout_path_a_unit_cannot_hold_is_refused(tmp_path, checkout, sample_user, unit_dir):
    spaced = tmp_path / "my digits"
    checkout.rename(spaced)
    result = _install("--user", sample_user, "--dir", spaced, "--unit-dir", unit_dir)
    assert result.returncode == 1 and "cannot take as they are" in result.stderr
    assert not any(unit_dir.iterdir())


@needs_systemd_analyze
def test_the_sandbox_exposure_is_at_most_the_limit(installed_unit):
    assert _exposure(installed_unit) <= EXPOSURE_LIMIT


@needs_systemd_analyze
def test_the_same_service_without_the_sandbox_exceeds_the_limit(installed_unit, tmp_path):
    service = _read_unit(installed_unit)["Service"]
    bare = tmp_path / UNIT_NAME
    bare.write_text(f"[Service]\nUser={service['User']}\nExecStart={service['ExecStart']}\n")
    assert _exposure(bare) > EXPOSURE_LIMIT


@needs_systemd_analyze
def test_systemd_accepts_every_line_of_the_unit(installed_unit):
    result = subprocess.run(["systemd-analyze", "verify", str(installed_unit)], capture_output=True, text=True)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if UNIT_NAME in line]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr
