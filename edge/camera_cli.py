"""The --camera part of `digits-edge`: its click options, and the run that prints the readings and a summary.

`edge/cli.py` adds the options with @camera_options and calls run_camera(); the loop is in live.py.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import click
from digits.edge.camera import CameraError
from digits.edge.classifier import DigitClassifier
from digits.edge.folder import PREPROCESSORS
from digits.edge.headless_cli import HeadlessOptions, live_outputs
from digits.edge.live import (
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_SMOOTH_FRAMES,
    NO_DISPLAY,
    DisplayError,
    LiveOptions,
    LiveSummary,
    Roi,
    RoiError,
    display_problem,
    parse_roi,
    run_live,
)
from digits.edge.output import change_line, live_summary_line


def _roi_option(context: click.Context, parameter: click.Parameter, value: str | None) -> Roi | None:
    """--roi X,Y,W,H as a Roi (None: the centred default)."""
    if value is None:
        return None
    try:
        return parse_roi(value)
    except RoiError as error:
        raise click.BadParameter(str(error)) from error


CAMERA_OPTIONS = (
    click.option("--camera", metavar="INDEX|picam|PATH|URL",
                 help="Read live frames: a camera index (USB webcam, e.g. 0), picam (the Raspberry Pi CSI camera, "
                      "needs picamera2), or a video file or stream URL that OpenCV can open."),
    click.option("--roi", metavar="X,Y,W,H", callback=_roi_option,
                 help="With --camera: the region of the frame holding the digit, in pixels "
                      "[default: a centred square, 60% of the shorter side]."),
    click.option("--headless", is_flag=True,
                 help="With --camera: no window, one line per change of the reading (chosen by itself when "
                      "there is no display)."),
    click.option("--max-frames", type=click.IntRange(min=1), help="With --camera: stop after N frames."),
    click.option("--duration", type=click.FloatRange(min=0), metavar="SECONDS",
                 help="With --camera: stop after this many seconds."),
    click.option("--smooth-frames", type=click.IntRange(min=1), default=DEFAULT_SMOOTH_FRAMES, show_default=True,
                 help="With --camera: average the model's probabilities over the last N frames."),
    click.option("--min-confidence", type=click.FloatRange(0, 1, min_open=True), default=None,
                 help="A digit read less surely than this is not taken ('no digit', or `?` in a number): "
                      "with --camera the confidence averaged over --smooth-frames, with --dir each image's (each "
                      f"digit's with --multi).  [default: {DEFAULT_MIN_CONFIDENCE:g} with --camera, 0 (every "
                      "digit) with --dir]"),
)


def camera_options(command):
    """Add --camera, --roi, --headless, --max-frames, --duration, --smooth-frames and --min-confidence."""
    for option in reversed(CAMERA_OPTIONS):
        command = option(command)
    return command


def live_options(roi: Roi | None, headless: bool, max_frames: int | None, duration: float | None,
                 smooth_frames: int = DEFAULT_SMOOTH_FRAMES, min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                 preprocess: str = "robust") -> LiveOptions:
    """LiveOptions from the flags; a window only when not --headless and a display is there. A display that is
    set but cannot be used gets one note on stderr, and the run goes on headless.

    preprocess names one of digits.edge.folder.PREPROCESSORS, as --preprocess does for --dir.
    """
    problem = None if headless else display_problem()
    if problem not in (None, NO_DISPLAY):
        click.echo(f"note: no window: {problem}; running headless", err=True)
    return LiveOptions(roi=roi, smooth_frames=smooth_frames, min_confidence=min_confidence, max_frames=max_frames,
                       duration_s=duration, show_window=not headless and problem is None,
                       preprocess=PREPROCESSORS[preprocess])


def run_camera(source: str, classifier: DigitClassifier, options: LiveOptions, as_json: bool,
               loop: Callable[..., LiveSummary] = run_live,
               headless: HeadlessOptions = HeadlessOptions()) -> LiveSummary:
    """Run the live loop on a --camera value: a line (or JSON line) per reading change, then the summary.

    With as_json the summary is a last JSON line {"summary": {...}}, as `--dir --json` ends. `loop` is the
    live loop: run_live (one digit), or multi_live.run_live_multi for whole numbers (--multi). `headless`
    adds the web page (and paces or loops a video) around the loop.

    Raises:
        click.ClickException: the camera or video cannot be opened or was lost, the roi is outside the frame,
            or no window can be opened.
    """
    def echo(change) -> None:
        click.echo(change_line(change, as_json))

    with live_outputs(headless, options.min_confidence) as outputs:
        try:
            summary = loop(outputs.frame_source(source), classifier,
                           replace(options, observers=options.observers + outputs.observers), echo)
        except CameraError as error:
            outputs.camera_lost()
            raise click.ClickException(str(error)) from error
        except (RoiError, DisplayError) as error:
            raise click.ClickException(str(error)) from error
    click.echo(live_summary_line(summary, as_json))
    return summary
