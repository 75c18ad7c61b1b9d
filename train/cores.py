"""How many CPU cores this process may use: the cap of --threads."""
from __future__ import annotations

import os


def available_cores() -> int:
    """The cores this process may run on (its affinity mask: taskset, a container's cpuset), at least 1."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # no affinity masks (macOS)
        return os.cpu_count() or 1
