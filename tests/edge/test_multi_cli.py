"""`digits-edge --dir DIR --multi` (JSON and text output, --save-annotated, digit-string labels and their scores)
and `--camera VIDEO --multi` (a steady text per number)."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from digits.edge.cli import main
from digits.edge.evaluation import LabelsError, NumberScores, digit_accuracy, edit_distance, read_number_labels
from digits.edge.multi_live import TextSmoother

from tests.edge.multi_pages import clear_digits, closing_bracket, draw_number
from tests.models import frozen_classifier


@pytest.fixture(scope="module")
def folder(tmp_path_factory, mnist_test):
    """Two numbers (one on two lines), a blank page, a text file named .jpg, and labels with extra columns."""
    chosen = clear_digits(mnist_test, frozen_classifier())
    digits = lambda text: [chosen[int(char)][0] for char in text]  # noqa: E731
    root = tmp_path_factory.mktemp("ids")
    cv2.imwrite(str(root / "id_a.jpg"), draw_number([digits("0512"), digits("6707")]).image)
    cv2.imwrite(str(root / "id_b.png"), cv2.cvtColor(draw_number([digits("0512")]).image, cv2.COLOR_GRAY2BGR))
    cv2.imwrite(str(root / "blank.jpg"), np.full((300, 400), 200, np.uint8))
    (root / "notes.jpg").write_text("not an image")
    # id_b's label lost its leading zero in a spreadsheet: it is taken as written
    (root / "labels.csv").write_text("file,label,writer\nid_a.jpg,05126707,Den\nid_b.png,512,Luis\nblank.jpg,,-\n")
    return root


def run(*args: str):
    return CliRunner().invoke(main, ["--threads", "1", *args])


def test_json_lines_carry_every_digit_with_its_box_then_the_scores(folder):
    result = run("--dir", str(folder), "--multi", "--json", "--labels", str(folder / "labels.csv"))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    by_file = {row["file"]: row for row in rows if "file" in row}
    assert set(by_file) == {"id_a.jpg", "id_b.png", "blank.jpg"}
    first = by_file["id_a.jpg"]
    assert first["text"] == "05126707" and first["label"] == "05126707"
    assert [line["text"] for line in first["lines"]] == ["0512", "6707"]
    digit = first["lines"][1]["digits"][0]
    assert digit["digit"] == 6 and 0 < digit["confidence"] <= 1 and len(digit["box"]) == 4
    assert first["latency_ms"] > 0
    assert by_file["blank.jpg"]["text"] == "" and by_file["blank.jpg"]["lines"] == []
    assert by_file["id_b.png"]["label"] == "512"
    summary = rows[-1]["summary"]
    assert summary["images"] == 3 and summary["skipped"] == 1 and summary["no_digit"] == 1
    assert summary["exact"] == 2 and summary["labelled"] == 3
    assert summary["digit_accuracy"] == pytest.approx((8 + 3 * (1 - 1 / 3)) / 11)
    assert "notes.jpg" in result.stderr


def test_text_output_gives_lines_digits_confidences_and_boxes(folder):
    result = run("--dir", str(folder), "--multi", "--labels", str(folder / "labels.csv"))
    assert result.exit_code == 0, result.output
    assert "id_a.jpg: 05126707" in result.stdout and "[right]" in result.stdout
    assert "  line 2: 6707" in result.stdout
    assert "[label 512]" in result.stdout and "blank.jpg: (no digits)" in result.stdout
    assert "exact: 66.67% (2/3 labelled)" in result.stdout


def test_save_annotated_writes_each_image_with_boxes_drawn(folder, tmp_path):
    out = tmp_path / "annotated"
    result = run("--dir", str(folder), "--multi", "--save-annotated", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == ["blank.jpg", "id_a.jpg", "id_b.png"]  # no temp files
    original = cv2.imread(str(folder / "id_b.png"))
    drawn = cv2.imread(str(out / "id_b.png"))
    assert drawn.shape == original.shape and np.any(drawn != original)
    green = (drawn[:, :, 1] > 120) & (drawn[:, :, 0] < 60) & (drawn[:, :, 2] < 60)
    assert green.sum() > 100  # the boxes


@pytest.mark.parametrize("args, message", [
    (["--save-annotated", "x"], "--save-annotated goes with --dir --multi, not --dir"),
    (["--multi", "--save-crops", "x"], "--save-crops goes with --dir, not --dir --multi"),
])
def test_option_misuse_is_a_usage_error(folder, args, message):
    result = run("--dir", str(folder), *args)
    assert result.exit_code == 2 and message in result.output


def test_bad_labels_and_empty_folders_are_one_line_errors(folder, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("file,label\nid_a.jpg,05x2\n")
    result = run("--dir", str(folder), "--multi", "--labels", str(bad))
    assert result.exit_code == 1 and "row 1" in result.output and "Traceback" not in result.output
    (tmp_path / "empty").mkdir()
    result = run("--dir", str(tmp_path / "empty"), "--multi")
    assert result.exit_code == 1 and "no images" in result.output


@pytest.mark.parametrize("first, second, distance", [
    ("", "", 0), ("0512", "", 4), ("", "12", 2), ("0512", "0512", 0), ("0512", "512", 1),
    ("0512", "0521", 2), ("kitten", "sitting", 3), ("1234", "12934", 1),
])
def test_edit_distance(first, second, distance):
    assert edit_distance(first, second) == distance == edit_distance(second, first)


def test_per_digit_accuracy_and_totals():
    assert digit_accuracy("0512", "0512") == 1.0
    assert digit_accuracy("0512", "512") == 0.75
    assert digit_accuracy("12", "999999") == 0.0  # never below 0
    assert digit_accuracy("", "") == 1.0 and digit_accuracy("", "7") == 0.0
    scores = NumberScores()
    for label, text in (("0512", "0512"), ("12345678", "1234567"), ("", "")):
        scores.add(label, text)
    assert scores.exact == 2 and scores.images == 3
    assert scores.digit_accuracy == pytest.approx((4 + 7) / 12)


def test_numbers_are_exact_wrong_or_rejected_for_accuracy_against_coverage():
    scores = NumberScores()
    for label, text, readable in (("0512", "0512", True), ("0512", "0517", True), ("0512", "05?2", False),
                                  ("0512", "????", False), ("6707", "6707", True)):
        scores.add(label, text, readable)
    assert (scores.exact, scores.wrong, scores.rejected) == (2, 1, 2)
    assert scores.coverage == pytest.approx(3 / 5) and scores.answered_accuracy == pytest.approx(2 / 3)
    assert scores.digit_accuracy == pytest.approx((4 + 3 + 3 + 0 + 4) / 20)


def test_number_labels_are_strings_as_written(tmp_path):
    with_header = tmp_path / "a.csv"
    with_header.write_text("file,label,repo\nx.jpg,0512,r\ny.jpg, 512 ,r\nz.jpg,,r\n")
    assert read_number_labels(with_header).labels == {"x.jpg": "0512", "y.jpg": "512", "z.jpg": ""}
    headerless = tmp_path / "b.csv"
    headerless.write_text("x.jpg,0099\n")
    assert read_number_labels(headerless).labels == {"x.jpg": "0099"}
    for text in ("file,label\nx.jpg,12a\n", "file,label\nx.jpg\n", ""):
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(LabelsError):
            read_number_labels(bad)


@pytest.fixture(scope="module")
def number_video(tmp_path_factory, mnist_test):
    """An MJPG video: blank paper, then a number on two lines, then another number; 640x480, 10 fps."""
    chosen = clear_digits(mnist_test, frozen_classifier())
    digits = lambda text: [chosen[int(char)][0] for char in text]  # noqa: E731
    path = tmp_path_factory.mktemp("video") / "numbers.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    blank = np.full((480, 640), 200, np.uint8)
    pages = [blank] * 6 + [draw_number([digits("0512"), digits("6707")], size=(480, 640)).image] * 10
    pages += [draw_number([digits("93")], size=(480, 640), margin=150).image] * 10
    for page in pages:
        writer.write(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def test_camera_multi_reports_each_new_number_once(number_video):
    result = run("--camera", str(number_video), "--multi", "--headless", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    changes, summary = rows[:-1], rows[-1]["summary"]
    assert [change["text"] for change in changes] == ["", "05126707", "93"]
    assert changes[1]["lines"] == ["0512", "6707"] and 6 <= changes[1]["frame"] <= 9
    assert summary["frames"] == 26 and summary["stopped_by"] == "end of video"


def test_camera_multi_with_an_roi_reads_only_inside_it(number_video):
    result = run("--camera", str(number_video), "--multi", "--headless", "--roi", "0,0,640,200")
    assert result.exit_code == 0, result.output
    assert "0512  " in result.stdout and "6707" not in result.stdout  # the second line lies below the roi


def test_text_smoother_needs_most_of_the_frames_to_change():
    smoother = TextSmoother(5)
    readings = ["", "12", "12", "12", "17", "12", "12", "", "", ""]
    assert [smoother.update(text) for text in readings] == ["", "", "", "12", "12", "12", "12", "12", "12", ""]


def test_save_annotated_into_the_folder_read_is_one_line_of_error_before_any_work(folder, tmp_path):
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    (tmp_path / "alias").symlink_to(folder, target_is_directory=True)
    for out in (folder, tmp_path / "alias"):
        result = run("--dir", str(folder), "--multi", "--save-annotated", str(out))
        assert result.exit_code == 1 and result.stdout == ""
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "--save-annotated would write over the input image" in errors[0]
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


def test_number_labels_matching_files_in_two_subfolders_or_contradicting_are_errors(folder, tmp_path):
    people = tmp_path / "people"
    for person in ("ann", "bob"):
        (people / person).mkdir(parents=True)
        (people / person / "id.png").write_bytes((folder / "id_b.png").read_bytes())
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\nid.png,512\n")
    result = run("--dir", str(people), "--recursive", "--multi", "--labels", str(labels))
    assert result.exit_code == 1 and "`id.png` matches both ann/id.png and bob/id.png" in result.stderr
    labels.write_text("file,label\npeople/ann/id.png,0512\npeople/ann/id.png,512\n")
    result = run("--dir", str(people), "--recursive", "--multi", "--labels", str(labels))
    assert result.exit_code == 1 and "give people/ann/id.png two labels ('0512' and '512')" in result.stderr


def test_the_multi_summary_says_how_many_images_the_labels_left_unlabelled(folder, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\nid_a.jpg,05126707\n")
    result = run("--dir", str(folder), "--multi", "--labels", str(labels))
    assert "unlabelled: 2 of 3 images (not scored)" in result.stdout
    result = run("--dir", str(folder), "--multi", "--labels", str(labels), "--json")
    summary = json.loads(result.stdout.splitlines()[-1])["summary"]
    assert summary["unlabelled"] == 2 and summary["labelled"] == 1 and summary["interrupted"] is False


def rows_of(result) -> tuple[dict[str, dict], dict]:
    """The JSON rows of a --json run by file, and its summary."""
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {row["file"]: row for row in rows if "file" in row}, rows[-1]["summary"]


@pytest.fixture(scope="module")
def ids(repo_root):
    return repo_root / "TestSet" / "ids"


def test_whole_id_photos_read_with_their_number_of_digits_give_their_labels(ids):
    labels = ids / "labels.csv"
    result = run("--dir", str(ids), "--multi", "--digits", "8", "--json", "--labels", str(labels))
    assert result.exit_code == 0, result.output
    by_file, summary = rows_of(result)
    assert {name: row["text"] for name, row in by_file.items()} == read_number_labels(labels).labels
    assert all(row["readable"] for row in by_file.values())
    assert summary["exact"] == 3 and summary["rejected"] == 0 and summary["unreadable"] == 0
    result = run("--dir", str(ids), "--multi", "--pattern", r"\d{4}-?\d{4}")
    assert result.exit_code == 0 and "Rivers.jpg: 03517896  (2 lines" in result.stdout


def test_an_id_without_a_reading_of_the_form_is_unreadable_not_a_shorter_number(ids):
    result = run("--dir", str(ids), "--multi", "--digits", "3", "--json", "--labels", str(ids / "labels.csv"))
    assert result.exit_code == 0, result.output
    by_file, summary = rows_of(result)
    for row in by_file.values():
        assert row["text"] == "????????" and row["readable"] is False and row["reason"] == "no reading of that form"
        assert {digit["digit"] for line in row["lines"] for digit in line["digits"]} == {None}
    assert summary["unreadable"] == 3 and summary["rejected"] == 3 and summary["exact"] == 0
    assert summary["coverage"] == 0.0 and summary["digits"] == 0
    result = run("--dir", str(ids), "--multi", "--pattern", r"0\d{7}", "--labels", str(ids / "labels.csv"))
    assert "Luis.jpg: ????????  (1 lines, 8 digits" in result.stdout
    assert "unreadable: no reading of that form" in result.stdout
    assert "Den.jpg: 05126707" in result.stdout
    assert "answered: 66.67% (2/3; rejected: 1), of them exact: 100.00% (wrong: 0)" in result.stdout


@pytest.fixture(scope="module")
def phone(tmp_path_factory, mnist_test):
    """0512) 6707: a number with a closing bracket the test model reads as a 7, not surely."""
    chosen = clear_digits(mnist_test, frozen_classifier())
    digits = [chosen[int(char)][0] for char in "0512"] + [closing_bracket()] + [chosen[int(char)][0] for char in "6707"]
    root = tmp_path_factory.mktemp("phone")
    cv2.imwrite(str(root / "phone.png"), draw_number([digits]).image)
    return root


def test_a_bracket_beside_the_number_is_dropped_by_its_form(phone):
    plain, _ = rows_of(run("--dir", str(phone), "--multi", "--json"))
    assert plain["phone.png"]["text"] == "051276707"  # the premise: read as a digit without a form
    for form in (["--digits", "8"], ["--pattern", r"\d{4}\d{4}"]):
        by_file, _ = rows_of(run("--dir", str(phone), "--multi", "--json", *form))
        assert by_file["phone.png"]["text"] == "05126707" and by_file["phone.png"]["readable"] is True


def test_a_bad_pattern_or_both_forms_are_one_line_usage_errors(phone):
    for args, message in ((["--pattern", r"(\d{4}"], "Invalid value for '--pattern': not a regular expression"),
                          (["--digits", "0"], "Invalid value for '--digits'"),
                          (["--digits", "8", "--pattern", r"\d{8}"], "give --digits N or --pattern REGEX, not both")):
        result = run("--dir", str(phone), "--multi", *args)
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert result.exit_code == 2 and len(errors) == 1 and message in errors[0], result.output
        assert "Traceback" not in result.output


def test_digits_read_less_surely_than_min_confidence_are_question_marks(folder):
    result = run("--dir", str(folder), "--multi", "--json", "--min-confidence", "0.999",
                 "--labels", str(folder / "labels.csv"))
    assert result.exit_code == 0, result.output
    by_file, summary = rows_of(result)
    first = by_file["id_a.jpg"]
    assert first["text"] == "????????" and first["readable"] is False and first["reason"] is None
    assert {(digit["digit"], digit["reason"]) for line in first["lines"] for digit in line["digits"]} == {
        (None, "unsure")}
    assert by_file["blank.jpg"]["readable"] is True
    assert summary["unreadable"] == 2 and summary["rejected"] == 2 and summary["exact"] == 1  # the blank page
    text = run("--dir", str(folder), "--multi", "--min-confidence", "0.999").stdout
    assert "id_b.png: ????  (1 lines, 4 digits" in text and "unreadable" in text and "(unsure)" in text
    assert "unreadable: 2  digits: 0" in text


def test_camera_multi_shows_unread_marks_and_takes_a_form(number_video):
    result = run("--camera", str(number_video), "--multi", "--headless", "--min-confidence", "0.999")
    assert result.exit_code == 0, result.output
    assert "????" in result.stdout
    result = run("--camera", str(number_video), "--multi", "--headless", "--json", "--digits", "2")
    changes = [json.loads(line) for line in result.stdout.splitlines()][:-1]
    assert [change["text"] for change in changes] == ["", "????????", "93"]


def test_a_config_file_gives_the_form_by_the_options_long_names(ids, tmp_path):
    config = tmp_path / "digits.toml"
    config.write_text('pattern = "\\\\d{3}"\n')
    result = run("--config", str(config), "--dir", str(ids), "--multi")
    assert result.exit_code == 0 and "Den.jpg: ????????" in result.stdout, result.output
    config.write_text("digits = 8\n")
    assert "Den.jpg: 05126707" in run("--config", str(config), "--dir", str(ids), "--multi").stdout
