"""Accuracy on MNIST test digits rendered as phone photos: a large, seeded measure of the whole edge path.

Each digit is written as pen ink on paper and photographed by `digits.train.synth` (random paper, pen, light,
shadow, ruled lines, the desk beyond the paper's edge, blur, noise, JPEG), then read with the edge runner's
preprocessing and a TFLite model, as `digits-edge --dir` would. The same digits are also read as the clean
MNIST originals, so the gap between the two columns is what the photo costs.

The digits are MNIST test digits, or with `--split validation` the 5,000 training digits digits-train holds
out (for choosing between models without looking at the test set): the model never trained on either. The
photographed flagged 1s it trains on (`digits-train --styled-photo-share`) come from the same renderer, though,
so this is not a measure of real handwriting: ../shared/photos (benchmarks/edge_photos.py) is.

`--stress` renders every digit again under each hard condition in turn (pencil, a tiny digit, a sheet
turned on a desk, ...: STRESS below) and prints accuracy and "no digit" answers per condition.

`--thumbnails` cuts each photo loosely around its digit and shrinks it to a softened 28x28 thumbnail (the
small file a phone app or a dataset script saves); with `--blank`, the same square of the blank page.

Usage: .venv/bin/python benchmarks/rendered_photos.py [--count 2000] [--split test|validation] [--seed 0] [--model PATH]
       .venv/bin/python benchmarks/rendered_photos.py --stress --split validation --count 400
       .venv/bin/python benchmarks/rendered_photos.py --stress --condition "squared paper" \
           --split validation --count 400
       .venv/bin/python benchmarks/rendered_photos.py --blank --stress --count 100   (blank pages: "no digit" expected)
       .venv/bin/python benchmarks/rendered_photos.py --thumbnails --split validation [--stress] [--blank]
"""
from __future__ import annotations

import argparse
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from digits.edge.classifier import ClassifierOptions, DigitClassifier
from digits.edge.preprocess import to_mnist
from digits.train.mnist import VALIDATION_SIZE, load_mnist_split, resolve_mnist_dir
from digits.train.synth import random_style, render_digit_photo, render_photo

REPO_ROOT = Path(__file__).resolve().parents[1]
PHOTO_SIZE = (640, 480)
CHUNK = 100
THUMBNAIL_CUT = (1.2, 1.6)  # the square cut around a digit for --thumbnails, times the long side of its box
THUMBNAIL_BLUR = 0.8  # px, the softening of the 28x28 thumbnail
# name -> (PhotoStyle fields fixed, digit height as a fraction of the photo's height or None for random)
STRESS = {
    "pencil (faint grey ink)": ({"ink_bgr": (110.0, 110.0, 110.0), "ink_opacity": 0.55}, None),
    "strong perspective": ({"perspective": 0.12, "rotation_deg": 12.0}, None),
    "sheet turned on a desk": ({"paper_edge": 0.12, "rotation_deg": 15.0}, None),
    "small digit (10% high)": ({}, 0.1),
    "tiny digit (7% high)": ({}, 0.07),
    "digit filling the frame": ({}, 0.85),
    "heavy blur": ({"blur_sigma": 2.5}, None),
    "dim and noisy": ({"exposure": 0.45, "noise_sigma": 12.0}, None),
    "thin pen": ({"pen_thinness": 0.3}, None),
    "marker": ({"pen_thinness": 1.6}, None),
    "squared paper": ({"ruled_spacing": 0.08, "squared": True}, None),
    "squared paper, close-up": ({"ruled_spacing": 0.15, "squared": True, "rule_opacity": 1.0, "rule_width": 0.008},
                                0.5),
}


def conditions(style) -> list[str]:
    """The photo conditions a style shows, for the breakdown ("plain" when none)."""
    found = [name for name, present in (("ruled lines", style.ruled_spacing is not None),
                                        ("desk beyond the paper", style.paper_edge > 0),
                                        ("shadow", style.shadow > 0)) if present]
    return found or ["plain"]


