"""`digits-edge doctor`: what this machine and environment have for the runner, the known traps with their
one-line fixes, and whether a digit can really be read (the packaged model, a digit drawn here).

Each check is a small function of what it inspects, so that it can be tried on other inputs; diagnose() runs
them all on this process and returns a DoctorReport. Nothing here prints: the click layer does.
"""
from __future__ import annotations

import contextlib
import glob
import importlib
import importlib.metadata
import io
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from digits.edge.native import native_stderr_captured

# What pip names each interpreter, the module it provides, and the Pythons its wheels exist for.
INTERPRETER_MODULES = {"ai-edge-litert": "ai_edge_litert.interpreter", "tflite-runtime": "tflite_runtime.interpreter"}
INTERPRETER_PYTHONS = {"ai-edge-litert": ((3, 10), (3, 14)), "tflite-runtime": ((3, 8), (3, 11))}
WHEEL_MACHINES = ("x86_64", "aarch64")  # 64-bit Linux machines both interpreters publish wheels for
PI_MODEL_FILE = Path("/proc/device-tree/model")
DRAWN_DIGIT = 7  # what the reading check draws and expects back
_DRAWN_SIDE_PX = 96


@dataclass(frozen=True)
class Check:
    """One line of the report: what was looked at, what was found, and for a problem the one-line fix."""

    name: str
    found: str
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.fix is None


@dataclass(frozen=True)
class Reading:
    """The end-to-end check: the packaged model read a drawn digit (or why it could not)."""

    runtime: str | None
    digit: int | None = None
    confidence: float = 0.0
    milliseconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.digit == DRAWN_DIGIT


@dataclass(frozen=True)
class DoctorReport:
    """Every check, and the readings with each interpreter that imports (the first is the one digits-edge uses)."""

    checks: tuple[Check, ...]
    readings: tuple[Reading, ...]

    @property
    def problems(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)

    @property
    def can_read(self) -> bool:
        """Whether digits-edge can read a digit here: the interpreter it picks read the drawn digit."""
        return bool(self.readings) and self.readings[0].ok


def python_check(version: tuple[int, int, int], executable: str) -> Check:
    return Check("Python", f"{'.'.join(map(str, version))} ({executable})")


def machine_check(machine: str, libc: tuple[str, str]) -> Check:
    """The architecture and C library: the interpreters' wheels are for 64-bit glibc Linux (manylinux)."""
    found = f"{machine}, {libc[0] or 'unknown C library'} {libc[1]}".strip()
    if machine not in WHEEL_MACHINES:
        return Check("machine", found, "no TFLite interpreter wheel for this architecture: use a 64-bit OS "
                                       "(64-bit Raspberry Pi OS on a Pi)")
    if libc[0] != "glibc":
        return Check("machine", found, "the interpreter wheels need glibc (Debian, Raspberry Pi OS, Ubuntu), "
                                       "not musl (Alpine)")
    return Check("machine", found)


def interpreter_checks(python: tuple[int, int], installed: dict[str, str | None],
                       import_errors: dict[str, str | None]) -> list[Check]:
    """One line per interpreter (version, and whether it imports); a fix when none is usable.

    installed: each RUNTIMES name -> its installed version, None when not installed.
    import_errors: each installed one -> why it cannot be used (its import fails, or it cannot work with this
        numpy), None when it can.
    """
    checks = []
    for name, version in installed.items():
        if version is None:
            checks.append(Check(name, "not installed"))
        elif import_errors.get(name):
            error = import_errors[name]
            checks.append(Check(name, f"{version}, unusable: {error}", _import_fix(name, error)))
        else:
            checks.append(Check(name, f"{version}, imports"))
    usable = [name for name, version in installed.items() if version is not None and not import_errors.get(name)]
    if not usable:
        checks.append(Check("interpreter", "none usable", wheel_fix(python)))
    return checks


def _import_fix(name: str, error: str) -> str | None:
    if "numpy" in error:
        return None  # the numpy line gives the fix
    return f"reinstall it: pip install --force-reinstall {name}"


