"""--save-doubtful: frames whose reading stayed unsure, saved from a real video by a real runner (and linked from
its page), and the saver's rules (when, how many) on the video's real frames."""
from __future__ import annotations

import json
import re
import time

import cv2
import numpy as np
import pytest
from digits.edge.camera import OpenCVSource
from digits.edge.doubtful import UNSURE_FRAMES, DoubtfulSaver, doubtful_name, is_unsure
from digits.edge.live import FrameReading, LiveFrame, Reading, Roi, draw_overlay

from tests.edge.live_process import VIDEO_SIZE, serving, url_of, write_video
from tests.edge.test_serve import fetch

SAVED = re.compile(r"^\d{8}T\d{6}\.\d{3}Z_none_(0\.\d\d|1\.00)\.jpg$")


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist_test):
    return write_video(tmp_path_factory.mktemp("video") / "digits.avi", mnist_test)


def test_unsure_frames_are_saved_and_the_page_links_the_latest(video, tmp_path):
    folder = tmp_path / "doubtful"
    # A threshold no mean reaches: each digit stays "no digit" while its best class is close to sure.
    with serving(video, "--save-doubtful", str(folder), "--min-confidence", "1") as runner:
        url = url_of(runner)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not json.loads(fetch(url + "changes.json")[1])["doubtful"]:
            time.sleep(0.1)
        latest = json.loads(fetch(url + "changes.json")[1])["doubtful"]
        status, jpeg, kind = fetch(url + "doubtful.jpg")
    saved = sorted(path.name for path in folder.iterdir())
    assert latest in saved and all(SAVED.match(name) for name in saved), saved
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert status == 200 and kind == "image/jpeg" and image.shape == (VIDEO_SIZE[1], VIDEO_SIZE[0], 3)


def _frames(video) -> list[np.ndarray]:
    frames = []
    with OpenCVSource(str(video)) as source:
        while (frame := source.read()) is not None:
            frames.append(frame)
    return frames


def _seen(index: int, frame: np.ndarray, digit: int | None, confidence: float) -> LiveFrame:
    roi = Roi(88, 48, 144, 144)
    reading = FrameReading(digit, lambda *args: None, (roi, Reading(digit, confidence)), confidence)
    return LiveFrame(index, index / 15, frame, reading, 15.0, 1.0, roi, draw_overlay)


def test_only_frames_unsure_for_a_while_are_saved_and_the_newest_are_kept(video, tmp_path):
    frames = _frames(video)
    clock = iter(range(0, 10_000, 3))  # seconds: each frame 3 s after the last, past the gap between saves
    (tmp_path / "notes.txt").write_text("not ours")
    with DoubtfulSaver(tmp_path, min_confidence=0.6, max_files=2, clock=lambda: float(next(clock))) as saver:
        for index, frame in enumerate(frames[:UNSURE_FRAMES - 1]):
            saver.on_frame(_seen(index, frame, 4, 0.65))  # unsure, but not for long enough
        saver.on_frame(_seen(UNSURE_FRAMES, frames[UNSURE_FRAMES], 4, 0.99))  # sure: the run starts again
        for index, frame in enumerate(frames[:4 * UNSURE_FRAMES]):
            saver.on_frame(_seen(index, frame, None, 0.5))
    names = sorted(path.name for path in tmp_path.iterdir())
    assert saver.saved == 4 and not saver.errors
    assert len(names) == 3 and "notes.txt" in names, names  # the newest 2 of 4, and the file not ours
    kept = [name for name in names if name != "notes.txt"]
    assert all(name.endswith("_none_0.50.jpg") for name in kept)
    assert kept == sorted(kept)[-2:]


@pytest.mark.parametrize("value, confidence, unsure", [
    (4, 0.99, False), (4, 0.7, True), (None, 0.1, False), (None, 0.4, True), ("42", None, False), ("42", 0.61, True),
])
def test_unsure_readings(value, confidence, unsure):
    assert is_unsure(value, confidence, 0.6) is unsure


def test_names_hold_time_reading_and_confidence():
    assert doubtful_name(0.0, 7, 0.6149) == "19700101T000000.000Z_7_0.61.jpg"
    assert doubtful_name(1.5, "1/2", None) == "19700101T000001.500Z_1-2_none.jpg"


def test_a_flickering_reading_is_saved_however_sure_each_frame_is(video, tmp_path):
    frames = _frames(video)
    clock = iter(range(0, 10_000, 3))
    with DoubtfulSaver(tmp_path, min_confidence=0.6, clock=lambda: float(next(clock))) as saver:
        for index, frame in enumerate(frames[:3 * UNSURE_FRAMES]):
            seen = _seen(index, frame, index % 2, 0.99)
            saver.on_frame(seen)
            if index < 3:
                saver.on_change(seen)  # 3 changes in 3 frames: flickering from then on
    names = [path.name for path in tmp_path.iterdir()]
    assert saver.saved >= 1 and all(re.match(r"^\d{8}T\d{6}\.\d{3}Z_[01]_0\.99\.jpg$", name) for name in names), names
