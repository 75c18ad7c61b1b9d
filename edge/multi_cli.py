"""The --multi part of `digits-edge`: its click options, and the folder run that prints every image's digits.

`edge/cli.py` adds the options with @multi_options and calls run_multi_folder(); finding and reading the
digits is in multi.py, drawing in annotate.py, labels, scores and output rows in multi_report.py.
"""
from __future__ import annotations

from pathlib import Path

import click
from digits.edge.annotate import draw_reading
from digits.edge.classifier import DigitClassifier
from digits.edge.evaluation import LabelsError
from digits.edge.folder import OutputError, check_outputs, read_folder
from digits.edge.folder_cli import exit_if_interrupted, file_labels, images_to_read, stopped_by_ctrl_c
from digits.edge.images import FolderError, write_image_atomic
from digits.edge.multi import MultiOptions, read_digits
from digits.edge.multi_report import (
    MultiSummary,
    read_number_labels,
    reading_json,
    reading_text,
    summary_json,
    summary_text,
)

MULTI_OPTIONS = (
    click.option("--multi", is_flag=True,
                 help="Read every digit in each image or frame (an ID, a phone number), lines top to bottom, "
                      "each left to right. With --dir, --labels holds digit strings and --min-confidence drops "
                      "less sure digits only when given; with --camera, the whole frame (or --roi) is read."),
    click.option("--save-annotated", type=click.Path(file_okay=False, path_type=Path),
                 help="With --multi: write each image with its digits' boxes and readings drawn into this folder, "
                      "under its own name and format. Must be outside the folder read."),
)


def multi_options(command):
    """Add --multi and --save-annotated."""
    for option in reversed(MULTI_OPTIONS):
        command = option(command)
    return command


def run_multi_folder(folder: Path, classifier: DigitClassifier, options: MultiOptions = MultiOptions(), *,
                     recursive: bool = False, labels_file: Path | None = None, save_annotated: Path | None = None,
                     as_json: bool = False) -> MultiSummary:
    """Read every digit of every image in a folder: one entry (or JSON line) per image, then the summary.

    Unreadable files and subfolders are skipped with a warning on stderr. With labels (a CSV with columns `file`
    and `label`, the digit string), the summary gives exact and per-digit accuracy. Ctrl-C ends the run with the
    summary of the images read.

    Raises:
        click.ClickException: missing or empty folder, bad labels file, --save-annotated inside the folder read
            or unwritable, or no readable image at all.
        click.exceptions.Exit: stopped by Ctrl-C (after the summary).
    """
    summary = MultiSummary()
    summary.end.labels_file = labels_file is not None
    with stopped_by_ctrl_c(summary.end):
        try:
            files = images_to_read(folder, recursive)
            labels = file_labels(files, folder, read_number_labels(labels_file)) if labels_file else {}
            if save_annotated is not None:
                check_outputs("--save-annotated", (save_annotated / file.relative_to(folder) for file in files),
                              folder, files, recursive)
            for item in read_folder(folder, files):
                if item.skipped is not None:
                    summary.skipped += 1
                    click.echo(f"warning: skipped {item.skipped}", err=True)
                    continue
                reading = read_digits(item.image, classifier, options)
                label = labels.get(item.file)
                summary.add(reading, label)
                click.echo(reading_json(item.relative, reading, label) if as_json
                           else reading_text(item.relative, reading, label))
                if save_annotated is not None:
                    write_image_atomic(save_annotated / item.relative, draw_reading(item.image, reading))
        except (FolderError, LabelsError, OutputError, OSError) as error:
            raise click.ClickException(str(error)) from error
    click.echo(summary_json(summary) if as_json else "\n" + summary_text(summary))
    exit_if_interrupted(summary.end)
    if summary.images == 0:
        raise click.ClickException(f"no readable image in {folder} ({summary.skipped} skipped)")
    return summary
