"""Single-image inference latency of a TFLite model: the median time of one invoke(), without pre/post-processing."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
from digits.edge.runtime import load_interpreter

WARMUP_RUNS = 20  # the first invokes allocate and pack weights: not representative


def median_invoke_us(model_path: str | Path, runtime: str | None = None, runs: int = 1000, threads: int = 1) -> float:
    """Median microseconds of one invoke() on a single zero image, after a warm-up.

    Args:
        model_path: a .tflite file.
        runtime: "ai-edge-litert" or "tflite-runtime"; None: the first installed.
        runs: how many timed invokes.
        threads: interpreter threads (1: the figure for one core).

    Raises:
        RuntimeMissing: the runtime is not installed.
        ValueError: `runs` < 1, or the interpreter cannot load the model.
    """
    if runs < 1:
        raise ValueError(f"runs must be at least 1 (got {runs})")
    interpreter = load_interpreter(model_path, runtime, threads)
    detail = interpreter.get_input_details()[0]
    # zeros of the input's own type: conv and dense kernels do not branch on values
    interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], dtype=detail["dtype"]))
    for _ in range(WARMUP_RUNS):
        interpreter.invoke()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.invoke()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e6
