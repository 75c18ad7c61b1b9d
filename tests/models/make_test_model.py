"""Make tests/models/test_int8.tflite, the frozen model the behaviour tests read with.

It is the compact recipe (digits-train's defaults) with a fixed seed on one thread, converted to full-integer
int8 by digits-convert: the same commands as edge/models/README.md gives for the packaged model, which the
test model stays independent of (a new packaged model leaves this file and the tests' expectations alone).
Same seed and thread count on the same machine give the same bytes. Remake it only when the behaviour tests'
expectations are to be set again, and check the thresholds they assert with the new file.

Usage: .venv/bin/python tests/models/make_test_model.py [--mnist-dir DIR] [--work DIR]
(about 7 minutes on two cores; MNIST from --mnist-dir, else DIGITS_MNIST_DIR)
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TEST_MODEL = Path(__file__).resolve().parent / "test_int8.tflite"
SEED = 2
TRAIN_ARGS = ["--arch", "compact", "--seed", str(SEED), "--threads", "1", "--quiet"]
CONVERT_ARGS = ["--int8", "--seed", "0", "--calibration-samples", "500", "--max-drop", "0.1"]


def command(name: str) -> str:
    """The console script `name` beside this Python (the venv's bin folder)."""
    return str(Path(sys.executable).with_name(name))


def make(mnist_dir: Path, work: Path) -> Path:
    """Train and convert into `work`, then copy the int8 model over TEST_MODEL; returns TEST_MODEL."""
    run = work / "test-model"
    subprocess.run([command("digits-train"), *TRAIN_ARGS, "--mnist-dir", str(mnist_dir), "--out", str(run)],
                   check=True)
    subprocess.run([command("digits-convert"), str(run), *CONVERT_ARGS, "--mnist-dir", str(mnist_dir)], check=True)
    partial = TEST_MODEL.with_suffix(".tflite.partial")
    shutil.copyfile(run / "model_int8.tflite", partial)
    partial.replace(TEST_MODEL)
    return TEST_MODEL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-dir", type=Path, default=os.environ.get("DIGITS_MNIST_DIR"))
    parser.add_argument("--work", type=Path, help="keep the training run here (default: a temporary folder)")
    args = parser.parse_args()
    if args.mnist_dir is None:
        parser.error("give --mnist-dir or set DIGITS_MNIST_DIR")
    if args.work:
        path = make(args.mnist_dir, args.work)
    else:
        with tempfile.TemporaryDirectory() as work:
            path = make(args.mnist_dir, Path(work))
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
