"""Light on the page for tests: a lamp's glare."""
from __future__ import annotations

import numpy as np


def glare_spot(image: np.ndarray, centre: tuple[float, float] = (0.75, 0.3), size: tuple[float, float] = (0.2, 0.2),
               strength: float = 150.0) -> np.ndarray:
    """A gray image under a lamp's glare: a bright soft spot that washes the paper out to white. `centre` and
    `size` (its width and height) are fractions of the image's width and height; `strength` is the gray levels
    added at its centre."""
    height, width = image.shape
    ys, xs = np.mgrid[0:height, 0:width]
    spot = np.exp(-(((xs - centre[0] * width) / (size[0] * width)) ** 2
                    + ((ys - centre[1] * height) / (size[1] * height)) ** 2))
    return np.clip(image + strength * spot, 0, 255).astype(np.uint8)
