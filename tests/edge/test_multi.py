"""Multi-digit reading on pages drawn here from MNIST test digits: lines, slant, touching and broken digits,
specks, dashes, ruled lines, polarity, blank pages, big photos."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from digits.edge.imageops import to_gray
from digits.edge.multi import (
    LIKELY_SPLIT_WIDTH,
    SPLIT_WIDTH,
    SURE_SPLIT_WIDTH,
    TOUCHING_WIDTH,
    DigitBox,
    MultiOptions,
    PageReading,
    choose_reading,
    find_digits,
    read_digits,
)
from digits.train import synth

from tests.edge.lighting import glare_spot
from tests.edge.multi_pages import INK, PAPER, as_jpeg, clear_digits, draw_number, ink_strength, piece_count, touching
from tests.models import frozen_classifier


@pytest.fixture(scope="module")
def classifier():
    return frozen_classifier()


@pytest.fixture(scope="module")
def digits(mnist_test, classifier):
    """digits("0512") -> the MNIST images of those digits (ones the model reads surely when alone)."""
    chosen = clear_digits(mnist_test, classifier)
    return lambda text: [chosen[int(char)][0] for char in text]


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0, width) * max(0, height)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def boxes_of(reading: PageReading) -> list[tuple[int, int, int, int]]:
    return [(box.x, box.y, box.w, box.h) for line in reading.lines for box in line.boxes]


def test_two_lines_are_read_top_to_bottom_then_left_to_right(digits, classifier):
    page = draw_number([digits("0512"), digits("6707")])
    reading = read_digits(as_jpeg(page.image), classifier)
    assert reading.text == "05126707"
    assert [line.digits for line in reading.lines] == ["0512", "6707"]
    assert all(overlap(found, truth) > 0.6 for found, truth in zip(boxes_of(reading), page.boxes))
    assert all(0.0 <= box.confidence <= 1.0 for line in reading.lines for box in line.boxes)


def test_slanted_lines_keep_their_digits_together(digits, classifier):
    page = draw_number([digits("6707"), digits("0512")], slope=0.35)
    first, last = page.boxes[0], page.boxes[3]
    assert last[1] + last[3] < first[1]  # premise: a line's ends do not overlap vertically (about 20 degrees)
    reading = read_digits(page.image, classifier)
    assert [line.digits for line in reading.lines] == ["6707", "0512"]


def test_a_small_sheet_on_a_grey_desk_beside_a_dark_band_is_read(digits, classifier):
    """The sheet covers a 24th of the photo, the ink a fraction of a percent: the bright sheet against the desk
    is not taken for light ink, and a tall dark band (a shadow, a pen) does not set the digits' size."""
    page = draw_number([digits("05126707")])
    height, width = page.image.shape
    image = np.full((6 * height, 4 * width), int(0.75 * PAPER), np.uint8)
    image[3 * height: 4 * height, width: 2 * width] = page.image
    image[height // 2: 11 * height // 2, 2 * width + 10: 2 * width + 70] = 60  # the dark band
    assert read_digits(as_jpeg(image), classifier).text == "05126707"


@pytest.mark.parametrize("degrees", [15, -15])
def test_lines_of_a_turned_photo_stay_apart_when_the_digits_are_spaced_wide(degrees, digits, classifier):
    """Each line's slope is measured from neighbouring digits, so a wide gap does not break a turned line in two
    (into four lines of 2-3 digits at 15 degrees either way)."""
    page = draw_number([digits("12345"), digits("67890")], gaps=[[1.4] * 5] * 2, margin=200)
    height, width = page.image.shape
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    turned = cv2.warpAffine(page.image, rotation, (width, height), borderMode=cv2.BORDER_REPLICATE)
    lines = [line.digits for line in read_digits(as_jpeg(turned), classifier).lines]
    assert [len(line) for line in lines] == [5, 5]
    assert lines[0][:4] == "1234" and lines[1] == "67890"


def middle_two_touching(images: list[np.ndarray], further: float = 0.0):
    """Four digits drawn with the middle two pushed together until their strokes touch, then `further` (digit
    heights) over each other."""
    overlap = next(overlap for overlap in np.arange(0.0, 0.5, 0.025)
                   if touching(draw_number([images], gaps=[[0.3, -overlap, 0.3]]), 1, 2))
    return draw_number([images], gaps=[[0.3, -(overlap + further), 0.3]])


@pytest.mark.parametrize("text", ["9268", "5002", "7208"])
def test_touching_digits_are_split(text, digits, classifier):
    page = middle_two_touching(digits(text))
    assert read_digits(page.image, classifier).text == text
    (line,) = find_digits(page.image)
    assert len(line) == 3 and any(len(split) == 2 for split in line[1].splits)  # one mark, cut for the model


@pytest.mark.parametrize("text", ["1493", "1773", "1063"])
def test_touching_digits_read_surely_as_one_are_cut_where_a_single_stroke_joins_them(text, digits, classifier):
    """The pair is read surely as one digit too ("143", "173", "123" uncut), but the cut crosses one stroke,
    where the two touch: the middle of a single wide digit mostly crosses two."""
    page = middle_two_touching(digits(text))
    (line,) = find_digits(page.image)
    assert len(line) == 3 and any(line[1].touching_cuts)
    assert read_digits(page.image, classifier).text == text


def test_broken_strokes_of_one_digit_are_joined(digits, classifier):
    page = draw_number([digits("470")])
    image = page.image.copy()
    for x, y, w, h in page.boxes[:2]:  # a pen that skipped: a gap across the 4 and the 7
        image[y + round(0.45 * h): y + round(0.45 * h) + 4, x:x + w] = PAPER
    assert piece_count(page, 0, image) >= 2 and piece_count(page, 1, image) >= 2  # premise: both are broken
    reading = read_digits(image, classifier)
    assert reading.text == "470"
    assert overlap(boxes_of(reading)[0], page.boxes[0]) > 0.8


@pytest.mark.parametrize("text, faded", [("368", 1), ("920", 0), ("485", 2)])
def test_the_faint_part_of_a_stroke_stays_with_its_digit(text, faded, digits, classifier):
    page = draw_number([digits(text)])
    image = page.image.astype(np.float32)
    x, y, w, h = page.boxes[faded]
    half = slice(y + h // 2, y + h), slice(x, x + w)  # the pen ran dry: the lower half is much fainter
    image[half] = PAPER - 0.45 * (PAPER - image[half])
    reading = read_digits(np.clip(image, 0, 255).astype(np.uint8), classifier)
    assert reading.text == text
    assert overlap(boxes_of(reading)[faded], page.boxes[faded]) > 0.8


@pytest.mark.parametrize("contrast", [1.0, 0.2, 0.12])
def test_a_faded_photo_is_read_whole(contrast, digits, classifier):
    """Faded to a fifth of its contrast or less (pencil in dim light: 25-40 gray levels), a digit's crop looks
    blank to the single-digit preprocessing alone; the page vouches for its ink."""
    page = draw_number([digits("1087"), digits("3482")])
    faded = (128 + (page.image.astype(np.float32) - 128) * contrast).astype(np.uint8)
    assert read_digits(as_jpeg(faded), classifier).text == "10873482"


@pytest.mark.parametrize("text", ["1173", "1913"])
def test_touching_digits_no_wider_than_one_wide_digit_are_cut_where_they_touch(text, digits, classifier):
    page = middle_two_touching(digits(text))  # uncut: "173" and "143"
    (line,) = find_digits(page.image)
    assert len(line) == 3 and TOUCHING_WIDTH < line[1].width_ratio <= SPLIT_WIDTH  # premise: narrow for two
    assert line[1].touching_cuts and all(line[1].touching_cuts)
    assert read_digits(page.image, classifier).text == text


@pytest.mark.parametrize("text, further", [("3355", 0.05), ("3445", 0.05), ("3545", 0.1), ("3665", 0.1)])
def test_digits_written_over_each_other_are_cut_along_a_path_between_them(text, further, digits, classifier):
    """Pushed past touching, the middle two overlap: a straight cut gives a piece of one digit's stroke to the
    other (with straight cuts only: "39405", "345", "345", "365"); a curved cut winds between them."""
    page = middle_two_touching(digits(text), further)
    (line,) = find_digits(page.image)
    assert len(line) == 3 and any(left.box[0] + left.box[2] > right.box[0] for left, right in line[1].splits)
    assert read_digits(page.image, classifier).text == text


@pytest.mark.parametrize("digit, width", [("0", 52), ("5", 44), ("9", 48)])
def test_a_wide_digit_is_not_cut_in_two(digit, width, digits, classifier):
    # the 9 drawn 48 px wide: a cut where its loop meets its tail crosses one stroke, but the loop is too short
    (image28,) = digits(digit)
    wide = cv2.resize(image28, (width, 28), interpolation=cv2.INTER_LINEAR)
    page = draw_number([digits("1") + [wide] + digits("3")])
    x, y, w, h = page.boxes[1]
    assert SPLIT_WIDTH * h < w < SURE_SPLIT_WIDTH * h  # premise: by its width alone it could be two digits
    assert read_digits(page.image, classifier).text == f"1{digit}3"


SURE = 255 / 256  # the int8 model's highest confidence
WIDE = LIKELY_SPLIT_WIDTH + 0.1  # a mark this wide is cut when its parts read as surely as the whole


def read_as(digit: int, confidence: float) -> DigitBox:
    return DigitBox(0, 0, 20, 20, digit, confidence)


@pytest.mark.parametrize("last_bit", [0, 1, -1])
def test_a_tie_between_a_cut_and_the_whole_is_decided_alike_on_every_platform(last_bit):
    """The whole and its parts all read at the model's highest confidence: the mean of the parts' logs came out
    a bit above the whole's on x86 and equal to it on ARM, so the Pi kept as one digit what this machine cut."""
    part = float(np.nextafter(SURE, 2.0 * last_bit)) if last_bit else SURE
    reading = choose_reading(read_as(4, SURE), [[read_as(1, part), read_as(7, SURE)]], WIDE)
    assert [box.digit for box in reading] == [1, 7]


def test_of_two_cuts_read_as_surely_the_first_is_taken():
    cuts = [[read_as(2, SURE), read_as(1, SURE)], [read_as(7, float(np.nextafter(SURE, 1.0))), read_as(1, SURE)]]
    assert [box.digit for box in choose_reading(None, cuts, WIDE)] == [2, 1]


@pytest.mark.parametrize("whole, parts, width_ratio, expected", [
    (SURE, (SURE, SURE), LIKELY_SPLIT_WIDTH - 0.1, [0]),  # read surely whole and not very wide: one digit
    (0.8, (0.95, 0.95), SPLIT_WIDTH + 0.1, [1, 7]),  # read unsurely whole, the parts surely: two
    (0.8, (0.95, 0.85), SPLIT_WIDTH + 0.1, [0]),  # the parts not surely enough (geometric mean < 0.9)
    (SURE, (0.95, 0.95), WIDE, [0]),  # the whole read more surely than the parts
])
def test_a_mark_stays_whole_unless_its_parts_read_surely_enough(whole, parts, width_ratio, expected):
    reading = choose_reading(read_as(0, whole), [[read_as(1, parts[0]), read_as(7, parts[1])]], width_ratio)
    assert [box.digit for box in reading] == expected


@pytest.mark.parametrize("touching, expected", [(True, [1, 7]), (False, [0])])
def test_a_mark_read_surely_whole_is_cut_only_where_digits_touch(touching, expected):
    parts = [read_as(1, SURE), read_as(7, SURE)]
    reading = choose_reading(read_as(0, SURE), [parts], LIKELY_SPLIT_WIDTH - 0.1, (touching,))
    assert [box.digit for box in reading] == expected


def test_specks_dashes_and_ruled_lines_are_not_digits(digits, classifier):
    page = draw_number([digits("12") + digits("34")], gaps=[[0.3, 0.9, 0.3]], size=(260, 560))
    image = page.image.copy()
    (x1, y1, w1, h1), (x2, *_) = page.boxes[1], page.boxes[2]
    dash_y = y1 + h1 // 2
    cv2.line(image, (x1 + w1 + 12, dash_y), (x2 - 12, dash_y), 60, 4)  # 12-34
    cv2.line(image, (10, y1 + h1 + 25), (image.shape[1] - 10, y1 + h1 + 25), 120, 2)  # a ruled line below
    rng = np.random.default_rng(0)
    for _ in range(40):  # specks of dust and pencil dots away from the digits
        cv2.circle(image, (int(rng.integers(5, 555)), int(rng.integers(190, 255))), int(rng.integers(1, 3)), 70, -1)
    assert read_digits(as_jpeg(image), classifier).text == "1234"


def test_light_ink_on_a_dark_board_is_read(digits, classifier):
    page = draw_number([digits("3908")])
    assert read_digits(255 - page.image, classifier).text == "3908"
    # the page's polarity goes with every digit to its preprocessing, which does not judge it again per crop
    assert [region.dark_ink for region in find_digits(page.image)[0]] == [True] * 4
    assert [region.dark_ink for region in find_digits(255 - page.image)[0]] == [False] * 4


def test_a_lamps_glare_on_the_page_is_not_taken_for_light_ink(digits, classifier):
    """A bright soft spot washing dim paper out to white beside the digits makes a light tail stronger than the
    ink's against the page's coarse median; against a finer one it is gone."""
    page = draw_number([digits("3908"), digits("1264")], frame_px=120)
    photo = glare_spot(np.clip(0.7 * page.image, 0, 255), centre=(0.9, 0.5), size=(0.12, 0.15))
    assert [region.dark_ink for line in find_digits(photo) for region in line] == [True] * 8
    assert read_digits(as_jpeg(photo), classifier).text == "39081264"


def test_a_digit_under_a_lamps_glare_is_not_taken_for_a_table_edge(digits, classifier):
    """A glare spot over one digit at a time: the dim paper beyond the spot is darker than halfway between the
    washed-out ink and the white around it, so the digit would look like a sliver beside a dark table and be
    dropped: ground must be near the ink's own level. (Under four of the eight, the dim paper within the ring
    is still nearly as dark as the washed-out ink.)"""
    page = draw_number([digits("39081264")], frame_px=120)
    height, width = page.image.shape
    exact = 0
    for x, y, w, h in page.boxes:
        centre = ((x + w / 2) / width, (y + h / 2) / height)
        photo = glare_spot(np.clip(0.7 * page.image, 0, 255), centre=centre, size=(0.08, 0.25))
        exact += read_digits(as_jpeg(photo), classifier).text == "39081264"
    assert exact >= 4


@pytest.mark.parametrize("seed", [2, 4, 6])
def test_a_lamps_glare_on_a_blank_page_gives_an_empty_reading(seed, classifier):
    """With no ink, the glare passes for light ink: a convex blob lying on its side, which no digit is, not a
    row of touching digits."""
    rng = np.random.default_rng(1000 + seed)
    page = to_gray(synth.render_photo([], rng, (1280, 960), synth.random_style(rng)).image)
    assert read_digits(glare_spot(page, centre=(0.7, 0.3), size=(0.18, 0.12)), classifier).text == ""


def test_a_shadow_across_a_sheet_small_in_the_frame_is_paper_not_ink(digits, classifier):
    """A soft shadow (a pen's or a phone's) over the middle digits, narrower than the paper estimate's closing
    (a fifth of the frame), lighter paper on both sides: the closing fills it as it fills strokes, so it was
    ink and swallowed the digits under it ("31"). A closing a few strokes wide follows it."""
    page = draw_number([digits("3908"), digits("1264")], frame_px=60)
    pad = int(0.8 * max(page.image.shape))
    photo = cv2.copyMakeBorder(page.image, pad, pad, pad, pad, cv2.BORDER_REPLICATE).astype(np.float32)
    height, width = photo.shape
    across = np.abs(np.arange(width) - (pad + page.boxes[2][0] + page.boxes[2][2] / 2))[None, :]
    down = np.abs(np.arange(height) - (pad + page.image.shape[0] / 2))[:, None]
    shadow = (np.clip((0.05 * width - across) / (0.03 * width), 0, 1)
              * np.clip((0.2 * height - down) / (0.03 * height), 0, 1))
    photo = photo * (1 - 0.5 * shadow) + np.random.default_rng(0).normal(0, 2, photo.shape)
    assert read_digits(as_jpeg(np.clip(photo, 0, 255).astype(np.uint8)), classifier).text == "39081264"


def test_small_writing_on_a_sheet_far_away_on_a_grey_desk_keeps_its_polarity(digits, classifier):
    """The ink is under 0.1% of the photo and the bright sheet's edge makes a tail as strong as the ink's 0.1%
    out; 0.01% out the ink wins clearly."""
    page = draw_number([digits("10873482")], frame_px=40)
    sheet = page.image * np.linspace(1.0, 0.85, page.image.shape[0])[:, None]  # light falling off down the sheet
    pad = int(1.5 * max(sheet.shape))
    photo = cv2.copyMakeBorder(sheet, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0.75 * PAPER)
    photo += np.random.default_rng(0).normal(0, 2, photo.shape)
    assert read_digits(np.clip(photo, 0, 255).astype(np.uint8), classifier).text == "10873482"


def test_a_strip_of_desk_below_the_sheet_is_not_read_as_digits(digits, classifier):
    """The sheet lies on a desk that shows below it and the photo is framed by something mid-grey: the desk's
    strip is a solid mark inside the frame, not at its edge, and was cut into a row of 0s."""
    page = draw_number([digits("3908")], margin=40)
    height, width = page.image.shape
    photo = np.vstack([page.image, np.full((height // 3, width), 70, np.uint8)])
    pad = height // 2
    photo = cv2.copyMakeBorder(photo, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=150)
    assert read_digits(as_jpeg(photo), classifier).text == "3908"


def blank_pages() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    noise = np.clip(rng.normal(190, 6, (900, 1200)), 0, 255)
    shaded = noise * np.linspace(1.1, 0.5, 1200)[None, :]
    shadow = shaded.copy()
    shadow[:, 700:] *= 0.6
    return {"white": np.full((480, 640), 255, np.uint8), "noise": noise.astype(np.uint8),
            "shaded jpeg": as_jpeg(shaded.astype(np.uint8), 60), "hard shadow": shadow.astype(np.uint8),
            "bgr": cv2.cvtColor(noise.astype(np.uint8), cv2.COLOR_GRAY2BGR), "one pixel": np.zeros((1, 1), np.uint8),
            "bgra 2x3": np.zeros((2, 3, 4), np.uint8)}


@pytest.mark.parametrize("name", list(blank_pages()))
def test_a_page_without_digits_gives_an_empty_reading(name, classifier):
    reading = read_digits(blank_pages()[name], classifier)
    assert reading.text == "" and reading.lines == ()


@pytest.mark.parametrize("seed", [1, 10, 43, 73])
def test_a_blank_page_of_faint_squared_paper_gives_an_empty_reading(seed, classifier):
    """Faint grid lines broken into pieces by the threshold are found as lines, not read as 9-24 digits."""
    rng = np.random.default_rng(seed)
    page = synth.render_photo([], rng, (1280, 960), synth.random_style(rng, ruled_spacing=0.06, squared=True))
    assert read_digits(page.image, classifier).text == ""


def test_big_photos_are_searched_small_but_boxed_in_their_own_pixels(digits, classifier):
    page = draw_number([digits("8153")], size=(1400, 2000), frame_px=300, margin=300)
    image = cv2.cvtColor(page.image, cv2.COLOR_GRAY2BGR)
    reading = read_digits(image, classifier, MultiOptions(work_side=512))
    assert reading.text == "8153"
    assert all(overlap(found, truth) > 0.7 for found, truth in zip(boxes_of(reading), page.boxes))


def test_min_confidence_leaves_digits_read_less_surely_unread(digits, classifier):
    image = draw_number([digits("24")]).image
    sure = read_digits(image, classifier, MultiOptions(min_confidence=0.0))
    assert sure.text == "24" and sure.readable
    unsure = read_digits(image, classifier, MultiOptions(min_confidence=1.01))
    assert unsure.text == "??" and not unsure.readable
    assert [(box.digit, box.reason) for box in unsure.lines[0].boxes] == [(None, "unsure"), (None, "unsure")]
    assert [box.confidence for box in unsure.lines[0].boxes] == [box.confidence for box in sure.lines[0].boxes]


def test_the_edge_of_a_dark_object_on_the_page_is_not_a_digit(digits, classifier):
    page = draw_number([digits("4096")], size=(300, 600))
    image = page.image.copy()
    rows, columns = np.mgrid[0:300, 0:600]
    image[(columns > 470 + rows // 6) & (rows > 40) & (rows < 260)] = 50  # a dark phone lying on the page
    image = cv2.GaussianBlur(image, (3, 3), 0)
    assert read_digits(as_jpeg(image), classifier).text == "4096"


def test_big_bold_digits_filling_the_image_are_read(digits, classifier):
    page = draw_number([digits("47")], frame_px=240, margin=25)
    bold = cv2.erode(page.image, np.ones((9, 9), np.uint8))  # a marker pen: strokes ~1/6 of the digit height
    assert read_digits(bold, classifier).text == "47"


def test_a_number_cropped_close_keeps_the_digits_at_the_edges(digits, classifier):
    """A photo cut close to the number: the first and last digits of each line touch the image's sides, but
    stand in line with digits clear of the edge, so they are read, not dropped as digits cut off by the
    frame."""
    for lines, above_and_below in (([digits("05126707")], 0.5), ([digits("0512"), digits("6707")], 0.1)):
        page = draw_number(lines)
        close = synth.crop_to_digits(page.image, page.boxes, 0.0, above_and_below)
        assert read_digits(as_jpeg(close), classifier).text == "05126707"


def test_a_mark_cut_by_the_frame_with_no_digit_beside_it_is_not_read(digits, classifier):
    """Marks at the image's edge count only in a line of digits clear of it: half a digit at the edge of an
    otherwise empty page (the photo missed the writing) gives an empty reading."""
    page = draw_number([digits("3")], margin=120)
    x, _, w, _ = page.boxes[0]
    assert read_digits(page.image[:, x + w // 2:], classifier).text == ""


@pytest.mark.parametrize("frame_px", [120, 240])
def test_digits_cropped_close_keep_their_upright_strokes_when_lines_are_sought(frame_px, digits, classifier):
    """In a crop this close a digit is half the image tall, and noise specks inside its strokes look like a
    grid's cells. Lines are then sought, and a run a quarter of the image's height, the length of a line
    across a page, is a digit's upright stroke here, and is kept."""
    page = draw_number([digits("0526")], frame_px=frame_px)
    noisy = page.image + np.random.default_rng(0).normal(0, 12, page.image.shape)  # a dim photo's sensor noise
    image = synth.crop_to_digits(np.clip(noisy, 0, 255).astype(np.uint8), page.boxes, 0.05, 0.05)
    assert read_digits(image, classifier).text == "0526"


def in_a_row_of_boxes(images: list[np.ndarray], cell: int, digit_px: int, wall_px: int = 3) -> np.ndarray:
    """A form's row of boxes (printed grey walls) with one MNIST digit written in each, `digit_px` tall, on a
    page six boxes tall."""
    page = np.full((6 * cell, (len(images) + 2) * cell), float(PAPER), np.float32)
    top = 2 * cell
    for index, image in enumerate(images):
        strength = ink_strength(image, frame_px=digit_px * 28 // 20)
        height, width = strength.shape
        y = top + (cell - height) // 2
        x = (index + 1) * cell + (cell - width) // 2
        page[y: y + height, x: x + width] -= (PAPER - INK) * strength
    for wall in range(len(images) + 1):
        cv2.line(page, ((wall + 1) * cell, top), ((wall + 1) * cell, top + cell), 90, wall_px)
    cv2.rectangle(page, (cell, top), ((len(images) + 1) * cell, top + cell), 90, wall_px)
    return np.clip(page, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("cell, digit_px, degrees", [(100, 70, 0), (100, 98, 0), (60, 50, 0), (100, 70, 2.5)])
def test_an_id_written_in_a_row_of_boxes_is_read(cell, digit_px, degrees, digits, classifier):
    """The boxes' lines string the digits into one mark: the lines are taken out, and the walls between the
    boxes too (else read as 1s), also where the digits touch them (digit_px 98 of 100) and in a photo not
    square to the page."""
    image = in_a_row_of_boxes(digits("05126707"), cell, digit_px)
    if degrees:
        height, width = image.shape
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
        image = cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
    assert read_digits(image, classifier).text == "05126707"


@pytest.mark.parametrize("end", ["first", "last"])
def test_a_row_of_boxes_with_a_broken_end_wall_is_still_a_row_of_boxes(end, digits, classifier):
    """An end wall printed with a gap (or lost to the threshold along part of its height) is no wall, and the
    row's lines then run on past the outer wall found, as ruled lines would. A box's width of line past it is
    still a row of boxes, its walls taken out (else read as 1s)."""
    cell = 100
    image = in_a_row_of_boxes(digits("05126707"), cell, 70)
    wall = cell if end == "first" else 9 * cell
    image[2 * cell + 30: 2 * cell + 70, wall - 3: wall + 4] = PAPER
    assert read_digits(image, classifier).text == "05126707"


def test_ruled_lines_running_off_the_image_past_upright_strokes_are_no_row_of_boxes():
    """Bold upright strokes touching both of two ruled lines, evenly spaced, the first a step from the image's
    edge: a row of boxes whose end wall broke off looks the same, except that ruled lines run off the image."""
    from digits.edge.lines import _walls_of_level_boxes

    level = np.zeros((60, 600), np.uint8)
    level[:3], level[-3:] = 1, 1  # the two lines, edge to edge
    for x in (100, 200, 300, 400, 500):
        level[:, x: x + 4] = 1
    assert _walls_of_level_boxes(level, runs_off=(True, True)) is None
    walls = _walls_of_level_boxes(level, runs_off=(False, False))  # lines ending there: the broken walls too
    assert walls is not None and walls[30, [0, 101, 501, 599]].all() and not walls[30, 50]


@pytest.mark.parametrize("paper, degrees, least", [("squared", None, 7), ("ruled", None, 7), ("squared", 7.0, 6),
                                                    ("ruled", 7.0, 6)])
def test_numbers_on_paper_with_dark_lines_are_read(mnist_test, classifier, paper, degrees, least):
    """Phone photos (train/synth.py) of 4-8 digit numbers on paper whose dark lines cross the digits and string
    them into one mark, or wrap them in a grid: the lines' ink is taken out of the page before it is cut. On a
    page turned 7 degrees (either way; None: the renderer's random +-4) the lines are also sought on the page
    turned level."""
    from digits.train import synth

    rng = np.random.default_rng(21)
    lines = {"squared": {"ruled_spacing": 0.06, "squared": True}, "ruled": {"ruled_spacing": 0.08}}[paper]
    exact = 0
    for index in range(10):
        turned = {} if degrees is None else {"rotation_deg": degrees if index % 2 else -degrees}
        indices = rng.integers(0, len(mnist_test.labels), int(rng.integers(4, 9)))
        style = synth.random_style(rng, rule_opacity=1.0, rule_width=0.004, **lines, **turned)
        photo = synth.render_photo([list(mnist_test.images[indices])], rng, (1280, 960), style).image
        exact += read_digits(photo, classifier).text == "".join(str(label) for label in mnist_test.labels[indices])
    assert exact >= least
