"""The model wrapper: one 28x28 MNIST-like image in, a digit and its confidence out (or why there is none).

A model gives ten classes (the digits) or eleven: the eleventh is "not a digit" (a letter, a scribble, a
struck-out or half-seen digit), trained on negatives. Its operating point is part of the model (digits-train
shifts that class's bias to the threshold chosen on validation), so the most probable class decides.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from digits.edge.messages import short_reason
from digits.edge.runtime import available_cores, interpreter_class, load_interpreter, runtime_name

DEFAULT_MODEL = "models/digits_int8.tflite"
# One interpreter thread: the model takes tens of microseconds, and a thread pool costs more to start and to
# keep spinning between images than it saves (tflite-runtime: some 30 ms of CPU over 8 photos).
DEFAULT_INTERPRETER_THREADS = 1
NUM_CLASSES = 10  # the digits; a model may add NOT_A_DIGIT_CLASS
NOT_A_DIGIT_CLASS = 10

# Why a reading holds no digit (Prediction.reason, the JSON's "reason", the table's confidence column)
NO_INK = "no ink"  # the preprocessing found nothing digit-shaped
NOT_A_DIGIT = "not a digit"  # the model's "not a digit" class won
UNSURE = "unsure"  # the best digit's confidence is below --min-confidence
CUT_BY_EDGE = "cut by the edge"  # the ink runs into the camera region's border: part of it is outside


class ModelError(ValueError):
    """A model file that cannot be loaded or does not take 28x28x1 and give 10 (or 11) classes."""


def default_model_path() -> Path:
    """The int8 model shipped inside the package."""
    return Path(__file__).resolve().parent / DEFAULT_MODEL


@dataclass(frozen=True)
class ClassifierOptions:
    """How to load the model."""

    model_path: Path | None = None  # None: the packaged default int8 model
    runtime: str | None = None  # "ai-edge-litert" or "tflite-runtime"; None: the first installed
    threads: int | None = None  # None: DEFAULT_INTERPRETER_THREADS; more than the cores available: capped


@dataclass(frozen=True)
class Prediction:
    """One classification: digit is None when there was no digit to read, and `reason` says why."""

    digit: int | None
    confidence: float
    probabilities: tuple[float, ...]  # the ten digits' (empty when nothing was classified)
    latency_ms: float
    reason: str | None = None  # NO_INK, NOT_A_DIGIT, UNSURE, CUT_BY_EDGE when digit is None
    not_a_digit: float = 0.0  # the probability of the "not a digit" class (0 for a ten-class model)

    def without_digit(self, reason: str) -> Prediction:
        """This prediction with its digit withdrawn for `reason` (the probabilities stay, for --json)."""
        return replace(self, digit=None, reason=reason)


def no_ink(latency_ms: float = 0.0) -> Prediction:
    """The prediction for an image the preprocessing found no digit in."""
    return Prediction(None, 0.0, (), latency_ms, NO_INK)


class DigitClassifier:
    """A TFLite digit model: float32 or int8, quantization read from the interpreter."""

    def __init__(self, options: ClassifierOptions = ClassifierOptions()):
        self.model_path = Path(options.model_path) if options.model_path else default_model_path()
        if not self.model_path.is_file():
            raise ModelError(f"model {self.model_path} does not exist")
        self.runtime = runtime_name(interpreter_class(options.runtime))
        self.threads = min(options.threads or DEFAULT_INTERPRETER_THREADS, available_cores())
        try:
            self._interpreter = load_interpreter(self.model_path, self.runtime, self.threads)
        except OSError as error:
            raise ModelError(f"cannot read model {self.model_path}: {error.strerror or error}") from error
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"{self.model_path}: not a loadable TFLite model ({short_reason(error)})") from error
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        input_shape = tuple(int(n) for n in self._input["shape"])
        if input_shape[1:] not in ((28, 28, 1), (28, 28)):
            raise ModelError(f"{self.model_path}: input shape {input_shape}, expected (1, 28, 28, 1)")
        self.classes = int(np.prod(self._output["shape"]))
        if self.classes not in (NUM_CLASSES, NUM_CLASSES + 1):
            raise ModelError(f"{self.model_path}: output shape {tuple(self._output['shape'])}, expected 10 classes "
                             f"(or 11 with 'not a digit')")
        self.input_dtype = np.dtype(self._input["dtype"])

    def predict(self, image: np.ndarray) -> Prediction:
        """Classify one 28x28 float image in [0, 1], white ink on black as in MNIST."""
        start = time.perf_counter()
        probabilities = self.class_probabilities(image)
        latency_ms = (time.perf_counter() - start) * 1000.0
        return prediction_from(probabilities, latency_ms)

    def class_probabilities(self, image: np.ndarray) -> np.ndarray:
        """Every class's probability (10, or 11 with "not a digit" last) for one 28x28 float image in [0, 1]."""
        self._interpreter.set_tensor(self._input["index"], self._quantize_input(image))
        self._interpreter.invoke()
        return self._dequantize_output(self._interpreter.get_tensor(self._output["index"]))

    @property
    def rejects(self) -> bool:
        """The model has the "not a digit" class."""
        return self.classes > NUM_CLASSES

    def _quantize_input(self, image: np.ndarray) -> np.ndarray:
        """Scale a [0, 1] float image into the model's input tensor (float, int8 or uint8)."""
        image = np.asarray(image, dtype=np.float32).reshape(self._input["shape"])
        if self.input_dtype.kind == "f":
            return image.astype(self.input_dtype)
        scale, zero_point = self._input["quantization"]
        info = np.iinfo(self.input_dtype)
        return np.clip(np.round(image / scale + zero_point), info.min, info.max).astype(self.input_dtype)

    def _dequantize_output(self, raw: np.ndarray) -> np.ndarray:
        """Class probabilities from the output tensor; a softmax is applied if the model gives logits."""
        values = raw.reshape(-1).astype(np.float32)
        if np.dtype(self._output["dtype"]).kind != "f":
            scale, zero_point = self._output["quantization"]
            if scale:
                values = (values - zero_point) * scale
        if values.min() < -1e-3 or abs(float(values.sum()) - 1.0) > 0.05:
            shifted = np.exp(values - values.max())
            values = shifted / shifted.sum()
        return values


def prediction_from(probabilities: np.ndarray, latency_ms: float = 0.0) -> Prediction:
    """The reading of 10 or 11 class probabilities: the most probable class, "not a digit" when it is the 11th."""
    digits = tuple(float(p) for p in probabilities[:NUM_CLASSES])
    not_a_digit = float(probabilities[NOT_A_DIGIT_CLASS]) if len(probabilities) > NUM_CLASSES else 0.0
    best = int(np.argmax(probabilities))
    if best == NOT_A_DIGIT_CLASS:
        return Prediction(None, not_a_digit, digits, latency_ms, NOT_A_DIGIT, not_a_digit)
    return Prediction(best, digits[best], digits, latency_ms, None, not_a_digit)
