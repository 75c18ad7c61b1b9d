"""An eleven-class model's "not a digit" through every mode, with a real TFLite model whose answer is known:
it reads a mark as a 3 unless it has ink far left or right of the middle on the middle rows (a plus sign),
which it calls not a digit; a 1 has none there."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from digits.edge.classifier import NOT_A_DIGIT, ClassifierOptions, DigitClassifier
from digits.edge.cli import main
from digits.edge.live import Roi, frame_prediction
from digits.edge.runtime import RUNTIMES

from tests.edge.test_preprocess import draw_on_paper

SIDE_INK_LIMIT = 5.0  # more ink than this (sum of [0, 1] pixels) in the middle rows' outer columns: not a digit


@pytest.fixture(scope="module")
def ink_model(tmp_path_factory, mnist_train) -> str:
    """A float32 TFLite model of 11 classes: logits 3 -> SIDE_INK_LIMIT, "not a digit" -> the ink in rows 12-15,
    columns 0-8 and 19-27 of the 28x28 input."""
    import keras
    from digits.convert.converter import ConvertOptions, convert

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(11),
                              keras.layers.Softmax()])
    side = np.zeros((28, 28), np.float32)
    side[12:16, :9] = side[12:16, 19:] = 1.0
    kernel = np.zeros((784, 11), np.float32)
    kernel[:, 10] = side.reshape(-1)
    bias = np.zeros(11, np.float32)
    bias[3] = SIDE_INK_LIMIT
    model.layers[-2].set_weights([kernel, bias])
    source = tmp_path_factory.mktemp("ink_model") / "model.keras"
    model.save(source)
    options = ConvertOptions(source=source, out_dir=source.parent, int8=False, calibration_samples=10, seed=0)
    return str(next(m.path for m in convert(options, mnist_train) if m.kind == "float32"))


@pytest.fixture(scope="module")
def marks(mnist_test) -> dict[str, np.ndarray]:
    """Gray photos of marks written on paper: an MNIST 1, and a plus sign drawn in MNIST's layout."""
    plus = np.zeros((28, 28), np.uint8)
    plus[13:16, 6:22] = plus[6:22, 13:16] = 255
    one = mnist_test.images[np.flatnonzero(mnist_test.labels == 1)[0]]
    return {"1": draw_on_paper(one), "+": draw_on_paper(cv2.GaussianBlur(plus, (3, 3), 0))}


@pytest.fixture()
def folder(tmp_path, marks):
    cv2.imwrite(str(tmp_path / "one.png"), marks["1"])
    cv2.imwrite(str(tmp_path / "plus.png"), marks["+"])
    return tmp_path


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_dir_table_and_json_say_not_a_digit(folder, ink_model, runtime):
    result = CliRunner().invoke(main, ["--dir", str(folder), "--model", ink_model, "--runtime", runtime])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split(maxsplit=2)[1:] for line in result.stdout.splitlines()[1:3]}
    assert rows["one.png"][0] == "3"
    assert rows["plus.png"] == ["-", "not a digit"]
    assert "no digit: 1" in result.stdout
    result = CliRunner().invoke(main, ["--dir", str(folder), "--model", ink_model, "--runtime", runtime, "--json"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    plus = next(line for line in lines if line.get("file") == "plus.png")
    assert plus["digit"] is None and plus["reason"] == NOT_A_DIGIT and plus["confidence"] is None
    assert plus["not_a_digit"] > 0.99 and len(plus["probabilities"]) == 10
    one = next(line for line in lines if line.get("file") == "one.png")
    assert one["digit"] == 3 and one["reason"] is None and one["not_a_digit"] < 0.01


def test_camera_region_holding_a_plus_sign_is_not_a_digit(ink_model, marks):
    classifier = DigitClassifier(ClassifierOptions(model_path=ink_model))
    assert classifier.rejects
    roi = Roi(60, 20, 200, 200)  # the marks are drawn 150 px high in the middle of a 320x240 photo
    prediction = frame_prediction(cv2.cvtColor(marks["+"], cv2.COLOR_GRAY2BGR), roi, classifier)
    assert prediction.digit is None and prediction.reason == NOT_A_DIGIT
    assert frame_prediction(cv2.cvtColor(marks["1"], cv2.COLOR_GRAY2BGR), roi, classifier).digit == 3


def test_multi_marks_a_plus_sign_unread_and_the_number_unreadable(tmp_path, ink_model, marks):
    page = np.hstack([marks["1"], marks["+"], marks["1"]])
    cv2.imwrite(str(tmp_path / "number.png"), page)
    result = CliRunner().invoke(main, ["--dir", str(tmp_path), "--multi", "--model", ink_model, "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.splitlines()[0])
    assert row["text"] == "3?3" and row["readable"] is False
    unread = [digit for line in row["lines"] for digit in line["digits"] if digit["digit"] is None]
    assert [digit["reason"] for digit in unread] == [NOT_A_DIGIT]
    # with the number's form, the plus sign is dropped
    result = CliRunner().invoke(main, ["--dir", str(tmp_path), "--multi", "--model", ink_model, "--json",
                                       "--digits", "2"])
    row = json.loads(result.stdout.splitlines()[0])
    assert row["text"] == "33" and row["readable"] is True
