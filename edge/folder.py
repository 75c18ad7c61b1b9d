"""The folder loop: read each image, preprocess it, classify it, optionally save what the model saw."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from digits.edge.classifier import UNSURE, DigitClassifier, Prediction, no_ink
from digits.edge.images import ImageReadError, list_images, read_image, write_image_atomic
from digits.edge.preprocess import WORK_SIDE, DigitImage, notebook_reading, read_digit

PREPROCESSORS: dict[str, Callable[[np.ndarray], DigitImage | None]] = {
    "robust": read_digit,  # any photo or scan -> MNIST-like, None when blank
    "none": notebook_reading,  # the notebook's way: grayscale, resized, /255
}
# px: a photo of one digit is analysed at WORK_SIDE, and a small digit in it is re-read from the image at about
# three times that: a bigger JPEG is decoded at 1/2, 1/4 or 1/8 size (less memory and time, the same readings)
SINGLE_DIGIT_DECODE_SIDE_PX = 3 * WORK_SIDE


class OutputError(ValueError):
    """An output path that would write over an input image or into the folder being read."""


@dataclass(frozen=True)
class FolderOptions:
    """What to read and how."""

    folder: Path
    recursive: bool = False
    preprocess: str = "robust"  # a key of PREPROCESSORS
    save_crops: Path | None = None  # where to write the 28x28 image the model saw, per file
    min_confidence: float = 0.0  # a digit read less surely than this is reported as no digit


def crop_path(save_crops: Path, relative: str) -> Path:
    """Where the 28x28 crop of the file at `relative` (from the folder read) is written: that path with `.png`
    added (`3/7.jpg` -> `3/7.jpg.png`), so that `7.jpg` and `7.png` keep a crop each."""
    return Path(save_crops) / f"{relative}.png"


def check_outputs(option: str, targets: Iterable[Path], folder: Path, files: list[Path], recursive: bool) -> None:
    """Refuse outputs that would land in the folder being read (with `recursive`, anywhere under it) or on one of
    the input `files`. Paths are compared resolved, through symlinks, so another name for the folder is caught.

    Raises:
        OutputError: the first such output, naming the option that asked for it.
    """
    root = Path(folder).resolve()
    inputs = {file.resolve() for file in files}
    read_folders = {root} | {file.parent for file in inputs}
    for target in targets:
        resolved = Path(target).resolve()
        if resolved in inputs:
            raise OutputError(f"{option} would write over the input image {target}; choose a place outside {folder}")
        if resolved.parent in read_folders or (recursive and resolved.parent.is_relative_to(root)):
            raise OutputError(f"{option} would write {target} into the folder being read ({folder}); "
                              f"choose a place outside it")


@dataclass(frozen=True)
class FolderImage:
    """One file of a folder: its image, or why it could not be read."""

    file: Path
    relative: str  # the path from the folder, with / separators
    image: np.ndarray | None = None
    skipped: str | None = None


def read_folder(folder: Path, files: list[Path], decode_side: int | None = None) -> Iterator[FolderImage]:
    """Read `files` (found under `folder`) one by one; an unreadable file is yielded with the reason.

    decode_side: as read_image's (big JPEGs decoded smaller, long side at least this many px).
    """
    for file in files:
        relative = file.relative_to(folder).as_posix()
        try:
            yield FolderImage(file, relative, image=read_image(file, decode_side))
        except ImageReadError as error:
            yield FolderImage(file, relative, skipped=str(error))


@dataclass(frozen=True)
class FileResult:
    """One file: a prediction (digit None = no digit), the image and the 28x28 the model saw, or the reason it
    was skipped."""

    file: Path
    relative: str
    prediction: Prediction | None = None
    skipped: str | None = None
    image: np.ndarray | None = None
    model_input: np.ndarray | None = None


def classify_image(image: np.ndarray, classifier: DigitClassifier, preprocess: str = "robust"
                   ) -> tuple[Prediction, np.ndarray | None]:
    """Preprocess and classify one image; latency_ms covers both. Returns the prediction and the 28x28 input."""
    start = time.perf_counter()
    found = PREPROCESSORS[preprocess](image)
    model_input = None if found is None else found.pixels
    if model_input is None:
        prediction = no_ink()
    else:
        prediction = classifier.predict(model_input)
    return replace(prediction, latency_ms=(time.perf_counter() - start) * 1000.0), model_input


def run_folder(options: FolderOptions, classifier: DigitClassifier, files: list[Path] | None = None
               ) -> Iterator[FileResult]:
    """Yield one result per image file, in natural order; unreadable files are yielded as skipped.

    Args:
        files: the images to read (from `list_images(options.folder, options.recursive)` when None).
    Raises:
        FolderError: missing folder, a file instead of a folder, or no image files.
    """
    if options.preprocess not in PREPROCESSORS:
        raise ValueError(f"unknown preprocessing {options.preprocess!r}; choose one of {', '.join(PREPROCESSORS)}")
    files = files if files is not None else list_images(options.folder, options.recursive)
    for item in read_folder(options.folder, files, SINGLE_DIGIT_DECODE_SIDE_PX):
        if item.skipped is not None:
            yield FileResult(item.file, item.relative, skipped=item.skipped)
        else:
            yield read_digit(item, classifier, options)


def read_digit(item: FolderImage, classifier: DigitClassifier, options: FolderOptions) -> FileResult:
    """Classify one read image as `options` say (a digit below min_confidence is no digit), writing its crop
    with save_crops."""
    prediction, model_input = classify_image(item.image, classifier, options.preprocess)
    if prediction.digit is not None and prediction.confidence < options.min_confidence:
        prediction = prediction.without_digit(UNSURE)
    if options.save_crops is not None:
        crop = np.zeros((28, 28), np.float32) if model_input is None else model_input
        write_image_atomic(crop_path(options.save_crops, item.relative),
                           np.round(np.clip(crop, 0, 1) * 255).astype(np.uint8))
    return FileResult(item.file, item.relative, prediction, image=item.image, model_input=model_input)
