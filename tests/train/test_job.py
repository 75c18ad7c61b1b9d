"""The training job's library functions tell their progress through a callback and never print (train/job.py)."""
from __future__ import annotations

from digits.train.job import rendered_photos


def test_rendering_progress_goes_to_the_callback_and_nothing_is_printed(mnist_train, capfd):
    images, labels = mnist_train.images[:40], mnist_train.labels[:40]
    lines = []
    photos, _ = rendered_photos(images, labels, share=0.1, seed=1, workers=1, notify=lines.append)
    assert lines[0].startswith("Rendering 4 training digits as phone photos")
    assert lines[-1].strip().startswith(f"{len(photos)} rendered (")
    rendered_photos(images, labels, share=0.1, seed=1, workers=1)
    assert capfd.readouterr().out == ""
