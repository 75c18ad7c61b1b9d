"""The "not a digit" reader measured: what it lets through, what it costs real digits, and accuracy against
coverage.

Parts (`--part`, all by default):
  negatives  False accepts (a digit given) on held-out generated negatives (train/negatives.py's "heldout"
             split: letter faces training never sees, MNIST test digits struck out or cut), at the operating
             point (the model's most probable class): by kind, every one of the 52 letters apart (the digit-like
             O o I l i, never trained as negatives, and the HARD_LETTERS reported apart), letters by group.
  framed     MNIST test digits written on paper (train/synth.py) and framed by a camera region that leaves about
             30-60% of the digit's ink outside it (1s are left out: a short 1 is still a 1): read as the camera
             does (`live.frame_prediction`, whose border rule says "cut by the edge") and by the model alone on
             the region's crop. The same digits framed whole must still be read.
  digits     Single digits right / rejected / wrong: MNIST test (28x28 as given), MNIST test digits rendered as
             phone photos (benchmarks/rendered_photos.py's rendering), ../shared/photos (as
             benchmarks/edge_photos.py reads them); accuracy among the digits given against coverage (the share
             given) as a threshold on the digit's confidence rises ("not a digit" always rejected).
  numbers    Whole numbers with the reject option (benchmarks/reject_bench.py's measurement) over --min-confidence.
The digits and numbers parts draw one PNG (--plot): accuracy against coverage, single digits and whole numbers.

A ten-class model has no "not a digit" class: it rejects nothing, and the script says so in its rejection columns.

Usage: .venv/bin/python benchmarks/not_a_digit.py [--model PATH] [--part negatives|framed|digits|numbers ...]
           [--negatives 5000] [--per-letter 40] [--framed 1000] [--count 2000] [--numbers 200] [--seed 0]
           [--plot docs/images/coverage.png] [--json PATH] [--workers N]
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from digits.edge.classifier import (
    CUT_BY_EDGE,
    NO_INK,
    NOT_A_DIGIT,
    ClassifierOptions,
    DigitClassifier,
    ModelError,
    Prediction,
    no_ink,
)
from digits.edge.files import atomic_path
from digits.edge.folder import classify_image
from digits.edge.images import ImageReadError, read_image
from digits.edge.live import DEFAULT_MIN_CONFIDENCE, Roi, frame_prediction
from digits.edge.preprocess import to_mnist
from digits.train.mnist import MnistError, load_mnist_split, resolve_mnist_dir
from digits.train.negatives import (
    ALL_LETTERS,
    CUT_SKIPPED_DIGITS,
    DIGIT_LIKE_LETTERS,
    HARD_LETTERS,
    KINDS,
    make_negatives,
)
from digits.train.synth import random_style, render_photo
from edge_photos import labelled_files  # benchmarks/edge_photos.py (the script's own folder)
from reject_bench import number_scores, read_marks  # benchmarks/reject_bench.py
from rendered_photos import CHUNK, PHOTO_SIZE, read_chunk  # benchmarks/rendered_photos.py

REPO_ROOT = Path(__file__).resolve().parents[1]
PARTS = ("negatives", "framed", "digits", "numbers")
DIR_MIN_CONFIDENCE = 0.0  # digits-edge --dir's default
OPERATING_POINTS = {"--dir (min-confidence 0)": DIR_MIN_CONFIDENCE,
                    f"camera (min-confidence {DEFAULT_MIN_CONFIDENCE:g})": DEFAULT_MIN_CONFIDENCE}
NUMBER_MIN_CONFIDENCES = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999)
NUMBER_LABELLED = (0.0, 0.6, 0.9, 0.99, 0.995)  # min-confidences written beside their points
CUT_INK_SHARE = (0.3, 0.6)  # share of a digit's ink left outside the camera region
REGION_SIDE = (1.4, 2.0)  # the camera region's side, times the long side of the digit's box
FRAMED_DIGIT_HEIGHT = (0.2, 0.3)  # of the photo's height
WHOLE_OFFSET = 0.5  # a whole framing's centre moves up to this share of the room between digit and region
CUT_SIDES = ("left", "right", "top", "bottom")
DIGIT_LIKE, HARD, OTHER = "digit-like (never trained as negatives)", "hard (HARD_LETTERS)", "other letters"
LETTERS_TOGETHER = "letters taken together (without the digit-like)"


def letter_group(letter: str) -> str:
    """DIGIT_LIKE, HARD or OTHER: how a letter is reported."""
    return DIGIT_LIKE if letter in DIGIT_LIKE_LETTERS else HARD if letter in HARD_LETTERS else OTHER


def letter_groups(letters: np.ndarray, accepted: np.ndarray) -> dict[str, tuple[int, int]]:
    """(images, accepted) per letter group and for LETTERS_TOGETHER (every letter but the digit-like ones)."""
    groups = np.array([letter_group(letter) for letter in letters])
    out = {name: (int(np.sum(groups == name)), int(np.sum(accepted[groups == name])))
           for name in (DIGIT_LIKE, HARD, OTHER)}
    together = groups != DIGIT_LIKE
    out[LETTERS_TOGETHER] = (int(together.sum()), int(accepted[together].sum()))
    return out


def coverage_curve(confidence: np.ndarray, correct: np.ndarray, rejected: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(thresholds, coverage, accuracy) as a threshold on the confidence rises: one point per distinct confidence
    of a digit given, from the lowest (every digit given is kept) to the highest. Coverage is the share of all
    images kept; accuracy the share of those kept that are right. `rejected`: no digit given at all."""
    confidence, correct, rejected = (np.asarray(a) for a in (confidence, correct, rejected))
    kept = ~rejected.astype(bool)
    order = np.argsort(-confidence[kept], kind="stable")
    surest_first = confidence[kept][order]
    right = np.cumsum(correct[kept][order].astype(bool))
    last_of_tie = np.r_[surest_first[1:] != surest_first[:-1], True]  # a threshold keeps a whole tie or none of it
    counts = np.arange(1, surest_first.size + 1)[last_of_tie]
    return surest_first[last_of_tie][::-1], (counts / confidence.size)[::-1], (right[last_of_tie] / counts)[::-1]


