"""Scores with numpy only, checked against scikit-learn (a test-only dependency), and the labels CSV."""
from __future__ import annotations

import numpy as np
import pytest

from pathlib import Path

from digits.edge.evaluation import LabelsError, classification_report, label_for, read_labels_csv, score


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
    assert read_labels_csv(tmp_path / "a.csv") == {"x.jpg": 3, "sub/y.png": 7}
    assert read_labels_csv(tmp_path / "b.csv") == {"x.jpg": 3}


@pytest.mark.parametrize("content", ["x.jpg,12\n", "x.jpg\n", "x.jpg,seven\n"])
def test_bad_labels_csv_is_a_labels_error(tmp_path, content):
    (tmp_path / "bad.csv").write_text(content)
    with pytest.raises(LabelsError, match="row 1"):
        read_labels_csv(tmp_path / "bad.csv")


def test_label_for_matches_relative_paths_names_and_folder_digits():
    labels = {"Den/1.jpg": 0, "2.jpg": 5, "sub/3.jpg": 7}
    assert label_for(Path("T/Den/1.jpg"), Path("T/Den"), labels) == 0
    assert label_for(Path("T/x/2.jpg"), Path("T"), labels) == 5
    assert label_for(Path("T/sub/3.jpg"), Path("T"), labels) == 7
    assert label_for(Path("T/4.jpg"), Path("T"), labels) is None
    assert label_for(Path("photos/7/a.png"), Path("photos"), None) == 7
    assert label_for(Path("photos/seven/a.png"), Path("photos"), None) is None
