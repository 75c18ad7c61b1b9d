"""Rewrite tests/golden/packaged_model.json: the packaged model's readings of every golden case.

Run it when edge/models/digits_int8.tflite changes, from the repository's root, and review the diff (how many
of each case the new model reads right is printed):
    .venv/bin/python -m tests.golden.update_golden [--mnist-dir DIR]   (MNIST from DIGITS_MNIST_DIR otherwise)
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from digits.edge.classifier import ClassifierOptions, DigitClassifier, default_model_path
from digits.train.mnist import load_mnist_split

from tests.golden.readings import GOLDEN_PATH, file_sha256, read_cases, right


def golden_text(header: dict, cases: dict) -> str:
    """The golden file as JSON with one line per case, so that a new model's diff shows which cases changed."""
    lines = [f" {json.dumps(key)}: {json.dumps(value)}," for key, value in header.items()]
    lines += [' "cases": {', ",\n".join(f"  {json.dumps(name)}: {json.dumps(case)}" for name, case in cases.items()),
              " }"]
    return "{\n" + "\n".join(lines) + "\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-dir", type=Path, default=os.environ.get("DIGITS_MNIST_DIR"))
    args = parser.parse_args()
    if args.mnist_dir is None:
        parser.error("give --mnist-dir or set DIGITS_MNIST_DIR")
    classifier = DigitClassifier(ClassifierOptions(threads=1))
    cases = read_cases(load_mnist_split(args.mnist_dir, "test"), classifier)
    header = {"model": "edge/models/digits_int8.tflite", "model_sha256": file_sha256(default_model_path()),
              "runtime": classifier.runtime}
    partial = GOLDEN_PATH.with_suffix(".json.partial")
    partial.write_text(golden_text(header, cases))
    partial.replace(GOLDEN_PATH)
    for name, case in cases.items():
        print(f"{right(case):4d} of {len(case['labels']):3d}  {name}")
    print(f"wrote {GOLDEN_PATH}")


if __name__ == "__main__":
    main()
