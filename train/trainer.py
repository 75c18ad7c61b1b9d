"""Train one model on MNIST: seeded, with the best-on-validation weights kept and saved atomically."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from digits.train.data import MnistSplits, eval_pipeline, steps_per_epoch, training_pipeline
from digits.train.models import ARCHITECTURES, NUM_CLASSES, build_model
from digits.train.report import save_model_atomically

Notify = Callable[[str], None]  # receives a line worth telling the user (the CLI passes click.echo)


@dataclass(frozen=True)
class TrainOptions:
    """What to train and how; None means the architecture's default."""

    arch: str
    epochs: int | None = None
    batch_size: int = 128
    learning_rate: float | None = None
    seed: int = 0
    patience: int = 20
    augment: bool | None = None
    flagged_ones: float | None = None  # flagged copies of training 1s added, as a fraction of the training 1s
    styled_photo_share: float | None = None  # of the flagged copies, this fraction added again as photos
    negatives: float | None = None  # "not a digit" images added (an 11th class), a fraction of the training digits
    photo_share: float | None = None  # of the training digits and negatives, this fraction added again as photos

    def resolved(self) -> TrainOptions:
        """These options with the architecture's defaults filled in."""
        spec = ARCHITECTURES[self.arch]
        defaulted = ("epochs", "augment", "flagged_ones", "styled_photo_share", "negatives", "photo_share")
        unset = {name: getattr(spec, name) for name in defaulted if getattr(self, name) is None}
        return TrainOptions(**{**asdict(self), **unset, "learning_rate": self.learning_rate or spec.learning_rate})


@dataclass
class TrainResult:
    """The trained model (best validation weights) and how training went."""

    model: keras.Model
    history: dict[str, list[float]]
    best_epoch: int
    train_seconds: float


def make_deterministic(seed: int, threads: int = 0) -> None:
    """Seed Python, numpy and TensorFlow and make TF ops deterministic: same seed, same machine, same weights.

    `threads` > 0 caps TensorFlow's thread pools (only possible before TF has run anything).
    """
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    if threads > 0:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TF already initialised in this process: keep its pools
            pass


def predict_probabilities(model: keras.Model, images: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The model's class probabilities for float32 images (N, 28, 28, 1), in order.

    Fed as a batched tf.data dataset: for a numpy array Keras builds a parallel map that TensorFlow's op
    determinism turns into a sequential one, logging an "E0000 ... use_unbounded_threadpool" line on stderr.
    """
    return model.predict(tf.data.Dataset.from_tensor_slices(images).batch(batch_size), verbose=0)


class BestCheckpoint(keras.callbacks.Callback):
    """Keep the weights of the epoch with the best validation accuracy, write them to `path` atomically, and
    stop training after `patience` epochs without one at least as good.

    Ties go to the later epoch (lower learning rate by then); at the end the model gets the kept weights back.
    """

    def __init__(self, path: Path, patience: int, notify: Notify | None = None):
        super().__init__()
        self.notify = notify
        self.path = path
        self.patience = patience
        self.best_accuracy = -np.inf
        self.best_epoch = -1
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        accuracy = (logs or {}).get("val_accuracy", -np.inf)
        if accuracy >= self.best_accuracy:
            self.best_accuracy, self.best_epoch = accuracy, epoch
            self.best_weights = self.model.get_weights()
            save_model_atomically(self.model, self.path)
        elif epoch - self.best_epoch >= self.patience:
            if self.notify:
                self.notify(f"Stopping early: no better validation accuracy for {self.patience} epochs")
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def train(options: TrainOptions, splits: MnistSplits, checkpoint_path: Path,
          verbose: int | str = "auto", notify: Notify | None = None) -> TrainResult:
    """Build `options.arch` and fit it on the training split, validating every epoch.

    Adam with the given learning rate; the default arch decays it along a cosine over the run. Training
    stops early when validation accuracy has not improved for `patience` epochs; the best weights are kept
    and checkpointed to `checkpoint_path`; `notify` receives a line when training stops early.
    """
    options = options.resolved()
    keras.utils.set_random_seed(options.seed)
    model = build_model(options.arch, NUM_CLASSES + 1 if options.negatives else NUM_CLASSES)
    steps = steps_per_epoch(splits.sizes["train"], options.batch_size)
    learning_rate = options.learning_rate
    if ARCHITECTURES[options.arch].cosine_decay:
        learning_rate = keras.optimizers.schedules.CosineDecay(options.learning_rate, options.epochs * steps,
                                                               alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    train_batches = training_pipeline(splits.train, splits.sizes["train"], options.batch_size, options.seed,
                                      options.augment)
    validation_batches = eval_pipeline(splits.validation, options.batch_size)
    checkpoint = BestCheckpoint(checkpoint_path, options.patience, notify)
    start = time.perf_counter()
    history = model.fit(train_batches, validation_data=validation_batches, epochs=options.epochs,
                        callbacks=[checkpoint], shuffle=False, verbose=verbose)
    train_seconds = time.perf_counter() - start
    history_values = {key: [float(value) for value in values] for key, values in history.history.items()}
    return TrainResult(model=model, history=history_values,
                       best_epoch=checkpoint.best_epoch + 1, train_seconds=train_seconds)
