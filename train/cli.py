"""`digits-train`: train a digit classifier on MNIST and write a run directory."""
from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path

import click
from digits.train.architectures import ARCHITECTURES, DEFAULT_ARCH
from digits.train.cores import available_cores
from digits.train.quiet import import_tensorflow_quietly

_ARCH_EPOCHS = ", ".join(f"{name}: {spec.epochs}" for name, spec in ARCHITECTURES.items())
_ARCH_RATES = ", ".join(f"{name}: {spec.learning_rate:g}" for name, spec in ARCHITECTURES.items())


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="digits", prog_name="digits-train")
@click.option("--arch", type=click.Choice(list(ARCHITECTURES)), default=DEFAULT_ARCH, show_default=True,
              help="Model: 'compact' is ours (small, int8-friendly, augmented); 'seed' is the notebook's net.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, show_default=_ARCH_EPOCHS,
              help="Maximum epochs (early stopping may end sooner).")
@click.option("--batch-size", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True), default=None, show_default=_ARCH_RATES,
              help="Adam's learning rate (compact: the start of a cosine decay).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed: the same seed on the same machine gives the same weights.")
@click.option("--patience", type=click.IntRange(min=1), default=20, show_default=True,
              help="Stop after this many epochs without a better validation accuracy.")
@click.option("--augment/--no-augment", default=None, show_default="on for compact, off for seed",
              help="Photo-like augmentation (rotation, shear, scale, shift, stroke thickness, blur, contrast).")
@click.option("--flagged-ones", type=click.FloatRange(min=0, max=1), default=None,
              show_default="0.5 for compact, 0 for seed",
              help="Add flagged copies (an upstroke into the top of the stem, the continental 1) of this "
                   "fraction of the training 1s.")
@click.option("--styled-photo-share", type=click.FloatRange(min=0, max=1), default=None,
              show_default="0.2 for compact, 0 for seed",
              help="Add this fraction of the flagged copies again, rendered as phone photos and read back "
                   "through the edge preprocessing.")
@click.option("--negatives", type=click.FloatRange(min=0, max=1), default=None,
              show_default="0",
              help="Add 'not a digit' images (letters, scribbles, struck-out and cut digits, paper; an 11th class) "
                   "as this fraction of the training and validation digits; 0: a ten-class model.")
@click.option("--photo-share", type=click.FloatRange(min=0, max=1), default=None, show_default="0",
              help="Add this fraction of the training digits and of the negatives again, rendered as phone photos "
                   "and read back through the edge preprocessing.")
@click.option("--out", "run_dir", type=click.Path(path_type=Path), default=None,
              show_default="runs/<UTC timestamp>-<arch>", help="Run directory to write.")
@click.option("--force", is_flag=True,
              help="Write into --out even if it is not empty: an earlier run's files there (its model, reports, "
                   "plots and TFLite conversions) are removed first; other files are kept.")
@click.option("--mnist-dir", type=click.Path(path_type=Path), default=None,
              show_default="$DIGITS_MNIST_DIR, else tensorflow-datasets",
              help="Folder with the four MNIST IDX files (gzip or raw), for offline use.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Use only the first N images of each split (quick checks and tests).")
@click.option("--threads", type=click.IntRange(min=0), default=0, show_default=True,
              help=f"TensorFlow threads and photo-rendering processes (0: all cores); at most the cores "
                   f"available ({available_cores()} here): more is capped, with a note.")
@click.option("--quiet", is_flag=True, help="One line per epoch instead of a progress bar (for logs).")
@click.option("--eval-photos", type=click.Path(path_type=Path), default=None,
              help="Also evaluate the trained model on this labelled photo folder (subfolders 0-9 or a "
                   "labels.csv) through the edge runner's preprocessing; the scores go into metrics.json.")
@click.option("--eval-model", type=click.Path(path_type=Path), default=None,
              help="With --eval-photos: evaluate this model.keras (or run directory) instead of training.")
