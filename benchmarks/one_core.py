"""Shared by the benchmark scripts: measure on one core, as the targets are stated."""
from __future__ import annotations

import os

import cv2


def pin_to_one_core() -> str:
    """Run this process (the interpreter and OpenCV's worker threads) on one core, where the OS allows it."""
    cv2.setNumThreads(1)
    if not hasattr(os, "sched_setaffinity"):
        return "OpenCV and the interpreter on 1 thread"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"
