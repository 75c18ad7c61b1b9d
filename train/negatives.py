"""Seeded "not a digit" images (label NEGATIVE_LABEL) in MNIST's layout, for a model's 11th class.

Each image is drawn as ink (float, white on black) on a small canvas and laid out by the runner's own
`digits.edge.preprocess.fit_to_mnist` (strokes brought into MNIST's width range, fitted into 20x20, centred by
centre of mass), so that it looks like what `digits-edge` hands the model when a photo shows no digit. Kinds:

- letter: one of the 52 Latin letters (its name recorded), from OpenCV's Hershey fonts or the TTF faces that
  matplotlib ships, drawn in a random "hand": slant, rotation, aspect, stroke weight and a smooth random
  (Simard-style elastic) displacement. Letters whose handwritten shape is a digit's (DIGIT_LIKE_LETTERS) are
  never drawn unless asked for; HARD_LETTERS (near a digit, yet not one) are, and are worth reporting apart.
- scribble: a tangle, a coil of loops, a spiral of several turns, a star, a hash or an asterisk.
- strike: a caller's digit struck out: a line running well beyond it on both sides (or two), an X, a zigzag,
  hatching or a dense tangle over it, in the digit's own stroke width. Never a short bar (a crossed 7).
- cut: a caller's digit (never a 1) of which 35-65% of the ink is cut away by a straight border from one side or
  a corner; pieces that read as a digit (a closed loop, a lone stroke, a narrow upright piece, the rest of a 2,
  4, 7 or 9 cut from below, of a 3 or an 8 cut from the left) are drawn again.
- paper: what thresholded paper may leave: a half-plane (the paper's edge, a shadow, hard or soft), a wedge (a
  corner), a broad smudge, or a cluster of specks.

Splits cannot leak: each split has its own random stream, and letters of the "heldout" split come from faces that
"train" and "validation" never use (`letter_faces`):
    heldout: Hershey SCRIPT_COMPLEX and TRIPLEX (each upright and italic), DejaVu Serif Italic and Bold Italic,
             STIX General Italic, Computer Modern text italic (cmti10);
    train / validation: every other Hershey font (SIMPLEX, PLAIN, DUPLEX, COMPLEX, COMPLEX_SMALL, SCRIPT_SIMPLEX,
             upright and italic) and TTF face (DejaVu Sans, Sans Mono and Serif in their other styles, STIX
             General regular, bold and bold italic, cmr10, cmb10, cmss10, cmtt10, cmmi10).
The digits struck out or cut come from the caller: training digits for train/validation, MNIST's test digits for
heldout. numpy, OpenCV and Pillow (matplotlib's fonts); no tensorflow.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from digits.edge.preprocess import MNIST_SIDE, fit_to_mnist

NEGATIVE_LABEL = 10
KINDS = ("letter", "scribble", "strike", "cut", "paper")
DEFAULT_KIND_SHARES = {"letter": 0.5, "scribble": 0.15, "strike": 0.1, "cut": 0.15, "paper": 0.1}
SPLITS = ("train", "validation", "heldout")
SPLIT_STREAMS = {"train": 0, "validation": 1, "heldout": 2}  # each split's own seed stream

ALL_LETTERS = string.ascii_uppercase + string.ascii_lowercase
# Letters whose handwritten shape is a digit's: a negative drawn from them would teach the model to reject real
# digits. O and o are 0s; I and l are 1s (I's serifs are a footed, flagged 1); i is a 1 once its dot falls away
# as a speck (the runner drops small pieces).
DIGIT_LIKE_LETTERS = "OoIli"
# Near a digit, yet not one: trained on, worth reporting apart. S s ~ 5, Z z ~ 2, B ~ 8, g q ~ 9, b G ~ 6. D and Q
# are here too (near a 0): D's straight back with its two corners and Q's tail across the bowl are drawn in
# every hand, and a 0 has neither.
HARD_LETTERS = "SsZzBgqbGDQ"

CANVAS_PX = 64  # letters, scribbles and paper are drawn on a square canvas this large ...
CANVAS_MARGIN_PX = 8  # ... inside this margin
GLYPH_HEIGHT_PX = 40  # a capital's height when a glyph is first drawn
HERSHEY_FONTS = {"SIMPLEX": cv2.FONT_HERSHEY_SIMPLEX, "PLAIN": cv2.FONT_HERSHEY_PLAIN,
                 "DUPLEX": cv2.FONT_HERSHEY_DUPLEX, "COMPLEX": cv2.FONT_HERSHEY_COMPLEX,
                 "TRIPLEX": cv2.FONT_HERSHEY_TRIPLEX, "COMPLEX_SMALL": cv2.FONT_HERSHEY_COMPLEX_SMALL,
                 "SCRIPT_SIMPLEX": cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, "SCRIPT_COMPLEX": cv2.FONT_HERSHEY_SCRIPT_COMPLEX}
HERSHEY_THICKNESS_PX = (2, 3, 4, 6)  # at GLYPH_HEIGHT_PX: thin pen to marker
TTF_FACES = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique", "DejaVuSansMono",
             "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique", "DejaVuSerif",
             "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic", "STIXGeneral", "STIXGeneralBol",
             "STIXGeneralItalic", "STIXGeneralBolIta", "cmr10", "cmb10", "cmss10", "cmtt10", "cmti10", "cmmi10")
HELDOUT_HERSHEY = ("SCRIPT_COMPLEX", "TRIPLEX")
HELDOUT_TTF = ("DejaVuSerif-Italic", "DejaVuSerif-BoldItalic", "STIXGeneralItalic", "cmti10")
HERSHEY_PREFIX = "Hershey "
ITALIC_SUFFIX = " italic"

HAND_ROTATION_DEG = 12.0
HAND_SHEAR = 0.35  # slant: x shifted by this share of the height at most
HAND_ASPECT = (0.7, 1.35)  # width squeezed or stretched by this factor
ELASTIC_GRID = 4  # the displacement field: random offsets on this coarse grid, smoothly interpolated ...
ELASTIC_PX = (1.0, 3.5)  # ... of this standard deviation, px on the canvas

SCRIBBLES = ("tangle", "coil", "spiral", "star", "hash", "asterisk")
STRIKES = ("line", "two lines", "cross", "zigzag", "hatching", "tangle")
STRIKE_SCALE = 2  # a 28x28 digit is struck out enlarged this much ...
STRIKE_PAD_PX = 24  # ... with this much room around it for the strike
STRIKE_BEYOND = 0.12  # every strike runs at least this share of the digit's size beyond it on each side
CUTS = ("side", "corner")
CUT_KEEP = (0.35, 0.65)  # share of the digit's ink that a cut leaves
CUT_SKIPPED_DIGITS = (1,)  # a short 1 is still a 1
# Cuts that leave a digit (directions from the kept ink to the removed ink, image coordinates, y down): a 2, 4,
# 7 or 9 without its lower part reads as a 7, 4, 7 or 9 again; a 3, 8 or 9 without its left part as a 3 or 7.
DOWN, LEFT = (0.0, 1.0), (-1.0, 0.0)
CUT_FORBIDDEN = {2: (DOWN,), 4: (DOWN,), 7: (DOWN,), 9: (DOWN, LEFT), 3: (LEFT,), 8: (LEFT,)}
CUT_FORBIDDEN_COS = 0.5  # within 60 degrees of a forbidden direction
CUT_MIN_WIDTH = 0.45  # a piece narrower than this share of its height reads as a 1
MAX_ELONGATION = 3.5  # ink this many times longer than wide (principal axes) is a lone stroke: a 1; drawn again
CUT_MAX_LIKENESS = 0.45  # a piece that, laid out again, covers the digit this much (IoU) still reads as it
PAPER = ("half-plane", "wedge", "smudge", "specks")
PAPER_FILL = (0.2, 0.6)  # a half-plane or wedge covers this share of the canvas
MAX_TRIES = 50


@dataclass(frozen=True)
class Negatives:
    """Negatives in MNIST's layout and what each one is."""

    images: np.ndarray  # uint8 N x 28 x 28, white ink on black
    kinds: np.ndarray  # str, N: one of KINDS
    letters: np.ndarray  # str, N: the letter drawn, '' for other kinds
    styles: np.ndarray  # str, N: the letter's face, or the scribble's, strike's, cut's or paper's style


