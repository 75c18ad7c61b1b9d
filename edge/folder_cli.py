"""The folder loop of `--dir`, for single digits and whole numbers (`--multi`) alike: the files to read
(unreadable subfolders warned about), labels matched to them before any is read, outputs checked, a row per
image as it is read, the summary, and Ctrl-C ending a run with the summary of what was read. What is read in
each image, and how it is printed, is the FolderJob's."""
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import click
from digits.edge.classifier import DigitClassifier
from digits.edge.evaluation import FolderTotals, LabelsError, LabelTable, RunEnd, RunSummary, label_for, read_labels_csv
from digits.edge.folder import (
    SINGLE_DIGIT_DECODE_SIDE_PX,
    FolderImage,
    FolderOptions,
    OutputError,
    check_outputs,
    crop_path,
    read_digit,
    read_folder,
)
from digits.edge.images import FolderError, find_images, no_images_message, write_image_atomic
from digits.edge.output import json_row, summary_json, summary_text, table_header, table_row
from digits.edge.sheet import Miss, make_miss, misses_sheet

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


class FolderJob(Protocol):
    """One kind of reading over a folder's images (single digits, or every digit with --multi)."""

    summary: FolderTotals
    decode_side: int | None  # as read_image's: big JPEGs decoded smaller for readers that look at less

    def read_labels(self, path: Path) -> LabelTable:
        """The labels CSV, as this job's labels (a digit, or a digit string)."""

    def outputs(self, folder: Path, files: list[Path]) -> Iterable[tuple[str, Iterable[Path]]]:
        """(option, paths) of the files the job will write, to be checked before any is read."""

    def header(self, folder: Path, files: list[Path]) -> str | None:
        """The line printed before the rows, if any."""

    def read(self, item: FolderImage, label: int | str | None) -> str:
        """Read one image, add it to the summary, write its outputs; the row (text or JSON) to print."""

    def summary_lines(self) -> str:
        """The summary, printed after the rows."""

    def finish(self) -> None:
        """What is written once the run is done (e.g. --save-misses); click.ClickException when it cannot be."""


def run_folder_job(job: FolderJob, folder: Path, recursive: bool, labels_file: Path | None) -> None:
    """Read every image of `folder` with `job`: a row per image as it is read (unreadable files warned about on
    stderr), then the summary; Ctrl-C ends the run with the summary of what was read and exit 130.

    Raises:
        click.ClickException: missing or empty folder, bad labels file, an output inside the folder read or
            unwritable, or no readable image at all.
        click.exceptions.Exit: stopped by Ctrl-C (after the summary).
    """
    job.summary.end.labels_file = labels_file is not None
    with stopped_by_ctrl_c(job.summary.end):
        try:
            files = images_to_read(folder, recursive)
            labels = file_labels(files, folder, job.read_labels(labels_file) if labels_file else None)
            for option, paths in job.outputs(folder, files):
                check_outputs(option, paths, folder, files, recursive)
            header = job.header(folder, files)
            if header is not None:
                click.echo(header)
            for item in read_folder(folder, files, job.decode_side):
                if item.skipped is not None:
                    job.summary.skipped += 1
                    click.echo(f"warning: skipped {item.skipped}", err=True)
                    continue
                click.echo(job.read(item, labels.get(item.file)))
        except (FolderError, LabelsError, OutputError, OSError) as error:
            raise click.ClickException(str(error)) from error
    click.echo(job.summary_lines())
    exit_if_interrupted(job.summary.end)
    if job.summary.images == 0:
        raise click.ClickException(f"no readable image in {folder} ({job.summary.skipped} skipped)")
    job.finish()


@dataclass
class SingleDigitJob:
    """--dir: one digit per image, a table row or JSON line each (FolderJob); --save-misses collects the
    misread labelled images and draws them once the run is done."""

    classifier: DigitClassifier
    options: FolderOptions
    as_json: bool = False
    save_misses: Path | None = None
    summary: RunSummary = field(default_factory=RunSummary)
    decode_side: int | None = SINGLE_DIGIT_DECODE_SIDE_PX
    misses: list[Miss] = field(default_factory=list)
    width: int = len("file")  # of the table's file column

    def read_labels(self, path: Path) -> LabelTable:
        return read_labels_csv(path)

    def outputs(self, folder: Path, files: list[Path]) -> Iterator[tuple[str, Iterable[Path]]]:
        if self.options.save_crops is not None:
            relatives = (file.relative_to(folder).as_posix() for file in files)
            yield "--save-crops", (crop_path(self.options.save_crops, relative) for relative in relatives)
        if self.save_misses is not None:
            yield "--save-misses", [self.save_misses]

    def header(self, folder: Path, files: list[Path]) -> str | None:
        self.width = min(60, max(len("file"), *(len(file.relative_to(folder).as_posix()) for file in files)))
        return None if self.as_json else table_header(self.width)

    def read(self, item: FolderImage, label: int | None) -> str:
        result = read_digit(item, self.classifier, self.options)
        prediction = result.prediction
        self.summary.add(prediction, label)
        if self.save_misses is not None and label is not None and prediction.digit != label:
            self.misses.append(make_miss(result.relative, result.image, result.model_input, label,
                                         prediction.digit, prediction.confidence))
        return (json_row(result.relative, prediction, label) if self.as_json
                else table_row(result.relative, prediction, self.width))

    def summary_lines(self) -> str:
        return summary_json(self.summary) if self.as_json else "\n" + summary_text(self.summary)

    def finish(self) -> None:
        """Write the sheet of misreads; without any labelled image there is nothing to show (an error)."""
        if self.save_misses is None:
            return
        labelled = len(self.summary.truth)
        if labelled == 0:
            raise click.ClickException("--save-misses needs labels (--labels FILE, or folders named 0-9); "
                                       "no image had one")
        try:
            write_image_atomic(self.save_misses, misses_sheet(self.misses, labelled))
        except OSError as error:
            raise click.ClickException(f"cannot write {self.save_misses}: {error}") from error
