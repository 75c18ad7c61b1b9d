"""digits-convert end to end: convert, verify on MNIST test images, write the report, apply --max-drop."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digits.convert.converter import (
    REPORT_FILE,
    ConvertError,
    ConvertOptions,
    check_calibration_samples,
    checked_out_dir,
    convert,
    resolve_source,
)
from digits.convert.report import check_edge_runtimes, check_max_drop, format_table, report_dict, write_report
from digits.convert.steps import StepLog
from digits.convert.verify import Verification, verify
from digits.train.data import load_split_arrays


@dataclass(frozen=True)
class VerifyOptions:
    """How the converted models are checked."""

    test_samples: int | None = None  # the first N MNIST test images; None: all 10,000
    latency_runs: int = 1000
    max_drop_pp: float | None = None  # fail when int8 loses more percentage points than this against Keras


@dataclass(frozen=True)
class ConvertResult:
    """What a run produced."""

    report_path: Path
    report: dict
    verification: Verification
    table: str


def convert_and_verify(options: ConvertOptions, verify_options: VerifyOptions, mnist_dir: Path | None,
                       log: StepLog = StepLog()) -> ConvertResult:
    """Convert, verify every model in every installed runtime, and write convert_report.json next to them.

    The report is written before the verdicts (every float32/int8 model runs in every installed runtime;
    --max-drop), so a failing run still documents why.

    Raises:
        ConvertError: bad input or options, MNIST missing, a failed conversion (ValueError subclasses,
            like MnistError); RuntimeLoadError when an installed runtime cannot run the float32 or int8 model;
            AccuracyDropError when int8 loses more than max_drop_pp.
        OutputError: the output folder cannot be written or already holds the models (without force).
    """
    keras_path, _ = resolve_source(options.source)  # refuse a missing model before anything slow
    check_calibration_samples(options.calibration_samples)
    if verify_options.max_drop_pp is not None and not options.int8:
        raise ConvertError("--max-drop compares the int8 model with Keras: add --int8")
    checked_out_dir(options)
    # MNIST from the IDX folder, or tensorflow-datasets when there is none; before any model is written,
    # so missing or bad data refuses the run
    train = load_split_arrays(mnist_dir, "train") if options.int8 else None
    test = load_split_arrays(mnist_dir, "test")
    models = convert(options, train, log)
    verification = verify(keras_path, models, test, verify_options.test_samples, verify_options.latency_runs,
                          log=log)
    report = report_dict(options, keras_path, verification, verify_options.max_drop_pp)
    report_path = models[0].path.parent / REPORT_FILE
    write_report(report_path, report)
    table = format_table(verification)
    log.note(table)
    log.note(f"wrote {report_path}")
    check_edge_runtimes(verification)
    check_max_drop(verification, verify_options.max_drop_pp)
    return ConvertResult(report_path, report, verification, table)
