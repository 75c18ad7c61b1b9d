"""What scripts/check_aarch64.sh asserts: the arm64 root's venv (scripts/aarch64/environment.py) and the
digits read there (scripts/aarch64/expect.py).

The check itself (a Debian arm64 root under qemu) runs from .ci/run, not here: it takes minutes.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def expect():
    spec = importlib.util.spec_from_file_location("aarch64_expect", ROOT / "scripts" / "aarch64" / "expect.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def environment():
    spec = importlib.util.spec_from_file_location("aarch64_environment",
                                                  ROOT / "scripts" / "aarch64" / "environment.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def _found(environment, python: str, numpy: str, **distributions: str):
    names = {"opencv-python": "4.11.0.86", **{name.replace("_", "-"): v for name, v in distributions.items()}}
    return environment.Found(machine="aarch64", python=python, distributions=names, numpy_version=numpy,
                             numpy_from_debian=True)


def test_each_suite_passes_the_environment_its_debian_root_gives(environment):
    bookworm = _found(environment, "3.11", "1.24.2", tflite_runtime="2.14.0")
    trixie = _found(environment, "3.13", "2.2.4", ai_edge_litert="2.3.0", opencv_python="5.1.0.95")
    assert environment.check(environment.SUITES["bookworm"], bookworm).startswith(
        "python 3.11 aarch64; tflite-runtime 2.14.0, numpy 1.24.2 (Debian's)")
    assert environment.check(environment.SUITES["trixie"], trixie).startswith(
        "python 3.13 aarch64; ai-edge-litert 2.3.0, numpy 2.2.4 (Debian's), opencv-python 5.1.0.95")


@pytest.mark.parametrize("suite, python, numpy, distributions, message", [
    ("bookworm", "3.11", "2.2.4", {"tflite_runtime": "2.14.0"}, "numpy 2.2.4, expected 1.x"),
    ("bookworm", "3.13", "1.24.2", {"tflite_runtime": "2.14.0"}, "python 3.13, expected 3.11"),
    ("bookworm", "3.11", "1.24.2", {"ai_edge_litert": "2.3.0"}, "tflite-runtime is not installed"),
    ("bookworm", "3.11", "1.24.2", {"tflite_runtime": "2.13.0"}, "tflite-runtime 2.13.0, expected 2.14.0"),
    ("trixie", "3.13", "1.26.4", {"ai_edge_litert": "2.3.0"}, "numpy 1.26.4, expected 2.x"),
    ("trixie", "3.11", "2.2.4", {"ai_edge_litert": "2.3.0"}, "python 3.11, expected 3.13"),
    ("trixie", "3.13", "2.2.4", {"tflite_runtime": "2.14.0"}, "ai-edge-litert is not installed"),
    ("trixie", "3.13", "2.2.4", {"ai_edge_litert": "2.3.0", "tensorflow": "2.21.0"}, "tensorflow 2.21.0 is installed"),
])
def test_an_environment_that_does_not_fit_its_suite_fails(environment, suite, python, numpy, distributions,
                                                          message):
    with pytest.raises(environment.EnvironmentMismatch, match=message):
        environment.check(environment.SUITES[suite], _found(environment, python, numpy, **distributions))


def test_the_check_script_refuses_an_unknown_suite_before_any_work():
    result = subprocess.run([ROOT / "scripts" / "check_aarch64.sh", "buster"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.startswith("usage: ") and result.stdout == ""


def _write_lines(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def _dir_run(tmp_path: Path, digits: list[int]) -> Path:
    records = [{"file": f"{index}.jpg", "digit": digit, "confidence": 0.9} for index, digit in enumerate(digits, 1)]
    return _write_lines(tmp_path / "dir.jsonl", records + [{"summary": {"images": len(digits)}}])


def _camera_run(tmp_path: Path, digits: list[int | None], frames: int) -> Path:
    records = [{"time": 0.1 * index, "frame": index, "digit": digit, "confidence": None if digit is None else 0.9,
                "fps": 10.0} for index, digit in enumerate(digits)]
    summary = {"summary": {"frames": frames, "mean_fps": 10.0, "latency_p50_ms": 90.0, "stopped_by": "max frames"}}
    return _write_lines(tmp_path / "camera.jsonl", records + [summary])


@pytest.fixture
def luis_labels(tmp_path):
    folder = tmp_path / "Luis"
    folder.mkdir()
    (folder / "labels.csv").write_text("file,label\n1.jpg,1\n2.jpg,0\n3.jpg,8\n")
    return folder / "labels.csv"


def test_dir_run_matching_the_labels_passes(expect, tmp_path, luis_labels):
    message = expect.check_dir(luis_labels, _dir_run(tmp_path, [1, 0, 8]), "Luis")
    assert message == "Luis: read 1 0 8, expected 1 0 8: OK"


@pytest.mark.parametrize("digits", [[1, 0, 7], [1, 0], [1, 0, None]])
def test_dir_run_with_a_wrong_missing_or_blank_digit_fails(expect, tmp_path, luis_labels, digits):
    with pytest.raises(expect.ExpectationError, match="expected 1 0 8"):
        expect.check_dir(luis_labels, _dir_run(tmp_path, digits), "Luis")


def test_labels_above_the_folder_are_narrowed_to_it(expect, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\nDen/1.jpg,0\nLuis/1.jpg,1\nLuis/2.jpg,0\nRivers/1.jpg,0\n")
    assert expect.read_labels(labels, "Luis") == {"1.jpg": 1, "2.jpg": 0}


def test_the_real_testset_labels_give_luis_digits(expect):
    labels = ROOT / "TestSet" / "Luis" / "labels.csv"
    if not labels.exists():
        pytest.skip("TestSet/Luis/labels.csv is not there")
    assert list(expect.read_labels(labels, "Luis").values()) == [1, 0, 8, 7, 3, 4, 8, 2]


@pytest.fixture
def schedule(tmp_path):
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps({"digits": [7, 2], "schedule": [[8, 20, 7], [28, 40, 2]], "frames": 48}))
    return path


def test_camera_run_alternating_blank_and_the_scheduled_digits_passes(expect, tmp_path, schedule):
    output = _camera_run(tmp_path, [None, 7, None, 2, None], frames=48)
    assert expect.check_camera(schedule, output).startswith("camera: steady readings [None, 7, None, 2, None]")


@pytest.mark.parametrize("digits, frames", [
    ([None, 7, None, 3, None], 48),  # a wrong digit
    ([None, 7, 2, None], 48),  # no blank between the digits
    ([None, 7, None], 48),  # a digit never read
    ([None, 7, None, 2, None], 30),  # the run stopped early
])
def test_camera_run_that_differs_from_the_schedule_fails(expect, tmp_path, schedule, digits, frames):
    with pytest.raises(expect.ExpectationError):
        expect.check_camera(schedule, _camera_run(tmp_path, digits, frames))


def _multi_run(path: Path, texts: dict[str, str]) -> Path:
    records = [{"file": name, "text": text, "lines": []} for name, text in texts.items()]
    return _write_lines(path, records + [{"summary": {"images": len(texts)}}])


@pytest.fixture
def page_labels(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("file,label\n2.png,603768\n3.png,3976\n")
    return path


def test_multi_run_reading_every_page_exactly_passes(expect, tmp_path, page_labels):
    output = _multi_run(tmp_path / "multi.jsonl", {"2.png": "603768", "3.png": "3976"})
    assert expect.check_multi(page_labels, output) == "multi: read 603768 3976, expected 603768 3976: OK"


@pytest.mark.parametrize("texts", [
    {"2.png": "63768", "3.png": "3976"},  # a tie decided the other way: one digit fewer
    {"2.png": "603768"},  # a page not read
    {"2.png": "603768", "3.png": "3976", "4.png": "1"},  # a file that is not one of the pages
])
def test_multi_run_misreading_or_missing_a_page_fails(expect, tmp_path, page_labels, texts):
    with pytest.raises(expect.ExpectationError, match="expected 603768 3976"):
        expect.check_multi(page_labels, _multi_run(tmp_path / "multi.jsonl", texts))


def test_the_command_line_reports_a_mismatch_with_exit_1(expect, tmp_path, luis_labels, capsys):
    output = _dir_run(tmp_path, [1, 0, 7])
    assert expect.main(["dir", "--labels", str(luis_labels), "--output", str(output)]) == 1
    assert "MISMATCH: Luis: read 1 0 7" in capsys.readouterr().err
