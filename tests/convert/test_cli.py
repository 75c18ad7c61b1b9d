"""digits-convert through click's CliRunner: one happy path, the --max-drop gate and every refusal."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from digits.convert.cli import main
from digits.convert.converter import DYNAMIC_RANGE_WARNING, REPORT_FILE
from digits.train.rundir import INCOMPLETE_FILE, start_run

from tests.cli_checks import help_loaded_modules

FAST = ["--test-samples", "300", "--latency-runs", "20", "--calibration-samples", "100"]


@pytest.fixture()
def run_dir(tmp_path, tiny_keras_model):
    """A fresh copy of a digits-train style run directory holding only model.keras."""
    folder = tmp_path / "run"
    folder.mkdir()
    shutil.copy(tiny_keras_model, folder / "model.keras")
    return folder


@pytest.fixture()
def placeholder_run_dir(tmp_path):
    """A run directory whose model.keras is never loaded: these refusals come before any TensorFlow work."""
    folder = tmp_path / "placeholder_run"
    folder.mkdir()
    (folder / "model.keras").write_bytes(b"refused before loading")
    return folder


def invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def assert_refused(result, message):
    """Non-zero exit, one 'Error:' line naming the fault, no traceback."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert result.output.rstrip().endswith(errors[0])
    assert "Traceback" not in result.output


def test_help_imports_no_tensorflow():
    result, loaded = help_loaded_modules("digits.convert.cli", {"tensorflow", "keras"})
    assert result.returncode == 0 and loaded == "", (loaded, result.stderr)
    assert "Usage:" in result.stdout


def test_help_shows_defaults():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "--int8" in result.output and "[default: 500]" in result.output


@pytest.mark.slow
def test_converts_run_dir_and_refuses_to_overwrite(run_dir, mnist_dir, tested_runtimes):
    result = invoke(run_dir, "--int8", "--mnist-dir", mnist_dir, "--max-drop", "3", *FAST)
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in run_dir.iterdir()) == [
        REPORT_FILE, "model.keras", "model_float32.tflite", "model_int8.tflite"]
    assert "converting int8 (calibrating on 100 images)... " in result.output
    assert "agrees with Keras" in result.output
    report = json.loads((run_dir / REPORT_FILE).read_text())
    assert report["passed"] is True and report["test_samples"] == 300
    assert report["calibration"] == {"samples": 100, "seed": 0, "split": "train", "class_balanced": True}
    assert [model["kind"] for model in report["models"]] == ["float32", "int8"]
    for model in report["models"]:
        assert [check["runtime"] for check in model["runtimes"]] == tested_runtimes
        agreement = model["runtime_agreement"]  # None with a single runtime
        assert agreement >= 0.99 if len(tested_runtimes) > 1 else agreement is None
    before = {path.name: path.stat().st_mtime_ns for path in run_dir.iterdir()}

    again = invoke(run_dir, "--int8", "--mnist-dir", mnist_dir, *FAST)
    assert_refused(again, "--force")
    assert {path.name: path.stat().st_mtime_ns for path in run_dir.iterdir()} == before


@pytest.mark.slow
def test_max_drop_gate_fails_but_keeps_the_report(tiny_keras_model, mnist_dir, tmp_path):
    out = tmp_path / "out"
    # int8 calibrated on a single image clips most activations: it loses accuracy, which --max-drop 0 refuses
    result = invoke(tiny_keras_model, "--int8", "--out", out, "--mnist-dir", mnist_dir, "--max-drop", "0",
                    *FAST, "--calibration-samples", "1")
    assert_refused(result, "more than --max-drop 0")
    report = json.loads((out / REPORT_FILE).read_text())
    assert report["passed"] is False and report["max_drop_pp"] == 0 and report["int8_drop_pp"] > 0


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1"])
def test_max_drop_takes_only_a_finite_number_of_at_least_zero(placeholder_run_dir, mnist_dir, value):
    result = invoke(placeholder_run_dir, "--int8", "--max-drop", value, "--mnist-dir", mnist_dir)
    assert result.exit_code == 2
    assert f"Invalid value for '--max-drop': {float(value):g} is not a finite number >= 0" in result.output
    assert sorted(path.name for path in placeholder_run_dir.iterdir()) == ["model.keras"]


@pytest.mark.slow
def test_dynamic_range_warns_and_records_the_tflite_runtime_failure(tiny_keras_model, mnist_dir, tmp_path,
                                                                     tested_runtimes):
    out = tmp_path / "out"
    result = invoke(tiny_keras_model, "--dynamic-range", "--out", out, "--mnist-dir", mnist_dir, *FAST)
    assert result.exit_code == 0, result.output
    assert DYNAMIC_RANGE_WARNING in result.output
    report = json.loads((out / REPORT_FILE).read_text())
    dynamic = {check["runtime"]: check for check in report["models"][1]["runtimes"]}
    assert list(dynamic) == tested_runtimes and dynamic["ai-edge-litert"]["error"] is None
    if "tflite-runtime" in dynamic:
        assert dynamic["tflite-runtime"]["error"]  # 2.14 cannot load dynamic-range op versions


