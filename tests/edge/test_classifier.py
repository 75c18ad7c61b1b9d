"""Reading the model's output: ten digits, or eleven classes with "not a digit" (edge/classifier.py)."""
from __future__ import annotations

import numpy as np
import pytest
from digits.edge.classifier import NOT_A_DIGIT, UNSURE, no_ink, prediction_from


def test_ten_classes_always_give_a_digit():
    p = np.full(10, 0.02)
    p[4] = 0.82
    prediction = prediction_from(p, 1.5)
    assert prediction.digit == 4 and prediction.confidence == pytest.approx(0.82) and prediction.reason is None
    assert prediction.not_a_digit == 0.0 and len(prediction.probabilities) == 10 and prediction.latency_ms == 1.5


def test_the_eleventh_class_winning_is_not_a_digit():
    p = np.full(11, 0.03)
    p[10], p[7] = 0.5, 0.2
    prediction = prediction_from(p)
    assert prediction.digit is None and prediction.reason == NOT_A_DIGIT
    assert prediction.not_a_digit == pytest.approx(0.5) and prediction.confidence == pytest.approx(0.5)
    assert len(prediction.probabilities) == 10  # the digits' own, for --json
    p[10], p[7] = 0.2, 0.5
    assert prediction_from(p).digit == 7 and prediction_from(p).not_a_digit == pytest.approx(0.2)


def test_a_withdrawn_digit_keeps_its_probabilities():
    p = np.full(10, 0.05)
    p[2] = 0.55
    withdrawn = prediction_from(p).without_digit(UNSURE)
    assert withdrawn.digit is None and withdrawn.reason == UNSURE and withdrawn.probabilities[2] == pytest.approx(0.55)
    assert no_ink().reason == "no ink" and no_ink().probabilities == ()