def letter_faces(split: str) -> tuple[str, ...]:
    """The faces letters of a split are drawn in: the held-out split's never appear in train's or validation's."""
    _check_split(split)
    heldout = split == "heldout"
    hershey = [name for name in HERSHEY_FONTS if (name in HELDOUT_HERSHEY) == heldout]
    ttf = [name for name in TTF_FACES if (name in HELDOUT_TTF) == heldout]
    return (tuple(HERSHEY_PREFIX + name + style for name in hershey for style in ("", ITALIC_SUFFIX))
            + tuple(ttf))


def negative_letters(include_hard: bool = True, include_digit_like: bool = False) -> str:
    """The letters drawn as negatives: all 52 but DIGIT_LIKE_LETTERS (and HARD_LETTERS unless `include_hard`)."""
    return "".join(letter for letter in ALL_LETTERS
                   if (include_digit_like or letter not in DIGIT_LIKE_LETTERS)
                   and (include_hard or letter not in HARD_LETTERS))


def make_negatives(count: int, seed: int, split: str, digits: np.ndarray | None = None,
                   digit_labels: np.ndarray | None = None, shares: dict[str, float] | None = None,
                   letters: str | None = None) -> Negatives:
    """`count` negatives of the kinds in `shares` (default DEFAULT_KIND_SHARES), in a shuffled order.

    Args:
        count: how many images.
        seed: with `split`, decides every image: the same arguments give the same bytes.
        split: "train", "validation" or "heldout" (own random stream; held-out letters in their own faces).
        digits, digit_labels: uint8 N x 28 x 28 MNIST digits and their labels, struck out or cut (needed when
            `shares` asks for strike or cut).
        shares: kind -> share of `count` (normalised; kinds left out are not drawn).
        letters: the letters drawn (default `negative_letters()`).
    Raises:
        ValueError: an unknown split or kind, a negative count or share, unknown letters, missing digits.
    """
    _check_split(split)
    if not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"count must be a whole number >= 0, not {count!r}")
    counts = _kind_counts(count, DEFAULT_KIND_SHARES if shares is None else shares)
    letters = negative_letters() if letters is None else letters
    if not letters or set(letters) - set(ALL_LETTERS):
        raise ValueError(f"letters must be Latin letters (A-Z, a-z), not {letters!r}")
    if counts["strike"] or counts["cut"]:
        _check_digits(digits, digit_labels)
    rng = np.random.default_rng([seed, SPLIT_STREAMS[split]])
    kinds = np.repeat(np.array(KINDS), [counts[kind] for kind in KINDS])
    rng.shuffle(kinds)
    faces = letter_faces(split)
    cuttable = (np.flatnonzero(~np.isin(digit_labels, CUT_SKIPPED_DIGITS)) if counts["cut"] else np.zeros(0, int))
    if counts["cut"] and not cuttable.size:
        raise ValueError(f"cut needs digits other than {CUT_SKIPPED_DIGITS}")
    images = np.zeros((count, MNIST_SIDE, MNIST_SIDE), np.uint8)
    drawn_letters, styles = [""] * count, [""] * count
    for index, kind in enumerate(kinds):
        for _ in range(MAX_TRIES):
            if kind == "letter":
                letter, style = str(rng.choice(list(letters))), str(rng.choice(faces))
                ink = _hand(_glyph(style, letter, int(rng.choice(HERSHEY_THICKNESS_PX))), rng)
                drawn_letters[index] = letter
            elif kind == "scribble":
                style = str(rng.choice(SCRIBBLES))
                ink = _hand(_scribble(style, rng), rng)
            elif kind == "strike":
                digit, marks, style = strike_out(digits[rng.integers(len(digits))], rng)
                ink = np.maximum(digit, marks)
            elif kind == "cut":
                choice = int(rng.choice(cuttable))
                cut = cut_away(digits[choice], int(digit_labels[choice]), rng)
                if cut is None:
                    continue
                piece, style = cut
                ink = cv2.resize(piece, None, fx=STRIKE_SCALE, fy=STRIKE_SCALE, interpolation=cv2.INTER_LINEAR)
            else:
                style = str(rng.choice(PAPER))
                ink = _paper(style, rng)
            fitted = fit_to_mnist(ink)
            if fitted is not None and _elongation(*np.nonzero(fitted > 0.5)[::-1]) <= MAX_ELONGATION:
                break  # (a lone stroke, a thin bar or sliver, reads as a 1)
        else:
            raise RuntimeError(f"no {kind} negative came out in {MAX_TRIES} tries")
        images[index] = np.round(fitted * 255).astype(np.uint8)
        styles[index] = style
    return Negatives(images, kinds.astype(str), np.array(drawn_letters, dtype=str), np.array(styles, dtype=str))


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")


