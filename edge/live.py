"""The live loop: frames from any FrameSource -> region of interest -> read_digit -> model -> a steady reading.

Steady: the class probabilities are averaged over the last frames, so the answer does not flicker; a frame
with no digit counts as all-zero probabilities, and a low mean confidence reads as "no digit".
"""
from __future__ import annotations

import os
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
from digits.edge.camera import FrameSource
from digits.edge.classifier import CUT_BY_EDGE, NO_INK, NUM_CLASSES, UNSURE, DigitClassifier, Prediction, no_ink
from digits.edge.native import native_stderr_captured
from digits.edge.preprocess import DigitImage, read_digit

DEFAULT_ROI_FRACTION = 0.6  # of the frame's shorter side, a centred square
DEFAULT_SMOOTH_FRAMES = 5
DEFAULT_MIN_CONFIDENCE = 0.6
HYSTERESIS = 0.1  # a shown digit stays until its mean confidence drops this far below the threshold
FPS_FRAMES = 30  # the displayed FPS is measured over this many frames

_NOTHING_YET = object()  # no reading reported yet: the first one always counts as a change
_WINDOW_TITLE = "digits"
_X11_TCP_PORT = 6000  # display :N listens on 6000 + N (e.g. ssh -X forwards localhost:10)
_DISPLAY_CONNECT_TIMEOUT_S = 0.5
_LIBXCB = "libxcb.so.1"  # what OpenCV's Qt and GTK connect to X with
NO_DISPLAY = "no display ($DISPLAY and $WAYLAND_DISPLAY unset)"
_QUIT_KEYS = (ord("q"), 27)  # q, Esc
_BOX_COLOUR = (0, 200, 0)  # green (BGR)
_TEXT_COLOUR = (0, 0, 255)  # red (BGR)
_OUTLINE_COLOUR = (255, 255, 255)  # white (BGR), keeps the text readable on dark scenes
_TEXT_SCALE = 0.8
_TEXT_THICKNESS = 2  # pixels
_LINE_HEIGHT = 30  # pixels


class RoiError(ValueError):
    """A region of interest that is malformed or not inside the frame."""


class DisplayError(OSError):
    """No window can be opened (e.g. an OpenCV build without GUI support)."""


