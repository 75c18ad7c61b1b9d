"""How well a model reads the continental 7 (a bar across the stem), which MNIST's writers rarely drew.

The 7s of the split (validation or test digits: never trained on) that a bar fits across
(`digits.train.styles.cross_seven`, the drawing `digits-train --crossed-sevens` trains on) are read as MNIST
has them and crossed, each both as a 28x28 image and rendered as a phone photo of pen on paper
(`digits.train.synth`) read back through the edge preprocessing, as `digits-edge` would. It prints the share
read as 7 and what the misses were read as.

Usage: .venv/bin/python benchmarks/crossed_sevens.py [--split test|validation] [--model PATH] [--seed 0]
"""
from __future__ import annotations

import argparse
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from digits.edge.classifier import ClassifierOptions, DigitClassifier
from digits.edge.preprocess import to_mnist
from digits.train.mnist import VALIDATION_SIZE, load_mnist_split, resolve_mnist_dir
from digits.train.styles import SEVEN, cross_seven
from digits.train.synth import random_style, render_digit_photo

REPO_ROOT = Path(__file__).resolve().parents[1]
PHOTO_SIZE = (640, 480)
CHUNK = 100


def photographed(job: tuple[np.ndarray, int]) -> list[np.ndarray | None]:
    """One chunk of digits rendered as photos in random styles (its own seed) and read back by to_mnist."""
    digits, seed = job
    rng = np.random.default_rng(seed)
    return [to_mnist(render_digit_photo(digit, rng, PHOTO_SIZE, random_style(rng))) for digit in digits]


def _chunks(digits: np.ndarray, seed: int) -> list[tuple[np.ndarray, int]]:
    """Jobs for `photographed`: the same seeds for plain and crossed 7s, so each pair shares its photo style."""
    return [(digits[i:i + CHUNK], seed * 1000 + i // CHUNK) for i in range(0, len(digits), CHUNK)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    parser.add_argument("--model", type=Path, default=None, help="TFLite model (default: the packaged one)")
    parser.add_argument("--seed", type=int, default=0, help="the bars' and the photos' randomness")
    parser.add_argument("--mnist-dir", type=Path, default=None, help="MNIST IDX folder (default $DIGITS_MNIST_DIR)")
    args = parser.parse_args()

    mnist_dir = resolve_mnist_dir(args.mnist_dir) or REPO_ROOT.parent / "shared" / "mnist"
    split = load_mnist_split(mnist_dir, args.split if args.split == "test" else "train")
    images, labels = split.images, split.labels
    if args.split == "validation":
        images, labels = images[-VALIDATION_SIZE:], labels[-VALIDATION_SIZE:]
    rng = np.random.default_rng(args.seed)
    pairs = [(image, cross_seven(image, rng)) for image in images[labels == SEVEN]]
    sevens = np.stack([image for image, crossed in pairs if crossed is not None])
    crossed = np.stack([crossed for _, crossed in pairs if crossed is not None])
    with ProcessPoolExecutor() as pool:
        plain_photos, crossed_photos = ([item for chunk in pool.map(photographed, _chunks(group, args.seed))
                                         for item in chunk] for group in (sevens, crossed))

    classifier = DigitClassifier(ClassifierOptions(args.model, threads=1))
    print(f"model: {classifier.model_path.name} ({classifier.runtime}); MNIST {args.split} 7s that a bar fits "
          f"across: {len(sevens)} of {len(pairs)}")
    print(f"{'7s read':28s} {'as 7':>14s}  misses read as (digit: count)")
    for name, inputs in (("as in MNIST", [image / 255.0 for image in sevens]),
                         ("as in MNIST, photographed", plain_photos),
                         ("crossed", [image / 255.0 for image in crossed]),
                         ("crossed, photographed", crossed_photos)):
        read = [None if model_input is None else classifier.predict(model_input).digit for model_input in inputs]
        right = sum(digit == SEVEN for digit in read)
        misses = Counter(digit for digit in read if digit != SEVEN)
        listed = ", ".join(f"{'none' if digit is None else digit}: {count}" for digit, count in misses.most_common())
        print(f"{name:28s} {right / len(read):7.2%} ({right}/{len(read)})  {listed}")


if __name__ == "__main__":
    main()
