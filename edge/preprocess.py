"""Any photo or scan of one handwritten digit -> an MNIST-like 28x28 input. Pure functions, numpy + OpenCV.

Public API (used by the runner, the camera, multi-digit reading and training-side evaluation):
    to_mnist(image) -> np.ndarray | None      28x28 float32 in [0, 1], white ink on black; None: no digit
    read_digit(image) -> DigitImage | None   the same, and how many sides of the image the digit runs into
    notebook_style(image) -> np.ndarray       the notebook's way: grayscale, resized, /255
    notebook_reading(image) -> DigitImage     the same as a DigitImage (the --preprocess none of every mode)
    is_convex_blob(mask) -> bool              a convex blob lying on its side (a glare spot), never a digit
    fit_to_mnist(ink) -> np.ndarray | None    ink already picked out (float, white on black) laid out as to_mnist's

The crop's lighting and polarity (steps 2-4) are in edge/lighting.py, its ruled lines and frames in
edge/lines.py, the shared image primitives (to_gray, shrunk_to, thickness, ...) in edge/imageops.py.

The robust pipeline (`to_mnist`), in order:
 1. grayscale, downscaled early to at most WORK_SIDE pixels (tiny crops are upscaled to SMALL_SIDE);
 2. a dark desk beyond the paper's straight edge along a side is painted over with the paper next to it;
 3. polarity from the background seen on the image border, not from the pixel majority (a thick light spot
    on paper that holds dark marks is a lamp's glare, not light ink);
 4. lighting: the paper is estimated by a morphological opening larger than any stroke, on a tiny copy,
    and divided out (dark ink) or subtracted (light ink), giving an "ink map" in [0, 1];
 5. blank check (too little contrast -> None), then Otsu threshold with hysteresis (read again without the
    split among faint ink when that split kept only a dark spot of it);
 6. connected components scored by mass, centrality, border contact and line-likeness (and running edge to
    edge along a side, as a paper's edge does); the best one and its nearby pieces (broken strokes) form the digit;
    when the best looks like a line, the ruled lines or grid are taken out of the ink map and it is picked again;
 7. stroke width measured with the distance transform and brought into MNIST's range by gray dilation/erosion;
 8. the gray ink (not a hard mask) fitted into 20x20 with INTER_AREA and shifted so that its centre of mass
    sits at MNIST's (14, 14).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
from digits.edge.imageops import count_holes, disc, percentiles, thickness, to_gray
from digits.edge.lighting import (
    CROP_BACKGROUND_SIDE_PX,
    CROP_MIN_CONTRAST_FRACTION,
    FAINT_PEAK,
    HOLE_SHARE,
    MAX_HOLES,
    border_ring,
    crop_ink_map,
)
from digits.edge.lines import (
    ENLARGED_LINE_PX,
    FRAME_SIDES,
    LINE_DRIFT,
    RULED_LINE_LENGTH,
    along_box,
    framing_sides,
    line_thickness,
    ruled_line_ink,
)

MNIST_SIDE = 28
DIGIT_BOX = 20  # MNIST digits are fitted into 20x20 ...
MNIST_CENTRE = 14.0  # ... and their centre of mass is put at pixel (14, 14) (measured on the MNIST test set)
# Stroke width of MNIST digits relative to the long side of their box: the interquartile range (median 0.127),
# measured on every 20th MNIST test digit with the same estimator as _stroke_width. Strokes inside it are
# left as drawn (a digit's shape may depend on them); others are brought to the nearer end.
MNIST_STROKE_RANGE = (0.108, 0.151)

WORK_SIDE = 200  # px: photos are analysed at most this large (speed; a digit keeps enough pixels)
SMALL_SIDE = 112  # px: tiny crops (e.g. 28x28 scans) are upscaled to this so morphology has room
HYSTERESIS_LOW = 0.5  # weak ink (>= this fraction of the Otsu threshold) is kept near strong ink ...
HYSTERESIS_STEPS = 4  # ... within this many pixels of it (in the working copy, at most 200 px)
SPECK_FRACTION = 0.02  # components smaller than this fraction of the best one are specks
LINE_ASPECT = 8  # ... or a box this many times longer than wide
LINE_ELONGATION = 25  # length^2 / area above this: a line (a stroke of a digit is ~5-10, a ruled line 30+)
CLUTTER_LIMIT = 0.5  # components weighted below this look like lines/edges: never merged, trigger line removal
SIDE_BAND = 0.3  # a component running edge to edge within this fraction of the image from a side: the paper's edge
FRAME_FILL = 0.25  # a component filling less of its box than this, with a sizeable one inside, is a frame
MERGE_GAP = 0.25  # pieces within this fraction of the digit's size are broken strokes of the same digit
ZOOM_BELOW = 0.15  # a digit smaller than this fraction of WORK_SIDE in a downscaled photo is re-read ...
ZOOM_MARGIN = 0.6  # ... from the full-resolution region around it, this fraction of its size on each side
MAX_WIDTH_RATIO = 3.0  # a digit is at most this many times wider than tall (MNIST: 2.5; photos of flat 5s and 7s 2.8)
MAX_STROKE_RATIO = 0.45  # strokes almost half as wide as the digit is large fill it: a blob, not a digit
BLOB_ASPECT, BLOB_STROKE_RATIO, BLOB_SOLIDITY = 1.2, 0.2, 0.9  # so is a shape this much wider than tall, this
# thick for its width, filling this share of its convex hull (digits wider than tall fill at most 0.73 of theirs)
EDGE_RING = 2  # px (working copy; a tiny image's own, enlarged): in a ring this wide outside the strokes ink falls ...
SOFT_EDGE = 0.35  # ... to under this share of its level inside (photos: at most 0.2; a shadow's remnant 0.4)
MIN_OUTPUT_INK = 0.5  # an output with less ink than this (sum of pixels) is not a digit
EDGE_LINE = 0.04  # a line along the whole of every side of the image at most this thick (share of the short side)
EDGE_LINE_COVER = 0.95  # ... holding this share of each row it fills (a canvas's border, a form's cell cut on its
#                          lines) is painted over first: in the ink's tone, it would vote on the polarity


@dataclass(frozen=True)
class DigitImage:
    """The model's input for the digit found in an image, and whether its ink reaches the image's sides."""

    pixels: np.ndarray  # 28x28 float32 in [0, 1], white ink on black
    sides_touched: int  # how many sides of the image (0-4) the digit's ink runs into


def notebook_style(image: np.ndarray) -> np.ndarray:
    """The notebook's preprocessing: grayscale, resized to 28x28, divided by 255 (no inversion)."""
    gray = to_gray(image)
    return cv2.resize(gray, (MNIST_SIDE, MNIST_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def notebook_reading(image: np.ndarray) -> DigitImage:
    """`notebook_style` as a DigitImage: the notebook's way reads the whole image, whatever it holds."""
    return DigitImage(notebook_style(image), 0)


def to_mnist(image: np.ndarray, dark_ink: bool | None = None) -> np.ndarray | None:
    """An MNIST-like 28x28 float32 image in [0, 1] (ink white on black), or None when there is no digit.

    Args:
        image: one digit, gray / BGR / BGRA, any size; dark ink on light paper or light ink on dark.
        dark_ink: the polarity when the caller already knows it (a digit cut from a page whose polarity was
            judged on the whole page); None: judged from this image.
    Returns:
        28x28 float32, the digit fitted into 20x20 and centred by centre of mass; None for a blank image.
    """
    found = read_digit(image, dark_ink)
    return None if found is None else found.pixels


def read_digit(image: np.ndarray, dark_ink: bool | None = None) -> DigitImage | None:
    """`to_mnist`, also telling how many sides of the image the digit touches: a camera region whose digit
    runs into one of its sides sees only part of it."""
    gray = to_gray(image)
    if gray.size == 0 or min(gray.shape) < 2:
        return None
    gray = _without_edge_line(gray)
    if _looks_like_mnist(gray):
        return DigitImage(gray.astype(np.float32) / 255.0, 0)
    return _read_digit(gray, zoom=True, dark_ink=dark_ink)


def _without_edge_line(gray: np.ndarray) -> np.ndarray:
    """The image with a thin line running along the whole of each of its sides, in one tone that stands out from
    the paper inside (the border of a canvas, or a form's cell cut out along its lines), painted over with the
    paper's tone. Else as given."""
    height, width = gray.shape
    deepest = max(2, round(EDGE_LINE * min(height, width)))
    if min(height, width) < 4 * deepest + 4:
        return gray
    # Not every pixel need be looked at: along a side, those of the working copy; inside, a sample for the paper.
    step, sample = max(1, max(height, width) // WORK_SIDE), max(1, min(height, width) // CROP_BACKGROUND_SIDE_PX)
    paper = float(np.median(gray[deepest + 1:-deepest - 1:sample, deepest + 1:-deepest - 1:sample]))
    depths, tones = [], set()
    for side in (gray, gray[::-1], gray.T, gray.T[::-1]):  # top, bottom, left, right: rows from the side inward
        line = _edge_line(side[:2 * deepest + 1, ::step], paper)
        if line is None:
            return gray
        depths.append(line[0])
        tones.add(line[1])
    if len(tones) > 1:
        return gray
    top, bottom, left, right = depths
    # Painted over rather than cut off: a digit that came near the line keeps the paper between them.
    inside = (slice(top, height - bottom), slice(left, width - right))
    cleared = np.full_like(gray, round(paper))
    cleared[inside] = gray[inside]
    return cleared


def _edge_line(rows: np.ndarray, paper: float) -> tuple[int, bool] | None:
    """How many of the first rows a line along the side fills (with the rows blending it into the paper), and
    whether it is darker than the paper; None when the first row is no such line, or when the line fills more
    than half of `rows` (a band too deep for one: a desk, a dark table beyond the paper)."""
    line = float(np.median(rows[0]))
    if abs(line - paper) < CROP_MIN_CONTRAST_FRACTION * 255:
        return None
    halfway = (line + paper) / 2
    on_line_side = (rows < halfway) if line < paper else (rows > halfway)
    filled = np.mean(on_line_side, axis=1) >= EDGE_LINE_COVER
    depth = int(np.argmin(filled)) if not filled.all() else len(rows)
    if depth == 0 or depth > len(rows) // 2:
        return None
    quarter = paper + (line - paper) / 4
    softened = (rows < quarter) if line < paper else (rows > quarter)
    while depth < len(rows) and np.mean(softened[depth]) >= EDGE_LINE_COVER:
        depth += 1  # the line's soft edge
    return depth, line < paper


def _read_digit(gray: np.ndarray, zoom: bool, dark_ink: bool | None = None) -> DigitImage | None:
    """The pipeline on one gray image; with `zoom`, a digit small in a big photo is re-read from its region
    (a call without `zoom` reads such a region); `dark_ink` as for `to_mnist`."""
    work = _working_copy(gray)
    ink = crop_ink_map(work, dark_ink)
    if ink is None:
        return None
    # A tiny image handed in to be read (a thumbnail, a digit's crop; not the region around a small find, which
    # must confirm it) is enlarged to the working size, and the digit is no small share of it: an Otsu split
    # below the floor there means faint ink, not a digit lost in the paper's noise, and the second split (step 5)
    # would keep only the darkest bits of its thin, soft strokes.
    thumbnail = zoom and max(work.shape) > max(gray.shape)
    model_input = _read_ink(gray, work, ink, zoom, dark_ink, split_faint=not thumbnail)
    if (model_input is None and not thumbnail and _ink_otsu(ink)[2]
            and percentiles(ink, (99.95,))[0] >= FAINT_PEAK):
        # The split among the ink above the floor (step 5) may have kept only the darkest bit of faint strokes
        # (where two cross, where the pen rested): when that bit is firm ink (a wash never is), the faint
        # strokes themselves may be the digit, under the same tests.
        model_input = _read_ink(gray, work, ink, zoom, dark_ink, split_faint=False)
    return model_input


def _read_ink(gray: np.ndarray, work: np.ndarray, ink: np.ndarray, zoom: bool, dark_ink: bool | None,
              split_faint: bool) -> DigitImage | None:
    """The digit in the ink map of `work` (the working copy of `gray`) as the model's input, None if there is
    none; `zoom` and `dark_ink` as for `_read_digit`, `split_faint` as for `_ink_mask`."""
    # A tiny image is enlarged to the working size: its one-pixel lines and its pen's edges grow as much.
    enlarged = max(1.0, max(work.shape) / max(gray.shape))
    mask = _ink_mask(ink, split_faint)
    digit = _pick_digit(mask)
    lined = digit is None or digit.clutter < CLUTTER_LIMIT or digit.spans
    framed = not lined and framing_sides(digit.mask, digit.box) >= FRAME_SIDES
    if lined or framed:
        # The best candidate looks like a line or the page's edge, or runs edge to edge: the digit may be
        # joined to ruled lines or a grid. Or its ink runs along all four sides of its box: it is joined to a
        # box drawn around it (a form's cell; then only lines along that box count, as long as half its
        # sides: a long straight stroke inside is the digit's). Take the lines out of the ink map and look again.
        thickest = round(ENLARGED_LINE_PX * enlarged)
        if framed:
            lines = along_box(ruled_line_ink(ink, length=RULED_LINE_LENGTH * min(
                digit.box[2] / work.shape[1], digit.box[3] / work.shape[0]), thickest_px=thickest), digit.box)
        else:
            lines = ruled_line_ink(ink, thickest_px=thickest)
        if percentiles(lines, (99.9,))[0] >= CROP_MIN_CONTRAST_FRACTION:
            without_lines = ink - lines
            remaining = _ink_mask(without_lines, split_faint)
            line_mask = lines >= CROP_MIN_CONTRAST_FRACTION
            cleaned = _pick_digit_across_lines(remaining, line_mask)
            # The lines' removal must leave a digit holding most of the ink: when it leaves a piece of one
            # (a tight crop of a 5, whose bar and stem run from edge to edge), the lines were its strokes. A
            # digit that filled the image was joined to lines only when they frame it (a form's box); a
            # digit cut tight can have a straight stroke along one side, not along three.
            if (cleaned is not None and (digit is None or cleaned.clutter > digit.clutter or framed)
                    and np.count_nonzero(cleaned.mask) >= 0.5 * np.count_nonzero(remaining)):
                # The digit keeps its ink where it crosses a line; the lines around it are gone.
                digit, ink = cleaned, np.where(cleaned.mask, ink, without_lines).astype(np.float32)
    if digit is None:
        return None
    if _fills_image(digit.box, work.shape):
        if not zoom:
            return None  # a region around a small find: a digit has paper around it here; noise fills it
        if count_holes(digit.mask, HOLE_SHARE) > MAX_HOLES:
            return None  # the page's grid, not a digit cut tight (that has at most three loops)
    downscaled = work.shape[0] < gray.shape[0] or work.shape[1] < gray.shape[1]
    if zoom and downscaled and max(digit.box[2], digit.box[3]) < ZOOM_BELOW * WORK_SIDE:
        region = _around(gray, digit.box, (work.shape[1] / gray.shape[1], work.shape[0] / gray.shape[0]))
        if min(region.shape) >= 2:
            # The full-resolution reading decides: what it does not confirm was noise at the small scale.
            found = _read_digit(region, zoom=False, dark_ink=dark_ink)
            return None if found is None else DigitImage(found.pixels, _sides_touched(digit.box, work.shape))
    digit_ink = _digit_ink(ink, digit)
    strokes = _measure_strokes(digit_ink)
    if not _is_digit_shaped(digit, strokes) or not _has_sharp_edges(ink, digit, round(EDGE_RING * enlarged)):
        return None
    if strokes is not None:
        digit_ink = _normalise_stroke(digit_ink, strokes)
    pixels = _render(digit_ink)
    return None if pixels is None else DigitImage(pixels, _sides_touched(digit.box, work.shape))


def _sides_touched(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> int:
    """How many sides of an image of this shape the box reaches."""
    x, y, box_w, box_h = box
    return int(x <= 0) + int(y <= 0) + int(x + box_w >= shape[1]) + int(y + box_h >= shape[0])


def _fills_image(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> bool:
    """The box touches all four sides of an image of this shape."""
    x, y, box_w, box_h = box
    return x == 0 and y == 0 and x + box_w == shape[1] and y + box_h == shape[0]


def _around(gray: np.ndarray, box: tuple[int, int, int, int], scale: tuple[float, float]) -> np.ndarray:
    """The region of the full-resolution image around a box found in the working copy (scale: work / full, x and y)."""
    x, box_w = box[0] / scale[0], box[2] / scale[0]
    y, box_h = box[1] / scale[1], box[3] / scale[1]
    margin = ZOOM_MARGIN * max(box_w, box_h)
    height, width = gray.shape
    x0, y0 = max(0, int(x - margin)), max(0, int(y - margin))
    x1, y1 = min(width, int(np.ceil(x + box_w + margin))), min(height, int(np.ceil(y + box_h + margin)))
    return gray[y0:y1, x0:x1]


def _looks_like_mnist(gray: np.ndarray) -> bool:
    """Already an MNIST digit: 28x28, light ink on a black frame, about 20 px tall, centred by mass."""
    if gray.shape != (MNIST_SIDE, MNIST_SIDE) or gray.max() < 128:
        return False
    if float(border_ring(gray.astype(np.float32), band=2).mean()) > 0.05 * 255:
        return False
    ys, xs = np.nonzero(gray > 0.25 * gray.max())
    long_side = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)
    moments = cv2.moments(gray.astype(np.float32))
    centre = np.array([moments["m10"], moments["m01"]]) / moments["m00"]
    return DIGIT_BOX - 4 <= long_side <= DIGIT_BOX + 2 and bool(np.all(np.abs(centre - MNIST_CENTRE) <= 2.0))


def _working_copy(gray: np.ndarray) -> np.ndarray:
    """Float32 gray in [0, 1], downscaled (INTER_AREA) to WORK_SIDE or upscaled to SMALL_SIDE."""
    height, width = gray.shape
    long_side = max(height, width)
    if long_side > WORK_SIDE:
        scale = WORK_SIDE / long_side
        interpolation = cv2.INTER_AREA
    elif long_side < SMALL_SIDE:
        scale = SMALL_SIDE / long_side
        interpolation = cv2.INTER_LINEAR
    else:
        return gray.astype(np.float32) / 255.0
    size = (max(2, round(width * scale)), max(2, round(height * scale)))
    return cv2.resize(gray, size, interpolation=interpolation).astype(np.float32) / 255.0


def _ink_mask(ink: np.ndarray, split_faint: bool = True) -> np.ndarray:
    """Binary ink: Otsu on the ink map, plus weaker ink near it (hysteresis keeps faint strokes).

    The weaker ink is grown from the strong ink a few pixels at a time (HYSTERESIS_STEPS), not taken whole
    wherever it touches: with faint ink (pencil) the floor is low enough for a shadow's edge to pass it, and
    a wash touching the digit would otherwise join it. `split_faint` False: no second split (below) of the ink
    above the floor.
    """
    ink8, otsu, in_noise = _ink_otsu(ink)
    threshold = max(otsu, CROP_MIN_CONTRAST_FRACTION * 255)
    if split_faint and in_noise:
        # Otsu split the paper's own noise: the ink is too small a share of the image to pull it up (a small
        # digit far away). Split again among the pixels above the floor: faint washes (what a shadow's edge
        # leaves) below, pen strokes above.
        threshold = max(threshold, _otsu_above(ink8, int(threshold)))
    grown = (ink8 > threshold).astype(np.uint8)
    weak = (ink8 > threshold * HYSTERESIS_LOW).astype(np.uint8)
    for _ in range(HYSTERESIS_STEPS):
        grown = cv2.dilate(grown, np.ones((3, 3), np.uint8)) & weak
    return grown.astype(bool)


def _ink_otsu(ink: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """The ink map in uint8, Otsu's split of it, and whether that split falls below the floor (the ink a small
    share of the image), where `_ink_mask` splits the ink above the floor again."""
    ink8 = np.round(ink * 255).astype(np.uint8)
    otsu, _ = cv2.threshold(ink8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return ink8, otsu, otsu < CROP_MIN_CONTRAST_FRACTION * 255


def _otsu_above(image8: np.ndarray, floor: int) -> float:
    """Otsu's threshold among the pixels brighter than `floor` (`floor` when there are too few to split)."""
    above = image8[image8 > floor]
    if above.size < 2:
        return float(floor)
    threshold, _ = cv2.threshold(above.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(threshold)


@dataclass(frozen=True)
class _Digit:
    """The chosen ink pixels and their bounding box (x, y, width, height) in working coordinates."""

    mask: np.ndarray
    box: tuple[int, int, int, int]
    clutter: float  # the chosen component's _clutter_factor: 1 looks like a digit, small like a line
    spans: bool  # the chosen component runs from one edge of the image to the opposite one


def _pick_digit(mask: np.ndarray) -> _Digit | None:
    """The digit among specks, borders, ruled lines and paper edges, with its broken strokes merged."""
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return None
    height, width = mask.shape
    border_contact = _border_contact(labels, count)
    clutter = np.ones(count)
    scores = np.zeros(count)
    for label in range(1, count):
        clutter[label] = _clutter_factor(stats[label], border_contact[label], (height, width))
        if _is_frame(stats, label):
            clutter[label] *= 0.05  # a box drawn or printed around the digit (a form cell)
        scores[label] = _component_score(stats[label], centroids[label], clutter[label], (height, width))
    best = int(np.argmax(scores))
    if scores[best] <= 0:
        return None
    chosen = [best]
    box = _stats_box(stats[best])
    x, y, box_w, box_h = box
    seed_stroke = _stroke_width(labels[y: y + box_h, x: x + box_w] == best)
    candidates = [int(label) for label in range(1, count)
                  if label != best and scores[label] > 0 and clutter[label] >= CLUTTER_LIMIT
                  and stats[label, cv2.CC_STAT_AREA] >= SPECK_FRACTION * stats[best, cv2.CC_STAT_AREA]]
    merged = True
    while merged:  # grow the digit piece by piece: a chain of broken strokes joins up
        merged = False
        for label in list(candidates):
            piece = _stats_box(stats[label])
            piece_stroke = stats[label, cv2.CC_STAT_AREA] / max(piece[2], piece[3])
            if _is_thin(stats[label]) and piece_stroke < 0.6 * seed_stroke:
                continue  # a line much finer than the digit's strokes (an underline, a ruled line), not a stroke
            if _box_distance(box, piece) <= MERGE_GAP * max(box[2], box[3]):
                chosen.append(label)
                candidates.remove(label)
                box = _union_box(box, piece)
                merged = True
    is_chosen = np.zeros(count, bool)
    is_chosen[chosen] = True
    x, y, box_w, box_h = _stats_box(stats[best])
    spans = (x == 0 and x + box_w == width) or (y == 0 and y + box_h == height)
    return _Digit(is_chosen[labels], box, float(clutter[best]), spans)


def _pick_digit_across_lines(mask: np.ndarray, line_mask: np.ndarray) -> _Digit | None:
    """Pick the digit once the lines are out, then close the gaps that taking them out left in its strokes."""
    digit = _pick_digit(mask)
    if digit is None:
        return None
    bridge = 2 * LINE_DRIFT + line_thickness(mask.shape)  # across a line as ruled_line_ink finds it
    digit_mask = digit.mask.astype(np.uint8)
    closed = cv2.morphologyEx(digit_mask, cv2.MORPH_CLOSE, disc(bridge))
    return replace(digit, mask=(digit_mask > 0) | ((closed > 0) & line_mask))


def _border_contact(labels: np.ndarray, count: int) -> np.ndarray:
    """For each component, how many of its pixels lie on the image's outermost rows and columns."""
    edge = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
    return np.bincount(edge, minlength=count)


def _component_score(stat: np.ndarray, centroid: np.ndarray, clutter: float, shape: tuple[int, int]) -> float:
    """How likely a component is the digit: its mass, weighted down when off-centre or looking like clutter."""
    height, width = shape
    area = int(stat[cv2.CC_STAT_AREA])
    if area < 0.0005 * height * width:
        return 0.0
    # Centrality: 1 in the middle, 0.25 in a corner.
    offset = np.hypot((centroid[0] - width / 2) / width, (centroid[1] - height / 2) / height) / np.hypot(0.5, 0.5)
    return area * (1.0 - 0.75 * offset) * clutter


def _clutter_factor(stat: np.ndarray, contact: int, shape: tuple[int, int]) -> float:
    """1 for a digit-like component; less for ruled lines, paper edges, frames and desk corners."""
    height, width = shape
    x, y, box_w, box_h = _stats_box(stat)
    long_side = max(box_w, box_h)
    factor = 1.0
    spans = (x == 0 and x + box_w == width) or (y == 0 and y + box_h == height)
    if spans and _is_thin(stat):
        factor *= 0.02  # edge to edge and thin: a ruled line (a bold digit cut by the frame may span too)
    elif spans and _along_side(stat, shape):
        factor *= 0.05  # edge to edge beside a side of the frame: the paper's edge with the desk beyond it
    elif contact > 0.6 * long_side:
        factor *= 0.1  # a long run along the border: a frame or the paper's edge
    elif contact:
        factor *= 0.6  # a digit cut by a tight crop still wins when nothing better is there
    if _is_thin(stat) and contact:
        factor *= 0.2  # a thin line running in from the border
    return factor


def _along_side(stat: np.ndarray, shape: tuple[int, int]) -> bool:
    """A box in a band along one side of the image (SIDE_BAND deep, touching or nearly touching that side)."""
    height, width = shape
    x, y, box_w, box_h = _stats_box(stat)
    near = 0.02
    beside_left_or_right = box_w <= SIDE_BAND * width and (x <= near * width or x + box_w >= (1 - near) * width)
    above_or_below = box_h <= SIDE_BAND * height and (y <= near * height or y + box_h >= (1 - near) * height)
    return beside_left_or_right or above_or_below


def _is_frame(stats: np.ndarray, label: int) -> bool:
    """A hollow component whose box holds another sizeable component: a frame around the digit."""
    x, y, box_w, box_h, area = (int(v) for v in stats[label])
    if area > FRAME_FILL * box_w * box_h:
        return False
    others = np.delete(stats, [0, label], axis=0)
    inside = ((others[:, 0] > x) & (others[:, 1] > y) & (others[:, 0] + others[:, 2] < x + box_w)
              & (others[:, 1] + others[:, 3] < y + box_h) & (others[:, 4] >= 0.1 * area))
    return bool(inside.any())


def _is_thin(stat: np.ndarray) -> bool:
    """Line-like: long and thin (length over mean thickness, or over the box's short side, is large)."""
    box_w, box_h = int(stat[cv2.CC_STAT_WIDTH]), int(stat[cv2.CC_STAT_HEIGHT])
    long_side, short_side = max(box_w, box_h), max(1, min(box_w, box_h))
    elongation = long_side * long_side / max(1, int(stat[cv2.CC_STAT_AREA]))
    return elongation > LINE_ELONGATION or long_side / short_side > LINE_ASPECT


def _stats_box(stat: np.ndarray) -> tuple[int, int, int, int]:
    return int(stat[0]), int(stat[1]), int(stat[2]), int(stat[3])


def _box_distance(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """The gap between two boxes (0 when they overlap)."""
    dx = max(0, max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2]))
    dy = max(0, max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3]))
    return float(np.hypot(dx, dy))


def _union_box(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return x0, y0, x1 - x0, y1 - y0


def _is_digit_shaped(digit: _Digit, strokes: _Strokes | None) -> bool:
    """Not a dash or an edge lying on its side, nor a blob (a shadow's remnant) whose "strokes" fill it, nor a
    convex blob lying on its side (`is_convex_blob`)."""
    x, y, box_w, box_h = digit.box
    return (box_w <= MAX_WIDTH_RATIO * box_h and (strokes is None or strokes.width <= MAX_STROKE_RATIO * strokes.size)
            and not is_convex_blob(digit.mask[y: y + box_h, x: x + box_w]))


def is_convex_blob(mask: np.ndarray) -> bool:
    """Whether a mask cut to its box is a convex blob lying on its side: a glare spot taken for light ink, never
    a digit.

    At least BLOB_ASPECT times wider than tall, as thick as BLOB_STROKE_RATIO of its width and filling
    BLOB_SOLIDITY of its convex hull: digits wider than tall are never convex, and a straight stroke that is (a
    slanted 1) is thin.
    """
    height, width = mask.shape
    if width < BLOB_ASPECT * height:
        return False
    return thickness(mask) >= BLOB_STROKE_RATIO * width and _solidity(mask) >= BLOB_SOLIDITY


def _solidity(mask: np.ndarray) -> float:
    """The share of its convex hull that a mask fills (1 for a convex shape)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return 0.0
    hull = cv2.contourArea(cv2.convexHull(np.vstack(contours)))
    return float(np.count_nonzero(mask)) / hull if hull > 0 else 0.0


def _has_sharp_edges(ink: np.ndarray, digit: _Digit, ring_px: int = EDGE_RING) -> bool:
    """Ink stops at a stroke's edge: just outside the strokes (a ring `ring_px` wide) the ink map holds at
    most SOFT_EDGE of its level inside them. What is left of a shadow's soft edge fades out gradually."""
    x, y, box_w, box_h = digit.box
    margin = ring_px + 1
    y0, x0 = max(0, y - margin), max(0, x - margin)
    mask = digit.mask[y0: y + box_h + margin, x0: x + box_w + margin].astype(np.uint8)
    crop = ink[y0: y + box_h + margin, x0: x + box_w + margin]
    side = 2 * ring_px + 1
    ring = (cv2.dilate(mask, np.ones((side, side), np.uint8)) > 0) & (mask == 0)
    if not ring.any():
        return True
    return float(crop[ring].mean()) <= SOFT_EDGE * float(crop[mask > 0].mean())


def _digit_ink(ink: np.ndarray, digit: _Digit) -> np.ndarray:
    """The gray ink of the chosen pixels (and their soft edges), cropped with a margin, stretched to 1."""
    x, y, box_w, box_h = digit.box
    margin = max(2, round(0.15 * max(box_w, box_h)))
    y0, y1 = max(0, y - margin), min(ink.shape[0], y + box_h + margin)
    x0, x1 = max(0, x - margin), min(ink.shape[1], x + box_w + margin)
    mask = digit.mask[y0:y1, x0:x1].astype(np.uint8)
    crop = ink[y0:y1, x0:x1]
    full_ink = float(np.percentile(crop[mask > 0], 90))
    edges = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    pad = ((margin, margin), (margin, margin))  # room for thickening near the image edge
    return np.pad(np.clip(crop / max(full_ink, 1e-3), 0.0, 1.0) * edges, pad)


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: 4 x the mean distance to the background, minus the pixel bias."""
    # A zero frame, so a mask without background pixels still has finite distances.
    distance = cv2.distanceTransform(np.pad(mask.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    inside = distance[mask > 0]
    return max(1.0, 4.0 * float(inside.mean()) - 2.0) if inside.size else 1.0


@dataclass(frozen=True)
class _Strokes:
    """The digit's mean stroke width and its size (long side of the box), px, from its ink above half strength."""

    width: float
    size: int


def _measure_strokes(digit_ink: np.ndarray) -> _Strokes | None:
    """Stroke width and size of the ink above half strength (None when there is none)."""
    mask = digit_ink > 0.5
    if not mask.any():
        return None
    ys, xs = np.nonzero(mask)
    return _Strokes(width=_stroke_width(mask), size=int(max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)))


def _normalise_stroke(digit_ink: np.ndarray, strokes: _Strokes) -> np.ndarray:
    """Thicken or thin strokes that, relative to the digit's size, are outside MNIST's usual range."""
    width, long_side = strokes.width, strokes.size
    low, high = MNIST_STROKE_RANGE
    target_ratio = min(max(width / long_side, low), high)
    radius = int(round((target_ratio * long_side - width) / 2))
    if radius > 0:
        return cv2.dilate(digit_ink, disc(2 * radius + 1))
    # Thin only as far as the thinnest strokes survive (about half of the mean width stays).
    radius = min(-radius, int(width // 4))
    if radius > 0:
        return cv2.erode(digit_ink, disc(2 * radius + 1))
    return digit_ink


def fit_to_mnist(ink: np.ndarray) -> np.ndarray | None:
    """Ink already picked out of its image (float in [0, 1], white on black, any size) laid out as `to_mnist`
    lays out a digit (steps 7-8): strokes brought into MNIST_STROKE_RANGE, fitted into 20x20, centred by centre
    of mass in 28x28 float32. None when there is too little ink. Training-side generators use it so that what
    they draw looks like the runner's output."""
    ink = np.asarray(ink, np.float32)
    ys, xs = np.nonzero(ink > 0.05)
    if ys.size == 0:
        return None
    margin = max(2, round(0.15 * max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)))
    ink = np.pad(ink, margin)  # room for thickening, as _digit_ink leaves
    strokes = _measure_strokes(ink)
    if strokes is not None:
        ink = _normalise_stroke(ink, strokes)
    return _render(ink)


def _render(digit_ink: np.ndarray) -> np.ndarray | None:
    """Fit the ink into 20x20 keeping its aspect (INTER_AREA), centre of mass at (14, 14) in 28x28."""
    ys, xs = np.nonzero(digit_ink > 0.05)
    if ys.size == 0:
        return None
    crop = digit_ink[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    height, width = crop.shape
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(crop, size, interpolation=interpolation)
    moments = cv2.moments(small)
    if moments["m00"] < MIN_OUTPUT_INK:
        return None
    shift_x = MNIST_CENTRE - moments["m10"] / moments["m00"]
    shift_y = MNIST_CENTRE - moments["m01"] / moments["m00"]
    # Keep the 20x20 box inside the frame even for lopsided digits.
    shift_x = float(np.clip(shift_x, 0, MNIST_SIDE - size[0]))
    shift_y = float(np.clip(shift_y, 0, MNIST_SIDE - size[1]))
    matrix = np.float32([[1, 0, shift_x], [0, 1, shift_y]])
    canvas = cv2.warpAffine(small, matrix, (MNIST_SIDE, MNIST_SIDE), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return np.clip(canvas, 0.0, 1.0).astype(np.float32)
