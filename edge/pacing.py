"""A video file standing in for a camera: played at its own frame rate, and replayed from the start (--loop)."""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from digits.edge.camera import FrameSource

FALLBACK_FPS = 30.0  # when a video does not say its frame rate


class PacedVideo(FrameSource):
    """Wraps a video's FrameSource: each frame is returned no sooner than its time in the video (paced), and
    the end of the video starts it again (loop). `frame_rate` is the video's frames per second."""

    def __init__(self, video: FrameSource, frame_rate: Callable[[], float], paced: bool, loop: bool,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.video = video
        self.name = video.name
        self.live = video.live
        self._frame_rate = frame_rate
        self._paced = paced
        self._loop = loop
        self._clock = clock
        self._sleep = sleep
        self._started = 0.0
        self._frames = 0
        self._fps = FALLBACK_FPS

    def open(self) -> None:
        self.video.open()
        rate = self._frame_rate()
        self._fps = rate if rate and rate > 0 else FALLBACK_FPS
        self._started, self._frames = self._clock(), 0

    def read(self) -> np.ndarray | None:
        frame = self.video.read()
        if frame is None and self._loop:
            self.video.close()
            self.video.open()
            frame = self.video.read()
        if frame is not None and self._paced:
            due = self._started + self._frames / self._fps
            wait = due - self._clock()
            if wait > 0:
                self._sleep(wait)
            elif wait < -1.0:  # far behind (a slow reader): catch up from now instead of rushing
                self._started, self._frames = self._clock(), 0
            self._frames += 1
        return frame

    def close(self) -> None:
        self.video.close()
