"""Synthetic phone photos of handwriting: MNIST digits rendered as pen ink on paper (numpy + OpenCV only).

The stroke of each digit comes from its MNIST gray levels, upsampled smoothly and re-thresholded so it
looks like a pen line of a chosen width. It is laid on paper (tone, fibre texture, optional ruled lines,
optionally the paper's edge on a table), then photographed: slight rotation and perspective, uneven light
and a soft shadow, white balance, defocus blur, sensor noise and JPEG compression. Every random choice
comes from the `np.random.Generator` passed in, so the same seed gives the same pixels on one machine.

    photo = render_digit_photo(digit28, rng)                     # one digit, BGR uint8
    photo = render_number_photo(digits28, rng, per_line=4)       # a whole number, one or several lines
    schedule = render_video("digits.avi", digits28, rng, labels=labels)   # digits one after another
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from digits.edge.files import atomic_path

REFERENCE_SIDE = 480  # px; blur and texture sizes are given for this short side and scaled with the image
STROKE_WORK_HEIGHT = 128  # px; strokes of taller digits are drawn at this height and enlarged
DIGIT_SPACING = (0.25, 0.55)  # digit heights between neighbouring digits: a number written with natural spacing

# Pen colours (BGR) as a phone camera sees them on white paper under daylight.
INK_COLOURS = {
    "blue": (150.0, 75.0, 35.0),
    "dark-blue": (110.0, 45.0, 30.0),
    "black": (45.0, 42.0, 40.0),
}
# Paper tones (BGR) before lighting.
PAPER_TONES = {
    "white": (238.0, 238.0, 236.0),
    "cream": (212.0, 230.0, 240.0),
    "grey": (205.0, 208.0, 210.0),
    "bluish": (240.0, 232.0, 226.0),
}
RULE_BGR = (215.0, 170.0, 130.0)  # the faint blue of ruled notebook lines
TABLE_TONES = ((60.0, 90.0, 125.0), (45.0, 45.0, 48.0), (150.0, 160.0, 170.0))  # wood, dark desk, light desk


class VideoError(OSError):
    """A video file that OpenCV cannot write."""


@dataclass(frozen=True)
class PhotoStyle:
    """How one photo is taken. `random_style` samples one; fields can be overridden with `dataclasses.replace`."""

    paper_bgr: tuple[float, float, float] = PAPER_TONES["white"]
    paper_texture: float = 0.02  # amplitude of the fibre texture, fraction of the paper's brightness
    ruled_spacing: float | None = None  # ruled lines every this fraction of the image height; None: plain paper
    squared: bool = False  # with ruled_spacing: vertical lines too at the same pitch (squared paper)
    rule_opacity: float = 0.6  # how dark the ruled lines are printed (1: fully the rule colour)
    rule_width: float = 1 / 600  # their width as a fraction of the image height (a close-up shows them wider)
    form_boxes: bool = False  # a printed row of boxes (a form's ID field), one digit written in each, in the
    # rule colour, `rule_opacity` and 1.5 x `rule_width`
    paper_edge: float = 0.0  # fraction of the frame beyond the paper's edge (a table), 0: paper fills the frame
    table_bgr: tuple[float, float, float] = TABLE_TONES[0]
    ink_bgr: tuple[float, float, float] = INK_COLOURS["blue"]
    ink_opacity: float = 0.9
    pen_thinness: float = 0.7  # stroke width relative to MNIST's (1.0: as thick as MNIST, 0.5: half)
    exposure: float = 0.85  # overall brightness factor of the camera
    light_gradient: float = 0.2  # darkening across the frame from the lit side
    light_angle: float = 0.0  # radians, the direction the light comes from
    vignette: float = 0.15  # darkening in the corners
    shadow: float = 0.0  # darkness of a soft shadow over part of the frame (0: none)
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)  # per-channel gains (B, G, R)
    rotation_deg: float = 0.0
    perspective: float = 0.02  # corner displacement as a fraction of the short side
    blur_sigma: float = 0.8  # px at a 480 px short side
    noise_sigma: float = 3.0  # gray levels of sensor noise
    jpeg_quality: int | None = 85  # None: no JPEG round trip


@dataclass(frozen=True)
class SynthPhoto:
    """A rendered photo and where its digits ended up: boxes (x, y, w, h) in reading order."""

    image: np.ndarray
    boxes: tuple[tuple[int, int, int, int], ...]


@dataclass(frozen=True)
class _Placement:
    """One digit on the sheet: its MNIST image, centre (px), height (px) and its own tilt (degrees)."""

    digit28: np.ndarray
    centre: tuple[float, float]
    height: float
    tilt_deg: float


def random_style(rng: np.random.Generator, **overrides) -> PhotoStyle:
    """A plausible phone photo of a handwritten page: paper, pen, light and camera drawn from `rng`.

    Args:
        rng: the random generator.
        **overrides: PhotoStyle fields to fix instead of drawing them.
    """
    ink_name = str(rng.choice(list(INK_COLOURS)))
    paper_name = str(rng.choice(list(PAPER_TONES), p=[0.45, 0.2, 0.2, 0.15]))
    style = PhotoStyle(
        paper_bgr=PAPER_TONES[paper_name],
        paper_texture=float(rng.uniform(0.01, 0.03)),
        ruled_spacing=float(rng.uniform(0.07, 0.12)) if rng.random() < 0.25 else None,
        paper_edge=float(rng.uniform(0.04, 0.15)) if rng.random() < 0.2 else 0.0,
        table_bgr=TABLE_TONES[int(rng.integers(len(TABLE_TONES)))],
        ink_bgr=INK_COLOURS[ink_name],
        ink_opacity=float(rng.uniform(0.8, 0.97)),
        pen_thinness=float(rng.uniform(0.5, 0.95)),
        exposure=float(rng.uniform(0.7, 1.0)),
        light_gradient=float(rng.uniform(0.05, 0.35)),
        light_angle=float(rng.uniform(0, 2 * math.pi)),
        vignette=float(rng.uniform(0.05, 0.3)),
        shadow=float(rng.uniform(0.15, 0.4)) if rng.random() < 0.4 else 0.0,
        white_balance=_white_balance(float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))),
        rotation_deg=float(rng.uniform(-4, 4)),
        perspective=float(rng.uniform(0.0, 0.05)),
        blur_sigma=float(rng.uniform(0.4, 1.2)),
        noise_sigma=float(rng.uniform(1.5, 6.0)),
        jpeg_quality=int(rng.integers(60, 93)),
    )
    return replace(style, **overrides)


def _white_balance(temperature: float, tint: float) -> tuple[float, float, float]:
    """Camera colour gains (B, G, R): warm (yellowish) to cool (bluish), with a slight green-magenta tint."""
    return (1.0 - 0.08 * temperature, 1.0 + 0.02 * tint, 1.0 + 0.08 * temperature)


def stroke_coverage(digit28: np.ndarray, height_px: float, thinness: float = 1.0) -> np.ndarray:
    """The ink coverage (float32 in [0, 1]) of an MNIST digit drawn `height_px` tall with a pen.

    The gray levels are upsampled smoothly (cubic, then a Gaussian that removes the pixel grid) and cut at
    just below mid-gray; the centre line of that shape is redrawn with an even, round nib `thinness` times MNIST's
    typical stroke width, with anti-aliased edges.
    The patch covers the digit's bounding box plus a margin of a few pixels.
    """
    digit = np.asarray(digit28, dtype=np.float32)
    if digit.ndim != 2 or not np.any(digit > 0):
        raise ValueError(f"expected a non-blank 2-D digit image, got shape {digit.shape}")
    if height_px > STROKE_WORK_HEIGHT:
        # Thinning is slow on big patches and the pen line is smooth: draw it small, then enlarge.
        small = stroke_coverage(digit28, STROKE_WORK_HEIGHT, thinness)
        factor = height_px / STROKE_WORK_HEIGHT
        size = (max(4, round(small.shape[1] * factor)), max(4, round(small.shape[0] * factor)))
        enlarged = cv2.resize(small, size, interpolation=cv2.INTER_CUBIC)
        # Enlarging widens the anti-aliased edge; steepen it back to a couple of pixels.
        return np.clip((enlarged - 0.5) * max(1.0, 0.6 * factor) + 0.5, 0.0, 1.0)
    ys, xs = np.nonzero(digit > 25)
    if len(ys) == 0:
        ys, xs = np.nonzero(digit > 0)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    padded = np.pad(digit[top:bottom, left:right], 2)
    scale = max(height_px, 4.0) / (bottom - top)
    size = (max(4, round(padded.shape[1] * scale)), max(4, round(padded.shape[0] * scale)))
    smooth = cv2.resize(padded / 255.0, size, interpolation=cv2.INTER_CUBIC)
    smooth = cv2.GaussianBlur(smooth, (0, 0), max(0.5, 0.45 * scale))
    # Cut below mid-gray so faint thin strokes stay connected.
    inside = (smooth > 0.4).astype(np.uint8)
    if not inside.any():
        inside = (smooth > 0.5 * smooth.max()).astype(np.uint8)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    # Half of MNIST's stroke width: the typical depth of the stroke's centre line.
    ridge = depth[(depth > 0) & (depth >= cv2.dilate(depth, np.ones((3, 3), np.uint8)))]
    half_width = float(np.median(ridge)) if ridge.size else 1.0
    # A pen draws a line of even width: redraw the stroke's centre line (its skeleton) with a round nib.
    skeleton = _skeleton(inside)
    if not skeleton.any():
        return np.clip(depth - (1.0 - thinness) * half_width + 0.5, 0.0, 1.0).astype(np.float32)
    from_centre = cv2.distanceTransform((1 - skeleton).astype(np.uint8), cv2.DIST_L2, 5)
    nib = max(0.8, float(np.clip(thinness, 0.2, 1.2)) * half_width)
    coverage = np.clip(nib - from_centre + 0.5, 0.0, 1.0).astype(np.float32)
    return cv2.GaussianBlur(coverage, (0, 0), 0.7)  # smooths the skeleton's pixel steps


def _skeleton(mask: np.ndarray) -> np.ndarray:
    """The one-pixel centre line of a binary mask (Zhang-Suen thinning), uint8 0/1."""
    image = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = image
            # Neighbours clockwise from north: P2..P9.
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]
            count = sum(q.astype(np.int32) for q in n)
            transitions = sum(((n[i] == 0) & (n[(i + 1) % 8] == 1)).astype(np.int32) for i in range(8))
            if step == 0:
                corner = (n[0] * n[2] * n[4] == 0) & (n[2] * n[4] * n[6] == 0)
            else:
                corner = (n[0] * n[2] * n[6] == 0) & (n[0] * n[4] * n[6] == 0)
            remove = (p[1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & corner
            if remove.any():
                image[1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return image[1:-1, 1:-1]


def render_photo(lines: Sequence[Sequence[np.ndarray]], rng: np.random.Generator, size: tuple[int, int] = (640, 480),
                 style: PhotoStyle | None = None, digit_height: float | None = None,
                 centre: tuple[float, float] | None = None,
                 spacing: tuple[float, float] = DIGIT_SPACING) -> SynthPhoto:
    """A photo of one or several lines of handwritten digits, with the digits' boxes.

    Args:
        lines: the lines top to bottom, each a sequence of 28x28 MNIST digits (uint8, white on black); none
            (or only empty ones): a photo of the blank page.
        rng: the random generator.
        size: (width, height) of the photo in pixels.
        style: how the photo is taken; None draws one with `random_style`.
        digit_height: digit height as a fraction of the image height; None draws one that fits.
        centre: centre of the writing as fractions of (width, height); None draws an off-centre spot.
        spacing: the range the space between neighbouring digits is drawn from, in digit heights (below 0 their
            ink boxes overlap: digits written so close that their strokes touch).
    """
    width, height = size
    style = style or random_style(rng)
    placements = _layout(lines, rng, size, digit_height, centre, spacing) if any(len(line) for line in lines) else []
    rules = _rules(size, style)
    if style.form_boxes and placements:
        placements = _in_form_boxes(placements, rules, style, rng)
    ink = np.zeros((height, width), np.float32)
    raw_boxes = []
    for placement in placements:
        raw_boxes.append(_stamp(ink, placement, style.pen_thinness, rng))
    sheet = np.dstack([ink, rules, _paper_mask(size, style, rng)])
    homography = _camera_homography(size, style, rng)
    sheet = cv2.warpPerspective(sheet, homography, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    image = _photograph(sheet, style, rng)
    boxes = tuple(_warp_box(box, homography, size) for box in raw_boxes)
    return SynthPhoto(image=image, boxes=boxes)


def render_digit_photo(digit28: np.ndarray, rng: np.random.Generator, size: tuple[int, int] = (640, 480),
                       style: PhotoStyle | None = None, digit_height: float | None = None) -> np.ndarray:
    """A BGR uint8 phone photo of one MNIST digit written in pen on paper, somewhere near the centre."""
    return render_photo([[digit28]], rng, size, style, digit_height).image


def render_number_photo(digits28: Sequence[np.ndarray], rng: np.random.Generator, size: tuple[int, int] = (1280, 960),
                        style: PhotoStyle | None = None, per_line: int | None = None,
                        digit_height: float | None = None) -> np.ndarray:
    """A BGR uint8 photo of a whole number (e.g. an 8-digit ID) written on one line, or `per_line` digits a line."""
    return render_photo(split_lines(digits28, per_line), rng, size, style, digit_height).image


def split_lines(digits28: Sequence[np.ndarray], per_line: int | None) -> list[list[np.ndarray]]:
    """Digits cut into lines of `per_line` (None: one line)."""
    digits = list(digits28)
    if not digits:
        raise ValueError("no digits to render")
    step = per_line or len(digits)
    return [digits[i:i + step] for i in range(0, len(digits), step)]


def crop_digit(photo: SynthPhoto, index: int, rng: np.random.Generator, side: int = 28) -> np.ndarray:
    """A square grayscale crop around one digit, resized to `side` px, cut loosely as a person would by hand."""
    x, y, w, h = photo.boxes[index]
    extent = max(w, h) * rng.uniform(1.15, 1.6)
    cx = x + w / 2 + rng.uniform(-0.08, 0.08) * extent
    cy = y + h / 2 + rng.uniform(-0.08, 0.08) * extent
    image_h, image_w = photo.image.shape[:2]
    extent = min(extent, image_w, image_h)
    left = int(np.clip(round(cx - extent / 2), 0, image_w - extent))
    top = int(np.clip(round(cy - extent / 2), 0, image_h - extent))
    crop = photo.image[top:top + int(extent), left:left + int(extent)]
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, (side, side), interpolation=cv2.INTER_AREA)


def crop_to_digits(image: np.ndarray, boxes: Sequence[tuple[int, int, int, int]], sides: float,
                   ends: float) -> np.ndarray:
    """The image cut around its digits' boxes (x, y, w, h), `sides` digit heights (the median box's) left and
    right of them and `ends` above and below (0: the outer digits touch the image's edges), as a person crops a
    photo to the number."""
    boxes = np.array(boxes)
    height = float(np.median(boxes[:, 3]))
    across, down = round(sides * height), round(ends * height)
    left, top = boxes[:, 0].min() - across, boxes[:, 1].min() - down
    right, bottom = (boxes[:, 0] + boxes[:, 2]).max() + across, (boxes[:, 1] + boxes[:, 3]).max() + down
    return image[max(0, top): bottom, max(0, left): right]


def render_video(path: str | os.PathLike, digits28: Sequence[np.ndarray], rng: np.random.Generator, *,
                 labels: Sequence[int] | None = None, fps: float = 15, size: tuple[int, int] = (640, 480),
                 frames_per_digit: int = 20, blank_frames: int = 10,
                 style: PhotoStyle | None = None) -> list[tuple[int, int, int]]:
    """Write an MJPG .avi where digits written on paper appear one after another, blank paper between them.

    The hand holding the camera drifts and shakes a little (translation and rotation per frame) and the
    light changes slowly. The video starts and ends with `blank_frames` of blank paper.

    Args:
        path: the .avi file to write (atomically).
        digits28: the 28x28 MNIST digits, shown in this order.
        rng: the random generator.
        labels: the digits' labels for the schedule; None: their index in `digits28`.
        fps, size, frames_per_digit, blank_frames: the video's timing and frame size (width, height).
        style: how the paper, pen, light and lens look; None draws one (plain paper filling the frame).
            The hand motion, not the style, turns the camera.

    Returns:
        (start_frame, end_frame, label) for each digit, end exclusive, frames counted from 0.

    Raises:
        VideoError: OpenCV cannot write the file.
        ValueError: no digits, or labels of the wrong length.
    """
    if len(digits28) == 0:
        raise ValueError("no digits to render")
    labels = list(range(len(digits28))) if labels is None else [int(label) for label in labels]
    if len(labels) != len(digits28):
        raise ValueError(f"{len(labels)} labels for {len(digits28)} digits")
    width, height = size
    style = style or random_style(rng, paper_edge=0.0, ruled_spacing=None, perspective=float(rng.uniform(0, 0.02)))
    # The sheet is larger than the frame so the hand can move without showing its edge.
    margin = int(0.1 * max(size))
    sheet_size = (width + 2 * margin, height + 2 * margin)
    paper = _paper(sheet_size, style, rng)
    schedule = []
    frames = []  # the page seen in each frame
    inks = []
    for digit in digits28:
        ink = np.zeros((sheet_size[1], sheet_size[0]), np.float32)
        placement = _Placement(digit, (sheet_size[0] / 2 + rng.uniform(-0.05, 0.05) * width,
                                       sheet_size[1] / 2 + rng.uniform(-0.05, 0.05) * height),
                               float(rng.uniform(0.3, 0.45) * height), float(rng.uniform(-8, 8)))
        _stamp(ink, placement, style.pen_thinness, rng)
        inks.append(ink)
    # The page as written: blank paper, then each digit in turn.
    blank = paper
    pages = [_lay_ink(paper, ink, style.ink_bgr, style.ink_opacity) for ink in inks]
    frames.extend([blank] * blank_frames)
    for page, label in zip(pages, labels):
        schedule.append((len(frames), len(frames) + frames_per_digit, label))
        frames.extend([page] * frames_per_digit)
        frames.extend([blank] * blank_frames)
    motion = _hand_motion(len(frames), rng, size)
    light = _light_changes(len(frames), rng)
    path = Path(path)
    with atomic_path(path) as temp:  # the suffix stays .avi: OpenCV picks the container by it
        writer = cv2.VideoWriter(str(temp), cv2.VideoWriter_fourcc(*"MJPG"), float(fps), (width, height))
        try:
            if not writer.isOpened():
                raise VideoError(f"OpenCV cannot write an MJPG video to {path}")
            for index, page in enumerate(frames):
                writer.write(_video_frame(page, style, motion[index], light[index], size, margin, rng))
        finally:
            writer.release()
    return schedule


def _layout(lines: Sequence[Sequence[np.ndarray]], rng: np.random.Generator, size: tuple[int, int],
            digit_height: float | None, centre: tuple[float, float] | None,
            spacing: tuple[float, float]) -> list[_Placement]:
    """Where each digit goes: spacing drawn from `spacing`, slight size and baseline wobble, lines below each other."""
    width, height = size
    lines = [list(line) for line in lines if len(line)]
    if not lines:
        raise ValueError("no digits to render")
    aspects = [[_aspect(digit) for digit in line] for line in lines]
    gap = rng.uniform(*spacing)  # space between digits, fraction of the digit height
    line_pitch = rng.uniform(1.5, 2.0)  # line spacing, fraction of the digit height
    # The widest line and the lines' total height must fit in 85% of the frame.
    widest = max(sum(a) + gap * (len(a) - 1) for a in aspects)
    fit = min(0.85 * width / (widest * height), 0.85 / (1 + line_pitch * (len(lines) - 1)))
    if digit_height is None:
        digit_height = min(fit, rng.uniform(0.25, 0.6) if len(lines) == 1 and len(lines[0]) == 1
                           else rng.uniform(0.55, 0.95) * fit)
    digit_px = min(digit_height, fit) * height
    block_w = widest * digit_px
    block_h = digit_px * (1 + line_pitch * (len(lines) - 1))
    if centre is None:
        room_x = max(0.0, (width - block_w) / 2 - 0.05 * width)
        room_y = max(0.0, (height - block_h) / 2 - 0.05 * height)
        cx = width / 2 + rng.uniform(-0.7, 0.7) * room_x
        cy = height / 2 + rng.uniform(-0.7, 0.7) * room_y
    else:
        cx, cy = centre[0] * width, centre[1] * height
    placements = []
    for row, (line, line_aspects) in enumerate(zip(lines, aspects)):
        line_w = (sum(line_aspects) + gap * (len(line) - 1)) * digit_px
        x = cx - block_w / 2 + rng.uniform(0, 0.15) * (block_w - line_w) if len(lines) > 1 else cx - line_w / 2
        baseline = cy - block_h / 2 + digit_px / 2 + row * line_pitch * digit_px
        drift = rng.uniform(-0.025, 0.025)  # the line rises or falls a little
        for digit, aspect in zip(line, line_aspects):
            h = digit_px * rng.uniform(0.9, 1.08)
            w = aspect * h
            y = baseline + rng.normal(0, 0.035) * digit_px + drift * (x - cx)
            placements.append(_Placement(digit, (x + w / 2, y), h, float(rng.normal(0, 3))))
            x += w + gap * digit_px * rng.uniform(0.7, 1.3)
    return placements


def _aspect(digit28: np.ndarray) -> float:
    """Width over height of the digit's ink."""
    ys, xs = np.nonzero(np.asarray(digit28) > 25)
    if len(ys) == 0:
        return 0.6
    return (xs.max() - xs.min() + 1) / (ys.max() - ys.min() + 1)


def _stamp(ink: np.ndarray, placement: _Placement, thinness: float,
           rng: np.random.Generator) -> tuple[float, float, float, float]:
    """Draw one digit into the ink layer (max-blend), with pen-pressure variation; returns its (x, y, w, h)."""
    coverage = stroke_coverage(placement.digit28, placement.height, thinness)
    # Ballpoint ink is uneven: lighter and darker stretches along the stroke.
    pressure = 0.92 + 0.08 * np.clip(_smooth_noise(rng, coverage.shape, max(8.0, placement.height / 4)), -1, 1)
    coverage = coverage * pressure.astype(np.float32)
    patch_h, patch_w = coverage.shape
    rotation = cv2.getRotationMatrix2D((patch_w / 2, patch_h / 2), placement.tilt_deg, 1.0)
    cx, cy = placement.centre
    rotation[:, 2] += (cx - patch_w / 2, cy - patch_h / 2)
    ink_h, ink_w = ink.shape
    x0, y0 = max(0, int(cx - patch_w)), max(0, int(cy - patch_h))
    x1, y1 = min(ink_w, int(cx + patch_w) + 1), min(ink_h, int(cy + patch_h) + 1)
    rotation[:, 2] -= (x0, y0)
    placed = cv2.warpAffine(coverage, rotation, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)
    np.maximum(ink[y0:y1, x0:x1], placed, out=ink[y0:y1, x0:x1])
    ys, xs = np.nonzero(placed > 0.3)
    if len(ys) == 0:
        return (cx, cy, 1.0, 1.0)
    return (float(x0 + xs.min()), float(y0 + ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))


def _in_form_boxes(placements: list[_Placement], rules: np.ndarray, style: PhotoStyle,
                   rng: np.random.Generator) -> list[_Placement]:
    """Draw a row of equal boxes around each line of digits into `rules` (in place) and move every digit into
    its own box (a little off its centre: people write where they please); returns the moved digits."""
    thickness = max(1, round(1.5 * style.rule_width * rules.shape[0]))
    lines: list[list[_Placement]] = []
    for placement in placements:  # in reading order: a digit well below the last one starts a line
        if not lines or placement.centre[1] - lines[-1][-1].centre[1] > 0.6 * placement.height:
            lines.append([])
        lines[-1].append(placement)
    moved = []
    for line in lines:
        cell_h = 1.3 * max(placement.height for placement in line)
        cell_w = max(1.15 * max(_aspect(p.digit28) * p.height for p in line), 0.8 * cell_h)
        scale = min(1.0, 0.94 * rules.shape[1] / (len(line) * cell_w))  # the row fits in the frame
        cell_w, cell_h = scale * cell_w, scale * cell_h
        middle = float(np.mean([placement.centre[0] for placement in line]))
        left = float(np.clip(middle - len(line) * cell_w / 2, 0.03 * rules.shape[1],
                             0.97 * rules.shape[1] - len(line) * cell_w))
        top = float(np.mean([placement.centre[1] for placement in line])) - cell_h / 2
        for index, placement in enumerate(line):
            centre = (left + (index + 0.5) * cell_w + rng.uniform(-0.05, 0.05) * cell_w,
                      top + cell_h / 2 + rng.uniform(-0.05, 0.05) * cell_h)
            moved.append(replace(placement, centre=centre, height=scale * placement.height))
        right, bottom = left + len(line) * cell_w, top + cell_h
        for y in (top, bottom):
            cv2.line(rules, (round(left), round(y)), (round(right), round(y)), 0.8, thickness, cv2.LINE_AA)
        for index in range(len(line) + 1):
            x = round(left + index * cell_w)
            cv2.line(rules, (x, round(top)), (x, round(bottom)), 0.8, thickness, cv2.LINE_AA)
    return moved


def _rules(size: tuple[int, int], style: PhotoStyle) -> np.ndarray:
    """Coverage of ruled notebook lines, or of a grid on squared paper (zeros for plain paper)."""
    width, height = size
    rules = np.zeros((height, width), np.float32)
    if not style.ruled_spacing:
        return rules
    pitch = style.ruled_spacing * height
    thickness = max(1, round(height * style.rule_width))
    y = pitch * 0.6
    while y < height:
        cv2.line(rules, (-width, round(y)), (2 * width, round(y)), 0.8, thickness, cv2.LINE_AA)
        y += pitch
    x = pitch * 0.4
    while style.squared and x < width:
        cv2.line(rules, (round(x), -height), (round(x), 2 * height), 0.8, thickness, cv2.LINE_AA)
        x += pitch
    return rules


def _paper_mask(size: tuple[int, int], style: PhotoStyle, rng: np.random.Generator) -> np.ndarray:
    """1 on the paper, 0 on the table beyond its edge (one side of the frame, when `paper_edge` > 0)."""
    width, height = size
    mask = np.ones((height, width), np.float32)
    if style.paper_edge <= 0:
        return mask
    side = int(rng.integers(4))
    if side == 0:
        mask[:, : round(style.paper_edge * width)] = 0
    elif side == 1:
        mask[:, width - round(style.paper_edge * width):] = 0
    elif side == 2:
        mask[: round(style.paper_edge * height), :] = 0
    else:
        mask[height - round(style.paper_edge * height):, :] = 0
    return cv2.GaussianBlur(mask, (0, 0), 1.0)


def _camera_homography(size: tuple[int, int], style: PhotoStyle, rng: np.random.Generator) -> np.ndarray:
    """Rotation about the centre plus a little perspective (corners moved by up to `perspective`)."""
    width, height = size
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    angle = math.radians(style.rotation_deg)
    rotation = np.float32([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    centre = np.float32([width / 2, height / 2])
    moved = (corners - centre) @ rotation.T + centre
    moved += rng.uniform(-1, 1, size=(4, 2)).astype(np.float32) * style.perspective * min(size)
    return cv2.getPerspectiveTransform(corners, moved.astype(np.float32))


def _warp_box(box: tuple[float, float, float, float], homography: np.ndarray,
              size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The bounding box, in the photo, of a box on the sheet."""
    x, y, w, h = box
    corners = np.float32([[[x, y]], [[x + w, y]], [[x + w, y + h]], [[x, y + h]]])
    warped = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    x0, y0 = np.clip(warped.min(axis=0), 0, size)
    x1, y1 = np.clip(warped.max(axis=0), 0, size)
    return (int(x0), int(y0), int(math.ceil(x1 - x0)), int(math.ceil(y1 - y0)))


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale_px: float) -> np.ndarray:
    """Low-frequency noise with unit standard deviation, features about `scale_px` across."""
    height, width = shape
    grid = rng.normal(size=(max(2, int(height / scale_px) + 2), max(2, int(width / scale_px) + 2))).astype(np.float32)
    noise = cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    return noise / max(float(noise.std()), 1e-6)


def _paper(size: tuple[int, int], style: PhotoStyle, rng: np.random.Generator) -> np.ndarray:
    """The paper's colour with fibre texture (low-frequency mottling plus fine grain), float32 BGR."""
    width, height = size
    unit = min(size) / REFERENCE_SIDE
    mottle = _smooth_noise(rng, (height, width), 60 * unit)
    grain = cv2.GaussianBlur(rng.standard_normal((height, width), dtype=np.float32), (0, 0), 0.7 * unit)
    grain /= max(float(grain.std()), 1e-6)
    texture = 1.0 + style.paper_texture * (0.4 * mottle + 0.6 * grain)
    return texture[..., None] * np.float32(style.paper_bgr)


def _light_field(size: tuple[int, int], style: PhotoStyle, rng: np.random.Generator,
                 shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Brightness factor per pixel: a gradient from the lit side, vignetting and an optional soft shadow."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    u = (xs - width / 2 + shift[0]) / max(size)
    v = (ys - height / 2 + shift[1]) / max(size)
    along = u * math.cos(style.light_angle) + v * math.sin(style.light_angle)
    light = 1.0 - style.light_gradient * (along + 0.5)
    light -= style.vignette * (u * u + v * v) * 2.0
    if style.shadow > 0:
        # A hand or phone between the lamp and the page: a soft, slightly wavy edge across one side.
        angle = rng.uniform(0, 2 * math.pi)
        offset = rng.uniform(0.15, 0.4)
        distance = u * math.cos(angle) + v * math.sin(angle) - offset
        distance += 0.03 * _smooth_noise(rng, (height, width), min(size) / 3)
        light *= 1.0 - style.shadow / (1.0 + np.exp(-distance / rng.uniform(0.02, 0.06)))
    return np.clip(light, 0.2, 1.2)


def _photograph(sheet: np.ndarray, style: PhotoStyle, rng: np.random.Generator) -> np.ndarray:
    """Paper, ink and rules composited, lit, white-balanced, blurred, noised and JPEG-compressed."""
    height, width = sheet.shape[:2]
    size = (width, height)
    ink, rules, paper_mask = sheet[..., 0], sheet[..., 1], sheet[..., 2]
    image = _paper(size, style, rng)
    if style.paper_edge > 0:
        table = _paper(size, replace(style, paper_bgr=style.table_bgr, paper_texture=0.08), rng)
        image = image * paper_mask[..., None] + table * (1.0 - paper_mask[..., None])
    if style.ruled_spacing or style.form_boxes:
        image = _lay_ink(image, rules * paper_mask, RULE_BGR, style.rule_opacity)
    image = _lay_ink(image, ink * paper_mask, style.ink_bgr, style.ink_opacity)
    return _camera(image, _light_field(size, style, rng), style, rng)


def _lay_ink(image: np.ndarray, coverage: np.ndarray, colour: tuple[float, float, float], opacity: float) -> np.ndarray:
    """Ink absorbs light: blend towards the ink colour by coverage times opacity."""
    alpha = np.clip(coverage * opacity, 0.0, 1.0)[..., None]
    return image * (1.0 - alpha) + np.float32(colour) * alpha


def _camera(image: np.ndarray, light: np.ndarray, style: PhotoStyle, rng: np.random.Generator) -> np.ndarray:
    """Light, white balance and exposure, then lens blur, sensor noise and JPEG: BGR uint8."""
    height, width = image.shape[:2]
    unit = min(width, height) / REFERENCE_SIDE
    image = image * light[..., None] * np.float32(style.white_balance) * style.exposure
    if style.blur_sigma > 0:
        image = cv2.GaussianBlur(image, (0, 0), max(0.3, style.blur_sigma * unit))
    if style.noise_sigma > 0:
        luma = rng.standard_normal((height, width, 1), dtype=np.float32) * np.float32(style.noise_sigma)
        chroma = rng.standard_normal((height, width, 3), dtype=np.float32) * np.float32(style.noise_sigma * 0.5)
        image = image + luma + chroma
    image = np.clip(image + 0.5, 0, 255).astype(np.uint8)
    if style.jpeg_quality:
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(style.jpeg_quality)])
        if ok:
            image = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return image


def _hand_motion(count: int, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Per frame (dx px, dy px, rotation degrees): a slow drift plus a small tremor."""
    drift = np.cumsum(rng.normal(0, 1, size=(count, 3)), axis=0)
    drift = cv2.GaussianBlur(drift.astype(np.float32), (1, 0), sigmaX=0.1, sigmaY=4.0) if count > 1 else drift
    drift -= drift.mean(axis=0)
    spread = np.maximum(np.abs(drift).max(axis=0), 1e-6)
    limits = np.float32([0.03 * size[0], 0.03 * size[1], 3.0])  # px, px, degrees at most
    tremor = rng.normal(0, 1, size=(count, 3)) * np.float32([0.6, 0.6, 0.2])
    return (drift / spread * limits + tremor).astype(np.float32)


def _light_changes(count: int, rng: np.random.Generator) -> np.ndarray:
    """Per frame (brightness factor, light shift x, light shift y): a slow change, as clouds or a moving hand."""
    t = np.arange(count, dtype=np.float32)
    period = rng.uniform(40, 90)
    brightness = 1.0 + 0.12 * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    shift_x = 120 * np.sin(2 * np.pi * t / (1.7 * period))
    shift_y = 80 * np.cos(2 * np.pi * t / (2.3 * period))
    return np.stack([brightness, shift_x, shift_y], axis=1).astype(np.float32)


def _video_frame(page: np.ndarray, style: PhotoStyle, motion: np.ndarray, light: np.ndarray,
                 size: tuple[int, int], margin: int, rng: np.random.Generator) -> np.ndarray:
    """One camera frame: the page moved by the hand, lit by the current light, through the camera."""
    dx, dy, degrees = (float(value) for value in motion)
    sheet_h, sheet_w = page.shape[:2]
    matrix = cv2.getRotationMatrix2D((sheet_w / 2, sheet_h / 2), degrees, 1.0)
    matrix[:, 2] += (dx - margin, dy - margin)
    frame = cv2.warpAffine(page, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    light_style = replace(style, shadow=0.0, exposure=style.exposure * float(light[0]), jpeg_quality=None)
    field = _light_field(size, light_style, rng, shift=(float(light[1]), float(light[2])))
    return _camera(frame, field, light_style, rng)
