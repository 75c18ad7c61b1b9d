"""Progress lines for the long steps: "converting float32... 0.8 s, 3.47 MB"."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# write(text, newline): the CLI passes click.echo; None stays silent (library use, tests)
Writer = Callable[[str, bool], None]


@dataclass
class StepOutcome:
    """What a step found, appended to its line after the time taken."""

    detail: str = ""


class StepLog:
    """Prints one line per step: its name, then the time taken and the step's outcome."""

    def __init__(self, write: Writer | None = None):
        self._write = write

    def note(self, text: str) -> None:
        """A line on its own (a warning or a heading)."""
        if self._write:
            self._write(text, True)

    @contextmanager
    def step(self, message: str) -> Iterator[StepOutcome]:
        """Time the enclosed block; the caller may fill the yielded outcome's detail."""
        outcome = StepOutcome()
        if self._write:
            self._write(f"{message}... ", False)
        start = time.perf_counter()
        try:
            yield outcome
        except BaseException:
            if self._write:
                self._write("failed", True)
            raise
        if self._write:
            elapsed = f"{time.perf_counter() - start:.1f} s"
            self._write(f"{elapsed}, {outcome.detail}" if outcome.detail else elapsed, True)


def format_size(size_bytes: int) -> str:
    """A file size as "874 KB" or "3.47 MB" (decimal units, as file managers show them)."""
    if size_bytes >= 1_000_000:
        return f"{size_bytes / 1_000_000:.2f} MB"
    return f"{size_bytes / 1000:.0f} KB" if size_bytes >= 1000 else f"{size_bytes} B"
