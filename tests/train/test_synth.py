"""The synthetic photo and video renderer (train/synth.py) and the TestSet make script, on real MNIST digits."""
from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from digits.train import synth

SMALL = (160, 120)  # width, height: small frames keep the tests fast


@pytest.fixture(scope="module")
def digits(mnist_test):
    """The first MNIST test image of each label 0-9."""
    return [mnist_test.images[np.flatnonzero(mnist_test.labels == label)[0]] for label in range(10)]


@pytest.fixture(scope="module")
def make_testset(repo_root):
    """TestSet/make_testset.py, imported from its file (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("make_testset", repo_root / "TestSet" / "make_testset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ink_fraction(image: np.ndarray) -> float:
    """Share of pixels clearly darker than the paper around them (pen strokes)."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    background = cv2.medianBlur(gray, 31)
    return float(np.mean(gray.astype(np.int16) < background.astype(np.int16) - 35))


def test_same_seed_same_pixels_other_seed_other_pixels(digits):
    first = synth.render_digit_photo(digits[3], np.random.default_rng(7), size=SMALL)
    again = synth.render_digit_photo(digits[3], np.random.default_rng(7), size=SMALL)
    other = synth.render_digit_photo(digits[3], np.random.default_rng(8), size=SMALL)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("size", [(160, 120), (90, 160)])
def test_digit_photo_is_bgr_uint8_of_the_asked_size_with_dark_ink_on_light_paper(digits, size):
    image = synth.render_digit_photo(digits[8], np.random.default_rng(1), size=size, digit_height=0.5)
    assert image.shape == (size[1], size[0], 3) and image.dtype == np.uint8
    assert 0.01 < ink_fraction(image) < 0.3
    assert np.median(image) > 90  # the page is light, the ink a small dark part of it


@pytest.mark.parametrize("squared", [False, True])
def test_ruled_paper_has_lines_across_and_squared_paper_down_too(digits, squared):
    style = synth.PhotoStyle(ruled_spacing=0.1, squared=squared, light_gradient=0.0, vignette=0.0, noise_sigma=0.0,
                             blur_sigma=0.0, jpeg_quality=None, perspective=0.0)
    gray = cv2.cvtColor(synth.render_digit_photo(digits[1], np.random.default_rng(0), size=SMALL, style=style,
                                                 digit_height=0.3), cv2.COLOR_BGR2GRAY).astype(np.float32)
    paper = float(np.median(gray))
    lines_across = int(np.sum(np.median(gray, axis=1) < paper - 10))
    lines_down = int(np.sum(np.median(gray, axis=0) < paper - 10))
    assert lines_across >= 8  # a line every 12 px of 120
    assert (lines_down >= 10) == squared


def test_number_photo_boxes_follow_reading_order_on_two_lines(digits):
    photo = synth.render_photo(synth.split_lines(digits[:8], 4), np.random.default_rng(2), size=(480, 360),
                               style=synth.random_style(np.random.default_rng(2), rotation_deg=0.0, perspective=0.0))
    assert photo.image.shape == (360, 480, 3)
    assert len(photo.boxes) == 8
    first_line, second_line = photo.boxes[:4], photo.boxes[4:]
    assert max(y + h / 2 for _, y, _, h in first_line) < min(y for _, y, _, _ in second_line)
    for line in (first_line, second_line):
        assert [x for x, _, _, _ in line] == sorted(x for x, _, _, _ in line)
    gray = cv2.cvtColor(photo.image, cv2.COLOR_BGR2GRAY)
    for x, y, w, h in photo.boxes:
        assert 0 <= x and 0 <= y and x + w <= 480 and y + h <= 360
        assert gray[y:y + h, x:x + w].min() < np.median(gray) - 40  # ink inside each box


@pytest.mark.parametrize("spacing, overlapping", [(synth.DIGIT_SPACING, False), ((-0.3, -0.2), True)])
def test_digits_written_closer_than_naturally_overlap_their_neighbours(digits, spacing, overlapping):
    style = synth.random_style(np.random.default_rng(4), rotation_deg=0.0, perspective=0.0)
    photo = synth.render_photo([digits[2:8]], np.random.default_rng(4), size=(640, 480), style=style, spacing=spacing)
    overlaps = [x + w > next_x for (x, _, w, _), (next_x, _, _, _) in zip(photo.boxes, photo.boxes[1:])]
    assert overlaps == [overlapping] * 5


