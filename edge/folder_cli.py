"""The click layer shared by `--dir` and `--dir --multi`: the files to read (unreadable subfolders warned about),
labels matched to them before any is read, and Ctrl-C ending a run with the summary of what was read."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click
from digits.edge.evaluation import LabelTable, label_for
from digits.edge.images import FolderError, find_images, no_images_message
from digits.edge.output import RunEnd

INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT: what a shell reports for a command stopped by Ctrl-C


def images_to_read(folder: Path, recursive: bool) -> list[Path]:
    """The image files of `folder` in natural order; a subfolder that cannot be read is one warning on stderr.

    Raises:
        FolderError: the folder cannot be read or holds no image file.
    """
    listing = find_images(folder, recursive)
    for reason in listing.unreadable_folders:
        click.echo(f"warning: skipped folder {reason}", err=True)
    if not listing.files:
        raise FolderError(no_images_message(folder, recursive))
    return listing.files


def file_labels(files: list[Path], folder: Path, labels: LabelTable | None) -> dict[Path, int | str]:
    """Each file's label: from the labels CSV when given, else from a parent folder named 0-9.

    Raises:
        LabelsError: one row of the CSV matches several of the files.
    """
    if labels is not None:
        return labels.labels_of(files, folder)
    found = {file: label_for(file, folder, None) for file in files}
    return {file: label for file, label in found.items() if label is not None}


@contextlib.contextmanager
def stopped_by_ctrl_c(end: RunEnd) -> Iterator[None]:
    """Ctrl-C in the block ends it quietly and is noted in `end`, so that the summary of what was read prints."""
    try:
        yield
    except KeyboardInterrupt:
        end.interrupted = True


def exit_if_interrupted(end: RunEnd) -> None:
    """Exit with INTERRUPTED_EXIT_CODE when Ctrl-C stopped the run (once its summary is printed)."""
    if end.interrupted:
        raise click.exceptions.Exit(INTERRUPTED_EXIT_CODE)
