"""Assert the digits that `digits-edge --json` read during scripts/check_aarch64.sh (standard library only).

    expect.py dir --labels LABELS.csv --output RUN.jsonl
        every JSON line's digit equals its file's label, and every labelled file of the folder was read.
    expect.py camera --schedule SCHEDULE.json --output RUN.jsonl
        the steady readings are "no digit" and the schedule's digits in turn, and one summary counts every frame.
    expect.py multi --labels LABELS.csv --output RUN.jsonl
        a `--multi --json` run read every labelled page's digit string exactly, and no other file.

Prints one line saying what was read and what was expected; exit 0 when they match, 1 when not.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path, PurePosixPath


class ExpectationError(ValueError):
    """The runner's output does not match what was expected."""


def read_json_lines(path: Path) -> list[dict]:
    """The JSON objects printed one per line; other lines are ignored."""
    records = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def read_labels(path: Path, folder: str) -> dict[str, int]:
    """File name -> label for the files of `folder` in a `file,label` CSV (a header row is allowed).

    A labels file inside the folder names its files directly; one above it (TestSet/labels.csv) is
    narrowed to the rows whose path goes through `folder`.
    """
    inside = path.parent.name == folder
    labels = {}
    with path.open(newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 2 or not row[1].strip().isdigit():
                continue  # header or blank line
            file = PurePosixPath(row[0].strip().replace("\\", "/"))
            if inside or folder in file.parts[:-1]:
                labels[file.name] = int(row[1])
    if not labels:
        raise ExpectationError(f"{path} has no labels for {folder}")
    return labels


def check_dir(labels_path: Path, output_path: Path, folder: str) -> str:
    """Compare a `--dir --json` run with the labels; the message to print when they match."""
    labels = read_labels(labels_path, folder)
    records = [record for record in read_json_lines(output_path) if "file" in record]  # not the summary
    read = {PurePosixPath(record["file"]).name: record["digit"] for record in records}
    for record in records:
        missing = {"file", "digit", "confidence"} - record.keys()
        if missing:
            raise ExpectationError(f"a JSON line lacks {sorted(missing)}: {record}")
    got = " ".join(str(read.get(name)) for name in labels)
    want = " ".join(str(label) for label in labels.values())
    if got != want or len(records) != len(labels):
        raise ExpectationError(f"{folder}: read {got} ({len(records)} files), expected {want}")
    return f"{folder}: read {got}, expected {want}: OK"


def check_camera(schedule_path: Path, output_path: Path) -> str:
    """Compare a headless `--camera VIDEO --json` run with the video's schedule.

    The video starts with blank paper and shows blank paper after each digit, so the steady readings
    must be: no digit, the first digit, no digit, the second digit, ... no digit.
    """
    schedule = json.loads(schedule_path.read_text())
    expected = [None]
    for digit in schedule["digits"]:
        expected += [digit, None]
    records = read_json_lines(output_path)
    readings = [record for record in records if "digit" in record]
    summaries = [record["summary"] for record in records if "summary" in record]
    for record in readings:
        missing = {"time", "digit", "confidence", "fps"} - record.keys()
        if missing:
            raise ExpectationError(f"a JSON reading lacks {sorted(missing)}: {record}")
    got = [record["digit"] for record in readings]
    message = f"camera: steady readings {got}, expected {expected}"
    if got != expected:
        raise ExpectationError(message)
    if len(summaries) != 1 or summaries[0].get("frames") != schedule["frames"]:
        raise ExpectationError(f"camera: expected one summary of {schedule['frames']} frames, got {summaries}")
    summary = summaries[0]
    return (f"{message}: OK; {summary['frames']} frames, stopped by {summary.get('stopped_by')}, "
            f"{summary.get('fps', summary.get('mean_fps'))} fps, "
            f"p50 {summary.get('latency_p50_ms')} ms per frame (under qemu)")


def check_multi(labels_path: Path, output_path: Path) -> str:
    """Compare a `--dir --multi --json` run with the digit strings of a `file,label` CSV beside the pages."""
    with labels_path.open(newline="") as handle:
        labels = {row[0].strip(): row[1].strip() for row in csv.reader(handle)
                  if len(row) >= 2 and row[1].strip().isdigit()}
    if not labels:
        raise ExpectationError(f"{labels_path} has no labels")
    read = {PurePosixPath(record["file"]).name: record["text"] for record in read_json_lines(output_path)
            if "file" in record}
    got = " ".join(str(read.get(name)) for name in labels)
    want = " ".join(labels.values())
    if got != want or read.keys() != labels.keys():
        raise ExpectationError(f"multi: read {got} ({len(read)} files), expected {want}")
    return f"multi: read {got}, expected {want}: OK"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    dir_parser = sub.add_parser("dir")
    dir_parser.add_argument("--labels", type=Path, required=True)
    dir_parser.add_argument("--output", type=Path, required=True)
    dir_parser.add_argument("--folder", default="Luis")
    camera_parser = sub.add_parser("camera")
    camera_parser.add_argument("--schedule", type=Path, required=True)
    camera_parser.add_argument("--output", type=Path, required=True)
    multi_parser = sub.add_parser("multi")
    multi_parser.add_argument("--labels", type=Path, required=True)
    multi_parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.mode == "dir":
            message = check_dir(args.labels, args.output, args.folder)
        elif args.mode == "multi":
            message = check_multi(args.labels, args.output)
        else:
            message = check_camera(args.schedule, args.output)
    except (ExpectationError, OSError, KeyError, json.JSONDecodeError) as error:
        print(f"check_aarch64: MISMATCH: {error}", file=sys.stderr)
        return 1
    print(f"check_aarch64: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
