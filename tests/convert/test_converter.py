"""The converter's pure parts: calibration draw, output-folder checks, atomic writes (no TensorFlow)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from digits.convert.converter import (
    MODEL_FILES,
    ConvertError,
    OutputError,
    calibration_images,
    check_out_dir,
    resolve_source,
    write_atomic,
)
from digits.convert.steps import StepLog, format_size


def _digit_counts(images, train):
    """How many calibration images show each digit (found by matching pixels back to the training set)."""
    flat = (train.images.reshape(len(train.images), -1).astype(np.float32) / 255.0)
    index = {row.tobytes(): label for row, label in zip(flat, train.labels)}
    return np.bincount([index[image.reshape(-1).tobytes()] for image in images], minlength=10)


def test_calibration_is_class_balanced_and_preprocessed_like_training(mnist_train):
    images = calibration_images(mnist_train, 505, seed=3)
    assert images.shape == (505, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    counts = _digit_counts(images, mnist_train)
    assert sorted(counts) == [50] * 5 + [51] * 5


def test_calibration_is_seeded(mnist_train):
    first = calibration_images(mnist_train, 100, seed=1)
    assert np.array_equal(first, calibration_images(mnist_train, 100, seed=1))
    assert not np.array_equal(first, calibration_images(mnist_train, 100, seed=2))


@pytest.mark.parametrize("samples", [0, -5, 60_000])
def test_calibration_refuses_impossible_counts(mnist_train, samples):
    with pytest.raises(ConvertError, match="calibration-samples"):
        calibration_images(mnist_train, samples, seed=0)


def test_resolve_source(tmp_path):
    (tmp_path / "model.keras").write_bytes(b"x")
    assert resolve_source(tmp_path) == (tmp_path / "model.keras", tmp_path)
    assert resolve_source(tmp_path / "model.keras") == (tmp_path / "model.keras", tmp_path)
    with pytest.raises(ConvertError, match="no such file"):
        resolve_source(tmp_path / "missing.keras")

def test_resolve_source_refuses_folder_without_model(tmp_path):
    with pytest.raises(ConvertError, match="no model.keras"):
        resolve_source(tmp_path)


def test_out_dir_checks(tmp_path):
    names = [MODEL_FILES["float32"], MODEL_FILES["int8"]]
    check_out_dir(tmp_path / "new" / "deeper", names, force=False)  # created later, on the first write
    assert not (tmp_path / "new").exists()
    (tmp_path / MODEL_FILES["int8"]).write_bytes(b"old")
    with pytest.raises(OutputError, match="--force"):
        check_out_dir(tmp_path, names, force=False)
    check_out_dir(tmp_path, names, force=True)
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        check_out_dir(tmp_path / "a_file", names, force=False)
    with pytest.raises(OutputError, match="cannot write"):
        check_out_dir(Path("/proc/digits-out"), names, force=False)  # unwritable even for root


def test_write_atomic_replaces_whole_files_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "model.tflite"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert [path.name for path in target.parent.iterdir()] == ["model.tflite"]


def test_write_atomic_failure_is_an_output_error(tmp_path):
    (tmp_path / "blocker").write_text("a file where a folder should be")
    with pytest.raises(OutputError):
        write_atomic(tmp_path / "blocker" / "model.tflite", b"x")


def test_step_log_lines():
    lines = []
    log = StepLog(lambda text, newline: lines.append((text, newline)))
    with log.step("converting float32") as outcome:
        outcome.detail = format_size(3_470_000)
    assert lines[0] == ("converting float32... ", False)
    assert lines[1][0].endswith(" s, 3.47 MB") and lines[1][1]
    with pytest.raises(RuntimeError):
        with log.step("failing"):
            raise RuntimeError("boom")
    assert lines[-1] == ("failed", True)
    assert format_size(874_000) == "874 KB"


def _verification(int8_accuracy, int8_error=None):
    from digits.convert.verify import ModelCheck, RuntimeCheck, Verification

    float32 = ModelCheck("float32", "f.tflite", 100, (RuntimeCheck("ai-edge-litert", 0.95, 1.0, 10.0),), None, None)
    int8 = ModelCheck("int8", "i.tflite", 50, (RuntimeCheck("ai-edge-litert", int8_accuracy, 0.99, 5.0),
                                               RuntimeCheck("tflite-runtime", error=int8_error)), None, None)
    return Verification(1000, 0.95, (float32, int8))


def test_verdicts_max_drop_and_edge_runtimes():
    from digits.convert.report import AccuracyDropError, RuntimeLoadError, check_edge_runtimes, check_max_drop

    check_max_drop(_verification(0.945), 0.6)
    with pytest.raises(AccuracyDropError, match="1.00 percentage points"):
        check_max_drop(_verification(0.94), 0.6)
    check_max_drop(_verification(0.5), None)
    with pytest.raises(RuntimeLoadError, match="int8 in tflite-runtime: broken"):
        check_edge_runtimes(_verification(0.95, int8_error="broken"))
