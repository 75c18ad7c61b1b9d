"""The "not a digit" class's operating point, chosen on validation, and how often negatives get through.

A model trained with negatives says "not a digit" when that class is the most probable. How readily it does
is one number: a shift added to that class's logit. `choose_offset` picks the shift with the lowest cost on
the validation digits and negatives together, a digit misread or rejected costing DIGIT_ERROR_COST negatives
read as a digit; `bake_offset` adds it to the last layer's bias, so the runner needs nothing but the argmax.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOT_A_DIGIT_CLASS = 10
OFFSETS = np.round(np.arange(-4.0, 4.0001, 0.1), 2)  # the shifts of the "not a digit" logit tried
# A digit misread or rejected costs as much as this many negatives read as a digit: the runner reads digits far
# more often than anything else, and a digit lost is a reading lost (a negative taken is one wrong reading).
DIGIT_ERROR_COST = 4.0


@dataclass(frozen=True)
class OperatingPoint:
    """The chosen shift and what it gives on the validation images."""

    offset: float  # added to the "not a digit" logit
    digits: int
    digit_errors: int  # digits read wrong or rejected
    digits_rejected: int
    negatives: int
    false_accepts: int  # negatives read as a digit


def shifted(probabilities: np.ndarray, offset: float) -> np.ndarray:
    """11-class probabilities with the "not a digit" logit shifted by `offset` (a softmax again)."""
    logits = np.log(np.clip(probabilities.astype(np.float64), 1e-12, None))
    logits[:, NOT_A_DIGIT_CLASS] += offset
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def choose_offset(probabilities: np.ndarray, labels: np.ndarray) -> OperatingPoint:
    """The shift (of OFFSETS) of the lowest cost on these validation images (labels 0-9 digits, 10 negatives):
    DIGIT_ERROR_COST per digit misread or rejected, 1 per negative read as a digit; of equal ones, the smallest."""
    points = [operating_point(probabilities, labels, float(offset)) for offset in sorted(OFFSETS, key=abs)]
    return min(points, key=lambda point: DIGIT_ERROR_COST * point.digit_errors + point.false_accepts)


def operating_point(probabilities: np.ndarray, labels: np.ndarray, offset: float = 0.0) -> OperatingPoint:
    """What the argmax of the shifted probabilities gives on labelled digits (0-9) and negatives (10)."""
    predicted = shifted(probabilities, offset).argmax(axis=1)
    digit = labels != NOT_A_DIGIT_CLASS
    return OperatingPoint(offset=offset, digits=int(digit.sum()),
                          digit_errors=int(np.sum(predicted[digit] != labels[digit])),
                          digits_rejected=int(np.sum(predicted[digit] == NOT_A_DIGIT_CLASS)),
                          negatives=int(np.sum(~digit)),
                          false_accepts=int(np.sum(predicted[~digit] != NOT_A_DIGIT_CLASS)))


def bake_offset(model, offset: float) -> None:
    """Add `offset` to the "not a digit" bias of the model's last Dense layer (its softmax follows)."""
    import keras

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)][-1]
    kernel, bias = dense.get_weights()
    bias = bias.copy()
    bias[NOT_A_DIGIT_CLASS] += offset
    dense.set_weights([kernel, bias])


def false_accepts(probabilities: np.ndarray, groups: np.ndarray) -> dict[str, dict[str, float]]:
    """For negatives grouped by name (kind, or letter): how many, how many read as a digit, and the rate."""
    accepted = probabilities.argmax(axis=1) != NOT_A_DIGIT_CLASS
    result = {}
    for name in sorted(set(groups.tolist())):
        members = groups == name
        count = int(members.sum())
        result[name] = {"count": count, "accepted": int(accepted[members].sum()),
                        "rate": float(accepted[members].mean())}
    return result
