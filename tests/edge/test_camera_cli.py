"""`digits-edge --camera` through CliRunner: a real video file written here, the packaged model, both runtimes."""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from digits.edge.cli import main
from digits.edge.runtime import RUNTIMES
from digits.train.synth import render_video

VIDEO_DIGITS = [4, 1]
EXPECTED_READINGS = [None, 4, None, 1, None]
FRAMES = 3 * 8 + 2 * 12  # three blanks of 8 frames, two digits of 12
CHANGE_LINE = re.compile(r"^ *\d+\.\ds  (digit \d  \(\d\.\d\d\)|no digit: [a-z ()]+)  \d+\.\d fps$")
NO_DISPLAY = {"DISPLAY": None, "WAYLAND_DISPLAY": None}


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist_test):
    """Two MNIST test digits written on paper, one after the other, in a 320x240 MJPG video."""
    images = [mnist_test.images[np.flatnonzero(mnist_test.labels == digit)[0]] for digit in VIDEO_DIGITS]
    path = tmp_path_factory.mktemp("video") / "digits.avi"
    render_video(path, images, np.random.default_rng(1), labels=VIDEO_DIGITS, size=(320, 240),
                 frames_per_digit=12, blank_frames=8)
    return str(path)


def _digit(line: str) -> int | None:
    match = re.search(r"digit (\d)", line)
    return int(match.group(1)) if match else None


def _invoke(*args: str):
    return CliRunner(env=NO_DISPLAY).invoke(main, list(args))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_headless_lines_follow_the_digits_and_end_with_a_summary(video, runtime):
    result = _invoke("--camera", video, "--headless", "--runtime", runtime, "--threads", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    changes, summary = lines[:-1], lines[-1]
    assert all(CHANGE_LINE.match(line) for line in changes), changes
    assert [_digit(line) for line in changes] == EXPECTED_READINGS
    assert summary.startswith(f"summary: {FRAMES} frames in ") and "stopped by end of video" in summary
    assert re.search(r"p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms", summary)


def test_json_lines_hold_time_digit_confidence_fps_then_a_summary_line(video):
    result = _invoke("--camera", video, "--json")  # no display here: headless by itself
    assert result.exit_code == 0, result.output
    *records, summary = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["digit"] for record in records] == EXPECTED_READINGS
    assert all({"time", "digit", "confidence", "fps"} <= set(record) for record in records)
    assert [record["confidence"] is None for record in records] == [digit is None for digit in EXPECTED_READINGS]
    assert all(record["confidence"] >= 0.6 for record in records if record["digit"] is not None)
    assert summary["summary"]["frames"] == FRAMES and summary["summary"]["stopped_by"] == "end of video"


def test_max_frames_stops_early(video):
    result = _invoke("--camera", video, "--max-frames", "5")
    assert result.exit_code == 0, result.output
    assert "summary: 5 frames in " in result.stdout and "stopped by max frames" in result.stdout


@pytest.mark.parametrize("camera, message", [
    ("9", "camera 9 is not available"),
    ("no/such/video.avi", "video no/such/video.avi does not exist"),
    ("picam", "python3-picamera2"),
])
def test_a_source_that_cannot_be_opened_is_one_line_of_error(camera, message):
    if camera == "picam":
        pytest.importorskip("numpy")  # always there; picamera2 must NOT be
        try:
            import picamera2  # noqa: F401
            pytest.skip("picamera2 is installed here")
        except ImportError:
            pass
    result = _invoke("--camera", camera)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("name", ["notes.avi", "notes.jpg"])  # OpenCV opens the .jpg as an image sequence
def test_a_video_file_that_is_no_video_is_one_line_of_error(tmp_path, name):
    (tmp_path / name).write_text("not a video")
    result = _invoke("--camera", str(tmp_path / name))
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output


@pytest.mark.parametrize("roi", ["1,2,3", "a,b,c,d", "0,0,-5,10"])
def test_a_malformed_roi_is_a_usage_error(video, roi):
    result = _invoke("--camera", video, "--roi", roi)
    assert result.exit_code == 2 and "--roi" in result.output


def test_a_roi_outside_the_frame_is_one_line_of_error(video):
    result = _invoke("--camera", video, "--roi", "300,200,50,50")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --roi 300,200,50,50 reaches outside the 320x240 frame"


def test_a_roi_on_the_digit_reads_it(video):
    result = _invoke("--camera", video, "--roi", "70,30,180,180")
    assert result.exit_code == 0, result.output
    assert [_digit(line) for line in result.stdout.splitlines()[:-1]] == EXPECTED_READINGS


def test_dir_and_camera_together_are_a_usage_error(video, tmp_path):
    result = _invoke("--camera", video, "--dir", str(tmp_path))
    assert result.exit_code == 2 and "--camera" in result.output


