"""digits-edge figures: cold-start wall time and peak RSS of `digits-edge --dir TestSet/Luis`, and
milliseconds of preprocessing + inference for one 640x480 photo on one core, in each installed interpreter.

Targets: <= 1 s cold start, <= 150 MB peak RSS, <= 3 ms per 640x480 photo.
Cold start runs the installed console script in a fresh process (imports, model load, 8 JPEGs, output).
The per-photo figure is the median of wall and CPU time: on a shared machine wall time includes waiting.
If TestSet/Luis does not exist yet, a temporary folder of 8 JPEGs drawn from MNIST stands in for it.

Usage: .venv/bin/python benchmarks/edge_bench.py [--folder TestSet/Luis] [--runs 5] [--model PATH]
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
from bench_common import paper_photos, pin_to_one_core  # benchmarks/bench_common.py (the script's own folder)
from digits.edge.classifier import ClassifierOptions, DigitClassifier
from digits.edge.folder import classify_image
from digits.edge.runtime import RUNTIMES, RuntimeMissing

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_COLD_S, TARGET_RSS_MB, TARGET_MS = 1.0, 150.0, 3.0


def digits_edge_command() -> list[str]:
    """The installed console script next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "digits-edge"
    found = str(beside) if beside.exists() else shutil.which("digits-edge")
    if not found:
        sys.exit("digits-edge is not installed: run scripts/setup.sh")
    return [found]


def stand_in_folder(target: Path) -> Path:
    """8 JPEG photos of handwritten-looking digits on paper, 640x480."""
    target.mkdir(parents=True, exist_ok=True)
    for index, photo in enumerate(paper_photos(8)):
        cv2.imwrite(str(target / f"{index + 1}.jpg"), photo)
    return target


def cold_start(folder: Path, model: Path | None, runs: int) -> tuple[list[float], float]:
    """Wall seconds of each fresh `digits-edge --dir folder` process, and the largest child's peak RSS in MB."""
    command = digits_edge_command() + ["--dir", str(folder)] + (["--model", str(model)] if model else [])
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"digits-edge failed: {result.stderr.strip()}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    return times, peak_kb / 1024.0


def per_photo_ms(runtime: str, model: Path | None, repeats: int) -> tuple[float, float]:
    """Median wall and mean CPU milliseconds of to_mnist + inference for a 640x480 photo, one thread."""
    classifier = DigitClassifier(ClassifierOptions(model, runtime, threads=1))
    images = paper_photos(20, seed=1)
    for image in images:  # warm-up
        classify_image(image, classifier)
    walls = []
    cpu_start = time.process_time()
    for index in range(repeats):
        start = time.perf_counter()
        classify_image(images[index % len(images)], classifier)
        walls.append((time.perf_counter() - start) * 1000.0)
    cpu_ms = (time.process_time() - cpu_start) * 1000.0 / repeats
    return statistics.median(walls), cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=REPO_ROOT / "TestSet" / "Luis",
                        help="folder for the cold start (default: TestSet/Luis, else 8 drawn JPEGs)")
    parser.add_argument("--runs", type=int, default=5, help="cold starts (default: 5)")
    parser.add_argument("--repeats", type=int, default=1000, help="timed photos per runtime (default: 1000)")
    parser.add_argument("--model", type=Path, default=None, help="TFLite model (default: the packaged one)")
    args = parser.parse_args()

    pin_to_one_core()  # this process and its children
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder if args.folder.is_dir() else stand_in_folder(Path(scratch) / "stand-in")
        times, peak_mb = cold_start(folder, args.model, args.runs)
    print(f"cold start: digits-edge --dir {folder.name} ({len(list(folder.glob('*.jpg')))} JPEGs), one core")
    print(f"  wall s: first {times[0]:.2f}, median {statistics.median(times):.2f}, max {max(times):.2f}"
          f"   target <= {TARGET_COLD_S:.1f} s: {'ok' if max(times) <= TARGET_COLD_S else 'MISSED'}")
    print(f"  peak RSS: {peak_mb:.0f} MB   target <= {TARGET_RSS_MB:.0f} MB: "
          f"{'ok' if peak_mb <= TARGET_RSS_MB else 'MISSED'}")
    print(f"640x480 photo, preprocessing + inference, one core ({args.repeats} photos):")
    for runtime in RUNTIMES:
        try:
            wall_ms, cpu_ms = per_photo_ms(runtime, args.model, args.repeats)
        except RuntimeMissing as error:
            print(f"  {runtime:15s} not installed ({error})")
            continue
        print(f"  {runtime:15s} median wall {wall_ms:.2f} ms, mean CPU {cpu_ms:.2f} ms   target <= {TARGET_MS:.0f} ms: "
              f"{'ok' if cpu_ms <= TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