def main(arch, epochs, batch_size, learning_rate, seed, patience, augment, flagged_ones, styled_photo_share,
         negatives, photo_share, run_dir, force, mnist_dir, limit, threads, quiet, eval_photos, eval_model):
    """Train a handwritten-digit classifier on MNIST and write a run directory.

    The run directory gets model.keras (best validation epoch), metrics.json (test accuracy and loss,
    per-class precision/recall/F1, confusion matrix, parameters, wall time, seed, arguments, versions),
    history.csv, training_curves.png, confusion_matrix.png and misclassified.png. The last 5,000 training
    images are held out for validation; the test set is used only for the final report. Until its last file is
    written the folder holds INCOMPLETE, so a run stopped by Ctrl-C, SIGTERM or a full disk says so (and
    digits-convert refuses it). The recipe, each option and the alternatives measured and not used:
    docs/training.md.

    \b
    Examples:
      digits-train --mnist-dir ../shared/mnist --out runs/compact
      digits-train --arch seed            # the notebook's net, MNIST from tensorflow-datasets
      digits-train --limit 512 --epochs 1 # a quick check
      digits-train --eval-photos ../shared/photos --eval-model runs/compact/model.keras
    """
    import_tensorflow_quietly()  # here, not at import: --help needs no TensorFlow
    from digits.train.data import DataError
    from digits.train.job import RunStoppedError, default_run_dir, run_training
    from digits.train.mnist import MnistError, resolve_mnist_dir
    from digits.train.rundir import RunDirError
    from digits.train.trainer import TrainOptions

    if eval_model is not None and eval_photos is None:
        raise click.UsageError("--eval-model needs --eval-photos DIR")
    photos = _load_photos(eval_photos)
    if eval_model is not None:
        _evaluate_existing_model(eval_model, eval_photos, photos)
        return
    options = TrainOptions(arch=arch, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                           seed=seed, patience=patience, augment=augment, flagged_ones=flagged_ones,
                           styled_photo_share=styled_photo_share, negatives=negatives,
                           photo_share=photo_share).resolved()
    cores = available_cores()
    if threads > cores:
        click.echo(f"note: --threads {threads} capped to the {cores} cores available")
    run_dir = run_dir or default_run_dir(arch)
    mnist_dir = resolve_mnist_dir(mnist_dir)
    click.echo(f"digits-train: {arch} ({ARCHITECTURES[arch].description}), up to {options.epochs} epochs, "
               f"augmentation {'on' if options.augment else 'off'}"
               f"{f', flagged 1s {options.flagged_ones:g}' if options.flagged_ones else ''}"
               f"{f', styled photo share {options.styled_photo_share:g}' if options.styled_photo_share else ''}"
               f"{f', negatives {options.negatives:g}' if options.negatives else ''}"
               f"{f', photo share {options.photo_share:g}' if options.photo_share else ''}"
               f", seed {seed}")
    click.echo(f"MNIST from {mnist_dir or 'tensorflow-datasets'}; writing {run_dir}")
    arguments = {"arch": arch, "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
                 "seed": seed, "patience": patience, "augment": augment,
                 "flagged_ones": flagged_ones, "styled_photo_share": styled_photo_share, "negatives": negatives,
                 "photo_share": photo_share,
                 "out": str(run_dir), "force": force,
                 "mnist_dir": str(mnist_dir) if mnist_dir else None, "limit": limit, "threads": threads}
    try:
        with _sigterm_raised():
            summary = run_training(options, run_dir, mnist_dir, limit=limit, force=force,
                                   threads=min(threads, cores), verbose=2 if quiet else "auto", arguments=arguments,
                                   notify=click.echo)
    except (RunDirError, RunStoppedError, MnistError, DataError) as error:
        raise click.ClickException(str(error)) from error
    except KeyboardInterrupt:
        raise _stopped_by("Ctrl-C", signal.SIGINT, run_dir) from None
    except _Terminated:
        raise _stopped_by("SIGTERM", signal.SIGTERM, run_dir) from None
    click.echo(f"\n{summary.arch}: {summary.parameters:,} parameters, {summary.epochs_run} epochs "
               f"(best: {summary.best_epoch}), trained in {summary.train_seconds:.0f} s "
               f"({summary.total_seconds:.0f} s in all)")
    click.echo(f"MNIST test accuracy {summary.test_accuracy:.2%}, loss {summary.test_loss:.4f}")
    if photos is not None:
        _evaluate_run(summary.run_dir, eval_photos, photos)
    click.echo(f"Run directory: {summary.run_dir}")


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that training stops as on Ctrl-C (files closed, temporaries removed)."""


@contextlib.contextmanager
def _sigterm_raised() -> Iterator[None]:
    def raise_terminated(signum, frame):
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopped_by(what: str, signum: int, run_dir: Path) -> click.ClickException:
    """The one-line error of a training stopped by a signal, exiting 128 + its number as a shell reports it."""
    from digits.train.rundir import INCOMPLETE_FILE, is_incomplete

    state = (f"{run_dir} is marked incomplete ({INCOMPLETE_FILE})" if is_incomplete(run_dir)
             else f"nothing was written into {run_dir}")
    error = click.ClickException(f"training stopped by {what}; {state}")
    error.exit_code = 128 + signum
    return error


def _load_photos(folder: Path | None):
    """The labelled photos of --eval-photos, read before any training so a bad folder fails at once."""
    if folder is None:
        return None
    from digits.train.photos import load_labelled_photos

    try:
        return load_labelled_photos(folder)
    except ValueError as error:
        raise click.ClickException(f"--eval-photos: {error}") from error


def _load_keras_model(path: Path):
    import keras

    model_path = path / "model.keras" if path.is_dir() else path
    if not model_path.is_file():
        raise click.ClickException(f"--eval-model: {model_path} does not exist")
    try:
        return keras.saving.load_model(model_path, compile=False)
    except (ValueError, OSError) as error:
        raise click.ClickException(f"--eval-model: {model_path} is not a Keras model ({error})") from error


def _evaluate_existing_model(model_path: Path, folder: Path, photos) -> None:
    from digits.train.photos import evaluate_photos, photos_report

    click.echo(photos_report(folder, evaluate_photos(_load_keras_model(model_path), photos)))


def _evaluate_run(run_dir: Path, folder: Path, photos) -> None:
    """Evaluate the run's model on the photos, print the report and add it to metrics.json."""
    import json

    from digits.train.photos import evaluate_photos, photos_metrics, photos_report
    from digits.train.report import METRICS_FILE, write_json

    scores = evaluate_photos(_load_keras_model(run_dir), photos)
    click.echo(photos_report(folder, scores))
    metrics_path = run_dir / METRICS_FILE
    metrics = json.loads(metrics_path.read_text())
    metrics["photos"] = photos_metrics(folder, scores)
    write_json(metrics_path, metrics)
