"""Evaluate a Keras model on a labelled folder of photos through the edge runner's preprocessing."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from digits.edge.evaluation import Scores, classification_report, confusion_table, label_for, read_labels_csv, score
from digits.edge.images import ImageReadError, list_images, read_image
from digits.edge.preprocess import to_mnist
from digits.train.trainer import predict_probabilities

LABELS_FILE = "labels.csv"


@dataclass(frozen=True)
class LabelledPhotos:
    """Model inputs of a labelled folder: 28x28 images (None where no digit was found) and their labels."""

    files: list[str]
    inputs: list[np.ndarray | None]
    labels: list[int]
    skipped: list[str]


def load_labelled_photos(folder: Path) -> LabelledPhotos:
    """Every labelled image below `folder`, preprocessed with `digits.edge.preprocess.to_mnist`.

    Labels come from `folder/labels.csv` (`file,label`) when present, else from parent folders named 0-9
    (as in ../shared/photos). Unlabelled and unreadable files are left out (the latter listed in `skipped`).

    Raises:
        FolderError: missing folder or no images; LabelsError: a bad labels.csv; ValueError: no labelled image.
    """
    folder = Path(folder)
    labels_csv = folder / LABELS_FILE
    labels = read_labels_csv(labels_csv) if labels_csv.is_file() else None
    photos = LabelledPhotos([], [], [], [])
    for file in list_images(folder, recursive=True):
        label = label_for(file, folder, labels)
        if label is None:
            continue
        try:
            image = read_image(file)
        except ImageReadError as error:
            photos.skipped.append(str(error))
            continue
        photos.files.append(file.relative_to(folder).as_posix())
        photos.inputs.append(to_mnist(image))
        photos.labels.append(label)
    if not photos.files:
        raise ValueError(f"no labelled images in {folder}: use folders named 0-9 or a {LABELS_FILE} (file,label)")
    return photos


def evaluate_photos(model, photos: LabelledPhotos) -> Scores:
    """Scores of a Keras model on preprocessed photos; an image without a digit counts as wrong."""
    found = [i for i, image in enumerate(photos.inputs) if image is not None]
    predicted: list[int | None] = [None] * len(photos.inputs)
    if found:
        batch = np.stack([photos.inputs[i] for i in found])[..., np.newaxis].astype(np.float32)
        for i, digit in zip(found, predict_probabilities(model, batch).argmax(axis=1)):
            predicted[i] = int(digit)
    return score(photos.labels, predicted)


def photos_report(folder: Path, scores: Scores) -> str:
    """The accuracy line, classification report and confusion matrix as text."""
    return (f"photos in {folder}: accuracy {scores.accuracy:.2%} ({round(scores.accuracy * scores.count)}/"
            f"{scores.count})\n\n{classification_report(scores)}\n{confusion_table(scores)}")


def photos_metrics(folder: Path, scores: Scores) -> dict:
    """The scores as JSON-ready data for metrics.json."""
    return {
        "folder": str(folder),
        "accuracy": scores.accuracy,
        "count": scores.count,
        "per_class": {str(c): {"precision": float(p), "recall": float(r), "f1-score": float(f), "support": int(s)}
                      for c, p, r, f, s in zip(scores.classes, scores.precision, scores.recall, scores.f1,
                                               scores.support)},
        "confusion_matrix": scores.confusion.tolist(),
    }
