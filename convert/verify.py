"""Verification of converted models on the MNIST test set, in every installed TFLite runtime.

The TFLite models run through the edge wrapper (DigitClassifier), exactly as digits-edge runs them, each
in a subprocess without TensorFlow (see runtime_check).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from digits.convert.converter import ConvertedModel, ConvertError, load_keras_model, to_model_input
from digits.convert.runtime_check import check_in_subprocess
from digits.convert.steps import StepLog
from digits.edge.runtime import RUNTIMES
from digits.train.mnist import MnistSplit


@dataclass(frozen=True)
class RuntimeCheck:
    """One model in one runtime: accuracy and agreement are fractions, None when the model did not load."""

    runtime: str
    accuracy: float | None = None
    keras_agreement: float | None = None  # share of images with the same argmax as Keras
    latency_us: float | None = None  # median single-image invoke, one thread
    error: str | None = None
    tensorflow_loaded: bool | None = None  # was tensorflow imported in the checking process (must be False)


@dataclass(frozen=True)
class ModelCheck:
    """One converted model in every runtime."""

    kind: str
    path: str
    size_bytes: int
    runtimes: tuple[RuntimeCheck, ...]
    runtime_agreement: float | None  # share of images where all runtimes that loaded it agree (None: < 2 loaded)
    runtime_max_difference: float | None  # largest probability difference between those runtimes


@dataclass(frozen=True)
class Verification:
    """The Keras model and its TFLite models on the same test images."""

    test_samples: int
    keras_accuracy: float
    models: tuple[ModelCheck, ...]

    def accuracy_drop_pp(self, kind: str) -> float | None:
        """The worst loss of `kind` against Keras over the runtimes, in percentage points (None: not verified)."""
        accuracies = [check.accuracy for model in self.models if model.kind == kind
                      for check in model.runtimes if check.accuracy is not None]
        return (self.keras_accuracy - min(accuracies)) * 100 if accuracies else None


def keras_probabilities(model, images: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10) of a Keras model for float32 images (N, 28, 28, 1)."""
    return np.asarray(model.predict(images, batch_size=1000, verbose=0))


def check_model(model: ConvertedModel, runtimes: list[str], images_path: Path, labels: np.ndarray,
                keras_digits: np.ndarray, latency_runs: int, log: StepLog) -> ModelCheck:
    """Accuracy, agreement with Keras and latency of one TFLite model in each runtime (each in a subprocess).

    A runtime that cannot load the model is recorded with its error, not raised.
    """
    checks, probabilities = [], []
    for runtime in runtimes:
        with log.step(f"verifying {model.kind} in {runtime} ({len(labels)} images)") as outcome:
            probabilities_path = images_path.with_name(f"{model.kind}-{runtime}.npy")
            answer = check_in_subprocess(model.path, runtime, images_path, probabilities_path, latency_runs)
            if "missing" in answer:
                outcome.detail = "not installed"
                continue
            if "error" in answer:
                checks.append(RuntimeCheck(runtime, error=answer["error"]))
                outcome.detail = "cannot load it"
                continue
            probs = np.load(probabilities_path)
            digits = probs.argmax(axis=1)
            check = RuntimeCheck(runtime, accuracy=float(np.mean(digits == labels)),
                                 keras_agreement=float(np.mean(digits == keras_digits)),
                                 latency_us=float(answer["latency_us"]),
                                 tensorflow_loaded=bool(answer["tensorflow_loaded"]))
            checks.append(check)
            probabilities.append(probs)
            outcome.detail = f"accuracy {check.accuracy:.2%}, {check.latency_us:.0f} us"
    agreement = difference = None
    if len(probabilities) >= 2:
        all_digits = np.stack([probs.argmax(axis=1) for probs in probabilities])
        agreement = float(np.mean((all_digits == all_digits[0]).all(axis=0)))
        difference = float(max(np.abs(probs - probabilities[0]).max() for probs in probabilities[1:]))
    return ModelCheck(model.kind, str(model.path), model.size_bytes, tuple(checks), agreement, difference)


def verify(keras_path: Path, models: list[ConvertedModel], test: MnistSplit, test_samples: int | None = None,
           latency_runs: int = 1000, runtimes: list[str] | None = None, log: StepLog = StepLog()) -> Verification:
    """Run the Keras model and each TFLite model in each runtime on the MNIST test images.

    Args:
        keras_path: the source Keras model.
        models: the converted models.
        test: the MNIST test split.
        test_samples: use the first N test images (None: all 10,000).
        latency_runs: timed invokes per model and runtime.
        runtimes: the runtimes to try (None: all of RUNTIMES); those not installed are left out.
        log: where progress lines go.

    Raises:
        ConvertError: no runtime is installed, or test_samples / latency_runs < 1.
    """
    runtimes = list(RUNTIMES) if runtimes is None else runtimes
    if (test_samples is not None and test_samples < 1) or latency_runs < 1:
        raise ConvertError("--test-samples and --latency-runs must be at least 1")
    images = to_model_input(test.images[:test_samples])
    labels = test.labels[:test_samples].astype(np.int64)
    with log.step(f"evaluating Keras ({len(images)} images)") as outcome:
        keras_digits = keras_probabilities(load_keras_model(keras_path), images).argmax(axis=1)
        keras_accuracy = float(np.mean(keras_digits == labels))
        outcome.detail = f"accuracy {keras_accuracy:.2%}"
    with tempfile.TemporaryDirectory(prefix="digits-verify-") as work_dir:
        images_path = Path(work_dir) / "images.npy"
        np.save(images_path, images[..., 0])
        checks = tuple(check_model(model, runtimes, images_path, labels, keras_digits, latency_runs, log)
                       for model in models)
    if not any(model.runtimes for model in checks):
        raise ConvertError(f"no TFLite runtime installed to verify with (pip install {RUNTIMES[0]})")
    return Verification(len(images), keras_accuracy, checks)
