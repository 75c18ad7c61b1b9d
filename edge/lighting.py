"""The paper's lighting and the ink's polarity, for a crop and for a page, side by side. Pure functions, numpy + OpenCV.

A crop (one digit, edge/preprocess.py), on its working copy (float32 in [0, 1], at most WORK_SIDE px):
    crop_ink_map(work, dark_ink) -> np.ndarray | None   ink strength in [0, 1] (white ink on black) with the
                                                        paper and its shading removed; None: blank
    border_ring(image, band) -> np.ndarray              the pixels of the border ring, where the background shows
  A dark desk beyond the paper's straight edge is painted over first; the polarity comes from the background
  seen on the border ring (a lamp's glare and a digit cut tight to its ink are told apart); the paper is an
  opening wider than any stroke on a CROP_BACKGROUND_SIDE_PX copy, divided out (dark ink) or subtracted.

A page (every digit, edge/multi.py), on its downscaled uint8 copy:
    page_ink_strength(gray) -> (strength, floor, dark_ink)   how far each pixel stands from the paper on the
                                                              ink's side (gray levels), the floor ink must pass
                                                              and the polarity
    page_finer_ink_strength(gray, dark_ink, stroke)          the same with the paper also followed at the
                                                              strokes' scale (a narrow shadow)
  The polarity is the stronger tail once a median of the page is removed; the paper a closing (dark ink) or
  opening (light ink) on a PAGE_BACKGROUND_SIDE_PX copy.
"""
from __future__ import annotations

import cv2
import numpy as np
from digits.edge.imageops import (
    count_holes,
    disc,
    enlarged,
    histogram,
    histogram_quantile,
    percentiles,
    shrunk_to,
    thickness,
)

# A crop: shares of the working copy's side or of the [0, 1] range
CROP_BACKGROUND_SIDE_PX = 48  # a crop's paper/background is estimated on a copy this small
CROP_BACKGROUND_KERNEL_FRACTION = 0.3  # opening kernel as a fraction of the long side: wider than any stroke
SHARP_KERNEL = 1.25  # where an opening this many times wider still fits, the shading is followed exactly, ...
SHARP_STEP = 0.08  # ... and where that estimate is above the smoothed one by this much, it is a sharp edge
BORDER_BAND = 0.04  # fraction of the side taken as the border ring that shows the background
PIECE_SHARE = 0.05  # a region of one tone this large a share of a digit cut tight is a piece (strokes, paper), ...
STROKE_CORE = 0.2  # ... and no point of its strokes further than this share of the image's long side from paper
GLARE_CORE = 0.08  # a light region whose inside lies this far (share of the long side) from its edge is no stroke ...
GLARE_INK = 0.3  # ... but glare when the paper has marks this much darker than it (light ink's grounds: <= 0.2)
# A crop's ink darker or brighter than its paper by less than this fraction of the range: blank
CROP_MIN_CONTRAST_FRACTION = 0.12
FAINT_PEAK = 0.5  # an ink map peaking below this (faint pencil, a faded scan) is stretched toward it ...
MAX_STRETCH = 2.0  # ... by at most this factor, so that the floors below are relative to faint ink too
INK_BODY = 0.75  # ... when the top 1% of the ink map reaches this share of its peak (ink, not a noise tail)
DESK_DEPTH = 0.35  # a paper edge is looked for this far (fraction of the side) into the frame from each side;
DESK_FIT_PX = 2.0  # ... it is straight: its median distance from a fitted line, px in the working copy, ...
DESK_SLOPE = 0.6  # ... within 31 degrees of parallel to the side, ...
DESK_ROWS = 0.9  # ... and runs along this fraction of the side (a band), or else from a corner (a wedge:
DESK_WEDGE_ROWS = 0.3  # a turned sheet) along at least this fraction, ...
DESK_WEDGE_SLOPE = 0.1  # ... clearly slanted (6 degrees) ...
DESK_WEDGE_DEPTH = 0.05  # ... and reaching this far in; ...
DESK_SHARPNESS = 0.6  # ... and sharp: the step across 4 px at least this share of the step across 12 px
# (a shadow's edge is soft and fails it), with the desk at least CROP_MIN_CONTRAST_FRACTION darker than the paper
MAX_HOLES = 3  # a digit has at most this many loops (an 8 two, crossing strokes one more): else a grid ...
HOLE_SHARE = 0.005  # ... counting enclosed paper of at least this share of the image

