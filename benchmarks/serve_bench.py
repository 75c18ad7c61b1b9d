"""What --serve (one viewer) and --mqtt add to the live loop, per 640x480 frame, on one core.

The loop reads stand-in 640x480 camera frames paced at 30 fps (as a camera sends them) with the packaged model,
and the process's CPU time per frame is compared: no outputs; the server with no viewer; one viewer of
/stream.mjpg (a separate process, as a browser is); the same plus MQTT publishing to a local mosquitto (when
installed). Then three viewers: the loop's frame rate and what each viewer receives. Also the JPEG encoding of
one annotated frame alone. Target: serving one viewer and publishing add <= 1 ms per frame.

Usage: .venv/bin/python benchmarks/serve_bench.py [--frames 300]
"""
from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from bench_common import paper_photos, pin_to_one_core  # benchmarks/bench_common.py (the script's own folder)
from digits.edge.camera import FrameSource
from digits.edge.classifier import DigitClassifier
from digits.edge.live import LiveOptions, Reading, centred_roi, draw_overlay, run_live
from digits.edge.mqtt import MqttPublisher, MqttTarget
from digits.edge.pacing import PacedVideo
from digits.edge.serve import JPEG_QUALITY, LiveServer, ServeAddress

TARGET_ADDED_MS = 1.0
CAMERA_FPS = 30.0
BLANK_EVERY = 5
VIEWER = """
import sys, time, urllib.request
frames, started = 0, time.monotonic()
with urllib.request.urlopen(sys.argv[1], timeout=30) as stream:
    while True:
        line = stream.readline()
        if not line:
            break
        if line.startswith(b"Content-Length:"):
            frames += 1
            if frames == 1:
                started = time.monotonic()
print(frames, (frames - 1) / max(time.monotonic() - started, 1e-9))
"""


class StillFrames(FrameSource):
    """`count` frames cycling through a list, like a video file."""

    name = "stand-in camera"
    live = False

    def __init__(self, frames: list[np.ndarray], count: int):
        self.frames, self.count, self.index = frames, count, 0

    def open(self) -> None:
        self.index = 0

    def read(self) -> np.ndarray | None:
        if self.index >= self.count:
            return None
        self.index += 1
        return self.frames[(self.index - 1) % len(self.frames)]

    def close(self) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(classifier: DigitClassifier, frames: list[np.ndarray], count: int, observers=(), viewers: int = 0,
        server: LiveServer | None = None) -> tuple[float, float, list[str]]:
    """(CPU ms per frame of this process, the loop's mean fps, each viewer's "frames fps")."""
    source = PacedVideo(StillFrames(frames, count), lambda: CAMERA_FPS, paced=True, loop=False)
    started = []
    if server is not None:
        started = [subprocess.Popen([sys.executable, "-c", VIEWER, server.url + "stream.mjpg"],
                                    stdout=subprocess.PIPE, text=True) for _ in range(viewers)]
    cpu = time.process_time()
    summary = run_live(source, classifier, LiveOptions(observers=tuple(observers)))
    cpu_ms = (time.process_time() - cpu) * 1000.0 / summary.frames
    if server is not None:
        server.close()
    received = [viewer.communicate(timeout=30)[0].strip() for viewer in started]
    return cpu_ms, summary.mean_fps, received


def encode_ms(frame: np.ndarray, repeats: int = 100) -> float:
    """Milliseconds to draw the overlay on a frame and encode it as the server does."""
    roi, reading = centred_roi(frame.shape[1], frame.shape[0]), Reading(4, 0.97)
    began = time.perf_counter()
    for _ in range(repeats):
        cv2.imencode(".jpg", draw_overlay(frame, roi, reading, 30.0), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return (time.perf_counter() - began) * 1000.0 / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="frames per case (at 30 fps)")
    args = parser.parse_args()
    print(f"serve_bench: {pin_to_one_core()}; {args.frames} frames of 640x480 per case at {CAMERA_FPS:.0f} fps")
    frames = paper_photos(60, blank_every=BLANK_EVERY)
    classifier = DigitClassifier()
    run(classifier, frames, 30)  # warm-up
    print(f"annotate + JPEG encode (quality {JPEG_QUALITY}) of one frame: {encode_ms(frames[1]):.2f} ms")

    def serving() -> LiveServer:
        return LiveServer(ServeAddress("127.0.0.1", free_port())).__enter__()

    bare, fps, _ = run(classifier, frames, args.frames)
    print(f"no outputs:                       {bare:6.2f} ms CPU/frame  ({fps:.1f} fps)")
    server = serving()
    idle, fps, _ = run(classifier, frames, args.frames, [server], 0, server)
    print(f"--serve, no viewer:               {idle:6.2f} ms CPU/frame  (+{idle - bare:.2f} ms, {fps:.1f} fps)")
    server = serving()
    one, fps, received = run(classifier, frames, args.frames, [server], 1, server)
    print(f"--serve, 1 viewer (MJPEG):        {one:6.2f} ms CPU/frame  (+{one - bare:.2f} ms, {fps:.1f} fps; "
          f"viewer got {received[0].split()[0]} frames, {float(received[0].split()[1]):.1f} fps)")
    verdict = one - bare
    if shutil.which("mosquitto"):
        with tempfile.TemporaryDirectory() as folder:
            port = free_port()
            config = Path(folder) / "mosquitto.conf"
            config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
            broker = subprocess.Popen(["mosquitto", "-c", str(config)], stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            try:
                server = serving()
                with MqttPublisher(MqttTarget("127.0.0.1", port, "bench/digits")) as publisher:
                    both, fps, received = run(classifier, frames, args.frames, [server, publisher], 1, server)
                print(f"--serve 1 viewer + --mqtt:        {both:6.2f} ms CPU/frame  (+{both - bare:.2f} ms, "
                      f"{fps:.1f} fps)")
                verdict = both - bare
            finally:
                broker.terminate()
                broker.wait()
    else:
        print("--mqtt: skipped (mosquitto is not installed)")
    server = serving()
    three, fps, received = run(classifier, frames, args.frames, [server], 3, server)
    print(f"--serve, 3 viewers:               {three:6.2f} ms CPU/frame  (+{three - bare:.2f} ms, {fps:.1f} fps; "
          f"viewers got {', '.join(f'{float(seen.split()[1]):.1f}' for seen in received)} fps)")
    print(f"added per frame (one viewer{' + MQTT' if shutil.which('mosquitto') else ''}): {verdict:.2f} ms; "
          f"target <= {TARGET_ADDED_MS:.1f} ms: {'met' if verdict <= TARGET_ADDED_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