def at_min_confidence(confidence: np.ndarray, correct: np.ndarray, rejected: np.ndarray,
                      min_confidence: float) -> tuple[float, float]:
    """(coverage, accuracy among the kept) when digits below `min_confidence` are rejected too."""
    kept = ~np.asarray(rejected, bool) & (np.asarray(confidence) >= min_confidence)
    return float(kept.mean()), float(np.asarray(correct, bool)[kept].mean()) if kept.any() else 0.0


def ink_cut_fraction(digit28: np.ndarray, side: str, share: float) -> float:
    """How far into the digit's box (a share of its width or height) a border coming from `side` must reach to
    leave `share` of the digit's ink beyond it, judged on the 28x28 digit."""
    ys, xs = np.nonzero(digit28)
    box = digit28[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1].astype(np.float64)
    profile = box.sum(axis=0 if side in ("left", "right") else 1)
    if side in ("right", "bottom"):
        profile = profile[::-1]
    reach = np.searchsorted(np.cumsum(profile) / profile.sum(), share)
    return float(min(reach + 1, profile.size) / profile.size)


def whole_region(box: tuple[int, int, int, int], side: int, size: tuple[int, int], rng: np.random.Generator) -> Roi:
    """A square camera region of `side` px around the digit's box, a little off-centre, inside the photo."""
    x, y, w, h = box
    centre_x = x + w / 2 + rng.uniform(-WHOLE_OFFSET, WHOLE_OFFSET) * max(0, side - w) / 2
    centre_y = y + h / 2 + rng.uniform(-WHOLE_OFFSET, WHOLE_OFFSET) * max(0, side - h) / 2
    left = int(np.clip(round(centre_x - side / 2), 0, size[0] - side))
    top = int(np.clip(round(centre_y - side / 2), 0, size[1] - side))
    return Roi(left, top, side, side)


