"""Multi-digit reading: accuracy on TestSet/ids and ../shared/photos/multi, on seeded synthetic number photos,
and milliseconds for a 2-megapixel photo with 10 digits on one core.

Accuracy: exact string and per-digit (1 - edit distance / label length) accuracy. The dev photos were looked
at while building the reader; the synthetic photos (MNIST test digits rendered by train/synth.py with random
paper, pen, light and camera) are the general check. Speed: read_digits (finding + every digit's
preprocessing and inference) on one core, image decoding excluded; the verdict uses CPU time, because wall
times on a shared machine include waiting for the core.

`--variants` reads the labelled photos and the synthetic ones again as other people's photos plausibly differ
(inverted, on a desk with more around, compressed hard, turned 15 degrees, faded, under a lamp's glare), and
the synthetic ones cropped close to their digits and written so close together that strokes touch.
`--boxed N` (default 40) reads N rendered 8-digit IDs written in a form's row of printed boxes, and N without
the boxes. `--turned-lines N` reads N photos each of dark ruled and squared paper and of such IDs, the page turned
0, 3, 5 and 7 degrees.

Usage: .venv/bin/python benchmarks/multi_bench.py [--model PATH] [--synthetic 60] [--boxed 40] [--runs 40] [--variants]
       [--turned-lines 30]
"""
from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

# One core: numpy's BLAS must not start worker threads either (it reads this at import).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from bench_common import pin_to_one_core  # benchmarks/bench_common.py (the script's own folder)
from digits.edge.classifier import ClassifierOptions, DigitClassifier  # noqa: E402
from digits.edge.evaluation import NumberScores, read_number_labels  # noqa: E402
from digits.edge.imageops import to_gray  # noqa: E402
from digits.edge.images import list_images, read_image  # noqa: E402
from digits.edge.multi import digit_crop, find_digits, read_digits  # noqa: E402
from digits.edge.preprocess import to_mnist  # noqa: E402
from edge_photos import VARIANTS  # noqa: E402  (benchmarks/edge_photos.py)

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 30.0
PHOTO_SIZE = (1632, 1224)  # width, height: 2.0 megapixels
SPEED_DIGITS = 10
TURNED_PAPERS = {"dark ruled paper": {"ruled_spacing": 0.08},
                 "dark squared paper": {"ruled_spacing": 0.06, "squared": True},
                 "an ID in a form's boxes": {"digits": 8, "form_boxes": True, "ruled_spacing": None}}
CLOSE_CROPS = {"cropped close to the number (half a digit above and below, none at the sides)": (0.0, 0.5),
               "cropped to the writing all round": (0.0, 0.0)}  # margins (sides, above and below), digit heights
CLOSE_SPACINGS = {  # the space between digits, in digit heights
    "written close together (-0.05 to 0.1 digit heights apart: some strokes touch)": (-0.05, 0.1),
    "written cramped (-0.1 to 0 digit heights apart: strokes touch or cross)": (-0.1, 0.0)}
PAGE_VARIANTS = ("as given", "inverted", "more paper around", "JPEG quality 25", "turned 15 degrees",
                 "faded (30% contrast)", "under a lamp's glare")


def folder_accuracy(folder: Path, classifier: DigitClassifier,
                    variant: Callable[[np.ndarray], np.ndarray] | None = None, verbose: bool = True) -> NumberScores:
    """Read every labelled image of a folder (labels.csv inside it) as the CLI does (first made gray and changed
    by `variant`, when given); print each reading when verbose, else only the misses."""
    labels = read_number_labels(folder / "labels.csv")
    scores = NumberScores()
    for file in list_images(folder):
        label = labels.label_of(file, folder)
        if label is None:
            continue
        image = read_image(file)
        reading = read_digits(variant(to_gray(image)) if variant else image, classifier)
        scores.add(label, reading.text)
        verdict = "right" if reading.text == label else f"WRONG (label {label})"
        if verbose or reading.text != label:
            print(f"  {file.name}: {reading.text}  {verdict}")
    return scores


