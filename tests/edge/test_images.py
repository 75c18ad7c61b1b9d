"""Finding images in natural order and reading every kind of bad file safely (real files written here)."""
from __future__ import annotations

import os
import struct

import cv2
import numpy as np
import pytest
from digits.edge.images import (
    MAX_DECODED_BYTES,
    MAX_FILE_BYTES,
    FolderError,
    ImageReadError,
    exif_orientation,
    find_images,
    list_images,
    natural_key,
    read_image,
    write_image_atomic,
)


def digit_photo() -> np.ndarray:
    """A dark 7 on light paper."""
    image = np.full((120, 100), 225, np.uint8)
    cv2.putText(image, "7", (22, 95), cv2.FONT_HERSHEY_SIMPLEX, 3, 30, 9)
    return image


def cmyk_jpeg(gray: np.ndarray) -> bytes:
    """A 4-component (CMYK, Adobe marker) baseline JPEG built from OpenCV's grayscale JPEG.

    OpenCV cannot write CMYK and Pillow is not installed: the grayscale scan is reused for each component
    (one non-interleaved scan per component, which baseline JPEG allows).
    """
    ok, encoded = cv2.imencode(".jpg", gray)
    data = encoded.tobytes()
    out = b"\xff\xd8" + b"\xff\xee" + struct.pack(">H", 14) + b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0)
    position = 2
    while True:
        marker = data[position + 1]
        (length,) = struct.unpack(">H", data[position + 2: position + 4])
        segment = data[position: position + 2 + length]
        if marker == 0xC0:  # frame header: the same size, four components sharing quantization table 0
            precision, height, width = segment[4], *struct.unpack(">HH", segment[5:9])
            components = b"".join(bytes([ident, 0x11, 0]) for ident in (1, 2, 3, 4))
            out += b"\xff\xc0" + struct.pack(">HBHHB", 8 + 12, precision, height, width, 4) + components
        elif marker in (0xDB, 0xC4):  # quantization and Huffman tables
            out += segment
        elif marker == 0xDA:  # the scan: repeated once per component
            scan = data[position + 2 + length: data.rindex(b"\xff\xd9")]
            for ident in (1, 2, 3, 4):
                out += b"\xff\xda" + struct.pack(">HB", 8, 1) + bytes([ident, 0x00, 0, 63, 0]) + scan
            return out + b"\xff\xd9"
        position += 2 + length


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """A JPEG with an EXIF segment (big-endian TIFF, one entry) saying how to turn it upright, as phones write."""
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"MM\x00\x2a" + struct.pack(">IH", 8, 1) + entry + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def png_header_only(width: int, height: int) -> bytes:
    """The start of a PNG that claims a size (no pixel data): enough for the size check to refuse it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\x00\x00\x00\x00"


# a 1x1 GIF: OpenCV 4.11 cannot decode GIFs, 5.x can; digits-edge skips them under both
GIF_BYTES = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
             b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
HEIC_BYTES = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40


def test_natural_order_puts_2_before_10():
    names = ["10.jpg", "2.jpg", "1.png", "img_10.JPG", "img_9.jpg", "a.bmp"]
    assert sorted(names, key=natural_key) == ["1.png", "2.jpg", "10.jpg", "a.bmp", "img_9.jpg", "img_10.JPG"]


def test_list_images_takes_every_image_suffix_in_any_case_and_nothing_else(tmp_path):
    """Formats that are not read (gif, heic) are listed too, so that each is reported as skipped."""
    names = ["10.jpg", "2.JPEG", "3.Png", "4.bmp", "6.webp", "7.TIF", "8.tiff", "5.gif", "9.HEIC", "notes.txt",
             "labels.csv", "README", "sub/1.jpg", "folder.jpg/x.txt"]
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in list_images(tmp_path)] == [
        "2.JPEG", "3.Png", "4.bmp", "5.gif", "6.webp", "7.TIF", "8.tiff", "9.HEIC", "10.jpg"]
    assert [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path, recursive=True)][-2:] == [
        "10.jpg", "sub/1.jpg"]


def test_find_images_lists_a_broken_symlink_so_that_it_is_reported_but_not_a_pipe(tmp_path):
    (tmp_path / "gone.jpg").symlink_to(tmp_path / "missing.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")  # reading it would wait for a writer forever
    assert find_images(tmp_path).files == [tmp_path / "gone.jpg"]
    with pytest.raises(ImageReadError, match="cannot read"):
        read_image(tmp_path / "gone.jpg")


def test_list_images_refuses_missing_empty_and_file(tmp_path):
    with pytest.raises(FolderError, match="does not exist"):
        list_images(tmp_path / "nope")
    with pytest.raises(FolderError, match="no images"):
        list_images(tmp_path)
    (tmp_path / "a.jpg").write_bytes(b"x")
    with pytest.raises(FolderError, match="not a folder"):
        list_images(tmp_path / "a.jpg")


BAD_FILES = {
    "zero.jpg": (b"", "empty"),
    "text.jpg": (b"this is not a picture\n", "not a JPEG, PNG, BMP, WebP or TIFF image"),
    "anim.gif": (GIF_BYTES, "GIF is not read"),
    "phone.heic": (HEIC_BYTES, "HEIC/HEIF/AVIF is not read"),
    "huge.png": (png_header_only(10000, 10000), "too large"),
    "broken.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "cannot be decoded|header"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_raise_a_one_line_image_error(tmp_path, name):
    content, message = BAD_FILES[name]
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ImageReadError, match=message) as error:
        read_image(tmp_path / name)
    assert "\n" not in str(error.value)


def test_truncated_jpeg_is_refused(tmp_path):
    ok, encoded = cv2.imencode(".jpg", digit_photo())
    (tmp_path / "cut.jpg").write_bytes(encoded.tobytes()[: len(encoded) // 2])
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(tmp_path / "cut.jpg")


def test_odd_formats_come_out_as_8_bit(tmp_path):
    photo = digit_photo()
    cv2.imwrite(str(tmp_path / "deep.png"), photo.astype(np.uint16) * 257)
    cv2.imwrite(str(tmp_path / "alpha.png"), cv2.cvtColor(photo, cv2.COLOR_GRAY2BGRA))
    (tmp_path / "cmyk.jpg").write_bytes(cmyk_jpeg(photo))
    deep, alpha, cmyk = (read_image(tmp_path / name) for name in ("deep.png", "alpha.png", "cmyk.jpg"))
    assert deep.dtype == np.uint8 and np.array_equal(deep, photo)
    assert alpha.shape == (120, 100, 4) and alpha.dtype == np.uint8
    assert cmyk.shape == (120, 100, 3)
    assert np.corrcoef(cv2.cvtColor(cmyk, cv2.COLOR_BGR2GRAY).ravel(), photo.ravel())[0, 1] > 0.9


@pytest.mark.parametrize("suffix, params", [
    (".webp", [cv2.IMWRITE_WEBP_QUALITY, 101]),  # lossless
    (".tiff", []),
    (".tif", []),
])
def test_webp_and_tiff_are_read(tmp_path, suffix, params):
    photo = digit_photo()
    cv2.imwrite(str(tmp_path / f"gray{suffix}"), photo, params)
    cv2.imwrite(str(tmp_path / f"alpha{suffix}"), cv2.cvtColor(photo, cv2.COLOR_GRAY2BGRA), params)
    gray, alpha = read_image(tmp_path / f"gray{suffix}"), read_image(tmp_path / f"alpha{suffix}")
    assert gray.dtype == alpha.dtype == np.uint8
    assert np.array_equal(gray if gray.ndim == 2 else cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY), photo)
    assert np.array_equal(alpha[:, :, 0], photo)


def test_a_16_bit_tiff_comes_out_as_8_bit(tmp_path):
    photo = digit_photo()
    cv2.imwrite(str(tmp_path / "deep.tiff"), photo.astype(np.uint16) * 257)
    assert np.array_equal(read_image(tmp_path / "deep.tiff"), photo)


def deep_page(width: int, height: int, channels: int) -> np.ndarray:
    """A 16-bit page of `channels` with a dark 7 in the middle: compresses to little, decodes to a lot."""
    page = np.full((height, width, channels), 234, np.uint8)  # OpenCV 5 draws on 8-bit images only
    cv2.putText(page, "7", (width // 3, height * 2 // 3), cv2.FONT_HERSHEY_SIMPLEX, height / 60, (0,) * channels,
                height // 40)
    return page.astype(np.uint16) * 257


@pytest.mark.parametrize("suffix", [".png", ".tiff"])
def test_a_16_bit_colour_image_too_big_for_the_bound_is_decoded_as_8_bit_gray(tmp_path, suffix):
    page = deep_page(4000, 3000, 3)  # 72 MB decoded as it is stored: 12 MB as 8-bit gray
    assert page.nbytes > MAX_DECODED_BYTES > page.shape[0] * page.shape[1]
    cv2.imwrite(str(tmp_path / f"deep{suffix}"), page)
    image = read_image(tmp_path / f"deep{suffix}")
    assert image.shape == (3000, 4000) and image.dtype == np.uint8
    assert image[0, 0] == 234 and image.min() < 10


@pytest.mark.parametrize("suffix", [".png", ".tiff"])
def test_an_image_with_alpha_too_big_for_the_bound_is_refused_before_decoding(tmp_path, suffix):
    page = deep_page(3000, 3000, 4)  # 9 million pixels, 72 MB decoded; alpha would be lost as gray
    cv2.imwrite(str(tmp_path / f"deep{suffix}"), page)
    assert (tmp_path / f"deep{suffix}").stat().st_size < 1_000_000
    with pytest.raises(ImageReadError, match=r"too large: 3000x3000 pixels would take 72 MB decoded \(limit 64 MB\)"):
        read_image(tmp_path / f"deep{suffix}")


def test_an_image_file_too_big_for_the_bound_is_refused_before_it_is_read(tmp_path):
    with open(tmp_path / "huge.png", "wb") as handle:
        handle.write(png_header_only(100, 100))
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: takes no room on disk
    with pytest.raises(ImageReadError, match="too large: 64 MB for an image file"):
        read_image(tmp_path / "huge.png")


def test_a_big_jpeg_is_decoded_reduced(tmp_path):
    big = cv2.resize(digit_photo(), (4200, 4200), interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(tmp_path / "big.jpg"), big)
    image = read_image(tmp_path / "big.jpg")
    assert 1024 <= max(image.shape[:2]) <= 2100


@pytest.mark.parametrize(("side", "decode_side", "expected_side"), [(1280, 600, 640), (2400, 600, 600),
                                                                   (1280, None, 1280), (500, 600, 500)])
def test_decode_side_decodes_a_jpeg_smaller_while_its_long_side_stays_at_least_that(tmp_path, side, decode_side,
                                                                                   expected_side):
    photo = cv2.resize(digit_photo(), (side * 3 // 4, side), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(tmp_path / "photo.jpg"), photo)
    assert max(read_image(tmp_path / "photo.jpg", decode_side).shape[:2]) == expected_side


def test_the_single_digit_folder_loop_reads_a_big_photo_at_a_reduced_size_and_still_reads_its_digit(tmp_path):
    from digits.edge.folder import SINGLE_DIGIT_DECODE_SIDE_PX, FolderOptions, run_folder

    from tests.models import frozen_classifier

    photo = cv2.resize(digit_photo(), (1200, 1440), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(tmp_path / "7.jpg"), photo)
    (result,) = run_folder(FolderOptions(tmp_path), frozen_classifier())
    assert SINGLE_DIGIT_DECODE_SIDE_PX <= max(result.image.shape[:2]) < 1440
    assert result.prediction.digit == 7


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_phone_photo_is_turned_upright_by_its_exif_orientation_at_any_size(tmp_path, orientation):
    """OpenCV's own EXIF handling at full size is the reference; a big photo, decoded reduced, must match it."""
    photo = cv2.cvtColor(digit_photo(), cv2.COLOR_GRAY2BGR)
    photo[:10, :30] = (0, 0, 255)  # a red corner: any wrong flip or turn shows
    ok, small = cv2.imencode(".jpg", photo)
    ok, big = cv2.imencode(".jpg", cv2.resize(photo, (4200, 5040), interpolation=cv2.INTER_NEAREST))
    (tmp_path / "small.jpg").write_bytes(with_exif_orientation(small.tobytes(), orientation))
    (tmp_path / "big.jpg").write_bytes(with_exif_orientation(big.tobytes(), orientation))
    expected = cv2.imread(str(tmp_path / "small.jpg"), cv2.IMREAD_COLOR)
    assert exif_orientation((tmp_path / "big.jpg").read_bytes()) == orientation
    assert np.array_equal(read_image(tmp_path / "small.jpg"), expected)
    reduced = read_image(tmp_path / "big.jpg")
    assert max(reduced.shape[:2]) < 4200
    shrunk = cv2.resize(reduced, expected.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(shrunk.astype(int) - expected.astype(int)).mean() < 8


def test_exif_orientation_is_1_without_or_with_a_broken_exif_segment():
    ok, jpeg = cv2.imencode(".jpg", digit_photo())
    jpeg = jpeg.tobytes()
    broken = jpeg[:2] + b"\xff\xe1\x00\x0c" + b"Exif\x00\x00MM\x00" + jpeg[2:]
    assert exif_orientation(jpeg) == 1
    assert exif_orientation(broken) == 1
    assert exif_orientation(with_exif_orientation(jpeg, 9)) == 1


def test_write_image_atomic_leaves_only_the_finished_file(tmp_path):
    target = tmp_path / "crops" / "a.png"
    write_image_atomic(target, np.zeros((28, 28), np.uint8))
    assert [p.name for p in target.parent.iterdir()] == ["a.png"]
    assert cv2.imread(str(target), cv2.IMREAD_UNCHANGED).shape == (28, 28)
