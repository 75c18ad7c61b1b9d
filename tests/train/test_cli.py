"""`digits-train` through click's CliRunner: one tiny real run shared by the tests, determinism, refusals."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner
from digits.convert.converter import MODEL_FILES, REPORT_FILE
from digits.train import report
from digits.train.cli import main
from digits.train.cores import available_cores
from digits.train.rundir import INCOMPLETE_FILE

from tests.cli_checks import help_loaded_modules

TINY = ["--limit", "256", "--epochs", "1", "--batch-size", "64", "--threads", "2", "--quiet"]


def train_cli(*args: str):
    return CliRunner().invoke(main, [*TINY, *args])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, mnist_dir):
    """One tiny real training run (256 images, 1 epoch, augmented default arch) for the artefact tests."""
    run_dir = tmp_path_factory.mktemp("run") / "compact"
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(run_dir), "--seed", "7")
    assert result.exit_code == 0, result.output
    return run_dir, result


@pytest.mark.slow
def test_tiny_run_writes_every_artefact_and_nothing_else(tiny_run):
    run_dir, result = tiny_run
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(report.RUN_FILES)
    for name in report.RUN_FILES:
        assert (run_dir / name).stat().st_size > 0
    assert "MNIST test accuracy" in result.output and str(run_dir) in result.output


@pytest.mark.slow
def test_metrics_json(tiny_run, mnist_dir, mnist_train):
    metrics = json.loads((tiny_run[0] / report.METRICS_FILE).read_text())
    assert metrics["arch"] == "compact" and metrics["seed"] == 7
    assert metrics["parameters"] <= 100_000
    assert 0.0 <= metrics["test"]["accuracy"] <= 1.0 and metrics["test"]["loss"] > 0
    assert np.asarray(metrics["test"]["confusion_matrix"]).sum() == 256
    assert set(metrics["test"]["classification_report"]) >= {str(d) for d in range(10)} | {"macro avg"}
    assert {"precision", "recall", "f1-score"} <= set(metrics["test"]["classification_report"]["3"])
    assert metrics["arguments"]["limit"] == 256 and metrics["options"]["augment"] is True
    assert metrics["data"]["sizes"] == {"train": 256, "validation": 256, "test": 256}
    assert set(metrics["data"]) == {"source", "sizes", "limit", "flagged_ones", "styled_photos"}
    assert np.asarray(metrics["test"]["confusion_matrix"]).shape == (10, 10)
    # The compact arch's recipe adds flagged copies of half the training 1s (the continental 1), and a fifth of
    # those again rendered as phone photos.
    half_the_ones = round(0.5 * np.count_nonzero(mnist_train.labels[:256] == 1))
    flagged = metrics["data"]["flagged_ones"]
    assert metrics["options"]["flagged_ones"] == 0.5 and 0.8 * half_the_ones <= flagged <= half_the_ones
    assert metrics["options"]["styled_photo_share"] == 0.2
    assert 0.8 * round(0.2 * flagged) <= metrics["data"]["styled_photos"] <= round(0.2 * flagged)
    assert set(metrics["options"]) == {"arch", "epochs", "batch_size", "learning_rate", "seed", "patience", "augment",
                                       "flagged_ones", "styled_photo_share", "negatives", "photo_share"}
    assert {"python", "keras", "numpy", "scikit-learn"} <= set(metrics["versions"])
    assert {"tensorflow", "tensorflow-cpu"} & set(metrics["versions"])
    assert metrics["wall_seconds"] > 0 and metrics["epochs_run"] == 1


@pytest.mark.slow
def test_history_and_model_load(tiny_run, mnist_test):
    import keras

    run_dir, _ = tiny_run
    header, row = (run_dir / report.HISTORY_FILE).read_text().splitlines()
    assert header.split(",")[:1] == ["epoch"] and {"loss", "val_loss", "accuracy"} <= set(header.split(","))
    model = keras.models.load_model(run_dir / report.MODEL_FILE)
    probabilities = model.predict(mnist_test.images[:8, :, :, None] / 255.0, verbose=0)
    assert probabilities.shape == (8, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.slow
def test_same_seed_gives_same_weights_and_force_replaces_an_earlier_run(tiny_run, mnist_dir, tmp_path):
    import keras

    earlier = [*report.RUN_FILES, *MODEL_FILES.values(), REPORT_FILE, INCOMPLETE_FILE]
    for name in earlier:
        (tmp_path / name).write_text("an earlier run")
    (tmp_path / "notes.txt").write_text("the user's own file")
    first_dir, _ = tiny_run
    again = train_cli("--mnist-dir", str(mnist_dir), "--out", str(tmp_path), "--seed", "7", "--force")
    assert again.exit_code == 0, again.output
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([*report.RUN_FILES, "notes.txt"])
    assert "an earlier run" not in (tmp_path / report.METRICS_FILE).read_text()
    assert (tmp_path / "notes.txt").read_text() == "the user's own file"
    first = keras.models.load_model(first_dir / report.MODEL_FILE).get_weights()
    second = keras.models.load_model(tmp_path / report.MODEL_FILE).get_weights()
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.fixture()
def small_disk(tmp_path):
    """A 256 KB tmpfs: room for the INCOMPLETE marker, none for a model (mounting needs root: else skipped)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if not shutil.which("mount"):
        pytest.skip("no mount command")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


