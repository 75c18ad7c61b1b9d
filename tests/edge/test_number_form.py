"""The best reading of a number of a given form (edge/number_form.py) and the number the marks make
(multi.number_of): pure functions over the model's probabilities, no model needed."""
from __future__ import annotations

import re

import numpy as np
import pytest
from digits.edge.classifier import NOT_A_DIGIT, UNSURE
from digits.edge.multi import DigitBox, MultiOptions, number_of
from digits.edge.number_form import (
    MAX_EXPANSIONS,
    NO_READING_OF_FORM,
    FormError,
    NumberForm,
    best_reading,
    digits_form,
    pattern_form,
)


def read_as(*pairs: tuple[int, float]) -> tuple[float, ...]:
    """Ten digit probabilities giving each (digit, probability) pair; the rest shared by the other digits."""
    probabilities = np.zeros(10)
    for digit, probability in pairs:
        probabilities[digit] = probability
    others = [digit for digit in range(10) if digit not in dict(pairs)]
    probabilities[others] = (1.0 - probabilities.sum()) / len(others)
    return tuple(float(p) for p in probabilities)


SURE = {digit: read_as((digit, 0.996)) for digit in range(10)}  # as the int8 model reads a clear digit
BRACKET = read_as((7, 0.86), (1, 0.05))  # a `)` as the test model reads it: a 7, not surely


def sure(text: str) -> list[tuple[float, ...]]:
    return [SURE[int(char)] for char in text]


def shown(choices: tuple[int | None, ...] | None) -> str | None:
    return None if choices is None else "".join("-" if digit is None else str(digit) for digit in choices)


@pytest.mark.parametrize("form", [digits_form(8), pattern_form(r"\d{4}-?\d{4}")])
def test_a_bracket_is_dropped_when_the_form_leaves_no_room_for_it(form):
    marks = sure("0512") + [BRACKET] + sure("6707")
    assert shown(best_reading(marks, form)) == "0512-6707"


def test_the_second_candidate_is_taken_when_the_first_breaks_the_form():
    marks = [read_as((6, 0.55), (0, 0.40))] + sure("512")
    assert shown(best_reading(marks, pattern_form(r"\d{4}"))) == "6512"
    assert shown(best_reading(marks, pattern_form(r"0\d{3}"))) == "0512"
    assert shown(best_reading(marks, pattern_form(r"9\d{3}"))) is None  # 9 is none of its top candidates


def test_surely_read_digits_are_never_dropped_nor_read_otherwise():
    marks = sure("05126707")
    assert best_reading(marks, digits_form(3)) is None
    assert best_reading(marks, pattern_form(r"\d{3}")) is None
    assert best_reading(marks, pattern_form(r"1\d{7}")) is None
    assert shown(best_reading(marks, digits_form(8))) == "05126707"


def test_fewer_marks_than_the_form_needs_is_no_reading():
    assert best_reading(sure("0512"), digits_form(5)) is None
    assert best_reading([], digits_form(1)) is None
    assert best_reading([], pattern_form(r"\d*")) == ()


def test_ties_go_to_the_first_mark_kept_and_the_lower_digit():
    unsure = read_as((4, 0.5), (9, 0.5))
    for form in (digits_form(1), pattern_form(r"\d")):
        assert shown(best_reading([unsure], form)) == "4"
        assert shown(best_reading([BRACKET, BRACKET], form)) == "7-"


def test_a_mark_the_model_calls_not_a_digit_can_only_be_dropped():
    not_a_digit = (0.001,) * 10  # an eleven-class model giving 0.99 to "not a digit"
    marks = sure("12") + [not_a_digit]
    assert shown(best_reading(marks, digits_form(2))) == "12-"
    assert best_reading(marks, digits_form(3)) is None


def test_exactly_n_digits_is_the_pattern_of_n_digits_read_exactly():
    rng = np.random.default_rng(7)
    for _ in range(200):
        marks = [tuple(rng.dirichlet(np.full(10, 0.3))) for _ in range(rng.integers(0, 7))]
        count = int(rng.integers(1, 6))
        assert best_reading(marks, digits_form(count)) == best_reading(marks, NumberForm(re.compile(rf"\d{{{count}}}")))


def test_a_pattern_no_reading_matches_is_given_up_after_the_expansions_allowed():
    marks = [read_as((1, 0.3), (7, 0.3), (4, 0.2))] * 12  # 4**12 readings, none of which has a letter
    assert 4 ** 12 > MAX_EXPANSIONS
    assert best_reading(marks, pattern_form("[a-z]")) is None


@pytest.mark.parametrize("count", [0, 65])
def test_digits_outside_1_to_64_are_refused(count):
    with pytest.raises(FormError, match="1 to 64"):
        digits_form(count)


def test_a_pattern_that_is_not_a_regular_expression_is_refused():
    with pytest.raises(FormError, match="not a regular expression"):
        pattern_form(r"(\d{4}")


def box(probabilities: tuple[float, ...], reason: str | None = None) -> DigitBox:
    best = int(np.argmax(probabilities))
    return DigitBox(0, 0, 20, 20, None if reason else best, probabilities[best], reason, probabilities)


def test_the_number_shows_a_mark_not_read_as_a_question_mark():
    marks = [[box(SURE[1]), box(SURE[2])], [box(read_as((3, 0.5))), box(SURE[4], NOT_A_DIGIT)]]
    reading = number_of(marks, MultiOptions(min_confidence=0.6))
    assert reading.text == "12??" and [line.digits for line in reading.lines] == ["12", "??"]
    assert not reading.readable and reading.reason is None
    assert [unread.reason for unread in reading.lines[1].boxes] == [UNSURE, NOT_A_DIGIT]
    assert reading.lines[1].boxes[0].confidence == pytest.approx(0.5)
    assert number_of(marks[:1], MultiOptions(min_confidence=0.6)).readable


def test_a_form_drops_marks_and_a_kept_candidate_below_min_confidence_is_unread():
    marks = [[box(SURE[0]), box(read_as((6, 0.55), (5, 0.4))), box(BRACKET)], [box(SURE[2])]]
    reading = number_of(marks, MultiOptions(form=pattern_form(r"05\d")))
    assert reading.text == "052" and reading.readable
    assert reading.lines[0].boxes[1].confidence == pytest.approx(0.4)  # the candidate's probability
    unsure = number_of(marks, MultiOptions(min_confidence=0.5, form=pattern_form(r"05\d")))
    assert unsure.text == "0?2" and not unsure.readable and unsure.lines[0].boxes[1].reason == UNSURE


def test_a_mark_the_model_calls_not_a_digit_stays_unread_where_the_form_keeps_it():
    not_a_digit = read_as((3, 0.3))  # "not a digit" won with the rest of the probability
    reading = number_of([[box(SURE[1]), box(not_a_digit, NOT_A_DIGIT)]], MultiOptions(form=digits_form(2)))
    assert reading.text == "1?" and not reading.readable


def test_no_reading_of_the_form_leaves_every_mark_unread():
    reading = number_of([[box(SURE[1]), box(SURE[2])], [box(SURE[3])]], MultiOptions(form=digits_form(2)))
    assert reading.text == "???" and not reading.readable and reading.reason == NO_READING_OF_FORM
    assert {mark.reason for line in reading.lines for mark in line.boxes} == {NO_READING_OF_FORM}
    blank = number_of([], MultiOptions(form=digits_form(2)))
    assert blank.text == "" and not blank.readable
    assert number_of([]).readable
