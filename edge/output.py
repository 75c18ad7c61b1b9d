"""What the runner prints: a table row or a JSON line per file, and a summary (with scores when labelled)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from digits.edge.classifier import Prediction
from digits.edge.evaluation import Scores, classification_report, confusion_table, score
from digits.edge.strict_json import json_line


def table_header(width: int) -> str:
    """The table's column titles, the file column `width` characters wide."""
    return f"{'file':<{width}} {'digit':>5} {'confidence':>10}"


def table_row(name: str, prediction: Prediction, width: int) -> str:
    """`file  digit  confidence`, with `-` and `no digit` when there is no digit."""
    if prediction.digit is None:
        return f"{name:<{width}} {'-':>5} {'no digit':>10}"
    return f"{name:<{width}} {prediction.digit:>5} {prediction.confidence:>10.3f}"


def json_row(name: str, prediction: Prediction, label: int | None = None) -> str:
    """One JSON line: file, digit (null: no digit), confidence, probabilities, latency_ms (and label if known)."""
    row = {
        "file": name,
        "digit": prediction.digit,
        "confidence": None if prediction.digit is None else round(prediction.confidence, 6),
        "probabilities": [round(p, 6) for p in prediction.probabilities] if prediction.probabilities else None,
        "latency_ms": round(prediction.latency_ms, 3),
    }
    if label is not None:
        row["label"] = label
    return json_line(row)


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
class RunSummary:
    """Counts and latencies of a run, and the labels seen, filled in file by file."""

    images: int = 0
    skipped: int = 0
    no_digit: int = 0
    latency_total_ms: float = 0.0
    truth: list[int] = field(default_factory=list)
    predicted: list[int | None] = field(default_factory=list)
    end: RunEnd = field(default_factory=RunEnd)

    def add(self, prediction: Prediction, label: int | None) -> None:
        """Count one classified file (and its label, if it has one)."""
        self.images += 1
        self.no_digit += prediction.digit is None
        self.latency_total_ms += prediction.latency_ms
        if label is None:
            self.end.unlabelled += 1
        else:
            self.truth.append(label)
            self.predicted.append(prediction.digit)

    @property
    def mean_latency_ms(self) -> float:
        return self.latency_total_ms / self.images if self.images else 0.0

    def scores(self) -> Scores | None:
        """Accuracy and per-class scores over the labelled files, None when nothing was labelled."""
        return score(self.truth, self.predicted) if self.truth else None


def summary_text(summary: RunSummary) -> str:
    """The readable summary: counts, mean latency, and with labels the report and confusion matrix."""
    lines = [f"images: {summary.images}  skipped: {summary.skipped}  no digit: {summary.no_digit}  "
             f"mean latency: {summary.mean_latency_ms:.2f} ms (preprocessing + inference)"]
    lines += summary.end.lines(summary.images, len(summary.truth))
    scores = summary.scores()
    if scores is not None:
        right = int(round(scores.accuracy * scores.count))
        lines += [f"accuracy: {scores.accuracy:.2%} ({right}/{scores.count} labelled)", "",
                  classification_report(scores), "confusion matrix:", confusion_table(scores)]
    return "\n".join(lines)


def summary_json(summary: RunSummary) -> str:
    """The summary as one JSON line {"summary": {...}} (no `file` key, so line readers skip it)."""
    body = {"images": summary.images, "skipped": summary.skipped, "no_digit": summary.no_digit,
            "mean_latency_ms": round(summary.mean_latency_ms, 3)}
    scores = summary.scores()
    if scores is not None:
        body.update(accuracy=round(scores.accuracy, 6), labelled=scores.count,
                    confusion=np.asarray(scores.confusion).tolist())
    body.update(summary.end.fields(len(summary.truth)))
    return json_line({"summary": body})
