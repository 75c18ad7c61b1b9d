"""Milliseconds per camera frame, capture excluded: region of interest -> to_mnist -> model -> smoother.

640x480 BGR frames of paper with a digit drawn in the centre (and some blank frames, as a live view has),
timed on one core in each installed interpreter. Target: <= 5 ms per frame on one x86 core.
The verdict uses CPU time per frame, because wall times on a shared machine include waiting for the core
(the wall-time tail percentiles show that waiting).

Usage: .venv/bin/python benchmarks/camera_bench.py [--frames 2000] [--model PATH]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from bench_common import PHOTO_SIZE as FRAME_SIZE  # benchmarks/bench_common.py (the script's own folder)
from bench_common import paper_photos, pin_to_one_core
from digits.edge.classifier import ClassifierOptions, DigitClassifier
from digits.edge.live import Smoother, centred_roi, frame_probabilities
from digits.edge.preprocess import to_mnist
from digits.edge.runtime import RUNTIMES, RuntimeMissing

TARGET_MS = 5.0
WARMUP_FRAMES = 50
BLANK_EVERY = 5  # one frame in five shows blank paper


def time_frames(classifier: DigitClassifier, frames: list[np.ndarray], count: int) -> tuple[np.ndarray, float]:
    """Wall milliseconds of preprocessing + inference + smoothing per frame, for `count` frames cycling through
    `frames`, and the mean CPU milliseconds per frame (unaffected by other processes taking the core)."""
    roi = centred_roi(*FRAME_SIZE)
    smoother = Smoother()
    for index in range(WARMUP_FRAMES):
        smoother.update(frame_probabilities(frames[index % len(frames)], roi, classifier))
    times = np.empty(count)
    cpu_start = time.process_time()
    for index in range(count):
        frame = frames[index % len(frames)]
        start = time.perf_counter()
        smoother.update(frame_probabilities(frame, roi, classifier))
        times[index] = (time.perf_counter() - start) * 1000.0
    return times, (time.process_time() - cpu_start) * 1000.0 / count


def preprocess_p50_ms(frames: list[np.ndarray], count: int) -> float:
    """Median milliseconds of to_mnist alone on the frames' region of interest (the model's share is the rest)."""
    roi = centred_roi(*FRAME_SIZE)
    times = np.empty(count)
    for index in range(count):
        crop = roi.crop(frames[index % len(frames)])
        start = time.perf_counter()
        to_mnist(crop)
        times[index] = (time.perf_counter() - start) * 1000.0
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2000, help="timed frames per interpreter (default: 2000)")
    parser.add_argument("--model", default=None, help="a .tflite model (default: the packaged int8 model)")
    args = parser.parse_args()
    pinned = pin_to_one_core()
    frames = paper_photos(40, blank_every=BLANK_EVERY)
    print(f"{FRAME_SIZE[0]}x{FRAME_SIZE[1]} frames, {pinned}, {args.frames} frames "
          f"(1 in {BLANK_EVERY} blank), capture excluded; to_mnist alone: p50 "
          f"{preprocess_p50_ms(frames, args.frames):.2f} ms")
    print("runtime | model | CPU ms/frame | wall p50 ms | p90 ms | p99 ms | frames/s (1 / CPU) | target <= 5 ms")
    for runtime in RUNTIMES:
        try:
            classifier = DigitClassifier(ClassifierOptions(args.model, runtime, threads=1))
        except RuntimeMissing as error:
            print(f"{runtime} | skipped: {error}")
            continue
        times, cpu_ms = time_frames(classifier, frames, args.frames)
        p50, p90, p99 = np.percentile(times, [50, 90, 99])
        print(f"{runtime} | {classifier.model_path.name} | {cpu_ms:.2f} | {p50:.2f} | {p90:.2f} | {p99:.2f} | "
              f"{1000.0 / cpu_ms:.0f} | {'met' if cpu_ms <= TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
