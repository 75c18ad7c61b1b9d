"""Remake TestSet: synthetic stand-ins for the notebook team's photos of their student-ID digits.

The originals were never published. This script picks MNIST *test* digits with the notebook's ground truth
by seeded random choice (no model is consulted) and renders them with `digits.train.synth` as pen on
paper photographed with a phone. Every file is written atomically.
"""
from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import click
import cv2
import numpy as np
from digits.edge.files import write_bytes_atomic
from digits.train import synth
from digits.train.mnist import MnistError, MnistSplit, load_mnist_split, resolve_mnist_dir

DEFAULT_SEED = 5
MAX_JPEG_BYTES = 150_000
# The notebook's ground truth: each person's student-ID digits, in order.
STUDENT_IDS = {"Den": "05126707", "Luis": "10873482", "Rivers": "03517896"}
# Each person's set is photographed differently (sizes are width x height).
SINGLE_SIZES = {"Den": [(640, 480)], "Luis": [(1280, 960), (960, 1280)], "Rivers": [(640, 480)]}
CROPPED = {"Rivers"}  # saved as 28x28 grayscale crops, as the notebook read them
ID_PHOTOS = {"Den": ((1600, 1200), None), "Luis": ((1200, 1600), None), "Rivers": ((1280, 960), 4)}  # size, per_line


def pick_digits(test: MnistSplit, student_ids: dict[str, str], rng: np.random.Generator) -> dict[str, list[int]]:
    """For each person, one MNIST test index per ID digit, drawn at random among that label; none used twice."""
    used: set[int] = set()
    picks = {}
    for name, digits in student_ids.items():
        picks[name] = []
        for char in digits:
            candidates = np.flatnonzero(test.labels == int(char))
            candidates = candidates[~np.isin(candidates, list(used))]
            index = int(rng.choice(candidates))
            used.add(index)
            picks[name].append(index)
    return picks


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """JPEG bytes at `quality`, lowered in steps of 5 until the file is under MAX_JPEG_BYTES."""
    while True:
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError("OpenCV could not encode a JPEG")
        if encoded.size <= MAX_JPEG_BYTES or quality <= 40:
            return encoded.tobytes()
        quality -= 5


def write_labels(path: Path, rows: list[tuple[str, str]]) -> None:
    """A `file,label` CSV, written atomically."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["file", "label"])
    writer.writerows(rows)
    write_bytes_atomic(path, text.getvalue().encode())


def render_person(test: MnistSplit, name: str, indices: list[int], rng: np.random.Generator) -> list[bytes]:
    """One JPEG per ID digit: a phone photo, or for CROPPED people a 28x28 grayscale crop of one."""
    files = []
    for index in indices:
        size = SINGLE_SIZES[name][int(rng.integers(len(SINGLE_SIZES[name])))]
        style = synth.random_style(rng)
        if name in CROPPED:
            photo = synth.render_photo([[test.images[index]]], rng, size, style)
            files.append(encode_jpeg(synth.crop_digit(photo, 0, rng), 92))
        else:
            quality = style.jpeg_quality or 90
            image = synth.render_digit_photo(test.images[index], rng, size, replace_jpeg(style))
            files.append(encode_jpeg(image, quality))
    return files


def replace_jpeg(style: synth.PhotoStyle) -> synth.PhotoStyle:
    """The style without its JPEG round trip: the photo is compressed once, when it is saved."""
    return replace(style, jpeg_quality=None)


def make_testset(mnist_dir: Path, out: Path, seed: int = DEFAULT_SEED) -> list[tuple[str, str]]:
    """Render every TestSet file under `out`; returns the (file, label) rows of TestSet/labels.csv.

    Raises:
        MnistError: the MNIST folder is missing or corrupt.
    """
    test = load_mnist_split(mnist_dir, "test")
    picks = pick_digits(test, STUDENT_IDS, np.random.default_rng([seed, 0]))
    all_rows = []
    for number, (name, digits) in enumerate(STUDENT_IDS.items()):
        rng = np.random.default_rng([seed, 1, number])
        rows = []
        for position, data in enumerate(render_person(test, name, picks[name], rng), start=1):
            write_bytes_atomic(out / name / f"{position}.jpg", data)
            rows.append((f"{position}.jpg", digits[position - 1]))
        write_labels(out / name / "labels.csv", rows)
        all_rows += [(f"{name}/{file}", label) for file, label in rows]
    id_rows = []
    for number, (name, digits) in enumerate(STUDENT_IDS.items()):
        rng = np.random.default_rng([seed, 2, number])
        size, per_line = ID_PHOTOS[name]
        style = synth.random_style(rng)
        image = synth.render_number_photo([test.images[i] for i in picks[name]], rng, size,
                                          replace_jpeg(style), per_line=per_line)
        write_bytes_atomic(out / "ids" / f"{name}.jpg", encode_jpeg(image, style.jpeg_quality or 90))
        id_rows.append((f"{name}.jpg", digits))
    write_labels(out / "ids" / "labels.csv", id_rows)
    write_labels(out / "labels.csv", all_rows)
    return all_rows


@click.command()
@click.option("--mnist-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with the four MNIST IDX files (default: $DIGITS_MNIST_DIR).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed for digit choice and rendering.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path(__file__).resolve().parent,
              show_default="the TestSet folder", help="Where to write the images and labels.")
def main(mnist_dir: Path | None, seed: int, out: Path) -> None:
    """Render the TestSet stand-ins (Den, Luis, Rivers, ids) from MNIST test digits.

    \b
    Example:
        python TestSet/make_testset.py --mnist-dir ../shared/mnist --seed 5
    """
    folder = resolve_mnist_dir(mnist_dir)
    if folder is None:
        raise click.ClickException("no MNIST folder: pass --mnist-dir or set $DIGITS_MNIST_DIR")
    try:
        rows = make_testset(folder, out, seed)
    except (MnistError, OSError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {len(rows)} digit images and {len(STUDENT_IDS)} ID photos to {out}")


if __name__ == "__main__":
    main()