@pytest.mark.slow
def test_full_disk_is_one_line_and_leaves_the_run_marked_incomplete(small_disk, mnist_dir):
    run_dir = small_disk / "run"
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(run_dir))
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: training stopped: No space left on device; {run_dir} is marked incomplete"]
    assert [path.name for path in run_dir.iterdir()] == [INCOMPLETE_FILE]


def train_in_subprocess(run_dir, mnist_dir):
    """digits-train in its own process (a signal for it must not reach pytest), training for a long while."""
    return subprocess.Popen(
        [sys.executable, "-c", "from digits.train.cli import main; main()", *TINY, "--epochs", "1000",
         "--patience", "1000", "--mnist-dir", str(mnist_dir), "--out", str(run_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.parametrize("signum, name", [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")])
def test_stopped_training_leaves_the_run_marked_incomplete(tmp_path, mnist_dir, signum, name):
    from digits.convert.cli import main as convert_main

    run_dir = tmp_path / "run"
    training = train_in_subprocess(run_dir, mnist_dir)
    try:
        deadline = time.monotonic() + 300
        while not (run_dir / report.MODEL_FILE).exists():  # the first epoch's checkpoint: training is under way
            assert training.poll() is None, training.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.2)
        training.send_signal(signum)
        _, stderr = training.communicate(timeout=120)
    finally:
        training.kill()
    assert training.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert stderr.rstrip().splitlines()[-1] == (f"Error: training stopped by {name}; {run_dir} is marked incomplete "
                                                f"({INCOMPLETE_FILE})")
    assert sorted(path.name for path in run_dir.iterdir()) == sorted([INCOMPLETE_FILE, report.MODEL_FILE])
    refused = CliRunner().invoke(convert_main, [str(run_dir), "--mnist-dir", str(mnist_dir)])
    assert refused.exit_code == 1 and f"Error: {run_dir}: its training did not finish" in refused.output


@pytest.mark.slow
def test_training_shows_no_tensorflow_error_lines(tmp_path, mnist_dir, capfd):
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    native_errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("E0000")]
    assert native_errors == []


def test_non_empty_out_is_refused_without_force(tmp_path, mnist_dir):
    (tmp_path / "old.txt").write_text("keep me")
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "not empty" in result.output and "--force" in result.output
    assert "Traceback" not in result.output
    assert [path.name for path in tmp_path.iterdir()] == ["old.txt"]


def test_unwritable_out_is_refused(tmp_path, mnist_dir):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(blocker / "run"))
    assert result.exit_code == 1 and "cannot write to --out" in result.output


@pytest.mark.slow
def test_flagged_ones_and_their_photos_add_training_digits(tmp_path, mnist_dir, mnist_train):
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(tmp_path), "--flagged-ones", "1",
                       "--styled-photo-share", "0.5")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / report.METRICS_FILE).read_text())
    flagged, ones = metrics["data"]["flagged_ones"], int(np.count_nonzero(mnist_train.labels[:256] == 1))
    assert f"{flagged} flagged 1s added to the 256 training images" in result.output
    assert metrics["options"]["flagged_ones"] == 1 and 0.8 * ones <= flagged <= ones
    assert metrics["data"]["sizes"]["train"] == 256
    half = round(0.5 * flagged)
    assert f"Rendering {half} flagged 1s as phone photos" in result.output
    assert metrics["options"]["styled_photo_share"] == 0.5 and 0.8 * half <= metrics["data"]["styled_photos"] <= half


