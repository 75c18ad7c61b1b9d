"""--config FILE: a TOML file of digits-edge options (their long names, `-` or `_`), which flags override.

The region set on the web page is written back into the file (its `roi` line), comments and all else kept.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from digits.edge.files import write_bytes_atomic
from digits.edge.live import Roi

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

MAX_CONFIG_BYTES = 64 * 1024  # a config is a few lines
_ROI_LINE = re.compile(r'^[ \t]*roi[ \t]*=.*$', re.MULTILINE)
_TABLE_LINE = re.compile(r'^[ \t]*\[', re.MULTILINE)


class ConfigError(ValueError):
    """A config file that cannot be read, is not TOML, or holds unknown options."""


def read_config(path: Path, known: Iterable[str]) -> dict:
    """The options of a config file as {parameter name: value} (`-` in a key read as `_`).

    Raises:
        ConfigError: unreadable, too big, not TOML, a table, or a key that is not one of `known`.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from error
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is over {MAX_CONFIG_BYTES // 1024} KiB: not a config file")
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML ({error})") from error
    options = {key.replace("-", "_"): value for key, value in table.items()}
    known = set(known)
    unknown = sorted(key for key in options if key not in known)
    if unknown:
        raise ConfigError(f"{path}: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    tables = sorted(key for key, value in options.items() if isinstance(value, dict))
    if tables:
        raise ConfigError(f"{path}: options are plain keys, not tables ({', '.join(tables)})")
    return options


def save_roi(path: Path, roi: Roi) -> None:
    """Write `roi = "x,y,w,h"` into the config file: its roi line replaced, or one added at the top.

    Raises:
        OSError: the file cannot be read or written.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    line = f'roi = "{roi}"'
    first_table = _TABLE_LINE.search(text)
    top = text[:first_table.start()] if first_table else text
    if _ROI_LINE.search(top):
        top = _ROI_LINE.sub(line, top, count=1)
    else:
        top = line + "\n" + top
    write_bytes_atomic(path, (top + (text[first_table.start():] if first_table else "")).encode("utf-8"))
