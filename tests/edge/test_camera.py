"""The live loop on real video files written here, with real TFLite interpreters (no camera needed)."""
from __future__ import annotations

import os
import signal

import cv2
import numpy as np
import pytest
from digits.edge.camera import CameraError, OpenCVSource, PicameraSource, open_source
from digits.edge.live import (
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_SMOOTH_FRAMES,
    LiveOptions,
    Reading,
    Roi,
    RoiError,
    Smoother,
    centred_roi,
    draw_overlay,
    parse_roi,
    run_live,
)
from digits.edge.runtime import RUNTIMES
from digits.train.synth import render_video

from tests.models import frozen_classifier

FRAME_SIZE = (320, 240)  # width, height
VIDEO_DIGITS = [7, 2, 0]
DIGIT_FRAMES = 12
BLANK_FRAMES = 8
SMOOTHING_DELAY = DEFAULT_SMOOTH_FRAMES + 2  # frames: how late a steady reading may follow the video


def _one_hot(digit: int, confidence: float = 1.0) -> list[float]:
    probabilities = [(1.0 - confidence) / 9] * 10
    probabilities[digit] = confidence
    return probabilities


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist_test):
    """A video of the first MNIST test image of each VIDEO_DIGITS written on paper, one after another.

    Returns the path and the schedule: (start frame, end frame, digit) for each digit.
    """
    images = [mnist_test.images[np.flatnonzero(mnist_test.labels == digit)[0]] for digit in VIDEO_DIGITS]
    path = tmp_path_factory.mktemp("video") / "digits.avi"
    schedule = render_video(path, images, np.random.default_rng(0), labels=VIDEO_DIGITS, size=FRAME_SIZE,
                            frames_per_digit=DIGIT_FRAMES, blank_frames=BLANK_FRAMES)
    return path, schedule


@pytest.fixture(scope="module")
def digits_video(video):
    return video[0]


@pytest.fixture(scope="module", params=RUNTIMES)
def classifier(request):
    return frozen_classifier(request.param)


def test_loop_reads_the_digits_of_a_video_in_order_and_in_time(video, classifier):
    path, schedule = video
    changes = []
    summary = run_live(OpenCVSource(str(path)), classifier, LiveOptions(), changes.append)
    assert [change.digit for change in changes] == [None, 7, None, 2, None, 0, None]
    for (start, end, _digit), shown, gone in zip(schedule, changes[1::2], changes[2::2]):
        assert start <= shown.frame < start + SMOOTHING_DELAY and shown.confidence >= DEFAULT_MIN_CONFIDENCE
        assert end <= gone.frame < end + SMOOTHING_DELAY
    assert summary.frames == len(VIDEO_DIGITS) * (DIGIT_FRAMES + BLANK_FRAMES) + BLANK_FRAMES
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


def test_opening_a_missing_camera_silences_opencvs_warnings_only_while_it_opens(capfd):
    with pytest.raises(CameraError):
        OpenCVSource(9).open()
    assert capfd.readouterr().err == ""
    cv2.VideoCapture(9, cv2.CAP_V4L2)  # OpenCV's log level is back: it warns again
    assert "can't open camera by index" in capfd.readouterr().err


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


@pytest.fixture
def ctrl_c_interrupts():
    """Ctrl-C (SIGINT) raises KeyboardInterrupt, as in a terminal, also when the tests were started in the
    background, where the shell makes SIGINT ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("signum, stopped_by", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")])
def test_sigterm_and_ctrl_c_stop_cleanly_and_release_the_capture(digits_video, classifier, signum, stopped_by,
                                                                  ctrl_c_interrupts):
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


def test_overlay_draws_the_roi_box_and_the_reading_on_a_copy():
    frame = np.full((240, 320, 3), 200, np.uint8)
    view = draw_overlay(frame, Roi(100, 50, 120, 120), Reading(7, 0.98), 30.0)
    assert (frame == 200).all()
    assert tuple(view[110, 100]) == (0, 200, 0)  # the box's left edge, green
    assert (view[5:40, 10:200] != 200).any()  # the text


def test_smoother_confidence_is_the_models_over_the_frames_that_held_a_digit():
    smoother = Smoother(frames=5, min_confidence=0.6)
    for _ in range(3):
        smoother.update(None)
    smoother.update(_one_hot(6, 0.9))
    reading = smoother.update(_one_hot(6, 0.9))
    assert reading.digit is None and reading.confidence == pytest.approx(0.36)  # 1.8 / 5 frames
    smoother.update(_one_hot(6, 0.96))
    reading = smoother.update(_one_hot(6, 0.96))
    assert reading.digit == 6 and reading.confidence == pytest.approx(0.93)  # (0.9 + 0.9 + 0.96 + 0.96) / 4


def test_a_digit_running_into_the_side_of_the_region_is_cut_by_the_edge(mnist_test, classifier):
    """The region sees part of the digit: "move back", never a reading of the part."""
    from digits.edge.classifier import CUT_BY_EDGE
    from digits.edge.live import frame_prediction

    from tests.edge.test_preprocess import draw_on_paper

    roi = Roi(100, 50, 120, 120)
    for digit in (3, 4, 7):
        image = mnist_test.images[np.flatnonzero(mnist_test.labels == digit)[0]]
        whole = cv2.cvtColor(draw_on_paper(image, height=110, centre=(110, 160), page=(240, 320)), cv2.COLOR_GRAY2BGR)
        assert frame_prediction(whole, roi, classifier).digit == digit
        # the same digit lower down: its lower part is below the region
        cut = cv2.cvtColor(draw_on_paper(image, height=110, centre=(170, 160), page=(240, 320)), cv2.COLOR_GRAY2BGR)
        prediction = frame_prediction(cut, roi, classifier)
        assert prediction.digit is None and prediction.reason == CUT_BY_EDGE
        assert Reading(None, 0.0, prediction.reason).describe() == "no digit: move back (cut by the edge)"


def test_smoother_says_why_there_is_no_digit():
    from digits.edge.classifier import CUT_BY_EDGE, NO_INK, NOT_A_DIGIT, UNSURE

    smoother = Smoother(frames=4, min_confidence=0.6)
    assert smoother.update(None, NO_INK).reason == NO_INK
    smoother.update(None, CUT_BY_EDGE)
    assert smoother.update(None, CUT_BY_EDGE).reason == CUT_BY_EDGE  # the most frequent in the window
    smoother = Smoother(frames=2, min_confidence=0.6)
    smoother.update(None, NOT_A_DIGIT)
    assert smoother.update(_one_hot(3, 0.5)).reason == NOT_A_DIGIT
    reading = smoother.update(_one_hot(3, 0.5))
    assert reading.digit is None and reading.reason == UNSURE  # every frame held a digit, none sure enough
