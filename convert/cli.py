"""digits-convert: a trained Keras model -> float32 (and int8) TFLite models, verified on MNIST."""
from __future__ import annotations

import math
from pathlib import Path

import click
from digits.train.mnist import MNIST_DIR_ENV
from digits.train.quiet import import_tensorflow_quietly


def _finite_non_negative(context: click.Context, parameter: click.Parameter, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise click.BadParameter(f"{value:g} is not a finite number >= 0")
    return value


@click.command()
@click.version_option(package_name="digits", prog_name="digits-convert")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder.  [default: the run directory, or the .keras file's folder]")
@click.option("--int8", is_flag=True, help="Also write model_int8.tflite: full-integer, int8 in and out.")
@click.option("--calibration-samples", type=int, default=500, show_default=True,
              help="Class-balanced MNIST training images used to calibrate int8.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the calibration draw.")
@click.option("--dynamic-range", is_flag=True,
              help="Also write model_dynamic_range.tflite (int8 weights, float activations); "
                   "tflite-runtime 2.14 cannot load it.")
@click.option("--mnist-dir", type=click.Path(path_type=Path), default=None,
              help=f"Folder with the four MNIST IDX files.  [default: ${MNIST_DIR_ENV}, else tensorflow-datasets]")
@click.option("--force", is_flag=True, help="Replace models and report already in the output folder.")
@click.option("--max-drop", type=float, default=None, callback=_finite_non_negative,
              help="Exit 1 when int8 accuracy is more than this many percentage points (a number >= 0) below "
                   "Keras.")
@click.option("--test-samples", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="MNIST test images used for verification (10,000 is all).")
@click.option("--latency-runs", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Timed single-image invokes per model and runtime (the median is reported).")
def main(source: Path, out_dir: Path | None, int8: bool, calibration_samples: int, seed: int, dynamic_range: bool,
         mnist_dir: Path | None, force: bool, max_drop: float | None, test_samples: int, latency_runs: int) -> None:
    """Convert a trained Keras model into TFLite models for the edge runner and verify them.

    SOURCE is a digits-train run directory (holding model.keras) or a .keras file. Writes
    model_float32.tflite, with --int8 also model_int8.tflite, and convert_report.json: accuracy on the
    MNIST test set, agreement with Keras, size and one-thread latency in every installed TFLite runtime.

    \b
    Example:
        digits-convert runs/compact --int8 --max-drop 0.1

    \b
    Exit status: 0 done; 1 refused input, or (after writing the report) a float32/int8
    model that an installed runtime cannot run, or int8 below --max-drop; 2 bad flags.
    """
    import_tensorflow_quietly()  # here, not at import: --help needs no TensorFlow
    from digits.convert.converter import ConvertError, ConvertOptions, OutputError
    from digits.convert.pipeline import VerifyOptions, convert_and_verify
    from digits.convert.steps import StepLog
    from digits.train.data import DataError
    from digits.train.mnist import MnistError, resolve_mnist_dir

    options = ConvertOptions(source=source, out_dir=out_dir, int8=int8, dynamic_range=dynamic_range,
                             calibration_samples=calibration_samples, seed=seed, force=force)
    verify_options = VerifyOptions(test_samples=test_samples, latency_runs=latency_runs, max_drop_pp=max_drop)
    log = StepLog(lambda text, newline: click.echo(text, nl=newline))
    try:
        convert_and_verify(options, verify_options, resolve_mnist_dir(mnist_dir), log)
    except (ConvertError, OutputError, MnistError, DataError) as error:
        raise click.ClickException(str(error)) from error
