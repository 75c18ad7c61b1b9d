"""The headless parts of `digits-edge --camera`: --config, --serve/--token, --mqtt, --save-doubtful, --loop, and
the outputs they start around the live loop (see live_outputs). `edge/cli.py` adds them with @headless_options.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from digits.edge.camera import FrameSource, OpenCVSource, open_source
from digits.edge.doubtful import DEFAULT_MAX_FILES, DoubtfulSaver
from digits.edge.live import DEFAULT_MIN_CONFIDENCE, FrameObserver, Roi
from digits.edge.mqtt import DEFAULT_DISCOVERY_PREFIX, MqttError, MqttPublisher, MqttTarget, parse_mqtt_url
from digits.edge.pacing import PacedVideo

# The web server (http.server) and the TOML reader load only when --serve or --config asks for them: every
# `digits-edge --dir` run imports this module for its options, and starts some 25 ms sooner without them.
if TYPE_CHECKING:
    from digits.edge.serve import LiveServer, ServeAddress

TOKEN_ENV = "DIGITS_EDGE_TOKEN"


def _read_config(context: click.Context, parameter: click.Parameter, value: Path | None) -> Path | None:
    """--config FILE: its options become the command's defaults, so that flags override them."""
    from digits.edge.config import ConfigError, read_config

    if value is None:
        return None
    if not value.exists() and value.parent.is_dir():
        click.echo(f"note: {value} does not exist yet: it is written when the region is set on the --serve page",
                   err=True)
        return value
    known = {param.name for param in context.command.params if param.name not in ("config", "version", "help")}
    try:
        options = read_config(value, known)
    except ConfigError as error:
        raise click.BadParameter(str(error)) from error
    context.default_map = {**(context.default_map or {}), **options}
    return value


HEADLESS_OPTIONS = (
    click.option("--config", type=click.Path(dir_okay=False, path_type=Path), is_eager=True, callback=_read_config,
                 expose_value=True,
                 help="A TOML file of options (their long names: camera = \"picam\", serve = \"8080\", ...); "
                      "flags override it. The region set on the web page is kept in it (the file is made if need "
                      "be)."),
    click.option("--serve", metavar="[HOST:]PORT",
                 help="With --camera: serve a live page (view, region box, reading, changes; drag to set the "
                      "region), /json, /metrics, /snapshot.jpg and /stream.mjpg [host: 127.0.0.1]. Any host "
                      "but loopback needs --token."),
    click.option("--token", envvar=TOKEN_ENV, metavar="TOKEN",
                 help=f"With --serve: every request must give it (Authorization: Bearer TOKEN, or ?token=TOKEN); "
                      f"also read from ${TOKEN_ENV}."),
    click.option("--mqtt", metavar="mqtt://[USER:PASS@]HOST[:PORT]/TOPIC",
                 help="With --camera: publish each change of the reading to TOPIC as JSON (reading, confidence, "
                      "time; retained), TOPIC/availability online/offline, and a Home Assistant sensor."),
    click.option("--mqtt-discovery-prefix", default=DEFAULT_DISCOVERY_PREFIX, show_default=True, metavar="PREFIX",
                 help="With --mqtt: the Home Assistant discovery prefix."),
    click.option("--save-doubtful", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
                 help="With --camera: save frames whose reading stayed unsure (near the threshold, or flickering) "
                      "as JPEG named by time, reading and confidence, for relabelling."),
    click.option("--doubtful-max", type=click.IntRange(min=1), default=DEFAULT_MAX_FILES, show_default=True,
                 help="With --save-doubtful: keep only the newest N frames saved."),
    click.option("--loop", is_flag=True, help="With --camera VIDEO: replay the video from the start when it ends. "
                                              "With --serve or --mqtt a video plays at its own frame rate."),
)


def headless_options(command):
    """Add --config, --serve, --token, --mqtt, --mqtt-discovery-prefix, --save-doubtful, --doubtful-max, --loop."""
    for option in reversed(HEADLESS_OPTIONS):
        command = option(command)
    return command


@dataclass(frozen=True)
class HeadlessOptions:
    """What the headless flags asked for."""

    serve: ServeAddress | None = None
    token: str | None = None
    mqtt: MqttTarget | None = None
    mqtt_discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX
    save_doubtful: Path | None = None
    doubtful_max: int = DEFAULT_MAX_FILES
    loop: bool = False
    config: Path | None = None

    @property
    def paced(self) -> bool:
        """A video plays at its own frame rate, as a camera would, when something outside watches it."""
        return self.serve is not None or self.mqtt is not None


