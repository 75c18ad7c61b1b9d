"""Keras model -> float32 and full-integer int8 TFLite models, calibrated on MNIST training images.

TensorFlow is imported inside the functions that need it, so that bad input is refused at once.
"""
from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from digits.convert.steps import StepLog, format_size
from digits.edge.files import write_bytes_atomic
from digits.edge.messages import short_reason
from digits.train.mnist import MnistSplit
from digits.train.quiet import tensorflow_notices_dropped
from digits.train.rundir import INCOMPLETE_FILE, is_incomplete

KERAS_FILE = "model.keras"  # what digits-train writes into its run directory
INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10  # the digits; a model trained with negatives adds an 11th class, "not a digit"
# kind -> file name; "dynamic-range" is only emitted on request (tflite-runtime 2.14 cannot load it)
MODEL_FILES = {
    "float32": "model_float32.tflite",
    "int8": "model_int8.tflite",
    "dynamic-range": "model_dynamic_range.tflite",
}
REPORT_FILE = "convert_report.json"
FEW_CALIBRATION_SAMPLES = 100  # below this, int8 ranges are often clipped badly
DYNAMIC_RANGE_WARNING = ("warning: a dynamic-range model loads in ai-edge-litert but NOT in tflite-runtime 2.14 "
                         "(the Raspberry Pi OS Bookworm runtime); ship the --int8 model instead")


class ConvertError(ValueError):
    """Input the converter refuses: a missing or wrong model, bad options, a failed conversion."""


class OutputError(OSError):
    """An output folder that cannot be written, or models there that --force would replace."""


@dataclass(frozen=True)
class ConvertOptions:
    """What to convert and where the models go."""

    source: Path  # a digits-train run directory or a .keras file
    out_dir: Path | None = None  # None: the run directory, or the .keras file's folder
    int8: bool = False
    dynamic_range: bool = False
    calibration_samples: int = 500
    seed: int = 0
    force: bool = False

    @property
    def kinds(self) -> tuple[str, ...]:
        """The model kinds to emit, float32 first."""
        return ("float32",) + (("int8",) if self.int8 else ()) + (("dynamic-range",) if self.dynamic_range else ())


@dataclass(frozen=True)
class ConvertedModel:
    """One written TFLite model."""

    kind: str
    path: Path
    size_bytes: int


def resolve_source(source: Path) -> tuple[Path, Path]:
    """The .keras file to load and the default output folder for a run directory or a .keras file.

    Raises:
        ConvertError: the path does not exist, a directory holds no model.keras, or the model's folder is a
            run that digits-train did not finish.
    """
    source = Path(source)
    if source.is_dir():
        keras_path = source / KERAS_FILE
        if not keras_path.is_file() and not is_incomplete(source):
            raise ConvertError(f"{source}: no {KERAS_FILE} in this folder (expected a digits-train run directory)")
    elif source.is_file():
        keras_path = source
    else:
        raise ConvertError(f"{source}: no such file or directory")
    if is_incomplete(keras_path.parent):
        raise ConvertError(f"{keras_path.parent}: its training did not finish ({INCOMPLETE_FILE} is there); "
                           f"train again with digits-train --force --out {keras_path.parent}")
    return keras_path, keras_path.parent


def check_calibration_samples(samples: int) -> None:
    """Refuse a calibration count below 1.

    Raises:
        ConvertError: `samples` < 1.
    """
    if samples < 1:
        raise ConvertError(f"--calibration-samples must be at least 1 (got {samples})")


