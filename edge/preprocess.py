"""Any photo or scan of one handwritten digit -> an MNIST-like 28x28 input. Pure functions, numpy + OpenCV.

PLACEHOLDER: a first simple version; the robust pipeline replaces it (issue 5). The public API stays:
    to_mnist(image) -> np.ndarray | None      (28x28 float32 in [0, 1], white ink on black; None: no digit)
    notebook_style(image) -> np.ndarray       (the notebook's way: grayscale, resized, /255)
"""
from __future__ import annotations

import cv2
import numpy as np

MNIST_SIDE = 28
DIGIT_BOX = 20  # MNIST digits are fitted into 20x20 and centred by centre of mass in 28x28


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grayscale uint8 from a gray, BGR or BGRA image."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def notebook_style(image: np.ndarray) -> np.ndarray:
    """The notebook's preprocessing: grayscale, resized to 28x28, divided by 255 (no inversion)."""
    gray = to_gray(image)
    return cv2.resize(gray, (MNIST_SIDE, MNIST_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def to_mnist(image: np.ndarray) -> np.ndarray | None:
    """An MNIST-like 28x28 float32 image in [0, 1] (ink white on black), or None for a blank image."""
    gray = to_gray(image)
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if np.count_nonzero(ink) > ink.size / 2:
        ink = 255 - ink
    if np.count_nonzero(ink) == 0 or gray.max() - gray.min() < 30:
        return None
    ys, xs = np.nonzero(ink)
    crop = ink[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    height, width = crop.shape
    scale = DIGIT_BOX / max(height, width)
    resized = cv2.resize(crop, (max(1, round(width * scale)), max(1, round(height * scale))),
                         interpolation=cv2.INTER_AREA)
    canvas = np.zeros((MNIST_SIDE, MNIST_SIDE), np.float32)
    top = (MNIST_SIDE - resized.shape[0]) // 2
    left = (MNIST_SIDE - resized.shape[1]) // 2
    canvas[top: top + resized.shape[0], left: left + resized.shape[1]] = resized / 255.0
    moments = cv2.moments(canvas)
    if moments["m00"] > 0:
        shift_x = MNIST_SIDE / 2 - moments["m10"] / moments["m00"]
        shift_y = MNIST_SIDE / 2 - moments["m01"] / moments["m00"]
        canvas = cv2.warpAffine(canvas, np.float32([[1, 0, shift_x], [0, 1, shift_y]]), (MNIST_SIDE, MNIST_SIDE))
    return canvas