def wheel_fix(python: tuple[int, int]) -> str:
    """The one-line fix when no interpreter is usable: which one has a wheel for this Python."""
    fitting = [name for name, (low, high) in INTERPRETER_PYTHONS.items() if low <= python <= high]
    if fitting:
        return f"pip install {fitting[0]}"
    return (f"no TFLite interpreter wheel for Python {python[0]}.{python[1]}: make the venv with Python "
            f"3.10-3.13 (e.g. Debian's python3)")


def numpy_check(version: str | None, tflite_runtime_installed: bool) -> Check:
    """numpy's version and ABI: tflite-runtime 2.14 was built against numpy 1 and fails under numpy 2."""
    if version is None:
        return Check("numpy", "not installed", "pip install 'digits[edge]' (numpy comes with it)")
    major = int(version.split(".")[0])
    if major >= 2 and tflite_runtime_installed:
        return Check("numpy", f"{version} (ABI 2: tflite-runtime cannot use it)",
                     "tflite-runtime 2.14 needs numpy 1: pip install 'numpy<2' (or use ai-edge-litert)")
    return Check("numpy", f"{version} (ABI {major}{': tflite-runtime can use it' if major < 2 else ''})")


def opencv_check(version: str | None, gui: str | None) -> Check:
    if version is None:
        return Check("OpenCV", "not installed", "pip install 'digits[edge]' (opencv-python comes with it)")
    return Check("OpenCV", f"{version} (windows: {gui or 'none'})")


def picamera2_check(import_error: str | None, on_pi: bool, venv_sees_system: bool | None) -> Check:
    """picamera2 comes from apt (python3-picamera2), so a venv must see the system's site packages."""
    if import_error is None:
        return Check("picamera2", "imports")
    found = f"does not import ({import_error})"
    if not on_pi:
        return Check("picamera2", found + "; only the Pi's CSI camera (--camera picam) needs it")
    if venv_sees_system is False:
        return Check("picamera2", found, "recreate the venv with --system-site-packages (python3 -m venv "
                                         "--system-site-packages .venv), picamera2 comes from apt")
    return Check("picamera2", found, "sudo apt install python3-picamera2")


def venv_check(prefix: str, base_prefix: str) -> tuple[Check, bool | None]:
    """Whether this Python runs in a venv, and whether that venv sees the system's site packages (None: no
    venv). The venv's pyvenv.cfg says so."""
    if prefix == base_prefix:
        return Check("venv", "none (the system's Python)"), None
    sees_system = read_pyvenv_cfg(Path(prefix) / "pyvenv.cfg").get("include-system-site-packages") == "true"
    return Check("venv", f"{prefix}, system site packages: {'yes' if sees_system else 'no'}"), sees_system


