"""The run directory: checked before training, marked incomplete while a training writes into it.

The marker is written before anything else of a run and removed only after its last file, so a run stopped
by Ctrl-C, SIGTERM, a full disk, a crash or a power cut leaves a folder that says so; digits-convert refuses
such a folder. Without TensorFlow, so that digits-convert can check for the marker at once.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from digits.edge.files import write_bytes_atomic

INCOMPLETE_FILE = "INCOMPLETE"


class RunDirError(ValueError):
    """The run directory cannot be used: not empty without --force, or not writable."""


def prepare_run_dir(run_dir: Path, force: bool) -> Path:
    """Create `run_dir` (and parents) and check it is writable.

    Raises:
        RunDirError: it exists and is not empty (and not `force`), is a file, or cannot be written.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"--out {run_dir} is a file, not a folder")
    if run_dir.is_dir() and any(run_dir.iterdir()) and not force:
        raise RunDirError(f"--out {run_dir} exists and is not empty; pass --force to replace the run in it")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=run_dir):
            pass
    except OSError as error:
        raise RunDirError(f"cannot write to --out {run_dir}: {error.strerror or error}") from error
    return run_dir


def is_incomplete(folder: Path) -> bool:
    """Whether `folder` holds a run that digits-train started and did not finish."""
    return (Path(folder) / INCOMPLETE_FILE).is_file()


def start_run(run_dir: Path, previous_run_files: Iterable[str]) -> None:
    """Mark `run_dir` incomplete, then remove the files an earlier run wrote there (other files stay).

    The marker comes first: when even it cannot be written, the earlier run is left as it was.

    Raises:
        RunDirError: the marker cannot be written (a full disk, a read-only folder) or an earlier file removed.
    """
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    text = (f"digits-train started this run at {started} and has not finished it (stopped, killed or failed).\n"
            "model.keras, if present, is the best checkpoint so far; digits-convert refuses this folder.\n"
            f"Train again with: digits-train --force --out {run_dir}\n")
    try:
        write_bytes_atomic(run_dir / INCOMPLETE_FILE, text.encode())
        for name in previous_run_files:
            (run_dir / name).unlink(missing_ok=True)
    except OSError as error:
        raise RunDirError(f"cannot write to --out {run_dir}: {error.strerror or error}") from error


def finish_run(run_dir: Path) -> None:
    """Remove the incomplete marker: every file of the run is written."""
    (run_dir / INCOMPLETE_FILE).unlink()
