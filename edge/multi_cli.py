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
from digits.edge.folder import read_folder
from digits.edge.images import FolderError, list_images, write_image_atomic
from digits.edge.multi import MultiOptions, read_digits
from digits.edge.multi_report import (MultiSummary, read_number_labels, reading_json, reading_text, summary_json,
                                      summary_text)

MULTI_OPTIONS = (
    click.option("--multi", is_flag=True,
                 help="Read every digit in each image or frame (an ID, a phone number), lines top to bottom, "
                      "each left to right. With --dir, --labels holds digit strings and --min-confidence drops "
                      "less sure digits only when given; with --camera, the whole frame (or --roi) is read."),
    click.option("--save-annotated", type=click.Path(file_okay=False, path_type=Path),
                 help="With --multi: write each image with its digits' boxes and readings drawn into this folder."),
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

    Unreadable files are skipped with a warning on stderr. With labels (a CSV with columns `file` and `label`,
    the digit string), the summary gives exact and per-digit accuracy.

    Raises:
        click.ClickException: missing or empty folder, bad labels file, unwritable --save-annotated folder,
            or no readable image at all.
    """
    try:
        files = list_images(folder, recursive)
        labels = read_number_labels(labels_file) if labels_file else None
        summary = MultiSummary()
        for item in read_folder(folder, files):
            if item.skipped is not None:
                summary.skipped += 1
                click.echo(f"warning: skipped {item.skipped}", err=True)
                continue
            reading = read_digits(item.image, classifier, options)
            label = labels.label_of(item.file, folder) if labels is not None else None
            summary.add(reading, label)
            click.echo(reading_json(item.relative, reading, label) if as_json
                       else reading_text(item.relative, reading, label))
            if save_annotated is not None:
                write_image_atomic(save_annotated / item.relative, draw_reading(item.image, reading))
    except (FolderError, LabelsError, OSError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(summary_json(summary) if as_json else "\n" + summary_text(summary))
    if summary.images == 0:
        raise click.ClickException(f"no readable image in {folder} ({summary.skipped} skipped)")
    return summary
