"""Library exceptions turned into the short reason that fits in a one-line error."""
from __future__ import annotations

MAX_REASON_CHARS = 200


def short_reason(error: BaseException) -> str:
    """The first line of an exception's message, cut after its first sentence when it runs long (TensorFlow and
    Keras explain at length); the exception's type when it has no message."""
    lines = str(error).strip().splitlines()
    if not lines:
        return type(error).__name__
    reason = lines[0]
    if len(reason) > MAX_REASON_CHARS and ". " in reason:
        reason = reason[: reason.index(". ") + 1]
    return reason[:MAX_REASON_CHARS]
