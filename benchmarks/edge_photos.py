"""Accuracy on a labelled photo folder (../shared/photos: folders 0-9, index.tsv gives each file's kind),
the notebook's way (`--preprocess none`) against the robust preprocessing, overall and by kind.

Target: >= 97% with the default model and preprocessing on the 140 single-digit images (the notebook's way
scores about 11%). The photos are for evaluation only: never train on them.

Usage: .venv/bin/python benchmarks/edge_photos.py [--photos ../shared/photos] [--model PATH] [--misses]
"""
from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from digits.edge.classifier import ClassifierOptions, DigitClassifier
from digits.edge.folder import classify_image
from digits.edge.images import ImageReadError, list_images, read_image

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.97


def kinds_of(root: Path) -> dict[str, str]:
    """File name -> kind (photo, scan28, ...) from index.tsv (columns dir, file, label, kind, ...)."""
    index = root / "index.tsv"
    if not index.exists():
        return {}
    rows = [line.split("\t") for line in index.read_text().splitlines()[1:]]
    return {row[1]: row[3] for row in rows if len(row) > 3}


def evaluate(root: Path, classifier: DigitClassifier, preprocess: str) -> tuple[dict, list[str]]:
    """{kind: (right, total)} including "all", and the misses as `label/file: got`."""
    kinds = kinds_of(root)
    score = defaultdict(lambda: [0, 0])
    misses = []
    for label in range(10):
        folder = root / str(label)
        if not folder.is_dir():
            continue
        for file in list_images(folder):
            try:
                digit = classify_image(read_image(file), classifier, preprocess)[0].digit
            except ImageReadError:
                digit = "unreadable"
            for key in ("all", kinds.get(file.name, "other")):
                score[key][0] += digit == label
                score[key][1] += 1
            if digit != label:
                misses.append(f"{label}/{file.name}: {digit}")
    return dict(score), misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, default=REPO_ROOT.parent / "shared" / "photos",
                        help="labelled photo folder (default: ../shared/photos)")
    parser.add_argument("--model", type=Path, default=None, help="TFLite model (default: the packaged one)")
    parser.add_argument("--misses", action="store_true", help="list the files read wrong")
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


if __name__ == "__main__":
    main()
