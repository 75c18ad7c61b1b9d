"""Both architectures: shapes, parameter counts, probabilities, and full-int8 conversion of ours."""
from __future__ import annotations

import numpy as np
import pytest
from digits.train.models import ARCHITECTURES, DEFAULT_ARCH, build_model, count_macs
from digits.train.trainer import TrainOptions


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_outputs_ten_probabilities(arch):
    model = build_model(arch)
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    probabilities = model.predict(np.random.default_rng(0).random((4, 28, 28, 1), np.float32), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_seed_is_the_notebooks_net():
    model = build_model("seed")
    assert model.count_params() == 866_798
    assert [type(layer).__name__ for layer in model.layers] == ["Conv2D", "Flatten", "Dense", "Dense", "Softmax"]
    assert ARCHITECTURES["seed"].epochs == 3 and not ARCHITECTURES["seed"].augment
    assert TrainOptions("seed").resolved().flagged_ones == 0  # the notebook's data too


def test_default_arch_is_small_and_cheap():
    model = build_model(DEFAULT_ARCH)
    assert DEFAULT_ARCH == "compact" and ARCHITECTURES[DEFAULT_ARCH].augment
    assert TrainOptions(DEFAULT_ARCH).resolved().flagged_ones == 0.5
    assert TrainOptions(DEFAULT_ARCH, flagged_ones=0.0).resolved().flagged_ones == 0
    assert model.count_params() <= 100_000
    assert count_macs(model) < 1_500_000
    # no layers that int8 tflite-runtime 2.14 runs slowly
    assert not {"BatchNormalization", "GlobalAveragePooling2D"} & {type(layer).__name__ for layer in model.layers}


def test_unknown_arch_names_the_choices():
    with pytest.raises(ValueError, match="choose one of compact, seed"):
        build_model("resnet")


@pytest.mark.slow
def test_default_arch_converts_to_full_int8_builtins():
    import tensorflow as tf

    model = build_model(DEFAULT_ARCH)
    calibration = np.random.default_rng(0).random((8, 1, 28, 28, 1), np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([batch] for batch in calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    tflite_model = converter.convert()  # raises if any op cannot be int8
    assert len(tflite_model) <= 100 * 1024
