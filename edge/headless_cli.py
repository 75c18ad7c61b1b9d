"""The headless parts of `digits-edge --camera`: --config, --serve/--token, --loop, and the outputs they start
around the live loop (the web page; see live_outputs). `edge/cli.py` adds the options with @headless_options.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from digits.edge.camera import FrameSource, OpenCVSource, open_source
from digits.edge.config import ConfigError, read_config, save_roi
from digits.edge.live import FrameObserver, Roi
from digits.edge.pacing import PacedVideo
from digits.edge.serve import STATE_CAMERA_LOST, STATE_ENDED, LiveServer, ServeAddress, ServeError, parse_serve_address

TOKEN_ENV = "DIGITS_EDGE_TOKEN"


def _read_config(context: click.Context, parameter: click.Parameter, value: Path | None) -> Path | None:
    """--config FILE: its options become the command's defaults, so that flags override them."""
    if value is None:
        return None
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
                      "flags override it. The region set on the web page is kept in it."),
    click.option("--serve", metavar="[HOST:]PORT",
                 help="With --camera: serve a live page (view, region box, reading, changes; drag to set the "
                      "region), /json, /metrics, /snapshot.jpg and /stream.mjpg [host: 127.0.0.1]. Any host "
                      "but loopback needs --token."),
    click.option("--token", envvar=TOKEN_ENV, metavar="TOKEN",
                 help=f"With --serve: every request must give it (Authorization: Bearer TOKEN, or ?token=TOKEN); "
                      f"also read from ${TOKEN_ENV}."),
    click.option("--loop", is_flag=True, help="With --camera VIDEO: replay the video from the start when it ends."),
)


def headless_options(command):
    """Add --config, --serve, --token and --loop."""
    for option in reversed(HEADLESS_OPTIONS):
        command = option(command)
    return command


@dataclass(frozen=True)
class HeadlessOptions:
    """What the headless flags asked for."""

    serve: ServeAddress | None = None
    token: str | None = None
    loop: bool = False
    config: Path | None = None

    @property
    def paced(self) -> bool:
        """A video plays at its own frame rate, as a camera would, when something outside watches it."""
        return self.serve is not None

    @property
    def any(self) -> bool:
        return self.serve is not None or self.loop


def headless_from_flags(config: Path | None = None, serve: str | None = None, token: str | None = None,
                        loop: bool = False) -> HeadlessOptions:
    """HeadlessOptions from the flags.

    Raises:
        click.UsageError: a --serve address that is malformed, or off loopback without a token.
    """
    try:
        address = parse_serve_address(serve, token) if serve is not None else None
    except ServeError as error:
        raise click.UsageError(f"--serve: {error}") from error
    return HeadlessOptions(address, token, loop, config)


@dataclass
class LiveOutputs:
    """The observers started for a run, the frame source maker, and the server (None without --serve)."""

    observers: tuple[FrameObserver, ...] = ()
    frame_source: Callable[[str], FrameSource] = open_source
    server: LiveServer | None = None

    def camera_lost(self) -> None:
        if self.server is not None:
            self.server.status.set_state(STATE_CAMERA_LOST, camera_error=True)


def _keep_roi(config: Path | None) -> Callable[[Roi], str | None]:
    """What to do with a region set on the page: write it into the config file, if there is one."""
    def keep(roi: Roi) -> str | None:
        if config is None:
            return f"region {roi} set until the runner stops (no --config file to keep it in)"
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
def live_outputs(options: HeadlessOptions) -> Iterator[LiveOutputs]:
    """Start what the options ask for around a live run (the server, ...) and stop it afterwards.

    Raises:
        click.ClickException: the server cannot listen on its address.
    """
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
        yield outputs
        if outputs.server is not None and outputs.server.status.state != STATE_CAMERA_LOST:
            outputs.server.status.set_state(STATE_ENDED)