def cut_region(box: tuple[int, int, int, int], side: int, size: tuple[int, int], cut_side: str,
               fraction: float) -> Roi:
    """A camera region of `side` px whose `cut_side` border crosses the digit's box `fraction` of the way in (the
    digit's rest lies outside it), centred on the digit the other way; clipped to the photo."""
    x, y, w, h = box
    width, height = size
    if cut_side in ("left", "right"):
        top = int(np.clip(round(y + h / 2 - side / 2), 0, height - side))
        left = round(x + fraction * w) if cut_side == "left" else max(0, round(x + (1 - fraction) * w) - side)
        right = min(width, left + side)
        return Roi(left, top, right - left, side)
    left = int(np.clip(round(x + w / 2 - side / 2), 0, width - side))
    top = round(y + fraction * h) if cut_side == "top" else max(0, round(y + (1 - fraction) * h) - side)
    bottom = min(height, top + side)
    return Roi(left, top, side, bottom - top)


def framed_chunk(job: tuple[Path, np.ndarray, np.ndarray, list[int]]
                 ) -> list[tuple[int, Prediction, Prediction | None, Prediction | None]]:
    """Photograph each digit and read it framed whole and (unless a 1) cut by the region's border, once as the
    camera does and once by the model alone on the region: (label, whole, cut by the camera, cut by the model)."""
    model_path, digits, labels, seed = job
    classifier = DigitClassifier(ClassifierOptions(model_path, threads=1))
    rng = np.random.default_rng(seed)
    out = []
    for digit, label in zip(digits, labels):
        photo = render_photo([[digit]], rng, PHOTO_SIZE, random_style(rng), rng.uniform(*FRAMED_DIGIT_HEIGHT),
                             centre=(0.5, 0.5))
        box = photo.boxes[0]
        side = round(rng.uniform(*REGION_SIDE) * max(box[2], box[3]))
        whole = frame_prediction(photo.image, whole_region(box, side, PHOTO_SIZE, rng), classifier)
        if int(label) in CUT_SKIPPED_DIGITS:
            out.append((int(label), whole, None, None))
            continue
        cut_side = str(rng.choice(CUT_SIDES))
        region = cut_region(box, side, PHOTO_SIZE, cut_side,
                            ink_cut_fraction(digit, cut_side, rng.uniform(*CUT_INK_SHARE)))
        crop = to_mnist(region.crop(photo.image))
        alone = no_ink() if crop is None else classifier.predict(crop)
        out.append((int(label), whole, frame_prediction(photo.image, region, classifier), alone))
    return out


def outcome(prediction: Prediction, label: int) -> str:
    """"right", "wrong", or the reason no digit was given."""
    if prediction.digit is None:
        return prediction.reason or NO_INK
    return "right" if prediction.digit == label else "wrong"


def read_as(predictions: list[Prediction], top: int = 3) -> str:
    """The digits most often given, with counts ("7:12 1:5")."""
    counts = Counter(p.digit for p in predictions if p.digit is not None).most_common(top)
    return " ".join(f"{digit}:{count}" for digit, count in counts) or "-"


def percent(part: int, whole: int) -> str:
    return f"{part / whole:.2%}" if whole else "-"


def table(title: str, command: str, headers: list[str], rows: list[list]) -> str:
    """A titled plain-text table (first column left-aligned, the others right-aligned) and its command."""
    cells = [headers] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in cells]
    rule = "-" * max(len(line) for line in lines)
    return "\n".join([title, rule, lines[0], rule, *lines[1:], rule, f"reproduce: {command}", ""])


def command_for(args: argparse.Namespace, part: str) -> str:
    """The command line that prints one part's tables again."""
    options = {"negatives": ["seed", "negatives", "per_letter"], "framed": ["seed", "framed"],
               "digits": ["seed", "count", "photos"], "numbers": ["numbers"]}[part]
    words = [".venv/bin/python", "benchmarks/not_a_digit.py", "--part", part]
    for name in ["model", "mnist_dir", *options]:
        value = getattr(args, name)
        if value is not None:
            words += ["--" + name.replace("_", "-"), str(value)]
    return shlex.join(words)


