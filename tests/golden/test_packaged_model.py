"""The packaged model's readings against the golden file (packaged_model.json): the one place that checks
what edge/models/digits_int8.tflite reads. A new packaged model fails here until the file is rewritten with
`python -m tests.golden.update_golden` (and its changes reviewed); every other test reads with the frozen test
model or asserts what any decent model reads."""
from __future__ import annotations

import json

import pytest
from digits.edge.classifier import ClassifierOptions, DigitClassifier, default_model_path

from tests.golden.readings import GOLDEN_PATH, allowed_changes, file_sha256, read_cases, right

pytestmark = pytest.mark.model
GOLDEN = json.loads(GOLDEN_PATH.read_text())


@pytest.fixture(scope="module")
def packaged_readings(mnist_test):
    return read_cases(mnist_test, DigitClassifier(ClassifierOptions(threads=1)))


def test_the_golden_file_is_of_the_packaged_model():
    assert GOLDEN["model_sha256"] == file_sha256(default_model_path()), (
        "edge/models/digits_int8.tflite is not the model the golden file was made with: "
        "run `python -m tests.golden.update_golden` and review the changed readings")


def test_the_golden_file_has_every_case(packaged_readings):
    assert sorted(GOLDEN["cases"]) == sorted(packaged_readings)


@pytest.mark.parametrize("case", sorted(GOLDEN["cases"]))
def test_the_packaged_model_reads_as_recorded(case, packaged_readings):
    recorded, found = GOLDEN["cases"][case], packaged_readings[case]
    assert found["labels"] == recorded["labels"]
    changed = [(index, label, was, now) for index, (label, was, now)
               in enumerate(zip(found["labels"], recorded["read"], found["read"])) if was != now]
    assert len(changed) <= allowed_changes(len(recorded["read"])), (
        f"{case}: {right(found)} of {len(found['labels'])} right (recorded {right(recorded)}); "
        f"read otherwise (item, label, recorded, now): {changed}")
