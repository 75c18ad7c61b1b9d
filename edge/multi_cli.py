"""The --multi part of `digits-edge`: its click options, and the folder job that prints every image's digits.

`edge/cli.py` adds the options with @multi_options and runs a MultiDigitJob through folder_cli.run_folder_job;
finding and reading the digits is in multi.py, drawing in annotate.py, number labels and scores in
evaluation.py, the printed rows in output.py.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
from digits.edge.annotate import draw_reading
from digits.edge.classifier import DigitClassifier
from digits.edge.evaluation import LabelTable, MultiSummary, read_number_labels
from digits.edge.folder import FolderImage
from digits.edge.images import write_image_atomic
from digits.edge.multi import MultiOptions, read_digits
from digits.edge.number_form import MAX_FORM_DIGITS, FormError, NumberForm, digits_form, pattern_form
from digits.edge.output import page_json, page_summary_json, page_summary_text, page_text


def _pattern_option(context: click.Context, parameter: click.Parameter, value: str | None) -> NumberForm | None:
    """--pattern REGEX as a NumberForm (None when not given)."""
    if value is None:
        return None
    try:
        return pattern_form(value)
    except FormError as error:
        raise click.BadParameter(str(error)) from error


def _digits_option(context: click.Context, parameter: click.Parameter, value: int | None) -> NumberForm | None:
    """--digits N as a NumberForm (None when not given)."""
    return None if value is None else digits_form(value)


MULTI_OPTIONS = (
    click.option("--multi", is_flag=True,
                 help="Read every digit in each image or frame (an ID, a phone number), lines top to bottom, "
                      "each left to right. A mark read less surely than --min-confidence, or not as a digit, is "
                      "`?` and the number unreadable. With --dir, --labels holds digit strings; with --camera, the "
                      "whole frame (or --roi) is read."),
    click.option("--save-annotated", type=click.Path(file_okay=False, path_type=Path),
                 help="With --multi: write each image with its digits' boxes and readings drawn into this folder, "
                      "under its own name and format. Must be outside the folder read."),
    click.option("--digits", type=click.IntRange(1, MAX_FORM_DIGITS), callback=_digits_option,
                 metavar="N",
                 help="With --multi: the number has exactly N digits; marks that are not part of it (brackets, "
                      "signs) are dropped, and a number without N digits read is unreadable."),
    click.option("--pattern", metavar="REGEX", callback=_pattern_option,
                 help="With --multi: the number's digits, lines joined, match this Python regular expression in "
                      "full (e.g. '0\\d{9}'); the best reading of that form is taken, else the number is "
                      "unreadable. Not with --digits."),
)


def multi_options(command):
    """Add --multi, --save-annotated, --digits and --pattern."""
    for option in reversed(MULTI_OPTIONS):
        command = option(command)
    return command


def number_form(digits: NumberForm | None, pattern: NumberForm | None) -> NumberForm | None:
    """The form of --digits or --pattern (None: neither); both given is a usage error."""
    if digits is not None and pattern is not None:
        raise click.UsageError("give --digits N or --pattern REGEX, not both")
    return digits or pattern


@dataclass
class MultiDigitJob:
    """--dir --multi: every digit of each image, a number per image (FolderJob)."""

    classifier: DigitClassifier
    options: MultiOptions
    as_json: bool = False
    save_annotated: Path | None = None  # each image with its digits' boxes and readings drawn, under its own name
    summary: MultiSummary = field(default_factory=MultiSummary)
    decode_side: int | None = None  # whole pages are read at full size: their digits may be small

    def read_labels(self, path: Path) -> LabelTable:
        return read_number_labels(path)

    def outputs(self, folder: Path, files: list[Path]) -> Iterator[tuple[str, Iterable[Path]]]:
        if self.save_annotated is not None:
            yield "--save-annotated", (self.save_annotated / file.relative_to(folder) for file in files)

    def header(self, folder: Path, files: list[Path]) -> None:
        return None

    def read(self, item: FolderImage, label: str | None) -> str:
        reading = read_digits(item.image, self.classifier, self.options)
        self.summary.add(reading, label)
        if self.save_annotated is not None:
            write_image_atomic(self.save_annotated / item.relative, draw_reading(item.image, reading))
        return (page_json(item.relative, reading, label) if self.as_json
                else page_text(item.relative, reading, label))

    def summary_lines(self) -> str:
        return page_summary_json(self.summary) if self.as_json else "\n" + page_summary_text(self.summary)

    def finish(self) -> None:
        pass
