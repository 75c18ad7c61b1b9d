"""TensorFlow without its C++ notices on stderr (oneDNN, CPU features, absl start-up, converter chatter)."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from digits.edge.native import native_stderr_without

# Line starts of TensorFlow's native logging that tell a user nothing they can act on.
TENSORFLOW_NOTICES = (
    "I0000 ", "W0000 ",  # absl-formatted info and warnings (oneDNN, SavedModel loading, flatbuffer export)
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "To enable the following instructions:",  # CPU features it was not built for
    "fully_quantize:",  # the int8 converter's summary of its settings
)


@contextlib.contextmanager
def tensorflow_notices_dropped() -> Iterator[None]:
    """Run a block that calls into TensorFlow's native code, dropping its notices from stderr."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # read once, when tensorflow is first imported
    with native_stderr_without(TENSORFLOW_NOTICES):
        yield


def import_tensorflow_quietly() -> None:
    """Import tensorflow now, without its start-up notices (a CLI calls this before anything imports it)."""
    with tensorflow_notices_dropped():
        import tensorflow  # noqa: F401