def _kind_counts(count: int, shares: dict[str, float]) -> dict[str, int]:
    """How many of each kind: `count` split by the shares (largest remainders), every kind asked for at least
    once when `count` allows."""
    unknown = set(shares) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(sorted(unknown))}: use {', '.join(KINDS)}")
    if any(share < 0 for share in shares.values()) or sum(shares.values()) <= 0:
        raise ValueError(f"shares must be >= 0 with a positive sum, not {shares}")
    total = sum(shares.values())
    exact = {kind: count * shares.get(kind, 0.0) / total for kind in KINDS}
    counts = {kind: int(exact[kind]) for kind in KINDS}
    by_remainder = sorted(KINDS, key=lambda kind: (counts[kind] > 0 or exact[kind] == 0, counts[kind] - exact[kind]))
    for kind in by_remainder[:count - sum(counts.values())]:
        counts[kind] += 1
    return counts


def _check_digits(digits: np.ndarray | None, labels: np.ndarray | None) -> None:
    if digits is None or labels is None or len(digits) == 0:
        raise ValueError("strike and cut negatives need digits and digit_labels")
    if digits.ndim != 3 or digits.shape[1:] != (MNIST_SIDE, MNIST_SIDE) or len(labels) != len(digits):
        raise ValueError(f"digits must be N x {MNIST_SIDE} x {MNIST_SIDE} with N labels, not {digits.shape} "
                         f"with {len(labels)}")


