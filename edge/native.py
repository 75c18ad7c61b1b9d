"""Native libraries' own lines on stderr (XNNPACK, libpng) that would clutter the runner's output."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Iterator


@contextlib.contextmanager
def native_stderr_without(prefixes: tuple[str, ...]) -> Iterator[None]:
    """Capture what native code writes to file descriptor 2 in the block, then pass on every line that does not
    start with one of `prefixes`. Python's own sys.stderr writes are not affected."""
    try:
        stderr_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. under a test runner): nothing to filter
        yield
        return
    sys.stderr.flush()
    saved_fd = os.dup(stderr_fd)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), stderr_fd)
        try:
            yield
        finally:
            os.dup2(saved_fd, stderr_fd)
            os.close(saved_fd)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not line.strip().startswith(prefixes))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
