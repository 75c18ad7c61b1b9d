"""Labels for image files (a digit each, or a digit string with --multi), and the totals and scores of a run,
with numpy only (no scikit-learn on the edge)."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # for annotations only: the classifier and the page reader need not be loaded to score
    from digits.edge.classifier import Prediction
    from digits.edge.multi import PageReading

NUM_CLASSES = 10


class LabelsError(ValueError):
    """A labels CSV that cannot be read or holds something other than `file,label` rows with digits."""


@dataclass(frozen=True)
class LabelTable:
    """Labels from a CSV: each `file` is a path relative to the CSV's own folder, or a bare file name."""

    base: Path  # the CSV's folder
    labels: dict[str, int | str]
    source: Path | None = None  # the CSV, named in errors

    def label_of(self, file: Path, folder: Path) -> int | str | None:
        """The label of `file` (found under `folder`): by its path from the CSV's folder, then from
        `folder`, then by its name; None when the CSV does not list it."""
        key = self._key_of(file, folder)
        return None if key is None else self.labels[key]

    def labels_of(self, files: list[Path], folder: Path) -> dict[Path, int | str]:
        """The label of each of `files` (found under `folder`) that the CSV lists.

        Raises:
            LabelsError: one row matches two of the files (a bare name such as `7.jpg` when `a/7.jpg` and
                `b/7.jpg` are both read): whose digit it is cannot be known.
        """
        claimed: dict[str, Path] = {}
        for file in files:
            key = self._key_of(file, folder)
            if key is None:
                continue
            if key in claimed:
                first, second = (path.relative_to(folder).as_posix() for path in (claimed[key], file))
                raise LabelsError(f"labels file {self.source or self.base}: `{key}` matches both {first} and "
                                  f"{second}; write each file's path from the labels file's folder")
            claimed[key] = file
        return {file: self.labels[key] for key, file in claimed.items()}

    def _key_of(self, file: Path, folder: Path) -> str | None:
        keys = (Path(os.path.relpath(file.resolve(), self.base.resolve())).as_posix(),
                file.relative_to(folder).as_posix(), file.name)
        return next((key for key in keys if key in self.labels), None)


def label_table(path: Path, pairs: list[tuple[str, int | str]]) -> LabelTable:
    """The table of a CSV's (file, label) pairs; a file listed twice with the same label is kept once.

    Raises:
        LabelsError: a file listed twice with different labels.
    """
    labels: dict[str, int | str] = {}
    rows: dict[str, int] = {}
    for number, (file, label) in enumerate(pairs, start=1):
        if file in labels and labels[file] != label:
            raise LabelsError(f"labels file {path}: rows {rows[file]} and {number} give {file} two labels "
                              f"({labels[file]!r} and {label!r})")
        labels.setdefault(file, label)
        rows.setdefault(file, number)
    return LabelTable(Path(path).parent, labels, Path(path))


def read_label_rows(path: Path) -> list[tuple[str, str]]:
    """(file, label) pairs of a CSV: the `file` and `label` columns when a header names them (other columns
    are ignored), else the first two columns; blank rows are skipped.

    Raises:
        LabelsError: unreadable file, or a row without the two columns.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LabelsError(f"labels file {path}: cannot read ({error})") from error
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    file_column, label_column = 0, 1
    if "file" in header and "label" in header:
        file_column, label_column = header.index("file"), header.index("label")
        rows = rows[1:]
    elif header and header[-1] in ("label", "digit", "class"):
        rows = rows[1:]
    pairs = []
    for number, row in enumerate(rows, start=1):
        if len(row) <= max(file_column, label_column):
            raise LabelsError(f"labels file {path}: row {number} {row!r} has no `file` and `label` columns")
        pairs.append((row[file_column].strip(), row[label_column].strip()))
    return pairs


def read_labels_csv(path: Path) -> LabelTable:
    """Digit labels: `file,label` rows (a header row is allowed) with a digit 0-9 each.

    Raises:
        LabelsError: unreadable file, a row without two columns, a label that is not a digit 0-9, or a file
            listed twice with different labels.
    """
    pairs = read_label_rows(path)
    for number, (file, label) in enumerate(pairs, start=1):
        if not label.isdigit() or int(label) >= NUM_CLASSES:
            raise LabelsError(f"labels file {path}: row {number} {file},{label} is not `file,label` with a digit 0-9")
    return label_table(path, [(file, int(label)) for file, label in pairs])


def label_for(file: Path, folder: Path, labels: LabelTable | None) -> int | str | None:
    """The label of `file`: from the CSV when given, else its parent folder's name when that is a digit 0-9."""
    if labels is not None:
        return labels.label_of(file, folder)
    name = file.parent.name
    return int(name) if len(name) == 1 and name.isdigit() else None


