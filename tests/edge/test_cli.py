"""`digits-edge --dir` through CliRunner with real files and both real TFLite interpreters."""
from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from digits.edge.classifier import Prediction
from digits.edge.cli import main
from digits.edge.evaluation import RunSummary
from digits.edge.output import json_row, summary_json
from digits.edge.runtime import RUNTIMES
from digits.edge.sheet import make_miss, misses_sheet

from tests.edge.test_images import GIF_BYTES, cmyk_jpeg, png_header_only
from tests.edge.test_preprocess import draw_on_paper

MNIST_JPEGS = 200
MIN_MNIST_ACCURACY = 0.95


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def json_rows(output: str) -> list[dict]:
    rows = [json.loads(line) for line in output.splitlines() if line.strip()]
    return [row for row in rows if "file" in row]


@pytest.fixture(scope="module")
def digit_folders(tmp_path_factory, mnist_test):
    """photos/<label>/<n>.jpg: 3 MNIST test digits per label 3 and 7 drawn on paper (labels from folder names)."""
    root = tmp_path_factory.mktemp("photos")
    for label in (3, 7):
        (root / str(label)).mkdir()
        for n, index in enumerate(np.flatnonzero(mnist_test.labels == label)[:3]):
            cv2.imwrite(str(root / str(label) / f"{n * 5}.jpg"), draw_on_paper(mnist_test.images[index]))
    return root


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory, mnist_test):
    """Every kind of awkward file next to two good photos of a 7 (index 0 of the MNIST test set is a 7)."""
    folder = tmp_path_factory.mktemp("bad")
    photo = draw_on_paper(mnist_test.images[0])
    cv2.imwrite(str(folder / "good.jpg"), photo)
    (folder / "zero.jpg").write_bytes(b"")
    ok, encoded = cv2.imencode(".jpg", photo)
    (folder / "truncated.jpg").write_bytes(encoded.tobytes()[: len(encoded) // 2])
    (folder / "text.jpg").write_text("not an image\n")
    (folder / "huge.png").write_bytes(png_header_only(10000, 10000))
    cv2.imwrite(str(folder / "deep16.png"), photo.astype(np.uint16) * 257)
    cv2.imwrite(str(folder / "rgba.png"), cv2.cvtColor(photo, cv2.COLOR_GRAY2BGRA))
    (folder / "cmyk.jpg").write_bytes(cmyk_jpeg(photo))
    cv2.imwrite(str(folder / "blank.png"), np.full((480, 640), 235, np.uint8))
    cv2.imwrite(str(folder / "big.jpg"), cv2.resize(photo, (4400, 3300), interpolation=cv2.INTER_LINEAR))
    cv2.imwrite(str(folder / "good.webp"), photo)
    cv2.imwrite(str(folder / "good.tiff"), photo)
    (folder / "anim.gif").write_bytes(GIF_BYTES)
    (folder / "notes.txt").write_text("not an image, and not named like one: no warning\n")
    (folder / "README").write_text("about these files\n")
    return folder


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_bad_files_are_skipped_with_warnings_and_the_rest_is_read(bad_folder, runtime):
    result = invoke("--dir", bad_folder, "--json", "--runtime", runtime, "--threads", "1")
    assert result.exit_code == 0, result.output + result.stderr
    digits = {row["file"]: row["digit"] for row in json_rows(result.stdout)}
    assert digits == {"big.jpg": 7, "blank.png": None, "cmyk.jpg": 7, "deep16.png": 7, "good.jpg": 7, "rgba.png": 7,
                      "good.webp": 7, "good.tiff": 7}
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == 5
    for name in ("zero.jpg", "truncated.jpg", "text.jpg", "huge.png", "anim.gif: GIF is not read"):
        assert any(name in line for line in warnings)
    assert "notes.txt" not in result.stderr and "README" not in result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])["summary"]
    assert summary["images"] == 8 and summary["skipped"] == 5 and summary["no_digit"] == 1