@dataclass(frozen=True)
class Roi:
    """A region of interest in pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    def crop(self, frame: np.ndarray) -> np.ndarray:
        return frame[self.y: self.y + self.h, self.x: self.x + self.w]

    def __str__(self) -> str:
        return f"{self.x},{self.y},{self.w},{self.h}"


def parse_roi(text: str) -> Roi:
    """A Roi from "x,y,w,h" (non-negative integers, positive width and height).

    Raises:
        RoiError: not four integers, a negative offset, or an empty size.
    """
    parts = [part.strip() for part in text.split(",")]
    try:
        x, y, w, h = (int(part) for part in parts)
    except ValueError:
        raise RoiError(f"expected x,y,w,h as four integers, got {text!r}") from None
    if x < 0 or y < 0 or w <= 0 or h <= 0:
        raise RoiError(f"expected x,y >= 0 and w,h > 0, got {text!r}")
    return Roi(x, y, w, h)


def centred_roi(width: int, height: int, fraction: float = DEFAULT_ROI_FRACTION) -> Roi:
    """A centred square whose side is `fraction` of the frame's shorter side."""
    side = max(1, round(min(width, height) * fraction))
    return Roi((width - side) // 2, (height - side) // 2, side, side)


def check_roi(roi: Roi, width: int, height: int) -> Roi:
    """The roi itself if it lies inside a width x height frame.

    Raises:
        RoiError: the roi reaches outside the frame.
    """
    if roi.x + roi.w > width or roi.y + roi.h > height:
        raise RoiError(f"--roi {roi} reaches outside the {width}x{height} frame")
    return roi


@dataclass(frozen=True)
class Reading:
    """A steady reading: digit None means no digit, and `reason` says why; see Smoother.update."""

    digit: int | None
    confidence: float
    reason: str | None = None  # with no digit: NO_INK, NOT_A_DIGIT, CUT_BY_EDGE or UNSURE (edge/classifier.py)

    def describe(self) -> str:
        """The reading in words, for the window and the change lines: a digit, or why there is none."""
        if self.digit is not None:
            return f"digit {self.digit}  ({self.confidence:.2f})"
        if self.reason == CUT_BY_EDGE:
            return "no digit: move back (cut by the edge)"
        return f"no digit: {self.reason}" if self.reason else "no digit"


class Smoother:
    """Mean class probabilities over the last `frames` frames, with a confidence threshold and hysteresis.

    A frame without a digit counts as all-zero probabilities, and until `frames` frames have been seen
    the missing ones count the same way, so a reading needs a few agreeing frames before it shows.
    """

    def __init__(self, frames: int = DEFAULT_SMOOTH_FRAMES, min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                 hysteresis: float = HYSTERESIS):
        if frames < 1:
            raise ValueError(f"smoothing needs at least 1 frame, got {frames}")
        if not 0.0 < min_confidence <= 1.0:
            raise ValueError(f"min confidence must be in (0, 1], got {min_confidence}")
        self.frames = frames
        self.min_confidence = min_confidence
        self.hysteresis = hysteresis
        self._history: deque[np.ndarray | None] = deque(maxlen=frames)
        self._reasons: deque[str | None] = deque(maxlen=frames)
        self.reading = Reading(None, 0.0, NO_INK)

    def update(self, probabilities: Sequence[float] | None, reason: str | None = NO_INK) -> Reading:
        """Add one frame's ten digit probabilities (None: no digit in the frame, for `reason`) and return the
        steady reading.

        The digit shows when its mean over the window reaches min_confidence (or, if it is already shown,
        min_confidence - hysteresis); its confidence is then the model's mean over the frames that held a
        digit. Otherwise the reading is "no digit" with the window mean of the best class as confidence, for
        the reason most of the window's frames without a digit had (UNSURE when they all held one).
        """
        self._history.append(None if probabilities is None else np.asarray(probabilities, np.float64))
        self._reasons.append(None if probabilities is not None else reason)
        seen = [frame for frame in self._history if frame is not None]
        total = np.sum(seen, axis=0) if seen else np.zeros(NUM_CLASSES)
        best = int(np.argmax(total))
        window_mean = float(total[best]) / self.frames
        keeps = best == self.reading.digit and window_mean >= self.min_confidence - self.hysteresis
        if keeps or window_mean >= self.min_confidence:
            self.reading = Reading(best, float(total[best]) / len(seen))
        else:
            self.reading = Reading(None, window_mean, _most_common_reason(self._reasons))
        return self.reading


def _most_common_reason(reasons: Sequence[str | None]) -> str:
    """The reason most frames without a digit had (the latest wins a tie); UNSURE when every frame held one."""
    counts = Counter(reason for reason in reasons if reason is not None)
    if not counts:
        return UNSURE
    return max(reversed([reason for reason in reasons if reason is not None]), key=counts.__getitem__)


@dataclass(frozen=True)
class LiveOptions:
    """How the live loop runs."""

    roi: Roi | None = None  # None: a centred square, DEFAULT_ROI_FRACTION of the shorter side
    smooth_frames: int = DEFAULT_SMOOTH_FRAMES
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    max_frames: int | None = None
    duration_s: float | None = None
    show_window: bool = False
    preprocess: Callable[[np.ndarray], DigitImage | None] = read_digit  # the roi -> the model's input
    observers: tuple[FrameObserver, ...] = ()  # told of every frame and change (web page, MQTT, doubtful frames)


@dataclass(frozen=True)
class ReadingChange:
    """The steady reading changed: seconds since the start, the frame (from 0), the reading, the frame rate."""

    time_s: float
    frame: int
    digit: int | None
    confidence: float
    fps: float
    reason: str | None = None  # why there is no digit (Reading.reason)

    def as_dict(self) -> dict:
        return {"time": round(self.time_s, 3), "frame": self.frame, "digit": self.digit,
                "reason": self.reason if self.digit is None else None,
                "confidence": None if self.digit is None else round(self.confidence, 4), "fps": round(self.fps, 1)}

    def describe(self) -> str:
        """The new reading in words (Reading.describe)."""
        return Reading(self.digit, self.confidence, self.reason).describe()


@dataclass(frozen=True)
class LiveSummary:
    """What a live run did; latencies are preprocessing + inference + smoothing per frame, capture excluded."""

    frames: int
    seconds: float
    mean_fps: float
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    changes: int
    stopped_by: str
    roi: str

    def as_dict(self) -> dict:
        return {"frames": self.frames, "seconds": round(self.seconds, 3), "mean_fps": round(self.mean_fps, 1),
                "latency_p50_ms": round(self.latency_p50_ms, 3), "latency_p90_ms": round(self.latency_p90_ms, 3),
                "latency_p99_ms": round(self.latency_p99_ms, 3), "changes": self.changes,
                "stopped_by": self.stopped_by, "roi": self.roi}


def frame_prediction(frame: np.ndarray, roi: Roi, classifier: DigitClassifier,
                     preprocess: Callable[[np.ndarray], DigitImage | None] = read_digit) -> Prediction:
    """The reading of the frame's roi: the model's, NO_INK when the roi holds nothing digit-shaped, or
    CUT_BY_EDGE when the digit runs into a side of the roi (part of it is outside: another digit, maybe)."""
    found = preprocess(roi.crop(frame))
    if found is None:
        return no_ink()
    prediction = classifier.predict(found.pixels)
    if prediction.digit is not None and found.sides_touched:
        return prediction.without_digit(CUT_BY_EDGE)
    return prediction


@dataclass(frozen=True)
class FrameReading:
    """What a frame reader made of one frame."""

    state: object  # the steady reading: each change of it is reported
    change: Callable[[float, int, float], object]  # (seconds since the start, frame index, fps) -> the report
    overlay: tuple  # what the window's draw function takes after the frame (the fps follows)
    confidence: float | None = None  # of the steady reading (for "no digit": how close the best class came)
    reason: str | None = None  # why there is no steady reading (a change of it is reported too)


@dataclass(frozen=True)
class LiveFrame:
    """One frame of the live loop as observers see it; `annotated()` draws the overlay (a copy, on demand)."""

    index: int
    time_s: float  # seconds since the start
    frame: np.ndarray
    reading: FrameReading
    fps: float
    latency_ms: float
    roi: Roi | None
    draw: Callable[..., np.ndarray]

    def annotated(self) -> np.ndarray:
        return self.draw(self.frame, *self.reading.overlay, self.fps)

    @property
    def value(self) -> int | str | None:
        """The steady reading: the digit, the number's text (--multi), or None when there is none."""
        state = self.reading.state
        return None if state is None or state == "" else state


class FrameObserver(Protocol):
    """Told of every frame, then (with the same frame) of each change of the steady reading, in the loop's
    thread: it must return fast.

    requested_roi() is asked once per frame: a Roi (already checked against the frame) to read from now on.
    """

    def on_frame(self, frame: LiveFrame) -> None: ...

    def on_change(self, frame: LiveFrame) -> None: ...

    def requested_roi(self) -> Roi | None: ...


class FrameReader(Protocol):
    """Reads one frame at a time; `roi` is the region it reads (None: the whole frame), known after a frame."""

    roi: Roi | None

    def __call__(self, frame: np.ndarray) -> FrameReading: ...


class DigitReader:
    """One digit in the roi (a centred square unless given), steadied by a Smoother."""

    def __init__(self, classifier: DigitClassifier, options: LiveOptions):
        self.roi = options.roi
        self._roi_checked = False
        self._classifier = classifier
        self._preprocess = options.preprocess
        self._smoother = Smoother(options.smooth_frames, options.min_confidence)

    def __call__(self, frame: np.ndarray) -> FrameReading:
        if self.roi is None:
            self.roi = centred_roi(frame.shape[1], frame.shape[0])
        elif not self._roi_checked:
            check_roi(self.roi, frame.shape[1], frame.shape[0])
        self._roi_checked = True
        prediction = frame_prediction(frame, self.roi, self._classifier, self._preprocess)
        reading = self._smoother.update(prediction.probabilities if prediction.digit is not None else None,
                                        prediction.reason)
        return FrameReading(reading.digit,
                            lambda seconds, index, fps: ReadingChange(seconds, index, reading.digit,
                                                                      reading.confidence, fps, reading.reason),
                            (self.roi, reading), reading.confidence, reading.reason)


def run_live(source: FrameSource, classifier: DigitClassifier, options: LiveOptions = LiveOptions(),
             on_change: Callable[[ReadingChange], None] = lambda change: None) -> LiveSummary:
    """Read one digit per frame until the source ends, a limit is reached, q/Esc is pressed, Ctrl-C or SIGTERM.

    Calls on_change each time the steady reading changes (the first reading included). The source is
    opened here and always closed (released) on the way out.

    Raises:
        CameraError: the source cannot be opened, or a live camera stopped sending frames.
        RoiError: options.roi reaches outside the frame.
        DisplayError: show_window is set but OpenCV cannot open a window.
    """
    return run_frames(source, DigitReader(classifier, options), options, draw_overlay, on_change)


def run_frames(source: FrameSource, reader: FrameReader, options: LiveOptions,
               draw: Callable[..., np.ndarray], on_change: Callable[[object], None]) -> LiveSummary:
    """The frame loop of every live mode: read frames with `reader`, report changes of its steady reading,
    show `draw(frame, *overlay, fps)` when there is a window, and stop at the end of a video, a limit, q/Esc,
    Ctrl-C or SIGTERM, with the source always released. Latencies time the reader, capture excluded."""
    latencies_ms: list[float] = []
    frame_times: deque[float] = deque(maxlen=FPS_FRAMES)
    last_state: object = _NOTHING_YET
    changes = 0
    stop = StopRequest()
    with stop_on_sigterm(stop), source, window(options.show_window, draw) as show:
        start = time.perf_counter()
        try:
            while stop.reason is None:
                frame = source.read()
                if frame is None:
                    stop.reason = "end of video"
                    break
                for observer in options.observers:
                    roi = observer.requested_roi()
                    if roi is not None:
                        reader.roi = roi
                began = time.perf_counter()
                reading = reader(frame)
                now = time.perf_counter()
                latencies_ms.append((now - began) * 1000.0)
                frame_times.append(now)
                fps = frames_per_second(frame_times)
                index = len(latencies_ms) - 1
                seen = LiveFrame(index, now - start, frame, reading, fps, latencies_ms[-1], reader.roi, draw)
                for observer in options.observers:
                    observer.on_frame(seen)
                if (reading.state, reading.reason) != last_state:
                    changes += 1
                    last_state = (reading.state, reading.reason)
                    on_change(reading.change(now - start, index, fps))
                    for observer in options.observers:
                        observer.on_change(seen)
                if show and show(frame, *reading.overlay, fps):
                    stop.reason = "quit key"
                if options.max_frames is not None and len(latencies_ms) >= options.max_frames:
                    stop.reason = stop.reason or "max frames"
                if options.duration_s is not None and now - start >= options.duration_s:
                    stop.reason = stop.reason or "duration"
        except KeyboardInterrupt:
            stop.reason = "Ctrl-C"
    return make_summary(latencies_ms, time.perf_counter() - start, changes, stop.reason, reader.roi)


def frames_per_second(frame_times: deque[float]) -> float:
    """Frames per second over the recent frames (0 until there are two)."""
    if len(frame_times) < 2 or frame_times[-1] <= frame_times[0]:
        return 0.0
    return (len(frame_times) - 1) / (frame_times[-1] - frame_times[0])


def make_summary(latencies_ms: list[float], seconds: float, changes: int, stopped_by: str | None,
             roi: Roi | None) -> LiveSummary:
    """The run's figures; latency percentiles are 0 when no frame was processed."""
    p50, p90, p99 = np.percentile(latencies_ms, [50, 90, 99]) if latencies_ms else (0.0, 0.0, 0.0)
    frames = len(latencies_ms)
    return LiveSummary(frames, seconds, frames / seconds if seconds > 0 else 0.0, float(p50), float(p90),
                       float(p99), changes, stopped_by or "unknown", str(roi) if roi else "none")


class StopRequest:
    """Why the loop should stop; None while it should go on."""

    reason: str | None = None


@contextmanager
def stop_on_sigterm(stop: StopRequest) -> Iterator[None]:
    """Turn SIGTERM into a clean stop (summary, capture released) while the loop runs."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def request_stop(signum, frame):
        stop.reason = "SIGTERM"

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def window(enabled: bool, draw: Callable[..., np.ndarray]) -> Iterator[Callable[..., bool] | None]:
    """A function that shows `draw(*args)` in a window and says whether q/Esc was pressed or the window was
    closed; None when disabled. The window is closed when the block ends."""
    if not enabled:
        yield None
        return
    try:
        cv2.namedWindow(_WINDOW_TITLE, cv2.WINDOW_AUTOSIZE)
    except cv2.error as error:
        raise DisplayError("OpenCV cannot open a window here (no GUI support or no display); "
                           "use --headless") from error

    def show(*args) -> bool:
        cv2.imshow(_WINDOW_TITLE, draw(*args))
        key = cv2.waitKey(1) & 0xFF
        return key in _QUIT_KEYS or cv2.getWindowProperty(_WINDOW_TITLE, cv2.WND_PROP_VISIBLE) < 1

    try:
        yield show
    finally:
        cv2.destroyWindow(_WINDOW_TITLE)
        cv2.waitKey(1)  # lets the GUI thread actually close the window


def draw_status(view: np.ndarray, lines: Sequence[str]) -> np.ndarray:
    """Write text lines in the top-left corner of `view` (in place), outlined to read on any scene."""
    for row, line in enumerate(lines, start=1):
        for colour, thickness in ((_OUTLINE_COLOUR, _TEXT_THICKNESS + 2), (_TEXT_COLOUR, _TEXT_THICKNESS)):
            cv2.putText(view, line, (10, row * _LINE_HEIGHT), cv2.FONT_HERSHEY_SIMPLEX, _TEXT_SCALE, colour,
                        thickness, cv2.LINE_AA)
    return view


def draw_overlay(frame: np.ndarray, roi: Roi, reading: Reading, fps: float) -> np.ndarray:
    """A copy of the frame with the roi box, the steady reading and the frame rate drawn on it."""
    view = frame.copy()
    cv2.rectangle(view, (roi.x, roi.y), (roi.x + roi.w, roi.y + roi.h), _BOX_COLOUR, _TEXT_THICKNESS)
    return draw_status(view, (reading.describe(), f"{fps:.1f} fps"))


def display_problem() -> str | None:
    """None when OpenCV can open a window here, else why not: NO_DISPLAY when neither $DISPLAY nor
    $WAYLAND_DISPLAY is set (the usual headless case), or what is wrong with the display that is set.

    The display is really connected to, as OpenCV will: its Qt aborts the whole process when it cannot connect
    (a stale X socket, a server refusing us, Wayland without X), which no exception can catch.
    """
    if not sys.platform.startswith("linux"):
        return None
    gui = opencv_gui()
    if gui == "NONE":
        return "this OpenCV has no GUI support (opencv-python-headless?)"
    display, wayland = os.environ.get("DISPLAY", ""), os.environ.get("WAYLAND_DISPLAY", "")
    if display:
        return _x_display_problem(display)
    if not wayland:
        return NO_DISPLAY
    if not gui.startswith("GTK"):
        return (f"Wayland without X (no $DISPLAY): this OpenCV ({gui}) opens windows through X only; "
                "set DISPLAY to the XWayland display (e.g. :0)")
    return _wayland_problem(wayland)


def opencv_gui() -> str:
    """OpenCV's window backend as its build information names it (QT5, GTK3, NONE, ...)."""
    match = re.search(r"^\s*GUI:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE)
    return match.group(1).upper() if match else "NONE"


def _x_display_problem(display: str) -> str | None:
    """None when the X display accepts a connection (as libxcb makes it, with the user's Xauthority)."""
    host, _, screen = display.rpartition(":")
    number = screen.split(".")[0]
    if not number.isdigit():
        return f"DISPLAY={display} is not an X display name"
    if host not in ("", "unix"):  # TCP (e.g. ssh -X): libxcb would wait minutes for a host that does not answer
        try:
            socket.create_connection((host, _X11_TCP_PORT + int(number)), timeout=_DISPLAY_CONNECT_TIMEOUT_S).close()
        except OSError as error:
            return f"cannot connect to X display {display} ({error.strerror or error})"
    import ctypes  # only the window mode needs it

    try:
        xcb = ctypes.CDLL(_LIBXCB)
    except OSError:
        return f"{_LIBXCB} is missing (Debian: apt install libxcb1)"
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = (ctypes.c_char_p, ctypes.c_void_p)
    xcb.xcb_connection_has_error.argtypes = (ctypes.c_void_p,)
    xcb.xcb_disconnect.argtypes = (ctypes.c_void_p,)
    with native_stderr_captured() as said:  # libxcb prints the server's reason for refusing us
        connection = xcb.xcb_connect(display.encode(), None)
        error = xcb.xcb_connection_has_error(connection)
        xcb.xcb_disconnect(connection)
    if error:
        reason = " ".join(line.strip() for line in said) or "server gone, or not authorized"
        return f"X display {display} refused the connection ({reason})"
    return None


def _wayland_problem(wayland: str) -> str | None:
    """None when the Wayland compositor's socket accepts a connection."""
    path = wayland if os.path.isabs(wayland) else os.path.join(os.environ.get("XDG_RUNTIME_DIR", ""), wayland)
    try:
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(_DISPLAY_CONNECT_TIMEOUT_S)
            connection.connect(path)
    except OSError as error:
        return f"cannot connect to Wayland display {wayland} ({error.strerror or error})"
    return None
