"""Peak memory of reading one big image with digits.edge.images.read_image: each file is read in a fresh
process, whose peak resident set size (and the same process reading nothing, the baseline) is printed.

The files compress to little and decode to a lot: a page of 16-bit samples, as scanners and photo tools
write them. A Raspberry Pi with 1 GB must read or refuse every one of them without running out of memory.

Usage: .venv/bin/python benchmarks/decode_memory.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

# VmHWM, the peak resident set size of this process image (ru_maxrss would carry the parent's over exec)
CHILD = """
import re, sys
from pathlib import Path
from digits.edge.images import ImageReadError, read_image
outcome = "baseline"
if len(sys.argv) > 1:
    try:
        image = read_image(sys.argv[1])
        outcome = f"read as {'x'.join(map(str, image.shape))} {image.dtype}"
    except ImageReadError as error:
        outcome = "refused: " + str(error).split(": ", 1)[1]
peak_kb = int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
print(peak_kb // 1024, outcome)
"""


def page(width: int, height: int, channels: int, dtype=np.uint16) -> np.ndarray:
    """A light page with a dark 7, `channels` deep, in 16 bits (or `dtype`)."""
    image = np.full((height, width, channels), 234, np.uint8)
    cv2.putText(image, "7", (width // 3, height * 2 // 3), cv2.FONT_HERSHEY_SIMPLEX, height / 60, (0,) * channels,
                height // 40)
    return image.astype(np.uint16) * 257 if dtype == np.uint16 else image


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        files = {
            "16-bit RGBA PNG 6300x6300": ("rgba16.png", page(6300, 6300, 4)),
            "16-bit RGB PNG 6300x6300": ("rgb16.png", page(6300, 6300, 3)),
            "16-bit RGB TIFF 6300x6300": ("rgb16.tiff", page(6300, 6300, 3)),
            "8-bit RGB PNG 4000x4000": ("rgb8.png", page(4000, 4000, 3, np.uint8)),
            "8-bit RGB JPEG 12000x9000": ("rgb8.jpg", page(12000, 9000, 3, np.uint8)),
        }
        print(f"OpenCV {cv2.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")
        baseline = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
        print(f"{'nothing read (baseline)':<28} {'':>9} peak {baseline.stdout.split()[0]:>4} MB")
        for name, (file_name, image) in files.items():
            path = Path(folder) / file_name
            cv2.imwrite(str(path), image)
            run = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True)
            peak, outcome = run.stdout.strip().split(" ", 1)
            print(f"{name:<28} {path.stat().st_size / 1e6:6.1f} MB  peak {peak:>4} MB  {outcome}")


if __name__ == "__main__":
    main()
