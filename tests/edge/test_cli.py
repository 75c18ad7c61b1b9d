"""`digits-edge --dir` through CliRunner with real files and both real TFLite interpreters."""
from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from digits.edge.cli import main
from digits.edge.runtime import RUNTIMES
from digits.edge.sheet import make_miss, misses_sheet
from tests.edge.test_images import cmyk_jpeg, png_header_only
from tests.edge.test_preprocess import draw_on_paper

MNIST_JPEGS = 200
MIN_MNIST_ACCURACY = 0.95


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def json_rows(output: str) -> list[dict]:
    rows = [json.loads(line) for line in output.splitlines() if line.strip()]
    return [row for row in rows if "file" in row]


@pytest.fixture(scope="module")
def digit_folders(tmp_path_factory, mnist_test):
    """photos/<label>/<n>.jpg: 3 MNIST test digits per label 3 and 7 drawn on paper (labels from folder names)."""
    root = tmp_path_factory.mktemp("photos")
    for label in (3, 7):
        (root / str(label)).mkdir()
        for n, index in enumerate(np.flatnonzero(mnist_test.labels == label)[:3]):
            cv2.imwrite(str(root / str(label) / f"{n * 5}.jpg"), draw_on_paper(mnist_test.images[index]))
    return root


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory, mnist_test):
    """Every kind of awkward file next to two good photos of a 7 (index 0 of the MNIST test set is a 7)."""
    folder = tmp_path_factory.mktemp("bad")
    photo = draw_on_paper(mnist_test.images[0])
    cv2.imwrite(str(folder / "good.jpg"), photo)
    (folder / "zero.jpg").write_bytes(b"")
    ok, encoded = cv2.imencode(".jpg", photo)
    (folder / "truncated.jpg").write_bytes(encoded.tobytes()[: len(encoded) // 2])
    (folder / "text.jpg").write_text("not an image\n")
    (folder / "huge.png").write_bytes(png_header_only(10000, 10000))
    cv2.imwrite(str(folder / "deep16.png"), photo.astype(np.uint16) * 257)
    cv2.imwrite(str(folder / "rgba.png"), cv2.cvtColor(photo, cv2.COLOR_GRAY2BGRA))
    (folder / "cmyk.jpg").write_bytes(cmyk_jpeg(photo))
    cv2.imwrite(str(folder / "blank.png"), np.full((480, 640), 235, np.uint8))
    cv2.imwrite(str(folder / "big.jpg"), cv2.resize(photo, (4400, 3300), interpolation=cv2.INTER_LINEAR))
    return folder


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_bad_files_are_skipped_with_warnings_and_the_rest_is_read(bad_folder, runtime):
    result = invoke("--dir", bad_folder, "--json", "--runtime", runtime, "--threads", "1")
    assert result.exit_code == 0, result.output + result.stderr
    digits = {row["file"]: row["digit"] for row in json_rows(result.stdout)}
    assert digits == {"big.jpg": 7, "blank.png": None, "cmyk.jpg": 7, "deep16.png": 7, "good.jpg": 7, "rgba.png": 7}
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == 4
    for name in ("zero.jpg", "truncated.jpg", "text.jpg", "huge.png"):
        assert any(name in line for line in warnings)
    summary = json.loads(result.stdout.splitlines()[-1])["summary"]
    assert summary["images"] == 6 and summary["skipped"] == 4 and summary["no_digit"] == 1


def test_json_rows_have_every_field(digit_folders):
    result = invoke("--dir", digit_folders / "3", "--json")
    assert result.exit_code == 0, result.output
    rows = json_rows(result.stdout)
    assert [row["file"] for row in rows] == ["0.jpg", "5.jpg", "10.jpg"]  # natural order
    for row in rows:
        assert set(row) == {"file", "digit", "confidence", "probabilities", "latency_ms", "label"}
        assert row["digit"] == row["label"] == 3
        assert len(row["probabilities"]) == 10 and abs(sum(row["probabilities"]) - 1) < 0.05
        assert 0 < row["confidence"] <= 1 and row["latency_ms"] > 0


def test_table_and_scores_from_folder_names(digit_folders):
    result = invoke("--dir", digit_folders, "--recursive")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["file", "digit", "confidence"]
    assert lines[1].split()[:2] == ["3/0.jpg", "3"]
    assert "images: 6  skipped: 0  no digit: 0" in result.stdout
    assert "accuracy: 100.00% (6/6 labelled)" in result.stdout
    assert "precision    recall  f1-score   support" in result.stdout
    assert "confusion matrix:" in result.stdout


def test_labels_from_a_csv(digit_folders, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n0.jpg,3\n5.jpg,3\n10.jpg,8\n")
    result = invoke("--dir", digit_folders / "3", "--labels", labels)
    assert result.exit_code == 0, result.output
    assert "accuracy: 66.67% (2/3 labelled)" in result.stdout


def test_save_crops_writes_what_the_model_saw(digit_folders, tmp_path):
    crops = tmp_path / "crops"
    result = invoke("--dir", digit_folders, "--recursive", "--save-crops", crops)
    assert result.exit_code == 0, result.output
    saved = sorted(p.relative_to(crops).as_posix() for p in crops.rglob("*") if p.is_file())
    assert saved == ["3/0.png", "3/10.png", "3/5.png", "7/0.png", "7/10.png", "7/5.png"]
    crop = cv2.imread(str(crops / "7" / "0.png"), cv2.IMREAD_UNCHANGED)
    assert crop.shape == (28, 28) and crop.dtype == np.uint8 and crop.max() > 200 and crop[0, 0] == 0


def test_preprocess_none_feeds_the_notebooks_way(digit_folders, tmp_path):
    result = invoke("--dir", digit_folders / "7", "--preprocess", "none", "--save-crops", tmp_path)
    assert result.exit_code == 0, result.output
    crop = cv2.imread(str(tmp_path / "0.png"), cv2.IMREAD_UNCHANGED)
    assert crop[0, 0] > 200  # not inverted: paper stays white, as the notebook fed it


def test_save_misses_draws_every_misread_image(digit_folders, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n0.jpg,3\n5.jpg,8\n10.jpg,1\n")  # two wrong labels: two misses
    result = invoke("--dir", digit_folders / "3", "--labels", labels, "--save-misses", tmp_path / "misses.png")
    assert result.exit_code == 0, result.output
    sheet = cv2.imread(str(tmp_path / "misses.png"))
    dummy = make_miss("x", np.zeros((9, 9), np.uint8), None, 0, None, 0.0)
    assert sheet.shape == misses_sheet([dummy, dummy], total=3).shape  # the layout of two tiles
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv", "misses.png"]  # no temporary left


def test_save_misses_without_labels_is_one_line_of_error(digit_folders, tmp_path):
    unlabelled = tmp_path / "photos"
    unlabelled.mkdir()
    (unlabelled / "a.jpg").write_bytes((digit_folders / "3" / "0.jpg").read_bytes())
    result = invoke("--dir", unlabelled, "--save-misses", tmp_path / "misses.png")
    assert result.exit_code == 1 and "--save-misses needs labels" in result.stderr
    assert not (tmp_path / "misses.png").exists()
    assert invoke("--dir", unlabelled, "--multi", "--save-misses", tmp_path / "m.png").exit_code == 2


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_mnist_test_digits_as_jpegs_are_read(tmp_path, mnist_test, runtime):
    for n, image in enumerate(mnist_test.images[:MNIST_JPEGS]):
        cv2.imwrite(str(tmp_path / f"{n}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    result = invoke("--dir", tmp_path, "--json", "--runtime", runtime)
    assert result.exit_code == 0, result.output
    digits = {row["file"]: row["digit"] for row in json_rows(result.stdout)}
    right = sum(digits[f"{n}.jpg"] == int(label) for n, label in enumerate(mnist_test.labels[:MNIST_JPEGS]))
    assert right / MNIST_JPEGS >= MIN_MNIST_ACCURACY


def test_the_runner_never_imports_tensorflow(digit_folders):
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from digits.edge.cli import main\n"
        f"result = CliRunner().invoke(main, ['--dir', {str(digit_folders)!r}, '--recursive', '--json'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert '\"digit\": 3' in result.output\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "False"]


def test_usage_errors_exit_2(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"x")
    for args in ([], ["--dir", tmp_path / "missing"], ["--dir", tmp_path / "a.jpg"], ["--dir", tmp_path, "--threads", "0"],
                 ["--dir", tmp_path, "--runtime", "tensorflow"]):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)


def test_runtime_errors_exit_1_with_one_line(tmp_path, digit_folders):
    (tmp_path / "empty").mkdir()
    (tmp_path / "garbage.tflite").write_bytes(b"not a model at all" * 10)
    (tmp_path / "unreadable").mkdir()
    (tmp_path / "unreadable" / "a.jpg").write_bytes(b"")
    (tmp_path / "bad.csv").write_text("0.jpg,eleven\n")
    cases = {
        "no images": ["--dir", tmp_path / "empty"],
        "not a loadable TFLite model": ["--dir", digit_folders / "3", "--model", tmp_path / "garbage.tflite"],
        "does not exist": ["--dir", digit_folders / "3", "--model", tmp_path / "missing.tflite"],
        "no readable image": ["--dir", tmp_path / "unreadable"],
        "is not `file,label`": ["--dir", digit_folders / "3", "--labels", tmp_path / "bad.csv"],
    }
    for message, args in cases.items():
        result = invoke(*args)
        assert result.exit_code == 1, (message, result.output)
        error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(error_lines) == 1 and message in error_lines[0], result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_model_with_the_wrong_input_shape_is_one_line_of_error(tmp_path, digit_folders):
    import keras
    import tensorflow as tf

    model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    (tmp_path / "wrong.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    result = invoke("--dir", digit_folders / "3", "--model", tmp_path / "wrong.tflite")
    assert result.exit_code == 1
    assert "input shape (1, 32, 32, 1), expected (1, 28, 28, 1)" in result.stderr