def test_json_rows_have_every_field(digit_folders):
    result = invoke("--dir", digit_folders / "3", "--json")
    assert result.exit_code == 0, result.output
    rows = json_rows(result.stdout)
    assert [row["file"] for row in rows] == ["0.jpg", "5.jpg", "10.jpg"]  # natural order
    for row in rows:
        assert set(row) == {"file", "digit", "reason", "confidence", "probabilities", "not_a_digit", "latency_ms",
                            "label"}
        assert row["digit"] == row["label"] == 3
        assert len(row["probabilities"]) == 10 and abs(sum(row["probabilities"]) - 1) < 0.05
        assert 0 < row["confidence"] <= 1 and row["latency_ms"] > 0


def test_table_and_scores_from_folder_names(digit_folders):
    result = invoke("--dir", digit_folders, "--recursive")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["file", "digit", "confidence"]
    assert lines[1].split()[:2] == ["3/0.jpg", "3"]
    assert "images: 6  skipped: 0  no digit: 0" in result.stdout
    assert "accuracy: 100.00% (6/6 labelled)" in result.stdout
    assert "precision    recall  f1-score   support" in result.stdout
    assert "confusion matrix:" in result.stdout


def test_labels_from_a_csv(digit_folders, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n0.jpg,3\n5.jpg,3\n10.jpg,8\n")
    result = invoke("--dir", digit_folders / "3", "--labels", labels)
    assert result.exit_code == 0, result.output
    assert "accuracy: 66.67% (2/3 labelled)" in result.stdout


def test_save_crops_writes_what_the_model_saw(digit_folders, tmp_path):
    crops = tmp_path / "crops"
    result = invoke("--dir", digit_folders, "--recursive", "--save-crops", crops)
    assert result.exit_code == 0, result.output
    saved = sorted(p.relative_to(crops).as_posix() for p in crops.rglob("*") if p.is_file())
    assert saved == ["3/0.jpg.png", "3/10.jpg.png", "3/5.jpg.png", "7/0.jpg.png", "7/10.jpg.png", "7/5.jpg.png"]
    crop = cv2.imread(str(crops / "7" / "0.jpg.png"), cv2.IMREAD_UNCHANGED)
    assert crop.shape == (28, 28) and crop.dtype == np.uint8 and crop.max() > 200 and crop[0, 0] == 0


def test_two_files_that_differ_only_in_suffix_keep_a_crop_each(digit_folders, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(digit_folders / "7" / "0.jpg", photos / "7.jpg")
    cv2.imwrite(str(photos / "7.png"), cv2.imread(str(digit_folders / "3" / "0.jpg")))
    result = invoke("--dir", photos, "--save-crops", tmp_path / "crops")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "crops").iterdir()) == ["7.jpg.png", "7.png.png"]
    crops = [cv2.imread(str(tmp_path / "crops" / name), cv2.IMREAD_UNCHANGED) for name in ("7.jpg.png", "7.png.png")]
    assert not np.array_equal(*crops)


def test_preprocess_none_feeds_the_notebooks_way(digit_folders, tmp_path):
    result = invoke("--dir", digit_folders / "7", "--preprocess", "none", "--save-crops", tmp_path)
    assert result.exit_code == 0, result.output
    crop = cv2.imread(str(tmp_path / "0.jpg.png"), cv2.IMREAD_UNCHANGED)
    assert crop[0, 0] > 200  # not inverted: paper stays white, as the notebook fed it