def synthetic_photos(count: int, mnist_dir: Path, seed: int = 0, close_crop: tuple[float, float] | None = None,
                     spacing: tuple[float, float] | None = None):
    """Seeded phone photos of 4-10 MNIST test digits on one or two lines: (image, label) pairs. `close_crop`:
    the photos cut this close around their digits, (at the sides, above and below) in digit heights;
    `spacing`: the range of the space between digits, in digit heights (None: the renderer's natural one)."""
    from digits.train.mnist import load_mnist_split
    from digits.train.synth import DIGIT_SPACING, crop_to_digits, render_photo

    test = load_mnist_split(mnist_dir, "test")
    rng = np.random.default_rng(seed)
    for _ in range(count):
        indices = rng.integers(0, len(test.labels), int(rng.integers(4, 11)))
        per_line = -(-len(indices) // int(rng.integers(1, 3)))
        lines = [list(test.images[indices[i:i + per_line]]) for i in range(0, len(indices), per_line)]
        size = PHOTO_SIZE if rng.random() < 0.5 else (1280, 960)
        photo = render_photo(lines, rng, size, spacing=spacing or DIGIT_SPACING)
        image = photo.image if close_crop is None else crop_to_digits(photo.image, photo.boxes, *close_crop)
        yield image, "".join(str(d) for d in test.labels[indices])


def boxed_id_photos(count: int, mnist_dir: Path, seed: int = 0, boxes: bool = True):
    """Seeded phone photos of 8-digit IDs written in a form's row of printed boxes (dark, 0.4% of the photo's
    height wide), on plain paper; with `boxes` False the same kind of photos without the boxes."""
    return dark_lined_photos(count, mnist_dir, seed, digits=8, form_boxes=boxes, ruled_spacing=None)


def dark_lined_photos(count: int, mnist_dir: Path, seed: int, degrees: float | None = None, digits: int | None = None,
                      **lines):
    """Seeded phone photos of MNIST test digits on paper with dark lines (0.4% of the photo's height wide; the
    PhotoStyle fields in `lines`), `digits` of them (None: 4-8). `degrees`: the page turned so far, either way
    in turn (None: the renderer's random +-4). (image, label) pairs."""
    from digits.train.mnist import load_mnist_split
    from digits.train.synth import random_style, render_photo

    test = load_mnist_split(mnist_dir, "test")
    rng = np.random.default_rng(seed)
    for index in range(count):
        indices = rng.integers(0, len(test.labels), digits or int(rng.integers(4, 9)))
        turned = {} if degrees is None else {"rotation_deg": degrees if index % 2 else -degrees}
        style = random_style(rng, rule_opacity=1.0, rule_width=0.004, **lines, **turned)
        yield (render_photo([list(test.images[indices])], rng, (1280, 960), style).image,
               "".join(str(d) for d in test.labels[indices]))


def speed_photo(mnist_dir: Path, seed: int = 1) -> np.ndarray:
    """A 2-megapixel synthetic photo of a 10-digit number on two lines."""
    from digits.train.mnist import load_mnist_split
    from digits.train.synth import render_photo

    test = load_mnist_split(mnist_dir, "test")
    rng = np.random.default_rng(seed)
    digits = list(test.images[:SPEED_DIGITS])
    return render_photo([digits[:5], digits[5:]], rng, PHOTO_SIZE, digit_height=0.12).image


def cpu_ms(function, runs: int) -> float:
    """Mean CPU milliseconds of one call (after one warm-up call)."""
    function()
    start = time.process_time()
    for _ in range(runs):
        function()
    return (time.process_time() - start) * 1000.0 / runs


def time_reading(image: np.ndarray, classifier: DigitClassifier, runs: int) -> dict:
    """CPU ms of the whole reading and of its parts (finding; cutting, to_mnist and the model for every digit),
    the wall p50 ms of the whole reading, and the text read."""
    regions = [region for line in find_digits(image) for region in line]
    crops = [digit_crop(image, region) for region in regions]
    inputs = [to_mnist(crop, region.dark_ink) for crop, region in zip(crops, regions)]
    walls = np.empty(runs)
    for index in range(runs):
        start = time.perf_counter()
        read_digits(image, classifier)
        walls[index] = (time.perf_counter() - start) * 1000.0
    return {
        "text": read_digits(image, classifier).text,
        "read": cpu_ms(lambda: read_digits(image, classifier), runs),
        "wall_p50": float(np.median(walls)),
        "find": cpu_ms(lambda: find_digits(image), runs),
        "crop": cpu_ms(lambda: [digit_crop(image, region) for region in regions], runs),
        "to_mnist": cpu_ms(lambda: [to_mnist(crop, region.dark_ink) for crop, region in zip(crops, regions)], runs),
        "model": cpu_ms(lambda: [classifier.predict(model_input) for model_input in inputs
                                 if model_input is not None], runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a .tflite model (default: the packaged int8 model)")
    parser.add_argument("--testset", type=Path, default=REPO / "TestSet" / "ids")
    parser.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "photos" / "multi")
    parser.add_argument("--mnist-dir", type=Path,
                        default=os.environ.get("DIGITS_MNIST_DIR", REPO.parent / "shared" / "mnist"))
    parser.add_argument("--synthetic", type=int, default=60, help="synthetic photos to read (default: 60)")
    parser.add_argument("--runs", type=int, default=40, help="timed readings of the speed photo (default: 40)")
    parser.add_argument("--boxed", type=int, default=40,
                        help="rendered IDs in a form's printed boxes to read, and as many without (default: 40)")
    parser.add_argument("--turned-lines", type=int, default=0, metavar="N",
                        help="also read N rendered photos each of dark ruled and dark squared paper and of IDs in a "
                             "form's boxes, turned 0, 3, 5 and 7 degrees (default: 0, not read)")
    parser.add_argument("--variants", action="store_true",
                        help="also read the labelled and the synthetic photos changed as in edge_photos.py's "
                             "VARIANTS (a whole page is not cut to one digit or shrunk to 28x28)")
    args = parser.parse_args()
    pinned = pin_to_one_core()
    classifier = DigitClassifier(ClassifierOptions(args.model, threads=1))
    print(f"model {classifier.model_path.name} ({classifier.runtime}), {pinned}")
    for name, folder in (("TestSet/ids", args.testset), ("shared/photos/multi", args.photos)):
        if not (folder / "labels.csv").is_file():
            print(f"{name}: skipped (no {folder}/labels.csv)")
            continue
        print(f"{name}:")
        scores = folder_accuracy(folder, classifier)
        print(f"{name}: exact {scores.exact}/{scores.images}, per digit {scores.digit_accuracy:.1%}")
    if args.variants:
        for name, variant in VARIANTS.items():
            if name in PAGE_VARIANTS:
                print(f"{name}:")
                scores = [folder_accuracy(folder, classifier, variant, verbose=False)
                          for folder in (args.testset, args.photos) if (folder / "labels.csv").is_file()]
                print(f"{name}: exact {sum(score.exact for score in scores)}/{sum(score.images for score in scores)}")
    if args.synthetic:
        changes = {"": None}
        if args.variants:
            changes.update((f", {name}", VARIANTS[name]) for name in PAGE_VARIANTS if name != "as given")
        for suffix, variant in changes.items():
            scores = NumberScores()
            for image, label in synthetic_photos(args.synthetic, args.mnist_dir):
                scores.add(label, read_digits(variant(to_gray(image)) if variant else image, classifier).text)
            print(f"synthetic photos (seed 0, MNIST test digits{suffix}): exact {scores.exact}/{scores.images} "
                  f"({scores.exact_accuracy:.1%}), per digit {scores.digit_accuracy:.1%}")
        layouts = ([(name, {"close_crop": margins}) for name, margins in CLOSE_CROPS.items()]
                   + [(name, {"spacing": spacing}) for name, spacing in CLOSE_SPACINGS.items()])
        for name, layout in layouts if args.variants else ():
            scores = NumberScores()
            for image, label in synthetic_photos(args.synthetic, args.mnist_dir, **layout):
                scores.add(label, read_digits(image, classifier).text)
            print(f"synthetic photos (seed 0, MNIST test digits, {name}): exact {scores.exact}/{scores.images} "
                  f"({scores.exact_accuracy:.1%}), per digit {scores.digit_accuracy:.1%}")
    if args.boxed:
        for boxes in (True, False):
            scores = NumberScores()
            for image, label in boxed_id_photos(args.boxed, args.mnist_dir, boxes=boxes):
                scores.add(label, read_digits(image, classifier).text)
            kind = "in printed boxes" if boxes else "without boxes"
            print(f"8-digit IDs {kind} (rendered, seed 0): exact {scores.exact}/{scores.images} "
                  f"({scores.exact_accuracy:.1%}), per digit {scores.digit_accuracy:.1%}")
    for degrees in (0.0, 3.0, 5.0, 7.0) if args.turned_lines else ():
        for paper, lines in TURNED_PAPERS.items():
            scores = NumberScores()
            for image, label in dark_lined_photos(args.turned_lines, args.mnist_dir, 21, degrees, **lines):
                scores.add(label, read_digits(image, classifier).text)
            print(f"{paper} turned {degrees:.0f} degrees (rendered, seed 21): exact {scores.exact}/{scores.images} "
                  f"({scores.exact_accuracy:.1%}), per digit {scores.digit_accuracy:.1%}")
    image = speed_photo(args.mnist_dir)
    times = time_reading(image, classifier, args.runs)
    print(f"speed: {image.shape[1]}x{image.shape[0]} photo, {len(times['text'])} digits read ({times['text']}): "
          f"{times['read']:.1f} ms CPU per reading (wall p50 {times['wall_p50']:.1f} ms); "
          f"target <= {TARGET_MS:.0f} ms: {'met' if times['read'] <= TARGET_MS else 'MISSED'}")
    print(f"  CPU ms: finding {times['find']:.1f}, cutting {times['crop']:.1f}, to_mnist {times['to_mnist']:.1f}, "
          f"model {times['model']:.1f} (all digits)")


if __name__ == "__main__":
    main()
