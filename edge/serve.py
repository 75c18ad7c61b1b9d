"""The live loop's web page and HTTP API (--serve): the standard library's ThreadingHTTPServer in threads of its
own, fed by a FrameObserver. The frame loop only hands over references; a JPEG is encoded in a viewer's thread,
once per frame however many viewers ask.

Routes (fixed): / the page, /json the reading, /changes.json the last changes, /metrics (Prometheus text),
/snapshot.jpg the last frame annotated, /stream.mjpg the frames as MJPEG, /doubtful.jpg the latest doubtful
frame saved, POST /roi "x,y,w,h" to set the region. Off loopback every request needs the token.
"""
from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import cv2
from digits.edge.live import LiveFrame, Roi, RoiError, check_roi, parse_roi
from digits.edge.strict_json import json_line

DEFAULT_HOST = "127.0.0.1"
CHANGES_KEPT = 20  # the page lists this many recent changes
JPEG_QUALITY = 75
STREAM_MAX_FPS = 15.0  # per MJPEG viewer
STREAM_WAIT_S = 1.0  # a stream with no new frame checks this often whether the server is closing
MAX_ROI_BODY_BYTES = 64  # "x,y,w,h" is at most ~25 bytes
MAX_PATH_CHARS = 512
MAX_CONNECTIONS = 16  # more at once are closed at once (a page holds 2-3)
REQUEST_TIMEOUT_S = 30.0  # a client that sends or reads nothing for this long is dropped
PAGE_FILE = Path(__file__).with_name("page.html")

STATE_STARTING = "starting"
STATE_READING = "reading"
STATE_NO_DIGIT = "no digit"
STATE_CAMERA_LOST = "camera lost"
STATE_ENDED = "ended"


class ServeError(ValueError):
    """A --serve address that cannot be used (malformed, or off loopback without a token)."""