# --- letters ---------------------------------------------------------------------------------------------------


@cache
def _glyph(face: str, letter: str, hershey_thickness: int) -> np.ndarray:
    """One letter in one face, float32 white on black, cropped to its ink (`hershey_thickness` for Hershey)."""
    if face.startswith(HERSHEY_PREFIX):
        name = face[len(HERSHEY_PREFIX):].removesuffix(ITALIC_SUFFIX)
        font = HERSHEY_FONTS[name] | (cv2.FONT_ITALIC if face.endswith(ITALIC_SUFFIX) else 0)
        (_, cap_height), _ = cv2.getTextSize("H", font, 1.0, 1)
        scale = GLYPH_HEIGHT_PX / cap_height
        canvas = np.zeros((4 * GLYPH_HEIGHT_PX, 4 * GLYPH_HEIGHT_PX), np.uint8)
        cv2.putText(canvas, letter, (GLYPH_HEIGHT_PX, 2 * GLYPH_HEIGHT_PX), font, scale, 255, hershey_thickness,
                    cv2.LINE_AA)
    else:
        from PIL import Image, ImageDraw

        font = _ttf_font(face)
        image = Image.new("L", (4 * GLYPH_HEIGHT_PX, 4 * GLYPH_HEIGHT_PX))
        ImageDraw.Draw(image).text((GLYPH_HEIGHT_PX, GLYPH_HEIGHT_PX), letter, font=font, fill=255)
        canvas = np.asarray(image)
    ys, xs = np.nonzero(canvas > 0)
    return canvas[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1].astype(np.float32) / 255.0


