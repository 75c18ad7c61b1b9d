"""Write the video that scripts/check_aarch64.sh feeds to `digits-edge --camera` in the arm64 root.

    render_video.py OUT_DIR [--mnist-dir DIR]

Writes OUT_DIR/video.avi (320x240 MJPG: blank paper, then each of VIDEO_DIGITS written on paper, blank
paper after each, with hand motion and light changes) and OUT_DIR/schedule.json ({"digits", "schedule",
"frames"}). The digits are the first MNIST test image of each label, read from --mnist-dir, else
$DIGITS_MNIST_DIR. Runs on the host with the project's .venv (it needs digits.train.synth).
"""
from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from digits.edge.files import write_bytes_atomic
from digits.train.mnist import MnistError, load_mnist_split, resolve_mnist_dir
from digits.train.synth import VideoError, render_video

VIDEO_DIGITS = (7, 2, 1, 0, 4)  # the labels of the first five MNIST test images
VIDEO_SIZE = (320, 240)  # width, height: small, as every frame is preprocessed under emulation (~0.1 s each)
FRAMES_PER_DIGIT = 12
BLANK_FRAMES = 8
SEED = 0


def write_schedule(path: Path, schedule: list[tuple[int, int, int]], frames: int) -> None:
    """The schedule as JSON, written atomically."""
    record = {"digits": [label for _, _, label in schedule], "schedule": [list(entry) for entry in schedule],
              "frames": frames}
    write_bytes_atomic(path, json.dumps(record).encode())


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, writable=True, path_type=Path))
@click.option("--mnist-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder with the MNIST IDX files.  [default: $DIGITS_MNIST_DIR]")
def main(out_dir: Path, mnist_dir: Path | None) -> None:
    """Write video.avi and schedule.json into OUT_DIR."""
    mnist_dir = resolve_mnist_dir(mnist_dir)
    if mnist_dir is None:
        raise click.ClickException("no MNIST folder: pass --mnist-dir or set DIGITS_MNIST_DIR")
    try:
        test = load_mnist_split(mnist_dir, "test")
        images = [test.images[np.flatnonzero(test.labels == digit)[0]] for digit in VIDEO_DIGITS]
        out_dir.mkdir(parents=True, exist_ok=True)
        schedule = render_video(out_dir / "video.avi", images, np.random.default_rng(SEED), labels=VIDEO_DIGITS,
                                size=VIDEO_SIZE, frames_per_digit=FRAMES_PER_DIGIT, blank_frames=BLANK_FRAMES)
    except (MnistError, VideoError) as error:
        raise click.ClickException(str(error)) from error
    frames = len(VIDEO_DIGITS) * (FRAMES_PER_DIGIT + BLANK_FRAMES) + BLANK_FRAMES
    write_schedule(out_dir / "schedule.json", schedule, frames)
    click.echo(f"{out_dir / 'video.avi'}: digits {' '.join(map(str, VIDEO_DIGITS))}, {frames} frames")


if __name__ == "__main__":
    main()