def test_the_camera_run_never_imports_tensorflow(video):
    code = ("import sys; from digits.edge.cli import main; "
            f"main(['--camera', {video!r}, '--max-frames', '3', '--headless'], standalone_mode=False); "
            "print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False"


@contextlib.contextmanager
def xvfb(*options: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """A virtual X server (Xvfb) and its display name; skipped where Xvfb is not installed."""
    if not shutil.which("Xvfb"):
        pytest.skip("Xvfb is not installed (Debian: apt install xvfb)")
    server = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp", *options],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        yield server, f":{server.stdout.readline().strip()}"
    finally:
        server.terminate()  # a clean exit: Xvfb removes its socket and lock files
        server.wait(timeout=10)


@pytest.fixture
def x_display():
    with xvfb() as (_, display):
        yield display


def _run_in_child(video: str, *args: str, **environment: str | None) -> subprocess.CompletedProcess:
    """`digits-edge --camera VIDEO ARGS` in a child process: OpenCV's Qt aborts the whole process if it cannot
    reach the display, which must not take the test run with it."""
    env = {**os.environ, **environment}
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run([sys.executable, "-c", "from digits.edge.cli import main; main()", "--camera", video, *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_with_a_display_the_window_shows_the_frames_and_lines_still_print(video, x_display):
    result = _run_in_child(video, "--max-frames", "30", DISPLAY=x_display, WAYLAND_DISPLAY=None)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert [_digit(line) for line in lines[:-1]] == EXPECTED_READINGS[:3], result.stdout
    assert lines[-1].startswith("summary: 30 frames in "), result.stdout


def _assert_headless_with_one_note(result: subprocess.CompletedProcess, reason: str) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("note: no window: ") and reason in result.stderr, result.stderr
    assert result.stderr.endswith("running headless\n") and len(result.stderr.splitlines()) == 1, result.stderr
    lines = result.stdout.splitlines()
    assert [_digit(line) for line in lines[:-1]] == EXPECTED_READINGS[:3], result.stdout


def xauthority_entry(cookie: bytes) -> bytes:
    """One Xauthority record (any host, any display) holding an MIT-MAGIC-COOKIE-1."""
    fields = (b"", b"", b"MIT-MAGIC-COOKIE-1", cookie)
    return struct.pack(">H", 0xFFFF) + b"".join(struct.pack(">H", len(field)) + field for field in fields)


def test_a_display_that_refuses_us_falls_back_to_headless_with_one_note(video, tmp_path):
    server_cookies, our_cookies = tmp_path / "server-auth", tmp_path / "Xauthority"
    server_cookies.write_bytes(xauthority_entry(os.urandom(16)))
    our_cookies.write_bytes(xauthority_entry(os.urandom(16)))  # the wrong cookie
    with xvfb("-auth", str(server_cookies)) as (_, display):
        result = _run_in_child(video, "--max-frames", "30", DISPLAY=display, WAYLAND_DISPLAY=None,
                               XAUTHORITY=str(our_cookies))
    _assert_headless_with_one_note(result, f"X display {display} refused the connection")


def test_a_display_whose_server_died_falls_back_to_headless_with_one_note(video):
    with xvfb() as (server, display):
        server.kill()  # as a crash: its socket file stays behind
        server.wait(timeout=10)
        socket_file = Path("/tmp/.X11-unix") / f"X{display[1:]}"
        try:
            result = _run_in_child(video, "--max-frames", "30", DISPLAY=display, WAYLAND_DISPLAY=None)
        finally:
            socket_file.unlink(missing_ok=True)
            Path(f"/tmp/.X{display[1:]}-lock").unlink(missing_ok=True)
    _assert_headless_with_one_note(result, f"X display {display} refused the connection")


def test_wayland_without_x_falls_back_to_headless_with_one_note(video, tmp_path):
    result = _run_in_child(video, "--max-frames", "30", DISPLAY=None, WAYLAND_DISPLAY="wayland-0",
                           XDG_RUNTIME_DIR=str(tmp_path))
    _assert_headless_with_one_note(result, "Wayland")


def test_headless_asked_for_gives_no_note_about_the_display(video):
    result = _run_in_child(video, "--max-frames", "30", "--headless", DISPLAY=":99", WAYLAND_DISPLAY=None)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_folder_only_options_with_camera_are_a_usage_error(video, tmp_path):
    result = _invoke("--camera", video, "--save-crops", str(tmp_path / "crops"))
    assert result.exit_code == 2 and "--save-crops goes with --dir, not --camera" in result.output


def test_preprocess_none_feeds_the_roi_the_notebook_way(video):
    # The notebook's way never says "no digit": blank paper gets a (poor) guess too, so the readings differ.
    result = _invoke("--camera", video, "--preprocess", "none", "--json")
    assert result.exit_code == 0, result.output
    *records, _ = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["digit"] for record in records] != EXPECTED_READINGS


def test_a_stream_that_stops_sending_frames_is_one_line_of_error_after_the_readings(video):
    # A file:// URL is a stream to OpenCV (FFmpeg): when it runs dry, the camera counts as lost.
    result = _invoke("--camera", f"file://{video}", "--headless")
    assert result.exit_code == 1
    assert [_digit(line) for line in result.stdout.splitlines()] == EXPECTED_READINGS
    assert result.stderr == f"Error: stream file://{video} stopped sending frames\n"
