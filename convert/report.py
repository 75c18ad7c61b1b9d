"""The verification as a readable table and as convert_report.json; the --max-drop gate."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from digits.convert.converter import ConvertError, ConvertOptions, write_atomic
from digits.convert.steps import format_size
from digits.convert.verify import Verification
from digits.edge.strict_json import json_text

COLUMNS = ("model", "size", "runtime", "accuracy", "agrees with Keras", "latency (1 thread)")
# must run in every installed runtime; dynamic-range is known not to load in tflite-runtime 2.14
EDGE_KINDS = ("float32", "int8")


class AccuracyDropError(ConvertError):
    """The int8 model loses more accuracy against Keras than --max-drop allows."""


class RuntimeLoadError(ConvertError):
    """An installed TFLite runtime cannot run a model meant for the edge (float32 or int8)."""


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def format_table(verification: Verification) -> str:
    """A plain-text table: Keras, then every model in every runtime, then how the runtimes agree."""
    rows = [("Keras", "-", "-", _percent(verification.keras_accuracy), "-", "-")]
    for model in verification.models:
        for position, check in enumerate(model.runtimes):
            first = position == 0
            if check.error:
                cells = ("cannot load", "-", "-")
            else:
                cells = (_percent(check.accuracy), _percent(check.keras_agreement), f"{check.latency_us:.0f} us")
            rows.append((model.kind if first else "", format_size(model.size_bytes) if first else "",
                         check.runtime) + cells)
    widths = [max(len(str(row[column])) for row in [COLUMNS, *rows]) for column in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [COLUMNS, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(f"({verification.test_samples} MNIST test images)")
    for model in verification.models:
        if model.runtime_agreement is not None:
            lines.append(f"{model.kind}: the runtimes agree on {model.runtime_agreement:.2%} of the images "
                         f"(largest probability difference {model.runtime_max_difference:.4f})")
        for check in model.runtimes:
            if check.error:
                lines.append(f"{model.kind}: {check.runtime} cannot load it: {check.error}")
    drop = verification.accuracy_drop_pp("int8")
    if drop is not None:
        lines.append(f"int8 against Keras: {round(-drop, 2) + 0.0:+.2f} percentage points")  # + 0.0: no "-0.00"
    return "\n".join(lines)


def report_dict(options: ConvertOptions, keras_path: Path, verification: Verification,
                max_drop_pp: float | None) -> dict:
    """Everything convert_report.json holds: the options, the verification and the verdicts."""
    drop = verification.accuracy_drop_pp("int8")
    return {
        "source": str(keras_path),
        "calibration": {"samples": options.calibration_samples, "seed": options.seed,
                        "split": "train", "class_balanced": True} if options.int8 else None,
        "test_samples": verification.test_samples,
        "keras_accuracy": verification.keras_accuracy,
        "models": [asdict(model) for model in verification.models],
        "int8_drop_pp": drop,
        "max_drop_pp": max_drop_pp,
        "edge_runtime_failures": edge_runtime_failures(verification),
        "passed": (max_drop_pp is None or drop is None or drop <= max_drop_pp)
        and not edge_runtime_failures(verification),
    }


def write_report(path: Path, report: dict) -> None:
    """Write the report as indented JSON (NaN and infinities as null), atomically."""
    write_atomic(path, json_text(report).encode())


def edge_runtime_failures(verification: Verification) -> list[str]:
    """"<kind> in <runtime>: <error>" for each float32 or int8 model that did not load in an installed runtime."""
    return [f"{model.kind} in {check.runtime}: {check.error}" for model in verification.models
            if model.kind in EDGE_KINDS for check in model.runtimes if check.error]


def check_edge_runtimes(verification: Verification) -> None:
    """Raise when a float32 or int8 model did not load in an installed runtime.

    Raises:
        RuntimeLoadError: naming the model, the runtime and its error.
    """
    failures = edge_runtime_failures(verification)
    if failures:
        raise RuntimeLoadError(f"a model for the edge does not run: {failures[0]}")


def check_max_drop(verification: Verification, max_drop_pp: float | None) -> None:
    """Raise when the int8 model loses more than `max_drop_pp` percentage points against Keras.

    Raises:
        AccuracyDropError: the drop exceeds the limit, or no int8 model was verified to check it.
    """
    if max_drop_pp is None:
        return
    drop = verification.accuracy_drop_pp("int8")
    if drop is None:
        raise AccuracyDropError("--max-drop needs a verified int8 model (add --int8)")
    if drop > max_drop_pp:
        raise AccuracyDropError(f"int8 accuracy is {drop:.2f} percentage points below Keras, "
                                f"more than --max-drop {max_drop_pp:g}")
