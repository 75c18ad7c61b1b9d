"""The four standard MNIST IDX files, read with numpy alone (no TensorFlow import)."""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MNIST_DIR_ENV = "DIGITS_MNIST_DIR"

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
IMAGE_SIDE = 28
VALIDATION_SIZE = 5_000  # the last training images, held out by digits-train for early stopping and checkpointing

# split -> (images file, labels file, expected count)
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000),
}


class MnistError(ValueError):
    """A missing, truncated or corrupt MNIST file; the message names the file and the fault."""


@dataclass(frozen=True)
class MnistSplit:
    """One MNIST split: uint8 images (N, 28, 28) and uint8 labels (N,)."""

    images: np.ndarray
    labels: np.ndarray


def resolve_mnist_dir(mnist_dir: str | os.PathLike | None) -> Path | None:
    """The offline MNIST folder: the given one, else $DIGITS_MNIST_DIR, else None (use tfds)."""
    chosen = mnist_dir or os.environ.get(MNIST_DIR_ENV) or None
    return Path(chosen) if chosen else None


def _find_file(mnist_dir: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        candidate = mnist_dir / name
        if candidate.is_file():
            return candidate
    raise MnistError(f"MNIST file {stem}(.gz) not found in {mnist_dir}")


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            head = handle.read(2)
            handle.seek(0)
            if head == b"\x1f\x8b":
                return gzip.GzipFile(fileobj=handle).read()
            return handle.read()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise MnistError(f"{path}: cannot read ({error})") from error


def read_idx(path: str | os.PathLike, expected_magic: int) -> np.ndarray:
    """Parse one IDX file (gzip or raw) into a uint8 array, checking magic number and size.

    Raises:
        MnistError: the file is missing, not IDX, of the wrong kind, or truncated.
    """
    path = Path(path)
    if not path.is_file():
        raise MnistError(f"{path}: no such file")
    data = _read_bytes(path)
    if len(data) < 8:
        raise MnistError(f"{path}: too short to be an IDX file ({len(data)} bytes)")
    magic = int.from_bytes(data[0:4], "big")
    if magic != expected_magic:
        raise MnistError(f"{path}: magic number {magic}, expected {expected_magic} (not an MNIST "
                         f"{'image' if expected_magic == IMAGES_MAGIC else 'label'} file)")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MnistError(f"{path}: truncated header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected_size = header + int(np.prod(shape))
    if len(data) != expected_size:
        raise MnistError(f"{path}: {len(data)} bytes, expected {expected_size} for shape {shape} "
                         f"({'truncated' if len(data) < expected_size else 'trailing data'})")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load_mnist_split(mnist_dir: str | os.PathLike, split: str) -> MnistSplit:
    """Load the 'train' or 'test' split from a folder holding the standard IDX files.

    Raises:
        MnistError: a file is missing or corrupt, or images and labels disagree.
    """
    mnist_dir = Path(mnist_dir)
    if not mnist_dir.is_dir():
        raise MnistError(f"MNIST folder {mnist_dir} does not exist")
    images_stem, labels_stem, count = MNIST_FILES[split]
    images = read_idx(_find_file(mnist_dir, images_stem), IMAGES_MAGIC)
    labels = read_idx(_find_file(mnist_dir, labels_stem), LABELS_MAGIC)
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise MnistError(f"{mnist_dir}/{images_stem}: images are {images.shape[1:]}, expected 28x28")
    if len(images) != count or len(labels) != count:
        raise MnistError(f"{mnist_dir}: {split} split has {len(images)} images and {len(labels)} labels, "
                         f"expected {count} of each")
    if labels.max(initial=0) > 9:
        raise MnistError(f"{mnist_dir}/{labels_stem}: label {labels.max()} outside 0-9")
    return MnistSplit(images=images, labels=labels)
