"""JSON as the standard defines it: Python's json module writes NaN and Infinity, which other parsers reject."""
from __future__ import annotations

import json
import math


def finite_or_none(data):
    """`data` (dicts, lists and tuples of JSON values) with every NaN or infinite float replaced by None."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: finite_or_none(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite_or_none(value) for value in data]
    return data


def json_line(data) -> str:
    """`data` as one line of strict JSON: a NaN or infinite float (a broken model's output) becomes null."""
    return json.dumps(finite_or_none(data), allow_nan=False)


def json_text(data) -> str:
    """Indented JSON text ending in a newline, a number that is not finite written as null."""
    return json.dumps(finite_or_none(data), indent=2, allow_nan=False) + "\n"
