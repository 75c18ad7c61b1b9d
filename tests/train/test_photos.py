"""`digits-train --eval-photos`: a Keras model scored on a labelled photo folder through the edge preprocessing."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from digits.train.cli import main
from digits.train.photos import load_labelled_photos

PER_DIGIT = 3


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory, mnist_test):
    """Folders 0-9 of MNIST test digits written as dark ink on light 96x96 JPEGs, plus noise to skip."""
    root = tmp_path_factory.mktemp("photos")
    for digit in range(10):
        (root / str(digit)).mkdir()
        for n, index in enumerate(np.flatnonzero(mnist_test.labels == digit)[:PER_DIGIT]):
            ink = cv2.resize(mnist_test.images[index], (96, 96), interpolation=cv2.INTER_CUBIC)
            cv2.imwrite(str(root / str(digit) / f"{n}.jpg"), 235 - (ink.astype(np.int16) * 200 // 255).astype(np.uint8))
    (root / "7" / "broken.jpg").write_bytes(b"not a jpeg")
    cv2.imwrite(str(root / "unlabelled.png"), np.full((50, 50), 255, np.uint8))
    return root


@pytest.fixture(scope="module")
def trained_with_photos(tmp_path_factory, mnist_dir, photo_folder):
    run_dir = tmp_path_factory.mktemp("run") / "seed"
    result = CliRunner().invoke(main, ["--arch", "seed", "--limit", "4000", "--epochs", "2", "--threads", "2",
                                       "--quiet", "--mnist-dir", str(mnist_dir), "--out", str(run_dir),
                                       "--eval-photos", str(photo_folder)])
    assert result.exit_code == 0, result.output
    return run_dir, result


def test_labelled_photos_come_from_digit_folders_and_skip_the_rest(photo_folder):
    photos = load_labelled_photos(photo_folder)
    assert len(photos.files) == 10 * PER_DIGIT
    assert sorted(set(photos.labels)) == list(range(10))
    assert len(photos.skipped) == 1 and "broken.jpg" in photos.skipped[0]
    assert all(image is not None and image.shape == (28, 28) for image in photos.inputs)


def test_labels_csv_overrides_folder_names(photo_folder, tmp_path):
    (tmp_path / "a.jpg").write_bytes((photo_folder / "3" / "0.jpg").read_bytes())
    (tmp_path / "labels.csv").write_text("file,label\na.jpg,3\n")
    photos = load_labelled_photos(tmp_path)
    assert photos.files == ["a.jpg"] and photos.labels == [3]


@pytest.mark.slow
def test_training_run_reports_photo_accuracy_in_output_and_metrics(trained_with_photos):
    run_dir, result = trained_with_photos
    photos = json.loads((run_dir / "metrics.json").read_text())["photos"]
    assert photos["count"] == 10 * PER_DIGIT
    assert photos["accuracy"] >= 0.7  # MNIST digits, cleanly written: a briefly trained net reads most
    assert f"accuracy {photos['accuracy']:.2%}" in result.output
    assert "precision" in result.output and "true\\pred" in result.output


@pytest.mark.slow
def test_eval_model_scores_an_existing_model_without_training(trained_with_photos, photo_folder):
    run_dir, _ = trained_with_photos
    expected = json.loads((run_dir / "metrics.json").read_text())["photos"]["accuracy"]
    result = CliRunner().invoke(main, ["--eval-photos", str(photo_folder), "--eval-model", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert f"accuracy {expected:.2%}" in result.output


@pytest.mark.parametrize("args, code, message", [
    (["--eval-model", "x.keras"], 2, "--eval-model needs --eval-photos"),
    (["--eval-photos", "/nonexistent/photos"], 1, "does not exist"),
])
def test_eval_photo_refusals(args, code, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output


def test_folder_without_labels_is_one_line(tmp_path, photo_folder):
    (tmp_path / "a.jpg").write_bytes((photo_folder / "3" / "0.jpg").read_bytes())
    result = CliRunner().invoke(main, ["--eval-photos", str(tmp_path), "--eval-model", "x.keras"])
    assert result.exit_code == 1
    assert "no labelled images" in result.output


def test_eval_model_that_is_not_keras_is_one_line(tmp_path, photo_folder):
    (tmp_path / "model.keras").write_text("garbage")
    result = CliRunner().invoke(main, ["--eval-photos", str(photo_folder), "--eval-model", str(tmp_path)])
    assert result.exit_code == 1
    assert "not a Keras model" in result.output and "Traceback" not in result.output
