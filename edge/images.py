"""Image files: finding them in a folder (natural order), reading them safely, writing them atomically."""
from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from digits.edge.files import write_bytes_atomic
from digits.edge.native import native_stderr_without

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")  # the formats read
# image formats that are not read: listed anyway, so that each is reported as skipped instead of passed over
OTHER_IMAGE_EXTENSIONS = (".gif", ".heic", ".heif", ".avif", ".jxl", ".jp2", ".svg", ".ico", ".tga", ".psd",
                          ".pnm", ".pgm", ".ppm", ".pbm", ".dng", ".raw")
MAX_FILE_BYTES = 64_000_000  # larger image files are refused before they are read
MAX_DECODED_BYTES = 64_000_000  # an image decoded (width x height x channels x bytes per sample) stays within this
DECODE_SIDE = 1024  # px: a big JPEG is decoded at 1/2, 1/4 or 1/8 size while its long side stays above this
# libpng's notice about the colour profile that paint programs embed: harmless, and not the user's business
_DECODER_NOTICES = ("libpng warning: iCCP:",)
_ORIENTATION_TAG, _SHORT = 0x0112, 3  # the EXIF tag and its value type
_REDUCED_COLOR = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}
_FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "bmp": "BMP", "webp": "WebP", "tiff": "TIFF"}
_MEGABYTE = 1_000_000


class FolderError(ValueError):
    """A folder that is missing, not a folder, or holds no images."""


class ImageReadError(ValueError):
    """A file that cannot be read as an image (empty, truncated, not an image, too large)."""


def natural_key(path: Path | str) -> tuple:
    """Sort key that puts `2.jpg` before `10.jpg` (digit runs compare as numbers, case ignored)."""
    parts = re.split(r"(\d+)", str(path).lower())
    return tuple((0, int(part), part) if part.isdigit() else (1, 0, part) for part in parts)


@dataclass(frozen=True)
class ImageListing:
    """The image files found in a folder, and the subfolders that could not be read (each with the reason)."""

    files: list[Path]  # natural order; formats that are not read included (read_image says why)
    unreadable_folders: list[str]


def find_images(folder: Path, recursive: bool = False) -> ImageListing:
    """Every file in `folder` (and with `recursive`, its subfolders) whose suffix, in any case, is an image's:
    one of IMAGE_EXTENSIONS, which are read, or OTHER_IMAGE_EXTENSIONS, which read_image refuses with the reason.
    Other files (a labels CSV, notes) are not listed. Symlinked subfolders are not followed.

    Raises:
        FolderError: the folder does not exist, is a file, or cannot be read.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FolderError(f"folder {folder} does not exist")
    if not folder.is_dir():
        raise FolderError(f"{folder} is a file, not a folder")
    unreadable: list[OSError] = []
    walk = os.walk(folder, onerror=unreadable.append)
    top = next(walk, None)
    if top is None:
        reason = unreadable[0].strerror if unreadable else "unknown error"
        raise FolderError(f"cannot read folder {folder} ({reason})")
    suffixes = IMAGE_EXTENSIONS + OTHER_IMAGE_EXTENSIONS
    files = []
    for parent, _, names in ([top, *walk] if recursive else [top]):
        files += [Path(parent, name) for name in names if Path(name).suffix.lower() in suffixes]
    # a broken symlink is listed (read_image reports it); a pipe or socket is not: reading it would block
    files = [path for path in files if path.is_file() or path.is_symlink()]
    folders = [f"{Path(error.filename)} ({error.strerror or error})" for error in unreadable]
    return ImageListing(sorted(files, key=lambda path: natural_key(path.relative_to(folder))), folders)


def no_images_message(folder: Path, recursive: bool) -> str:
    """The error for a folder without a single image file."""
    where = " or its subfolders" if recursive else ""
    return f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {folder}{where}"


def list_images(folder: Path, recursive: bool = False) -> list[Path]:
    """The image files of find_images(), for callers that need no word about unreadable subfolders.

    Raises:
        FolderError: the folder does not exist, is a file, cannot be read, or holds no image files.
    """
    files = find_images(folder, recursive).files
    if not files:
        raise FolderError(no_images_message(folder, recursive))
    return files


def read_image(path: Path, decode_side: int | None = None) -> np.ndarray:
    """An 8-bit gray, BGR or BGRA image from a JPEG, PNG, BMP, WebP or TIFF file.

    The decoded size (width x height x channels x bytes per sample, from the header) stays within
    MAX_DECODED_BYTES: a big JPEG is decoded at a reduced size (never below DECODE_SIDE while the bound allows),
    another image too big for it is decoded as 8-bit gray when it has no alpha channel, else refused, before
    decoding. 16-bit and floating-point images are brought to 8 bits. With `decode_side` (px), a JPEG is also
    decoded at 1/2, 1/4 or 1/8 size while its long side stays at least that: for readers that look at less.

    Raises:
        ImageReadError: empty, truncated, another format (GIF, HEIC, ...), too large, or undecodable.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageReadError(f"{path}: too large: {size / _MEGABYTE:.0f} MB for an image file (limit "
                                 f"{MAX_FILE_BYTES / _MEGABYTE:.0f} MB)")
        data = path.read_bytes()
    except OSError as error:
        raise ImageReadError(f"{path}: cannot read ({error.strerror or error})") from error
    if not data:
        raise ImageReadError(f"{path}: empty file")
    kind, layout = _header(data)
    if kind is None:
        raise ImageReadError(f"{path}: {_unread_format(data)}")
    name = _FORMAT_NAMES[kind]
    if kind == "jpeg" and b"\xff\xd9" not in data[-1024:]:
        raise ImageReadError(f"{path}: truncated JPEG (no end-of-image marker)")
    if layout is None:
        raise ImageReadError(f"{path}: unreadable {name} header")
    flags = _decode_flags(path, kind, layout, decode_side)
    with native_stderr_without(_DECODER_NOTICES):
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None or image.size == 0:
        raise ImageReadError(f"{path}: cannot be decoded as {name}")
    if kind == "jpeg":
        image = upright(image, exif_orientation(data))
    return _to_uint8(image)


