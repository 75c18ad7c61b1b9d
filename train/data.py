"""MNIST as tf.data pipelines: tensorflow-datasets (the notebook's way) or the offline IDX files.

Both sources give the same three splits of (uint8 image (28, 28, 1), int64 label): training, validation (the
last 5,000 training images, for early stopping) and test (only for the final report). `training_pipeline`
and `eval_pipeline` then normalise to [0, 1], cache, shuffle, batch and prefetch them like the notebook;
the training pipeline can add photo-like augmentation.
"""
from __future__ import annotations

import math
import socket
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import tensorflow as tf
from digits.edge.messages import short_reason
from digits.train.mnist import VALIDATION_SIZE, MnistSplit, load_mnist_split

TFDS_MNIST_HOST = "storage.googleapis.com"  # where tensorflow-datasets downloads MNIST from
SHUFFLE_SEED_OFFSET = 1  # the augmentation seeds use a different stream than the shuffle


class DataError(ValueError):
    """MNIST could not be obtained (no offline folder and tensorflow-datasets failed)."""


@dataclass(frozen=True)
class MnistSplits:
    """Unbatched (uint8 image (28, 28, 1), int64 label) datasets and their sizes."""

    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    sizes: dict[str, int]
    source: str


def load_splits(mnist_dir: Path | None, limit: int | None = None,
                validation_size: int = VALIDATION_SIZE) -> MnistSplits:
    """MNIST from `mnist_dir` (offline IDX files) or, when None, from tensorflow-datasets.

    Args:
        mnist_dir: folder with the four IDX files, or None to use `tfds.load('mnist')`.
        limit: keep only the first `limit` images of each split (quick runs and tests).
        validation_size: how many of the last training images are held out for validation.

    Raises:
        MnistError: an offline file is missing or corrupt.
        DataError: tensorflow-datasets could not provide MNIST.
    """
    if not 0 < validation_size < 60_000:
        raise DataError(f"validation size {validation_size} must be between 1 and 59,999")
    if mnist_dir is not None:
        return _offline_splits(mnist_dir, limit, validation_size)
    return _tfds_splits(limit, validation_size)


def _offline_splits(mnist_dir: Path, limit: int | None, validation_size: int) -> MnistSplits:
    train = load_mnist_split(mnist_dir, "train")
    test = load_mnist_split(mnist_dir, "test")
    cut = len(train.images) - validation_size
    arrays = {
        "train": (train.images[:cut], train.labels[:cut]),
        "validation": (train.images[cut:], train.labels[cut:]),
        "test": (test.images, test.labels),
    }
    datasets, sizes = {}, {}
    for split, (images, labels) in arrays.items():
        images, labels = images[:limit], labels[:limit]
        datasets[split] = tf.data.Dataset.from_tensor_slices((images[..., None], labels.astype(np.int64)))
        sizes[split] = len(images)
    return MnistSplits(**datasets, sizes=sizes, source=f"IDX files in {mnist_dir}")


def _tfds_splits(limit: int | None, validation_size: int) -> MnistSplits:
    cut = 60_000 - validation_size
    train, validation, test = _tfds_load([f"train[:{cut}]", f"train[{cut}:]", "test"])
    datasets = {"train": train, "validation": validation, "test": test}
    full = {"train": cut, "validation": validation_size, "test": 10_000}
    sizes = {split: min(full[split], limit or full[split]) for split in datasets}
    if limit:
        datasets = {split: dataset.take(limit) for split, dataset in datasets.items()}
    return MnistSplits(**datasets, sizes=sizes, source="tensorflow-datasets mnist")


def with_extra(splits: MnistSplits, images: np.ndarray, labels: np.ndarray, split: str = "train") -> MnistSplits:
    """`splits` with uint8 images (N x 28 x 28) and their labels appended to `split` ("train" or "validation")."""
    extra = tf.data.Dataset.from_tensor_slices((images[..., None], labels.astype(np.int64)))
    return replace(splits, **{split: getattr(splits, split).concatenate(extra)},
                   sizes={**splits.sizes, split: splits.sizes[split] + len(images)})