def test_form_boxes_put_each_digit_in_its_own_box(digits):
    style = synth.PhotoStyle(form_boxes=True, rule_opacity=1.0, rule_width=0.004, light_gradient=0.0, vignette=0.0,
                             noise_sigma=0.0, blur_sigma=0.0, jpeg_quality=None, perspective=0.0)
    photo = synth.render_photo([digits[:8]], np.random.default_rng(3), size=(640, 480), style=style)
    gray = cv2.cvtColor(photo.image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    paper = float(np.median(gray))
    assert len(photo.boxes) == 8
    top = min(y for _, y, _, _ in photo.boxes)
    bottom = max(y + h for _, y, _, h in photo.boxes)
    for (x, _, w, _), (next_x, _, _, _) in zip(photo.boxes, photo.boxes[1:]):
        assert x + w <= next_x  # in reading order, apart
        between = gray[top:bottom, x + w: next_x]
        assert between.mean(axis=0).min() < paper - 30  # a wall stands between two digits
    for x, y, w, h in photo.boxes:
        assert 0 <= x and x + w <= 640
        assert gray[y - 3: y + h + 3, x: x + w].min() < paper - 40
    rows = gray[:, photo.boxes[0][0]: photo.boxes[-1][0] + photo.boxes[-1][2]].mean(axis=1)
    assert np.count_nonzero(rows[:top] < paper - 30) >= 1 and np.count_nonzero(rows[bottom:] < paper - 30) >= 1


def test_number_photo_renders_a_whole_id(digits):
    image = synth.render_number_photo(digits[:8], np.random.default_rng(4), size=(320, 240))
    assert image.shape == (240, 320, 3) and image.dtype == np.uint8
    assert ink_fraction(image) > 0.005


def test_crop_is_a_28x28_gray_digit_darker_than_its_paper(digits):
    rng = np.random.default_rng(5)
    photo = synth.render_photo([[digits[5]]], rng, size=SMALL)
    crop = synth.crop_digit(photo, 0, rng)
    assert crop.shape == (28, 28) and crop.dtype == np.uint8
    assert np.median(crop) - crop.min() > 40


def test_stroke_coverage_is_a_pen_line_and_rejects_a_blank_image(digits):
    thick = synth.stroke_coverage(digits[0], 100, thinness=1.0)
    thin = synth.stroke_coverage(digits[0], 100, thinness=0.5)
    assert thick.dtype == np.float32 and 0.0 <= thick.min() and thick.max() <= 1.0
    assert 100 <= thick.shape[0] <= 130  # the digit's height plus a small margin
    assert 0.3 * thick.sum() < thin.sum() < 0.8 * thick.sum()
    big = synth.stroke_coverage(digits[0], 400, thinness=0.7)  # drawn small and enlarged
    assert 400 <= big.shape[0] <= 520 and big.max() > 0.99
    with pytest.raises(ValueError):
        synth.stroke_coverage(np.zeros((28, 28), np.uint8), 100)


def test_a_photo_without_lines_is_the_blank_page():
    rng = np.random.default_rng(4)
    photo = synth.render_photo([], rng, SMALL, synth.random_style(rng, ruled_spacing=None)).image
    assert photo.shape == (SMALL[1], SMALL[0], 3) and ink_fraction(photo) < 0.003


def test_video_reads_back_with_its_frame_count_and_schedule(digits, tmp_path):
    path = tmp_path / "digits.avi"
    labels = [7, 2]
    schedule = synth.render_video(path, [digits[7], digits[2]], np.random.default_rng(3), labels=labels,
                                  size=SMALL, frames_per_digit=5, blank_frames=4)
    assert schedule == [(4, 9, 7), (13, 18, 2)]
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    assert len(frames) == 4 + 5 + 4 + 5 + 4
    assert frames[0].shape == (SMALL[1], SMALL[0], 3)
    showing = {index for start, end, _ in schedule for index in range(start, end)}
    for index, frame in enumerate(frames):
        assert (ink_fraction(frame) > 0.003) == (index in showing), f"frame {index}"
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_video_rejects_mismatched_labels_and_an_unwritable_place(digits, tmp_path):
    with pytest.raises(ValueError):
        synth.render_video(tmp_path / "a.avi", [digits[1]], np.random.default_rng(0), labels=[1, 2], size=SMALL)
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(OSError):
        synth.render_video(tmp_path / "a-file" / "a.avi", [digits[1]], np.random.default_rng(0), size=SMALL)


def test_make_testset_picks_each_label_once_without_reuse(make_testset, mnist_test):
    picks = make_testset.pick_digits(mnist_test, make_testset.STUDENT_IDS, np.random.default_rng(0))
    chosen = [index for indices in picks.values() for index in indices]
    assert len(chosen) == len(set(chosen)) == 24
    for name, digits_string in make_testset.STUDENT_IDS.items():
        assert [int(mnist_test.labels[i]) for i in picks[name]] == [int(c) for c in digits_string]


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_make_testset_remakes_the_committed_testset(make_testset, mnist_dir, repo_root, tmp_path):
    committed = repo_root / "TestSet"
    result = CliRunner().invoke(make_testset.main, ["--mnist-dir", str(mnist_dir), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    kept = sorted(p.relative_to(committed) for p in committed.rglob("*")
                  if p.is_file() and p.suffix in (".jpg", ".csv"))
    assert made == kept
    for labels in ("labels.csv", "Den/labels.csv", "ids/labels.csv"):
        assert read_rows(tmp_path / labels) == read_rows(committed / labels)
    assert read_rows(committed / "Luis" / "labels.csv")[0] == {"file": "1.jpg", "label": "1"}
    assert read_rows(committed / "ids" / "labels.csv")[0] == {"file": "Den.jpg", "label": "05126707"}
    for name in made:
        if name.suffix != ".jpg":
            continue
        assert (committed / name).stat().st_size < 200_000
        new, old = cv2.imread(str(tmp_path / name)), cv2.imread(str(committed / name))
        assert new.shape == old.shape
        # JPEG bytes may differ between OpenCV builds; the pictures must not.
        assert np.mean(cv2.absdiff(new, old)) < 3.0, name
    assert cv2.imread(str(committed / "Rivers" / "1.jpg"), cv2.IMREAD_UNCHANGED).shape == (28, 28)


def test_make_testset_without_mnist_is_one_line_of_error(make_testset, tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITS_MNIST_DIR", raising=False)
    result = CliRunner().invoke(make_testset.main, ["--out", str(tmp_path)])
    assert result.exit_code == 1 and "--mnist-dir" in result.output
    result = CliRunner().invoke(make_testset.main, ["--mnist-dir", str(tmp_path / "none"), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "Error:" in result.output and "Traceback" not in result.output
