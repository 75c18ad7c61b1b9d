"""The frozen test model: the behaviour tests read with it, never with the packaged model, so a new packaged
model changes none of their expectations (tests/golden checks the packaged model's own readings)."""
from __future__ import annotations

from pathlib import Path

TEST_MODEL_PATH = Path(__file__).resolve().parent / "test_int8.tflite"  # made by make_test_model.py


def frozen_classifier(runtime: str | None = None):
    """A one-thread classifier on the frozen test model, in `runtime` (None: the first installed)."""
    from digits.edge.classifier import ClassifierOptions, DigitClassifier

    return DigitClassifier(ClassifierOptions(model_path=TEST_MODEL_PATH, runtime=runtime, threads=1))
