"""Image primitives shared by the single-digit preprocessing and the page's reading. Pure functions, numpy + OpenCV.

    to_gray(image) -> np.ndarray                  grayscale uint8 from gray, BGR or BGRA (alpha composited)
    shrunk_to(image, side) / enlarged(small, size)  resized copies (INTER_AREA down, bilinear up)
    percentiles(image, percents)                  percentiles of a [0, 1] image, from a histogram
    histogram(image) / histogram_quantile(counts, fraction)   a uint8 image's histogram and its quantiles
    disc(diameter) -> np.ndarray                  an elliptic structuring element
    thickness(mask) -> float                      the diameter of the widest disc inside a mask (a stroke's width)
    count_holes(mask, min_share) -> int           paper enclosed by ink (loops, a grid's cells)
"""
from __future__ import annotations

import cv2
import numpy as np


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grayscale uint8 from a gray, BGR or BGRA image (any bit depth).

    Transparent pixels are composited onto a background that contrasts with the opaque ones, so a digit
    drawn on a transparent canvas stays visible whatever colour its invisible pixels have.
    """
    image = _as_uint8(np.asarray(image))
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.shape[2] == 4:
        gray = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
        alpha = image[:, :, 3].astype(np.float32) / 255.0
        if alpha.min() < 1.0:
            opaque = alpha > 0.5
            ink_level = float(gray[opaque].mean()) if opaque.any() else 0.0
            backdrop = 255.0 if ink_level < 128 else 0.0
            gray = np.clip(gray * alpha + backdrop * (1.0 - alpha), 0, 255).astype(np.uint8)
        return gray
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _as_uint8(image: np.ndarray) -> np.ndarray:
    """8-bit from 16-bit, float or bool images (16-bit PNGs, float arrays from other code)."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if image.dtype == bool:
        return image.astype(np.uint8) * 255
    if np.issubdtype(image.dtype, np.floating):
        scale = 255.0 if image.size and float(np.nanmax(image)) <= 1.0 else 1.0
        return np.clip(np.nan_to_num(image) * scale, 0, 255).astype(np.uint8)
    return np.clip(image, 0, 255).astype(np.uint8)


def shrunk_to(image: np.ndarray, side: int) -> np.ndarray:
    """A copy whose long side is `side` px (INTER_AREA)."""
    height, width = image.shape
    scale = side / max(height, width)
    return cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                      interpolation=cv2.INTER_AREA)


def percentiles(image: np.ndarray, percents: tuple[float, ...]) -> tuple[float, ...]:
    """Percentiles of a [0, 1] image to 1/255, from a 256-bin histogram (far faster than np.percentile)."""
    counts = np.bincount(np.round(image * 255).astype(np.uint8).ravel(), minlength=256)
    cumulative = np.cumsum(counts) / image.size
    return tuple(float(np.searchsorted(cumulative, p / 100.0)) / 255.0 for p in percents)


def disc(diameter: float) -> np.ndarray:
    """An elliptic structuring element of odd diameter >= 3."""
    side = max(3, int(round(diameter)) | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))


def thickness(mask: np.ndarray) -> float:
    """The diameter (px) of the widest disc inside a mask (bool or uint8): a stroke's width, or a blob's."""
    padded = cv2.copyMakeBorder(mask.astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    return 2.0 * cv2.minMaxLoc(cv2.distanceTransform(padded, cv2.DIST_L2, 3))[1]


def count_holes(mask: np.ndarray, min_share: float) -> int:
    """Holes in the mask of at least `min_share` of its image (paper enclosed by ink: a loop, a grid's cell)."""
    contours, hierarchy = cv2.findContours(mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return 0
    return sum(1 for contour, (_, _, _, parent) in zip(contours, hierarchy[0])
               if parent >= 0 and cv2.contourArea(contour) >= min_share * mask.size)


def enlarged(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A small smooth image brought to (width, height) with bilinear interpolation."""
    return cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)


def histogram(image: np.ndarray) -> np.ndarray:
    """Counts of each uint8 value."""
    return np.bincount(image.ravel(), minlength=256).astype(np.float64)


def histogram_quantile(counts: np.ndarray, fraction: float) -> float:
    """The value below which `fraction` of a histogram's pixels lie."""
    cumulative = np.cumsum(counts)
    return float(np.searchsorted(cumulative, fraction * cumulative[-1]))
