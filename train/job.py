"""The `digits-train` job: data -> train -> evaluate on the test set -> the run directory's files."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from digits.convert.converter import MODEL_FILES, REPORT_FILE, to_model_input
from digits.train import report
from digits.train.data import MnistSplits, as_arrays, eval_pipeline, load_splits, uint8_arrays, with_extra
from digits.train.negatives import NEGATIVE_LABEL, make_negatives
from digits.train.rejection import bake_offset, choose_offset, false_accepts
from digits.train.rendered import render_training_photos
from digits.train.report import save_model_atomically
from digits.train.rundir import finish_run, prepare_run_dir, start_run
from digits.train.styles import flagged_ones
from digits.train.trainer import Notify, TrainOptions, make_deterministic, predict_probabilities, train

# what a digits-train --force removes from --out before it trains: the earlier run's files and conversions
PREVIOUS_RUN_FILES = (*report.RUN_FILES, *MODEL_FILES.values(), REPORT_FILE)
STYLED_PHOTO_SEED = 500  # added to --seed for the draw of flagged copies rendered as photos
NEGATIVES_SEED = 700  # added to --seed for the "not a digit" images
PHOTO_SEED = 900  # added to --seed for the draw of training digits and negatives rendered as photos
VALIDATION_PHOTO_SEED = 950  # added to --seed for the validation images rendered as photos (operating point)
# Of the validation digits and negatives, this share is also rendered as photos for choosing the operating point:
# the runner reads photographs, and a shift chosen on clean images alone can reject many photographed digits.
VALIDATION_PHOTO_SHARE = 0.2
HELDOUT_NEGATIVES = 5000  # "not a digit" images drawn apart (held-out letter faces, test digits) for the report


class RunStoppedError(RuntimeError):
    """Training stopped on a file system error (a full disk): the run directory is marked incomplete."""


@dataclass(frozen=True)
class RunSummary:
    """The headline figures of a finished run."""

    run_dir: Path
    arch: str
    parameters: int
    epochs_run: int
    best_epoch: int
    test_accuracy: float
    test_loss: float
    train_seconds: float
    total_seconds: float


def default_run_dir(arch: str, now: datetime | None = None) -> Path:
    """runs/<UTC timestamp>-<arch>, relative to the current folder."""
    now = now or datetime.now(timezone.utc)
    return Path("runs") / f"{now:%Y%m%d-%H%M%S}-{arch}"


def run_training(options: TrainOptions, run_dir: Path, mnist_dir: Path | None, limit: int | None = None,
                 force: bool = False, threads: int = 0, verbose: int | str = "auto",
                 arguments: dict | None = None, notify: Notify | None = None) -> RunSummary:
    """Train `options.arch` and write model.keras, metrics.json, history.csv and the plots into `run_dir`.

    Args:
        options: architecture and hyperparameters.
        run_dir: output folder (created; must be empty unless `force`, which removes an earlier run's files).
        mnist_dir: offline IDX folder, or None for tensorflow-datasets.
        limit: use only the first `limit` images of each split.
        threads: cap TensorFlow's thread pools (0: TensorFlow's default).
        arguments: the command-line arguments, recorded in metrics.json.
        notify: receives a line for each step worth telling (extra digits added, rendering progress, an
            early stop); None: silent. Keras's own epoch lines follow `verbose`.

    `run_dir` is marked incomplete (rundir.py) from when its earlier run's files are removed until the last
    file is written.

    Raises:
        RunDirError, MnistError, DataError: the run directory or the data cannot be used.
        RunStoppedError: a file system error (a full disk) stopped the training.
    """
    start = time.perf_counter()
    options = options.resolved()
    created = not run_dir.exists()
    prepare_run_dir(run_dir, force)
    make_deterministic(options.seed, threads)
    try:
        splits = load_splits(mnist_dir, limit)
    except ValueError:
        if created and not any(run_dir.iterdir()):
            run_dir.rmdir()  # leave nothing behind when there is no data to train on
        raise
    start_run(run_dir, PREVIOUS_RUN_FILES)
    try:
        summary = _train_and_write(options, splits, run_dir, start, limit, threads, verbose, arguments,
                                   notify or _silent)
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise RunStoppedError(f"training stopped: {error.strerror or error}{where}; "
                              f"{run_dir} is marked incomplete") from error
    finish_run(run_dir)
    return summary


def _train_and_write(options: TrainOptions, splits: MnistSplits, run_dir: Path, start: float, limit: int | None,
                     threads: int, verbose: int | str, arguments: dict | None, notify: Notify) -> RunSummary:
    """Add the extra training digits, train, evaluate on the test set and write the run's files."""
    mnist_sizes = splits.sizes
    mnist_train = uint8_arrays(splits.train)  # flagged 1s and struck-out or cut digits are made from these
    splits, added = _with_flagged_ones(options, splits, mnist_train, threads, notify)
    splits, negatives_added, train_negatives = _with_negatives(options, splits, mnist_train, notify)
    splits, photos_added = _with_photos(options, splits, mnist_train, train_negatives, threads, notify)
    # model.keras was written by the best-epoch checkpoint during training; result.model holds those weights
    result = train(options, splits, run_dir / report.MODEL_FILE, verbose=verbose, notify=notify)
    rejection = {}
    if options.negatives:
        rejection = _set_operating_point(result.model, splits, options.seed, threads, notify)
        save_model_atomically(result.model, run_dir / report.MODEL_FILE)

    test_loss, _ = result.model.evaluate(eval_pipeline(splits.test, options.batch_size), verbose=0)
    test_images, test_labels = as_arrays(splits.test)
    probabilities = predict_probabilities(result.model, test_images)
    test_metrics = report.evaluation_metrics(test_labels, probabilities)
    if options.negatives:
        rejection["heldout"] = _heldout_false_accepts(result.model, test_images, test_labels, options.seed, notify)
    summary = RunSummary(run_dir=run_dir, arch=options.arch, parameters=result.model.count_params(),
                         epochs_run=len(result.history.get("loss", [])), best_epoch=result.best_epoch,
                         test_accuracy=test_metrics["accuracy"], test_loss=float(test_loss),
                         train_seconds=result.train_seconds, total_seconds=time.perf_counter() - start)

    title = f"{options.arch} ({'augmented, ' if options.augment else ''}seed {options.seed})"
    report.write_history_csv(run_dir / report.HISTORY_FILE, result.history)
    report.plot_training_curves(run_dir / report.CURVES_FILE, result.history, result.best_epoch, title)
    report.plot_confusion_matrix(run_dir / report.CONFUSION_FILE, test_metrics["confusion_matrix"],
                                 f"{options.arch}: MNIST test, accuracy {test_metrics['accuracy']:.2%}")
    report.plot_misclassified(run_dir / report.MISCLASSIFIED_FILE, test_images, test_labels, probabilities,
                              f"{options.arch}: MNIST test")
    summary = RunSummary(**{**asdict(summary), "total_seconds": time.perf_counter() - start})
    report.write_json(run_dir / report.METRICS_FILE, {
        "arch": options.arch,
        "parameters": summary.parameters,
        "test": {"accuracy": summary.test_accuracy, "loss": summary.test_loss,
                 "classification_report": test_metrics["classification_report"],
                 "confusion_matrix": test_metrics["confusion_matrix"]},
        "validation": {"best_epoch": result.best_epoch,
                       "loss": _at_epoch(result.history, "val_loss", result.best_epoch),
                       "accuracy": _at_epoch(result.history, "val_accuracy", result.best_epoch)},
        "epochs_run": summary.epochs_run,
        "train_seconds": round(summary.train_seconds, 2),
        "wall_seconds": round(summary.total_seconds, 2),
        "seed": options.seed,
        "options": asdict(options),
        "arguments": arguments or {},
        "data": {"source": splits.source, "sizes": mnist_sizes, "limit": limit, **added, **negatives_added,
                 **photos_added},
        "not_a_digit": rejection,
        "versions": report.library_versions(),
        "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    return summary


def _with_flagged_ones(options: TrainOptions, splits: MnistSplits, mnist_train: tuple[np.ndarray, np.ndarray],
                       threads: int, notify: Notify) -> tuple[MnistSplits, dict[str, int]]:
    """The splits with flagged copies of `options.flagged_ones` of the training 1s added, and
    `options.styled_photo_share` of those again rendered as photos; with the counts added (metrics.json's)."""
    added = {"flagged_ones": 0, "styled_photos": 0}
    if options.flagged_ones <= 0:
        return splits, added
    images, labels = mnist_train  # the copies are made from MNIST's own training digits
    flagged = flagged_ones(images, labels, options.flagged_ones, options.seed)
    notify(f"{len(flagged[0]):,} flagged 1s added to the {len(images):,} training images")
    splits, added["flagged_ones"] = with_extra(splits, *flagged), len(flagged[0])
    if options.styled_photo_share > 0:
        # The flag as the camera and to_mnist pass it on: a photographed flag is thinner and softer than the
        # drawn one, and reads as a 7's bar to a model that saw only the drawing.
        photos = rendered_photos(*flagged, options.styled_photo_share, options.seed + STYLED_PHOTO_SEED,
                                 workers=threads or None, what="flagged 1s", notify=notify)
        splits, added["styled_photos"] = with_extra(splits, *photos), len(photos[0])
    return splits, added


def _with_negatives(options: TrainOptions, splits: MnistSplits, mnist_train: tuple[np.ndarray, np.ndarray],
                    notify: Notify) -> tuple[MnistSplits, dict[str, int], tuple[np.ndarray, np.ndarray]]:
    """The splits with "not a digit" images (label NEGATIVE_LABEL) added to training and validation, as
    `options.negatives` of each split's MNIST digits (struck-out and cut digits are drawn from that split's own);
    the counts added; and the training negatives with their labels."""
    added = {}
    train_negatives = (np.zeros((0, *mnist_train[0].shape[1:]), np.uint8), np.zeros(0, mnist_train[1].dtype))
    if not options.negatives:
        return splits, added, train_negatives
    for split in ("train", "validation"):
        digits, labels = mnist_train if split == "train" else uint8_arrays(splits.validation)
        negatives = make_negatives(round(options.negatives * len(digits)), options.seed + NEGATIVES_SEED, split,
                                   digits, labels)
        negative_labels = np.full(len(negatives.images), NEGATIVE_LABEL, mnist_train[1].dtype)
        splits = with_extra(splits, negatives.images, negative_labels, split)
        added[f"negatives_{split}"] = len(negatives.images)
        if split == "train":
            train_negatives = (negatives.images, negative_labels)
    notify(f"{added['negatives_train']:,} 'not a digit' images added to training, "
           f"{added['negatives_validation']:,} to validation")
    return splits, added, train_negatives


def _with_photos(options: TrainOptions, splits: MnistSplits, mnist_train: tuple[np.ndarray, np.ndarray],
                 train_negatives: tuple[np.ndarray, np.ndarray], threads: int, notify: Notify
                 ) -> tuple[MnistSplits, dict[str, int]]:
    """The splits with `options.photo_share` of the training digits and of the training negatives added again
    rendered as photos (so that a photograph's look says nothing of the class), and the count added."""
    if options.photo_share <= 0:
        return splits, {}
    kind = "training digits and negatives" if len(train_negatives[0]) else "training digits"
    photos = rendered_photos(np.concatenate([mnist_train[0], train_negatives[0]]),
                             np.concatenate([mnist_train[1], train_negatives[1]]), options.photo_share,
                             options.seed + PHOTO_SEED, workers=threads or None, what=kind, notify=notify)
    return with_extra(splits, *photos), {"photos": len(photos[0])}


def _set_operating_point(model, splits: MnistSplits, seed: int, threads: int, notify: Notify) -> dict:
    """Choose the "not a digit" shift on the validation digits and negatives, clean and a share of them rendered as
    photos, and bake it into the model."""
    images, labels = uint8_arrays(splits.validation)
    photos, photo_labels = rendered_photos(images, labels, VALIDATION_PHOTO_SHARE, seed + VALIDATION_PHOTO_SEED,
                                           workers=threads or None, what="validation digits and negatives",
                                           notify=notify)
    images, labels = np.concatenate([images, photos]), np.concatenate([labels, photo_labels])
    point = choose_offset(predict_probabilities(model, to_model_input(images)), labels)
    bake_offset(model, point.offset)
    notify(f"'Not a digit' operating point (validation, clean and photographed): shift {point.offset:+.1f}; "
           f"digits wrong or rejected {point.digit_errors}/{point.digits} ({point.digits_rejected} rejected), "
           f"negatives accepted {point.false_accepts}/{point.negatives}")
    return {"validation": asdict(point), "validation_photos": len(photos)}


def _heldout_false_accepts(model, test_images: np.ndarray, test_labels: np.ndarray, seed: int,
                           notify: Notify) -> dict:
    """False accepts on negatives the model never saw the like of (held-out letter faces, MNIST test digits
    struck out or cut), by kind and by letter."""
    digits = np.round(test_images[..., 0] * 255).astype(np.uint8)
    negatives = make_negatives(min(HELDOUT_NEGATIVES, 10 * len(digits)), seed + NEGATIVES_SEED, "heldout",
                               digits, test_labels)
    probabilities = predict_probabilities(model, to_model_input(negatives.images))
    by_kind = false_accepts(probabilities, negatives.kinds)
    letters = negatives.kinds == "letter"
    notify("Held-out negatives read as a digit: " + ", ".join(
        f"{kind} {counts['accepted']}/{counts['count']}" for kind, counts in by_kind.items()))
    return {"by_kind": by_kind, "by_letter": false_accepts(probabilities[letters], negatives.letters[letters])}


def rendered_photos(images: np.ndarray, labels: np.ndarray, share: float, seed: int, workers: int | None = None,
                    what: str = "training digits", notify: Notify | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`share` of the digits (uint8 N x 28 x 28; `what` names them) rendered as photos and read back
    (see rendered.py).

    Rendering runs in `workers` processes (None: one per core); `notify` receives its progress lines.
    """
    notify = notify or _silent
    count = round(share * len(images))
    notify(f"Rendering {count:,} {what} as phone photos and preprocessing them like the edge runner ...")
    start = time.perf_counter()
    reported = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal reported
        if done == total or done / total >= reported + 0.2:  # a line every fifth of the way
            reported = done / total
            notify(f"  {done:,}/{total:,} ({time.perf_counter() - start:.0f} s)")

    photos, photo_labels = render_training_photos(images, labels, count, seed, workers=workers, progress=progress)
    notify(f"  {len(photos):,} rendered ({count - len(photos)} gave no digit)")
    return photos, photo_labels


def _at_epoch(history: dict[str, list[float]], key: str, epoch: int) -> float | None:
    values = history.get(key, [])
    return float(values[epoch - 1]) if 0 < epoch <= len(values) else None


def _silent(line: str) -> None:
    """A Notify that tells nobody (library use, tests)."""
