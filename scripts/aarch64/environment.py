"""Assert what the `edge` extra installed in an arm64 root of scripts/check_aarch64.sh (run there, in the venv).

    environment.py SUITE        (bookworm or trixie)

Checks the machine, the Python version, the TFLite interpreter, numpy's major version and that neither
tensorflow nor its wheels came with the extra; cv2 must import (a root lacking a library the opencv-python
wheel loads fails here). Prints one line with what was found; exit 0 when it fits the suite, 1 when not.
Standard library only, apart from importing cv2 and numpy, whose versions it reports.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Suite:
    """What a Debian arm64 root with the `edge` extra installed must have."""

    python: str  # major.minor
    interpreter: str  # the TFLite interpreter's distribution name
    interpreter_version: str | None  # None: any version the extra allows
    numpy_major: int


SUITES = {
    "bookworm": Suite(python="3.11", interpreter="tflite-runtime", interpreter_version="2.14.0", numpy_major=1),
    "trixie": Suite(python="3.13", interpreter="ai-edge-litert", interpreter_version=None, numpy_major=2),
}
TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tf-nightly")


class EnvironmentMismatch(AssertionError):
    """The root's venv does not have what its suite needs."""


@dataclass(frozen=True)
class Found:
    """What the venv has: machine, Python, installed distributions (lower-case name -> version), numpy."""

    machine: str
    python: str
    distributions: dict[str, str]
    numpy_version: str
    numpy_from_debian: bool


def check(suite: Suite, found: Found) -> str:
    """One line saying what was found; raises EnvironmentMismatch on the first thing that does not fit."""
    if found.machine != "aarch64":
        raise EnvironmentMismatch(f"machine {found.machine}, expected aarch64")
    if found.python != suite.python:
        raise EnvironmentMismatch(f"python {found.python}, expected {suite.python}")
    for name in TENSORFLOW_DISTRIBUTIONS:
        if name in found.distributions:
            raise EnvironmentMismatch(f"{name} {found.distributions[name]} is installed: the edge extra must not "
                                      "bring it")
    version = found.distributions.get(suite.interpreter)
    if version is None:
        raise EnvironmentMismatch(f"{suite.interpreter} is not installed")
    if suite.interpreter_version not in (None, version):
        raise EnvironmentMismatch(f"{suite.interpreter} {version}, expected {suite.interpreter_version}")
    if int(found.numpy_version.split(".")[0]) != suite.numpy_major:
        raise EnvironmentMismatch(f"numpy {found.numpy_version}, expected {suite.numpy_major}.x")
    numpy_origin = "Debian's" if found.numpy_from_debian else "the venv's"
    return (f"python {found.python} {found.machine}; {suite.interpreter} {version}, numpy {found.numpy_version} "
            f"({numpy_origin}), opencv-python {found.distributions.get('opencv-python')}; no tensorflow")


def find() -> Found:
    """What this interpreter's environment has (imports cv2 and numpy)."""
    if importlib.util.find_spec("tensorflow") is not None:
        raise EnvironmentMismatch("tensorflow is importable")
    import cv2  # noqa: F401  (fails when the root lacks a library OpenCV's wheel loads)
    import numpy

    distributions = {d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions()}
    return Found(machine=platform.machine(), python="{}.{}".format(*sys.version_info[:2]), distributions=distributions,
                 numpy_version=numpy.__version__, numpy_from_debian="/dist-packages/" in numpy.__file__)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SUITES:
        print(f"usage: environment.py {{{','.join(SUITES)}}}", file=sys.stderr)
        return 2
    try:
        print(f"check_aarch64: {check(SUITES[argv[0]], find())}")
    except EnvironmentMismatch as error:
        print(f"check_aarch64: MISMATCH: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
