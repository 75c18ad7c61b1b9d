"""Ruled lines, grids, frames and a form's boxes, in a crop and on a page. Pure functions, numpy + OpenCV.

A crop (one digit, edge/preprocess.py; its ink map on the working copy):
    ruled_line_ink(ink, ...) -> np.ndarray        the share of an ink map that is ruled lines or a grid
    line_thickness(shape) -> int                  the thickest a ruled line may be (px)
    framing_sides(mask, box) / along_box(lines, box)   a box drawn around the digit, and the lines along it
A page (every digit, edge/multi.py; the components of its ink on the downscaled copy):
    crossed_by_lines(stats, labels) -> bool       whether ruled lines or a grid show
    line_runs(shape) -> (across, down)            the shortest runs (px) that can be a line
    page_angle(stats, labels) -> (degrees, sure)  how far the page's lines are turned
    box_walls(stats, labels) -> np.ndarray        the walls between a form's boxes (a mask)
"""
from __future__ import annotations

import cv2
import numpy as np
from digits.edge.imageops import disc
from digits.edge.marks import MIN_MARK_PX, SOLID_FILL

# A crop: shares of the working copy's side, px of the working copy
RULED_LINE_LENGTH = 0.5  # straight runs this long (fraction of the image's width/height) may be ruled lines ...
RULED_LINE_THICKNESS = 0.025  # ... when thinner than this fraction of the image's long side; ...
ENLARGED_LINE_PX = 1.5  # ... or than this many of its own pixels, in a tiny image enlarged to the working size
LINE_DRIFT = 2  # ... px (working copy) a line may wander off its axis over that length (a slightly turned page)
FRAME_COVER = 0.9  # ink running along this share of each side of the chosen piece's box, ...
FRAME_SIDES = 4  # ... on this many sides: a box drawn around the digit and joined to it; its lines lie ...
FRAME_BAND = 0.15  # ... within this share of the box's width (height) of its sides

# A page: shares of the page's side, px of its downscaled copy
ANGLE_AGREEMENT = 1.0  # degrees: the angle is sure when the widest mark's top and bottom edges agree this closely
LINE_RUN = 0.25  # when lines show (below), the ink of straight runs this long (of the page's side) is taken out:
# digits on a page are far shorter, and a run this short stays within its band on a slightly turned page
LINE_RUN_ASPECT = 4 / 3  # ... and never shorter than LINE_RUN of the short side of a page this shape, as long
STRUNG_ASPECT = 3.0  # lines show: digits strung on one, a mark LINE_RUN wide and this many times wider than high; ...
GRID_HOLES = 3  # ... or a grid, a mark twice LINE_RUN long with more holes than this (an 8 has two), ...
BROKEN_LINE_PIECES = 4  # ... or this many thin marks in a row along a line twice LINE_RUN long (a faint line
BROKEN_LINE_ALIGN = 0.01  # broken up by the threshold), their centres within this share of the page across
LINE_THICKNESS = 0.25  # a mark thinner than this (of its length; of the page's digit height) and ...
LINE_LENGTH = 2.0  # ... longer than this (of the page's digit height) is a ruled line (dropped)
BOX_SPAN = 0.7  # a row of boxes: in this share of its columns ink at the top and bottom this share of its height apart
WALL_COVER = 0.85  # a column inked along this much of a row of boxes' height: a wall between two boxes ...
MIN_WALLS, MAX_WALLS = 3, 40  # ... when there are this many (two boxes; a form's field has far fewer than 40), ...
WALL_STEP_TOLERANCE = 0.15  # ... standing this close to evenly spaced (of the typical spacing)


# A crop


