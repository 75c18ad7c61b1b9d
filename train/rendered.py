"""MNIST training digits rendered as phone photos and read back through the edge preprocessing.

Augmentation in 28x28 can thicken, warp and blur a digit, but not what really happens to it on the way
from paper to the model: the pen redraws the stroke, the camera blurs and compresses it, and
`digits.edge.preprocess.to_mnist` thresholds, re-measures and refits it. Training on a share of digits
that went that whole way (`digits.train.synth` then `to_mnist`) teaches the model those changes.

Only training digits are rendered (never test digits, never real photos). The photos are plain paper
without ruled lines or a table edge: those are the preprocessing's job, and a digit lost to one would
come back as a wrongly labelled line. Each chunk of digits has its own seed, so the result does not
depend on how many worker processes render it.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import cv2
import numpy as np
from digits.edge.preprocess import to_mnist
from digits.train.synth import random_style, render_digit_photo

PHOTO_SIZE = (320, 240)  # px; to_mnist analyses photos at 200 px anyway, so larger ones only cost time
CHUNK_SIZE = 250
INDEX_STREAM = 7  # seeds the choice of digits apart from the rendering streams


def render_training_photos(images: np.ndarray, labels: np.ndarray, count: int, seed: int,
                           workers: int | None = None,
                           progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`count` digits drawn from `images` (uint8, N x 28 x 28), each rendered as a photo and read back.

    Args:
        images, labels: the training digits (white on black) and their labels.
        count: how many to render (at most len(images)); each digit at most once.
        seed: the same seed gives the same digits and pixels.
        workers: processes to render in (None: one per core).
        progress: called with (done, count) after each chunk.
    Returns:
        uint8 images (M x 28 x 28) in MNIST's layout and their labels; M <= count, as digits the
        preprocessing found nothing in are left out.
    """
    count = min(count, len(images))
    if count <= 0:
        return np.zeros((0, 28, 28), np.uint8), np.zeros((0,), labels.dtype)
    chosen = np.sort(np.random.default_rng([seed, INDEX_STREAM]).choice(len(images), count, replace=False))
    chunks = [chosen[start:start + CHUNK_SIZE] for start in range(0, count, CHUNK_SIZE)]
    jobs = [(images[chunk], [seed, number]) for number, chunk in enumerate(chunks)]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    rendered = []
    # spawn, not fork: the parent has usually started TensorFlow's threads, which a fork does not survive well
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for chunk_images in pool.map(_render_chunk, jobs):
            rendered.append(chunk_images)
            if progress:
                progress(min(len(rendered) * CHUNK_SIZE, count), count)
    photos = np.concatenate(rendered)
    found = photos.reshape(count, -1).any(axis=1)
    return photos[found], labels[chosen][found]


def render_as_photo(digit28: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """One MNIST digit written on plain paper, photographed and preprocessed: 28x28 float in [0, 1], or None."""
    style = random_style(rng, ruled_spacing=None, paper_edge=0.0)
    return to_mnist(render_digit_photo(digit28, rng, PHOTO_SIZE, style))


def _render_chunk(job: tuple[np.ndarray, list[int]]) -> np.ndarray:
    """A worker's share: uint8 28x28 images, all zero where no digit was found."""
    images, seed = job
    cv2.setNumThreads(1)
    rng = np.random.default_rng(seed)
    out = np.zeros(images.shape, np.uint8)
    for position, digit in enumerate(images):
        read = render_as_photo(digit, rng)
        if read is not None:
            out[position] = np.round(read * 255.0).astype(np.uint8)
    return out
