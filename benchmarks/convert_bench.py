"""Size, single-image latency (one thread) and accuracy of float32 and int8 TFLite models, side by side in both
TFLite runtimes, for the `seed` arch and the default arch of digits-train.

With run directories (or .keras files) as arguments, their trained models are converted and verified on the
MNIST test set. Without, untrained models of each arch are built and converted: sizes and latencies are the
same as for trained ones (only the weights differ), accuracies are left out. Conversion and verification are
digits-convert's own (batch-1 conversion, int8 calibrated on class-balanced MNIST training images, every
TFLite model run through the edge wrapper in a subprocess without TensorFlow).

Usage:
    DIGITS_MNIST_DIR=../shared/mnist .venv/bin/python benchmarks/convert_bench.py [RUN_DIR ...] [--runs 2000]
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digits.convert.converter import ConvertOptions, convert, load_keras_model, resolve_source  # noqa: E402
from digits.convert.steps import StepLog, format_size  # noqa: E402
from digits.convert.verify import verify  # noqa: E402
from digits.edge.runtime import RUNTIMES  # noqa: E402
from digits.train.mnist import load_mnist_split, resolve_mnist_dir  # noqa: E402
from digits.train.models import count_macs  # noqa: E402

UNTRAINED_TEST_SAMPLES = 100  # untrained models are only timed; a few images keep the check quick


def untrained_models(folder: Path) -> list[tuple[str, Path]]:
    """(arch, .keras path) for `seed` and the default arch, freshly built and saved into `folder`."""
    from digits.train.models import DEFAULT_ARCH, build_model

    archs = ["seed"] + ([DEFAULT_ARCH] if DEFAULT_ARCH != "seed" else [])
    saved = []
    for arch in archs:
        path = folder / arch / "model.keras"
        path.parent.mkdir(parents=True)
        build_model(arch).save(path)
        saved.append((arch, path))
    return saved


def benchmark(name: str, keras_path: Path, out_dir: Path, train, test, trained: bool, runs: int,
              log: StepLog) -> list[list[str]]:
    """Table rows (float32, int8) for one Keras model: params, MACs, size, latency per runtime, accuracy."""
    models = convert(ConvertOptions(source=keras_path, out_dir=out_dir, int8=True), train, log)
    verification = verify(keras_path, models, test, None if trained else UNTRAINED_TEST_SAMPLES, runs, log=log)
    keras_model = load_keras_model(keras_path)
    parameters, macs = keras_model.count_params(), count_macs(keras_model)
    rows = []
    for model in verification.models:
        checks = {check.runtime: check for check in model.runtimes}
        latencies = [f"{checks[runtime].latency_us:.0f} us" if runtime in checks and checks[runtime].latency_us
                     else "-" for runtime in RUNTIMES]
        accuracy = f"{model.runtimes[0].accuracy:.2%}" if trained and model.runtimes else "-"
        rows.append([name, f"{parameters:,}", f"{macs / 1e6:.2f} M", model.kind, format_size(model.size_bytes),
                     *latencies, accuracy, f"{verification.keras_accuracy:.2%}" if trained else "-"])
    return rows


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path, help="digits-train run directories or .keras files")
    parser.add_argument("--runs", type=int, default=2000, help="timed invokes per model and runtime (default: 2000)")
    parser.add_argument("--mnist-dir", type=Path, default=None, help="MNIST IDX folder (default: $DIGITS_MNIST_DIR)")
    parser.add_argument("--quiet", action="store_true", help="only the table, no progress lines")
    args = parser.parse_args()
    mnist_dir = resolve_mnist_dir(args.mnist_dir)
    if mnist_dir is None:
        parser.error("pass --mnist-dir or set DIGITS_MNIST_DIR")
    log = StepLog(None if args.quiet else lambda text, newline: print(text, end="\n" if newline else "", flush=True))
    train, test = load_mnist_split(mnist_dir, "train"), load_mnist_split(mnist_dir, "test")
    rows = []
    with tempfile.TemporaryDirectory(prefix="convert-bench-") as work:
        work = Path(work)
        if args.sources:
            models = []
            for source in args.sources:
                keras_path, _ = resolve_source(source)
                models.append((f"{load_keras_model(keras_path).name} ({source.name})", keras_path))
        else:
            models = untrained_models(work / "keras")
        for index, (name, keras_path) in enumerate(models):
            rows += benchmark(name, keras_path, work / f"tflite{index}", train, test, bool(args.sources), args.runs,
                              log)
    header = ["model", "params", "MACs", "kind", "size", *(f"latency {runtime}" for runtime in RUNTIMES),
              "accuracy (TFLite)", "accuracy (Keras)"]
    print(f"\nMNIST test set, single image, 1 thread, median of {args.runs} invokes; sizes in decimal KB/MB")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
