"""A picture of the misreads of a labelled run: for each, the image, what the model saw and what it read."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from digits.edge.imageops import to_gray

TILE = 112  # px: the image and the model's 28x28 input are each shown this large
PAD = 6  # px between and around tiles
CAPTION_LINES = 2
LINE_HEIGHT = 15  # px per caption line
COLUMNS = 4  # misses per row of the sheet
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.4
PAPER = 255
INK = 0
MISS_BGR = (0, 0, 200)  # red: what the model read


@dataclass(frozen=True)
class Miss:
    """One misread image: a small copy of it, the 28x28 the model saw (None: no digit found), label, reading."""

    name: str
    thumbnail: np.ndarray  # BGR, at most TILE x TILE
    model_input: np.ndarray | None  # 28x28 float32 in [0, 1]
    label: int
    digit: int | None
    confidence: float


def make_miss(name: str, image: np.ndarray, model_input: np.ndarray | None, label: int, digit: int | None,
              confidence: float) -> Miss:
    """A miss with a thumbnail of `image` (any size, gray / BGR / BGRA), so that the full image need not be kept."""
    gray = to_gray(image)
    scale = TILE / max(gray.shape)
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST
    thumbnail = cv2.cvtColor(cv2.resize(gray, size, interpolation=interpolation), cv2.COLOR_GRAY2BGR)
    return Miss(name, thumbnail, model_input, label, digit, confidence)


def misses_sheet(misses: list[Miss], total: int) -> np.ndarray:
    """A BGR sheet: a title line, then a tile per miss (image, model input, file name, label and reading)."""
    columns = max(1, min(COLUMNS, len(misses)))
    rows = -(-len(misses) // columns)
    tile_width, tile_height = 2 * TILE + PAD, TILE + CAPTION_LINES * LINE_HEIGHT
    width = PAD + columns * (tile_width + PAD)
    height = LINE_HEIGHT + 2 * PAD + rows * (tile_height + PAD)
    sheet = np.full((height, max(width, 2 * TILE + 2 * PAD), 3), PAPER, np.uint8)
    title = f"{len(misses)} misread of {total} labelled" if misses else f"no misreads in {total} labelled"
    _text(sheet, title, (PAD, PAD + LINE_HEIGHT - 4), INK)
    for index, miss in enumerate(misses):
        row, column = divmod(index, columns)
        _draw_tile(sheet, miss, PAD + column * (tile_width + PAD), LINE_HEIGHT + 2 * PAD + row * (tile_height + PAD))
    return sheet


def _draw_tile(sheet: np.ndarray, miss: Miss, left: int, top: int) -> None:
    """The image and the model's input side by side, framed, with two caption lines below."""
    _paste(sheet, miss.thumbnail, left, top)
    model_view = np.zeros((TILE, TILE, 3), np.uint8)
    if miss.model_input is not None:
        view = np.round(np.clip(miss.model_input, 0, 1) * 255).astype(np.uint8)
        model_view = cv2.cvtColor(cv2.resize(view, (TILE, TILE), interpolation=cv2.INTER_NEAREST), cv2.COLOR_GRAY2BGR)
    _paste(sheet, model_view, left + TILE + PAD, top)
    reading = "no digit" if miss.digit is None else f"read {miss.digit} ({miss.confidence:.2f})"
    _text(sheet, _fit(miss.name, 2 * TILE + PAD), (left, top + TILE + LINE_HEIGHT - 3), INK)
    _text(sheet, f"label {miss.label}, {reading}", (left, top + TILE + 2 * LINE_HEIGHT - 3), MISS_BGR)


def _paste(sheet: np.ndarray, image: np.ndarray, left: int, top: int) -> None:
    """`image` centred in the TILE x TILE square at (left, top), with a thin grey frame around the square."""
    height, width = image.shape[:2]
    y, x = top + (TILE - height) // 2, left + (TILE - width) // 2
    sheet[y: y + height, x: x + width] = image
    cv2.rectangle(sheet, (left - 1, top - 1), (left + TILE, top + TILE), (190, 190, 190), 1)


def _text(sheet: np.ndarray, text: str, origin: tuple[int, int], colour) -> None:
    cv2.putText(sheet, text, origin, FONT, FONT_SCALE, colour, 1, cv2.LINE_AA)


def _fit(text: str, width: int) -> str:
    """`text` shortened from the left (keeping the file name's end) until it fits `width` px."""
    if cv2.getTextSize(text, FONT, FONT_SCALE, 1)[0][0] <= width:
        return text
    while len(text) > 1 and cv2.getTextSize("..." + text, FONT, FONT_SCALE, 1)[0][0] > width:
        text = text[1:]
    return "..." + text