@dataclass(frozen=True)
class ServeAddress:
    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """Whether host names this machine's loopback interface only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_serve_address(text: str, token: str | None) -> ServeAddress:
    """A ServeAddress from "[HOST:]PORT" (host 127.0.0.1 when not given; port 0 picks a free one).

    Raises:
        ServeError: no valid port, or a host other than loopback without a token.
    """
    host, _, port_text = text.rpartition(":")
    host = host.strip("[]") or DEFAULT_HOST
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ServeError(f"expected [HOST:]PORT with a port from 0 to 65535, got {text!r}")
    address = ServeAddress(host, int(port_text))
    if not address.is_loopback and not token:
        raise ServeError(f"serving on {host} (not loopback) needs --token, which every request must then give")
    return address


@dataclass(frozen=True)
class Change:
    """A change of the steady reading as the page lists it: wall-clock time, the reading and its confidence."""

    time: float
    reading: int | str | None
    confidence: float | None

    def as_dict(self) -> dict:
        return {"time": round(self.time, 3), "reading": self.reading,
                "confidence": None if self.confidence is None else round(self.confidence, 4)}


class LiveStatus:
    """What the loop last saw, shared between the loop's thread (writes) and the server's threads (reads).

    The loop's thread only swaps references under the lock; the JPEG of a frame is encoded by the first
    viewer that asks for it and kept for the others.
    """

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self.new_frame = threading.Condition(self._lock)
        self.latest: LiveFrame | None = None
        self.state = STATE_STARTING
        self.frames = 0
        self.readings = 0  # frames whose steady reading held a digit or number
        self.changes: deque[Change] = deque(maxlen=CHANGES_KEPT)
        self.change_count = 0
        self.camera_errors = 0
        self.latency_sum_ms = 0.0
        self.requested: Roi | None = None
        self.doubtful: Path | None = None
        self._jpeg: tuple[int, bytes] | None = None
        self._encode_lock = threading.Lock()

    def on_frame(self, frame: LiveFrame) -> None:
        with self.new_frame:
            self.latest = frame
            self.frames += 1
            self.latency_sum_ms += frame.latency_ms
            self.readings += frame.value is not None
            self.state = STATE_NO_DIGIT if frame.value is None else STATE_READING
            self.new_frame.notify_all()

    def on_change(self, frame: LiveFrame) -> None:
        with self._lock:
            self.changes.append(Change(self._clock(), frame.value,
                                       None if frame.value is None else frame.reading.confidence))
            self.change_count += 1

    def requested_roi(self) -> Roi | None:
        with self._lock:
            roi, self.requested = self.requested, None
            return roi

    def set_state(self, state: str, camera_error: bool = False) -> None:
        """Mark the end of the run: STATE_ENDED, or STATE_CAMERA_LOST (camera_error counts it)."""
        with self.new_frame:
            self.state = state
            self.camera_errors += camera_error
            self.new_frame.notify_all()

    def set_doubtful(self, path: Path) -> None:
        with self._lock:
            self.doubtful = path

    def request_roi(self, roi: Roi) -> Roi:
        """Ask the loop to read `roi` from the next frame on.

        Raises:
            RoiError: no frame seen yet, or the roi reaches outside the frame.
        """
        with self._lock:
            latest = self.latest
            if latest is None:
                raise RoiError("no frame yet: the region can be set once the camera sends frames")
            height, width = latest.frame.shape[:2]
            self.requested = check_roi(roi, width, height)
            return roi

    def as_json(self) -> dict:
        with self._lock:
            latest = self.latest
            reading = None if latest is None else latest.value
            confidence = None if latest is None or latest.reading.confidence is None else latest.reading.confidence
            roi = self.requested or (latest.roi if latest is not None else None)
            return {"reading": reading, "confidence": None if confidence is None else round(confidence, 4),
                    "state": self.state, "time": round(self._clock(), 3), "frames": self.frames,
                    "fps": round(latest.fps, 1) if latest else 0.0,
                    "roi": None if roi is None else [roi.x, roi.y, roi.w, roi.h]}

    def changes_json(self) -> dict:
        with self._lock:
            return {"changes": [change.as_dict() for change in reversed(self.changes)],
                    "doubtful": self.doubtful.name if self.doubtful else None}

    def metrics(self) -> str:
        """The counters in Prometheus' text exposition format."""
        with self._lock:
            latest = self.latest
            rows = [
                ("digits_frames_total", "counter", "Frames read.", self.frames),
                ("digits_readings_total", "counter", "Frames whose steady reading held a digit.", self.readings),
                ("digits_changes_total", "counter", "Changes of the steady reading.", self.change_count),
                ("digits_camera_errors_total", "counter", "Times the camera was lost.", self.camera_errors),
                ("digits_fps", "gauge", "Frames per second over the recent frames.", latest.fps if latest else 0.0),
                ("digits_frame_latency_seconds_sum", "counter",
                 "Preprocessing and inference time of all frames, in seconds.", self.latency_sum_ms / 1000.0),
                ("digits_frame_latency_seconds_count", "counter", "Frames timed.", self.frames),
                ("digits_frame_latency_seconds_last", "gauge", "The last frame's preprocessing and inference.",
                 latest.latency_ms / 1000.0 if latest else 0.0),
            ]
        lines = []
        for name, kind, help_text, value in rows:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"

    def jpeg(self) -> tuple[int, bytes] | None:
        """(frame index, the annotated frame as JPEG) for the latest frame; None before the first frame."""
        with self._lock:
            latest = self.latest
        if latest is None:
            return None
        with self._encode_lock:
            if self._jpeg is None or self._jpeg[0] != latest.index:
                ok, data = cv2.imencode(".jpg", latest.annotated(), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                if not ok:
                    return None
                self._jpeg = (latest.index, data.tobytes())
            return self._jpeg

    def wait_for_frame(self, after: int, timeout_s: float) -> None:
        """Wait until a frame newer than index `after` is there (or timeout_s passes)."""
        with self.new_frame:
            self.new_frame.wait_for(lambda: self.latest is not None and self.latest.index > after, timeout_s)


class LiveServer:
    """The HTTP server of --serve, a FrameObserver of the live loop. Use as a context manager (start/close).

    Args:
        address: where to listen.
        token: the secret every request must give (Authorization: Bearer TOKEN, or ?token=TOKEN); None: none.
        on_roi: called in a server thread with a region set from the page, after the loop was asked to use it
            (e.g. to keep it in the config file); what it returns is shown to the user (None: nothing).
        doubtful_folder: where --save-doubtful writes (the page links to the latest).
    """

    def __init__(self, address: ServeAddress, token: str | None = None,
                 on_roi: Callable[[Roi], str | None] = lambda roi: None, status: LiveStatus | None = None):
        self.status = status or LiveStatus()
        self.closing = threading.Event()
        self._token = token
        self._on_roi = on_roi
        self._page = PAGE_FILE.read_bytes()
        self._http = _BoundedServer((address.host, address.port), _handler(self))
        self._thread = threading.Thread(target=self._http.serve_forever, name="digits-serve", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}/"

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.closing.set()
        with self.status.new_frame:
            self.status.new_frame.notify_all()
        if self._thread.is_alive():
            self._http.shutdown()
        self._http.server_close()

    # FrameObserver
    def on_frame(self, frame: LiveFrame) -> None:
        self.status.on_frame(frame)

    def on_change(self, frame: LiveFrame) -> None:
        self.status.on_change(frame)

    def requested_roi(self) -> Roi | None:
        return self.status.requested_roi()

    def authorized(self, header: str | None, query_token: str | None) -> bool:
        """Whether a request gave the token (always, when there is none)."""
        if not self._token:
            return True
        given = query_token or (header[len("Bearer "):] if header and header.startswith("Bearer ") else "")
        return hmac.compare_digest(given.encode(), self._token.encode())

    def set_roi(self, text: str) -> dict:
        """Validate and apply a region from the page.

        Raises:
            RoiError: not x,y,w,h, or outside the frame.
        """
        roi = self.status.request_roi(parse_roi(text))
        note = self._on_roi(roi)
        return {"roi": [roi.x, roi.y, roi.w, roi.h], "note": note}


class _BoundedServer(ThreadingHTTPServer):
    """A thread per connection, at most MAX_CONNECTIONS at once."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def _handler(server: LiveServer) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to `server`."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "digits-edge"
        sys_version = ""
        timeout = REQUEST_TIMEOUT_S

        def log_message(self, format, *args) -> None:
            pass  # the journal gets the readings, not every request

        def _authorized_path(self) -> str | None:
            if len(self.path) > MAX_PATH_CHARS:
                self._send(HTTPStatus.REQUEST_URI_TOO_LONG, b"path too long\n", "text/plain")
                return None
            parts = urlsplit(self.path)
            tokens = parse_qs(parts.query).get("token", [])
            if not server.authorized(self.headers.get("Authorization"), tokens[0] if tokens else None):
                self._send(HTTPStatus.UNAUTHORIZED, b"a token is needed: Authorization: Bearer TOKEN or ?token=\n",
                           "text/plain", {"WWW-Authenticate": "Bearer"})
                return None
            return parts.path

        def do_GET(self) -> None:
            path = self._authorized_path()
            if path is None:
                return
            status = server.status
            if path == "/":
                self._send(HTTPStatus.OK, server._page, "text/html; charset=utf-8")
            elif path == "/json":
                self._send_json(status.as_json())
            elif path == "/changes.json":
                self._send_json(status.changes_json())
            elif path == "/metrics":
                self._send(HTTPStatus.OK, status.metrics().encode(), "text/plain; version=0.0.4")
            elif path == "/snapshot.jpg":
                jpeg = status.jpeg()
                if jpeg is None:
                    self._send(HTTPStatus.SERVICE_UNAVAILABLE, b"no frame yet\n", "text/plain")
                else:
                    self._send(HTTPStatus.OK, jpeg[1], "image/jpeg")
            elif path == "/stream.mjpg":
                self._stream()
            elif path == "/doubtful.jpg" and status.doubtful is not None and status.doubtful.is_file():
                self._send(HTTPStatus.OK, status.doubtful.read_bytes(), "image/jpeg")
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

        def do_POST(self) -> None:
            path = self._authorized_path()
            if path is None:
                return
            if path != "/roi":
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
                return
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_ROI_BODY_BYTES:
                self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"expected a short body: x,y,w,h\n", "text/plain")
                return
            body = self.rfile.read(int(length)).decode("ascii", "replace")
            try:
                self._send_json(server.set_roi(body))
            except RoiError as error:
                self._send_json({"error": str(error)}, HTTPStatus.BAD_REQUEST)

        def _stream(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            sent = -1
            try:
                while not server.closing.is_set():
                    began = time.monotonic()
                    server.status.wait_for_frame(sent, STREAM_WAIT_S)
                    jpeg = server.status.jpeg()
                    if jpeg is None or jpeg[0] == sent:
                        continue
                    sent = jpeg[0]
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                     + str(len(jpeg[1])).encode() + b"\r\n\r\n" + jpeg[1] + b"\r\n")
                    time.sleep(max(0.0, 1.0 / STREAM_MAX_FPS - (time.monotonic() - began)))
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                pass  # the viewer went away

        def _send_json(self, payload: dict, code: HTTPStatus = HTTPStatus.OK) -> None:
            self._send(code, json_line(payload).encode() + b"\n", "application/json")

        def _send(self, code: HTTPStatus, body: bytes, content_type: str, headers: dict | None = None) -> None:
            try:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler
