"""Accuracy on a labelled photo folder (../shared/photos: folders 0-9, index.tsv gives each file's kind),
the notebook's way (`--preprocess none`) against the robust preprocessing, overall and by kind.

Target: >= 97% with the default model and preprocessing on the 140 single-digit images (the notebook's way
scores about 11%). The photos are for evaluation only: never train on them.

`--variants` also reads every image as other people's files plausibly differ from these: cut tight to the
ink (the digit touches all four sides), inverted, both, shrunk to 28x28, with a wider margin, compressed hard,
turned, faded, in a drawn box (a form's cell) with paper around it or near enough to touch the digit, under a
sharp-edged shadow, under a lamp's glare, overexposed. A drop there is a weakness that the 140 images alone do
not show.

Usage: .venv/bin/python benchmarks/edge_photos.py [--photos ../shared/photos] [--model PATH] [--misses] [--variants]
"""
from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
from digits.edge.classifier import ClassifierOptions, DigitClassifier
from digits.edge.folder import classify_image
from digits.edge.imageops import to_gray
from digits.edge.images import ImageReadError, list_images, read_image

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.97


def border_tone(gray: np.ndarray) -> int:
    """The median gray level of the image's outermost rows and columns: the paper, as a rule."""
    return int(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])))


def cropped_tight(gray: np.ndarray) -> np.ndarray:
    """The image cut to the box of its ink (every piece at least 5% of the largest), as a hand or detector crops."""
    difference = cv2.absdiff(gray, np.full_like(gray, border_tone(gray)))
    _, ink = cv2.threshold(difference, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink)
    if count < 2:
        return gray
    pieces = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= 0.05 * stats[1:, cv2.CC_STAT_AREA].max()]
    x0, y0 = pieces[:, 0].min(), pieces[:, 1].min()
    x1, y1 = (pieces[:, 0] + pieces[:, 2]).max(), (pieces[:, 1] + pieces[:, 3]).max()
    return gray[y0:y1, x0:x1]


def with_margin(gray: np.ndarray, fraction: float = 0.6) -> np.ndarray:
    """More paper around the image (its border's median tone), so the digit is smaller in the frame."""
    pad = int(fraction * max(gray.shape))
    return cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=border_tone(gray))


def jpeg_quality_25(gray: np.ndarray) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, 25])[1], cv2.IMREAD_GRAYSCALE)


def turned(gray: np.ndarray, degrees: float = 15.0) -> np.ndarray:
    height, width = gray.shape
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(gray, rotation, (width, height), borderMode=cv2.BORDER_REPLICATE)


def boxed(gray: np.ndarray, margin: float = 0.04, paper_outside: float = 0.0) -> np.ndarray:
    """A box drawn in ink around the image, `margin` of the side in from its edge (a form's cell), 1% of the
    side thick, after `paper_outside` of the side is added around the image. A small margin runs the box into
    digits that come near the image's edge."""
    tone = border_tone(gray)
    pad = round(paper_outside * max(gray.shape))
    out = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=tone)
    height, width = out.shape
    inset, thickness = round(margin * min(height, width)), max(1, round(0.01 * max(height, width)))
    cv2.rectangle(out, (inset, inset), (width - 1 - inset, height - 1 - inset), 0 if tone > 127 else 255, thickness)
    return out


def edge_lined(gray: np.ndarray) -> np.ndarray:
    """A line in ink 1% of the side thick along the whole of every side of the image: a canvas's border, or a
    form's cell cut out along its lines."""
    out = gray.copy()
    thickness = max(1, round(0.01 * max(gray.shape)))
    tone = 0 if border_tone(gray) > 127 else 255
    out[:thickness], out[-thickness:], out[:, :thickness], out[:, -thickness:] = tone, tone, tone, tone
    return out


def sharp_shadow(gray: np.ndarray) -> np.ndarray:
    """A shadow with a fairly sharp edge (a hand or a phone held over the page) darkening one corner to 45%."""
    height, width = gray.shape
    ys, xs = np.mgrid[0:height, 0:width]
    light = np.where(xs / width + ys / height < 0.8, 0.45, 1.0).astype(np.float32)
    light = cv2.GaussianBlur(light, (0, 0), 0.02 * max(height, width))
    return (gray.astype(np.float32) * light).astype(np.uint8)


def glare(gray: np.ndarray) -> np.ndarray:
    """A lamp's glare on the paper: a bright soft spot up and to the right, washing the paper out to white."""
    height, width = gray.shape
    ys, xs = np.mgrid[0:height, 0:width]
    spot = np.exp(-(((xs - 0.7 * width) / (0.18 * width)) ** 2 + ((ys - 0.3 * height) / (0.12 * height)) ** 2))
    return np.clip(gray + 150.0 * spot, 0, 255).astype(np.uint8)


