"""Shared fixtures: the offline MNIST folder (DIGITS_MNIST_DIR), read once per session."""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

# One pytest process runs the edge tests (TFLite interpreters in this process) beside the train and convert
# tests (tensorflow). tflite-runtime 2.14 cannot load any model once tensorflow has been imported first
# ("ValueError: vector::reserve"), but works when it is loaded before: so load the interpreters now, before
# test collection imports tensorflow. (digits-edge never imports tensorflow, and digits-convert verifies its
# models in a tensorflow-free subprocess, so this only concerns a test run mixing both.)
for _interpreter_module in ("tflite_runtime.interpreter", "ai_edge_litert.interpreter"):
    try:
        __import__(_interpreter_module)
    except ImportError:
        pass

# A run started in the background (`scripts/test.sh &`) inherits SIGINT ignored, and so would every child the
# tests start and stop with SIGINT: a handler of our own makes the children start with SIGINT's default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO_ROOT = Path(__file__).resolve().parents[1]

# tflite-runtime has no wheel for Python >= 3.12 (the Trixie set): tests of it are skipped there, and only there
# (in the Bookworm set a missing tflite-runtime fails them).
UNAVAILABLE_RUNTIMES = {"tflite-runtime"} if sys.version_info >= (3, 12) else set()


def pytest_collection_modifyitems(items):
    """Skip the cases parametrized with a runtime that this Python cannot have."""
    for item in items:
        params = item.callspec.params.values() if hasattr(item, "callspec") else ()
        for runtime in UNAVAILABLE_RUNTIMES.intersection(value for value in params if isinstance(value, str)):
            item.add_marker(pytest.mark.skip(reason=f"{runtime} has no wheel for Python "
                                                     f"{sys.version_info.major}.{sys.version_info.minor}"))


@pytest.fixture(scope="session")
def tested_runtimes() -> list[str]:
    """The TFLite runtimes this Python can have, in RUNTIMES order (what digits-convert verifies with)."""
    from digits.edge.runtime import RUNTIMES

    return [runtime for runtime in RUNTIMES if runtime not in UNAVAILABLE_RUNTIMES]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder with the four MNIST IDX files, from DIGITS_MNIST_DIR."""
    value = os.environ.get("DIGITS_MNIST_DIR")
    if not value:
        pytest.fail("set DIGITS_MNIST_DIR to the folder with the four MNIST IDX files (e.g. ../shared/mnist)")
    return Path(value)


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    """The MNIST test split as uint8 arrays."""
    from digits.train.mnist import load_mnist_split

    return load_mnist_split(mnist_dir, "test")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


# --- a tiny, really trained Keras model and its TFLite conversions (convert helper; edge tests may reuse) ---

TINY_TRAIN_IMAGES = 4000  # enough for ~93% test accuracy after two epochs, trained in a few seconds


@pytest.fixture(scope="session")
def mnist_train(mnist_dir):
    """The MNIST training split as uint8 arrays."""
    from digits.train.mnist import load_mnist_split

    return load_mnist_split(mnist_dir, "train")


@pytest.fixture(scope="session")
def tiny_keras_model(tmp_path_factory, mnist_train) -> Path:
    """A small CNN (final Softmax) trained for two epochs on 4,000 MNIST images, saved as model.keras.

    Its folder looks like a digits-train run directory (it holds model.keras and nothing else).
    """
    import keras
    from digits.convert.converter import to_model_input

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(to_model_input(mnist_train.images[:TINY_TRAIN_IMAGES]), mnist_train.labels[:TINY_TRAIN_IMAGES],
              batch_size=64, epochs=2, verbose=0)
    path = tmp_path_factory.mktemp("tiny_run") / "model.keras"
    model.save(path)
    return path


@pytest.fixture(scope="session")
def tiny_tflite_models(tmp_path_factory, tiny_keras_model, mnist_train) -> dict:
    """The tiny model converted by digits.convert: {"float32": path, "int8": path} (int8 in and out)."""
    from digits.convert.converter import ConvertOptions, convert

    options = ConvertOptions(source=tiny_keras_model, out_dir=tmp_path_factory.mktemp("tiny_tflite"), int8=True,
                             calibration_samples=200, seed=0)
    return {model.kind: model.path for model in convert(options, mnist_train)}