@pytest.mark.slow
def test_not_a_digit_class_gets_an_operating_point_and_held_out_false_accepts(tmp_path, mnist_dir):
    import keras

    run_dir = tmp_path
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(run_dir), "--negatives", "0.25")
    assert result.exit_code == 0, result.output
    metrics = json.loads((run_dir / report.METRICS_FILE).read_text())
    # "not a digit" images as a quarter of the training and of the validation digits, an 11th class
    assert metrics["data"]["negatives_train"] == metrics["data"]["negatives_validation"] == 64
    assert np.asarray(metrics["test"]["confusion_matrix"]).shape == (10, 11)
    model = keras.saving.load_model(run_dir / report.MODEL_FILE, compile=False)
    assert model.output_shape == (None, 11)
    validation = metrics["not_a_digit"]["validation"]
    # the choice also reads a fifth of the validation images rendered as photos (a few give no digit)
    photographed = metrics["not_a_digit"]["validation_photos"]
    assert 0.8 * 64 <= photographed <= 64
    assert validation["digits"] + validation["negatives"] == 256 + 64 + photographed
    assert validation["digits"] >= 256 and validation["negatives"] >= 64
    assert "Rendering 64 validation digits and negatives as phone photos" in result.output
    assert -4 <= validation["offset"] <= 4
    assert "'Not a digit' operating point (validation, clean and photographed)" in result.output
    heldout = metrics["not_a_digit"]["heldout"]
    assert set(heldout["by_kind"]) == {"letter", "scribble", "strike", "cut", "paper"}
    assert all(0 <= kind["accepted"] <= kind["count"] for kind in heldout["by_kind"].values())
    assert sum(kind["count"] for kind in heldout["by_kind"].values()) == 2560  # ten per test digit, at most 5,000
    assert not set(heldout["by_letter"]) & set("OoIli")  # digit-like letters are never negatives
    assert "Held-out negatives read as a digit: " in result.output


@pytest.mark.slow
def test_photo_share_adds_digits_and_negatives_rendered_as_photos(tmp_path, mnist_dir):
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(tmp_path), "--photo-share", "0.1",
                       "--negatives", "0.25", "--flagged-ones", "0")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / report.METRICS_FILE).read_text())
    # a tenth of the 256 training digits and their 64 negatives, less the few the preprocessing finds nothing in
    assert "Rendering 32 training digits and negatives as phone photos" in result.output
    assert metrics["options"]["photo_share"] == 0.1 and 24 <= metrics["data"]["photos"] <= 32


@pytest.mark.slow
def test_photo_share_without_negatives_renders_training_digits(tmp_path, mnist_dir):
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(tmp_path), "--photo-share", "0.1",
                       "--flagged-ones", "0")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / report.METRICS_FILE).read_text())
    assert "Rendering 26 training digits as phone photos" in result.output
    assert 20 <= metrics["data"]["photos"] <= 26 and "negatives_train" not in metrics["data"]


@pytest.mark.slow
def test_no_negatives_gives_a_ten_class_model(tmp_path, mnist_dir):
    import keras

    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(tmp_path), "--flagged-ones", "0")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / report.METRICS_FILE).read_text())
    assert keras.saving.load_model(tmp_path / report.MODEL_FILE, compile=False).output_shape == (None, 10)
    assert metrics["not_a_digit"] == {} and "operating point" not in result.output
    assert "'not a digit' images added" not in result.output


