"""`digits-edge --camera VIDEO --serve`: the HTTP API of a real runner process over a real video, and the
flags' checks through CliRunner."""
from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from digits.edge.cli import main
from digits.edge.serve import MAX_CONNECTIONS

from tests.edge.live_process import MODEL_ARGS, VIDEO_FPS, VIDEO_SIZE, serving, url_of, write_video

TOKEN = "s3cret-token"
JSON_KEYS = {"reading", "confidence", "state", "time", "frames", "fps", "roi"}
POLL_S = 0.05


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist_test):
    return write_video(tmp_path_factory.mktemp("video") / "digits.avi", mnist_test)


def fetch(url: str, token: str | None = None, data: bytes | None = None) -> tuple[int, bytes, str]:
    """(status, body, content type) of a GET (or a POST of data), with the token as a Bearer header."""
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read(), answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")


def wait_json(url: str, token: str | None, until, timeout_s: float = 20.0) -> dict:
    """/json once `until(it)` holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        status, body, _ = fetch(url + "json", token)
        assert status == 200, body
        now = json.loads(body)
        if until(now) or time.monotonic() > deadline:
            return now
        time.sleep(POLL_S)


def test_api_answers_with_the_token_and_refuses_without_it(video):
    with serving(video, "--token", TOKEN) as runner:
        url = url_of(runner)
        assert url.startswith("http://127.0.0.1:")
        now = wait_json(url, TOKEN, lambda now: now["frames"] > 0)
        assert set(now) == JSON_KEYS and now["frames"] > 0 and now["roi"] == [88, 48, 144, 144]
        assert now["state"] in ("reading", "no digit")

        for path in ("", "json", "metrics", "snapshot.jpg", "stream.mjpg", "changes.json"):
            assert fetch(url + path, "wrong-token")[0] == 401, path
            assert fetch(url + path)[0] == 401, path
        assert fetch(url + "roi", "wrong-token", b"0,0,50,50")[0] == 401
        assert fetch(url + f"json?token={TOKEN}")[0] == 200

        status, page, kind = fetch(url, TOKEN)
        assert status == 200 and kind.startswith("text/html") and b'id="view"' in page

        status, metrics, _ = fetch(url + "metrics", TOKEN)
        values = dict(line.rsplit(" ", 1) for line in metrics.decode().splitlines() if not line.startswith("#"))
        assert float(values["digits_frames_total"]) > 0 and float(values["digits_frame_latency_seconds_sum"]) > 0
        assert {"digits_readings_total", "digits_changes_total", "digits_camera_errors_total"} <= set(values)

        status, jpeg, kind = fetch(url + "snapshot.jpg", TOKEN)
        snapshot = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert status == 200 and kind == "image/jpeg" and snapshot.shape == (VIDEO_SIZE[1], VIDEO_SIZE[0], 3)
        green = (snapshot[:, :, 1] > 150) & (snapshot[:, :, 0] < 100) & (snapshot[:, :, 2] < 100)
        assert green[48:48 + 144, 88].mean() > 0.8  # the region box's left edge is drawn

        assert fetch(url + "nothing-here", TOKEN)[0] == 404
        assert fetch(url + "x" * 600, TOKEN)[0] == 414
        assert fetch(url + "roi", TOKEN, b"1" * 100)[0] == 413
        for bad in (b"1,2,3", b"a,b,c,d", b"-1,0,10,10", b"200,100,200,200"):
            status, body, _ = fetch(url + "roi", TOKEN, bad)
            assert status == 400 and "error" in json.loads(body), bad
        status, body, _ = fetch(url + "roi", TOKEN, b"10,20,100,90")
        assert status == 200 and json.loads(body)["roi"] == [10, 20, 100, 90]
        assert "no --config file" in json.loads(body)["note"]
        assert wait_json(url, TOKEN, lambda now: now["roi"] == [10, 20, 100, 90])["roi"] == [10, 20, 100, 90]

        port = int(url.rsplit(":", 1)[1].strip("/"))
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(MAX_CONNECTIONS)]
        time.sleep(0.2)
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
            fetch(url + "json", TOKEN)  # one connection too many: closed at once
        for connection in idle:
            connection.close()
        time.sleep(0.2)  # their threads see the end of the connection and free the slots
        assert wait_json(url, TOKEN, lambda now: True)["frames"] > 0
        code, out, err = runner.stop()
    assert code == 0, err
    assert "roi 10,20,100,90" in out.splitlines()[-1]  # the loop read the new region


def test_the_video_plays_at_its_own_rate_and_the_stream_sends_jpegs(video):
    with serving(video, "--max-frames", "45") as runner:
        url = url_of(runner)
        with urllib.request.urlopen(url + "stream.mjpg", timeout=10) as stream:
            assert stream.headers["Content-Type"].startswith("multipart/x-mixed-replace")
            head = stream.read(200)
        assert head.startswith(b"--frame\r\nContent-Type: image/jpeg\r\n")
        code, out = runner.process.wait(timeout=30), runner.process.stdout.read()
    summary = out.splitlines()[-1]
    assert code == 0 and "45 frames" in summary and "stopped by max frames" in summary, summary
    fps = float(summary.split("(")[1].split(" fps")[0])
    assert VIDEO_FPS * 0.7 < fps < VIDEO_FPS * 1.3, summary  # paced as a camera, not as fast as it can


def test_loop_replays_the_video(video):
    result = CliRunner(env={"DISPLAY": None}).invoke(main, [*MODEL_ARGS, "--camera", str(video), "--loop",
                                                            "--max-frames", "100", "--headless"])
    assert result.exit_code == 0, result.output
    assert "summary: 100 frames" in result.stdout and "stopped by max frames" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--serve", "0.0.0.0:8080"], "--serve: serving on 0.0.0.0 (not loopback) needs --token"),
    (["--serve", "192.168.1.20:8080"], "needs --token"),
    (["--serve", "localhost:99999"], "port from 0 to 65535"),
    (["--serve", "eight"], "expected [HOST:]PORT"),
])
def test_serve_flag_errors_are_usage_errors(video, args, message):
    result = CliRunner(env={"DISPLAY": None}).invoke(main, [*MODEL_ARGS, "--camera", str(video), *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_serve_needs_a_camera(tmp_path):
    result = CliRunner().invoke(main, ["--dir", str(tmp_path), "--serve", "8080"])
    assert result.exit_code == 2 and "--serve goes with --camera or --camera --multi, not --dir" in result.output, \
        result.output
