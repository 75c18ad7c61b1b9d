"""Multi-digit readings as text and JSON, number labels (a CSV of digit strings) and their scores."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from digits.edge.evaluation import LabelsError, LabelTable, label_table, read_label_rows
from digits.edge.multi import PageReading
from digits.edge.output import RunEnd
from digits.edge.strict_json import json_line


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
    """Exact-string and per-digit accuracy over the labelled images, filled in image by image."""

    images: int = 0
    exact: int = 0
    label_digits: int = 0
    digits_right: float = 0.0  # sum over images of len(label) * per-digit accuracy

    def add(self, label: str, text: str) -> None:
        self.images += 1
        self.exact += label == text
        self.label_digits += len(label)
        self.digits_right += len(label) * digit_accuracy(label, text)

    @property
    def exact_accuracy(self) -> float:
        return self.exact / self.images if self.images else 0.0

    @property
    def digit_accuracy(self) -> float:
        """Per-digit accuracy over all labelled digits (each image weighted by its label's length)."""
        return self.digits_right / self.label_digits if self.label_digits else float(self.exact == self.images)


@dataclass
class MultiSummary:
    """Counts, latency and (with labels) scores of a multi-digit run over a folder."""

    images: int = 0
    skipped: int = 0
    empty: int = 0
    digits: int = 0
    latency_total_ms: float = 0.0
    scores: NumberScores = field(default_factory=NumberScores)
    end: RunEnd = field(default_factory=RunEnd)

    def add(self, reading: PageReading, label: str | None) -> None:
        """Count one read image (and score it when it has a label)."""
        self.images += 1
        self.empty += not reading.text
        self.digits += len(reading.text)
        self.latency_total_ms += reading.latency_ms
        if label is None:
            self.end.unlabelled += 1
        else:
            self.scores.add(label, reading.text)

    @property
    def mean_latency_ms(self) -> float:
        return self.latency_total_ms / self.images if self.images else 0.0


def reading_dict(name: str, reading: PageReading, label: str | None = None) -> dict:
    """file, text, lines [{text, digits [{digit, confidence, box [x, y, w, h]}]}], latency_ms (and label)."""
    row = {
        "file": name,
        "text": reading.text,
        "lines": [{"text": line.digits,
                   "digits": [{"digit": box.digit, "confidence": round(box.confidence, 4),
                               "box": [box.x, box.y, box.w, box.h]} for box in line.boxes]}
                  for line in reading.lines],
        "latency_ms": round(reading.latency_ms, 3),
    }
    if label is not None:
        row["label"] = label
    return row


def reading_json(name: str, reading: PageReading, label: str | None = None) -> str:
    """One JSON line for one image (see reading_dict)."""
    return json_line(reading_dict(name, reading, label))


def reading_text(name: str, reading: PageReading, label: str | None = None) -> str:
    """The image's digits, then each line and each digit with its confidence and box (x,y,w,h)."""
    verdict = "" if label is None else ("  [right]" if reading.text == label else f"  [label {label}]")
    head = (f"{name}: {reading.text or '(no digits)'}  ({len(reading.lines)} lines, {len(reading.text)} digits, "
            f"{reading.latency_ms:.1f} ms){verdict}")
    rows = [head]
    for number, line in enumerate(reading.lines, start=1):
        rows.append(f"  line {number}: {line.digits}")
        rows += [f"    {box.digit}  {box.confidence:.3f}  box {box.x},{box.y},{box.w},{box.h}" for box in line.boxes]
    return "\n".join(rows)


def summary_text(summary: MultiSummary) -> str:
    """Counts and mean latency; with labels, exact and per-digit accuracy."""
    lines = [f"images: {summary.images}  skipped: {summary.skipped}  no digit: {summary.empty}  "
             f"digits: {summary.digits}  mean latency: {summary.mean_latency_ms:.1f} ms (finding + reading)"]
    lines += summary.end.lines(summary.images, summary.scores.images)
    scores = summary.scores
    if scores.images:
        lines.append(f"exact: {scores.exact_accuracy:.2%} ({scores.exact}/{scores.images} labelled)  "
                     f"per digit: {scores.digit_accuracy:.2%} ({scores.label_digits} labelled digits)")
    return "\n".join(lines)


def summary_json(summary: MultiSummary) -> str:
    """The summary as one JSON line {"summary": {...}} (no `file` key, so line readers skip it)."""
    body = {"images": summary.images, "skipped": summary.skipped, "no_digit": summary.empty,
            "digits": summary.digits, "mean_latency_ms": round(summary.mean_latency_ms, 3)}
    scores = summary.scores
    if scores.images:
        body.update(labelled=scores.images, exact=scores.exact, exact_accuracy=round(scores.exact_accuracy, 6),
                    digit_accuracy=round(scores.digit_accuracy, 6))
    body.update(summary.end.fields(scores.images))
    return json_line({"summary": body})
