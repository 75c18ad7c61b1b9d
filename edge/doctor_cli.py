"""`digits-edge doctor`: print what doctor.diagnose() found, the problems with their fixes, and the reading."""
from __future__ import annotations

from pathlib import Path

import click
from digits.edge.doctor import DRAWN_DIGIT, DoctorReport, Reading, diagnose

_NAME_WIDTH = 15


def reading_line(reading: Reading) -> str:
    """One line for a reading of the drawn digit."""
    runtime = reading.runtime or "the default interpreter"
    if reading.error:
        return f"{runtime}: cannot read ({reading.error})"
    verdict = "ok" if reading.ok else f"WRONG, expected {DRAWN_DIGIT}"
    return (f"{runtime}: read a drawn {DRAWN_DIGIT} as {reading.digit} ({reading.confidence:.2f}) in "
            f"{reading.milliseconds:.1f} ms: {verdict}")


def report_lines(report: DoctorReport) -> list[str]:
    """The report as printed: one line per check, the readings, then each problem's fix and the verdict."""
    lines = [f"{check.name:{_NAME_WIDTH}s} {check.found}" for check in report.checks]
    lines += [f"{'reading':{_NAME_WIDTH}s} {reading_line(reading)}" for reading in report.readings]
    if report.problems:
        lines += ["", "problems:"] + [f"  {check.name}: {check.fix}" for check in report.problems]
    lines += ["", "digits-edge can read digits here" if report.can_read else "digits-edge cannot read digits here"]
    return lines


@click.command()
@click.version_option(package_name="digits", prog_name="digits-edge doctor")
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Read the drawn digit with this TFLite model.  [default: the packaged one]")
def doctor(model: Path | None) -> None:
    """Check this machine and environment for digits-edge: Python, glibc, architecture, the TFLite
    interpreters, numpy, OpenCV, picamera2, the venv and the cameras; say how to fix each known problem; and
    read a drawn digit with the model in each interpreter. Exit codes: 0 a digit can be read, 1 it cannot."""
    report = diagnose(model)
    click.echo("\n".join(report_lines(report)))
    if not report.can_read:
        raise SystemExit(1)
