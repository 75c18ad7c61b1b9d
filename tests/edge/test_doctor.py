"""`digits-edge doctor`: the whole report through CliRunner and the console script, and each check on real inputs
(real venvs, the packaged model, damaged copies of it, this machine's own files)."""
from __future__ import annotations

import platform
import subprocess
import sys
import venv

import numpy as np
import pytest
from click.testing import CliRunner
from digits.edge import doctor as checks
from digits.edge.classifier import default_model_path
from digits.edge.doctor_cli import doctor
from digits.edge.runtime import RUNTIMES, unusable_reason

NUMPY_MAJOR = int(np.__version__.split(".")[0])


def test_the_report_names_each_part_and_reads_the_drawn_digit():
    result = CliRunner().invoke(doctor, [])
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.output.splitlines() if line.strip()]
    for name in ("Python", "machine", *RUNTIMES, "numpy", "OpenCV", "picamera2", "venv", "cameras", "reading"):
        assert name in names, result.output
    assert f"read a drawn {checks.DRAWN_DIGIT} as {checks.DRAWN_DIGIT}" in result.output
    assert f"numpy           {np.__version__}" in result.output
    assert result.output.rstrip().endswith("digits-edge can read digits here")


def test_a_model_that_cannot_be_loaded_exits_1_with_the_reason(tmp_path):
    damaged = tmp_path / "damaged.tflite"
    damaged.write_bytes(default_model_path().read_bytes()[:5000])
    result = CliRunner().invoke(doctor, ["--model", str(damaged)])
    assert result.exit_code == 1, result.output
    assert "cannot read (ModelError: " in result.output and "truncated or corrupted" in result.output
    assert result.output.rstrip().endswith("digits-edge cannot read digits here")


def test_the_console_script_dispatches_doctor_and_keeps_the_runner(repo_root):
    console = [sys.executable, "-c", "from digits.edge.cli import console_main; console_main()"]
    report = subprocess.run([*console, "doctor"], capture_output=True, text=True, timeout=120)
    assert report.returncode == 0 and "digits-edge can read digits here" in report.stdout, report.stderr
    assert report.stderr == ""
    runner = subprocess.run([*console, "--dir", str(repo_root / "TestSet" / "Luis")], capture_output=True,
                            text=True, timeout=120)
    assert runner.returncode == 0 and "images: 8" in runner.stdout, runner.stderr


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_each_interpreter_reads_the_drawn_digit(runtime):
    reading = checks.read_drawn_digit(runtime)
    assert reading.ok and reading.runtime == runtime and reading.confidence > 0.9


def test_numpy_2_beside_tflite_runtime_is_the_known_trap_with_its_fix():
    trap = checks.numpy_check("2.2.6", tflite_runtime_installed=True)
    assert not trap.ok and "pip install 'numpy<2'" in trap.fix
    assert checks.numpy_check("2.2.6", tflite_runtime_installed=False).ok
    assert checks.numpy_check(np.__version__, tflite_runtime_installed=True).ok == (NUMPY_MAJOR < 2)


def test_tflite_runtime_is_never_loaded_beside_numpy_2():
    assert "pip install 'numpy<2'" in unusable_reason("tflite-runtime", "2.2.6")
    assert unusable_reason("tflite-runtime", "1.26.4") is None
    assert unusable_reason("ai-edge-litert", "2.2.6") is None


def test_no_usable_interpreter_says_which_wheel_fits_this_python():
    found = checks.interpreter_checks((3, 13), {"ai-edge-litert": None, "tflite-runtime": None}, {})
    assert found[-1].name == "interpreter" and found[-1].fix == "pip install ai-edge-litert"
    assert "no TFLite interpreter wheel for Python 3.15" in checks.wheel_fix((3, 15))
    assert checks.wheel_fix((3, 11)).startswith("pip install ")
    unusable = checks.interpreter_checks((3, 11), {"ai-edge-litert": None, "tflite-runtime": "2.14.0"},
                                         {"tflite-runtime": "built for numpy 1, numpy 2.2.6 here"})
    assert [check.ok for check in unusable] == [True, True, False]  # the numpy line carries that fix


def test_the_machine_check_wants_64_bit_glibc():
    assert checks.machine_check(platform.machine(), platform.libc_ver()).ok
    assert "64-bit" in checks.machine_check("armv7l", ("glibc", "2.36")).fix
    assert "glibc" in checks.machine_check("aarch64", ("", "")).fix


@pytest.mark.parametrize("system_site_packages", [False, True])
def test_the_venv_check_reads_a_real_venv(tmp_path, system_site_packages):
    folder = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=system_site_packages, with_pip=False).create(folder)
    check, sees_system = checks.venv_check(str(folder), sys.base_prefix)
    assert sees_system is system_site_packages
    assert check.found.endswith(f"system site packages: {'yes' if system_site_packages else 'no'}")
    assert checks.venv_check(sys.base_prefix, sys.base_prefix)[1] is None


def test_picamera2_missing_on_a_pi_says_how_to_get_it():
    error = checks._import_error("picamera2")
    if error is None:
        pytest.skip("picamera2 is installed here")
    assert checks.picamera2_check(error, on_pi=False, venv_sees_system=False).ok
    isolated = checks.picamera2_check(error, on_pi=True, venv_sees_system=False)
    assert "--system-site-packages" in isolated.fix
    assert "apt install python3-picamera2" in checks.picamera2_check(error, on_pi=True, venv_sees_system=True).fix


def test_a_raspberry_pi_is_told_by_its_device_tree_model(tmp_path):
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 4 Model B Rev 1.4\x00")
    assert checks.on_raspberry_pi(model)
    assert not checks.on_raspberry_pi(tmp_path / "missing")


def test_cameras_are_listed_with_their_names():
    found = checks.cameras_check(["/dev/video0", "/dev/video10"], {"/dev/video10": "bcm2835-codec-decode"},
                                 ["imx708"])
    assert found.found == "/dev/video0, /dev/video10 (bcm2835-codec-decode), picam: imx708"
    assert checks.cameras_check([], {}, []).found == "none found"