@dataclass(frozen=True)
class Scores:
    """Accuracy, per-class precision/recall/F1/support, and the confusion matrix (rows: truth)."""

    accuracy: float
    count: int
    classes: tuple[int, ...]
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    confusion: np.ndarray  # NUM_CLASSES x (NUM_CLASSES + 1): the last column counts "no digit"


def score(truth: list[int], predicted: list[int | None]) -> Scores:
    """Scores of predictions against labels; a None prediction ("no digit") counts as wrong."""
    truth_array = np.asarray(truth, dtype=int)
    predicted_array = np.asarray([NUM_CLASSES if p is None else p for p in predicted], dtype=int)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES + 1), dtype=int)
    np.add.at(confusion, (truth_array, predicted_array), 1)
    classes = tuple(int(c) for c in np.union1d(truth_array, predicted_array[predicted_array < NUM_CLASSES]))
    index = np.asarray(classes, dtype=int)
    true_positives = np.diag(confusion[:, :NUM_CLASSES])[index].astype(float)
    predicted_count = confusion[:, :NUM_CLASSES].sum(axis=0)[index]
    support = confusion.sum(axis=1)[index]
    precision = _divide(true_positives, predicted_count)
    recall = _divide(true_positives, support)
    f1 = _divide(2 * precision * recall, precision + recall)
    accuracy = float(np.mean(truth_array == predicted_array)) if truth_array.size else 0.0
    return Scores(accuracy, int(truth_array.size), classes, precision, recall, f1, support, confusion)


def classification_report(scores: Scores, digits: int = 2) -> str:
    """The per-class table in the layout of scikit-learn's classification_report."""
    names = [str(c) for c in scores.classes]
    width = max(len("weighted avg"), *(len(name) for name in names))
    headers = ("precision", "recall", "f1-score", "support")
    lines = [f"{'':>{width}s} " + "".join(f" {header:>9}" for header in headers), ""]
    row = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}"
    for i, name in enumerate(names):
        lines.append(row.format(name, scores.precision[i], scores.recall[i], scores.f1[i], int(scores.support[i]),
                                width=width, digits=digits))
    lines.append("")
    total = int(scores.support.sum())
    lines.append(f"{'accuracy':>{width}s} " + f" {'':>9}" * 2 + f" {scores.accuracy:>9.{digits}f} {total:>9}")
    weights = scores.support / max(total, 1)
    for name, average in (("macro avg", np.mean), ("weighted avg", lambda v: float(np.sum(v * weights)))):
        values = [average(v) if len(v) else 0.0 for v in (scores.precision, scores.recall, scores.f1)]
        lines.append(row.format(name, *values, total, width=width, digits=digits))
    return "\n".join(lines) + "\n"


def confusion_table(scores: Scores) -> str:
    """The confusion matrix as text: rows are the true digits, columns the predictions ('-' = no digit)."""
    has_none = scores.confusion[:, NUM_CLASSES].any()
    columns = list(range(NUM_CLASSES)) + ([NUM_CLASSES] if has_none else [])
    header = "true\\pred " + "".join(f"{'-' if c == NUM_CLASSES else c:>5}" for c in columns)
    rows = [f"{digit:>9} " + "".join(f"{scores.confusion[digit, c]:>5}" for c in columns)
            for digit in range(NUM_CLASSES) if scores.confusion[digit].any()]
    return "\n".join([header, *rows]) + "\n"


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise division that gives 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


@dataclass
class RunEnd:
    """How a folder run ended, for its summary: images without a label, and whether Ctrl-C stopped it."""

    unlabelled: int = 0
    labels_file: bool = False  # a labels CSV was given: its gaps are reported even when nothing was labelled
    interrupted: bool = False

    def lines(self, images: int, labelled: int) -> list[str]:
        """The summary's lines about the unlabelled images and the interruption (none when neither applies)."""
        lines = []
        if self.unlabelled and (self.labels_file or labelled):
            lines.append(f"unlabelled: {self.unlabelled} of {images} images (not scored)")
        if self.interrupted:
            lines.append("interrupted (Ctrl-C): the totals cover the files read before it")
        return lines

    def fields(self, labelled: int) -> dict:
        """The summary's JSON fields: unlabelled (when labels were used) and interrupted."""
        body = {"unlabelled": self.unlabelled} if self.labels_file or labelled else {}
        return {**body, "interrupted": self.interrupted}