# A page: px of its small copy, gray levels (0-255)
PAGE_BACKGROUND_SIDE_PX = 64  # px: the paper's lighting is estimated on a copy this small ...
POLARITY_KERNEL = 31  # px: ... the polarity from a median this wide (half the image: wider than the digits) ...
GLARE_KERNEL = 9  # px: ... and light ink also from one this wide (wider than strokes, narrower than a glare) ...
PAGE_BACKGROUND_KERNEL_PX = 13  # px: ... the paper from a closing this wide (1/5 of the image: wider than any stroke)
FINE_KERNEL_STROKES = 3.0  # a shadow taken for ink: the paper is also estimated with a closing this many strokes wide,
FINE_KERNEL = 9  # px: ... made this wide on a copy shrunk to fit (a shadow narrower than 1/5 of a big frame)
INK_TAIL = 0.995  # polarity: the ink side is the stronger of the two tails this far out, ...
FAR_TAILS, FAR_TAIL_RATIO = (0.999, 0.9999), 1.5  # ... unless one tail this far out (or, tied, this) is this
# many times the other (thin writing small in a big frame is under 0.1% of it)
# gray levels (0-255): a page's ink must differ from its paper by at least this much (a blank page has none)
PAGE_MIN_CONTRAST_LEVELS = 12
NOISE_SIGMAS = 5.0  # ... and by this many times the paper's own noise


# A crop


def border_ring(image: np.ndarray, band: int | None = None) -> np.ndarray:
    """The pixels of the outer band of the image (BORDER_BAND of its side), where the background shows."""
    band = band or max(1, round(BORDER_BAND * min(image.shape)))
    return np.concatenate([image[:band].ravel(), image[-band:].ravel(),
                           image[band:-band, :band].ravel(), image[band:-band, -band:].ravel()])


def crop_ink_map(work: np.ndarray, dark_ink: bool | None = None) -> np.ndarray | None:
    """Ink strength in [0, 1] (white ink on black) with the paper and its shading removed; None if blank.
    The polarity is judged here unless `dark_ink` gives it."""
    # Extreme percentiles, so that a digit covering only 0.1% of a big photo is not taken for blank paper.
    low, high = percentiles(work, (0.05, 99.95))
    if high - low < CROP_MIN_CONTRAST_FRACTION:
        return None
    work = _without_desk(work)
    if dark_ink is None:
        dark_ink = _crop_is_dark_ink(work)
    inverted = 1.0 - work if dark_ink else work
    small = shrunk_to(inverted, CROP_BACKGROUND_SIDE_PX)
    reaches_every_side = _ink_on_every_side(small)
    cut_tight = reaches_every_side and _polarity_if_cut_tight(work) == dark_ink
    background = _crop_background(small, inverted.shape, cut_tight, sharp_edges=not reaches_every_side)
    ink = inverted - background
    if dark_ink:
        # Paper brightness scales the ink's contrast: divide it out so shadows do not fade the strokes.
        ink /= np.maximum(1.0 - background, 0.2)
    ink = np.clip(ink, 0.0, 1.0)
    body, peak = percentiles(ink, (99, 99.95))
    if peak < CROP_MIN_CONTRAST_FRACTION:
        return None
    if peak < FAINT_PEAK and body >= INK_BODY * peak:
        # Faint ink: the thresholds below have fixed floors, under which the lighter half of a pencil stroke
        # (uneven pressure, a faded scan) would vanish while its darker half stays. Only a body of ink is
        # stretched: a noisy blank page's peak is a thin tail, and stretched it would pass for strokes.
        ink = np.clip(ink * min(FAINT_PEAK / peak, MAX_STRETCH), 0.0, 1.0)
    return ink