@pytest.mark.slow
def test_seed_arch_adds_no_flagged_ones(tmp_path, mnist_dir):
    result = train_cli("--mnist-dir", str(mnist_dir), "--out", str(tmp_path), "--arch", "seed")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / report.METRICS_FILE).read_text())
    assert metrics["data"]["flagged_ones"] == 0 and metrics["data"]["styled_photos"] == 0
    assert "flagged 1s" not in result.output and "Rendering" not in result.output
    assert metrics["not_a_digit"] == {} and metrics["options"]["negatives"] == 0


@pytest.mark.parametrize("args, message", [
    (["--arch", "resnet"], "'resnet' is not one of 'compact', 'seed'"),
    (["--epochs", "0"], "0 is not in the range x>=1"),
    (["--epochs", "-2"], "-2 is not in the range x>=1"),
    (["--styled-photo-share", "1.5"], "1.5 is not in the range 0<=x<=1"),
    (["--flagged-ones", "1.5"], "1.5 is not in the range 0<=x<=1"),
    (["--flagged-ones", "-0.1"], "-0.1 is not in the range 0<=x<=1"),
    (["--negatives", "2"], "2.0 is not in the range 0<=x<=1"),
    (["--photo-share", "-1"], "-1.0 is not in the range 0<=x<=1"),
])
def test_bad_options_are_usage_errors(tmp_path, args, message):
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "run").exists()


def test_missing_mnist_folder_is_one_line(tmp_path):
    result = train_cli("--mnist-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"Error: MNIST folder {tmp_path / 'nowhere'} does not exist"
    assert not (tmp_path / "run").exists()


def test_corrupt_mnist_file_is_one_line(tmp_path, mnist_dir):
    broken = tmp_path / "mnist"
    broken.mkdir()
    for path in mnist_dir.iterdir():
        if path.name.startswith(("train", "t10k")):
            (broken / path.name).write_bytes(path.read_bytes())
    truncated = next(path for path in broken.iterdir() if path.name.startswith("t10k-images"))
    truncated.write_bytes(truncated.read_bytes()[:1000])
    result = train_cli("--mnist-dir", str(broken), "--out", str(tmp_path / "run"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: ")
    assert "t10k-images" in result.output and "Traceback" not in result.output


def test_threads_beyond_the_cores_are_capped_with_a_note(tmp_path):
    cores = available_cores()
    help_words = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert f"at most the cores available ({cores} here)" in help_words
    # the note comes before anything is read: a missing MNIST folder ends the run right after it
    result = CliRunner().invoke(main, ["--threads", "1000000", "--mnist-dir", str(tmp_path / "nowhere"),
                                       "--out", str(tmp_path / "run")])
    assert result.output.splitlines()[0] == f"note: --threads 1000000 capped to the {cores} cores available"
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_help_imports_no_tensorflow():
    result, loaded = help_loaded_modules("digits.train.cli", {"tensorflow", "keras"})
    assert result.returncode == 0 and loaded == "", (loaded, result.stderr)
    assert "Usage:" in result.stdout


def test_help_shows_defaults():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    words = " ".join(result.output.split())  # click wraps the help to the longest option's width
    for text in ("--arch", "default: compact", "--batch-size", "default: 128", "--mnist-dir", "--limit", "--force",
                 "--flagged-ones", "0.5 for compact", "--styled-photo-share", "0.2 for compact"):
        assert text in words
    assert "docs/training.md" in words and "README" not in words


def test_no_mnist_without_internet_is_one_line(monkeypatch, tmp_path):
    from digits.train.data import TFDS_MNIST_HOST, _reachable

    if _reachable(TFDS_MNIST_HOST, timeout_s=2):
        pytest.skip("this machine can download MNIST")
    monkeypatch.delenv("DIGITS_MNIST_DIR", raising=False)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    result = train_cli("--out", str(tmp_path / "run"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: MNIST is not in the tensorflow-datasets cache")


def test_version_names_the_command_and_the_package_version():
    from importlib.metadata import version

    from click.testing import CliRunner
    from digits.train.cli import main as command

    result = CliRunner().invoke(command, ["--version"])
    assert result.exit_code == 0 and result.output == f"digits-train, version {version('digits')}\n"
