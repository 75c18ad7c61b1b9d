"""The sheet of misreads: one tile per miss, the image beside what the model saw, with label and reading."""
from __future__ import annotations

import numpy as np
from digits.edge.sheet import PAD, TILE, make_miss, misses_sheet


def test_a_miss_keeps_only_a_thumbnail_of_a_big_photo():
    miss = make_miss("4/a.jpg", np.full((3000, 2000, 3), 200, np.uint8), None, 4, None, 0.0)
    assert miss.thumbnail.shape == (TILE, round(2000 * TILE / 3000), 3)


def test_the_sheet_shows_each_image_and_the_model_input_in_tiles():
    image = np.full((50, 40), 230, np.uint8)
    image[10:40, 18:22] = 20  # a dark 1
    model_input = np.zeros((28, 28), np.float32)
    model_input[4:24, 13:15] = 1.0
    misses = [make_miss(f"{n}.png", image, model_input, 1, 7, 0.61) for n in range(5)]
    sheet = misses_sheet(misses, total=40)
    assert sheet.ndim == 3 and sheet.dtype == np.uint8
    assert sheet.shape[1] >= 4 * 2 * TILE and sheet.shape[0] >= 2 * TILE  # 4 per row: two rows
    # the model's view of the first miss: white ink on black, upscaled, right of the photo
    top = next(y for y in range(sheet.shape[0]) if (sheet[y, :, 0] == 0).sum() > TILE // 2)
    view = sheet[top: top + TILE, PAD + TILE + PAD: PAD + 2 * TILE + PAD, 0]
    assert view[0, 0] == 0 and view[TILE // 2, TILE // 2] == 255


def test_a_run_without_misreads_gives_a_sheet_that_says_so():
    sheet = misses_sheet([], total=12)
    assert sheet.shape[0] < TILE and (sheet < 128).any()  # a title line only