def measure_negatives(classifier: DigitClassifier, test, args) -> tuple[list[str], dict]:
    """Part "negatives": its tables and figures."""
    negatives = make_negatives(args.negatives, args.seed, "heldout", test.images, test.labels)
    by_letter = {letter: make_negatives(args.per_letter, args.seed + 1 + index, "heldout", shares={"letter": 1.0},
                                        letters=letter)
                 for index, letter in enumerate(ALL_LETTERS)}
    command = command_for(args, "negatives")

    def predictions(images: np.ndarray) -> list[Prediction]:
        return [classifier.predict(image / 255.0) for image in images]

    read = predictions(negatives.images)
    accepted = np.array([p.digit is not None for p in read])
    kinds_rows, figures = [], {"by_kind": {}, "by_letter": {}, "letter_groups": {}}
    for kind in KINDS:
        chosen = negatives.kinds == kind
        n, given = int(chosen.sum()), int(accepted[chosen].sum())
        kinds_rows.append([kind, n, given, percent(given, n), read_as([p for p, c in zip(read, chosen) if c])])
        figures["by_kind"][kind] = {"images": n, "accepted": given}
    kinds_rows.append(["all kinds", len(read), int(accepted.sum()), percent(int(accepted.sum()), len(read)),
                       read_as(read)])
    tables = [table(f"False accepts on {len(read):,} held-out negatives (seed {args.seed}), at the operating point "
                    f"(the most probable class)", command,
                    ["kind", "images", "accepted", "rate", "read as"], kinds_rows)]

    letter_predictions = {letter: predictions(drawn.images) for letter, drawn in by_letter.items()}
    letter_accepted = {letter: sum(p.digit is not None for p in read) for letter, read in letter_predictions.items()}
    for letter, given in letter_accepted.items():
        figures["by_letter"][letter] = {"images": args.per_letter, "accepted": given, "group": letter_group(letter)}
    marks = {DIGIT_LIKE: "digit-like", HARD: "hard", OTHER: ""}
    half = len(ALL_LETTERS) // 2
    rows = []
    for upper, lower in zip(ALL_LETTERS[:half], ALL_LETTERS[half:]):
        row = []
        for letter in (upper, lower):
            given = letter_accepted[letter]
            row += [letter, marks[letter_group(letter)], given, percent(given, args.per_letter),
                    read_as(letter_predictions[letter])]
        rows.append(row)
    tables.append(table(f"False accepts per letter ({args.per_letter} held-out drawings of each, seeds "
                        f"{args.seed + 1}-{args.seed + len(ALL_LETTERS)})", command,
                        ["letter", "group", "accepted", "rate", "read as"] * 2, rows))

    all_letters = np.concatenate([drawn.letters for drawn in by_letter.values()])
    all_accepted = np.array([p.digit is not None for letter in ALL_LETTERS for p in letter_predictions[letter]])
    group_rows = []
    for name, (n, given) in letter_groups(all_letters, all_accepted).items():
        members = "".join(letter for letter in ALL_LETTERS
                          if name == LETTERS_TOGETHER and letter_group(letter) != DIGIT_LIKE
                          or letter_group(letter) == name)
        group_rows.append([name, members if len(members) <= 12 else f"{len(members)} letters", n, given,
                           percent(given, n)])
        figures["letter_groups"][name] = {"images": n, "accepted": given}
    tables.append(table("False accepts on letters by group (the per-letter drawings)", command,
                        ["group", "letters", "images", "accepted", "rate"], group_rows))
    return tables, figures


