"""Parameters, MACs, TFLite size and single-image latency of each `digits-train` architecture.

Latency depends on the layers, not on the weights, so untrained models are converted (float32, and full
int8 calibrated on a few MNIST images) and timed in both interpreters on one thread. tflite-runtime 2.14
cannot load models in a process that has imported tensorflow, so every timing runs in a fresh subprocess
of this script (`--time-model`).

Usage: DIGITS_MNIST_DIR=../shared/mnist .venv/bin/python benchmarks/train_arch_latency.py [--runs 2000]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KINDS = ("int8", "float32")


def to_tflite(model, calibration: np.ndarray | None) -> bytes:
    """float32 TFLite when `calibration` is None, else full int8 (int8 input and output)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if calibration is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([image[None]] for image in calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with contextlib.redirect_stdout(io.StringIO()):  # the converter prints its SavedModel signature
        return converter.convert()


def median_latency_us(model_path: str, runtime: str, runs: int) -> float:
    """Median wall time of one invoke() on one thread, in microseconds (call without tensorflow imported)."""
    from digits.edge.runtime import interpreter_class

    interpreter = interpreter_class(runtime)(model_path=model_path, num_threads=1)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
    for _ in range(50):
        interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.invoke()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def latency_in_subprocess(model_path: Path, runtime: str, runs: int) -> float:
    """median_latency_us() run by a fresh Python process that never imports tensorflow."""
    result = subprocess.run([sys.executable, __file__, "--time-model", str(model_path), "--runtime", runtime,
                             "--runs", str(runs)], capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def measure(name: str, model, calibration: np.ndarray, runs: int) -> str:
    """One table row: parameters, MACs, sizes and latencies of `model`."""
    from digits.edge.runtime import RUNTIMES
    from digits.train.models import count_macs

    cells = [name, f"{model.count_params():,}", f"{count_macs(model):,}"]
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for kind in KINDS:
            paths[kind] = Path(folder) / f"{name}_{kind}.tflite"
            paths[kind].write_bytes(to_tflite(model, calibration if kind == "int8" else None))
        cells += [f"{paths[kind].stat().st_size / 1024:.1f}" for kind in KINDS]
        cells += [f"{latency_in_subprocess(paths[kind], runtime, runs):.1f}" for kind in KINDS for runtime in RUNTIMES]
    return " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="timed invokes per model (default: 2000)")
    parser.add_argument("--mnist-dir", default=None, help="MNIST IDX folder (default: $DIGITS_MNIST_DIR)")
    parser.add_argument("--time-model", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--runtime", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_model:
        print(median_latency_us(args.time_model, args.runtime, args.runs))
        return

    from digits.edge.runtime import RUNTIMES
    from digits.train.mnist import load_mnist_split, resolve_mnist_dir
    from digits.train.models import ARCHITECTURES, build_model

    mnist_dir = resolve_mnist_dir(args.mnist_dir)
    if mnist_dir is None:
        parser.error("pass --mnist-dir or set DIGITS_MNIST_DIR")
    calibration = load_mnist_split(mnist_dir, "train").images[:64, :, :, None].astype(np.float32) / 255.0
    header = ["arch", "params", "MACs", "int8 KB", "float32 KB"]
    header += [f"{kind} us {runtime}" for kind in KINDS for runtime in RUNTIMES]
    print(" | ".join(header))
    for arch in ARCHITECTURES:
        print(measure(arch, build_model(arch), calibration, args.runs), flush=True)


if __name__ == "__main__":
    main()
