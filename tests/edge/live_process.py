"""Helpers for the tests of the headless outputs: a test video, and `digits-edge --camera` run as a real process."""
from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from digits.train.synth import render_video

from tests.models import TEST_MODEL_PATH

VIDEO_DIGITS = [4, 1]
VIDEO_SIZE = (320, 240)  # width, height
VIDEO_FPS = 15
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
_RUNNER = "from digits.edge.cli import console_main; console_main()"
MODEL_ARGS = ("--model", str(TEST_MODEL_PATH), "--threads", "1")  # the frozen test model


def write_video(path: Path, mnist_test) -> Path:
    """Two MNIST test digits (4, then 1) on paper, blank paper around them: 48 frames at 15 fps."""
    images = [mnist_test.images[np.flatnonzero(mnist_test.labels == digit)[0]] for digit in VIDEO_DIGITS]
    render_video(path, images, np.random.default_rng(1), labels=VIDEO_DIGITS, size=VIDEO_SIZE,
                 frames_per_digit=12, blank_frames=8, fps=VIDEO_FPS)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Runner:
    """A running `digits-edge` process; its stderr lines are read as they come (wait_for)."""

    def __init__(self, args: list[str]):
        env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen([sys.executable, "-c", _RUNNER, *MODEL_ARGS, *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env)
        self.stderr: list[str] = []

    def wait_for(self, prefix: str, timeout_s: float = START_TIMEOUT_S) -> str:
        """The first stderr line starting with prefix (AssertionError when the process ends or time runs out)."""
        for line in self.stderr:
            if line.startswith(prefix):
                return line
        selector = selectors.DefaultSelector()
        selector.register(self.process.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                line = self.process.stderr.readline()
                if not line:
                    break
                self.stderr.append(line.rstrip("\n"))
                if line.startswith(prefix):
                    return line.rstrip("\n")
        raise AssertionError(f"no {prefix!r} line from digits-edge; stderr: {self.stderr}")

    def stop(self) -> tuple[int, str, str]:
        """SIGTERM, then (exit code, stdout, the rest of stderr)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, err = self.process.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return self.process.returncode, out, "\n".join(self.stderr) + "\n" + err


@contextlib.contextmanager
def running(*args: str) -> Iterator[Runner]:
    """digits-edge with these arguments (and the frozen test model), stopped (SIGTERM) when the block ends."""
    runner = Runner(list(args))
    try:
        yield runner
    finally:
        runner.stop()


def serving(video: Path, *args: str) -> contextlib.AbstractContextManager[Runner]:
    """digits-edge --camera VIDEO --loop --serve 127.0.0.1:0 ARGS...; its URL is runner.wait_for('serving on')."""
    return running("--camera", str(video), "--loop", "--serve", "127.0.0.1:0", *args)


def url_of(runner: Runner) -> str:
    return runner.wait_for("serving on ").split("serving on ", 1)[1]