def measure_framed(classifier: DigitClassifier, test, args, pool: ProcessPoolExecutor) -> tuple[list[str], dict]:
    """Part "framed": its tables and figures."""
    chosen = chosen_digits(len(test.labels), args.framed, args.seed + 1)
    jobs = [(classifier.model_path, test.images[chosen[i:i + CHUNK]], test.labels[chosen[i:i + CHUNK]],
             [args.seed, 1, i // CHUNK]) for i in range(0, args.framed, CHUNK)]
    read = [item for chunk in pool.map(framed_chunk, jobs) for item in chunk]
    command = command_for(args, "framed")
    reasons = (CUT_BY_EDGE, NOT_A_DIGIT, NO_INK)
    cut_rows, figures = [], {}
    for name, key, column in (("camera path (frame_prediction, border rule)", "camera", 2),
                              ("model alone on the region (to_mnist, predict)", "model_alone", 3)):
        outcomes = Counter(outcome(item[column], item[0]) for item in read if item[column] is not None)
        n = sum(outcomes.values())
        given = outcomes["right"] + outcomes["wrong"]
        cut_rows.append([name, n, given, percent(given, n), outcomes["right"],
                         *(outcomes[reason] for reason in reasons)])
        figures[f"cut_{key}"] = {"images": n, "accepted": given, **outcomes}
    tables = [table(f"Digits cut by the camera region's border ({CUT_INK_SHARE[0] * 100:.0f}-{CUT_INK_SHARE[1]:.0%} of "
                    f"the ink outside; MNIST test digits photographed, 1s left out; seed {args.seed})", command,
                    ["read by", "digits", "accepted", "rate", "of them right", *reasons], cut_rows)]
    whole = Counter(outcome(item[1], item[0]) for item in read)
    tables.append(table(f"The same digits framed whole (all {len(read):,}, 1s included)", command,
                        ["read by", "digits", "right", "wrong", *(f"rejected: {reason}" for reason in reasons)],
                        [["camera path (frame_prediction)", len(read), whole["right"], whole["wrong"],
                          *(whole[reason] for reason in reasons)]]))
    figures["whole_camera"] = {"images": len(read), **whole}
    return tables, figures


def chosen_digits(total: int, count: int, seed: int) -> np.ndarray:
    """`count` distinct indices of `total` digits, seeded, in order."""
    return np.sort(np.random.default_rng(seed).choice(total, count, replace=False))


def single_digit_sets(classifier: DigitClassifier, test, args, pool: ProcessPoolExecutor
                      ) -> dict[str, tuple[list[Prediction], np.ndarray]]:
    """Name -> (predictions, labels) of the single-digit sets: MNIST test as given, rendered photos, the photos."""
    sets = {"MNIST test (28x28 as given)": ([classifier.predict(image / 255.0) for image in test.images],
                                            test.labels.astype(int))}
    chosen = chosen_digits(len(test.labels), args.count, args.seed)
    jobs = [(test.images[chosen[i:i + CHUNK]], [args.seed, i // CHUNK], None, False, False)
            for i in range(0, args.count, CHUNK)]
    inputs = [model_input for chunk in pool.map(read_chunk, jobs) for model_input, _ in chunk]
    sets[f"MNIST test rendered as photos ({args.count:,})"] = (
        [no_ink() if model_input is None else classifier.predict(model_input) for model_input in inputs],
        test.labels[chosen].astype(int))
    predictions, labels = [], []
    for file, label in labelled_files(args.photos):
        try:
            predictions.append(classify_image(read_image(file), classifier, "robust")[0])
        except ImageReadError:
            predictions.append(no_ink())
        labels.append(label)
    if predictions:
        sets[f"{args.photos.parent.name}/{args.photos.name} (real photos)"] = (predictions, np.array(labels))
    return sets


def measure_digits(classifier: DigitClassifier, test, args, pool: ProcessPoolExecutor
                   ) -> tuple[list[str], dict, dict]:
    """Part "digits": its tables, figures and the coverage curves to plot."""
    command = command_for(args, "digits")
    rows, point_rows, figures, curves = [], [], {}, {}
    for name, (predictions, labels) in single_digit_sets(classifier, test, args, pool).items():
        outcomes = Counter(outcome(p, int(label)) for p, label in zip(predictions, labels))
        n = len(predictions)
        rows.append([name, n, outcomes["right"], outcomes[NOT_A_DIGIT], outcomes[NO_INK], outcomes["wrong"],
                     percent(outcomes["right"], n), percent(outcomes[NOT_A_DIGIT], n), percent(outcomes["wrong"], n)])
        confidence = np.array([p.confidence for p in predictions])
        correct = np.array([p.digit == label for p, label in zip(predictions, labels)])
        rejected = np.array([p.digit is None for p in predictions])
        points = {point: at_min_confidence(confidence, correct, rejected, value)
                  for point, value in OPERATING_POINTS.items()}
        point_rows.append([name, *(f"{coverage:.2%} / {accuracy:.2%}" for coverage, accuracy in points.values())])
        at_points = {point: {"coverage": c, "accuracy": a} for point, (c, a) in points.items()}
        figures[name] = {"images": n, **outcomes, "operating_points": at_points}
        curves[name] = (coverage_curve(confidence, correct, rejected), points)
    tables = [table("Single digits: right / rejected / wrong at the operating point (the most probable class)",
                    command, ["set", "digits", "right", NOT_A_DIGIT, NO_INK, "wrong", "right %", "rejected %",
                              "wrong %"], rows),
              table("Single digits at the runner's defaults: coverage / accuracy among the digits given", command,
                    ["set", *OPERATING_POINTS], point_rows)]
    return tables, figures, curves


def measure_numbers(classifier: DigitClassifier, mnist_dir: Path, args) -> tuple[list[str], dict, dict]:
    """Part "numbers": reject_bench's measurement over NUMBER_MIN_CONFIDENCES."""
    read = read_marks(classifier, args.numbers, mnist_dir)
    rows, figures, curves = [], {}, {}
    for with_form, name in ((False, "without a form"), (True, "--digits N")):
        scores = [number_scores(read, value, with_form) for value in NUMBER_MIN_CONFIDENCES]
        for value, score in zip(NUMBER_MIN_CONFIDENCES, scores):
            rows.append([name, f"{value:g}", score.exact, score.wrong, score.rejected, f"{score.coverage:.1%}",
                         f"{score.answered_accuracy:.1%}" if score.coverage else "-"])
        figures[name] = [{"min_confidence": value, "exact": s.exact, "wrong": s.wrong, "rejected": s.rejected}
                         for value, s in zip(NUMBER_MIN_CONFIDENCES, scores)]
        curves[name] = scores
    return [table(f"Whole numbers: {len(read)} synthetic photos of 4-10 MNIST test digits (reject_bench.py, seed 0)",
                  command_for(args, "numbers"),
                  ["form", "min-confidence", "exact", "wrong", "rejected", "coverage", "exact among answered"],
                  rows)], figures, curves


def plot(path: Path, model_name: str, digit_curves: dict, number_curves: dict) -> None:
    """One PNG, one panel per measurement run: accuracy among the answers against coverage."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [curves for curves in (digit_curves, number_curves) if curves]
    figure, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5.2), squeeze=False)
    axes = list(axes[0])
    markers = ("o", "s")
    if digit_curves:
        axis = axes.pop(0)
        for (name, ((_, coverage, accuracy), points)), colour in zip(digit_curves.items(), ("C0", "C1", "C2")):
            axis.plot(coverage, accuracy, color=colour, label=name, linewidth=1.5)
            for (c, a), marker in zip(points.values(), markers):
                axis.plot([c], [a], marker, color=colour, markersize=7, markerfacecolor="white", markeredgewidth=2)
        for (point, _), marker in zip(OPERATING_POINTS.items(), markers):
            axis.plot([], [], marker, color="gray", markerfacecolor="white", markeredgewidth=2, label=point)
        axis.set_title("Single digits: threshold on the digit's confidence\n('not a digit' always rejected)")
        axis.set_ylabel("accuracy among the digits given")
    if number_curves:
        axis = axes.pop(0)
        for (name, scores), colour in zip(number_curves.items(), ("C3", "C4")):
            answered = [(value, s) for value, s in zip(NUMBER_MIN_CONFIDENCES, scores) if s.coverage]
            axis.plot([s.coverage for _, s in answered], [s.answered_accuracy for _, s in answered], "-",
                      color=colour, label=name, linewidth=1.5, marker=".", markersize=5)
            for value, s in answered if name == next(iter(number_curves)) else ():
                if value in NUMBER_LABELLED:
                    axis.annotate(f"{value:g}", (s.coverage, s.answered_accuracy), textcoords="offset points",
                                  xytext=(0, -12), ha="center", fontsize=7, color="gray")
            axis.plot([scores[0].coverage], [scores[0].answered_accuracy], "o", color=colour, markersize=7,
                      markerfacecolor="white", markeredgewidth=2)
        axis.plot([], [], "o", color="gray", markerfacecolor="white", markeredgewidth=2,
                  label="--multi default (min-confidence 0)")
        axis.set_title("Whole numbers (--multi): --min-confidence beside the points\n"
                       "(synthetic photos of 4-10 digits)")
        axis.set_ylabel("exact among the numbers answered")
    for axis in figure.axes:
        axis.set_xlabel("coverage (share answered)")
        axis.grid(True, alpha=0.3)
        axis.legend(loc="best", fontsize=8)
    figure.suptitle(f"Accuracy against coverage, model {model_name}")
    figure.tight_layout()
    with atomic_path(path) as temp:
        figure.savefig(temp, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="TFLite model (default: the packaged one)")
    parser.add_argument("--part", choices=PARTS, action="append", help="measure only this part (repeatable)")
    parser.add_argument("--negatives", type=int, default=5000, help="held-out negatives of every kind (5000)")
    parser.add_argument("--per-letter", type=int, default=40, help="held-out drawings of each of the 52 letters (40)")
    parser.add_argument("--framed", type=int, default=1000, help="MNIST test digits photographed and framed (1000)")
    parser.add_argument("--count", type=int, default=2000, help="MNIST test digits rendered as photos (2000)")
    parser.add_argument("--numbers", type=int, default=200, help="synthetic whole-number photos (200)")
    parser.add_argument("--photos", type=Path, default=REPO_ROOT.parent / "shared" / "photos",
                        help="labelled photo folder, folders 0-9 (default: ../shared/photos)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mnist-dir", type=Path, default=None, help="MNIST IDX folder (default $DIGITS_MNIST_DIR)")
    parser.add_argument("--plot", type=Path, default=REPO_ROOT / "docs" / "images" / "coverage.png",
                        help="the accuracy-against-coverage PNG (default docs/images/coverage.png)")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: every core)")
    args = parser.parse_args()
    parts = args.part or PARTS
    try:
        classifier = DigitClassifier(ClassifierOptions(args.model, threads=1))
        mnist_dir = resolve_mnist_dir(args.mnist_dir) or REPO_ROOT.parent / "shared" / "mnist"
        test = load_mnist_split(mnist_dir, "test")
    except (ModelError, MnistError, OSError) as error:
        sys.exit(f"not_a_digit.py: {error}")
    kind = "11 classes, 'not a digit' last" if classifier.rejects else "10 classes: rejects nothing"
    print(f"model: {classifier.model_path} ({kind}; {classifier.runtime})\n")
    results: dict = {"model": str(classifier.model_path), "rejects": classifier.rejects}
    digit_curves, number_curves = {}, {}
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        for part in parts:
            if part == "negatives":
                tables, results[part] = measure_negatives(classifier, test, args)
            elif part == "framed":
                tables, results[part] = measure_framed(classifier, test, args, pool)
            elif part == "digits":
                tables, results[part], digit_curves = measure_digits(classifier, test, args, pool)
            else:
                tables, results[part], number_curves = measure_numbers(classifier, mnist_dir, args)
            print("\n".join(tables), flush=True)
    if digit_curves or number_curves:
        plot(args.plot, classifier.model_path.name, digit_curves, number_curves)
        print(f"wrote {args.plot}")
    if args.json:
        with atomic_path(args.json) as temp:
            temp.write_text(json.dumps(results, indent=1, default=int) + "\n")
        print(f"wrote {args.json}")
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