def _without_desk(work: np.ndarray) -> np.ndarray:
    """The image with a dark desk beyond the paper's straight edge painted over with the paper next to it.

    Then neither the polarity vote nor the paper's shading estimate sees the desk, and no component can be
    cut from it (see _desk_edge and _is_sharp for what counts as a desk).
    """
    work8 = np.round(work * 255).astype(np.uint8)
    _, dark = cv2.threshold(work8, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if max(dark[:, 0].mean(), dark[:, -1].mean(), dark[0].mean(), dark[-1].mean()) < DESK_WEDGE_ROWS:
        return work  # a desk reaches the border along at least that share of a side (the opening only shrinks it)
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)
    painted = None
    for turns in range(4):  # each side in turn as the left one
        side = np.rot90(dark, turns)
        edge = _desk_edge(side)
        if edge is None or not _is_sharp(np.rot90(work, turns), edge):
            continue
        rows, columns = side.shape
        depth = np.clip(np.round(edge + DESK_FIT_PX + 2), 0, columns - 8).astype(int)  # past the blurred edge
        beyond = np.arange(columns)[None, :] < depth[:, None]
        if side[~beyond].mean() > 0.5:
            continue  # the rest is dark too: no light paper there (light ink on a dark ground, e.g. a tall 1)
        if painted is None:
            painted = work.copy()
        view = np.rot90(painted, turns)  # a view: writing to it paints `painted`
        # The paper just inside the edge, continued out to the border: the pixel next to it, or where a stroke
        # darkens that one, the brightest of the next few; steadied along the edge.
        nearby = view[np.arange(rows)[:, None], depth[:, None] + np.arange(6)[None, :]]
        brightest = nearby.max(axis=1)
        inside = np.where(nearby[:, 0] < brightest - 0.1, brightest, nearby[:, 0])
        paper = cv2.medianBlur(np.round(inside * 255).astype(np.uint8).reshape(-1, 1), 9).ravel() / 255.0
        view[beyond] = np.broadcast_to(paper[:, None], beyond.shape)[beyond]
    return work if painted is None else painted


def _is_sharp(image: np.ndarray, edge: np.ndarray) -> bool:
    """Whether the gray step across a fitted edge (x position per row) is strong and sharp, as a paper's edge
    on a desk is: a shadow's edge is soft or faint.

    Near the line (its dark-mask boundary may sit a few pixels into shaded paper), at the offset where the
    4-px step is steepest along the whole edge (medians over the rows, so a stroke crossing it does not count),
    that step is compared with the 12-px step around the same place.
    """
    rows, columns = image.shape
    at = np.flatnonzero((edge >= 1) & (edge < columns - 1))
    if at.size < 3:
        return False
    x = np.round(edge[at]).astype(int)[:, None] + np.arange(-8, 9)[None, :]  # candidate places, per row

    def step(half: int) -> np.ndarray:
        after = image[at[:, None], np.clip(x + half, 0, columns - 1)]
        before = image[at[:, None], np.clip(x - half, 0, columns - 1)]
        return np.median(after - before, axis=0)  # paper minus desk: positive across a desk's edge

    narrow, wide = step(2), step(6)
    steepest = int(np.argmax(narrow))
    return wide[steepest] >= CROP_MIN_CONTRAST_FRACTION and narrow[steepest] >= DESK_SHARPNESS * wide[steepest]


def _desk_edge(side: np.ndarray) -> np.ndarray | None:
    """Where the paper's edge lies on each row of a dark mask, as a distance from the left border (the fitted
    line: zero or less where the desk does not reach the row), or None when there is no desk there.

    The dark run in from the border is measured on every row. A paper edge makes it follow a straight line,
    nearly parallel to the side, along almost the whole side (a band), or, for a turned sheet, along part of
    it from a corner, clearly slanted, and absent beyond the point where the line meets the border (a wedge).
    A digit touching the border, shadows and vignetting do not.
    """
    rows, columns = side.shape
    runs = np.where(side.all(axis=1), columns, np.argmin(side, axis=1)).astype(np.float32)
    edge_rows = np.flatnonzero((runs > 0) & (runs < DESK_DEPTH * columns))
    if edge_rows.size < DESK_WEDGE_ROWS * rows:
        return None
    slope, offset = np.polyfit(edge_rows, runs[edge_rows], 1)
    line = slope * np.arange(rows) + offset
    if abs(slope) > DESK_SLOPE or np.median(np.abs(runs[edge_rows] - line[edge_rows])) > DESK_FIT_PX:
        return None
    if edge_rows.size < DESK_ROWS * rows:
        deep_end = rows - 1 if slope > 0 else 0
        if (abs(slope) < DESK_WEDGE_SLOPE or runs[deep_end] == 0 or line.max() < DESK_WEDGE_DEPTH * columns
                or np.any(line[runs == 0] > DESK_FIT_PX + 1)):
            return None  # not a wedge from a corner: the dark run is missing where the line says it is
    return line


