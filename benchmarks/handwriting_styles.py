"""How well a model reads the continental 7 (a bar across the stem) and 1 (a flag into the stem's top, often a
foot too), which MNIST's writers rarely drew.

The 7s and 1s of the split (validation or test digits: never trained on) that the style fits
(`digits.train.styles.cross_seven`, `flag_one` and `foot_one`; the compact recipe trains on flagged 1s,
`digits-train --flagged-ones`) are read as MNIST has them and in the style, each both as a 28x28 image and
rendered as a phone photo of pen on paper (`digits.train.synth`) read back through the edge preprocessing, as
`digits-edge` would. It prints the share read right and what the misses were read as.

Usage: .venv/bin/python benchmarks/handwriting_styles.py [--split test|validation] [--model PATH] [--seed 0]
       [--style "crossed 7s"|"flagged 1s"|"footed 1s"|"flagged and footed 1s"]
"""
from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from digits.edge.classifier import ClassifierOptions, DigitClassifier
from digits.edge.preprocess import to_mnist
from digits.train.mnist import VALIDATION_SIZE, load_mnist_split, resolve_mnist_dir
from digits.train.styles import ONE, SEVEN, cross_seven, flag_and_foot_one, flag_one, foot_one
from digits.train.synth import random_style, render_digit_photo

REPO_ROOT = Path(__file__).resolve().parents[1]
PHOTO_SIZE = (640, 480)
CHUNK = 100
STYLES = {"crossed 7s": (SEVEN, cross_seven), "flagged 1s": (ONE, flag_one), "footed 1s": (ONE, foot_one),
          "flagged and footed 1s": (ONE, flag_and_foot_one)}


def photographed(job: tuple[np.ndarray, int]) -> list[np.ndarray | None]:
    """One chunk of digits rendered as photos in random styles (its own seed) and read back by to_mnist."""
    digits, seed = job
    rng = np.random.default_rng(seed)
    return [to_mnist(render_digit_photo(digit, rng, PHOTO_SIZE, random_style(rng))) for digit in digits]


def _chunks(digits: np.ndarray, seed: int) -> list[tuple[np.ndarray, int]]:
    """Jobs for `photographed`: the same seeds for plain and styled digits, so each pair shares its photo style."""
    return [(digits[i:i + CHUNK], seed * 1000 + i // CHUNK) for i in range(0, len(digits), CHUNK)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    parser.add_argument("--model", type=Path, default=None, help="TFLite model (default: the packaged one)")
    parser.add_argument("--seed", type=int, default=0, help="the styles' and the photos' randomness")
    parser.add_argument("--style", choices=list(STYLES), default=None, help="only this style (default: each)")
    parser.add_argument("--mnist-dir", type=Path, default=None, help="MNIST IDX folder (default $DIGITS_MNIST_DIR)")
    args = parser.parse_args()

    mnist_dir = resolve_mnist_dir(args.mnist_dir) or REPO_ROOT.parent / "shared" / "mnist"
    split = load_mnist_split(mnist_dir, args.split if args.split == "test" else "train")
    images, labels = split.images, split.labels
    if args.split == "validation":
        images, labels = images[-VALIDATION_SIZE:], labels[-VALIDATION_SIZE:]
    classifier = DigitClassifier(ClassifierOptions(args.model, threads=1))
    print(f"model: {classifier.model_path.name} ({classifier.runtime}); MNIST {args.split} digits")
    for style in [args.style] if args.style else list(STYLES):
        digit, draw = STYLES[style]
        report_style(style, digit, draw, images[labels == digit], classifier, args.seed)


def report_style(style: str, digit: int, draw: Callable[[np.ndarray, np.random.Generator], np.ndarray | None],
                 originals: np.ndarray, classifier: DigitClassifier, seed: int) -> None:
    """Print how the originals that `draw` fits read as MNIST has them and drawn in the style, each as 28x28
    images and photographed."""
    rng = np.random.default_rng(seed)
    pairs = [(image, draw(image, rng)) for image in originals]
    plain = np.stack([image for image, styled in pairs if styled is not None])
    styled = np.stack([styled for _, styled in pairs if styled is not None])
    with ProcessPoolExecutor() as pool:
        plain_photos, styled_photos = ([item for chunk in pool.map(photographed, _chunks(group, seed))
                                        for item in chunk] for group in (plain, styled))
    print(f"\n{style}: drawn on {len(plain)} of {len(pairs)} {digit}s")
    print(f"{f'{digit}s read':36s} {f'as {digit}':>14s}  misses read as (digit: count)")
    for name, inputs in (("as in MNIST", [image / 255.0 for image in plain]),
                         ("as in MNIST, photographed", plain_photos),
                         (style, [image / 255.0 for image in styled]),
                         (f"{style}, photographed", styled_photos)):
        read = [None if model_input is None else classifier.predict(model_input).digit for model_input in inputs]
        right = sum(reading == digit for reading in read)
        misses = Counter(reading for reading in read if reading != digit)
        listed = ", ".join(f"{'none' if reading is None else reading}: {count}"
                           for reading, count in misses.most_common())
        print(f"{name:36s} {right / len(read):7.2%} ({right}/{len(read)})  {listed}")


if __name__ == "__main__":
    main()
