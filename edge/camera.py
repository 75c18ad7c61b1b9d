"""Frame sources for the live loop: a V4L2 camera index or a video file/stream through OpenCV, or the Pi CSI
camera through picamera2 (imported only when asked). The loop sees only open/read/close.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
from digits.edge.messages import short_reason

PICAM = "picam"
PICAM_SIZE = (640, 480)  # pixels, width x height
LOST_AFTER_S = 2.0  # a live camera that returns no frame for this long is lost
_PICAMERA2_HINT = ("picamera2 is not installed: sudo apt install python3-picamera2, and use a venv made with "
                   "--system-site-packages")


@contextmanager
def opencv_log_silenced() -> Iterator[None]:
    """Silence OpenCV's own log for the duration, then restore its level.

    OpenCV 5 keeps the level's functions in cv2.utils.logging, OpenCV 4 in cv2 itself; a build with neither
    logs as it does.
    """
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    module = next((m for m in (logging, cv2) if hasattr(m, "getLogLevel") and hasattr(m, "setLogLevel")), None)
    if module is None:
        yield
        return
    level = module.getLogLevel()
    module.setLogLevel(0)  # LOG_LEVEL_SILENT in both
    try:
        yield
    finally:
        module.setLogLevel(level)


class CameraError(OSError):
    """A frame source that cannot be opened, or a live camera that stopped sending frames."""


class FrameSource:
    """A source of BGR frames: use as a context manager; read() returns None when a video file ends."""

    name = "frame source"
    live = True  # a live camera or stream: no frame means it was lost, not that it ended

    def open(self) -> None:
        raise NotImplementedError

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> FrameSource:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class OpenCVSource(FrameSource):
    """A V4L2 camera index (USB webcam), a video file, or a stream URL that OpenCV can open.

    Args:
        source: a camera index, a video file path or a URL.
        live: whether a missing frame means a lost camera (error) rather than the end of a file;
            None: live for a camera index or a URL, not for a file.
    """

    def __init__(self, source: int | str, live: bool | None = None):
        self.source = source
        is_index, is_url = isinstance(source, int), "://" in str(source)
        self.name = f"camera {source}" if is_index else f"stream {source}" if is_url else f"video {source}"
        self.live = (is_index or is_url) if live is None else live
        self._capture: cv2.VideoCapture | None = None
        self._frames_read = 0

    def open(self) -> None:
        """Open the capture.

        Raises:
            CameraError: the camera index is not there, or the file/stream cannot be opened as a video.
        """
        if isinstance(self.source, str) and "://" not in self.source and not Path(self.source).is_file():
            raise CameraError(f"video {self.source} does not exist")
        backend = cv2.CAP_V4L2 if isinstance(self.source, int) and sys.platform.startswith("linux") else cv2.CAP_ANY
        with opencv_log_silenced():  # OpenCV warns for a missing device in many lines; we raise one instead
            capture = cv2.VideoCapture(self.source, backend)
        if not capture.isOpened():
            capture.release()
            if isinstance(self.source, int):
                raise CameraError(f"camera {self.source} is not available (no such device, or busy)")
            raise CameraError(f"cannot open {self.source} as a video")
        if isinstance(self.source, int):
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not one queued while we were busy
        self._capture = capture

    @property
    def is_open(self) -> bool:
        return self._capture is not None

    def frame_rate(self) -> float:
        """The frames per second the video or stream says it has (0 when it does not say, or not open)."""
        return float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0) if self._capture is not None else 0.0

    def read(self) -> np.ndarray | None:
        """The next BGR frame; None at the end of a video file.

        Raises:
            CameraError: a live camera or stream returned no frame for LOST_AFTER_S seconds, or a file that
                OpenCV opened gave no frame at all (not a video it can decode).
        """
        if self._capture is None:
            raise CameraError(f"{self.name} is not open")
        deadline = time.monotonic() + LOST_AFTER_S
        while True:
            ok, frame = self._capture.read()
            if ok and frame is not None:
                self._frames_read += 1
                return frame
            if not self.live:
                if self._frames_read == 0:
                    raise CameraError(f"{self.name}: no frame could be read (not a video OpenCV can decode)")
                return None
            if time.monotonic() >= deadline:
                raise CameraError(f"{self.name} stopped sending frames")
            time.sleep(0.01)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None
            self._frames_read = 0


class PicameraSource(FrameSource):
    """The Raspberry Pi CSI camera through picamera2 (OpenCV cannot open it on Bookworm)."""

    name = "picam"
    live = True

    def __init__(self, size: tuple[int, int] = PICAM_SIZE):
        self.size = size
        self._camera = None

    def open(self) -> None:
        """Start the camera.

        Raises:
            CameraError: picamera2 is not installed, or no CSI camera is connected.
        """
        try:
            from picamera2 import Picamera2
        except ImportError as error:
            raise CameraError(_PICAMERA2_HINT) from error
        try:
            camera = Picamera2()
            # "RGB888" is libcamera's name for the byte order OpenCV calls BGR.
            camera.configure(camera.create_video_configuration(main={"size": self.size, "format": "RGB888"}))
            camera.start()
        except (IndexError, RuntimeError, OSError) as error:
            raise CameraError(f"picam: cannot start the CSI camera ({short_reason(error)})") from error
        self._camera = camera

    def read(self) -> np.ndarray:
        """The next BGR frame.

        Raises:
            CameraError: the camera sent no frame for LOST_AFTER_S seconds.
        """
        from concurrent.futures import TimeoutError as FutureTimeout  # what picamera2's wait raises; only here

        if self._camera is None:
            raise CameraError("picam is not open")
        try:
            job = self._camera.capture_array("main", wait=False)
            return self._camera.wait(job, timeout=LOST_AFTER_S)
        except (RuntimeError, OSError, FutureTimeout) as error:  # TimeoutError is an OSError from Python 3.11
            raise CameraError(f"picam stopped sending frames ({short_reason(error)})") from error

    def close(self) -> None:
        if self._camera is not None:
            try:
                self._camera.stop()
            finally:
                self._camera.close()
                self._camera = None


def open_source(spec: str) -> FrameSource:
    """The frame source a --camera value names: "picam", a camera index ("0") or a video path/URL.

    The source is not opened yet: use it as a context manager.
    """
    if spec == PICAM:
        return PicameraSource()
    if spec.isdigit():
        return OpenCVSource(int(spec))
    return OpenCVSource(spec)