class _Layout(NamedTuple):
    """An image's size and sample layout as OpenCV decodes it (IMREAD_UNCHANGED; JPEG: IMREAD_COLOR)."""

    width: int
    height: int
    channels: int  # 4: with an alpha channel
    sample_bytes: int

    @property
    def decoded_bytes(self) -> int:
        return self.width * self.height * self.channels * self.sample_bytes


def _decode_flags(path: Path, kind: str, layout: _Layout, decode_side: int | None = None) -> int:
    """The imdecode flags that keep the decoded image within MAX_DECODED_BYTES (ImageReadError when none can)."""
    too_large = ImageReadError(f"{path}: too large: {layout.width}x{layout.height} pixels would take "
                               f"{layout.decoded_bytes / _MEGABYTE:,.0f} MB decoded (limit "
                               f"{MAX_DECODED_BYTES / _MEGABYTE:.0f} MB)")
    # OpenCV turns a picture by its EXIF orientation only in some modes: never here (a JPEG is turned below)
    ignore_orientation = cv2.IMREAD_IGNORE_ORIENTATION
    if kind == "jpeg":  # colour (CMYK converted), decoded at 1/2, 1/4 or 1/8 size when big
        factor = 1
        if decode_side is not None:
            factor = _reduction(layout.width, layout.height, decode_side)
        elif layout.decoded_bytes > MAX_DECODED_BYTES or max(layout.width, layout.height) > 4 * DECODE_SIDE:
            factor = _reduction(layout.width, layout.height, DECODE_SIDE)
        while factor < 8 and layout.decoded_bytes / factor ** 2 > MAX_DECODED_BYTES:
            factor *= 2
        if layout.decoded_bytes / factor ** 2 > MAX_DECODED_BYTES:
            raise too_large
        return (_REDUCED_COLOR[factor] if factor > 1 else cv2.IMREAD_COLOR) | ignore_orientation
    if layout.decoded_bytes <= MAX_DECODED_BYTES:
        return cv2.IMREAD_UNCHANGED | ignore_orientation  # keep alpha and 16 bits
    if layout.channels < 4 and layout.width * layout.height <= MAX_DECODED_BYTES:
        return cv2.IMREAD_GRAYSCALE | ignore_orientation  # one byte a pixel; alpha would be lost, so never with it
    raise too_large


def _unread_format(data: bytes) -> str:
    """Why a file that is not a JPEG, PNG, BMP, WebP or TIFF is not read."""
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF is not read (convert it to PNG)"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"):
        return "HEIC/HEIF/AVIF is not read (convert it to JPEG or PNG)"
    return "not a JPEG, PNG, BMP, WebP or TIFF image"


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
        return np.right_shift(image, 8, out=image).astype(np.uint8)  # in place: one 8-bit copy, no 16-bit one
    if image.dtype != np.uint8:
        return cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return image


def _reduction(width: int, height: int, min_side: int) -> int:
    """The largest JPEG decode reduction (1, 2, 4, 8) that keeps the long side >= min_side."""
    factor = 1
    while factor < 8 and max(width, height) / (factor * 2) >= min_side:
        factor *= 2
    return factor


