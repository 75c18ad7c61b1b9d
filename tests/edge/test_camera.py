"""The live loop on real video files written here, with real TFLite interpreters (no camera needed)."""
from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import cv2
from digits.edge.camera import CameraError, OpenCVSource, PicameraSource, open_source
from digits.edge.classifier import ClassifierOptions, DigitClassifier
from digits.edge.live import LiveOptions, Roi, RoiError, Smoother, centred_roi, parse_roi, run_live
from digits.edge.runtime import RUNTIMES

FRAME_SIZE = (320, 240)  # width, height
FPS = 10
DIGIT_FRAMES = 12
BLANK_FRAMES = 8


def _one_hot(digit: int, confidence: float = 1.0) -> list[float]:
    probabilities = [(1.0 - confidence) / 9] * 10
    probabilities[digit] = confidence
    return probabilities


def _collapse(values: list) -> list:
    return [value for i, value in enumerate(values) if i == 0 or value != values[i - 1]]


def _paper_frame(index: int, rng: np.random.Generator) -> np.ndarray:
    """Light grey paper with a slow change of lighting and a little sensor noise."""
    width, height = FRAME_SIZE
    brightness = 200 + 25 * np.sin(index / 9.0)
    gradient = np.linspace(-12, 12, width)[None, :]
    paper = brightness + gradient + rng.normal(0, 3, (height, width))
    return np.clip(paper, 0, 255)


def _write_video(path, digits: list[np.ndarray], seed: int = 0) -> None:
    """Blank paper, then each 28x28 MNIST digit as dark ink for DIGIT_FRAMES frames (moving slightly), and so on."""
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, FRAME_SIZE)
    assert writer.isOpened()
    index = 0
    width, height = FRAME_SIZE
    side = 110  # pixels: the digit's 28x28 square, inside the default 60% roi (144 px)
    for digit in [*digits, None]:
        for _ in range(BLANK_FRAMES):
            writer.write(cv2.cvtColor(_paper_frame(index, rng).astype(np.uint8), cv2.COLOR_GRAY2BGR))
            index += 1
        if digit is None:
            break
        ink = cv2.resize(digit, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
        for step in range(DIGIT_FRAMES):
            paper = _paper_frame(index, rng)
            dx, dy = int(6 * np.sin(step / 2.0)), int(4 * np.cos(step / 3.0))  # hand motion, pixels
            top, left = (height - side) // 2 + dy, (width - side) // 2 + dx
            region = paper[top: top + side, left: left + side]
            paper[top: top + side, left: left + side] = region * (1 - 0.85 * ink)
            writer.write(cv2.cvtColor(paper.astype(np.uint8), cv2.COLOR_GRAY2BGR))
            index += 1
    writer.release()


@pytest.fixture(scope="module")
def video_digits(mnist_test) -> list[int]:
    return [7, 2, 0]


@pytest.fixture(scope="module")
def digits_video(tmp_path_factory, mnist_test, video_digits):
    """A video of the first MNIST test images of each digit in video_digits, on paper, one after another."""
    images = [mnist_test.images[np.flatnonzero(mnist_test.labels == digit)[0]] for digit in video_digits]
    path = tmp_path_factory.mktemp("video") / "digits.avi"
    _write_video(path, images)
    return path


@pytest.fixture(scope="module", params=RUNTIMES)
def classifier(request):
    return DigitClassifier(ClassifierOptions(runtime=request.param, threads=1))


def test_loop_reads_the_digits_of_a_video_in_order(digits_video, video_digits, classifier):
    changes = []
    summary = run_live(OpenCVSource(str(digits_video)), classifier, LiveOptions(), changes.append)
    assert [change.digit for change in changes] == _collapse([None, *[d for digit in video_digits
                                                                      for d in (digit, None)]])
    assert summary.frames == len(video_digits) * (DIGIT_FRAMES + BLANK_FRAMES) + BLANK_FRAMES
    assert summary.stopped_by == "end of video"
    assert 0 < summary.latency_p50_ms <= summary.latency_p90_ms <= summary.latency_p99_ms


def test_smoother_needs_agreeing_frames_and_ignores_one_odd_frame():
    smoother = Smoother(frames=5, min_confidence=0.6)
    readings = [smoother.update(_one_hot(3)).digit for _ in range(5)]
    assert readings == [None, None, 3, 3, 3]  # 3 of 5 frames reach the 0.6 threshold
    assert smoother.update(_one_hot(8)).digit == 3
    assert smoother.update(None).digit == 3
    for _ in range(3):
        reading = smoother.update(None)
    assert reading.digit is None


def test_smoother_low_confidence_is_no_digit_and_hysteresis_keeps_the_shown_digit():
    smoother = Smoother(frames=2, min_confidence=0.6, hysteresis=0.1)
    assert smoother.update(_one_hot(4, 0.55)).digit is None
    assert smoother.update(_one_hot(4, 0.55)).digit is None
    smoother.update(_one_hot(4, 0.9))
    assert smoother.update(_one_hot(4, 0.9)).digit == 4
    smoother.update(_one_hot(4, 0.55))
    assert smoother.update(_one_hot(4, 0.55)).digit == 4  # 0.55 >= 0.6 - 0.1: stays
    smoother.update(_one_hot(4, 0.45))
    assert smoother.update(_one_hot(4, 0.45)).digit is None


def test_smoother_rejects_bad_settings():
    with pytest.raises(ValueError):
        Smoother(frames=0)
    with pytest.raises(ValueError):
        Smoother(min_confidence=0.0)


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "1,2,3,4,5", "-1,0,10,10", "0,0,0,10", ""])
def test_parse_roi_rejects_malformed_regions(text):
    with pytest.raises(RoiError):
        parse_roi(text)


