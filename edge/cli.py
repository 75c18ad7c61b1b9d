"""`digits-edge`: read handwritten digits with numpy, OpenCV and a TFLite interpreter (never tensorflow)."""
from __future__ import annotations

import os
import signal
import sys
from functools import partial
from pathlib import Path

import click
from click.core import ParameterSource
from digits.edge.camera_cli import camera_options, live_options, run_camera
from digits.edge.classifier import DEFAULT_INTERPRETER_THREADS, ClassifierOptions, DigitClassifier, ModelError
from digits.edge.folder import PREPROCESSORS, FolderOptions
from digits.edge.folder_cli import SingleDigitJob, run_folder_job
from digits.edge.headless_cli import headless_from_flags, headless_options
from digits.edge.live import DEFAULT_MIN_CONFIDENCE
from digits.edge.multi import MultiOptions
from digits.edge.multi_cli import MultiDigitJob, multi_options, number_form
from digits.edge.multi_live import run_live_multi
from digits.edge.runtime import RUNTIMES, RuntimeMissing, available_cores


def load_classifier(model: Path | None, runtime: str | None, threads: int | None) -> DigitClassifier:
    """The classifier for the shared --model/--runtime/--threads options; known errors become one line."""
    try:
        classifier = DigitClassifier(ClassifierOptions(model, runtime, threads))
    except (ModelError, RuntimeMissing) as error:
        raise click.ClickException(str(error)) from error
    if threads and threads > classifier.threads:
        click.echo(f"note: --threads {threads} capped to the {classifier.threads} cores available", err=True)
    return classifier


@click.command()
@click.version_option(package_name="digits", prog_name="digits-edge")
@click.option("--dir", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Read every jpg/jpeg/png/bmp/webp/tif/tiff image in this folder, in natural order; other "
                   "image files (gif, heic, ...) and unreadable ones are reported as skipped.")
@click.option("--recursive", is_flag=True, help="With --dir: also read images in subfolders.")
@click.option("--labels", "labels_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of `file,label` rows, each file a path from the CSV's folder or a name that matches one "
                   "file only; without it, a parent folder named 0-9 gives the label.")
@click.option("--save-crops", type=click.Path(file_okay=False, path_type=Path),
              help="Write the 28x28 image the model saw for each file into this folder, as a PNG named after "
                   "the file with .png added (3/7.jpg -> 3/7.jpg.png). Must be outside the folder read.")
@click.option("--save-misses", type=click.Path(dir_okay=False, path_type=Path),
              help="With labels: write one picture of every misread image (the image, the 28x28 the model "
                   "saw, label and reading) to this PNG file. Must be outside the folder read.")
@click.option("--preprocess", type=click.Choice(sorted(PREPROCESSORS)), default="robust", show_default=True,
              help="robust: any photo or scan -> MNIST-like; none: the notebook's way (gray, resized, /255).")
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A float32 or int8 TFLite model.  [default: the packaged edge/models/digits_int8.tflite]")
@click.option("--runtime", type=click.Choice(RUNTIMES), default=None,
              help="TFLite interpreter.  [default: ai-edge-litert if installed, else tflite-runtime]")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help=f"Interpreter threads, at most the cores available ({available_cores()} here): more is capped, "
                   f"with a note.  [default: {DEFAULT_INTERPRETER_THREADS}: the model is too small to gain from more]")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines (file, digit, confidence, probabilities, latency_ms), then a summary line.")