def thumbnail(photo: np.ndarray, box: tuple[int, int, int, int], rng: np.random.Generator) -> np.ndarray:
    """The photo cut loosely around a digit's box (a square THUMBNAIL_CUT times its long side, a little
    off-centre), in gray, shrunk to 28x28 and softened."""
    x, y, width, height = box
    side = max(width, height) * rng.uniform(*THUMBNAIL_CUT)
    centre_x, centre_y = x + width / 2 + rng.uniform(-0.1, 0.1) * side, y + height / 2 + rng.uniform(-0.1, 0.1) * side
    x0, y0 = int(max(0, centre_x - side / 2)), int(max(0, centre_y - side / 2))
    x1, y1 = int(min(photo.shape[1], centre_x + side / 2)), int(min(photo.shape[0], centre_y + side / 2))
    gray = cv2.cvtColor(photo[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    return cv2.GaussianBlur(cv2.resize(gray, (28, 28), interpolation=cv2.INTER_AREA), (0, 0), THUMBNAIL_BLUR)


def read_chunk(job: tuple[np.ndarray, list[int], str | None, bool, bool]) -> list[tuple[np.ndarray | None, list[str]]]:
    """Render and preprocess one chunk of digits with its own seed (so results do not depend on workers),
    in random styles or under one STRESS condition; with `blank`, the same pages without their digit; with
    `thumbnails`, a 28x28 thumbnail cut from each photo (see `thumbnail`)."""
    digits, seed, stress, blank, thumbnails = job
    overrides, digit_height = STRESS[stress] if stress else ({}, None)
    rng = np.random.default_rng(seed)
    out = []
    for digit in digits:
        style = random_style(rng, **overrides)
        if thumbnails:
            written = render_photo([[digit]], rng, PHOTO_SIZE, style, digit_height)
            page = render_photo([], rng, PHOTO_SIZE, style).image if blank else written.image
            photo = thumbnail(page, written.boxes[0], rng)
        else:
            photo = (render_photo([], rng, PHOTO_SIZE, style).image if blank
                     else render_digit_photo(digit, rng, PHOTO_SIZE, style, digit_height=digit_height))
        out.append((to_mnist(photo), [stress] if stress else conditions(style)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="test digits to render (default 2000)")
    parser.add_argument("--split", choices=("test", "validation"), default="test",
                        help="MNIST test digits, or digits-train's held-out validation digits (default test)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=Path, default=None, help="TFLite model (default: the packaged one)")
    parser.add_argument("--mnist-dir", type=Path, default=None, help="MNIST IDX folder (default $DIGITS_MNIST_DIR)")
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: every core)")
    parser.add_argument("--stress", action="store_true", help="each STRESS condition in turn instead of random styles")
    parser.add_argument("--condition", choices=list(STRESS), default=None, help="with --stress: only this condition")
    parser.add_argument("--thumbnails", action="store_true",
                        help="each photo cut around its digit and shrunk to a softened 28x28 thumbnail")
    parser.add_argument("--blank", action="store_true",
                        help="the same pages with nothing written on them: how many are given a digit")
    args = parser.parse_args()

    mnist_dir = resolve_mnist_dir(args.mnist_dir) or REPO_ROOT.parent / "shared" / "mnist"
    digits = load_mnist_split(mnist_dir, "test" if args.split == "test" else "train")
    if args.split == "validation":
        digits = replace(digits, images=digits.images[-VALIDATION_SIZE:], labels=digits.labels[-VALIDATION_SIZE:])
    chosen = np.sort(np.random.default_rng(args.seed).choice(len(digits.images), args.count, replace=False))
    # Each condition keeps its own seed (its place in STRESS), with or without --condition.
    runs = ([(number, name) for number, name in enumerate(STRESS, start=1) if args.condition in (None, name)]
            if args.stress else [(0, None)])
    jobs = [(digits.images[chosen[i:i + CHUNK]], [args.seed, *([number] if stress else []), i // CHUNK], stress,
             args.blank, args.thumbnails) for number, stress in runs for i in range(0, args.count, CHUNK)]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        read = [item for chunk in pool.map(read_chunk, jobs) for item in chunk]
    what = ("blank " if args.blank else "") + ("thumbnails" if args.thumbnails else "pages" if args.blank else "photos")
    what += " (styles drawn as for" if args.blank else " of"
    print(f"rendered and preprocessed {len(read)} {what} MNIST {args.split} digits{')' if args.blank else ''} in "
          f"{time.perf_counter() - start:.0f} s")

    if args.blank:
        given = defaultdict(lambda: [0, 0])  # condition -> [given a digit, pages]
        for model_input, found in read:
            for name in found if args.stress else ["all", *found]:
                given[name][0] += model_input is not None
                given[name][1] += 1
        print(f"{'condition (blank pages)':24s} {'pages':>6s} {'given a digit':>14s}")
        for name in sorted(given, key=lambda name: (name != "all", name)) if not args.stress else [n for _, n in runs]:
            print(f"{name:24s} {given[name][1]:6d} {given[name][0]:14d}")
        return
    classifier = DigitClassifier(ClassifierOptions(args.model, threads=1))
    score = defaultdict(lambda: [0, 0, 0, 0])  # condition -> [photo right, original right, no digit, total]
    for (model_input, found), index in zip(read, np.tile(chosen, len(runs))):
        label = int(digits.labels[index])
        photo_right = model_input is not None and classifier.predict(model_input).digit == label
        original_right = classifier.predict(digits.images[index] / 255.0).digit == label
        for name in found if args.stress else ["all", *found]:
            score[name][0] += photo_right
            score[name][1] += original_right
            score[name][2] += model_input is None
            score[name][3] += 1
    print(f"model: {classifier.model_path.name} ({classifier.runtime})")
    print(f"{'condition':24s} {'digits':>6s} {'as photos':>10s} {'no digit':>9s} {'originals':>10s}")
    names = [name for _, name in runs] if args.stress else sorted(score, key=lambda name: (name != "all", name))
    for name in names:
        photo, original, empty, total = score[name]
        print(f"{name:24s} {total:6d} {photo / total:10.2%} {empty:9d} {original / total:10.2%}")


if __name__ == "__main__":
    main()