@dataclass
class FolderTotals:
    """What every folder run counts, filled in image by image: images read (those with no digit apart), files
    skipped, latency, and how the run ended."""

    images: int = 0
    skipped: int = 0
    no_digit: int = 0
    latency_total_ms: float = 0.0
    end: RunEnd = field(default_factory=RunEnd)

    def count(self, found_a_digit: bool, latency_ms: float, labelled: bool) -> None:
        """Count one image read."""
        self.images += 1
        self.no_digit += not found_a_digit
        self.latency_total_ms += latency_ms
        self.end.unlabelled += not labelled

    @property
    def mean_latency_ms(self) -> float:
        return self.latency_total_ms / self.images if self.images else 0.0


@dataclass
class RunSummary(FolderTotals):
    """The totals of a single-digit run, and the labels seen with the digits read."""

    truth: list[int] = field(default_factory=list)
    predicted: list[int | None] = field(default_factory=list)

    def add(self, prediction: Prediction, label: int | None) -> None:
        """Count one classified file (and its label, if it has one)."""
        self.count(prediction.digit is not None, prediction.latency_ms, label is not None)
        if label is not None:
            self.truth.append(label)
            self.predicted.append(prediction.digit)

    def scores(self) -> Scores | None:
        """Accuracy and per-class scores over the labelled files, None when nothing was labelled."""
        return score(self.truth, self.predicted) if self.truth else None


def read_number_labels(path: Path) -> LabelTable:
    """Digit-string labels from a CSV with the columns `file` and `label` (other columns are ignored).

    Without a header row the first two columns are file and label. A label is the digit string exactly as
    written (a spreadsheet may have dropped leading zeros: nothing is added back); it may be empty (no digits).

    Raises:
        LabelsError: unreadable file, no `file`/`label` columns, a label with anything but digits, or a file
            listed twice with different labels.
    """
    pairs = read_label_rows(path)
    if not pairs:
        raise LabelsError(f"labels file {path}: no rows")
    for number, (file, label) in enumerate(pairs, start=1):
        if not all(char in "0123456789" for char in label):
            raise LabelsError(f"labels file {path}: row {number} {file},{label} has no digit-string `label`")
    return label_table(path, pairs)


def edit_distance(first: str, second: str) -> int:
    """The Levenshtein distance: the fewest insertions, deletions and substitutions turning one into the other."""
    previous = list(range(len(second) + 1))
    for i, first_char in enumerate(first, start=1):
        current = [i]
        for j, second_char in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (first_char != second_char)))
        previous = current
    return previous[-1]


def digit_accuracy(label: str, text: str) -> float:
    """Per-digit accuracy of one reading: 1 - edit distance / len(label), at least 0 (1 when both are empty)."""
    if not label:
        return 1.0 if not text else 0.0
    return max(0.0, 1.0 - edit_distance(label, text) / len(label))


@dataclass
class NumberScores:
    """Exact-string and per-digit accuracy over the labelled images, filled in image by image. A number read is
    exact, wrong, or rejected (unreadable: a mark not read, or no reading of the form asked for); coverage is
    the share answered (exact or wrong) and answered_accuracy how many of those are exact."""

    images: int = 0
    exact: int = 0
    rejected: int = 0
    label_digits: int = 0
    digits_right: float = 0.0  # sum over images of len(label) * per-digit accuracy

    def add(self, label: str, text: str, readable: bool = True) -> None:
        self.images += 1
        self.exact += readable and label == text
        self.rejected += not readable
        self.label_digits += len(label)
        self.digits_right += len(label) * digit_accuracy(label, text)

    @property
    def wrong(self) -> int:
        return self.images - self.exact - self.rejected

    @property
    def exact_accuracy(self) -> float:
        return self.exact / self.images if self.images else 0.0

    @property
    def coverage(self) -> float:
        """The share of labelled images given a number (exact or wrong), not rejected."""
        return (self.images - self.rejected) / self.images if self.images else 0.0

    @property
    def answered_accuracy(self) -> float:
        """The share of the numbers given (not rejected) that are exact."""
        answered = self.images - self.rejected
        return self.exact / answered if answered else 0.0

    @property
    def digit_accuracy(self) -> float:
        """Per-digit accuracy over all labelled digits (each image weighted by its label's length)."""
        return self.digits_right / self.label_digits if self.label_digits else float(self.exact == self.images)


@dataclass
class MultiSummary(FolderTotals):
    """The totals of a multi-digit run: digits read, unreadable numbers, and (with labels) their scores."""

    digits: int = 0
    unreadable: int = 0
    scores: NumberScores = field(default_factory=NumberScores)

    def add(self, reading: PageReading, label: str | None) -> None:
        """Count one read image (and score it when it has a label)."""
        self.count(bool(reading.text), reading.latency_ms, label is not None)
        self.digits += sum(char.isdigit() for char in reading.text)
        self.unreadable += not reading.readable
        if label is not None:
            self.scores.add(label, reading.text, reading.readable)
