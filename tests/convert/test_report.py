"""convert_report.json: strict JSON, whatever numbers a broken model produces."""
from __future__ import annotations

from digits.convert.converter import REPORT_FILE
from digits.convert.report import write_report

from tests.train.test_report import load_strict_json


def test_report_has_null_for_numbers_that_are_not_finite(tmp_path):
    path = tmp_path / REPORT_FILE
    write_report(path, {"keras_accuracy": 0.98, "models": [{"runtime_max_difference": float("nan")}],
                        "int8_drop_pp": float("-inf")})
    assert load_strict_json(path) == {"keras_accuracy": 0.98, "models": [{"runtime_max_difference": None}],
                                      "int8_drop_pp": None}
