"""The run directory's JSON: strict, whatever numbers a diverged training produces."""
from __future__ import annotations

import json

from digits.train import report


def load_strict_json(path):
    """json.loads that refuses NaN and Infinity, as JavaScript's JSON.parse and most other parsers do."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_metrics_json_has_null_for_numbers_that_are_not_finite(tmp_path):
    path = tmp_path / report.METRICS_FILE
    report.write_json(path, {"test": {"loss": float("nan"), "accuracy": 0.1},
                             "history": [float("inf"), -float("inf"), 1.5], "pair": (float("nan"), 2)})
    assert load_strict_json(path) == {"test": {"loss": None, "accuracy": 0.1}, "history": [None, None, 1.5],
                                      "pair": [None, 2]}