@cache
def _ttf_font(face: str):
    """A TTF face that matplotlib ships, at a size whose capitals are about GLYPH_HEIGHT_PX tall."""
    import matplotlib
    from PIL import ImageFont

    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{face}.ttf"),
                              round(1.4 * GLYPH_HEIGHT_PX))


def _hand(shape: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink redrawn on the canvas as a hand would: rotated, slanted, squeezed or stretched, smoothly displaced
    (elastic) and, now and then, bolder."""
    angle = np.radians(rng.uniform(-HAND_ROTATION_DEG, HAND_ROTATION_DEG))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-HAND_SHEAR, HAND_SHEAR)], [0.0, 1.0]])
    linear = rotation @ shear @ np.diag([rng.uniform(*HAND_ASPECT), 1.0])
    height, width = shape.shape
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], float) - [width / 2, height / 2]
    extent = np.ptp(corners @ linear.T, axis=0).max()
    linear *= (CANVAS_PX - 2 * CANVAS_MARGIN_PX) / extent
    # Where each canvas pixel (displaced by the elastic field) comes from in `shape`.
    field = cv2.resize(rng.normal(0.0, rng.uniform(*ELASTIC_PX), (ELASTIC_GRID, ELASTIC_GRID, 2)).astype(np.float32),
                       (CANVAS_PX, CANVAS_PX), interpolation=cv2.INTER_CUBIC)
    inverse = np.linalg.inv(linear).T.astype(np.float32)
    points = (_canvas_grid() + field - CANVAS_PX / 2) @ inverse + np.float32([width / 2, height / 2])
    ink = cv2.remap(shape, points[..., 0].astype(np.float32), points[..., 1].astype(np.float32), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    bolder = int(rng.choice((0, 0, 0, 0, 3)))
    return cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (bolder, bolder))) if bolder else ink


@cache
def _canvas_grid() -> np.ndarray:
    """Each canvas pixel's (x, y), float32 CANVAS_PX x CANVAS_PX x 2."""
    return np.stack(np.meshgrid(np.arange(CANVAS_PX), np.arange(CANVAS_PX)), axis=-1).astype(np.float32)


# --- scribbles -------------------------------------------------------------------------------------------------


def _scribble(style: str, rng: np.random.Generator) -> np.ndarray:
    """A scribble of the style drawn on the canvas (then redrawn by `_hand`)."""
    turns = np.linspace(0.0, 1.0, 200)
    if style == "tangle":
        strokes = [_smooth(rng.uniform(0.0, 1.0, (int(rng.integers(7, 13)), 2)))]
    elif style == "coil":
        loops, radius = rng.integers(3, 7), rng.uniform(0.6, 1.0)
        t = turns * 2 * np.pi * loops
        strokes = [np.stack([t / (2 * np.pi) - radius * np.sin(t) * 0.5, -radius * np.cos(t)], axis=1)]
    elif style == "spiral":
        t = turns * 2 * np.pi * rng.uniform(2.3, 3.2)
        radius, direction = t + 2 * np.pi, rng.choice((-1.0, 1.0))  # an open centre: not a blob
        strokes = [np.stack([radius * np.cos(direction * t), radius * np.sin(direction * t)], axis=1)]
    elif style == "star":
        start = rng.uniform(0, 2 * np.pi)
        tips = start + np.arange(6) * 4 * np.pi / 5
        strokes = [np.stack([np.cos(tips), np.sin(tips)], axis=1) + rng.normal(0, 0.05, (6, 2))]
    elif style == "hash":
        a, b = rng.uniform(0.25, 0.4), rng.uniform(0.6, 0.75)
        strokes = [np.array([[0.0, a], [1.0, a]]), np.array([[0.0, b], [1.0, b]]),
                   np.array([[a, 0.0], [a, 1.0]]), np.array([[b, 0.0], [b, 1.0]])]
        strokes = [stroke + rng.normal(0, 0.03, (2, 2)) for stroke in strokes]
    else:  # asterisk
        spokes = int(rng.integers(3, 5))
        angles = rng.uniform(0, np.pi) + np.arange(spokes) * np.pi / spokes
        strokes = [np.array([[-np.cos(a), -np.sin(a)], [np.cos(a), np.sin(a)]]) for a in angles]
    return _draw(strokes, thickness=int(rng.integers(1, 4)))  # fit_to_mnist brings it into MNIST's range


def _smooth(points: np.ndarray, rounds: int = 3) -> np.ndarray:
    """A polyline's corners rounded off (Chaikin's corner cutting)."""
    for _ in range(rounds):
        cuts = np.stack([0.75 * points[:-1] + 0.25 * points[1:], 0.25 * points[:-1] + 0.75 * points[1:]], axis=1)
        points = np.concatenate([points[:1], cuts.reshape(-1, 2), points[-1:]])
    return points


def _draw(strokes: list[np.ndarray], thickness: int) -> np.ndarray:
    """Polylines (any coordinates) scaled together into the canvas's margin and drawn, float32 white on black."""
    every = np.concatenate(strokes)
    low, size = every.min(axis=0), max(np.ptp(every, axis=0).max(), 1e-6)
    scale = (CANVAS_PX - 2 * CANVAS_MARGIN_PX) / size
    canvas = np.zeros((CANVAS_PX, CANVAS_PX), np.float32)
    for stroke in strokes:
        _polyline(canvas, (stroke - low) * scale + CANVAS_MARGIN_PX, thickness)
    return canvas


def _polyline(canvas: np.ndarray, points: np.ndarray, thickness: int) -> None:
    """Draw an open polyline (float coordinates, x y) in place, anti-aliased, at 1/16 px."""
    cv2.polylines(canvas, [np.round(points * 16).astype(np.int32)], False, 1.0, thickness, cv2.LINE_AA, shift=4)


# --- struck-out and cut digits -----------------------------------------------------------------------------------


def strike_out(digit28: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
    """A uint8 28x28 digit enlarged (STRIKE_SCALE) on a canvas with room around it, the strike's marks on the
    same canvas (float32 white on black, drawn in the digit's stroke width) and the strike's style. Every strike
    runs at least STRIKE_BEYOND of the digit's size beyond it, left and right."""
    side = MNIST_SIDE * STRIKE_SCALE
    digit = np.pad(cv2.resize(digit28.astype(np.float32) / 255.0, (side, side), interpolation=cv2.INTER_LINEAR),
                   STRIKE_PAD_PX)
    mask = digit > 0.5
    ys, xs = np.nonzero(mask)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    size = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    thickness = max(2, round((4 * float(distance[mask].mean()) - 2) * rng.uniform(0.6, 1.0)))
    style = str(rng.choice(STRIKES))

    def beyond(low: float = STRIKE_BEYOND, high: float = 2 * STRIKE_BEYOND) -> float:
        return rng.uniform(low, high) * size

    if style in ("line", "two lines"):
        slope = np.tan(np.radians(rng.uniform(-35, 35)))
        left, right = x0 - beyond(0.3, 0.6), x1 + beyond(0.3, 0.6)
        heights = [y0 + rng.uniform(0.3, 0.7) * (y1 - y0)]
        if style == "two lines":
            heights = [heights[0] - 0.12 * size, heights[0] + 0.12 * size]
        strokes = [np.array([[left, y + (left - cx) * slope], [right, y + (right - cx) * slope]]) for y in heights]
    elif style == "cross":
        out = beyond()
        strokes = [np.array([[x0 - out, y0 - out], [x1 + out, y1 + out]]),
                   np.array([[x1 + out, y0 - out], [x0 - out, y1 + out]])]
    elif style == "zigzag":
        corners = int(rng.integers(5, 10))
        amplitude = rng.uniform(0.25, 0.45) * (y1 - y0)
        xs_zig = np.linspace(x0 - beyond(), x1 + beyond(), corners)
        ys_zig = cy + rng.uniform(-0.15, 0.15) * (y1 - y0) + amplitude * (-1.0) ** np.arange(corners)
        strokes = [np.stack([xs_zig, ys_zig], axis=1)]
    elif style == "hatching":
        out = beyond()
        lines = int(rng.integers(3, 7))
        tilt = rng.choice((-1.0, 1.0)) * rng.uniform(0.6, 1.6)  # x per y
        rise = abs(tilt) * (y1 - y0 + 2 * out)  # each line's run across the box's height
        starts = (np.linspace(x0 - out - rise, x1 + out, lines) if tilt > 0
                  else np.linspace(x0 - out, x1 + out + rise, lines))
        strokes = [np.array([[s, y1 + out], [s + tilt * (y1 - y0 + 2 * out), y0 - out]]) for s in starts]
        marks = _marks(strokes, digit.shape, thickness)
        box = np.zeros_like(marks)
        box[max(0, int(y0 - out)): int(y1 + out) + 1, max(0, int(x0 - out)): int(x1 + out) + 1] = 1.0
        return digit, marks * box, style
    else:  # a dense tangle from beyond one side to beyond the other
        out = beyond()
        middle = np.stack([rng.uniform(x0, x1, 12), rng.uniform(y0, y1, 12)], axis=1)
        ends = np.array([[x0 - out, rng.uniform(y0, y1)], [x1 + out, rng.uniform(y0, y1)]])
        strokes = [_smooth(np.concatenate([ends[:1], middle, ends[1:]]), rounds=2)]
    return digit, _marks(strokes, digit.shape, thickness), style


def _marks(strokes: list[np.ndarray], shape: tuple[int, int], thickness: int) -> np.ndarray:
    canvas = np.zeros(shape, np.float32)
    for stroke in strokes:
        _polyline(canvas, stroke, thickness)
    return canvas


def cut_away(digit28: np.ndarray, label: int, rng: np.random.Generator) -> tuple[np.ndarray, str] | None:
    """A uint8 28x28 MNIST digit with CUT_KEEP of its ink kept behind a straight border (from one side) or two
    (a corner), float32 in [0, 1] white on black, and the cut's style; None when the cut drawn would leave a piece
    that reads as a digit (see the module's docstring) or too much or too little ink."""
    ink = digit28.astype(np.float32) / 255.0
    ys, xs = np.nonzero(ink > 0)
    weights = ink[ys, xs]
    keep = rng.uniform(*CUT_KEEP)
    style = str(rng.choice(CUTS))
    angle = rng.uniform(0, 2 * np.pi)
    normals = [np.array([np.cos(angle), np.sin(angle)])]
    if style == "corner":
        across = angle + np.pi / 2 + rng.uniform(-0.3, 0.3)  # a corner of about a right angle
        normals.append(np.array([np.cos(across), np.sin(across)]))
    removal = sum(normals) / np.linalg.norm(sum(normals))
    if any(float(removal @ np.array(forbidden)) > CUT_FORBIDDEN_COS for forbidden in CUT_FORBIDDEN.get(label, ())):
        return None
    projections = [xs * normal[0] + ys * normal[1] for normal in normals]
    ranked = [np.sort(projection) for projection in projections]
    # One parameter (a rank) moves the border(s) through the ink: find where the kept share is `keep`.
    low, high = 0, xs.size - 1
    while low < high:
        rank = (low + high) // 2
        removed = np.logical_and.reduce([projection > order[rank] for projection, order in zip(projections, ranked)])
        if weights[~removed].sum() > keep * weights.sum():
            high = rank
        else:
            low = rank + 1
    removed = np.logical_and.reduce([projection > order[low] for projection, order in zip(projections, ranked)])
    piece = np.zeros_like(ink)
    piece[ys[~removed], xs[~removed]] = ink[ys[~removed], xs[~removed]]
    kept = piece.sum() / ink.sum()
    if not CUT_KEEP[0] <= kept <= CUT_KEEP[1] or _reads_as_digit(piece > 0.5) or _still_the_digit(piece, ink):
        return None
    return piece, style


def _reads_as_digit(mask: np.ndarray) -> bool:
    """A cut piece that still reads as a digit: one holding a closed loop (a 0, or a 6, 8 or 9 with a stub), or
    whose main part (fragments aside) is narrow and upright (a 1) or a lone straight stroke."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count < 2:
        return True
    ys, xs = np.nonzero(labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))
    if ys.size < 8:
        return True
    if np.ptp(xs) + 1 < CUT_MIN_WIDTH * (np.ptp(ys) + 1):
        return True
    if _elongation(xs, ys) > MAX_ELONGATION:
        return True
    contours, hierarchy = cv2.findContours(mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    holes = [contour for contour, link in zip(contours, hierarchy[0]) if link[3] >= 0]
    return any(cv2.contourArea(hole) >= 2 for hole in holes)


def _elongation(xs: np.ndarray, ys: np.ndarray) -> float:
    """How many times longer than wide a set of pixels is, along its principal axes."""
    if xs.size < 3:
        return np.inf
    eigenvalues = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(float)))
    return float(np.sqrt(eigenvalues[1] / max(eigenvalues[0], 1e-6)))


def _still_the_digit(piece: np.ndarray, digit: np.ndarray) -> bool:
    """The piece, laid out again as the runner would, covers much of the digit as MNIST has it: what was cut
    away was a tail, and the rest still reads as the digit."""
    fitted = fit_to_mnist(cv2.resize(piece, None, fx=STRIKE_SCALE, fy=STRIKE_SCALE, interpolation=cv2.INTER_LINEAR))
    if fitted is None:
        return True
    ours, theirs = fitted > 0.5, digit > 0.5
    return np.count_nonzero(ours & theirs) > CUT_MAX_LIKENESS * np.count_nonzero(ours | theirs)


# --- paper -------------------------------------------------------------------------------------------------------


def _paper(style: str, rng: np.random.Generator) -> np.ndarray:
    """What thresholded paper may leave, on the canvas (float32 white on black)."""
    grid = _canvas_grid()
    if style in ("half-plane", "wedge"):
        softness = float(rng.choice((0.5, 0.5, rng.uniform(2, 10))))  # a paper's edge, or a shadow's
        fill = rng.uniform(*PAPER_FILL)
        planes = 1 if style == "half-plane" else 2
        angle = rng.uniform(0, 2 * np.pi)
        ink = np.ones((CANVAS_PX, CANVAS_PX), np.float32)
        for plane in range(planes):
            normal_angle = angle + plane * rng.uniform(0.35, 0.8) * np.pi
            normal = np.array([np.cos(normal_angle), np.sin(normal_angle)], np.float32)
            projection = grid @ normal
            level = np.quantile(projection, 1 - fill ** (1 / planes))
            ink *= np.clip((projection - level) / softness + 0.5, 0, 1)
        return ink
    if style == "smudge":
        field = cv2.resize(rng.normal(0, 1, (5, 5)).astype(np.float32), (CANVAS_PX, CANVAS_PX),
                           interpolation=cv2.INTER_CUBIC)
        radius = rng.uniform(0.25, 0.45) * CANVAS_PX
        centre = rng.uniform(0.35, 0.65, 2) * CANVAS_PX
        envelope = np.exp(-np.sum((grid - centre) ** 2, axis=-1) / (2 * radius ** 2))
        return np.clip((field + 2 * envelope - 1.2) * rng.uniform(1, 4), 0, 1).astype(np.float32)
    # specks: a few dots, close enough for the runner to keep them together
    canvas = np.zeros((CANVAS_PX, CANVAS_PX), np.float32)
    spread = rng.uniform(0.15, 0.5) * CANVAS_PX
    for _ in range(int(rng.integers(2, 10))):
        x, y = rng.normal(CANVAS_PX / 2, spread / 2, 2).clip(4, CANVAS_PX - 4)
        cv2.circle(canvas, (round(x * 16), round(y * 16)), round(rng.uniform(0.7, 3.0) * 16), 1.0, -1, cv2.LINE_AA,
                   shift=4)
    return canvas
