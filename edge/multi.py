"""Read every digit in one image: an ID or a phone number written on paper, in one or more lines.

Pure functions, numpy + OpenCV. The marks are found on a downscaled copy (lighting and polarity
normalised, binarised, connected components; the lighting is estimated again at the strokes' scale when a
mark is far thicker than the strokes: a shadow taken for ink); broken strokes of one digit are joined,
touching digits split where the width says two, specks, ruled lines and frame edges dropped, and the digits
grouped into lines read top to bottom and left to right. Each digit is then cut from the full-resolution
image (other marks blanked out) and read with the single-digit preprocessing (`to_mnist`) and the model.

The page's lighting and polarity are in edge/lighting.py, its ruled lines, grids and boxes in edge/lines.py, a
mark and the cutting of touching digits in edge/marks.py.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import cv2
import numpy as np
from digits.edge.classifier import NOT_A_DIGIT, UNSURE, DigitClassifier
from digits.edge.imageops import thickness, to_gray
from digits.edge.lighting import page_finer_ink_strength, page_ink_strength
from digits.edge.lines import (
    LINE_DRIFT,
    LINE_LENGTH,
    LINE_RUN,
    LINE_THICKNESS,
    box_walls,
    crossed_by_lines,
    line_runs,
    page_angle,
    ruled_line_ink,
)
from digits.edge.marks import MIN_HEIGHT_IN_LINE, MIN_MARK_PX, SOLID_FILL, Mark, mark_ink, split_touching
from digits.edge.number_form import NO_READING_OF_FORM, NumberForm, best_reading
from digits.edge.preprocess import WORK_SIDE, is_convex_blob, to_mnist

# Finding marks (on the downscaled copy)
BLOB_STROKES = 3.0  # a mark this many times thicker than the page's typical stroke is a shadow or a smudge
MIN_TURN = 1.0  # degrees: lines turned further are found on the page turned level (lines.page_angle)
TIGHT_CROP_HEIGHT = 0.5  # of the image's height: a digit this tall may touch the edge (tight crops) unless it is
FRAME_SPAN = 0.9  # solid (SOLID_FILL) or spans this much of the image's width and height (a frame around the page);
EDGE_DIGIT_HEIGHT = 0.7  # a shorter mark touching the edge is a digit only in a line of digits clear of the edge,
# and at least this tall against them (a photo cropped close to the number)
SLAB_FILL = 0.85  # a mark at least as wide as tall filling more of its box than this is a slab, not strokes
# Shapes, relative to the typical digit height of the image or of its line
SPECK_HEIGHT = 0.4  # shorter than this: a speck (dropped)
TOO_TALL = 3.0  # taller than this: a frame, a paper edge or a shadow (dropped)
JOIN_GAP = 0.25  # pieces stacked closer than this, overlapping horizontally, are one digit ...
JOIN_HEIGHT = 1.35  # ... if together they are no taller than this
JOIN_REFERENCE_QUANTILE = 0.75
TOUCHING_WIDTH = 1.0  # at least as wide as tall: maybe two digits, cut only where they touch (below) ...
SPLIT_WIDTH = 1.25  # wider than this: maybe several touching digits (the model decides) ...
SURE_SPLIT_WIDTH = 2.0  # ... wider than this: surely several (no handwritten digit is that wide)
SPLIT_MIN_CONFIDENCE = 0.9  # a mark of ambiguous width is split only when its parts are read this surely ...
SURE_WHOLE = 0.9  # ... and the whole is read less surely than this, unless it is wider than ...
LIKELY_SPLIT_WIDTH = 1.6  # ... this (wide single digits are far more common than touching ones)
# Confidences closer than this (in log) are equal: the int8 model's outputs are multiples of 1/256 and often
# saturate at 255/256, and the last bit of a mean of logs differs between x86 and ARM's maths libraries.
SCORE_TIE = 1e-9
DIGIT_WIDTH_RANGE = (0.55, 0.9)  # the width of one digit, for counting the touching ones
GROUND_RING = 0.25  # of the mark's height: the ring around it where the paper should show ...
DARK_GROUND_FRACTION = 0.3  # ... unless this much of it is as dark as the ink (a table's edge, not a stroke):
DARK_GROUND_LEVEL = 0.35  # darker than this share of the way from the ink's level to the paper's
LINE_OVERLAP = 0.4  # a digit continues a line when it overlaps the line's last digit vertically this much
WRITING_GAP = 3.0  # digit heights: the widest gap between neighbours in a line, for measuring the lines' slope ...
MAX_SLOPE = 0.36  # ... which is at most this (20 degrees); steeper pairs are digits of different lines
# Cutting digits for the model (full-resolution image)
CROP_PAD = 0.2  # of the digit's height, around its box
CROP_HEIGHT = 64  # px: larger crops are shrunk to this height first (the model sees 20 px anyway)
CLEAR_INK = 1.3  # a digit whose ink stands this far above the page's floor (median strength / floor) is ink, ...
FAINT_CROP_CONTRAST = 0.15  # ... so its crop, if fainter than this share of the full range (a faded photo), ...
MAX_CONTRAST_GAIN = 2.5  # ... is stretched toward it (by at most this), not called blank by the preprocessing
UNREAD = "?"  # in a number's text, a mark the model could not read as a digit


@dataclass(frozen=True)
class MultiOptions:
    """How to find and read the digits."""

    min_confidence: float = 0.0  # a digit read with less confidence is not taken: the mark is UNREAD
    work_side: int = 1024  # px: marks are found on a copy whose longest side is at most this
    form: NumberForm | None = None  # --digits/--pattern: the number's best reading of this form (number_form.py)


@dataclass(frozen=True)
class DigitBox:
    """One mark read: its box in the original image (pixels) and the model's answer; digit None (shown as UNREAD)
    when the mark was not read as a digit, and `reason` says why (NOT_A_DIGIT, UNSURE, NO_READING_OF_FORM)."""

    x: int
    y: int
    w: int
    h: int
    digit: int | None
    confidence: float  # the digit's probability; with no digit, the most probable digit's
    reason: str | None = None
    probabilities: tuple[float, ...] = ()  # the ten digits'

    @property
    def shown(self) -> str:
        """The digit, or UNREAD."""
        return UNREAD if self.digit is None else str(self.digit)

    def without_digit(self, reason: str) -> DigitBox:
        """This mark not read as a digit, for `reason`."""
        return replace(self, digit=None, reason=reason, confidence=max(self.probabilities, default=self.confidence))

    def as_digit(self, digit: int) -> DigitBox:
        """This mark read as `digit` (a candidate a number's form chose), unless the model called it not a digit."""
        if self.reason == NOT_A_DIGIT:
            return self
        return replace(self, digit=digit, reason=None, confidence=self.probabilities[digit])


@dataclass(frozen=True)
class Line:
    """One line of marks read, left to right: digits is their digits (UNREAD for a mark not read)."""

    digits: str
    boxes: tuple[DigitBox, ...]


@dataclass(frozen=True)
class PageReading:
    """Every digit in an image: the lines top to bottom; text is their digits joined ("" when none).

    An unreadable number has UNREAD marks in its text, or, with a form and no reading of it, reason
    NO_READING_OF_FORM (then every mark is UNREAD).
    """

    text: str
    lines: tuple[Line, ...]
    latency_ms: float = 0.0
    reason: str | None = None

    @property
    def readable(self) -> bool:
        """Every mark was read as a digit (and the number has the form asked for)."""
        return self.reason is None and UNREAD not in self.text


@dataclass(frozen=True)
class DigitRegion:
    """Where one digit is: its box in the original image and its ink on the downscaled copy.

    mask: bool array over `work_box` (x0, y0, x1, y1 exclusive) of the copy shrunk `factor` times.
    splits: ways to cut the mark into touching digits, when it may be more than one (the count its width says
    first, then one fewer and one more, each straight and, where digits touch, curved; a mark at most
    SPLIT_WIDTH wide only in two, where the digits touch, below); `sure_split` when it is far too wide for one
    digit, else the model decides (a wide 2 or 0 is common in handwriting). `touching_cuts`: for each way,
    whether it cuts where digits touch: every cut crosses at most one stroke (the middle of one wide digit
    mostly crosses two) and every part is nearly as tall as the line's digits (TOUCHING_PART_HEIGHT; not a
    bar's end or a tail).
    """

    box: tuple[int, int, int, int]  # x, y, w, h in the original image
    work_box: tuple[int, int, int, int]
    mask: np.ndarray
    factor: int
    dark_ink: bool  # the page's polarity, judged on the whole page: the digit's crop need not judge it again
    # Its ink stands clearly above the page's floor (CLEAR_INK) on a page without ruled lines: when its crop
    # is faint, the photo is faded, not blank (on a lined page a faint mark can be what is left of a line).
    clear_ink: bool = False
    splits: tuple[tuple[DigitRegion, ...], ...] = ()
    touching_cuts: tuple[bool, ...] = ()
    sure_split: bool = False
    width_ratio: float = 0.0  # the mark's width over its line's median digit height


@dataclass(frozen=True)
class _Page:
    """What finding the marks learnt of the page (on the downscaled copy, shrunk `factor` times from `shape`):
    the component labels, the ink strength and the floor ink must pass, the polarity, and whether lines were
    taken out."""

    labels: np.ndarray
    strength: np.ndarray
    floor: float
    dark_ink: bool
    lined: bool  # ruled lines or a grid were taken out (their remnants are faint marks that are not writing)
    factor: int
    shape: tuple[int, ...]


def ink_mask(strength: np.ndarray, floor: float) -> np.ndarray:
    """Binary ink (255): Otsu's threshold on the ink strength, never below `floor`; fainter ink (down to 0.6
    of it, still above the floor) is kept where it touches ink above it (hysteresis), so the faint part of a
    stroke stays with its digit instead of being blanked out of its crop."""
    otsu, _ = cv2.threshold(strength, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    threshold = max(otsu, floor)
    strong = strength > threshold
    weak = (strength > max(floor, 0.6 * threshold)).astype(np.uint8)
    count, labels = cv2.connectedComponents(weak, connectivity=8)
    keep = np.zeros(count, bool)
    keep[labels[strong]] = True
    keep[0] = False
    return keep[labels].astype(np.uint8) * 255


def _line_ink(strength: np.ndarray, angle: float = 0.0, sure: bool = True) -> np.ndarray:
    """The ink strength of ruled lines and grids (`ruled_line_ink`): subtracted, strokes keep their ink where
    they cross a line. Lines turned by more than MIN_TURN (`angle`, degrees: over a run LINE_RUN long, a line
    turned 4 degrees wanders further than `ruled_line_ink` allows) are found on the page turned level; when the
    angle is not `sure`, also on the page as it is (a wrong angle finds no more than that)."""
    # the allowed wander scales with the copy (LINE_DRIFT is in px of the single-digit working copy)
    drift = max(LINE_DRIFT, round(LINE_DRIFT * max(strength.shape) / WORK_SIDE))
    shortest = round(min(line_runs(strength.shape)))  # ruled_line_ink takes LINE_RUN of each axis, or this
    if abs(angle) <= MIN_TURN:
        return ruled_line_ink(strength, drift, LINE_RUN, shortest)
    height, width = strength.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    level = cv2.warpAffine(strength, turn, (width, height), flags=cv2.INTER_LINEAR)
    lines = cv2.warpAffine(ruled_line_ink(level, drift, LINE_RUN, shortest), cv2.invertAffineTransform(turn),
                           (width, height), flags=cv2.INTER_LINEAR)
    lines = cv2.min(lines, strength)
    return lines if sure else cv2.max(lines, ruled_line_ink(strength, drift, LINE_RUN, shortest))


def find_digits(image: np.ndarray, work_side: int = MultiOptions.work_side) -> list[list[DigitRegion]]:
    """Every digit in an image as lines of regions, top to bottom, each left to right ([] when none).

    Args:
        image: a gray, BGR or BGRA uint8 image.
        work_side: marks are found on a copy shrunk by a whole factor until its longest side is at most this
            (pixels); whole factors keep the shrinking fast.
    """
    shape = image.shape
    factor = max(1, -(-max(shape[:2]) // work_side))
    if factor > 1:
        image = cv2.resize(image, (0, 0), fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    work = to_gray(image)
    strength, floor, dark_ink = page_ink_strength(work)
    labels, stats, lined, taken_out = _ink_pieces(strength, floor)
    marks = _candidate_marks(stats, len(stats), work.shape, lined)
    stroke = _stroke_if_blobs(marks, labels)
    if stroke is not None:
        strength, floor = page_finer_ink_strength(work, dark_ink, stroke)
        labels, stats, lined, taken_out = _ink_pieces(strength, floor)
        marks = _candidate_marks(stats, len(stats), work.shape, lined)
    if not marks:
        return []
    marks = _drop_odd_shapes(_join_broken_strokes(marks))
    marks = [mark for mark in marks if not _on_dark_ground(mark, work, labels, taken_out)
             and not is_convex_blob(mark_ink(labels, mark))]  # a glare spot on a blank page, read as light ink
    page = _Page(labels, strength, floor, dark_ink, lined, factor, shape)
    regions = []
    for line in _group_lines(marks):
        line = _in_line_with_digits(line)
        if not line:
            continue
        line = _drop_small_in_line(line)
        median_height = float(np.median([mark.height for mark in line]))
        digit_width = _digit_width(line, median_height)
        regions.append([])
        for mark in line:
            region = _region(mark, page)
            if mark.width > TOUCHING_WIDTH * median_height:
                region = _with_cuts(region, mark, page, median_height, digit_width)
            regions[-1].append(region)
    return regions


def _with_cuts(region: DigitRegion, mark: Mark, page: _Page, median_height: float, digit_width: float) -> DigitRegion:
    """The region with the ways of cutting its mark into touching digits: as many as its width says, one fewer
    and one more; a mark no wider than SPLIT_WIDTH only in two, where the digits touch (none: as it was)."""
    narrow = mark.width <= SPLIT_WIDTH * median_height
    count = max(2, round(mark.width / digit_width))
    ink = mark_ink(page.labels, mark)
    cuts = [split_touching(mark, ink, parts, median_height, curved)
            for parts in ((2,) if narrow else (count, count - 1, count + 1)) if parts >= 2
            for curved in (False, True)]
    cuts = [(pieces, touching) for pieces, touching in cuts if len(pieces) >= 2]
    if narrow:
        cuts = [(pieces, touching) for pieces, touching in cuts if touching]
        if not cuts:
            return region
    return replace(region, sure_split=mark.width > SURE_SPLIT_WIDTH * median_height,
                   width_ratio=mark.width / median_height,
                   splits=tuple(tuple(_region(piece, page) for piece in pieces) for pieces, _ in cuts),
                   touching_cuts=tuple(touching for _, touching in cuts))


def _ink_pieces(strength: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray | None]:
    """The ink's connected components (labels and stats), whether ruled lines, a grid or a form's boxes showed,
    and then what was taken out of the ink (the lines' ink and the boxes' walls; None when nothing was)."""
    ink = ink_mask(strength, floor)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if not crossed_by_lines(stats, labels):
        return labels, stats, False, None
    walls = box_walls(stats, labels)
    lines = _line_ink(strength, *page_angle(stats, labels))
    ink = ink_mask(cv2.subtract(strength, lines), floor)
    ink[walls] = 0
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return labels, stats, True, walls | (lines > floor)


def read_digits(image: np.ndarray, classifier: DigitClassifier, options: MultiOptions = MultiOptions()) -> PageReading:
    """Find and read every digit in an image.

    Args:
        image: a gray, BGR or BGRA uint8 image.
        classifier: the digit model.
        options: work size and the confidence below which a mark is not taken for a digit.

    Returns:
        The reading; an image without digits gives an empty one (text "", no lines).
    """
    start = time.perf_counter()
    marks = [[box for region in regions for box in _read_region(image, region, classifier)]
             for regions in find_digits(image, options.work_side)]
    return number_of(marks, options, (time.perf_counter() - start) * 1000.0)


def number_of(marks: list[list[DigitBox]], options: MultiOptions = MultiOptions(), latency_ms: float = 0.0
              ) -> PageReading:
    """The number the marks read (lines of DigitBoxes as the model read them) make.

    With options.form, the marks' best reading of that form (number_form.best_reading): marks it drops are left
    out, the others take the digit it chose; with no reading of that form every mark is UNREAD. Then a digit
    read less surely than options.min_confidence is UNREAD (UNSURE), and so is a mark the model called not a
    digit, even where the form keeps it.
    """
    reason = None
    if options.form is not None:
        marks, reason = _of_form(marks, options.form)
    lines = []
    for boxes in marks:
        boxes = tuple(box.without_digit(UNSURE) if box.digit is not None and box.confidence < options.min_confidence
                      else box for box in boxes)
        if boxes:
            lines.append(Line("".join(box.shown for box in boxes), boxes))
    return PageReading("".join(line.digits for line in lines), tuple(lines), latency_ms, reason)


def _of_form(marks: list[list[DigitBox]], form: NumberForm) -> tuple[list[list[DigitBox]], str | None]:
    """The marks as the best reading of `form` reads them, and None; or every mark UNREAD, and why."""
    choices = best_reading([box.probabilities for line in marks for box in line], form)
    if choices is None:
        return [[box.without_digit(NO_READING_OF_FORM) for box in line] for line in marks], NO_READING_OF_FORM
    chosen = iter(choices)
    return [[box.as_digit(digit) for box, digit in zip(line, chosen) if digit is not None] for line in marks], None


def _read_region(image: np.ndarray, region: DigitRegion, classifier: DigitClassifier) -> list[DigitBox]:
    """The digit(s) of one region: the whole mark and each way of cutting it read, then one reading chosen."""
    whole = None if region.sure_split else _read_one(image, region, classifier)
    cuts = [[part for part in (_read_one(image, piece, classifier) for piece in split) if part]
            for split in region.splits]
    return choose_reading(whole, cuts, region.width_ratio, region.touching_cuts)


def choose_reading(whole: DigitBox | None, cuts: list[list[DigitBox]], width_ratio: float,
                   touching_cuts: tuple[bool, ...] = ()) -> list[DigitBox]:
    """The digits of a mark, given the model's reading of it whole (None: not read, or it must be cut) and of
    each way of cutting it (`touching_cuts`: whether that way cuts where digits touch, DigitRegion).

    The cut is the way whose parts are read most surely (geometric mean of their confidences; the first on a
    tie), taken when it is read surely (SPLIT_MIN_CONFIDENCE) and at least as surely as the whole, and the
    whole is not read surely (SURE_WHOLE) or the mark is very wide (`width_ratio`, its width over the line's
    digit height): the model reads halves of a wide 2 or 0 with fair confidence too. Failing that, the best
    way that cuts where digits touch is taken when read surely and at least as surely as the whole. Ties are
    decided alike on every platform (SCORE_TIE).
    """
    touching = touching_cuts or (False,) * len(cuts)
    best, best_score = _surest(cuts)
    if best is None:
        return [whole] if whole else []
    if whole is None:
        return best
    surely_enough = max(_log_confidence([whole]) - SCORE_TIE, np.log(SPLIT_MIN_CONFIDENCE))
    if best_score >= surely_enough and (whole.confidence < SURE_WHOLE or width_ratio > LIKELY_SPLIT_WIDTH):
        return best
    where_touching, score = _surest([parts for parts, at_touch in zip(cuts, touching) if at_touch])
    if where_touching is not None and score >= surely_enough:
        return where_touching
    return [whole]


def _surest(cuts: list[list[DigitBox]]) -> tuple[list[DigitBox] | None, float]:
    """The way of cutting (of at least two parts read) whose parts are read most surely, the first on a tie,
    and its mean log-confidence; (None, -inf) when there is none."""
    best, best_score = None, -np.inf
    for parts in cuts:
        if len(parts) >= 2:
            score = _log_confidence(parts)
            if score > best_score + SCORE_TIE:
                best, best_score = parts, score
    return best, best_score


def _log_confidence(boxes: list[DigitBox]) -> float:
    """The mean log-confidence of digits read (the log of their confidences' geometric mean)."""
    return float(np.mean([np.log(max(box.confidence, 1e-6)) for box in boxes]))


def _read_one(image: np.ndarray, region: DigitRegion, classifier: DigitClassifier) -> DigitBox | None:
    """The model's reading of one region (None when the preprocessing finds no digit in it)."""
    crop = digit_crop(image, region)
    if region.clear_ink:
        crop = _with_contrast(crop, FAINT_CROP_CONTRAST)
    model_input = to_mnist(crop, dark_ink=region.dark_ink)
    if model_input is None:
        return None
    prediction = classifier.predict(model_input)
    return DigitBox(*region.box, prediction.digit, max(prediction.probabilities), prediction.reason,
                    prediction.probabilities)


def _with_contrast(crop: np.ndarray, contrast: float) -> np.ndarray:
    """A gray crop whose tones, darkest to brightest, span less than `contrast` (a fraction of 255), stretched
    about its median (the paper) toward it by at most MAX_CONTRAST_GAIN; other crops as they are."""
    low, high, _, _ = cv2.minMaxLoc(crop)
    if high - low >= contrast * 255 or high <= low:
        return crop
    gain = min(MAX_CONTRAST_GAIN, contrast * 255 / (high - low))
    paper = float(np.median(crop))
    return np.clip(paper + (crop.astype(np.float32) - paper) * gain, 0, 255).astype(np.uint8)


def digit_crop(image: np.ndarray, region: DigitRegion) -> np.ndarray:
    """The digit cut from the full-resolution image, in gray, with a margin and everything but its own ink blanked.

    Pixels away from the digit's ink (neighbours' strokes reaching into the margin) take the paper's tone.
    The crop is shrunk to at most CROP_HEIGHT first: the model sees 20 pixels anyway.
    """
    x, y, w, h = region.box
    pad = max(2, round(CROP_PAD * h))
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(image.shape[1], x + w + pad), min(image.shape[0], y + h + pad)
    crop = to_gray(image[y0:y1, x0:x1])
    factor = min(1.0, CROP_HEIGHT / crop.shape[0])
    if factor < 1.0:
        crop = cv2.resize(crop, (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor))),
                          interpolation=cv2.INTER_AREA)
    # the ink mask, grown by about a stroke so anti-aliased edges stay, at the crop's resolution
    grow = max(1, round(0.06 * region.mask.shape[0]))
    mask = cv2.dilate(region.mask.astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    keep = np.zeros(crop.shape, np.uint8)
    left, top = round((x - x0) * factor), round((y - y0) * factor)
    width = min(crop.shape[1] - left, max(1, round(w * factor)))
    height = min(crop.shape[0] - top, max(1, round(h * factor)))
    keep[top:top + height, left:left + width] = cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST)
    if keep.all():
        return crop
    paper = np.uint8(np.median(crop[keep == 0]))
    return np.where(keep > 0, crop, paper)


def _candidate_marks(stats: np.ndarray, count: int, shape: tuple[int, int], lined: bool) -> list[Mark]:
    """Components large enough to matter, without those at the image's edge that cannot be digits.

    A mark touching the edge is kept only when it is made of strokes (not a desk beyond the paper, which is
    solid) and does not span the image (a frame around the page). Unless the writing fills the image's height
    (a tight crop), it is marked `cut_by_frame`: a digit of a number cropped close, or a sliver of the paper's
    edge or of other writing, which only the lines can tell apart (`_in_line_with_digits`). On a page whose
    ruled lines or grid were taken out (`lined`) it is dropped: what is left of a line at the edge looks like
    such a digit.
    """
    height, width = shape
    marks = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if max(w, h) < MIN_MARK_PX // 2 or area < MIN_MARK_PX:
            continue
        if w >= h and area > SLAB_FILL * w * h:
            continue  # a solid slab (a strip of desk below the sheet, a phone): no digit as wide is solid
        touches_edge = x == 0 or y == 0 or x + w == width or y + h == height
        spans_image = w > FRAME_SPAN * width and h > FRAME_SPAN * height
        if touches_edge and (area > SOLID_FILL * w * h or spans_image):
            continue
        cut_by_frame = touches_edge and h < TIGHT_CROP_HEIGHT * height
        if cut_by_frame and lined:
            continue
        marks.append(Mark(x, y, x + w, y + h, (label,), touches_edge, cut_by_frame))
    return marks


def _stroke_if_blobs(marks: list[Mark], labels: np.ndarray) -> float | None:
    """The page's typical stroke width (px, the median of the marks' thickness) when some mark is BLOB_STROKES
    times thicker (a shadow or a smudge taken for ink), else None. Marks under two MIN_MARK_PX (specks) and
    marks cut by the frame do not count."""
    widths = [thickness(mark_ink(labels, mark)) for mark in marks
              if mark.height >= 2 * MIN_MARK_PX and not mark.cut_by_frame]
    if not widths:
        return None
    stroke = float(np.median(widths))
    return stroke if max(widths) > BLOB_STROKES * stroke else None


def _typical_height(marks: list[Mark], quantile: float = 0.5) -> float:
    """The height of a typical digit: the median (or another quantile) of the heights weighted by the box's
    short side, so that specks and ruled lines barely count and one big dark thing (a pen, a shadow's band)
    counts like one digit, not like a row of them; marks at the image's edge (a paper edge, or a tight crop)
    count only if there is nothing else."""
    marks = [mark for mark in marks if not mark.at_edge] or marks
    heights = np.array([mark.height for mark in marks], float)
    weights = np.array([min(mark.width, mark.height) for mark in marks], float)
    order = np.argsort(heights)
    cumulative = np.cumsum(weights[order])
    return float(heights[order][np.searchsorted(cumulative, quantile * cumulative[-1])])


def _join_broken_strokes(marks: list[Mark]) -> list[Mark]:
    """Join pieces of one digit: overlapping horizontally, close vertically, together no taller than a digit.

    The digit height is taken high (the upper quartile): when most digits are broken, the median is a piece's.
    """
    reference = _typical_height(marks, JOIN_REFERENCE_QUANTILE)
    joined = True
    while joined:
        joined = False
        marks.sort(key=lambda mark: mark.x0)
        for i, first in enumerate(marks):
            for j in range(i + 1, len(marks)):
                second = marks[j]
                if second.x0 >= first.x1:
                    break
                overlap = min(first.x1, second.x1) - max(first.x0, second.x0)
                gap = max(first.y0, second.y0) - min(first.y1, second.y1)
                height = max(first.y1, second.y1) - min(first.y0, second.y0)
                if (overlap >= 0.5 * min(first.width, second.width) and gap <= JOIN_GAP * reference
                        and height <= JOIN_HEIGHT * reference):
                    marks[i] = Mark(min(first.x0, second.x0), min(first.y0, second.y0), max(first.x1, second.x1),
                                     max(first.y1, second.y1), first.labels + second.labels,
                                     first.at_edge or second.at_edge, first.cut_by_frame or second.cut_by_frame)
                    del marks[j]
                    joined = True
                    break
            if joined:
                break
    return marks


def _drop_odd_shapes(marks: list[Mark]) -> list[Mark]:
    """Drop specks, ruled lines and very tall marks, relative to the typical digit height."""
    if not marks:
        return marks
    reference = _typical_height(marks)
    kept = []
    for mark in marks:
        if mark.height < max(MIN_MARK_PX, SPECK_HEIGHT * reference) or mark.height > TOO_TALL * reference:
            continue
        if mark.height < LINE_THICKNESS * reference and mark.width > LINE_LENGTH * reference:
            continue
        kept.append(mark)
    return kept


def _on_dark_ground(mark: Mark, work: np.ndarray, labels: np.ndarray, taken_out: np.ndarray | None = None) -> bool:
    """Whether a mark borders a region as dark as its ink: the edge of a table or a dark frame beyond the paper,
    not a stroke on paper. Ink has paper all around it; such a sliver has the dark region on one side. Ruled
    lines and box walls that were taken out (`taken_out`) are not ground: a digit in a form's box is near them."""
    pad = max(2, round(GROUND_RING * mark.height))
    y0, y1 = max(0, mark.y0 - pad), min(work.shape[0], mark.y1 + pad)
    x0, x1 = max(0, mark.x0 - pad), min(work.shape[1], mark.x1 + pad)
    around = work[y0:y1, x0:x1]
    own = mark_ink(labels, mark, (x0, y0, x1, y1))
    ring = np.ones(around.shape, bool)
    ring[mark.y0 - y0: mark.y1 - y0, mark.x0 - x0: mark.x1 - x0] = False
    other = (labels[y0:y1, x0:x1] > 0) & ~own  # neighbours' ink is not ground
    if taken_out is not None:
        other |= taken_out[y0:y1, x0:x1]
    ground = around[ring & ~other]
    if not own.any() or ground.size == 0:
        return False
    ink_level = float(np.median(around[own]))
    paper_level = float(np.median(around[~own & ~other]))
    # near the ink's level, not merely past the middle: in a lamp's glare the paper beyond the bright spot is
    # darker than the middle between the washed-out ink and the white paper around it, without being ground
    level = ink_level + DARK_GROUND_LEVEL * (paper_level - ink_level)
    like_ink = ground < level if ink_level < paper_level else ground > level
    return float(np.mean(like_ink)) > DARK_GROUND_FRACTION


def _group_lines(marks: list[Mark]) -> list[list[Mark]]:
    """Lines of marks, top to bottom, each left to right; a mark continues the line whose last mark it overlaps
    most vertically once the writing's slope is taken out (a turned photo), so slanted lines stay together."""
    slope = _writing_slope(marks)

    def level(mark: Mark) -> float:  # how far down the mark is, measured across the slanted lines
        return slope * (mark.x0 + mark.x1) / 2

    lines: list[list[Mark]] = []
    for mark in sorted(marks, key=lambda m: m.x0):
        best, best_overlap = None, LINE_OVERLAP
        for line in lines:
            last = line[-1]
            shift = level(mark) - level(last)  # where the last mark's line passes at this mark
            overlap = (min(last.y1 + shift, mark.y1) - max(last.y0 + shift, mark.y0)) / min(last.height, mark.height)
            if overlap >= best_overlap:
                best, best_overlap = line, overlap
        if best is None:
            lines.append([mark])
        else:
            best.append(mark)
    lines.sort(key=lambda line: float(np.median([(m.y0 + m.y1) / 2 - level(m) for m in line])))
    return lines


def _writing_slope(marks: list[Mark]) -> float:
    """The slope (dy/dx) of the lines of writing: the median direction from each mark to its nearest neighbour
    on the right, among neighbours less than WRITING_GAP digit heights away and less than MAX_SLOPE off level
    (0 when there are no such pairs)."""
    slopes = []
    for mark in marks:
        centre_x, centre_y = (mark.x0 + mark.x1) / 2, (mark.y0 + mark.y1) / 2
        nearest = None
        for other in marks:
            dx = (other.x0 + other.x1) / 2 - centre_x
            dy = (other.y0 + other.y1) / 2 - centre_y
            if 0 < dx <= WRITING_GAP * max(mark.height, other.height) and abs(dy) <= MAX_SLOPE * dx:
                if nearest is None or dx < nearest[0]:
                    nearest = (dx, dy)
        if nearest is not None:
            slopes.append(nearest[1] / nearest[0])
    return float(np.median(slopes)) if slopes else 0.0


def _in_line_with_digits(line: list[Mark]) -> list[Mark]:
    """The line without its marks cut by the frame, unless it holds digits clear of the edge and such a mark
    stands nearly as tall as they do (EDGE_DIGIT_HEIGHT): then it is the number's first or last digit, cropped
    close, not a sliver of something else at the edge."""
    clear = [mark.height for mark in line if not mark.cut_by_frame]
    if not clear:
        return []
    least = EDGE_DIGIT_HEIGHT * float(np.median(clear))
    return [mark for mark in line if not mark.cut_by_frame or mark.height >= least]


def _drop_small_in_line(line: list[Mark]) -> list[Mark]:
    """Drop dots and dashes: marks much shorter than the line's digits."""
    median_height = float(np.median([mark.height for mark in line]))
    return [mark for mark in line if mark.height >= MIN_HEIGHT_IN_LINE * median_height]


def _digit_width(line: list[Mark], median_height: float) -> float:
    """The width of one digit in this line, for counting touching digits: the median of the narrow marks."""
    narrow = [mark.width for mark in line if mark.width <= SPLIT_WIDTH * median_height]
    low, high = DIGIT_WIDTH_RANGE
    return float(np.clip(np.median(narrow) if narrow else high * median_height,
                         low * median_height, high * median_height))


def _region(mark: Mark, page: _Page) -> DigitRegion:
    """The digit's box in the original image, its ink mask on the downscaled copy, whether its ink is clear
    and the page's polarity."""
    x, y = mark.x0 * page.factor, mark.y0 * page.factor
    box = (x, y, min(mark.width * page.factor, page.shape[1] - x), min(mark.height * page.factor, page.shape[0] - y))
    mask = mark_ink(page.labels, mark) if mark.own_ink is None else mark.own_ink
    ink = page.strength[mark.y0:mark.y1, mark.x0:mark.x1][mask]
    clear_ink = not page.lined and ink.size > 0 and float(np.median(ink)) >= CLEAR_INK * page.floor
    return DigitRegion(box, (mark.x0, mark.y0, mark.x1, mark.y1), mask, page.factor, page.dark_ink, clear_ink)
