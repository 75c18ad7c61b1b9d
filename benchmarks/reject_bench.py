"""Whole numbers with the reject option: accuracy against coverage on seeded synthetic number photos.

Each photo (multi_bench.synthetic_photos: 4-10 MNIST test digits on one or two lines) is read once; the marks
as the model read them are then made into a number (multi.number_of) at each --min-confidence, without a form
and with `--digits N` (N the label's length, as a user who knows the number's length would give). Per setting:
exact, wrong and rejected (unreadable) numbers, coverage (the share not rejected) and the accuracy of the
numbers given.

Usage: .venv/bin/python benchmarks/reject_bench.py [--model PATH] [--synthetic 200]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from digits.edge.classifier import ClassifierOptions, DigitClassifier
from digits.edge.evaluation import NumberScores
from digits.edge.multi import MultiOptions, number_of, read_digits
from digits.edge.number_form import digits_form
from multi_bench import synthetic_photos  # benchmarks/multi_bench.py (the script's own folder)

REPO = Path(__file__).resolve().parents[1]
MIN_CONFIDENCES = (0.0, 0.5, 0.9, 0.99, 0.996)


def read_marks(classifier: DigitClassifier, count: int, mnist_dir: Path) -> list[tuple[list[list], str]]:
    """The marks of `count` seeded synthetic photos as the model read them (lines of DigitBoxes), with labels."""
    return [([list(line.boxes) for line in read_digits(image, classifier).lines], label)
            for image, label in synthetic_photos(count, mnist_dir)]


def number_scores(read: list[tuple[list[list], str]], min_confidence: float, with_form: bool) -> NumberScores:
    """Exact, wrong and rejected numbers of the marks at `min_confidence`, with `--digits N` when `with_form`."""
    scores = NumberScores()
    for marks, label in read:
        form = digits_form(len(label)) if with_form else None
        reading = number_of(marks, MultiOptions(min_confidence=min_confidence, form=form))
        scores.add(label, reading.text, reading.readable)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a TFLite model (default: the packaged one)")
    parser.add_argument("--synthetic", type=int, default=200, help="synthetic photos to read (default: 200)")
    parser.add_argument("--mnist-dir", type=Path, default=REPO.parent / "shared" / "mnist")
    args = parser.parse_args()
    classifier = DigitClassifier(ClassifierOptions(args.model))
    read = read_marks(classifier, args.synthetic, args.mnist_dir)
    print(f"{len(read)} synthetic photos (seed 0, MNIST test digits), model {classifier.model_path.name}")
    print(f"{'form':<12} {'min-conf':>8} {'exact':>6} {'wrong':>6} {'rejected':>8} {'coverage':>9} {'accuracy':>9}")
    for with_form in (False, True):
        for min_confidence in MIN_CONFIDENCES:
            scores = number_scores(read, min_confidence, with_form)
            print(f"{'--digits N' if with_form else '-':<12} {min_confidence:>8g} {scores.exact:>6} {scores.wrong:>6} "
                  f"{scores.rejected:>8} {scores.coverage:>9.1%} {scores.answered_accuracy:>9.1%}")

if __name__ == "__main__":
    main()
