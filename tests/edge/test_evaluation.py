"""Scores with numpy only, checked against scikit-learn (a test-only dependency), and the labels CSV."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from digits.edge.evaluation import LabelsError, LabelTable, classification_report, label_for, read_labels_csv, score


def test_report_matches_scikit_learn_layout_and_numbers():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 10, 300)
    predicted = np.where(rng.random(300) < 0.8, truth, rng.integers(0, 10, 300))
    predicted[truth == 4] = 9  # a class never predicted right: zero precision/recall handled like sklearn
    ours = classification_report(score(truth.tolist(), predicted.tolist()))
    theirs = metrics.classification_report(truth, predicted, zero_division=0)
    assert ours == theirs
    expected = metrics.confusion_matrix(truth, predicted, labels=range(10))
    assert np.array_equal(score(truth.tolist(), predicted.tolist()).confusion[:, :10], expected)


def test_no_digit_counts_as_wrong_and_has_its_own_column():
    scores = score([1, 1, 2, 3], [1, None, 2, 5])
    assert scores.accuracy == 0.5
    assert scores.classes == (1, 2, 3, 5)
    assert scores.confusion[1, 10] == 1
    assert list(scores.recall) == [0.5, 1.0, 0.0, 0.0]


def test_labels_csv_with_and_without_header(tmp_path):
    (tmp_path / "a.csv").write_text("file,label\nx.jpg,3\nsub/y.png,7\n")
    (tmp_path / "b.csv").write_text("x.jpg,3\n\n")
    assert read_labels_csv(tmp_path / "a.csv").labels == {"x.jpg": 3, "sub/y.png": 7}
    assert read_labels_csv(tmp_path / "b.csv").labels == {"x.jpg": 3}
    assert read_labels_csv(tmp_path / "b.csv").base == tmp_path


@pytest.mark.parametrize("content", ["x.jpg,12\n", "x.jpg\n", "x.jpg,seven\n"])
def test_bad_labels_csv_is_a_labels_error(tmp_path, content):
    (tmp_path / "bad.csv").write_text(content)
    with pytest.raises(LabelsError, match="row 1"):
        read_labels_csv(tmp_path / "bad.csv")


def test_label_for_matches_paths_from_the_csv_folder_relative_paths_names_and_folder_digits(tmp_path):
    root = tmp_path / "T"
    labels = LabelTable(root, {"Den/1.jpg": 0, "Luis/1.jpg": 1, "2.jpg": 5, "sub/3.jpg": 7})
    # the whole-set CSV read with --dir T/Luis: paths are taken from the CSV's own folder
    assert label_for(root / "Luis" / "1.jpg", root / "Luis", labels) == 1
    assert label_for(root / "Den" / "1.jpg", root / "Den", labels) == 0
    assert label_for(root / "x" / "2.jpg", root, labels) == 5
    assert label_for(root / "sub" / "3.jpg", root, labels) == 7
    assert label_for(root / "4.jpg", root, labels) is None
    assert label_for(Path("photos/7/a.png"), Path("photos"), None) == 7
    assert label_for(Path("photos/seven/a.png"), Path("photos"), None) is None


def test_a_file_listed_twice_with_the_same_label_is_fine_with_two_labels_an_error(tmp_path):
    (tmp_path / "same.csv").write_text("file,label\nx.jpg,3\ny.jpg,4\nx.jpg,3\n")
    assert read_labels_csv(tmp_path / "same.csv").labels == {"x.jpg": 3, "y.jpg": 4}
    (tmp_path / "clash.csv").write_text("file,label\nx.jpg,3\ny.jpg,4\nx.jpg,5\n")
    with pytest.raises(LabelsError, match=r"rows 1 and 3 give x.jpg two labels \(3 and 5\)"):
        read_labels_csv(tmp_path / "clash.csv")


def test_a_bare_name_matching_files_in_two_subfolders_is_an_error(tmp_path):
    files = [tmp_path / "a" / "7.jpg", tmp_path / "b" / "7.jpg", tmp_path / "b" / "8.jpg"]
    labels = LabelTable(tmp_path, {"7.jpg": 7, "b/8.jpg": 8}, tmp_path / "labels.csv")
    with pytest.raises(LabelsError, match="`7.jpg` matches both a/7.jpg and b/7.jpg"):
        labels.labels_of(files, tmp_path)
    by_path = LabelTable(tmp_path, {"a/7.jpg": 7, "b/7.jpg": 1, "8.jpg": 8})
    assert by_path.labels_of(files, tmp_path) == {files[0]: 7, files[1]: 1, files[2]: 8}
    assert by_path.labels_of(files[:1], tmp_path) == {files[0]: 7}
