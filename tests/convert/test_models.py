"""The converted models of a really trained tiny CNN: tensor types, int8-only ops, accuracy, no TensorFlow."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from digits.convert.converter import ConvertedModel
from digits.convert.verify import verify
from digits.edge.runtime import RUNTIMES

# Runs in a fresh Python, as on the edge: load the model with the edge ladder and describe it as JSON.
INSPECT_SCRIPT = """
import json, sys
import numpy as np
from digits.edge.runtime import interpreter_class
from digits.edge.classifier import ClassifierOptions, DigitClassifier
from pathlib import Path
model_path, runtime, images_path = sys.argv[1:]
interpreter = interpreter_class(runtime)(model_path=model_path)
interpreter.allocate_tensors()
dtypes = {tensor["index"]: np.dtype(tensor["dtype"]).name for tensor in interpreter.get_tensor_details()}
ops = [{"name": op["op_name"],
        "inputs": [dtypes[index] for index in op["inputs"] if index >= 0],
        "outputs": [dtypes[index] for index in op["outputs"]]} for op in interpreter._get_ops_details()]
classifier = DigitClassifier(ClassifierOptions(model_path=Path(model_path), runtime=runtime, threads=1))
digits = [classifier.predict(image).digit for image in np.load(images_path)]
print(json.dumps({"input": np.dtype(interpreter.get_input_details()[0]["dtype"]).name,
                  "output": np.dtype(interpreter.get_output_details()[0]["dtype"]).name,
                  "ops": ops, "digits": digits, "runtime_module": type(interpreter).__module__,
                  "tensorflow_loaded": "tensorflow" in sys.modules}))
"""


def inspect_in_subprocess(model_path, runtime, images_path) -> dict:
    """Describe a model as the edge runner loads it, in a process that has never imported tensorflow."""
    finished = subprocess.run([sys.executable, "-c", INSPECT_SCRIPT, str(model_path), runtime, str(images_path)],
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def test_images_path(tmp_path_factory, mnist_test):
    path = tmp_path_factory.mktemp("images") / "images.npy"
    np.save(path, mnist_test.images[:200].astype(np.float32) / 255.0)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_int8_model_is_integer_only_and_loads_without_tensorflow(tiny_tflite_models, test_images_path, mnist_test,
                                                                   runtime):
    info = inspect_in_subprocess(tiny_tflite_models["int8"], runtime, test_images_path)
    assert info["tensorflow_loaded"] is False
    assert info["runtime_module"].startswith("ai_edge_litert" if runtime == "ai-edge-litert" else "tflite_runtime")
    assert (info["input"], info["output"]) == ("int8", "int8")
    assert info["ops"], "no ops found"
    for op in info["ops"]:
        assert op["name"] not in ("QUANTIZE", "DEQUANTIZE"), op
        assert op["outputs"] == ["int8"] * len(op["outputs"]), op
        # int32 only for biases and shape operands; never a float tensor
        assert set(op["inputs"]) <= {"int8", "int32"}, op
    assert np.mean(np.array(info["digits"]) == mnist_test.labels[:200]) > 0.8


@pytest.mark.slow
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_float32_model_is_float_in_and_out(tiny_tflite_models, test_images_path, runtime):
    info = inspect_in_subprocess(tiny_tflite_models["float32"], runtime, test_images_path)
    assert info["tensorflow_loaded"] is False
    assert (info["input"], info["output"]) == ("float32", "float32")


@pytest.mark.slow
def test_int8_agrees_with_keras_on_real_mnist(tiny_keras_model, tiny_tflite_models, mnist_test, tested_runtimes):
    models = [ConvertedModel(kind, path, path.stat().st_size) for kind, path in tiny_tflite_models.items()]
    verification = verify(tiny_keras_model, models, mnist_test, test_samples=1000, latency_runs=20)
    assert verification.keras_accuracy > 0.85  # really trained
    by_kind = {model.kind: model for model in verification.models}
    for model in verification.models:
        assert [check.runtime for check in model.runtimes] == tested_runtimes
        for check in model.runtimes:
            assert check.error is None and check.tensorflow_loaded is False
            assert check.latency_us > 0
        agreement = model.runtime_agreement  # None with a single runtime
        assert agreement >= 0.99 if len(tested_runtimes) > 1 else agreement is None
    for check in by_kind["float32"].runtimes:
        assert check.keras_agreement >= 0.999
    for check in by_kind["int8"].runtimes:
        assert abs(check.accuracy - verification.keras_accuracy) <= 0.01
        assert check.keras_agreement >= 0.97
    assert by_kind["int8"].size_bytes < by_kind["float32"].size_bytes / 2
    assert abs(verification.accuracy_drop_pp("int8")) <= 1.0
