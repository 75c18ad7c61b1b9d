"""Run one TFLite model in one runtime on saved test images, in a process without TensorFlow.

tflite-runtime cannot load models in a process that has imported TensorFlow (their native libraries
clash), and the edge runner never has it: so the converter checks each model here, in a subprocess,
through the same wrapper digits-edge uses.

    python -m digits.convert.runtime_check MODEL RUNTIME IMAGES_NPY PROBABILITIES_NPY LATENCY_RUNS

prints one JSON line: {"latency_us": ..., "tensorflow_loaded": false}, {"missing": ...} or {"error": ...}.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from digits.edge.classifier import ClassifierOptions, DigitClassifier, ModelError
from digits.edge.latency import median_invoke_us
from digits.edge.runtime import RuntimeMissing

CHECK_TIMEOUT_S = 900  # 10,000 images take a few seconds; only a hung interpreter gets near this


def classify_all(model_path: Path, runtime: str, images: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10 or 11) from the edge wrapper for 28x28 [0, 1] images, one at a time, one thread.

    Raises:
        ModelError: the runtime cannot load the model.
    """
    classifier = DigitClassifier(ClassifierOptions(model_path=Path(model_path), runtime=runtime, threads=1))
    return np.array([classifier.class_probabilities(image) for image in images], dtype=np.float32)


def check_in_subprocess(model_path: Path, runtime: str, images_path: Path, probabilities_path: Path,
                        latency_runs: int) -> dict:
    """Run this module in a fresh Python and return its answer (probabilities go to probabilities_path).

    The answer holds "latency_us", or "missing" (runtime not installed), or "error" (cannot load the model,
    or the subprocess crashed: a native crash must not take the converter down).
    """
    command = [sys.executable, "-m", __name__, str(model_path), runtime, str(images_path),
               str(probabilities_path), str(latency_runs)]
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"the {runtime} check did not finish within {CHECK_TIMEOUT_S} s"}
    lines = finished.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        stderr = finished.stderr.strip().splitlines()
        return {"error": f"the {runtime} check crashed (exit {finished.returncode}): "
                         f"{stderr[-1] if stderr else 'no output'}"}


def _main(model_path: str, runtime: str, images_path: str, probabilities_path: str, latency_runs: str) -> dict:
    try:
        probabilities = classify_all(Path(model_path), runtime, np.load(images_path))
    except RuntimeMissing as error:
        return {"missing": str(error)}
    except ModelError as error:
        return {"error": str(error)}
    np.save(probabilities_path, probabilities)
    latency = median_invoke_us(model_path, runtime, runs=int(latency_runs), threads=1)
    return {"latency_us": latency, "tensorflow_loaded": "tensorflow" in sys.modules}


if __name__ == "__main__":
    print(json.dumps(_main(*sys.argv[1:])))
