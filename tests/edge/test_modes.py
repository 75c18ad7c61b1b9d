"""Each flag of digits-edge means one thing in every mode; a flag the chosen mode does not take is a usage error."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from digits.edge.cli import main

from tests.edge.test_preprocess import draw_on_paper
from tests.models import TEST_MODEL_PATH

MODEL_ARGS = ["--model", str(TEST_MODEL_PATH)]
# one way to give each mode-bound option on the command line
OPTION_ARGS = {
    "--recursive": [], "--labels": ["LABELS"], "--save-crops": ["OUT"], "--save-misses": ["OUT/m.png"],
    "--preprocess": ["robust"], "--save-annotated": ["OUT"], "--roi": ["1,1,5,5"], "--headless": [],
    "--max-frames": ["3"], "--duration": ["1"], "--smooth-frames": ["3"], "--serve": ["0"], "--token": ["t"],
    "--mqtt": ["mqtt://127.0.0.1/t"], "--mqtt-discovery-prefix": ["ha"], "--save-doubtful": ["OUT"],
    "--doubtful-max": ["3"], "--loop": [], "--digits": ["8"], "--pattern": [r"\d{8}"],
}
MODES = {  # the options each mode takes
    ("--dir",): {"--recursive", "--labels", "--save-crops", "--save-misses", "--preprocess"},
    ("--dir", "--multi"): {"--recursive", "--labels", "--save-annotated", "--digits", "--pattern"},
    ("--camera",): {"--roi", "--headless", "--max-frames", "--duration", "--smooth-frames", "--preprocess",
                    "--serve", "--token", "--mqtt", "--mqtt-discovery-prefix", "--save-doubtful", "--doubtful-max",
                    "--loop"},
}
CASES = [(mode, option) for mode, taken in MODES.items() for option in OPTION_ARGS if option not in taken]


def args_for(mode: tuple[str, ...], option: str, tmp_path) -> list[str]:
    source = [mode[0], str(tmp_path / "photos") if mode[0] == "--dir" else str(tmp_path / "clip.avi"), *mode[1:]]
    values = [str(tmp_path / value.replace("OUT", "out")) if "OUT" in value
              else str(tmp_path / "labels.csv") if value == "LABELS" else value for value in OPTION_ARGS[option]]
    return [*MODEL_ARGS, *source, option, *values]


@pytest.mark.parametrize(("mode", "option"), CASES, ids=[f"{' '.join(m)} {o}" for m, o in CASES])
def test_an_option_the_mode_does_not_take_is_a_usage_error_that_names_it(tmp_path, mode, option):
    (tmp_path / "photos").mkdir()
    (tmp_path / "labels.csv").write_text("file,label\n")
    result = CliRunner().invoke(main, args_for(mode, option, tmp_path))
    assert result.exit_code == 2, result.output
    assert f"{option} goes with " in result.output and f"not {' '.join(mode)}" in result.output


@pytest.fixture(scope="module")
def sevens(tmp_path_factory, mnist_test):
    """Five MNIST test 7s drawn on paper."""
    folder = tmp_path_factory.mktemp("sevens")
    for n, index in enumerate(np.flatnonzero(mnist_test.labels == 7)[:5]):
        cv2.imwrite(str(folder / f"{n}.jpg"), draw_on_paper(mnist_test.images[index]))
    return folder


def test_a_config_file_may_hold_options_of_other_modes(tmp_path, sevens):
    config = tmp_path / "digits.toml"
    config.write_text('roi = "10,10,50,50"\nsmooth_frames = 3\n')
    result = CliRunner().invoke(main, [*MODEL_ARGS, "--config", str(config), "--dir", str(sevens)])
    assert result.exit_code == 0, result.output


def test_min_confidence_with_dir_turns_a_less_sure_digit_into_no_digit(sevens):
    folder = str(sevens)
    rows = [json.loads(line) for line in CliRunner().invoke(main, [*MODEL_ARGS, "--dir", folder, "--json"]).stdout
            .splitlines() if '"file"' in line]
    assert rows and all(row["digit"] is not None for row in rows)
    threshold = min(row["confidence"] for row in rows) + 1e-6
    result = CliRunner().invoke(main, [*MODEL_ARGS, "--dir", folder, "--json", "--min-confidence", str(threshold)])
    taken = {row["file"]: row for row in map(json.loads, result.stdout.splitlines()) if "file" in row}
    for row in rows:
        kept = taken[row["file"]]
        assert (kept["digit"] is None) == (row["confidence"] < threshold)
        assert kept["probabilities"] == row["probabilities"]