def _save_model(path, input_shape, classes):
    import keras

    model = keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(classes),
                              keras.layers.Softmax()])
    model.save(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("input_shape, classes, message", [
    ((32, 32, 1), 10, "input shape (32, 32, 1)"),
    ((28, 28, 3), 10, "input shape (28, 28, 3)"),
    ((28, 28, 1), 5, "output shape (5,)"),
])
def test_refuses_wrong_model_shapes(tmp_path, mnist_dir, input_shape, classes, message):
    model = _save_model(tmp_path / "wrong.keras", input_shape, classes)
    out = tmp_path / "out"
    assert_refused(invoke(model, "--int8", "--out", out, "--mnist-dir", mnist_dir), message)
    assert not out.exists()


def test_refuses_missing_path(tmp_path, mnist_dir):
    assert_refused(invoke(tmp_path / "nope.keras", "--mnist-dir", mnist_dir), "no such file")


def test_refuses_run_dir_without_model(tmp_path, mnist_dir):
    assert_refused(invoke(tmp_path, "--mnist-dir", mnist_dir), "no model.keras")


@pytest.mark.slow  # imports TensorFlow to try loading it
def test_refuses_file_that_is_not_a_keras_model(tmp_path, mnist_dir):
    fake = tmp_path / "model.keras"
    fake.write_text("not a model")
    assert_refused(invoke(fake, "--mnist-dir", mnist_dir), "not a loadable Keras model")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model.keras"]


@pytest.mark.parametrize("given", ["folder", "model file"])
def test_refuses_a_run_whose_training_did_not_finish(placeholder_run_dir, mnist_dir, given):
    start_run(placeholder_run_dir, previous_run_files=[])
    source = placeholder_run_dir if given == "folder" else placeholder_run_dir / "model.keras"
    assert_refused(invoke(source, "--int8", "--mnist-dir", mnist_dir),
                   f"{placeholder_run_dir}: its training did not finish ({INCOMPLETE_FILE} is there)")
    assert sorted(path.name for path in placeholder_run_dir.iterdir()) == [INCOMPLETE_FILE, "model.keras"]


@pytest.mark.parametrize("samples", ["0", "-3"])
def test_refuses_calibration_count_below_one(placeholder_run_dir, mnist_dir, samples):
    result = invoke(placeholder_run_dir, "--int8", "--calibration-samples", samples, "--mnist-dir", mnist_dir)
    assert_refused(result, "--calibration-samples must be at least 1")
    assert sorted(path.name for path in placeholder_run_dir.iterdir()) == ["model.keras"]


def test_refuses_out_that_is_a_file(placeholder_run_dir, mnist_dir, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    assert_refused(invoke(placeholder_run_dir, "--out", blocker, "--mnist-dir", mnist_dir), "is not a folder")


def test_refuses_unwritable_out(placeholder_run_dir, mnist_dir):
    result = invoke(placeholder_run_dir, "--out", "/proc/digits-out", "--mnist-dir", mnist_dir)
    assert_refused(result, "cannot write")


def test_refuses_existing_models_without_force(placeholder_run_dir, mnist_dir):
    (placeholder_run_dir / "model_float32.tflite").write_bytes(b"old")
    assert_refused(invoke(placeholder_run_dir, "--mnist-dir", mnist_dir), "already holds model_float32.tflite")
    assert (placeholder_run_dir / "model_float32.tflite").read_bytes() == b"old"


def test_refuses_max_drop_without_int8(placeholder_run_dir, mnist_dir):
    assert_refused(invoke(placeholder_run_dir, "--max-drop", "0.1", "--mnist-dir", mnist_dir), "add --int8")


def test_refuses_missing_mnist(placeholder_run_dir, monkeypatch):
    monkeypatch.delenv("DIGITS_MNIST_DIR", raising=False)
    assert_refused(invoke(placeholder_run_dir, "--int8"), "--mnist-dir")
    missing = placeholder_run_dir / "nothing"
    assert_refused(invoke(placeholder_run_dir, "--int8", "--mnist-dir", missing), "does not exist")


@pytest.mark.slow
def test_converts_a_real_digits_train_run_directory(tmp_path, mnist_dir):
    from digits.train.cli import main as train_main

    run = tmp_path / "run"
    trained = CliRunner().invoke(train_main, ["--epochs", "1", "--limit", "512", "--out", str(run),
                                              "--mnist-dir", str(mnist_dir)])
    assert trained.exit_code == 0, trained.output
    result = invoke(run, "--int8", "--mnist-dir", mnist_dir, *FAST)
    assert result.exit_code == 0, result.output
    assert (run / "model_int8.tflite").is_file() and (run / REPORT_FILE).is_file()


def test_version_names_the_command_and_the_package_version():
    from importlib.metadata import version

    from click.testing import CliRunner
    from digits.convert.cli import main as command

    result = CliRunner().invoke(command, ["--version"])
    assert result.exit_code == 0 and result.output == f"digits-convert, version {version('digits')}\n"