def read_pyvenv_cfg(path: Path) -> dict[str, str]:
    """The `key = value` lines of a venv's pyvenv.cfg (keys and values stripped, values lower-cased)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {key.strip(): value.strip().lower() for key, value in pairs}


def cameras_check(video_devices: list[str], device_names: dict[str, str], picamera_cameras: list[str]) -> Check:
    """The V4L2 devices (USB webcams; on a Pi also codec nodes, named) and the CSI cameras picamera2 sees."""
    parts = [f"{device} ({device_names[device]})" if device_names.get(device) else device for device in video_devices]
    parts += [f"picam: {camera}" for camera in picamera_cameras]
    return Check("cameras", ", ".join(parts) if parts else "none found")


def on_raspberry_pi(model_file: Path = PI_MODEL_FILE) -> bool:
    try:
        return model_file.read_bytes().startswith(b"Raspberry Pi")
    except OSError:
        return False


def read_drawn_digit(runtime: str | None, model_path: Path | None = None) -> Reading:
    """Load the model (None: the packaged one) with `runtime` (None: the one digits-edge picks) and read a digit
    drawn here."""
    try:
        import cv2
        import numpy as np
        from digits.edge.classifier import ClassifierOptions, DigitClassifier
        from digits.edge.preprocess import to_mnist

        classifier = DigitClassifier(ClassifierOptions(model_path, runtime))
        paper = np.full((_DRAWN_SIDE_PX, _DRAWN_SIDE_PX), 255, np.uint8)
        cv2.putText(paper, str(DRAWN_DIGIT), (24, 76), cv2.FONT_HERSHEY_SIMPLEX, 2.6, 0, 7, cv2.LINE_AA)
        start = time.perf_counter()
        prediction = classifier.predict(to_mnist(paper))
        milliseconds = (time.perf_counter() - start) * 1000.0
    except Exception as error:  # any failure is the answer here (ImportError, ModelError, a runtime's error, ...)
        return Reading(runtime, error=f"{type(error).__name__}: {error}".splitlines()[0])
    return Reading(classifier.runtime, prediction.digit, prediction.confidence, milliseconds)


def diagnose(model_path: Path | None = None) -> DoctorReport:
    """Every check on this process and machine, and a reading with each interpreter that imports, of the model
    at `model_path` (None: the packaged one)."""
    from digits.edge.runtime import RUNTIMES

    installed = {name: _distribution_version(name) for name in RUNTIMES}
    numpy_version = _distribution_version("numpy")
    import_errors = {name: _unusable(name, numpy_version) for name in RUNTIMES if installed[name]}
    venv, sees_system = venv_check(sys.prefix, sys.base_prefix)
    picamera2_error = _import_error("picamera2")
    checks = [python_check(sys.version_info[:3], sys.executable),
              machine_check(platform.machine(), platform.libc_ver()),
              *interpreter_checks(sys.version_info[:2], installed, import_errors),
              numpy_check(numpy_version, installed["tflite-runtime"] is not None),
              opencv_check(*_opencv()),
              picamera2_check(picamera2_error, on_raspberry_pi(), sees_system),
              venv,
              cameras_check(*_cameras(with_picamera2=picamera2_error is None))]
    usable = [name for name in RUNTIMES if installed[name] and not import_errors.get(name)]
    readings = tuple(read_drawn_digit(runtime, model_path) for runtime in usable)
    return DoctorReport(tuple(checks), readings or (read_drawn_digit(None, model_path),))


def _distribution_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _unusable(runtime: str, numpy_version: str | None) -> str | None:
    """Why an installed interpreter cannot be used here (built for another numpy, or its import fails)."""
    from digits.edge.runtime import unusable_reason

    if numpy_version and unusable_reason(runtime, numpy_version):
        return f"built for numpy 1, numpy {numpy_version} here"
    return _import_error(INTERPRETER_MODULES[runtime])


def _import_error(module: str) -> str | None:
    """Why `module` does not import (its first line), None when it does; native chatter kept off the terminal."""
    try:
        with native_stderr_captured(), contextlib.redirect_stderr(io.StringIO()):
            importlib.import_module(module)
    except Exception as error:  # an extension built for another numpy raises ImportError or AttributeError
        return (str(error).strip().splitlines() or [type(error).__name__])[0]
    return None


def _opencv() -> tuple[str | None, str | None]:
    try:
        import cv2
    except ImportError:
        return None, None
    from digits.edge.live import opencv_gui

    return cv2.__version__, opencv_gui()


def _cameras(with_picamera2: bool) -> tuple[list[str], dict[str, str], list[str]]:
    devices = sorted(glob.glob("/dev/video*"), key=lambda device: (len(device), device))
    names = {}
    for device in devices:
        try:
            names[device] = (Path("/sys/class/video4linux") / Path(device).name / "name").read_text().strip()
        except OSError:
            continue
    picamera_cameras = []
    if with_picamera2:
        from picamera2 import Picamera2

        picamera_cameras = [str(info.get("Model", info)) for info in Picamera2.global_camera_info()]
    return devices, names, picamera_cameras
