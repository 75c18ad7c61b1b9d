"""The run directory's reports: metrics, history, plots. Every file is written atomically."""
from __future__ import annotations

import csv
import io
import platform
from importlib import metadata
from pathlib import Path

import numpy as np
from digits.edge.files import atomic_path, write_bytes_atomic
from digits.edge.strict_json import json_text
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import classification_report, confusion_matrix

MODEL_FILE = "model.keras"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
CURVES_FILE = "training_curves.png"
CONFUSION_FILE = "confusion_matrix.png"
MISCLASSIFIED_FILE = "misclassified.png"
RUN_FILES = (MODEL_FILE, METRICS_FILE, HISTORY_FILE, CURVES_FILE, CONFUSION_FILE, MISCLASSIFIED_FILE)
VERSIONED_PACKAGES = ("tensorflow", "tensorflow-cpu", "keras", "tensorflow-datasets", "numpy", "scikit-learn",
                      "matplotlib", "click")
MAX_MISCLASSIFIED_SHOWN = 60
PLOT_DPI = 110


def save_model_atomically(model, path: Path) -> None:
    """model.save() to a temporary `.keras` name beside `path` (Keras wants the suffix), then rename."""
    with atomic_path(path) as temp:
        model.save(temp)


def library_versions() -> dict[str, str]:
    """Python and the installed versions of the libraries that shape a run."""
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def evaluation_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """Accuracy, per-class precision/recall/F1 (scikit-learn's classification report) and the confusion matrix."""
    predicted = probabilities.argmax(axis=1)
    digits = list(range(10))
    report = classification_report(labels, predicted, labels=digits, target_names=[str(d) for d in digits],
                                   output_dict=True, zero_division=0)
    # a model with the "not a digit" class: its column counts the digits it rejected (an error, as a misreading)
    classes = list(range(probabilities.shape[1]))
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "rejected": int(np.sum(predicted >= 10)),
        "classification_report": report,
        "confusion_matrix": confusion_matrix(labels, predicted, labels=classes)[:10].tolist(),
    }


def write_json(path: Path, data: dict) -> None:
    """Pretty JSON (NaN and infinities as null), atomically."""
    write_bytes_atomic(path, json_text(data).encode())


def write_history_csv(path: Path, history: dict[str, list[float]]) -> None:
    """One row per epoch: epoch, then every metric Keras logged (loss, accuracy, val_loss, ...)."""
    keys = sorted(history)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for epoch in range(len(history[keys[0]]) if keys else 0):
        writer.writerow([epoch + 1, *(f"{history[key][epoch]:.6g}" for key in keys)])
    write_bytes_atomic(path, text.getvalue().encode())


def _save_figure(figure: Figure, path: Path) -> None:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=PLOT_DPI, bbox_inches="tight")
    write_bytes_atomic(path, buffer.getvalue())


def plot_training_curves(path: Path, history: dict[str, list[float]], best_epoch: int, title: str) -> None:
    """Loss and error rate per epoch, training vs validation, with the kept (best) epoch marked.

    Both on log axes: near 99% accuracy the differences that matter are tenths of a percent.
    """
    figure = Figure(figsize=(10, 4))
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    training_name = "training (augmented)" if "augmented" in title else "training"
    panels = (("loss", "loss (cross-entropy, log scale)", lambda values: values),
              ("accuracy", "error rate (%, log scale)", lambda values: 100 * (1 - np.asarray(values))))
    for index, (metric, label, transform) in enumerate(panels):
        axes = figure.add_subplot(1, 2, index + 1)
        for key, name, style in ((metric, training_name, "o-"), ("val_" + metric, "validation", "s-")):
            if key in history:
                axes.plot(epochs, transform(history[key]), style, label=name, markersize=4)
        axes.set_yscale("log")
        axes.yaxis.set_major_formatter(lambda value, _: f"{value:g}")
        axes.yaxis.set_minor_formatter(lambda value, _: f"{value:g}")
        axes.tick_params(axis="y", which="minor", labelsize=7)
        if best_epoch > 0:
            axes.axvline(best_epoch, color="grey", linestyle=":", label=f"kept: epoch {best_epoch}")
        axes.set_xlabel("epoch")
        axes.set_ylabel(label)
        axes.set_xticks(epochs if len(epochs) <= 20 else epochs[::max(1, len(epochs) // 10)])
        axes.grid(alpha=0.3, which="both")
        axes.legend()
    figure.suptitle(title)
    _save_figure(figure, path)


def plot_confusion_matrix(path: Path, matrix: list[list[int]], title: str) -> None:
    """The test confusion matrix (10 x 10, or 10 x 11 with "not a digit") with counts in the cells (log-scaled
    colours so errors show)."""
    counts = np.asarray(matrix)
    figure = Figure(figsize=(6.5, 5.5))
    axes = figure.add_subplot()
    image = axes.imshow(np.log1p(counts), cmap="Blues")
    threshold = np.log1p(counts).max() / 2
    for (row, column), count in np.ndenumerate(counts):
        if count:
            axes.text(column, row, str(count), ha="center", va="center", fontsize=8,
                      color="white" if np.log1p(count) > threshold else "black")
    axes.set_xticks(range(counts.shape[1]), [str(d) for d in range(10)] + ["not"] * (counts.shape[1] - 10))
    axes.set_yticks(range(10))
    axes.set_xlabel("predicted digit")
    axes.set_ylabel("true digit")
    axes.set_title(title)
    figure.colorbar(image, ax=axes, label="log(1 + count)")
    _save_figure(figure, path)


def plot_misclassified(path: Path, images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray,
                       title: str) -> None:
    """A grid of (up to MAX_MISCLASSIFIED_SHOWN) misclassified test digits: true -> predicted (confidence)."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)[:MAX_MISCLASSIFIED_SHOWN]
    columns = 10
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    figure = Figure(figsize=(columns * 1.1, rows * 1.3 + 0.6))
    shown = f", first {len(wrong)} shown" if len(wrong) < np.sum(predicted != labels) else ""
    figure.suptitle(f"{title}: {np.sum(predicted != labels)} misclassified{shown} (true\u2192predicted, confidence)")
    if len(wrong) == 0:
        axes = figure.add_subplot()
        axes.text(0.5, 0.5, "no misclassified digits", ha="center", va="center")
        axes.axis("off")
    for slot, index in enumerate(wrong):
        axes = figure.add_subplot(rows, columns, slot + 1)
        axes.imshow(images[index].squeeze(), cmap="gray", vmin=0, vmax=1)
        axes.set_title(f"{labels[index]}\u2192{predicted[index]} ({probabilities[index].max():.0%})", fontsize=8)
        axes.axis("off")
    _save_figure(figure, path)