def test_save_misses_draws_every_misread_image(digit_folders, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n0.jpg,3\n5.jpg,8\n10.jpg,1\n")  # two wrong labels: two misses
    result = invoke("--dir", digit_folders / "3", "--labels", labels, "--save-misses", tmp_path / "misses.png")
    assert result.exit_code == 0, result.output
    sheet = cv2.imread(str(tmp_path / "misses.png"))
    dummy = make_miss("x", np.zeros((9, 9), np.uint8), None, 0, None, 0.0)
    assert sheet.shape == misses_sheet([dummy, dummy], total=3).shape  # the layout of two tiles
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv", "misses.png"]  # no temporary left


def test_save_misses_without_labels_is_one_line_of_error(digit_folders, tmp_path):
    unlabelled = tmp_path / "photos"
    unlabelled.mkdir()
    (unlabelled / "a.jpg").write_bytes((digit_folders / "3" / "0.jpg").read_bytes())
    result = invoke("--dir", unlabelled, "--save-misses", tmp_path / "misses.png")
    assert result.exit_code == 1 and "--save-misses needs labels" in result.stderr
    assert not (tmp_path / "misses.png").exists()
    assert invoke("--dir", unlabelled, "--multi", "--save-misses", tmp_path / "m.png").exit_code == 2


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_mnist_test_digits_as_jpegs_are_read(tmp_path, mnist_test, runtime):
    for n, image in enumerate(mnist_test.images[:MNIST_JPEGS]):
        cv2.imwrite(str(tmp_path / f"{n}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    result = invoke("--dir", tmp_path, "--json", "--runtime", runtime)
    assert result.exit_code == 0, result.output
    digits = {row["file"]: row["digit"] for row in json_rows(result.stdout)}
    right = sum(digits[f"{n}.jpg"] == int(label) for n, label in enumerate(mnist_test.labels[:MNIST_JPEGS]))
    assert right / MNIST_JPEGS >= MIN_MNIST_ACCURACY


def test_the_runner_never_imports_tensorflow(digit_folders):
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from digits.edge.cli import main\n"
        f"result = CliRunner().invoke(main, ['--dir', {str(digit_folders)!r}, '--recursive', '--json'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert '\"digit\": 3' in result.output\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "False"]


def test_usage_errors_exit_2(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"x")
    for args in ([], ["--dir", tmp_path / "missing"], ["--dir", tmp_path / "a.jpg"],
                 ["--dir", tmp_path, "--threads", "0"], ["--dir", tmp_path, "--runtime", "tensorflow"]):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)


def test_runtime_errors_exit_1_with_one_line(tmp_path, digit_folders):
    (tmp_path / "empty").mkdir()
    (tmp_path / "garbage.tflite").write_bytes(b"not a model at all" * 10)
    (tmp_path / "unreadable").mkdir()
    (tmp_path / "unreadable" / "a.jpg").write_bytes(b"")
    (tmp_path / "bad.csv").write_text("0.jpg,eleven\n")
    (tmp_path / "clash.csv").write_text("0.jpg,3\n0.jpg,5\n")
    cases = {
        "no images": ["--dir", tmp_path / "empty"],
        "not a loadable TFLite model": ["--dir", digit_folders / "3", "--model", tmp_path / "garbage.tflite"],
        "does not exist": ["--dir", digit_folders / "3", "--model", tmp_path / "missing.tflite"],
        "no readable image": ["--dir", tmp_path / "unreadable"],
        "is not `file,label`": ["--dir", digit_folders / "3", "--labels", tmp_path / "bad.csv"],
        "rows 1 and 2 give 0.jpg two labels": ["--dir", digit_folders / "3", "--labels", tmp_path / "clash.csv"],
    }
    for message, args in cases.items():
        result = invoke(*args)
        assert result.exit_code == 1, (message, result.output)
        error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(error_lines) == 1 and message in error_lines[0], result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_model_with_the_wrong_input_shape_is_one_line_of_error(tmp_path, digit_folders):
    import keras
    import tensorflow as tf

    model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    (tmp_path / "wrong.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    result = invoke("--dir", digit_folders / "3", "--model", tmp_path / "wrong.tflite")
    assert result.exit_code == 1
    assert "input shape (1, 32, 32, 1), expected (1, 28, 28, 1)" in result.stderr


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


@pytest.fixture
def photos(tmp_path, digit_folders):
    """photos/7.png, photos/sub/3.jpg and photos/photos/7.jpg, and a symlink `alias` to photos."""
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    (root / "photos").mkdir()
    cv2.imwrite(str(root / "7.png"), cv2.imread(str(digit_folders / "7" / "0.jpg")))
    shutil.copy(digit_folders / "3" / "0.jpg", root / "sub" / "3.jpg")
    shutil.copy(digit_folders / "7" / "5.jpg", root / "photos" / "7.jpg")
    (tmp_path / "alias").symlink_to(root, target_is_directory=True)
    (tmp_path / "labels.csv").write_text("file,label\nphotos/7.png,1\nphotos/sub/3.jpg,3\nphotos/photos/7.jpg,7\n")
    return root


OUTPUTS_IN_THE_FOLDER_READ = {
    "crops into the folder": ["--save-crops", "{photos}"],
    "crops into a subfolder read with --recursive": ["--recursive", "--save-crops", "{photos}/sub"],
    "crops into the folder through a symlink": ["--save-crops", "{tmp}/alias"],
    "crops from a parent folder back into the folder": ["--recursive", "--save-crops", "{tmp}"],
    "misses into the folder": ["--save-misses", "{photos}/misses.png"],
    "misses over an input image": ["--save-misses", "{photos}/7.png"],
    "misses over an input image through a symlink": ["--save-misses", "{tmp}/alias/7.png"],
    "misses into a subfolder read with --recursive": ["--recursive", "--save-misses", "{photos}/sub/misses.png"],
}


@pytest.mark.parametrize("case", OUTPUTS_IN_THE_FOLDER_READ)
def test_an_output_in_the_folder_read_is_one_line_of_error_before_any_work(photos, case):
    before = {path: path.read_bytes() for path in photos.rglob("*") if path.is_file()}
    args = [arg.format(photos=photos, tmp=photos.parent) for arg in OUTPUTS_IN_THE_FOLDER_READ[case]]
    result = invoke("--dir", photos, "--labels", photos.parent / "labels.csv", *args)
    assert result.exit_code == 1, result.output
    assert len(error_lines(result)) == 1, result.stderr
    assert "into the folder being read" in result.stderr or "over the input image" in result.stderr
    assert result.stdout == ""  # no file was read
    assert {path: path.read_bytes() for path in photos.rglob("*") if path.is_file()} == before


def test_an_output_in_a_subfolder_that_is_not_read_is_allowed(photos):
    result = invoke("--dir", photos, "--save-crops", photos / "sub" / "crops")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (photos / "sub" / "crops").iterdir()] == ["7.png.png"]


def test_a_bare_name_in_the_labels_matching_files_in_two_subfolders_is_an_error(digit_folders, tmp_path):
    people = tmp_path / "people"
    for person, source in (("ann", "3"), ("bob", "7")):
        (people / person).mkdir(parents=True)
        shutil.copy(digit_folders / source / "0.jpg", people / person / "0.jpg")
    (tmp_path / "labels.csv").write_text("file,label\n0.jpg,3\n")
    result = invoke("--dir", people, "--recursive", "--labels", tmp_path / "labels.csv")
    assert result.exit_code == 1 and result.stdout == ""
    assert len(error_lines(result)) == 1 and "`0.jpg` matches both ann/0.jpg and bob/0.jpg" in result.stderr
    (tmp_path / "labels.csv").write_text("file,label\npeople/ann/0.jpg,3\npeople/bob/0.jpg,7\n")
    result = invoke("--dir", people, "--recursive", "--labels", tmp_path / "labels.csv")
    assert result.exit_code == 0 and "accuracy: 100.00% (2/2 labelled)" in result.stdout


def test_the_summary_says_how_many_images_the_labels_file_left_unlabelled(digit_folders, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n0.jpg,3\n")
    result = invoke("--dir", digit_folders / "3", "--labels", labels)
    assert result.exit_code == 0, result.output
    assert "unlabelled: 2 of 3 images (not scored)" in result.stdout
    assert "accuracy: 100.00% (1/1 labelled)" in result.stdout
    summary = json.loads(invoke("--dir", digit_folders / "3", "--labels", labels, "--json").stdout.splitlines()[-1])
    assert summary["summary"]["unlabelled"] == 2 and summary["summary"]["labelled"] == 1
    labels.write_text("file,label\nother.jpg,3\n")
    result = invoke("--dir", digit_folders / "3", "--labels", labels, "--json")
    summary = json.loads(result.stdout.splitlines()[-1])["summary"]
    assert summary["unlabelled"] == 3 and "accuracy" not in summary


def strict_json(line: str):
    """A JSON line parsed as strict JSON: NaN and Infinity are refused."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(line, parse_constant=refuse)


def test_json_lines_never_hold_nan():
    nan = float("nan")
    row = strict_json(json_row("x.jpg", Prediction(0, nan, (nan,) * 10, 1.5), 3))
    assert row["confidence"] is None and row["probabilities"] == [None] * 10 and row["latency_ms"] == 1.5
    summary = RunSummary()
    summary.add(Prediction(0, nan, (nan,) * 10, math.inf), 3)
    assert strict_json(summary_json(summary))["summary"]["mean_latency_ms"] is None


@pytest.mark.slow
def test_a_model_that_outputs_nan_still_gives_strict_json(tmp_path, digit_folders):
    import keras
    import tensorflow as tf

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    weights, bias = model.layers[-1].get_weights()
    model.layers[-1].set_weights([np.full_like(weights, np.nan), bias])
    (tmp_path / "nan.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    result = invoke("--dir", digit_folders / "3", "--model", tmp_path / "nan.tflite", "--json")
    assert result.exit_code == 0, result.output
    rows = [strict_json(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4 and all(row["confidence"] is None for row in rows[:3])


def cli_command(*args) -> list[str]:
    """digits-edge run as a program of its own, so that signals and permissions act on it for real."""
    return [sys.executable, "-c", "from digits.edge.cli import main; main()", *(str(arg) for arg in args)]


def without_root_privileges() -> list[str]:
    """A command prefix under which root too is refused a folder without permissions (the capabilities that
    bypass them dropped); nothing for other users."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a folder cannot be made unreadable")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


def test_an_unreadable_subfolder_is_one_warning_and_the_rest_is_read(digit_folders, tmp_path):
    root = tmp_path / "photos"
    for name, source in (("ok", "7"), ("locked", "3")):
        (root / name).mkdir(parents=True)
        shutil.copy(digit_folders / source / "0.jpg", root / name / "0.jpg")
    (root / "locked").chmod(0)
    try:
        run = subprocess.run(without_root_privileges() + cli_command("--dir", root, "--recursive", "--json"),
                             capture_output=True, text=True, timeout=120)
        top = subprocess.run(without_root_privileges() + cli_command("--dir", root / "locked"),
                             capture_output=True, text=True, timeout=120)
    finally:
        (root / "locked").chmod(0o755)
    assert run.returncode == 0, run.stderr
    assert [row["file"] for row in json_rows(run.stdout)] == ["ok/0.jpg"]
    assert [line for line in run.stderr.splitlines() if "locked" in line] == [
        f"warning: skipped folder {root / 'locked'} (Permission denied)"]
    assert top.returncode == 2 and "is not readable" in top.stderr  # click's own check of --dir


@pytest.fixture(scope="module")
def many_photos(tmp_path_factory, mnist_test):
    """2,000 names for one big photo of a digit: a run over them lasts long enough to be interrupted."""
    folder = tmp_path_factory.mktemp("many")
    cv2.imwrite(str(folder / "0.jpg"), draw_on_paper(mnist_test.images[0], height=500, page=(1200, 1600)))
    for n in range(1, 2000):
        os.link(folder / "0.jpg", folder / f"{n}.jpg")
    return folder


def is_row(line: str) -> bool:
    """A file's JSON line or table row (every file name of many_photos ends in .jpg)."""
    return '"file"' in line or line.split(maxsplit=1)[:1] != [] and line.split(maxsplit=1)[0].endswith(".jpg")


@pytest.mark.parametrize("mode", [["--json"], [], ["--multi", "--json"]], ids=["json", "table", "multi"])
def test_ctrl_c_prints_the_summary_of_what_was_read_and_exits_130(many_photos, mode):
    # unbuffered: each row reaches the pipe as it is printed, so the signal comes a few rows into the run
    child = subprocess.Popen(cli_command("--dir", many_photos, "--threads", "1", *mode), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    while sum(map(is_row, lines)) < 3:
        line = child.stdout.readline()
        assert line, child.communicate(timeout=60)[1]
        lines.append(line)
    child.send_signal(signal.SIGINT)
    rest, errors = child.communicate(timeout=60)
    lines += rest.splitlines()
    assert child.returncode == 130, errors
    assert "Traceback" not in errors and "Aborted" not in errors
    read = sum(map(is_row, lines))
    assert 3 <= read < 2000
    if "--json" in mode:
        summary = json.loads(lines[-1])["summary"]
        assert summary["interrupted"] is True and summary["images"] == read
    else:
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        assert f"images: {read}  skipped: 0" in text
        assert text.rstrip().endswith("interrupted (Ctrl-C): the totals cover the files read before it")


def test_version_names_the_command_and_the_package_version():
    from importlib.metadata import version

    from click.testing import CliRunner
    from digits.edge.cli import main as command

    result = CliRunner().invoke(command, ["--version"])
    assert result.exit_code == 0 and result.output == f"digits-edge, version {version('digits')}\n"