def _header(data: bytes) -> tuple[str | None, _Layout | None]:
    """The format ("jpeg", "png", "bmp", "webp", "tiff" or None) and its layout read from the file header (None
    when the header is cut short or broken)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", _png_layout(data)
    if data.startswith(b"BM"):
        if len(data) < 30:
            return "bmp", None
        width, height, _, bits = struct.unpack("<iiHH", data[18:30])
        return "bmp", _Layout(abs(width), abs(height), 4 if bits == 32 else 3, 1)
    if data.startswith(b"\xff\xd8"):
        size = _jpeg_size(data)
        return "jpeg", None if size is None else _Layout(*size, 3, 1)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", _webp_layout(data)
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff", _tiff_layout(data)
    return None, None


def _png_layout(data: bytes) -> _Layout | None:
    if len(data) < 26 or data[12:16] != b"IHDR":
        return None
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    # 0 gray, 2 RGB, 3 palette (BGRA when a tRNS chunk gives it transparency), 4 gray + alpha, 6 RGBA
    palette_channels = 4 if b"tRNS" in data[: data.find(b"IDAT")] else 3
    channels = {0: 1, 2: 3, 3: palette_channels}.get(colour, 4)
    return _Layout(width, height, channels, 2 if depth == 16 else 1)


def _webp_layout(data: bytes) -> _Layout | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:  # lossy, no alpha
        width, height = struct.unpack("<HH", data[26:30])
        return _Layout(width & 0x3FFF, height & 0x3FFF, 3, 1)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:  # lossless: 14-bit sizes minus 1, alpha bit
        bits = int.from_bytes(data[21:25], "little")
        return _Layout((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, 4 if bits >> 28 & 1 else 3, 1)
    if chunk == b"VP8X" and len(data) >= 30:  # extended: flags (0x10: alpha), 24-bit canvas sizes minus 1
        width, height = (int.from_bytes(data[at: at + 3], "little") + 1 for at in (24, 27))
        return _Layout(width, height, 4 if data[20] & 0x10 else 3, 1)
    return None


_TIFF_WIDTH, _TIFF_HEIGHT, _TIFF_BITS, _TIFF_PHOTOMETRIC, _TIFF_SAMPLES = 256, 257, 258, 262, 277
_TIFF_SAMPLE_FORMAT = 339
_TIFF_TAGS = (_TIFF_WIDTH, _TIFF_HEIGHT, _TIFF_BITS, _TIFF_PHOTOMETRIC, _TIFF_SAMPLES, _TIFF_SAMPLE_FORMAT)
_TIFF_PALETTE = 3  # photometric interpretation: decoded to BGR
_TIFF_FLOAT = 3  # sample format: decoded to 32-bit floats at least
_TIFF_LOGLUV = (32844, 32845)  # photometric interpretations stored as 16-bit integers, decoded to 32-bit floats
_TIFF_TYPE_FORMATS = {3: "H", 4: "I", 16: "Q"}  # SHORT, LONG, LONG8


def _tiff_layout(data: bytes) -> _Layout | None:
    """The first page's layout from a TIFF or BigTIFF header."""
    order = "<" if data[:2] == b"II" else ">"
    big = data[2:4] in (b"+\x00", b"\x00+")
    # classic: 2-byte entry count, 12-byte entries with a 4-byte value field; BigTIFF: 8, 20 and 8
    count_format, entry_size, field_size = ("Q", 20, 8) if big else ("H", 12, 4)
    try:
        (directory,) = struct.unpack_from(order + ("Q" if big else "I"), data, 8 if big else 4)
        (entries,) = struct.unpack_from(order + count_format, data, directory)
        values = {}
        for start in range(directory + struct.calcsize(count_format),
                           directory + struct.calcsize(count_format) + entries * entry_size, entry_size):
            tag, value_type = struct.unpack_from(order + "HH", data, start)
            value_format = _TIFF_TYPE_FORMATS.get(value_type)
            if value_format is None or tag not in _TIFF_TAGS:
                continue
            (count,) = struct.unpack_from(order + ("Q" if big else "I"), data, start + 4)
            field = start + 4 + field_size
            if count * struct.calcsize(value_format) > field_size:  # the values are elsewhere: the field points
                (field,) = struct.unpack_from(order + ("Q" if big else "I"), data, field)
            (values[tag],) = struct.unpack_from(order + value_format, data, field)
    except struct.error:
        return None
    if _TIFF_WIDTH not in values or _TIFF_HEIGHT not in values:
        return None
    samples = values.get(_TIFF_SAMPLES, 1)
    channels = 3 if values.get(_TIFF_PHOTOMETRIC) == _TIFF_PALETTE else {1: 1, 3: 3}.get(samples, 4)
    sample_bytes = max(1, -(-values.get(_TIFF_BITS, 1) // 8))
    if values.get(_TIFF_SAMPLE_FORMAT) == _TIFF_FLOAT or values.get(_TIFF_PHOTOMETRIC) in _TIFF_LOGLUV:
        sample_bytes = max(sample_bytes, 4)
    return _Layout(values[_TIFF_WIDTH], values[_TIFF_HEIGHT], channels, sample_bytes)


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
