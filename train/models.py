"""The Keras models: the notebook's `seed` net and our `compact` CNN for int8 on a Raspberry Pi.

Both take a (28, 28, 1) float image in [0, 1] (white ink on black) and end in Softmax, so they output
probabilities for the ten digits, and for "not a digit" when built with eleven classes.
"""
from __future__ import annotations

from collections.abc import Callable

import keras
from digits.train.architectures import ARCHITECTURES, DEFAULT_ARCH  # noqa: F401 (part of this module's API)

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10  # the digits; a model trained with negatives has one more class, "not a digit"


def build_seed(classes: int = NUM_CLASSES) -> keras.Model:
    """The notebook's model, unchanged: one conv layer and a large dense layer (866,798 parameters)."""
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        keras.layers.Conv2D(10, (3, 3)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(classes),
        keras.layers.Softmax(),
    ], name="seed")


def build_compact(classes: int = NUM_CLASSES) -> keras.Model:
    """Our default: a small CNN for int8 on a Raspberry Pi (70k parameters, 1.2 M multiply-adds).

    The first conv has stride 2: int8 convs over a one-channel 28x28 input are slow per output pixel in
    both TFLite runtimes, so halving the resolution there buys most of the speed. Every layer is a plain
    int8 builtin (Conv2D, MaxPool2D, FullyConnected, Softmax): no BatchNorm or global pooling, which
    tflite-runtime 2.14 runs slowly in int8.
    """
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),  # 14x14x16
        keras.layers.Conv2D(32, 3, activation="relu"),                              # 12x12x32
        keras.layers.MaxPooling2D(),                                                # 6x6x32
        keras.layers.Conv2D(96, 3, activation="relu"),                              # 4x4x96
        keras.layers.MaxPooling2D(),                                                # 2x2x96
        keras.layers.Flatten(),
        keras.layers.Dense(96, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(classes),
        keras.layers.Softmax(),
    ], name="compact")


BUILDERS: dict[str, Callable[[int], keras.Model]] = {"compact": build_compact, "seed": build_seed}


def build_model(arch: str, classes: int = NUM_CLASSES) -> keras.Model:
    """A fresh, uncompiled model of the named architecture with `classes` outputs (10, or 11 with "not a digit").

    Raises:
        ValueError: `arch` is not one of ARCHITECTURES.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown arch {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    return BUILDERS[arch](classes)


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one forward pass through the Conv2D and Dense layers (the rest is negligible)."""
    macs = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel_h, kernel_w, channels_in, channels_out = layer.kernel.shape
            _, out_h, out_w, _ = layer.output.shape
            macs += out_h * out_w * kernel_h * kernel_w * channels_in * channels_out
        elif isinstance(layer, keras.layers.Dense):
            macs += int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    return int(macs)