def test_parse_roi_and_centred_roi():
    assert parse_roi(" 10, 20,30 ,40") == Roi(10, 20, 30, 40)
    assert centred_roi(640, 480) == Roi(176, 96, 288, 288)


def test_missing_camera_index_is_a_camera_error():
    with pytest.raises(CameraError, match="camera 9 is not available"):
        with open_source("9"):
            pass


def test_missing_video_file_is_a_camera_error(tmp_path):
    with pytest.raises(CameraError, match="does not exist"):
        with open_source(str(tmp_path / "nope.avi")):
            pass


def test_a_live_source_that_stops_sending_frames_is_lost(digits_video, classifier, monkeypatch):
    monkeypatch.setattr("digits.edge.camera.LOST_AFTER_S", 0.05)
    with pytest.raises(CameraError, match="stopped sending frames"):
        run_live(OpenCVSource(str(digits_video), live=True), classifier, LiveOptions())


def test_picam_without_picamera2_says_how_to_install_it():
    try:
        import picamera2  # noqa: F401
        pytest.skip("picamera2 is installed here")
    except ImportError:
        pass
    with pytest.raises(CameraError, match="sudo apt install python3-picamera2.*--system-site-packages"):
        with PicameraSource():
            pass


@pytest.mark.parametrize("signum, stopped_by", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")])
def test_sigterm_and_ctrl_c_stop_cleanly_and_release_the_capture(digits_video, classifier, signum, stopped_by):
    source = OpenCVSource(str(digits_video))
    sigterm_handler = signal.getsignal(signal.SIGTERM)
    summary = run_live(source, classifier, LiveOptions(), lambda change: os.kill(os.getpid(), signum))
    assert summary.stopped_by == stopped_by
    assert 1 <= summary.frames < 10
    assert not source.is_open
    assert signal.getsignal(signal.SIGTERM) is sigterm_handler


def test_max_frames_and_duration_stop_the_loop(digits_video, classifier):
    summary = run_live(OpenCVSource(str(digits_video)), classifier, LiveOptions(max_frames=7))
    assert (summary.frames, summary.stopped_by) == (7, "max frames")
    summary = run_live(OpenCVSource(str(digits_video)), classifier, LiveOptions(duration_s=0.0))
    assert (summary.frames, summary.stopped_by) == (1, "duration")


def test_roi_outside_the_frame_is_an_error(digits_video, classifier):
    with pytest.raises(RoiError, match="outside the 320x240 frame"):
        run_live(OpenCVSource(str(digits_video)), classifier, LiveOptions(roi=Roi(300, 0, 50, 50)))


def test_an_explicit_roi_on_blank_paper_reads_no_digit(digits_video, classifier):
    changes = []
    run_live(OpenCVSource(str(digits_video)), classifier, LiveOptions(roi=Roi(0, 0, 40, 40)), changes.append)
    assert [change.digit for change in changes] == [None]
