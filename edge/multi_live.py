"""The live loop for whole numbers (--camera ... --multi): every frame read with read_digits, a steady text.

Steady: the text shown is the one read in most of the last frames, so one misread frame does not flicker
through. The frame source, stop handling (q/Esc, Ctrl-C, SIGTERM, limits) and summary are live.py's.
"""
from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from digits.edge.annotate import draw_reading
from digits.edge.camera import FrameSource
from digits.edge.classifier import DigitClassifier
from digits.edge.live import FrameReading, LiveOptions, LiveSummary, Roi, check_roi, draw_status, run_frames
from digits.edge.multi import Line, MultiOptions, PageReading, read_digits


class TextSmoother:
    """The steady text: a reading becomes it once it is the text of most of the last `frames` frames."""

    def __init__(self, frames: int):
        if frames < 1:
            raise ValueError(f"smoothing needs at least 1 frame, got {frames}")
        self.frames = frames
        self._history: deque[str] = deque(maxlen=frames)
        self.text = ""

    def update(self, text: str) -> str:
        """Add one frame's text ("" when it held no digits) and return the steady text."""
        self._history.append(text)
        best, count = Counter(self._history).most_common(1)[0]
        if 2 * count > self.frames:
            self.text = best
        return self.text


@dataclass(frozen=True)
class NumberChange:
    """The steady text changed: seconds since the start, the frame (from 0), the text and its lines, frame rate."""

    time_s: float
    frame: int
    text: str
    lines: tuple[str, ...]
    fps: float

    def as_dict(self) -> dict:
        return {"time": round(self.time_s, 3), "frame": self.frame, "text": self.text, "lines": list(self.lines),
                "fps": round(self.fps, 1)}


class NumberReader:
    """Every digit of the frame (or of the roi), steadied by a TextSmoother."""

    def __init__(self, classifier: DigitClassifier, options: LiveOptions, multi: MultiOptions):
        self.roi = options.roi
        self._roi_checked = False
        self._classifier = classifier
        self._multi = multi
        self._smoother = TextSmoother(options.smooth_frames)
        self._recent: deque[PageReading] = deque(maxlen=options.smooth_frames)  # the steady text was read in one

    def __call__(self, frame: np.ndarray) -> FrameReading:
        if self.roi is not None and not self._roi_checked:
            check_roi(self.roi, frame.shape[1], frame.shape[0])
        self._roi_checked = True
        reading = read_digits(self.roi.crop(frame) if self.roi is not None else frame, self._classifier, self._multi)
        text = self._smoother.update(reading.text)
        self._recent.append(reading)
        steady = next((seen for seen in reversed(self._recent) if seen.text == text), None)
        lines = tuple(line.digits for line in steady.lines) if steady else ()
        return FrameReading(text, lambda seconds, index, fps: NumberChange(seconds, index, text, lines, fps),
                            (_in_frame(reading, self.roi), text), _least_sure(steady))


def run_live_multi(source: FrameSource, classifier: DigitClassifier, options: LiveOptions = LiveOptions(),
                   on_change: Callable[[NumberChange], None] = lambda change: None,
                   multi: MultiOptions = MultiOptions()) -> LiveSummary:
    """Read every digit of each frame (or of options.roi) until the source ends, a limit, q/Esc, Ctrl-C or SIGTERM.

    Calls on_change each time the steady text changes (the first text included). In each frame a mark read less
    surely than multi.min_confidence, or not as a digit, is UNREAD (`?`) in the text, and with multi.form the
    text is the frame's best reading of that form. The source is always closed on the way out.

    Raises:
        CameraError: the source cannot be opened, or a live camera stopped sending frames.
        RoiError: options.roi reaches outside the frame.
        DisplayError: show_window is set but OpenCV cannot open a window.
    """
    return run_frames(source, NumberReader(classifier, options, multi), options, draw_live, on_change)


def _least_sure(reading: PageReading | None) -> float | None:
    """The confidence of the least sure digit of a reading (None without digits)."""
    confidences = [box.confidence for line in reading.lines for box in line.boxes] if reading else []
    return min(confidences) if confidences else None


def _in_frame(reading: PageReading, roi: Roi | None) -> PageReading:
    """The reading with its boxes moved from the roi into frame coordinates."""
    if roi is None:
        return reading
    dx, dy = roi.x, roi.y
    lines = tuple(Line(line.digits, tuple(replace(box, x=box.x + dx, y=box.y + dy) for box in line.boxes))
                  for line in reading.lines)
    return replace(reading, lines=lines)


def draw_live(frame: np.ndarray, reading: PageReading, text: str, fps: float) -> np.ndarray:
    """The frame with this frame's digit boxes, the steady text and the frame rate drawn on it."""
    return draw_status(draw_reading(frame, reading), (text or "no digit", f"{fps:.1f} fps"))
