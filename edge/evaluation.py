"""Labels for image files and the scores of a run, with numpy only (no scikit-learn on the edge)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NUM_CLASSES = 10


class LabelsError(ValueError):
    """A labels CSV that cannot be read or holds something other than `file,label` rows with digits."""


def read_labels_csv(path: Path) -> dict[str, int]:
    """`file,label` rows (a header row is allowed) -> {file name or relative path: digit}.

    Raises:
        LabelsError: unreadable file, a row without two columns, or a label that is not a digit 0-9.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LabelsError(f"labels file {path}: cannot read ({error})") from error
    if rows and rows[0][-1].strip().lower() in ("label", "digit", "class"):
        rows = rows[1:]
    labels = {}
    for number, row in enumerate(rows, start=1):
        if len(row) < 2 or not row[1].strip().isdigit() or int(row[1]) >= NUM_CLASSES:
            raise LabelsError(f"labels file {path}: row {number} {row!r} is not `file,label` with a digit 0-9")
        labels[row[0].strip()] = int(row[1])
    return labels


def label_for(file: Path, folder: Path, labels: dict[str, int] | None) -> int | None:
    """The label of `file`: from the CSV (relative path, file name, or a longer path ending with the relative
    path, as in TestSet/labels.csv read with --dir TestSet/Den), else its parent folder's digit name."""
    if labels is not None:
        relative = file.relative_to(folder).as_posix()
        if relative in labels or file.name in labels:
            return labels.get(relative, labels.get(file.name))
        return next((label for key, label in labels.items() if key.endswith("/" + relative)), None)
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
