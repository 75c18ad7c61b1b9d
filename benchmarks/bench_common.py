"""Shared by the benchmark scripts: one core, as the targets are stated, and the same stand-in photos."""
from __future__ import annotations

import os

import cv2
import numpy as np

PHOTO_SIZE = (640, 480)  # width, height


def pin_to_one_core() -> str:
    """Run this process (the interpreter and OpenCV's worker threads) on one core, where the OS allows it."""
    cv2.setNumThreads(1)
    if not hasattr(os, "sched_setaffinity"):
        return "OpenCV and the interpreter on 1 thread"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def paper_photos(count: int, seed: int = 0, blank_every: int = 0) -> list[np.ndarray]:
    """640x480 BGR photos: paper with uneven light and noise, one dark digit in a hand-like font (every
    `blank_every`-th one left blank, when given)."""
    rng = np.random.default_rng(seed)
    width, height = PHOTO_SIZE
    out = []
    for index in range(count):
        light = np.linspace(175, 215, width)[None, :] + rng.normal(0, 4, (height, width))
        photo = np.clip(light, 0, 255).astype(np.uint8)
        if not blank_every or index % blank_every:
            cv2.putText(photo, str(index % 10), (width // 2 - 60 + int(rng.integers(-40, 40)), height // 2 + 70),
                        cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 6, 45, int(rng.integers(8, 16)), cv2.LINE_AA)
        out.append(cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR))
    return out
