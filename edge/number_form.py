"""The best reading of a whole number that must have a given form (--digits N, --pattern REGEX).

Each mark found on the page is read as one of its TOP_CANDIDATES most probable digits, or dropped as a mark
that is not part of the number (a bracket, a plus sign, a dash kept by the finding). Keeping a mark as a digit
scores that digit's probability; dropping it scores its drop score, 1 - the probability of its most probable
digit: what the model gives to everything else, the "not a digit" class of an eleven-class model included, so
the same rule serves ten- and eleven-class models. A choice scoring less than PLAUSIBLE is not made: a digit the
model reads surely is never dropped, nor read as a digit it gives nothing to, so a page whose sure digits do not
have the form has no reading of it (unreadable, not a wrong number). A reading's score is the product of its
marks' scores (the sum of their logs); the reading chosen is the highest-scoring one whose digits, in reading
order and joined without separators (the lines too), match the form in full.

Pure functions over probabilities, numpy-free: a number has tens of marks at most.
"""
from __future__ import annotations

import heapq
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

TOP_CANDIDATES = 3  # digits tried for each mark (the fourth most probable is almost never the right one)
MAX_EXPANSIONS = 20_000  # readings looked at for a --pattern before it is given up as "no reading of that form"
MAX_FORM_DIGITS = 64  # --digits N takes 1..this
PLAUSIBLE = 0.01  # a mark is read as a digit, or dropped, only when the model gives that at least this
# Scores are compared rounded to this many decimals of their log: the int8 model's outputs are multiples of
# 1/256 and equal scores are common; rounded, they tie alike on x86 and ARM, and ties go to the first reading
# in mark order (a mark kept before dropped, a more probable digit before a less probable one, then 0..9)
SCORE_DECIMALS = 9
NO_READING_OF_FORM = "no reading of that form"  # the reason a number with a form is unreadable


class FormError(ValueError):
    """A --digits count outside 1..MAX_FORM_DIGITS or a --pattern that is not a regular expression."""


@dataclass(frozen=True)
class NumberForm:
    """The form a number must have: exactly `digits` digits, or else a full match of `pattern`."""

    pattern: re.Pattern[str]
    digits: int | None = None  # --digits N: any N of the marks, read as their most probable digits

    def __str__(self) -> str:
        return f"{self.digits} digits" if self.digits is not None else f"/{self.pattern.pattern}/"


def digits_form(count: int) -> NumberForm:
    """Exactly `count` digits (--digits N, the pattern `\\d{N}` chosen exactly and fast).

    Raises:
        FormError: count outside 1..MAX_FORM_DIGITS.
    """
    if not 1 <= count <= MAX_FORM_DIGITS:
        raise FormError(f"expected 1 to {MAX_FORM_DIGITS} digits, got {count}")
    return NumberForm(re.compile(rf"\d{{{count}}}"), count)


def pattern_form(pattern: str) -> NumberForm:
    """A regular expression the number's digits must match in full (--pattern).

    Raises:
        FormError: not a regular expression (Python's `re` syntax).
    """
    try:
        return NumberForm(re.compile(pattern))
    except re.error as error:
        raise FormError(f"not a regular expression: {error}") from None


def drop_score(probabilities: Sequence[float]) -> float:
    """How likely a mark is not part of the number: 1 - its most probable digit's probability."""
    return 1.0 - max(probabilities[:10])


def best_reading(marks: Sequence[Sequence[float]], form: NumberForm) -> tuple[int | None, ...] | None:
    """The highest-scoring reading of the marks (each one's ten digit probabilities, in reading order) whose
    digits match `form`: for each mark the digit it is read as, or None where it is dropped; None when no reading
    of that form is found (for a pattern: among the best MAX_EXPANSIONS)."""
    if form.digits is not None:
        return _best_of_length(marks, form.digits)
    return _best_matching(marks, form.pattern)


def mark_options(probabilities: Sequence[float]) -> list[tuple[int | None, float]]:
    """A mark's plausible choices with their log scores: its TOP_CANDIDATES most probable digits (most probable
    first, equal ones in digit order), then None (dropped); only those scoring at least PLAUSIBLE (never none:
    the most probable digit's probability and the drop score add up to 1)."""
    digits = sorted(range(10), key=lambda digit: (-probabilities[digit], digit))[:TOP_CANDIDATES]
    scored = [(digit, probabilities[digit]) for digit in digits] + [(None, drop_score(probabilities))]
    return [(choice, math.log(score)) for choice, score in scored if score >= PLAUSIBLE]


def _best_of_length(marks: Sequence[Sequence[float]], count: int) -> tuple[int | None, ...] | None:
    """Exactly `count` marks kept, each as its most probable digit. The score is a sum over marks, so the best
    reading keeps the `count` marks that gain most by being kept rather than dropped (exact, no search); a mark
    that cannot be dropped gains without bound, one that cannot be kept loses without bound."""
    options = [mark_options(probabilities) for probabilities in marks]
    gains = []
    for choices in options:
        kept, dropped = choices[0], choices[-1]
        if dropped[0] is not None:
            gains.append(math.inf)
        elif kept[0] is None:
            gains.append(-math.inf)
        else:
            gains.append(round(kept[1] - dropped[1], SCORE_DECIMALS))
    order = sorted(range(len(marks)), key=lambda index: (-gains[index], index))
    kept_marks = set(order[:count])
    if len(kept_marks) < count or any(gains[index] == -math.inf for index in kept_marks) or any(
            gains[index] == math.inf for index in order[count:]):
        return None
    return tuple(choices[0][0] if index in kept_marks else None for index, choices in enumerate(options))


def _best_matching(marks: Sequence[Sequence[float]], pattern: re.Pattern[str]) -> tuple[int | None, ...] | None:
    """Best-first search (A*) over the readings: a partial reading's priority is its score so far plus the best
    each mark after it can add, so complete readings come out best first and the first that matches is the best."""
    options = [mark_options(probabilities) for probabilities in marks]
    best_rest = [0.0] * (len(marks) + 1)  # the most the marks from i on can add
    for index in range(len(marks) - 1, -1, -1):
        best_rest[index] = best_rest[index + 1] + max(score for _, score in options[index])
    # (-priority, choices as option indices, score so far); equal priorities pop in choice order
    heap: list[tuple[float, tuple[int, ...], float]] = [(-round(best_rest[0], SCORE_DECIMALS), (), 0.0)]
    for _ in range(MAX_EXPANSIONS):
        if not heap:
            return None
        _, choices, score = heapq.heappop(heap)
        position = len(choices)
        if position == len(marks):
            digits = tuple(options[index][choice][0] for index, choice in enumerate(choices))
            if pattern.fullmatch("".join(str(digit) for digit in digits if digit is not None)):
                return digits
            continue
        for choice, (_, option_score) in enumerate(options[position]):
            reached = score + option_score
            priority = round(reached + best_rest[position + 1], SCORE_DECIMALS)
            heapq.heappush(heap, (-priority, (*choices, choice), reached))
    return None