def uint8_arrays(dataset: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """An unbatched (uint8 image (28, 28, 1), label) dataset as arrays: images N x 28 x 28, labels N."""
    images, labels = [], []
    for image_batch, label_batch in dataset.batch(10_000).as_numpy_iterator():
        images.append(image_batch[..., 0])
        labels.append(label_batch)
    return np.concatenate(images), np.concatenate(labels)


def load_split_arrays(mnist_dir: Path | None, split: str) -> MnistSplit:
    """The whole 'train' or 'test' split as uint8 arrays: from the IDX files, or tensorflow-datasets when None.

    Raises:
        MnistError: an offline file is missing or corrupt.
        DataError: tensorflow-datasets could not provide MNIST.
    """
    if mnist_dir is not None:
        return load_mnist_split(mnist_dir, split)
    (dataset,) = _tfds_load([split])
    images, labels = uint8_arrays(dataset)
    return MnistSplit(images=images.astype(np.uint8), labels=labels.astype(np.uint8))


def _tfds_load(splits: list[str]) -> list[tf.data.Dataset]:
    """`tfds.load('mnist')` of the given split specs, as (image, label) pairs; failing fast without internet."""
    offline_hint = "pass --mnist-dir DIR or set DIGITS_MNIST_DIR to a folder with the four MNIST IDX files"
    try:
        import tensorflow_datasets as tfds

        # Without internet tfds retries its download for minutes: fail fast instead.
        if not tfds.builder("mnist").is_prepared() and not _reachable(TFDS_MNIST_HOST):
            raise DataError(f"MNIST is not in the tensorflow-datasets cache and {TFDS_MNIST_HOST} cannot be "
                            f"reached; {offline_hint}")
        return tfds.load("mnist", split=splits, as_supervised=True, shuffle_files=False)
    except DataError:
        raise
    except Exception as error:  # tfds raises many kinds (download, checksum, import): all mean "no MNIST"
        raise DataError(f"tensorflow-datasets could not load MNIST ({short_reason(error)}); {offline_hint}") from error


def _reachable(host: str, port: int = 443, timeout_s: float = 5.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def normalize(image: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """uint8 image -> float32 in [0, 1], as in the notebook."""
    return tf.cast(image, tf.float32) / 255.0, label


def training_pipeline(dataset: tf.data.Dataset, size: int, batch_size: int, seed: int,
                      augment: bool) -> tf.data.Dataset:
    """Normalised, cached, shuffled (anew each epoch), batched, optionally augmented, prefetched batches.

    The augmentation draws its randomness from stateless ops seeded per batch by `Dataset.random(seed)`,
    so the same seed gives the same batches on every run.
    """
    batches = (dataset.map(normalize, num_parallel_calls=tf.data.AUTOTUNE)
               .cache()
               .shuffle(size, seed=seed, reshuffle_each_iteration=True)
               .batch(batch_size))
    if augment:
        batch_seeds = tf.data.Dataset.random(seed=seed + SHUFFLE_SEED_OFFSET, rerandomize_each_iteration=True)
        batches = (tf.data.Dataset.zip(batches, batch_seeds.batch(2))
                   .map(lambda batch, batch_seed: (augment_batch(batch[0], batch_seed), batch[1]),
                        num_parallel_calls=tf.data.AUTOTUNE))
    return batches.prefetch(tf.data.AUTOTUNE)


def eval_pipeline(dataset: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
    """Normalised, cached, batched and prefetched, in file order (validation and test)."""
    return (dataset.map(normalize, num_parallel_calls=tf.data.AUTOTUNE)
            .cache().batch(batch_size).prefetch(tf.data.AUTOTUNE))


def as_arrays(dataset: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """An unbatched (uint8 image, label) dataset as numpy arrays: float32 images in [0, 1] (N, 28, 28, 1), labels."""
    images, labels = [], []
    for image_batch, label_batch in eval_pipeline(dataset, 1024):
        images.append(image_batch.numpy())
        labels.append(label_batch.numpy())
    return np.concatenate(images), np.concatenate(labels)


# Photo-like augmentation, for what remains after edge/preprocess.to_mnist has boxed and centred a photo:
# slant, rotation, size, imperfect centring, stroke thickness, blur and contrast. Every image gets a mild
# random warp; each photometric change hits only a share of the images, so clean digits stay in the mix.
MAX_ROTATION_DEG = 10.0
MAX_SHEAR = 0.2          # horizontal shear factor (slant)
SCALE_RANGE = (0.88, 1.1)
MAX_SHIFT_PX = 2.0
MAX_DILATE = 1.0         # fraction of a 3x3 grey dilation blended in (thicker strokes)
MAX_ERODE = 0.5          # fraction of a 3x3 grey erosion blended in (thinner strokes)
MAX_BLUR = 1.0           # fraction of a 3x3 Gaussian blur blended in
CONTRAST_RANGE = (0.6, 1.0)
MAX_BACKGROUND = 0.08
MAX_NOISE_STD = 0.03
THICKNESS_SHARE, BLUR_SHARE, CONTRAST_SHARE = 0.5, 0.3, 0.3


def augment_batch(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Randomly thicken/thin, warp, blur and dim a batch of (B, 28, 28, 1) images in [0, 1].

    Args:
        images: float32 batch in [0, 1], white ink on black.
        seed: int64 tensor of shape (2,), the stateless random seed of this batch.
    """
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=11)
    batch = tf.shape(images)[0]

    def uniform(index: int, low: float, high: float) -> tf.Tensor:
        return tf.random.stateless_uniform([batch, 1, 1, 1], seeds[index], low, high)

    def chosen(index: int, share: float) -> tf.Tensor:
        return tf.cast(uniform(index, 0.0, 1.0) < share, tf.float32)

    images = _stroke_thickness(images, uniform(0, -MAX_ERODE, MAX_DILATE) * chosen(1, THICKNESS_SHARE))
    images = _random_affine(images, seeds[2], batch)
    blur_amount = uniform(3, 0.0, MAX_BLUR) * chosen(4, BLUR_SHARE)
    images = images + blur_amount * (_gaussian_blur3(images) - images)
    dim = chosen(5, CONTRAST_SHARE)
    contrast = 1.0 + dim * (uniform(6, *CONTRAST_RANGE) - 1.0)
    background = dim * uniform(7, 0.0, MAX_BACKGROUND)
    noise = tf.random.stateless_normal(tf.shape(images), seeds[8]) * dim * uniform(9, 0.0, MAX_NOISE_STD)
    images = background + (contrast - background) * images + noise
    return tf.clip_by_value(images, 0.0, 1.0)


def _stroke_thickness(images: tf.Tensor, amount: tf.Tensor) -> tf.Tensor:
    """Blend towards a 3x3 grey dilation (amount > 0) or erosion (amount < 0)."""
    dilated = tf.nn.max_pool2d(images, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    target = tf.where(amount > 0, dilated, eroded)
    return images + tf.abs(amount) * (target - images)


def _gaussian_blur3(images: tf.Tensor) -> tf.Tensor:
    """A 3x3 Gaussian blur (sigma about 0.85 px)."""
    row = tf.constant([0.25, 0.5, 0.25], tf.float32)
    kernel = tf.reshape(row[:, None] * row[None, :], [3, 3, 1, 1])
    return tf.nn.conv2d(images, kernel, 1, "SAME")


def _random_affine(images: tf.Tensor, seed: tf.Tensor, batch: tf.Tensor) -> tf.Tensor:
    """Rotate, shear, scale and shift each image about its centre (bilinear, black outside)."""
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    angle = tf.random.stateless_uniform([batch], seeds[0], -1.0, 1.0) * (MAX_ROTATION_DEG * math.pi / 180)
    shear = tf.random.stateless_uniform([batch], seeds[1], -MAX_SHEAR, MAX_SHEAR)
    scale = tf.random.stateless_uniform([batch], seeds[2], *SCALE_RANGE)
    shift = tf.random.stateless_uniform([batch, 2], seeds[3], -MAX_SHIFT_PX, MAX_SHIFT_PX)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # Forward map (input -> output) A = scale * rotation @ shear, about the centre; the op wants the inverse.
    a00, a01 = scale * cos, scale * (cos * shear - sin)
    a10, a11 = scale * sin, scale * (sin * shear + cos)
    det = a00 * a11 - a01 * a10
    i00, i01, i10, i11 = a11 / det, -a01 / det, -a10 / det, a00 / det
    centre = 13.5
    out_x, out_y = centre + shift[:, 0], centre + shift[:, 1]
    # input = inverse @ (output - out_centre) + centre
    offset_x = centre - (i00 * out_x + i01 * out_y)
    offset_y = centre - (i10 * out_x + i11 * out_y)
    zeros = tf.zeros_like(angle)
    transforms = tf.stack([i00, i01, offset_x, i10, i11, offset_y, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.constant([28, 28]), fill_value=0.0,
        interpolation="BILINEAR", fill_mode="CONSTANT")


def steps_per_epoch(size: int, batch_size: int) -> int:
    """Batches in one pass over `size` images."""
    return math.ceil(size / batch_size)
