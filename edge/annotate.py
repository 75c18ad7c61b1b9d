"""Drawing a multi-digit reading onto its image: a box and the digit read for every digit found."""
from __future__ import annotations

import cv2
import numpy as np
from digits.edge.multi import PageReading

BOX_BGR = (0, 160, 0)  # green
LOW_CONFIDENCE_BGR = (0, 140, 255)  # orange: the model was unsure
LOW_CONFIDENCE = 0.6
TEXT_BGR = (255, 255, 255)  # white digits on a filled tag in the box's colour


def draw_reading(image: np.ndarray, reading: PageReading) -> np.ndarray:
    """A BGR copy of `image` with each digit's box, and the digit read above it (orange when unsure, `?` on
    orange for a mark not read as a digit).

    Line widths and text size follow the digits' size, so the drawing is legible on any resolution.
    """
    canvas = _as_bgr(image)
    for line in reading.lines:
        for box in line.boxes:
            colour = BOX_BGR if box.digit is not None and box.confidence >= LOW_CONFIDENCE else LOW_CONFIDENCE_BGR
            thickness = max(1, round(box.h / 30))
            cv2.rectangle(canvas, (box.x, box.y), (box.x + box.w - 1, box.y + box.h - 1), colour, thickness)
            scale = max(0.4, box.h / 60)
            (text_w, text_h), baseline = cv2.getTextSize(box.shown, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
            top = max(0, box.y - text_h - baseline - 2 * thickness)
            cv2.rectangle(canvas, (box.x, top), (box.x + text_w + 2 * thickness, top + text_h + baseline + thickness),
                          colour, cv2.FILLED)
            cv2.putText(canvas, box.shown, (box.x + thickness, top + text_h + thickness),
                        cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT_BGR, thickness, cv2.LINE_AA)
    return canvas


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """A BGR uint8 copy of a gray, BGR or BGRA image."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image.copy()
