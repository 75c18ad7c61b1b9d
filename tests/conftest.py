"""Shared fixtures: the offline MNIST folder (DIGITS_MNIST_DIR), read once per session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder with the four MNIST IDX files, from DIGITS_MNIST_DIR."""
    value = os.environ.get("DIGITS_MNIST_DIR")
    if not value:
        pytest.fail("set DIGITS_MNIST_DIR to the folder with the four MNIST IDX files (e.g. ../shared/mnist)")
    return Path(value)


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    """The MNIST test split as uint8 arrays."""
    from digits.train.mnist import load_mnist_split

    return load_mnist_split(mnist_dir, "test")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
