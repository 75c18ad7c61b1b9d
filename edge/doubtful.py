"""--save-doubtful DIR: frames whose reading stayed unsure, saved as JPEG for relabelling.

Unsure: a digit read with a confidence close to the threshold, something in the region that never reached it
(a "no digit" whose best class still came close), or a reading that keeps flickering. A frame is saved once
the reading has been unsure for UNSURE_FRAMES frames in a row, at most one every MIN_GAP_S seconds; the
folder keeps the newest `max_files` of them. Files are written in a thread of their own, never in the loop's.
"""
from __future__ import annotations

import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
from digits.edge.files import write_bytes_atomic
from digits.edge.live import LiveFrame, Roi

UNSURE_FRAMES = 5
MIN_GAP_S = 2.0
CONFIDENCE_MARGIN = 0.15  # a digit read below min_confidence + this is unsure
NO_DIGIT_FLOOR = 0.25  # a "no digit" whose best class came this close is unsure
FLICKER_CHANGES = 3  # this many changes of the steady reading within FLICKER_FRAMES frames is flickering
FLICKER_FRAMES = 30
DEFAULT_MAX_FILES = 200
JPEG_QUALITY = 90
PENDING_MAX = 4  # frames waiting to be written; more are dropped (a disk slower than one frame per MIN_GAP_S)
_SAVED_NAME = re.compile(r"^\d{8}T\d{6}\.\d{3}Z_.+_(\d\.\d\d|none)\.jpg$")


def doubtful_name(when: float, value: int | str | None, confidence: float | None) -> str:
    """The file name of a saved frame: UTC time, reading ("none" for none) and confidence."""
    stamp = datetime.fromtimestamp(when, timezone.utc).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
    reading = "none" if value is None else re.sub(r"[^0-9A-Za-z]", "-", str(value))
    return f"{stamp}_{reading}_{'none' if confidence is None else f'{confidence:.2f}'}.jpg"


def is_unsure(value: int | str | None, confidence: float | None, min_confidence: float) -> bool:
    """Whether one frame's steady reading is unsure (see the module's docstring)."""
    if confidence is None:
        return False
    if value is None:
        return confidence >= NO_DIGIT_FLOOR
    return confidence < min_confidence + CONFIDENCE_MARGIN


class DoubtfulSaver:
    """A FrameObserver saving doubtful frames into `folder` (created if needed). Use as a context manager.

    Args:
        on_saved: called (in the writer's thread) with each file written.
    """

    def __init__(self, folder: Path, min_confidence: float, max_files: int = DEFAULT_MAX_FILES,
                 on_saved: Callable[[Path], None] = lambda path: None, clock: Callable[[], float] = time.time):
        self.folder = folder
        self.min_confidence = min_confidence
        self.max_files = max_files
        self.saved = 0
        self.errors: list[str] = []
        self._on_saved = on_saved
        self._clock = clock
        self._unsure_run = 0
        self._last_save = float("-inf")
        self._recent_changes: deque[int] = deque(maxlen=FLICKER_CHANGES)
        self._queue: queue.Queue = queue.Queue(maxsize=PENDING_MAX)
        self._writer = threading.Thread(target=self._write_loop, name="digits-doubtful", daemon=True)

    def __enter__(self) -> DoubtfulSaver:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._queue.put(None)
        self._writer.join()

    # FrameObserver
    def on_frame(self, frame: LiveFrame) -> None:
        flickering = (len(self._recent_changes) == FLICKER_CHANGES
                      and frame.index - self._recent_changes[0] < FLICKER_FRAMES)
        unsure = flickering or is_unsure(frame.value, frame.reading.confidence, self.min_confidence)
        self._unsure_run = self._unsure_run + 1 if unsure else 0
        now = self._clock()
        if self._unsure_run >= UNSURE_FRAMES and now - self._last_save >= MIN_GAP_S:
            try:
                self._queue.put_nowait((frame.frame, doubtful_name(now, frame.value, frame.reading.confidence)))
            except queue.Full:
                return  # the writer is far behind: the next unsure frame will do
            self._last_save = now
            self._unsure_run = 0

    def on_change(self, frame: LiveFrame) -> None:
        self._recent_changes.append(frame.index)

    def requested_roi(self) -> Roi | None:
        return None

    def _write_loop(self) -> None:
        while (job := self._queue.get()) is not None:
            image, name = job
            self._write(image, name)

    def _write(self, image: np.ndarray, name: str) -> None:
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        path = self.folder / name
        try:
            if not ok:
                raise OSError("OpenCV could not encode the frame")
            write_bytes_atomic(path, data.tobytes())
            self._drop_oldest()
        except OSError as error:
            self.errors.append(f"cannot write {path}: {error.strerror or error}")
            return
        self.saved += 1
        self._on_saved(path)

    def _drop_oldest(self) -> None:
        """Keep the newest max_files of the files this saver names (other files are left alone)."""
        ours = sorted(path for path in self.folder.iterdir() if _SAVED_NAME.match(path.name))
        for path in ours[:max(0, len(ours) - self.max_files)]:
            path.unlink(missing_ok=True)
