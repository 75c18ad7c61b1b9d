"""The architectures' names and training defaults, without Keras: the CLI's help reads them (models.py builds
the models)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArchSpec:
    """An architecture and the training defaults that go with it."""

    epochs: int
    learning_rate: float
    cosine_decay: bool  # anneal the learning rate over the run (the notebook kept it constant)
    augment: bool
    flagged_ones: float  # flagged copies of training 1s added (the continental 1), a fraction of the training 1s
    styled_photo_share: float  # of the flagged copies, this fraction added again rendered as photos
    negatives: float  # "not a digit" images (an 11th class) added, a fraction of the training digits; 0: ten classes
    photo_share: float  # of the training digits and of the negatives, this fraction added again rendered as photos
    description: str


ARCHITECTURES = {
    "compact": ArchSpec(epochs=40, learning_rate=2e-3, cosine_decay=True, augment=True, flagged_ones=0.5,
                        styled_photo_share=0.2, negatives=0.0, photo_share=0.0,
                        description="small CNN for int8 on a Raspberry Pi, trained with photo-like augmentation "
                                    "and continental 1s, drawn and photographed"),
    "seed": ArchSpec(epochs=3, learning_rate=1e-3, cosine_decay=False, augment=False,
                     flagged_ones=0.0, styled_photo_share=0.0, negatives=0.0, photo_share=0.0,
                     description="the notebook's Conv2D(10)+Dense(128) net, no augmentation"),
}
DEFAULT_ARCH = "compact"
