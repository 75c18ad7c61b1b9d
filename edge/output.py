"""Every line digits-edge prints for a reading, as text or JSON: a row per image and the summary for single
digits (--dir) and whole numbers (--dir --multi), a line per change and the summary for the camera. The same
keys in every mode: file, digit/text, confidence, latency_ms; images, skipped, no_digit in summaries."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from digits.edge.classifier import Prediction
from digits.edge.evaluation import MultiSummary, RunSummary, classification_report, confusion_table
from digits.edge.strict_json import json_line

if TYPE_CHECKING:  # for annotations only: printing a folder's rows loads neither the camera loop nor --multi
    from digits.edge.live import LiveSummary, ReadingChange
    from digits.edge.multi import PageReading
    from digits.edge.multi_live import NumberChange


def table_header(width: int) -> str:
    """The table's column titles, the file column `width` characters wide."""
    return f"{'file':<{width}} {'digit':>5} {'confidence':>10}"


def table_row(name: str, prediction: Prediction, width: int) -> str:
    """`file  digit  confidence`, with `-` and the reason (`no ink`, `not a digit`, ...) when there is no digit."""
    if prediction.digit is None:
        return f"{name:<{width}} {'-':>5} {prediction.reason or 'no digit':>10}"
    return f"{name:<{width}} {prediction.digit:>5} {prediction.confidence:>10.3f}"


def json_row(name: str, prediction: Prediction, label: int | None = None) -> str:
    """One JSON line: file, digit (null: no digit), reason (why not; null with a digit), confidence,
    probabilities (the ten digits'), not_a_digit, latency_ms (and label if known)."""
    row = {
        "file": name,
        "digit": prediction.digit,
        "reason": prediction.reason if prediction.digit is None else None,
        "confidence": None if prediction.digit is None else round(prediction.confidence, 6),
        "probabilities": [round(p, 6) for p in prediction.probabilities] if prediction.probabilities else None,
        "not_a_digit": round(prediction.not_a_digit, 6) if prediction.probabilities else None,
        "latency_ms": round(prediction.latency_ms, 3),
    }
    if label is not None:
        row["label"] = label
    return json_line(row)


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


# --dir --multi: a number per image


def page_dict(name: str, reading: PageReading, label: str | None = None) -> dict:
    """file, text (`?` for a mark not read), readable, reason (why not, with a form: null when readable or
    when marks were not read), lines [{text, digits [{digit (null: not read), reason, confidence, box [x, y, w,
    h]}]}], latency_ms (and label)."""
    row = {
        "file": name,
        "text": reading.text,
        "readable": reading.readable,
        "reason": reading.reason,
        "lines": [{"text": line.digits,
                   "digits": [{"digit": box.digit, "reason": box.reason, "confidence": round(box.confidence, 4),
                               "box": [box.x, box.y, box.w, box.h]} for box in line.boxes]}
                  for line in reading.lines],
        "latency_ms": round(reading.latency_ms, 3),
    }
    if label is not None:
        row["label"] = label
    return row


def page_json(name: str, reading: PageReading, label: str | None = None) -> str:
    """One JSON line for one image (see page_dict)."""
    return json_line(page_dict(name, reading, label))


def page_text(name: str, reading: PageReading, label: str | None = None) -> str:
    """The image's digits (`?` for a mark not read), then each line and each mark with its confidence and box
    (x,y,w,h), and why a mark was not read."""
    verdict = "" if label is None else ("  [right]" if reading.readable and reading.text == label
                                        else f"  [label {label}]")
    unreadable = "" if reading.readable else f"  unreadable{': ' + reading.reason if reading.reason else ''}"
    head = (f"{name}: {reading.text or '(no digits)'}  ({len(reading.lines)} lines, {len(reading.text)} digits, "
            f"{reading.latency_ms:.1f} ms){unreadable}{verdict}")
    rows = [head]
    for number, line in enumerate(reading.lines, start=1):
        rows.append(f"  line {number}: {line.digits}")
        rows += [f"    {box.shown}  {box.confidence:.3f}  box {box.x},{box.y},{box.w},{box.h}"
                 + (f"  ({box.reason})" if box.digit is None else "") for box in line.boxes]
    return "\n".join(rows)


def page_summary_text(summary: MultiSummary) -> str:
    """Counts and mean latency; with labels, exact, wrong and rejected numbers, and per-digit accuracy."""
    lines = [f"images: {summary.images}  skipped: {summary.skipped}  no digit: {summary.no_digit}  "
             f"unreadable: {summary.unreadable}  digits: {summary.digits}  "
             f"mean latency: {summary.mean_latency_ms:.1f} ms (finding + reading)"]
    lines += summary.end.lines(summary.images, summary.scores.images)
    scores = summary.scores
    if scores.images:
        lines.append(f"exact: {scores.exact_accuracy:.2%} ({scores.exact}/{scores.images} labelled)  "
                     f"per digit: {scores.digit_accuracy:.2%} ({scores.label_digits} labelled digits)")
        lines.append(f"answered: {scores.coverage:.2%} ({scores.images - scores.rejected}/{scores.images}; "
                     f"rejected: {scores.rejected}), of them exact: {scores.answered_accuracy:.2%} "
                     f"(wrong: {scores.wrong})")
    return "\n".join(lines)


def page_summary_json(summary: MultiSummary) -> str:
    """The summary as one JSON line {"summary": {...}} (no `file` key, so line readers skip it)."""
    body = {"images": summary.images, "skipped": summary.skipped, "no_digit": summary.no_digit,
            "unreadable": summary.unreadable, "digits": summary.digits,
            "mean_latency_ms": round(summary.mean_latency_ms, 3)}
    scores = summary.scores
    if scores.images:
        body.update(labelled=scores.images, exact=scores.exact, wrong=scores.wrong, rejected=scores.rejected,
                    exact_accuracy=round(scores.exact_accuracy, 6), coverage=round(scores.coverage, 6),
                    answered_accuracy=round(scores.answered_accuracy, 6),
                    digit_accuracy=round(scores.digit_accuracy, 6))
    body.update(summary.end.fields(scores.images))
    return json_line({"summary": body})


# --camera: a line per change of the steady reading, then the summary


def change_line(change: ReadingChange | NumberChange, as_json: bool) -> str:
    """A change of the camera's steady reading (a digit, or a number with --multi) as text or one JSON line."""
    if as_json:
        return json_line(change.as_dict())
    if hasattr(change, "lines"):  # a NumberChange
        shown = " / ".join(change.lines) if change.lines else "no digit"
    else:
        shown = change.describe()
    return f"{change.time_s:6.1f}s  {shown}  {change.fps:.1f} fps"


def live_summary_line(summary: LiveSummary, as_json: bool) -> str:
    """The camera run's summary as text, or as one JSON line {"summary": {...}} as `--dir --json` ends."""
    if as_json:
        return json_line({"summary": summary.as_dict()})
    return (f"summary: {summary.frames} frames in {summary.seconds:.1f} s ({summary.mean_fps:.1f} fps), stopped by "
            f"{summary.stopped_by}; preprocessing+inference p50 {summary.latency_p50_ms:.2f} ms, "
            f"p90 {summary.latency_p90_ms:.2f} ms, p99 {summary.latency_p99_ms:.2f} ms; roi {summary.roi}")