@camera_options
@multi_options
@headless_options
def main(folder, recursive, labels_file, save_crops, save_misses, preprocess, model, runtime, threads, as_json,
         camera, roi, headless, max_frames, duration, smooth_frames, min_confidence, multi, save_annotated,
         digits, pattern, **outputs):
    """Read handwritten digits from a folder of photos or scans, or live from a camera or video.

    Prints a table (file, digit, confidence) and a summary; with labels (--labels, or folders named 0-9)
    also accuracy, per-class precision/recall/F1 and the confusion matrix (and how many images no label
    covered). Unreadable files and subfolders are skipped with a warning; Ctrl-C prints the summary of the
    files read so far and exits 130. With --camera: one line per change of the steady reading (and a
    window with the region box when there is a display; q or Esc quits), then a summary when the video
    ends, at --max-frames/--duration, Ctrl-C or SIGTERM. Exit codes: 0 done, 1 error (bad model, empty
    folder, no readable image, camera missing or lost, an output inside the folder read), 2 usage,
    130 stopped by Ctrl-C during --dir.

    \b
    Example:
        digits-edge --dir photos/ --recursive
        digits-edge --dir photos/7 --json --model my_model_int8.tflite
        digits-edge --camera 0
        digits-edge --camera picam --headless
        digits-edge --camera clip.mp4 --json --max-frames 300
        digits-edge --dir ids/ --multi --labels ids/labels.csv --save-annotated annotated/
        digits-edge --dir ids/ --multi --digits 8 --min-confidence 0.9
        digits-edge --camera 0 --multi
        digits-edge --camera picam --serve 0.0.0.0:8080 --token SECRET --config digits.toml
        digits-edge doctor
    """
    if (folder is None) == (camera is None):
        raise click.UsageError("give one source: --dir DIR or --camera INDEX|picam|PATH|URL")
    _refuse_options_of_other_modes(click.get_current_context(), "--camera" if camera is not None else "--dir", multi)
    live_extras = headless_from_flags(**outputs)
    if min_confidence is None:
        min_confidence = DEFAULT_MIN_CONFIDENCE if camera is not None else 0.0
    page_options = MultiOptions(min_confidence=min_confidence, form=number_form(digits, pattern))
    classifier = load_classifier(model, runtime, threads)
    if multi and camera is not None:
        run_camera(camera, classifier, live_options(roi, headless, max_frames, duration, smooth_frames),
                   as_json, loop=partial(run_live_multi, multi=page_options), headless=live_extras)
        return
    if multi:
        run_folder_job(MultiDigitJob(classifier, page_options, as_json, save_annotated), folder, recursive,
                       labels_file)
        return
    if camera is not None:
        run_camera(camera, classifier, live_options(roi, headless, max_frames, duration, smooth_frames,
                                                    min_confidence, preprocess), as_json, headless=live_extras)
        return
    options = FolderOptions(folder, recursive, preprocess, save_crops, min_confidence)
    run_folder_job(SingleDigitJob(classifier, options, as_json, save_misses), folder, recursive, labels_file)


# The options that only some modes take, by parameter name: given on the command line in another mode they are
# a usage error (a --config file may hold options of every mode: its values are only defaults)
_CAMERA_OPTIONS = {"roi", "headless", "max_frames", "duration", "smooth_frames", "serve", "token", "mqtt",
                   "mqtt_discovery_prefix", "save_doubtful", "doubtful_max", "loop"}
_MODE_OPTIONS = {
    ("--dir", False): {"recursive", "labels_file", "save_crops", "save_misses", "preprocess"},
    ("--dir", True): {"recursive", "labels_file", "save_annotated", "digits", "pattern"},
    ("--camera", False): _CAMERA_OPTIONS | {"preprocess"},
    ("--camera", True): _CAMERA_OPTIONS | {"digits", "pattern"},
}


def _refuse_options_of_other_modes(context: click.Context, source: str, multi: bool) -> None:
    """A usage error naming the first option given on the command line that the chosen mode does not take, and
    the modes that take it."""
    every_mode_option = set.union(*_MODE_OPTIONS.values())
    for parameter in context.command.params:
        if (parameter.name in every_mode_option and parameter.name not in _MODE_OPTIONS[source, multi]
                and context.get_parameter_source(parameter.name) == ParameterSource.COMMANDLINE):
            modes = " or ".join(f"{mode_source} --multi" if mode_multi else mode_source
                                for (mode_source, mode_multi), names in _MODE_OPTIONS.items()
                                if parameter.name in names)
            raise click.UsageError(f"{parameter.opts[0]} goes with {modes}, not {source}{' --multi' * multi}")


def console_main() -> None:
    """The `digits-edge` command: main, or `digits-edge doctor` (what this environment lacks to read digits).

    A reader closing the pipe (`| head`) ends it quietly in every mode, as it ends other Unix tools, instead of
    an error about a broken pipe. Once the command is done, its output flushed, the process ends at once: the
    teardown of OpenCV's and the interpreter's native libraries would add some 25 ms to every run.
    """
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    command, args, name = main, sys.argv[1:], None
    if args[:1] == ["doctor"]:
        from digits.edge.doctor_cli import doctor

        command, args, name = doctor, args[1:], "digits-edge doctor"
    code = 0
    try:
        command.main(args, prog_name=name)
    except SystemExit as end:
        if not isinstance(end.code, (int, type(None))):
            raise  # a message to print: Python's own exit does that
        code = end.code or 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
