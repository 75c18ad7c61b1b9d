"""Pages of handwritten numbers drawn for the multi-digit tests from MNIST test digits: ink on shaded paper."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from digits.edge.preprocess import to_mnist

PAPER, INK = 215, 45  # gray levels
FRAME_PX = 84  # an MNIST 28x28 frame drawn this large: digits about 60 px tall
GAP = 0.3  # between the digits of a number, of the digit height
LINE_STEP = 1.7  # from one line to the next, of the digit height


@dataclass(frozen=True)
class Page:
    """A drawn page (gray uint8), the ink box (x, y, w, h) of every digit in reading order, and each digit's
    own ink (strength in [0, 1] over its box)."""

    image: np.ndarray
    boxes: tuple[tuple[int, int, int, int], ...]
    inks: tuple[np.ndarray, ...]


def clear_digits(mnist_test, classifier, per_digit: int = 1) -> dict[int, list[np.ndarray]]:
    """For each digit 0-9 the first MNIST test images the model reads right and surely, drawn alone on paper.

    The tests check finding, joining, splitting and ordering: digits the model reads badly even alone
    would blur that.
    """
    chosen: dict[int, list[np.ndarray]] = {digit: [] for digit in range(10)}
    for image, label in zip(mnist_test.images, mnist_test.labels):
        digit = int(label)
        if len(chosen[digit]) == per_digit:
            if all(len(images) == per_digit for images in chosen.values()):
                break
            continue
        model_input = to_mnist(draw_number([[image]]).image)
        if model_input is not None:
            prediction = classifier.predict(model_input)
            if prediction.digit == digit and prediction.confidence > 0.95:
                chosen[digit].append(image)
    return chosen


def ink_strength(digit28: np.ndarray, frame_px: int = FRAME_PX) -> np.ndarray:
    """The MNIST digit scaled so that 28 px become frame_px, cropped to its ink: float strength in [0, 1]."""
    scale = frame_px / 28
    size = (round(digit28.shape[1] * scale), round(digit28.shape[0] * scale))
    strength = np.clip(cv2.resize(digit28.astype(np.float32) / 255.0, size, interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
    ys, xs = np.nonzero(strength > 0.2)
    return strength[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]


def draw_number(lines: list[list[np.ndarray]], size: tuple[int, int] | None = None, frame_px: int = FRAME_PX,
                gaps: list[list[float]] | None = None, slope: float = 0.0, margin: int = 60) -> Page:
    """Lines of MNIST digits as ink on paper with light falling off to one side, and their ink boxes.

    Args:
        lines: the digits (28x28 uint8) of each line, top to bottom.
        size: (height, width) of the page; None: just large enough.
        gaps: per line, the gap after each digit as a fraction of the digit height (negative: overlap).
        slope: each digit sits this fraction of the digit height higher than the one before (slanted lines).
    """
    strengths = [[ink_strength(digit, frame_px) for digit in line] for line in lines]
    height_px = round(0.72 * frame_px)
    placements = []
    y = margin + round(slope * height_px * max(len(line) for line in lines))
    for row, line in enumerate(strengths):
        x = margin
        for column, ink in enumerate(line):
            top = y - round(column * slope * height_px) + (height_px - ink.shape[0]) // 2
            placements.append((x, top, ink))
            gap = gaps[row][column] if gaps and column < len(gaps[row]) else GAP
            x += ink.shape[1] + round(gap * height_px)
        y += round(LINE_STEP * height_px)
    if size is None:
        size = (max(top + ink.shape[0] for _, top, ink in placements) + margin,
                max(x + ink.shape[1] for x, _, ink in placements) + margin)
    canvas = np.zeros(size, np.float32)
    for x, top, ink in placements:
        region = canvas[top:top + ink.shape[0], x:x + ink.shape[1]]
        np.maximum(region, ink, out=region)
    light = np.linspace(1.0, 0.75, size[1])[None, :]
    image = np.clip((PAPER - (PAPER - INK) * canvas) * light, 0, 255).astype(np.uint8)
    boxes = tuple((x, top, ink.shape[1], ink.shape[0]) for x, top, ink in placements)
    return Page(image, boxes, tuple(ink for _, _, ink in placements))


def as_jpeg(image: np.ndarray, quality: int = 85) -> np.ndarray:
    """The image after a JPEG round trip."""
    return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_UNCHANGED)


def ink_labels(image: np.ndarray) -> np.ndarray:
    """The connected ink pieces of a drawn page, as a label image (0: paper)."""
    ink = (image < (0.75 * PAPER + INK) / 2).astype(np.uint8)  # surely ink, even where the light is dimmest
    return cv2.connectedComponents(ink, connectivity=8)[1]


def touching(page: Page, first: int, second: int, image: np.ndarray | None = None) -> bool:
    """Whether two digits of a page share an ink piece: one stroke of each runs into the other."""
    labels = ink_labels(page.image if image is None else image)

    def pieces(index: int) -> set[int]:
        x, y, w, h = page.boxes[index]
        return set(np.unique(labels[y:y + h, x:x + w][page.inks[index] > 0.5]).tolist()) - {0}

    return bool(pieces(first) & pieces(second))


def piece_count(page: Page, index: int, image: np.ndarray) -> int:
    """Into how many ink pieces one digit of a page falls in `image` (the page, perhaps with ink erased)."""
    labels = ink_labels(image)
    x, y, w, h = page.boxes[index]
    return len(set(np.unique(labels[y:y + h, x:x + w][page.inks[index] > 0.5]).tolist()) - {0})


def closing_bracket() -> np.ndarray:
    """A `)` drawn in a 28x28 MNIST-like frame (white on black), to stand beside the digits of a phone number."""
    frame = np.zeros((28, 28), np.uint8)
    cv2.ellipse(frame, (8, 14), (8, 11), 0, -70, 70, 255, 2)
    return frame
