"""Which TFLite interpreter to use: ai-edge-litert, else tflite-runtime. Never tensorflow."""
from __future__ import annotations

import importlib
import importlib.util
import os

import numpy as np
from digits.edge.native import native_stderr_without
from digits.edge.tflite_file import check_tflite

RUNTIMES = ("ai-edge-litert", "tflite-runtime")
# What ai-edge-litert's native code prints on every start; it would read as part of a one-line error.
_NATIVE_CHATTER = ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",)
_MODULES = {"ai-edge-litert": "ai_edge_litert.interpreter", "tflite-runtime": "tflite_runtime.interpreter"}


class RuntimeMissing(ImportError):
    """No usable TFLite interpreter package is installed."""


def interpreter_class(runtime: str | None = None):
    """The Interpreter class of `runtime`, or of the first installed one in RUNTIMES when None.

    Raises:
        RuntimeMissing: the asked-for runtime (or every runtime) is not installed.
        ValueError: `runtime` is not one of RUNTIMES.
    """
    if runtime is not None and runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    unusable = None
    for name in (runtime,) if runtime else RUNTIMES:
        reason = unusable_reason(name, np.__version__)
        if reason:
            if importlib.util.find_spec(_MODULES[name].split(".")[0]):  # installed, so say why it is not used
                unusable = reason
            continue
        try:
            return importlib.import_module(_MODULES[name]).Interpreter
        except ImportError:
            continue
    if unusable:
        raise RuntimeMissing(unusable)
    if runtime:
        raise RuntimeMissing(f"{runtime} is not installed (pip install {runtime})")
    raise RuntimeMissing("no TFLite interpreter installed: pip install ai-edge-litert "
                         "(or tflite-runtime on Python <= 3.11)")


def unusable_reason(runtime: str, numpy_version: str) -> str | None:
    """Why `runtime` cannot work beside this numpy, with the fix; None when it can. tflite-runtime's releases
    are built for numpy 1: under numpy 2 its import only warns, and loading a model then fails obscurely."""
    if runtime == "tflite-runtime" and int(numpy_version.split(".")[0]) >= 2:
        return (f"tflite-runtime is built for numpy 1 and cannot work with numpy {numpy_version}: "
                f"pip install 'numpy<2' (or pip install ai-edge-litert)")
    return None


def runtime_name(interpreter_cls) -> str:
    """The RUNTIMES name an Interpreter class comes from."""
    module = interpreter_cls.__module__
    return "ai-edge-litert" if module.startswith("ai_edge_litert") else "tflite-runtime"


def available_cores() -> int:
    """The number of cores this process may use (its affinity mask)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def load_interpreter(model_path: str | os.PathLike, runtime: str | None = None, threads: int = 1):
    """An Interpreter for `model_path` with its tensors allocated, the native start-up chatter dropped.

    The file is read once and its FlatBuffer structure checked before the interpreter sees those bytes: a
    truncated or corrupted model would crash tflite-runtime's native code.

    Raises:
        RuntimeMissing, ValueError: as interpreter_class.
        tflite_file.ModelFileError: the file is not a well-formed TFLite FlatBuffer.
        ValueError, RuntimeError: from the runtime, for a model it cannot load.
        OSError: the file cannot be read.
    """
    interpreter_cls = interpreter_class(runtime)
    with open(model_path, "rb") as file:
        model = file.read()
    check_tflite(model)
    with native_stderr_without(_NATIVE_CHATTER):
        interpreter = interpreter_cls(model_content=model, num_threads=threads)
        interpreter.allocate_tensors()
    return interpreter