def overexposed(gray: np.ndarray) -> np.ndarray:
    """Too much light: the midtones lifted (gamma 0.45) and 15% more light, the paper clipped to white."""
    return np.clip(255.0 * (gray / 255.0) ** 0.45 * 1.15, 0, 255).astype(np.uint8)


VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {  # gray in, gray out
    "as given": lambda gray: gray,
    "cut tight to the ink": cropped_tight,
    "inverted": lambda gray: 255 - gray,
    "cut tight and inverted": lambda gray: 255 - cropped_tight(gray),
    "shrunk to 28x28": lambda gray: cv2.resize(gray, (28, 28), interpolation=cv2.INTER_AREA),
    "shrunk to 28x28 and softened": lambda gray: cv2.GaussianBlur(
        cv2.resize(gray, (28, 28), interpolation=cv2.INTER_AREA), (0, 0), 0.8),
    "more paper around": with_margin,
    "JPEG quality 25": jpeg_quality_25,
    "turned 15 degrees": turned,
    "faded (30% contrast)": lambda gray: (128 + (gray.astype(np.float32) - 128) * 0.3).astype(np.uint8),
    "in a box, paper around": lambda gray: boxed(gray, paper_outside=0.12),
    "in a box it may touch": boxed,
    "a line all round its edge": edge_lined,
    "a sharp shadow over a corner": sharp_shadow,
    "under a lamp's glare": glare,
    "overexposed": overexposed,
}


def kinds_of(root: Path) -> dict[str, str]:
    """File name -> kind (photo, scan28, ...) from index.tsv (columns dir, file, label, kind, ...)."""
    index = root / "index.tsv"
    if not index.exists():
        return {}
    rows = [line.split("\t") for line in index.read_text().splitlines()[1:]]
    return {row[1]: row[3] for row in rows if len(row) > 3}


def evaluate(root: Path, classifier: DigitClassifier, preprocess: str,
             variant: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[dict, list[str]]:
    """{kind: (right, total)} including "all", and the misses as `label/file: got`; with `variant`, each image
    is first made gray and changed by it."""
    kinds = kinds_of(root)
    score = defaultdict(lambda: [0, 0])
    misses = []
    for file, label in labelled_files(root):
        try:
            image = read_image(file)
            image = variant(to_gray(image)) if variant else image
            digit = classify_image(image, classifier, preprocess)[0].digit
        except ImageReadError:
            digit = "unreadable"
        for key in ("all", kinds.get(file.name, "other")):
            score[key][0] += digit == label
            score[key][1] += 1
        if digit != label:
            misses.append(f"{label}/{file.name}: {digit}")
    return dict(score), misses


def labelled_files(root: Path) -> Iterator[tuple[Path, int]]:
    """Every image file of the folders 0-9 under `root`, with its digit (the folder's name)."""
    for label in range(10):
        folder = root / str(label)
        if folder.is_dir():
            yield from ((file, label) for file in list_images(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, default=REPO_ROOT.parent / "shared" / "photos",
                        help="labelled photo folder (default: ../shared/photos)")
    parser.add_argument("--model", type=Path, default=None, help="TFLite model (default: the packaged one)")
    parser.add_argument("--misses", action="store_true", help="list the files read wrong")
    parser.add_argument("--variants", action="store_true", help="also read every image changed as in VARIANTS")
    args = parser.parse_args()

    classifier = DigitClassifier(ClassifierOptions(args.model, threads=1))
    print(f"photos: {args.photos}   model: {classifier.model_path.name} ({classifier.runtime})")
    results = {name: evaluate(args.photos, classifier, name) for name in ("none", "robust")}
    kinds = sorted(results["robust"][0], key=lambda kind: (kind != "all", kind))
    print(f"{'kind':8s} {'images':>6s} {'notebook (--preprocess none)':>30s} {'robust (default)':>20s}")
    for kind in kinds:
        cells = []
        for name in ("none", "robust"):
            right, total = results[name][0][kind]
            cells.append(f"{right / total:7.1%} ({right}/{total})")
        total = results["robust"][0][kind][1]
        print(f"{kind:8s} {total:6d} {cells[0]:>30s} {cells[1]:>20s}")
    right, total = results["robust"][0]["all"]
    print(f"target >= {TARGET:.0%}: {'ok' if right / total >= TARGET else 'MISSED'}")
    if args.misses:
        print("robust misses:\n  " + "\n  ".join(results["robust"][1]))
    if args.variants:
        print(f"\n{'the same images, changed':28s} {'robust (default)':>18s}  misses")
        for name, variant in VARIANTS.items():
            score, misses = evaluate(args.photos, classifier, "robust", variant)
            right, total = score["all"]
            listed = ", ".join(misses) if args.misses else len(misses)
            print(f"{name:28s} {right / total:7.1%} ({right}/{total})  {listed}")


if __name__ == "__main__":
    main()
