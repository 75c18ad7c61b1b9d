"""Atomic file writes: a temporary file beside the target, renamed over it only once it is complete.

The one place every part of digits writes files through (edge, train, convert, the TestSet script), so an
interrupted run never leaves a half-written model, report or image behind.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside `path` (same suffix, for writers that choose the format by it) to write to.

    When the block ends without an exception the temporary file is renamed over `path`; otherwise it is
    removed and `path` is left as it was. The parent folder is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically (flushed to disk before the rename)."""
    with atomic_path(path) as temp:
        with open(temp, "xb") as handle:  # unlike mkstemp, keeps the usual umask permissions
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
