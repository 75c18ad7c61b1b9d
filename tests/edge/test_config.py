"""--config FILE (TOML): options as defaults that flags override, bad files as one-line usage errors, and the
region written back into the file with everything else kept."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from digits.edge.cli import main
from digits.edge.config import save_roi
from digits.edge.live import Roi

from tests.edge.live_process import MODEL_ARGS, write_video


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist_test):
    return write_video(tmp_path_factory.mktemp("video") / "digits.avi", mnist_test)


def _summary(*args: str) -> dict:
    result = CliRunner(env={"DISPLAY": None}).invoke(main, [*MODEL_ARGS, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.splitlines()[-1])["summary"]


def test_config_options_are_defaults_that_flags_override(video, tmp_path):
    config = tmp_path / "digits.toml"
    config.write_text(f'camera = "{video}"\nmax-frames = 7\nroi = "10,20,100,90"\nsmooth_frames = 3\n')
    summary = _summary("--config", str(config))
    assert summary["frames"] == 7 and summary["roi"] == "10,20,100,90"
    summary = _summary("--config", str(config), "--max-frames", "4", "--roi", "0,0,50,50")
    assert summary["frames"] == 4 and summary["roi"] == "0,0,50,50"


@pytest.mark.parametrize("text, message", [
    ("camera = ", "is not valid TOML"),
    ("colour = 'red'\n", "unknown option(s) colour"),
    ("[camera]\nindex = 0\n", "not tables"),
    ("roi = '1,2'\n", "expected x,y,w,h"),
    ("max-frames = 'many'\n", "max-frames"),
    ("serve = '0.0.0.0:8080'\ncamera = '0'\n", "needs --token"),
])
def test_bad_config_files_are_one_line_usage_errors(tmp_path, text, message):
    config = tmp_path / "digits.toml"
    config.write_text(text)
    result = CliRunner(env={"DISPLAY": None}).invoke(main, [*MODEL_ARGS, "--config", str(config)])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_a_config_file_in_a_missing_folder_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "none" / "digits.toml"), "--camera", "0"])
    assert result.exit_code == 2 and "cannot read" in result.output, result.output


def test_a_config_file_not_there_yet_is_empty(video, tmp_path):
    result = CliRunner(env={"DISPLAY": None}).invoke(
        main, [*MODEL_ARGS, "--config", str(tmp_path / "digits.toml"), "--camera", str(video), "--max-frames", "2"])
    assert result.exit_code == 0 and "does not exist yet" in result.stderr, result.output
    assert "summary: 2 frames" in result.stdout


def test_the_roi_line_is_replaced_and_the_rest_kept(tmp_path):
    config = tmp_path / "digits.toml"
    config.write_text('# hall meter\ncamera = "picam"\n  roi = "1,1,5,5"   # old\n')
    save_roi(config, Roi(3, 4, 50, 60))
    assert config.read_text() == '# hall meter\ncamera = "picam"\nroi = "3,4,50,60"\n'
    fresh = tmp_path / "new.toml"
    save_roi(fresh, Roi(0, 0, 8, 8))
    assert fresh.read_text() == 'roi = "0,0,8,8"\n'
