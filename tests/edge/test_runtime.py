"""Damaged .tflite files: refused by the FlatBuffer check before an interpreter reads them, in both runtimes."""
from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from digits.edge.classifier import ClassifierOptions, DigitClassifier, default_model_path
from digits.edge.cli import main
from digits.edge.runtime import RUNTIMES, available_cores
from digits.edge.tflite_file import ModelFileError, check_tflite

from tests.models import TEST_MODEL_PATH

# Damage that made tflite-runtime 2.14 die with a segmentation fault (found by a sweep over truncations at every
# offset below 256 and every 37th above, and thousands of flipped and replaced bytes of the frozen test model,
# whose bytes these positions belong to): cut after N bytes, or (position, new byte value).
CRASHING_CUTS = (16, 100, 256, 5066, 40000, 82000)
CRASHING_BYTES = ((309, 22), (71890, 251), (75218, 253), (5397, 59), (74191, 168))
TRUNCATION_STRIDE = 7  # bytes between the truncations checked in-process (a few hundred of them)


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return TEST_MODEL_PATH.read_bytes()


def damaged(model: bytes, damage: int | tuple[int, int]) -> bytes:
    if isinstance(damage, int):
        return model[:damage]
    position, value = damage
    return model[:position] + bytes([value]) + model[position + 1:]


@pytest.mark.parametrize("model", [default_model_path(), TEST_MODEL_PATH], ids=["packaged", "test"])
def test_a_sound_model_passes_the_check(model):
    check_tflite(model.read_bytes())


def test_every_truncation_of_the_model_is_refused(model_bytes):
    for cut in range(0, len(model_bytes), TRUNCATION_STRIDE):
        with pytest.raises(ModelFileError):
            check_tflite(model_bytes[:cut])


@pytest.mark.parametrize("damage", CRASHING_CUTS[:3] + CRASHING_BYTES)
def test_damage_that_crashed_tflite_runtime_is_refused(model_bytes, damage):
    with pytest.raises(ModelFileError):
        check_tflite(damaged(model_bytes, damage))


def test_a_file_of_another_kind_is_not_a_tflite_model(tmp_path):
    with pytest.raises(ModelFileError, match="no TFL3 identifier"):
        check_tflite(b"\x89PNG\r\n\x1a\n" + bytes(100))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_damaged_model_is_one_line_of_error_and_exit_1(tmp_path, model_bytes, repo_root, runtime):
    # In a child process: without the check, tflite-runtime's segmentation fault would end the test run itself.
    for number, damage in enumerate(CRASHING_CUTS + CRASHING_BYTES):
        model = tmp_path / f"damaged{number}.tflite"
        model.write_bytes(damaged(model_bytes, damage))
        result = subprocess.run([sys.executable, "-c", "from digits.edge.cli import console_main; console_main()",
                                 "--dir", str(repo_root / "TestSet" / "Luis"), "--model", str(model),
                                 "--runtime", runtime], capture_output=True, text=True, timeout=60)
        assert result.returncode == 1, (damage, result.returncode, result.stderr)
        assert result.stderr.startswith(f"Error: {model}: not a loadable TFLite model"), (damage, result.stderr)
        assert len(result.stderr.splitlines()) == 1, (damage, result.stderr)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_threads_beyond_the_cores_available_are_capped(runtime):
    classifier = DigitClassifier(ClassifierOptions(runtime=runtime, threads=available_cores() + 7))
    assert classifier.threads == available_cores()


def test_one_interpreter_thread_unless_asked():
    assert DigitClassifier(ClassifierOptions()).threads == 1


def test_threads_beyond_the_cores_get_a_note_and_the_run_goes_on(repo_root):
    result = CliRunner().invoke(main, ["--dir", str(repo_root / "TestSet" / "Luis"), "--threads", "64"])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"note: --threads 64 capped to the {available_cores()} cores available\n"


def test_the_help_says_threads_are_capped_at_the_cores_available():
    help_text = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert f"at most the cores available ({available_cores()} here): more is capped" in help_text