def ruled_line_ink(ink: np.ndarray, drift: int = LINE_DRIFT, length: float = RULED_LINE_LENGTH,
                   shortest_px: int = 3, thickest_px: int = 0) -> np.ndarray:
    """The ink of thin straight lines running a good part of the way across (ruled paper, grids, margins).

    Args:
        ink: an ink map (ink bright on black), float or uint8.
        drift: px a line may wander off its axis over `length` (a slightly turned page).
        length: the shortest run that counts as a line, as a fraction of the image's width (or height) ...
        shortest_px: ... and in pixels.
        thickest_px: a line may be at least this thick (px; an enlarged tiny image's one-pixel line).
    Returns:
        The lines' share of `ink` (same shape and type; zero off the lines). A line is a run at least
        `length` of the image long (a grey opening with a long kernel, on a copy widened across by
        `drift`) that is thinner than RULED_LINE_THICKNESS of the image's side: thick strokes (a big "1")
        survive. Where a stroke crosses a line the run keeps the line's level, not the stroke's, so
        subtracting it leaves the stroke.
    """
    height, width = ink.shape
    line_width = max(line_thickness(ink.shape), thickest_px)
    lines = np.zeros_like(ink)
    for along, vertical in ((width, False), (height, True)):
        # (width, height) kernels for horizontal lines, turned for vertical ones
        run = (max(shortest_px, round(length * along)), 1)
        across = (1, 1 + 2 * drift + line_width)
        widen = (1, 1 + 2 * drift)
        if vertical:
            run, across, widen = run[::-1], across[::-1], widen[::-1]
        widened = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, widen))
        runs = cv2.morphologyEx(widened, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, run))
        thick = cv2.morphologyEx(runs, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, across))
        # saturating: an even-sized kernel's opening can exceed its input by a pixel's shift, and uint8 wraps
        lines = np.maximum(lines, np.minimum(cv2.subtract(runs, thick), ink))
    # A long run can also fit inside a stroke thicker than any line (a marker's bar along a tight crop): ink
    # that a disc wider than a line fits in is no line's.
    core = cv2.morphologyEx(ink, cv2.MORPH_OPEN, disc(line_width + 2 * drift + 1))
    return np.minimum(lines, cv2.subtract(ink, core))


def line_thickness(shape: tuple[int, ...]) -> int:
    """The thickest a ruled line may be in an image of this shape (px)."""
    return max(2, round(RULED_LINE_THICKNESS * max(shape)))


def framing_sides(mask: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """On how many sides of its box a mask runs along nearly the whole side (FRAME_COVER of it), within a
    line's width of the side (at most FRAME_BAND of the box): four for a box drawn around a digit, one for a
    7's top bar, three for some bold 3s cut small."""
    x, y, box_w, box_h = box
    inside = mask[y: y + box_h, x: x + box_w]
    band = line_thickness(mask.shape) + 2 * LINE_DRIFT  # a ruled line's width, as ruled_line_ink allows it
    band_y, band_x = (max(1, min(band, round(FRAME_BAND * side))) for side in (box_h, box_w))
    along_rows = [inside[:band_y].any(axis=0).mean(), inside[-band_y:].any(axis=0).mean()]
    along_columns = [inside[:, :band_x].any(axis=1).mean(), inside[:, -band_x:].any(axis=1).mean()]
    return sum(cover >= FRAME_COVER for cover in along_rows + along_columns)


def along_box(lines: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The lines within FRAME_BAND of the box's sides, inside or out (zero elsewhere)."""
    x, y, box_w, box_h = box
    band_x, band_y = round(FRAME_BAND * box_w), round(FRAME_BAND * box_h)
    near = np.zeros(lines.shape, bool)
    near[max(0, y - band_y): y + box_h + band_y, max(0, x - band_x): x + box_w + band_x] = True
    near[y + band_y: y + box_h - band_y, x + band_x: x + box_w - band_x] = False
    return np.where(near, lines, 0).astype(lines.dtype)


# A page


def line_runs(shape: tuple[int, int]) -> tuple[float, float]:
    """The shortest runs (px) that can be a line across the page and down it: LINE_RUN of that side, and never
    less than LINE_RUN of the short side of a 4:3 page as long as the image (a 4:3 or 3:4 photo is unchanged by
    that). Across a strip (a photo cropped close to a line of writing) a quarter of the height is one upright
    stroke of a digit."""
    height, width = shape
    shortest = LINE_RUN * max(shape) / LINE_RUN_ASPECT
    return max(LINE_RUN * width, shortest), max(LINE_RUN * height, shortest)


def _level_angle(mark: np.ndarray) -> float:
    """The angle (degrees, for cv2.getRotationMatrix2D) that turns a long mark (uint8, cut to its box) level:
    from how far its top edge climbs or falls between its two halves."""
    tops = np.argmax(mark, axis=0).astype(np.float32)  # the top line's row in each column
    half = mark.shape[1] // 2
    return float(np.degrees(np.arctan(np.median(tops[half:half * 2] - tops[:half]) / half)))


def page_angle(stats: np.ndarray, labels: np.ndarray) -> tuple[float, bool]:
    """How far the page's lines are turned (degrees, `_level_angle` of its widest mark), and whether that is sure:
    its top and bottom edges agree on it within ANGLE_AGREEMENT (a ruled line's edges run parallel; a ragged
    edge, strokes standing out of it or a grid's broken top, says less)."""
    label = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_WIDTH]))
    x, y, w, h = (int(value) for value in stats[label][:4])
    mark = (labels[y: y + h, x: x + w] == label).astype(np.uint8)
    top, bottom = _level_angle(mark), -_level_angle(mark[::-1])
    return ((top + bottom) / 2, True) if abs(top - bottom) <= ANGLE_AGREEMENT else (top, False)