def headless_from_flags(config: Path | None = None, serve: str | None = None, token: str | None = None,
                        mqtt: str | None = None, mqtt_discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX,
                        save_doubtful: Path | None = None, doubtful_max: int = DEFAULT_MAX_FILES,
                        loop: bool = False) -> HeadlessOptions:
    """HeadlessOptions from the flags.

    Raises:
        click.UsageError: a --serve address that is malformed, or off loopback without a token; a bad --mqtt URL.
    """
    address = None
    if serve is not None:
        from digits.edge.serve import ServeError, parse_serve_address

        try:
            address = parse_serve_address(serve, token)
        except ServeError as error:
            raise click.UsageError(f"--serve: {error}") from error
    try:
        target = parse_mqtt_url(mqtt) if mqtt is not None else None
    except MqttError as error:
        raise click.UsageError(f"--mqtt: {error}") from error
    if not mqtt_discovery_prefix.strip("/") or any(char in mqtt_discovery_prefix for char in "#+"):
        raise click.UsageError(f"--mqtt-discovery-prefix: not a topic prefix: {mqtt_discovery_prefix!r}")
    return HeadlessOptions(address, token, target, mqtt_discovery_prefix.strip("/"), save_doubtful, doubtful_max,
                           loop, config)


@dataclass
class LiveOutputs:
    """The observers started for a run, the frame source maker, and the server (None without --serve)."""

    observers: tuple[FrameObserver, ...] = ()
    frame_source: Callable[[str], FrameSource] = open_source
    server: LiveServer | None = None

    def camera_lost(self) -> None:
        if self.server is not None:
            from digits.edge.serve import STATE_CAMERA_LOST

            self.server.status.set_state(STATE_CAMERA_LOST, camera_error=True)


def _keep_roi(config: Path | None) -> Callable[[Roi], str | None]:
    """What to do with a region set on the page: write it into the config file, if there is one."""
    def keep(roi: Roi) -> str | None:
        if config is None:
            return f"region {roi} set until the runner stops (no --config file to keep it in)"
        from digits.edge.config import save_roi

        try:
            save_roi(config, roi)
        except OSError as error:
            return f"region {roi} set, but not kept: cannot write {config} ({error.strerror or error})"
        return f"region {roi} set and kept in {config}"
    return keep


def _video_source(options: HeadlessOptions) -> Callable[[str], FrameSource]:
    """open_source, with a video file paced and/or looped as the options ask."""
    def make(spec: str) -> FrameSource:
        source = open_source(spec)
        if isinstance(source, OpenCVSource) and not source.live and (options.paced or options.loop):
            return PacedVideo(source, source.frame_rate, paced=options.paced, loop=options.loop)
        return source
    return make


@contextmanager
def live_outputs(options: HeadlessOptions, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> Iterator[LiveOutputs]:
    """Start what the options ask for around a live run (the server, the MQTT publisher, the doubtful frames'
    saver) and stop them afterwards: "offline" is published however the run ends.

    Raises:
        click.ClickException: the server cannot listen on its address, paho-mqtt is missing, or the doubtful
            frames' folder cannot be made.
    """
    from digits.edge.serve import STATE_CAMERA_LOST, STATE_ENDED, LiveServer

    outputs = LiveOutputs(frame_source=_video_source(options))
    with ExitStack() as stack:
        if options.serve is not None:
            try:
                server = LiveServer(options.serve, options.token, _keep_roi(options.config))
            except OSError as error:
                raise click.ClickException(f"--serve: cannot listen on {options.serve.host}:{options.serve.port} "
                                           f"({error.strerror or error})") from error
            stack.enter_context(server)
            click.echo(f"serving on {server.url}", err=True)
            outputs.server = server
            outputs.observers += (server,)
        if options.mqtt is not None:
            try:
                outputs.observers += (stack.enter_context(MqttPublisher(options.mqtt, options.mqtt_discovery_prefix)),)
            except MqttError as error:
                raise click.ClickException(str(error)) from error
            click.echo(f"publishing to {options.mqtt}", err=True)
        if options.save_doubtful is not None:
            saved = outputs.server.status.set_doubtful if outputs.server is not None else lambda path: None
            saver = DoubtfulSaver(options.save_doubtful, min_confidence, options.doubtful_max, saved)
            try:
                outputs.observers += (stack.enter_context(saver),)
            except OSError as error:
                raise click.ClickException(f"--save-doubtful: cannot make {options.save_doubtful} "
                                           f"({error.strerror or error})") from error
        yield outputs
        if outputs.server is not None and outputs.server.status.state != STATE_CAMERA_LOST:
            outputs.server.status.set_state(STATE_ENDED)