def _crop_is_dark_ink(work: np.ndarray) -> bool:
    """Polarity from the background: which side of an Otsu split the border ring falls on (not the majority).

    First on the image minus its illumination (a smooth quadratic surface), so that vignetting and shadows
    (light falling off toward the border) do not make the border look like ink; if that ring is mixed (a
    bold digit filling the frame bends the fit), on the image itself; if that ring is mixed too, either the
    image is a digit cut tight to its ink (`_polarity_if_cut_tight`), or (a dark table along some sides of
    light paper) the middle half decides: there the paper dominates and the ink is the long tail away from
    its median. A digit too small to show on the tiny copy (the copy minus its illumination is flat but for
    a few pixels) is looked for at the working size instead: it is the longer tail there.
    """
    small = shrunk_to(work, CROP_BACKGROUND_SIDE_PX)
    illumination = _illumination(small)
    relative = small - illumination  # subtracted, not divided: stable on black backgrounds too
    low, high = percentiles(np.clip(relative + 0.5, 0.0, 1.0), (1, 99))
    if high - low < CROP_MIN_CONTRAST_FRACTION:
        detail = work - cv2.resize(illumination, (work.shape[1], work.shape[0]), interpolation=cv2.INTER_LINEAR)
        low, median, high = percentiles(np.clip(detail + 0.5, 0.0, 1.0), (0.05, 50, 99.95))
        return high - median < median - low
    dark_borders = []
    for image in (np.clip(relative + 0.5, 0.0, 1.0), small):
        image8 = np.round(image * 255).astype(np.uint8)
        threshold, _ = cv2.threshold(image8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        dark_border = float(np.mean(border_ring(image8) <= threshold))
        if dark_border <= 0.2:
            return True
        if dark_border >= 0.8:
            return _is_glare(image8, threshold, work)
        dark_borders.append(dark_border)
    cut_tight = _polarity_if_cut_tight(work)
    if cut_tight is not None:
        return cut_tight
    height, width = small.shape
    middle = small[height // 4: height - height // 4, width // 4: width - width // 4]
    low, median, high = np.percentile(middle, (1, 50, 99))
    light_tail = high - median >= median - low
    # Light ink also needs a border that is mostly dark: a bold digit cropped tight fills the middle, where
    # the paper is then the minority (the "tail"), but its border is still mostly paper.
    return not (light_tail and float(np.mean(dark_borders)) >= 0.5)


def _is_glare(image8: np.ndarray, threshold: float, work: np.ndarray) -> bool:
    """Whether the light side of a polarity vote's split is a glare spot on dark-inked paper, not light ink.

    A lamp's glare on the paper is light and thick: the split then falls between it and the rest, and the border
    ring (paper) lands on the dark side as if the ink were light. Light strokes are thin (a bold digit cut tight
    reaches 0.12 of the side on the 48 px copy, so GLARE_CORE alone does not decide), and the ground around light
    ink holds nothing much darker than itself, while paper under glare holds the ink.
    """
    light = (image8 > threshold).astype(np.uint8)
    if thickness(light) / 2 <= GLARE_CORE * max(image8.shape):
        return False
    paper = float(np.median(border_ring(work)))
    return paper - percentiles(work, (0.1,))[0] >= GLARE_INK


def _polarity_if_cut_tight(work: np.ndarray) -> bool | None:
    """Whether the ink is dark, for an image cut tight to a digit; None when it does not look like one.

    Cut to the box of its ink, a digit is one piece touching all four sides, and it splits the paper into
    pieces that each touch at most two (the corners beside the strokes, the insides of loops). Either tone
    can be the ink. A photo of a sheet with the desk or a shadow in two corners can look the same with its
    tones swapped, but the sheet is no stroke: its middle lies far from the other tone. A page's grid is one
    such piece too, but it encloses more paper cells than a digit has loops.
    """
    image8 = np.round(work * 255).astype(np.uint8)
    threshold, _ = cv2.threshold(image8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = image8 <= threshold
    dark_pieces, light_pieces = _sides_touched(dark), _sides_touched(~dark)
    for dark_is_ink, strokes, paper in ((True, dark_pieces, light_pieces), (False, light_pieces, dark_pieces)):
        if strokes == [4] and len(paper) >= 2 and max(paper) <= 2:
            ink = dark if dark_is_ink else ~dark
            # Strokes are thin for their digit; a sheet of paper between a desk and a shadow is not.
            if thickness(ink) / 2 <= STROKE_CORE * max(work.shape) and count_holes(ink, HOLE_SHARE) <= MAX_HOLES:
                return dark_is_ink
            return None
    return None


def _ink_on_every_side(small: np.ndarray) -> bool:
    """Whether the ink (bright) reaches all four sides of a tiny copy (a quick first test for a digit cut tight)."""
    small8 = np.round(small * 255).astype(np.uint8)
    split, _ = cv2.threshold(small8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = small8 > split
    return bool(ink[0].any() and ink[-1].any() and ink[:, 0].any() and ink[:, -1].any())


def _sides_touched(mask: np.ndarray) -> list[int]:
    """For each piece of the mask holding at least PIECE_SHARE of the image: how many image sides it touches."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    pieces = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= PIECE_SHARE * mask.size)
    pieces = pieces[pieces > 0]  # label 0 is the other tone
    sides = (labels[0], labels[-1], labels[:, 0], labels[:, -1])
    return [sum(bool(np.any(side == piece)) for side in sides) for piece in pieces]


def _illumination(small: np.ndarray) -> np.ndarray:
    """A quadratic surface fitted to the image, ignoring outliers (the ink, whatever its polarity).

    Fitted on a copy half as large (a smooth surface needs few points), then enlarged to the image's size.
    """
    full_height, full_width = small.shape
    small = shrunk_to(small, max(8, max(full_height, full_width) // 2))
    height, width = small.shape
    ys, xs = np.mgrid[-1:1:height * 1j, -1:1:width * 1j].astype(np.float32)
    design = np.stack([np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys], axis=-1).reshape(-1, 6)
    values = small.reshape(-1, 1).astype(np.float32)
    inliers = np.ones(values.shape[0], bool)
    fitted = np.zeros_like(values)
    for _ in range(3):
        # Normal equations via OpenCV: a 6x6 solve, no BLAS threads for a tiny problem.
        ok, coefficients = cv2.solve(design[inliers], values[inliers], flags=cv2.DECOMP_NORMAL | cv2.DECOMP_CHOLESKY)
        if not ok:
            break
        fitted = (design * coefficients.ravel()).sum(axis=1, keepdims=True)  # no BLAS call (its threads spin)
        residuals = np.abs(values - fitted).ravel()
        spread = float(np.median(residuals[inliers])) + 1e-3
        inliers = residuals < 3.0 * spread
        if inliers.sum() < 12:
            break
    return cv2.resize(fitted.reshape(height, width), (full_width, full_height), interpolation=cv2.INTER_LINEAR)


def _crop_background(small: np.ndarray, shape: tuple[int, ...], cut_tight: bool = False,
                sharp_edges: bool = True) -> np.ndarray:
    """The smooth background under bright strokes, at `shape`: an opening wider than any stroke, on `small`,
    a tiny copy of the image (CROP_BACKGROUND_SIDE_PX px); with `sharp_edges`, following sharp shadows' edges.

    The copy is padded so that a shading ramp continues past the border (else the opening falls short of
    it there and the last band of paper looks like ink), while ink at the border is only repeated. In an
    image `cut_tight` to its digit, the ink at the border is the digit's strokes, and repeated outward they
    would be taken for background: there the copy is mirrored instead, which makes a stroke along the border
    only twice as wide.
    """
    height, width = shape[:2]
    kernel = disc(CROP_BACKGROUND_KERNEL_FRACTION * CROP_BACKGROUND_SIDE_PX)
    pad = kernel.shape[0]
    repeated = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    mirrored = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
    # max(repeat, linear extrapolation): a ramp rising toward the edge keeps rising; anything else repeats.
    padded = mirrored if cut_tight else repeated + np.maximum(repeated - mirrored, 0)
    opened = cv2.morphologyEx(padded, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
    smooth = cv2.blur(opened, kernel.shape, borderType=cv2.BORDER_REPLICATE)
    background = np.minimum(opened, smooth)[pad:-pad, pad:-pad]
    if sharp_edges:
        background = _with_sharp_edges(padded, background, kernel.shape[0])
    return cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)


def _with_sharp_edges(padded: np.ndarray, background: np.ndarray, kernel_side: int) -> np.ndarray:
    """The smoothed `background` raised to follow the sharp edge of a shadow or a dark object (`padded`: the
    tiny copy padded by `kernel_side` px, as the background was estimated on it).

    The smoothing keeps a bold stroke wider than the opening out of the estimate, but it also softens a
    sharp edge (a hand's shadow, a thumb) into a band that looks like ink and joins the digit. An opening
    SHARP_KERNEL times wider fits in no stroke, so where it is higher the estimate follows it. Near those
    edges the estimate takes its 3x3 maximum, or the linear upsampling would soften the edge again (strokes
    right beside it lose some contrast instead). Not for an image whose ink reaches every side: a digit cut
    tight, whose strokes along the border, padded outward, a wider disc could fit in.
    """
    sharp = _octagon_opening(padded, SHARP_KERNEL * kernel_side)[kernel_side:-kernel_side, kernel_side:-kernel_side]
    edges = (sharp > background + SHARP_STEP).astype(np.uint8)
    raised = np.maximum(background, sharp)
    if not edges.any():
        return raised
    square = np.ones((3, 3), np.uint8)
    return np.where(cv2.dilate(edges, square) > 0, cv2.dilate(raised, square), raised)


def _octagon_opening(image: np.ndarray, diameter: float) -> np.ndarray:
    """A morphological opening by an octagon of about `diameter` px, close to a disc's.

    Built from 3x3 crosses and squares, which OpenCV repeats quickly: on the padded 48 px copy 0.04 ms, where
    a 19 px disc took 0.25-0.4 ms.
    """
    radius = max(1, round(diameter / 2))
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    square = np.ones((3, 3), np.uint8)
    crosses, squares = radius - radius // 2, radius // 2
    opened = cv2.erode(image, cross, iterations=crosses, borderType=cv2.BORDER_REPLICATE)
    if squares:
        opened = cv2.erode(opened, square, iterations=squares, borderType=cv2.BORDER_REPLICATE)
    opened = cv2.dilate(opened, cross, iterations=crosses, borderType=cv2.BORDER_REPLICATE)
    if squares:
        opened = cv2.dilate(opened, square, iterations=squares, borderType=cv2.BORDER_REPLICATE)
    return opened


# A page


def page_ink_strength(gray: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """How much darker (or lighter) than the paper each pixel is, on a uint8 grayscale image, the floor that
    ink must pass, and whether the ink is dark: for dark ink on light paper or light ink on dark.

    Polarity: the side with the stronger tail once a coarse median of the page (ink is the minority) is
    removed; light ink must also win once a finer median is removed, which follows a lamp's glare (light,
    smooth and wider than strokes) but not strokes. Lighting: a closing (dark ink) or opening (light ink) wider
    than any stroke, on a small copy, gives the paper with its shading and with large dark or light things (a
    desk, a phone) but without the strokes, however large the digits. Floor: never within the paper's own
    noise, so a blank page has no ink.
    """
    small = shrunk_to(gray, PAGE_BACKGROUND_SIDE_PX)
    dark_ink = (_page_dark_ink_by_tails(gray, small, POLARITY_KERNEL)
                or _page_dark_ink_by_tails(gray, small, GLARE_KERNEL))
    paper = _page_paper(small, gray.shape, dark_ink, PAGE_BACKGROUND_KERNEL_PX)
    strength, floor = _strength_and_floor(gray, paper, dark_ink)
    return strength, floor, dark_ink


def page_finer_ink_strength(gray: np.ndarray, dark_ink: bool, stroke: float) -> tuple[np.ndarray, float]:
    """`page_ink_strength` with the paper also estimated by a closing FINE_KERNEL_STROKES times `stroke` (px) wide,
    where that lies below the wide estimate: a shadow narrower than the wide closing, lighter paper on both
    sides (a pen's or a phone's shadow across a sheet small in the frame), is paper, while strokes stay ink."""
    side = max(gray.shape)
    fine_side = min(side, max(PAGE_BACKGROUND_SIDE_PX, round(side * FINE_KERNEL / (FINE_KERNEL_STROKES * stroke))))
    wide = _page_paper(shrunk_to(gray, PAGE_BACKGROUND_SIDE_PX), gray.shape, dark_ink, PAGE_BACKGROUND_KERNEL_PX)
    fine = _page_paper(shrunk_to(gray, fine_side), gray.shape, dark_ink, FINE_KERNEL)
    return _strength_and_floor(gray, cv2.min(wide, fine) if dark_ink else cv2.max(wide, fine), dark_ink)


def _page_paper(small: np.ndarray, shape: tuple[int, int], dark_ink: bool, kernel_px: int) -> np.ndarray:
    """The paper with its shading, from a closing (dark ink) or opening (light ink) `kernel_px` wide on `small`,
    brought to `shape`."""
    kernel = disc(kernel_px)  # odd: PAGE_BACKGROUND_KERNEL_PX and FINE_KERNEL
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN, kernel,
                             borderType=cv2.BORDER_REPLICATE)
    return enlarged(cv2.blur(paper, (3, 3)), (shape[1], shape[0]))


def _strength_and_floor(gray: np.ndarray, background: np.ndarray, dark_ink: bool) -> tuple[np.ndarray, float]:
    """How far each pixel stands from the paper on the ink's side, and the floor ink must pass."""
    strength = cv2.subtract(background, gray) if dark_ink else cv2.subtract(gray, background)
    beyond = cv2.subtract(gray, background) if dark_ink else cv2.subtract(background, gray)
    typical = histogram_quantile(histogram(strength[::2, ::2]), 0.5)
    # the paper's noise, from the pixels on the side away from the ink (however much ink there is): the median
    # of a half-normal spread is 0.674 standard deviations
    away = histogram(beyond[::2, ::2])[1:]
    noise = (1 + histogram_quantile(away, 0.5)) / 0.674 if away.sum() else 0.0
    return strength, max(typical + PAGE_MIN_CONTRAST_LEVELS, typical + NOISE_SIGMAS * noise)


def _page_dark_ink_by_tails(gray: np.ndarray, small: np.ndarray, kernel: int) -> bool:
    """Whether the page's ink is dark: the stronger tail of the page minus its median `kernel` px wide, taken on
    `small` (the page shrunk to PAGE_BACKGROUND_SIDE_PX)."""
    height, width = gray.shape
    coarse = enlarged(cv2.medianBlur(small, kernel), (width, height))
    darker = histogram(cv2.subtract(coarse, gray)[::2, ::2])
    lighter = histogram(cv2.subtract(gray, coarse)[::2, ::2])
    # Ink under INK_TAIL of the page (a small sheet on a desk, the sheet's edge making the other tail) shows
    # only further out, where a clear winner decides; a near tie there is the paper's noise.
    for tail in FAR_TAILS:
        dark_far, light_far = histogram_quantile(darker, tail), histogram_quantile(lighter, tail)
        if max(dark_far, light_far) >= FAR_TAIL_RATIO * min(dark_far, light_far) + 1:
            return dark_far > light_far
    return histogram_quantile(darker, INK_TAIL) >= histogram_quantile(lighter, INK_TAIL)