def check_out_dir(out_dir: Path, file_names: list[str], force: bool) -> None:
    """Refuse an output folder that is a file, cannot be written, or already holds outputs (without force).

    Nothing is created here: the folder is made only when the first model is written.

    Raises:
        OutputError: with a message naming the folder and the fault.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out {out_dir} exists and is not a folder")
    existing = [name for name in file_names if (out_dir / name).exists()]
    if existing and not force:
        raise OutputError(f"{out_dir} already holds {', '.join(existing)}; use --force to replace")
    ancestor = out_dir
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"--out {out_dir}: {ancestor} is not a folder")
    try:  # os.access says yes to root even on read-only file systems: really try
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as error:
        raise OutputError(f"--out {out_dir}: cannot write to {ancestor} ({error.strerror or error})") from error


def checked_out_dir(options: ConvertOptions) -> Path:
    """The output folder of `options` (default: the source's folder), checked with check_out_dir.

    Raises:
        ConvertError: the source does not exist.
        OutputError: see check_out_dir.
    """
    _, default_out = resolve_source(options.source)
    out_dir = Path(options.out_dir) if options.out_dir else default_out
    check_out_dir(out_dir, [MODEL_FILES[kind] for kind in options.kinds] + [REPORT_FILE], options.force)
    return out_dir


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (digits.edge.files), so no reader sees half a file.

    Raises:
        OutputError: the folder cannot be created or the file cannot be written.
    """
    try:
        write_bytes_atomic(path, data)
    except OSError as error:
        raise OutputError(f"cannot write {path} ({error.strerror or error})") from error


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 MNIST images (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1], exactly as training scales them."""
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def calibration_images(train: MnistSplit, samples: int, seed: int) -> np.ndarray:
    """A class-balanced, seeded, shuffled draw of `samples` training images, preprocessed like training input.

    Each digit gets samples // 10 images; the remainder goes to randomly chosen digits.

    Raises:
        ConvertError: `samples` < 1, or more images of one digit are asked for than MNIST has.
    """
    check_calibration_samples(samples)
    rng = np.random.default_rng(seed)
    per_digit = np.full(NUM_CLASSES, samples // NUM_CLASSES)
    per_digit[rng.choice(NUM_CLASSES, samples % NUM_CLASSES, replace=False)] += 1
    chosen = []
    for digit, count in enumerate(per_digit):
        pool = np.flatnonzero(train.labels == digit)
        if count > len(pool):
            raise ConvertError(f"--calibration-samples {samples} asks for {count} images of digit {digit}; "
                               f"the training set has {len(pool)}")
        chosen.append(rng.choice(pool, count, replace=False))
    order = rng.permutation(np.concatenate(chosen))
    return to_model_input(train.images[order])


def load_keras_model(keras_path: Path):
    """Load a Keras model and check that it maps (28, 28, 1) images to 10 classes (or 11 with "not a digit").

    Raises:
        ConvertError: the file is not a loadable Keras model, or its input/output shapes are wrong.
    """
    import keras

    try:
        model = keras.saving.load_model(keras_path, compile=False)
    except Exception as error:  # Keras raises ValueError, OSError, zipfile and JSON errors for bad files
        raise ConvertError(f"{keras_path}: not a loadable Keras model ({short_reason(error)})") from error
    check_model_shapes(model, keras_path)
    return model


def check_model_shapes(model, name: Path | str) -> None:
    """Refuse a model that does not take one (28, 28, 1) image and give 10 class scores (11 with "not a digit").

    Raises:
        ConvertError: naming the shape found and the one expected.
    """
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ConvertError(f"{name}: {len(model.inputs)} inputs and {len(model.outputs)} outputs, expected one of each")
    input_shape = tuple(model.inputs[0].shape)
    output_shape = tuple(model.outputs[0].shape)
    if input_shape[1:] != INPUT_SHAPE:
        raise ConvertError(f"{name}: input shape {input_shape[1:]}, expected {INPUT_SHAPE} (28x28x1 images)")
    if output_shape[1:] not in ((NUM_CLASSES,), (NUM_CLASSES + 1,)):
        raise ConvertError(f"{name}: output shape {output_shape[1:]}, expected ({NUM_CLASSES},) (10 classes, or 11 "
                           f"with 'not a digit')")


def to_tflite(model, kind: str, calibration: np.ndarray | None = None) -> bytes:
    """Convert a Keras model into a TFLite flatbuffer of the given kind.

    Args:
        model: a Keras model taking (28, 28, 1) images.
        kind: "float32"; "int8" (full-integer: int8 input and output, builtin int8 ops only, calibrated on
            `calibration`); or "dynamic-range" (int8 weights, float activations).
        calibration: float32 images (N, 28, 28, 1) for "int8".

    Raises:
        ConvertError: an unknown kind, no calibration images for int8, or an op TFLite cannot quantize.
    """
    import keras
    import tensorflow as tf

    if kind not in MODEL_FILES:
        raise ConvertError(f"unknown model kind {kind!r}; choose one of {', '.join(MODEL_FILES)}")
    # A fixed batch of one: no SHAPE/STRIDED_SLICE/PACK ops before Flatten's reshape, so XNNPACK takes the
    # whole graph (float32 in tflite-runtime 2.14: 65 -> 18 us); the edge runner feeds one image anyway.
    single_image = keras.Input(INPUT_SHAPE, batch_size=1)
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(single_image, model(single_image)))
    if kind == "int8":
        if calibration is None or len(calibration) == 0:
            raise ConvertError("int8 conversion needs calibration images")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([image[np.newaxis]] for image in calibration)
        # INT8 only: an op that cannot be quantized fails the conversion instead of falling back to float
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    elif kind == "dynamic-range":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    try:
        with contextlib.redirect_stdout(io.StringIO()), tensorflow_notices_dropped(), warnings.catch_warnings():
            # Keras prints the whole SavedModel signature; TF warns about input statistics that int8
            # inputs do not need (their scale comes from calibration)
            warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
            return converter.convert()
    except Exception as error:  # the MLIR converter raises ConverterError and RuntimeError variants
        raise ConvertError(f"{kind} conversion failed: {short_reason(error)}") from error


def convert(options: ConvertOptions, train: MnistSplit | None, log: StepLog = StepLog()) -> list[ConvertedModel]:
    """Convert the model named by `options` and write every requested kind atomically.

    All conversions run before the first file is written, so a failure leaves nothing behind.

    Args:
        options: source, output folder and kinds.
        train: the MNIST training split, needed for int8 calibration.
        log: where progress lines go.

    Returns:
        The written models, float32 first.

    Raises:
        ConvertError: bad source model or options, or a failed conversion.
        OutputError: the output folder cannot be written or already holds the models (without force).
    """
    keras_path, _ = resolve_source(options.source)
    check_calibration_samples(options.calibration_samples)
    out_dir = checked_out_dir(options)
    calibration = None
    if options.int8:
        if train is None:
            raise ConvertError("int8 calibration needs the MNIST training images (--mnist-dir)")
        calibration = calibration_images(train, options.calibration_samples, options.seed)
        if options.calibration_samples < FEW_CALIBRATION_SAMPLES:
            log.note(f"warning: {options.calibration_samples} calibration samples are few; "
                     f"int8 accuracy may suffer (use >= {FEW_CALIBRATION_SAMPLES})")
    if options.dynamic_range:
        log.note(DYNAMIC_RANGE_WARNING)
    with log.step(f"loading {keras_path}") as outcome:
        model = load_keras_model(keras_path)
        outcome.detail = f"{model.count_params():,} parameters"
    flatbuffers = {}
    for kind in options.kinds:
        label = f"converting {kind}" + (f" (calibrating on {len(calibration)} images)" if kind == "int8" else "")
        with log.step(label) as outcome:
            flatbuffers[kind] = to_tflite(model, kind, calibration)
            outcome.detail = format_size(len(flatbuffers[kind]))
    written = []
    for kind, data in flatbuffers.items():
        path = out_dir / MODEL_FILES[kind]
        write_atomic(path, data)
        written.append(ConvertedModel(kind, path, len(data)))
    log.note("wrote " + ", ".join(str(model.path) for model in written))
    return written
