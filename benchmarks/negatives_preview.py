"""A PNG sheet of "not a digit" negatives (digits.train.negatives), rows per kind and letters grouped by letter,
beside a row of real MNIST digits for scale; prints how many images per second one core makes.

Usage: .venv/bin/python benchmarks/negatives_preview.py OUT.png [--seed 0] [--per-row 12] [--mnist-dir DIR]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from digits.train.mnist import load_mnist_split, resolve_mnist_dir
from digits.train.negatives import KINDS, make_negatives

REPO_ROOT = Path(__file__).resolve().parents[1]
CELL_PX = 56  # each 28x28 image drawn twice as large ...
GAP_PX = 4  # ... with this gap around it
LABEL_PX = 120  # the column of row names
ROWS_PER_KIND = {"letter": 3, "scribble": 1, "strike": 2, "cut": 2, "paper": 1}
TIMED_COUNT = 2000


def sheet(rows: list[tuple[str, np.ndarray]], per_row: int) -> np.ndarray:
    """Named rows of uint8 28x28 images as one gray image (white ink on black cells, gray gaps)."""
    step = CELL_PX + GAP_PX
    out = np.full((len(rows) * step + GAP_PX, LABEL_PX + per_row * step + GAP_PX), 96, np.uint8)
    for row, (name, images) in enumerate(rows):
        top = row * step + GAP_PX
        cv2.putText(out, name, (6, top + CELL_PX // 2 + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45, 255, 1, cv2.LINE_AA)
        for column, image in enumerate(images[:per_row]):
            left = LABEL_PX + column * step + GAP_PX
            out[top: top + CELL_PX, left: left + CELL_PX] = cv2.resize(image, (CELL_PX, CELL_PX),
                                                                       interpolation=cv2.INTER_NEAREST)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-row", type=int, default=12)
    parser.add_argument("--mnist-dir", type=Path, default=None, help="MNIST IDX folder (default $DIGITS_MNIST_DIR)")
    args = parser.parse_args()

    mnist_dir = resolve_mnist_dir(args.mnist_dir) or REPO_ROOT.parent / "shared" / "mnist"
    train, test = load_mnist_split(mnist_dir, "train"), load_mnist_split(mnist_dir, "test")
    for run in ("first call, glyphs drawn and cached", "later call"):
        started = time.perf_counter()
        negatives = make_negatives(TIMED_COUNT, args.seed, "train", train.images, train.labels)
        elapsed = time.perf_counter() - started
        print(f"{TIMED_COUNT} train negatives in {elapsed:.2f} s: {TIMED_COUNT / elapsed:.0f} images/s on one core "
              f"({run})")
    for kind in KINDS:
        styles, counts = np.unique(negatives.styles[negatives.kinds == kind], return_counts=True)
        if kind != "letter":
            print(f"  {kind}: " + ", ".join(f"{style} {count}" for style, count in zip(styles, counts)))

    per_row = args.per_row
    rows = [("MNIST digits", train.images[:per_row])]
    for kind in KINDS:
        picked = np.flatnonzero(negatives.kinds == kind)[:ROWS_PER_KIND[kind] * per_row]
        if kind == "letter":
            picked = picked[np.argsort(negatives.letters[picked], kind="stable")]
        for start in range(0, picked.size, per_row):
            rows.append((kind, negatives.images[picked[start: start + per_row]]))
    heldout = make_negatives(per_row, args.seed, "heldout", test.images, test.labels, shares={"letter": 1.0})
    rows.append(("letter, heldout", heldout.images))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".partial.png")
    cv2.imwrite(str(partial), sheet(rows, per_row))
    partial.replace(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
