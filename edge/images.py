"""Image files: finding them in a folder (natural order), reading them safely, writing them atomically."""
from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from digits.edge.files import write_bytes_atomic
from digits.edge.native import native_stderr_without

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
MAX_PIXELS = 40_000_000  # larger images are refused (or, for JPEG, decoded at a reduced size) to bound memory
DECODE_SIDE = 1024  # px: a big JPEG is decoded at 1/2, 1/4 or 1/8 size while its long side stays above this
# libpng's notice about the colour profile that paint programs embed: harmless, and not the user's business
_DECODER_NOTICES = ("libpng warning: iCCP:",)
_ORIENTATION_TAG, _SHORT = 0x0112, 3  # the EXIF tag and its value type
_REDUCED_COLOR = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


class FolderError(ValueError):
    """A folder that is missing, not a folder, or holds no images."""


class ImageReadError(ValueError):
    """A file that cannot be read as an image (empty, truncated, not an image, too large)."""


def natural_key(path: Path | str) -> tuple:
    """Sort key that puts `2.jpg` before `10.jpg` (digit runs compare as numbers, case ignored)."""
    parts = re.split(r"(\d+)", str(path).lower())
    return tuple((0, int(part), part) if part.isdigit() else (1, 0, part) for part in parts)


def list_images(folder: Path, recursive: bool = False) -> list[Path]:
    """Every jpg/jpeg/png/bmp file (any case) in `folder`, in natural order.

    Raises:
        FolderError: the folder does not exist, is a file, or holds no image files.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FolderError(f"folder {folder} does not exist")
    if not folder.is_dir():
        raise FolderError(f"{folder} is a file, not a folder")
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    files = [path for path in candidates if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file()]
    if not files:
        where = "or its subfolders " if recursive else ""
        raise FolderError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {folder} {where}".rstrip())
    return sorted(files, key=lambda path: natural_key(path.relative_to(folder)))


def read_image(path: Path) -> np.ndarray:
    """An 8-bit gray, BGR or BGRA image from a JPEG, PNG or BMP file.

    16-bit images are brought to 8 bits; big JPEGs are decoded at a reduced size (never below DECODE_SIDE);
    other images above MAX_PIXELS are refused before decoding.

    Raises:
        ImageReadError: empty, truncated, not a JPEG/PNG/BMP, too large, or undecodable.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImageReadError(f"{path}: cannot read ({error.strerror or error})") from error
    if not data:
        raise ImageReadError(f"{path}: empty file")
    kind, size = _header(data)
    if kind is None:
        raise ImageReadError(f"{path}: not a JPEG, PNG or BMP image")
    if kind == "jpeg" and b"\xff\xd9" not in data[-1024:]:
        raise ImageReadError(f"{path}: truncated JPEG (no end-of-image marker)")
    if size is None:
        raise ImageReadError(f"{path}: unreadable {kind.upper()} header")
    width, height = size
    # JPEG: colour (CMYK converted); PNG/BMP: keep alpha and 16 bits.
    flags = cv2.IMREAD_COLOR if kind == "jpeg" else cv2.IMREAD_UNCHANGED
    if width * height > MAX_PIXELS or max(width, height) > 4 * DECODE_SIDE:
        factor = _reduction(width, height) if kind == "jpeg" else 1
        if width * height / (factor * factor) > MAX_PIXELS:
            raise ImageReadError(f"{path}: {width}x{height} pixels is too large (limit {MAX_PIXELS:,} pixels)")
        if factor > 1:
            flags = _REDUCED_COLOR[factor]
    if kind == "jpeg":
        # OpenCV turns a phone photo upright by its EXIF orientation only at full size: do it here for both
        flags |= cv2.IMREAD_IGNORE_ORIENTATION
    with native_stderr_without(_DECODER_NOTICES):
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None or image.size == 0:
        raise ImageReadError(f"{path}: cannot be decoded as {kind.upper()}")
    if kind == "jpeg":
        image = upright(image, exif_orientation(data))
    return _to_uint8(image)


def exif_orientation(jpeg: bytes) -> int:
    """The EXIF orientation of a JPEG file's bytes: 1 (as stored) to 8; 1 when absent or unreadable."""
    for marker, payload in _jpeg_segments(jpeg):
        if marker != 0xE1 or not payload.startswith(b"Exif\x00\x00"):
            continue
        tiff = payload[6:]
        order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
        if order is None or len(tiff) < 8:
            return 1
        (first_directory,) = struct.unpack(order + "I", tiff[4:8])
        if first_directory + 2 > len(tiff):
            return 1
        (entries,) = struct.unpack(order + "H", tiff[first_directory: first_directory + 2])
        for start in range(first_directory + 2, first_directory + 2 + 12 * entries, 12):
            entry = tiff[start: start + 12]
            if len(entry) < 12:
                break
            tag, value_type = struct.unpack(order + "HH", entry[:4])
            if tag == _ORIENTATION_TAG and value_type == _SHORT:
                (value,) = struct.unpack(order + "H", entry[8:10])
                return value if 1 <= value <= 8 else 1
        return 1
    return 1


def upright(image: np.ndarray, orientation: int) -> np.ndarray:
    """The image as it should be shown, given its EXIF orientation (1-8): flipped and/or turned."""
    if orientation in (5, 6, 7, 8):  # stored on its side
        image = cv2.transpose(image)
        orientation = {5: 1, 6: 2, 7: 3, 8: 4}[orientation]
    if orientation == 2:
        return cv2.flip(image, 1)
    if orientation == 3:
        return cv2.rotate(image, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(image, 0)
    return image


def write_image_atomic(path: Path, image: np.ndarray) -> None:
    """Write an image (format from the suffix, PNG without one) atomically.

    Raises:
        OSError: the image cannot be encoded in that format, or the file cannot be written.
    """
    path = Path(path)
    ok, encoded = cv2.imencode(path.suffix or ".png", image)
    if not ok:
        raise OSError(f"cannot encode an image as {path.suffix}")
    write_bytes_atomic(path, encoded.tobytes())


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if image.dtype != np.uint8:
        return cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return image


def _reduction(width: int, height: int) -> int:
    """The largest JPEG decode reduction (1, 2, 4, 8) that keeps the long side >= DECODE_SIDE."""
    factor = 1
    while factor < 8 and max(width, height) / (factor * 2) >= DECODE_SIDE:
        factor *= 2
    return factor


def _header(data: bytes) -> tuple[str | None, tuple[int, int] | None]:
    """The format ("jpeg", "png", "bmp" or None) and (width, height) read from the file header."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(data) < 24 or data[12:16] != b"IHDR":
            return "png", None
        return "png", struct.unpack(">II", data[16:24])
    if data.startswith(b"BM"):
        if len(data) < 26:
            return "bmp", None
        width, height = struct.unpack("<ii", data[18:26])
        return "bmp", (abs(width), abs(height))
    if data.startswith(b"\xff\xd8"):
        return "jpeg", _jpeg_size(data)
    return None, None


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(marker, payload) of each header segment of a JPEG stream, up to the first frame header (SOF)."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2: position + 4])
        yield marker, data[position + 4: position + 2 + length]
        if _is_frame_header(marker):
            return
        position += 2 + length


def _is_frame_header(marker: int) -> bool:
    return 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first SOF marker of a JPEG stream."""
    for marker, payload in _jpeg_segments(data):
        if _is_frame_header(marker) and len(payload) >= 5:
            height, width = struct.unpack(">HH", payload[1:5])
            return width, height
    return None
