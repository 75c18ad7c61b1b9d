"""Write what scripts/check_aarch64.sh feeds to `digits-edge` in the arm64 root: a camera video and pages of numbers.

    render_inputs.py OUT_DIR [--mnist-dir DIR]

Writes OUT_DIR/video.avi (320x240 MJPG: blank paper, then each of VIDEO_DIGITS written on paper, blank
paper after each, with hand motion and light changes; for `--camera`) and OUT_DIR/schedule.json ({"digits",
"schedule", "frames"}); the video's digits are the first MNIST test image of each label.

Writes OUT_DIR/pages/<page>.png and OUT_DIR/pages/labels.csv (for `--dir --multi`): 640x480 photos of
numbers written cramped (neighbouring digits' strokes touching or crossing), where the reader weighs cutting
a mark in two against reading it whole, often on confidences the int8 model gives as equal. Of the seed's
first pages, KEPT_PAGES are the ones this machine reads exactly; on page 2 a Pi read 63768 for 603768 before
ties were decided alike on every platform (SCORE_TIE in edge/multi.py), and page 4 (8608) is read only with a
curved cut between two digits written over each other.

MNIST test images are read from --mnist-dir, else $DIGITS_MNIST_DIR. Runs on the host with the project's
.venv (it needs digits.train.synth).
"""
from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
from digits.edge.files import write_bytes_atomic
from digits.edge.images import write_image_atomic
from digits.train.mnist import MnistError, MnistSplit, load_mnist_split, resolve_mnist_dir
from digits.train.synth import VideoError, render_photo, render_video

VIDEO_DIGITS = (7, 2, 1, 0, 4)  # the labels of the first five MNIST test images
VIDEO_SIZE = (320, 240)  # width, height: small, as every frame is preprocessed under emulation (~0.1 s each)
FRAMES_PER_DIGIT = 12
BLANK_FRAMES = 8
VIDEO_SEED = 0
KEPT_PAGES = (2, 3, 4, 5)  # of the seed's first 5 (page 1 is misread here too; page 4 was before curved cuts)
PAGE_SIZE = (640, 480)  # width, height: small, as every page is read under emulation
PAGE_SPACING = (-0.1, 0.0)  # digit heights between neighbours: strokes touch or cross
PAGE_SEED = 2  # of seeds 0 to 7 tried, with 2 and 5 a Pi read a page otherwise than this machine


def write_schedule(path: Path, schedule: list[tuple[int, int, int]], frames: int) -> None:
    """The schedule as JSON, written atomically."""
    record = {"digits": [label for _, _, label in schedule], "schedule": [list(entry) for entry in schedule],
              "frames": frames}
    write_bytes_atomic(path, json.dumps(record).encode())


def write_video(out_dir: Path, test: MnistSplit) -> str:
    """video.avi and schedule.json in out_dir; what was written, in one line.

    Raises:
        VideoError: the video cannot be written.
    """
    images = [test.images[np.flatnonzero(test.labels == digit)[0]] for digit in VIDEO_DIGITS]
    schedule = render_video(out_dir / "video.avi", images, np.random.default_rng(VIDEO_SEED), labels=VIDEO_DIGITS,
                            size=VIDEO_SIZE, frames_per_digit=FRAMES_PER_DIGIT, blank_frames=BLANK_FRAMES)
    frames = len(VIDEO_DIGITS) * (FRAMES_PER_DIGIT + BLANK_FRAMES) + BLANK_FRAMES
    write_schedule(out_dir / "schedule.json", schedule, frames)
    return f"{out_dir / 'video.avi'}: digits {' '.join(map(str, VIDEO_DIGITS))}, {frames} frames"


def write_pages(pages_dir: Path, test: MnistSplit) -> str:
    """The KEPT_PAGES pages and their labels.csv in pages_dir; what was written, in one line."""
    pages_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(PAGE_SEED)
    rows = ["file,label"]
    for page in range(1, max(KEPT_PAGES) + 1):
        indices = rng.integers(0, len(test.labels), int(rng.integers(4, 9)))
        image = render_photo([list(test.images[indices])], rng, PAGE_SIZE, spacing=PAGE_SPACING).image
        if page in KEPT_PAGES:
            write_image_atomic(pages_dir / f"{page}.png", image)
            rows.append(f"{page}.png,{''.join(str(label) for label in test.labels[indices])}")
    write_bytes_atomic(pages_dir / "labels.csv", ("\n".join(rows) + "\n").encode())
    return f"{pages_dir}: {len(KEPT_PAGES)} pages of numbers written cramped"


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, writable=True, path_type=Path))
@click.option("--mnist-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder with the MNIST IDX files.  [default: $DIGITS_MNIST_DIR]")
def main(out_dir: Path, mnist_dir: Path | None) -> None:
    """Write video.avi, schedule.json and pages/ into OUT_DIR."""
    mnist_dir = resolve_mnist_dir(mnist_dir)
    if mnist_dir is None:
        raise click.ClickException("no MNIST folder: pass --mnist-dir or set DIGITS_MNIST_DIR")
    try:
        test = load_mnist_split(mnist_dir, "test")
        out_dir.mkdir(parents=True, exist_ok=True)
        click.echo(write_video(out_dir, test))
    except (MnistError, VideoError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(write_pages(out_dir / "pages", test))


if __name__ == "__main__":
    main()