def box_walls(stats: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Where the walls between a form's boxes stand (a row of boxes to write an ID in): in a mark as wide as
    lines are long, ruled along its top and its bottom, the columns inked along WALL_COVER of its height, at
    least MIN_WALLS of them, evenly spaced; measured with the mark turned level first (a photo is rarely
    square to the page). Once the long lines are out, the walls would be read as 1s, and digits touching them
    would be joined. Returns a mask."""
    height, width = labels.shape
    walls = np.zeros(labels.shape, np.uint8)
    for label in range(1, len(stats)):
        x, y, w, h = (int(value) for value in stats[label][:4])
        if w < LINE_RUN * width or w < STRUNG_ASPECT * h or h < MIN_MARK_PX:
            continue
        component = (labels[y: y + h, x: x + w] == label).astype(np.uint8)
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), _level_angle(component), 1.0)
        level = cv2.warpAffine(component, turn, (w, h), flags=cv2.INTER_NEAREST)
        found = _walls_of_level_boxes(level, (x == 0, x + w == width))
        if found is not None:
            back = cv2.warpAffine(found, cv2.invertAffineTransform(turn), (w, h), flags=cv2.INTER_NEAREST)
            walls[y: y + h, x: x + w] |= back & component
    # a column or two beside each wall: its anti-aliased edge
    return cv2.dilate(walls, np.ones((1, 5), np.uint8)).astype(bool)


def _walls_of_level_boxes(level: np.ndarray, runs_off: tuple[bool, bool] = (False, False)) -> np.ndarray | None:
    """The walls' pixels (uint8 mask) of a level row of boxes (a binary mark, turned level), or None when the
    mark is not one: ruled along its top and bottom (nearly every column inked at both, a row's height apart;
    under perspective the height changes along the row), with evenly spaced walls that close it at both ends
    (an end wall printed with a gap is taken where the lines end, within a box of the outer wall found, unless
    the mark `runs_off` the image at that end, left or right: ruled paper's lines do)."""
    inked = level.any(axis=0)
    top = np.argmax(level, axis=0)
    bottom = level.shape[0] - 1 - np.argmax(level[::-1], axis=0)
    span = np.where(inked, bottom - top + 1, 0)
    tall = span >= BOX_SPAN * np.median(span[inked])
    if np.median(span[inked]) < MIN_MARK_PX or np.count_nonzero(tall) < BOX_SPAN * level.shape[1]:
        return None  # not boxes: digits strung on one ruled line (only their own columns are tall)
    rows = np.arange(level.shape[0])[:, None]
    between = (rows >= top) & (rows <= bottom)
    # a pixel of sway either side: under perspective the walls are not quite parallel once the mark is level
    swayed = cv2.dilate(level, np.ones((1, 3), np.uint8))
    columns = tall & ((swayed * between).sum(axis=0) >= WALL_COVER * np.maximum(span, 1))
    steps = np.diff(columns.astype(np.int8), prepend=0, append=0)
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    if not MIN_WALLS <= len(starts) <= MAX_WALLS:
        return None  # a 1 standing upright between two ruled lines, touching both; or hatching, a barcode
    # The walls stand evenly spaced (under perspective the spacing changes slowly along the row): the
    # longest chain of candidates whose every gap is within WALL_STEP_TOLERANCE of the one before. A digit's
    # upright stroke touching both lines breaks that step.
    centres = (starts + ends) / 2
    in_step = _longest_even_chain(centres)
    walls = centres[in_step]
    if len(walls) < MIN_WALLS:
        return None
    # A row of boxes is closed at both ends; ruled lines run on past any upright strokes. An end wall printed
    # with a gap is no candidate: the lines may run on by a box past the outer wall found, and end at it (not
    # at the image's edge).
    step = float(np.median(np.diff(walls)))
    tolerance = WALL_STEP_TOLERANCE * step
    reach_left, reach_right = (tolerance if off else step + tolerance for off in runs_off)
    ruled = np.flatnonzero(tall)
    if walls[0] > ruled[0] + reach_left or walls[-1] < ruled[-1] - reach_right:
        return None
    found = np.zeros(level.shape, np.uint8)
    for start, end in zip(starts[in_step], ends[in_step]):
        found[:, max(0, start - 1): end + 1] = 1  # a pixel more: turned back, it shifts
    wall_width = int(np.median(ends[in_step] - starts[in_step]))
    if walls[0] > ruled[0] + tolerance:
        found[:, max(0, ruled[0] - 1): ruled[0] + wall_width + 1] = 1
    if walls[-1] < ruled[-1] - tolerance:
        found[:, max(0, ruled[-1] - wall_width): ruled[-1] + 2] = 1
    return found & between.astype(np.uint8)


def _longest_even_chain(centres: np.ndarray) -> np.ndarray:
    """Which of the sorted positions form the longest chain whose consecutive gaps each differ from the gap
    before by at most WALL_STEP_TOLERANCE of it (a mask; two positions when no three keep step)."""
    count = len(centres)
    length = np.full((count, count), 2, int)  # the longest chain ending with positions i < j
    before = np.full((count, count), -1, int)
    for j in range(count):
        for i in range(j):
            gap = centres[j] - centres[i]
            for k in range(i):
                previous = centres[i] - centres[k]
                if abs(gap - previous) <= WALL_STEP_TOLERANCE * previous and length[k, i] + 1 > length[i, j]:
                    length[i, j], before[i, j] = length[k, i] + 1, k
    chain = np.zeros(count, bool)
    if count < 2:
        chain[:] = True
        return chain
    i, j = (int(index) for index in np.unravel_index(np.argmax(np.triu(length, 1)), length.shape))
    chain[j] = True
    while i >= 0:
        chain[i] = True
        i, j = int(before[i, j]), i
    return chain


def crossed_by_lines(stats: np.ndarray, labels: np.ndarray) -> bool:
    """Whether ruled lines or a grid show: a mark a line's shortest run wide (a quarter of the page), many times
    wider than high and not solid (digits strung on a ruled line), or twice that long and full of holes (a
    grid), or thin marks lined up along twice that (a faint line broken into pieces). A digit filling the page
    is neither, nor is a desk (solid); a lone ruled line is dropped later as it is.
    """
    if _broken_line(stats, labels.shape):
        return True
    across, down = line_runs(labels.shape)
    for label in range(1, len(stats)):
        x, y, w, h, area = (int(value) for value in stats[label])
        if w < across and h < down:
            continue
        if w >= across and w >= STRUNG_ASPECT * h and area < SOLID_FILL * w * h:
            return True  # digits strung on a ruled line (a tall 1 is not wide)
        if w < 2 * across and h < 2 * down:
            continue
        component = (labels[y: y + h, x: x + w] == label).astype(np.uint8)
        _, hierarchy = cv2.findContours(component, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if hierarchy is not None and int(np.sum(hierarchy[0, :, 3] >= 0)) > GRID_HOLES:
            return True
    return False


def _broken_line(stats: np.ndarray, shape: tuple[int, int]) -> bool:
    """Whether at least BROKEN_LINE_PIECES thin marks line up across the page (their centres within
    BROKEN_LINE_ALIGN of the page's side of each other, together spanning twice a line's shortest run): the
    pieces a faint ruled line or grid line breaks into. A row of 1s lies across their length, not along it."""
    boxes = stats[1:].astype(np.int64)
    x, y, w, h = (boxes[:, column] for column in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                                  cv2.CC_STAT_HEIGHT))
    tolerance = max(3.0, BROKEN_LINE_ALIGN * max(shape))
    across, down = line_runs(shape)
    # vertical pieces (along y, lined up in x), then horizontal ones
    for length, width, start, centre, run in ((h, w, y, x + w / 2, down), (w, h, x, y + h / 2, across)):
        thin = (length >= MIN_MARK_PX) & (width <= LINE_THICKNESS * length)
        if np.count_nonzero(thin) < BROKEN_LINE_PIECES:
            continue
        order = np.argsort(centre[thin])
        centres, starts = centre[thin][order], start[thin][order]
        ends = starts + length[thin][order]
        first = 0
        for last in range(len(centres)):  # windows of pieces within the tolerance of each other across
            while centres[last] - centres[first] > tolerance:
                first += 1
            if (last - first + 1 >= BROKEN_LINE_PIECES
                    and ends[first:last + 1].max() - starts[first:last + 1].min() >= 2 * run):
                return True
    return False
