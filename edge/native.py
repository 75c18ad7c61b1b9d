"""Native libraries' own lines on stderr (XNNPACK, libpng, libxcb) that would clutter the runner's output."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_captured() -> Iterator[list[str]]:
    """Capture what native code writes to file descriptor 2 in the block; the list yielded receives its lines
    when the block ends. Python's own sys.stderr writes are not affected."""
    lines: list[str] = []
    try:
        stderr_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. under a test runner): nothing to capture
        yield lines
        return
    sys.stderr.flush()
    saved_fd = os.dup(stderr_fd)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), stderr_fd)
        try:
            yield lines
        finally:
            os.dup2(saved_fd, stderr_fd)
            os.close(saved_fd)
            captured.seek(0)
            lines.extend(captured.read().decode(errors="replace").splitlines(keepends=True))


@contextlib.contextmanager
def native_stderr_without(prefixes: tuple[str, ...]) -> Iterator[None]:
    """Capture what native code writes to file descriptor 2 in the block, then pass on every line that does not
    start with one of `prefixes`. Python's own sys.stderr writes are not affected."""
    lines: list[str] = []
    try:
        with native_stderr_captured() as lines:
            yield
    finally:
        kept = "".join(line for line in lines if not line.strip().startswith(prefixes))
        if kept:
            sys.stderr.write(kept)
            sys.stderr.flush()
