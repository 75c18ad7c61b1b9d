"""`digits-edge --camera VIDEO --mqtt`: a real mosquitto broker started here on a free loopback port, a real
paho-mqtt subscriber, the runner as a real process; the broker restarted under a running runner."""
from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from digits.edge.cli import main

from tests.edge.live_process import MODEL_ARGS, free_port, running, url_of, write_video

paho = pytest.importorskip("paho.mqtt.client", reason="paho-mqtt is not installed")

TOPIC = "digits/meter"
WAIT_S = 20.0
EXPECTED_READINGS = [None, 4, None, 1, None]


class Broker:
    """mosquitto on 127.0.0.1:port, no persistence (a restart forgets every retained message)."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("mosquitto did not start listening")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def broker(tmp_path):
    if shutil.which("mosquitto") is None:
        pytest.skip("mosquitto is not installed (scripts/debian_packages.sh mosquitto:mosquitto)")
    server = Broker(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist_test):
    return write_video(tmp_path_factory.mktemp("video") / "digits.avi", mnist_test)


class Subscriber:
    """A paho client collecting (topic, payload text, retained) of everything under digits/ and homeassistant/."""

    def __init__(self, port: int):
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda client, *args: client.subscribe([("digits/#", 1), ("homeassistant/#", 1)])
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload.decode(), bool(message.retain)))

    def on(self, topic: str) -> list[str]:
        with self._lock:
            return [payload for seen, payload, _ in self.messages if seen == topic]

    def wait_for(self, topic: str, until, timeout_s: float = WAIT_S) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while not until(self.on(topic)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.on(topic)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _mqtt_url(broker: Broker) -> str:
    return f"mqtt://127.0.0.1:{broker.port}/{TOPIC}"


def test_readings_availability_and_discovery_reach_the_broker(broker, video):
    subscriber = Subscriber(broker.port)
    try:
        with running("--camera", str(video), "--mqtt", _mqtt_url(broker)) as runner:
            runner.wait_for("publishing to ")
            offline = subscriber.wait_for(f"{TOPIC}/availability", lambda seen: "offline" in seen)
            code, out, err = runner.stop()
        assert code == 0 and "stopped by end of video" in out, err
        assert offline == ["online", "offline"]
        readings = [json.loads(payload) for payload in subscriber.on(TOPIC)]
        assert [reading["reading"] for reading in readings] == EXPECTED_READINGS
        assert all(reading["confidence"] >= 0.6 for reading in readings if reading["reading"] is not None)
        assert all(isinstance(reading["time"], float) for reading in readings)
        (config,) = subscriber.on("homeassistant/sensor/digits_meter/reading/config")
        sensor = json.loads(config)
        assert sensor["state_topic"] == TOPIC and sensor["availability_topic"] == f"{TOPIC}/availability"
        assert sensor["value_template"] == "{{ value_json.reading }}" and sensor["unique_id"]
    finally:
        subscriber.close()
    late = Subscriber(broker.port)  # retained: what a client that connects afterwards gets at once
    try:
        assert late.wait_for(f"{TOPIC}/availability", bool) == ["offline"]
        assert [json.loads(payload)["reading"] for payload in late.wait_for(TOPIC, bool)] == [None]
    finally:
        late.close()


def test_a_broker_restart_is_reconnected_to_without_stopping_the_loop(broker, video):
    with running("--camera", str(video), "--loop", "--serve", "127.0.0.1:0", "--mqtt", _mqtt_url(broker)) as runner:
        url = url_of(runner)
        subscriber = Subscriber(broker.port)
        assert subscriber.wait_for(f"{TOPIC}/availability", lambda seen: "online" in seen) == ["online"]
        subscriber.close()
        broker.stop()
        frames_before = _json(url)["frames"]
        time.sleep(2.0)
        during = _json(url)
        assert runner.process.poll() is None
        assert during["frames"] - frames_before >= 20 and during["fps"] > 10, during  # 15 fps video, unslowed
        broker.start()
        subscriber = Subscriber(broker.port)  # the broker forgot everything: what it has now came after restart
        try:
            assert "online" in subscriber.wait_for(f"{TOPIC}/availability", lambda seen: "online" in seen)
            assert subscriber.wait_for(TOPIC, bool), "no reading published after the broker came back"
            code, out, err = runner.stop()
            assert subscriber.wait_for(f"{TOPIC}/availability", lambda seen: "offline" in seen)[-1] == "offline"
        finally:
            subscriber.close()
    assert code == 0 and "stopped by SIGTERM" in out, err


def test_the_brokers_last_will_says_offline_when_the_runner_dies(broker, video):
    subscriber = Subscriber(broker.port)
    try:
        with running("--camera", str(video), "--loop", "--mqtt", _mqtt_url(broker)) as runner:
            assert subscriber.wait_for(f"{TOPIC}/availability", lambda seen: "online" in seen) == ["online"]
            runner.process.send_signal(signal.SIGKILL)
            runner.process.wait(timeout=10)
            assert subscriber.wait_for(f"{TOPIC}/availability", lambda seen: "offline" in seen) == ["online",
                                                                                                  "offline"]
    finally:
        subscriber.close()


def _json(url: str) -> dict:
    with urllib.request.urlopen(url + "json", timeout=10) as answer:
        return json.loads(answer.read())


@pytest.mark.parametrize("url, message", [
    ("http://host/topic", "expected mqtt://"),
    ("mqtt://host", "expected a topic"),
    ("mqtt://host/a/#", "expected a topic"),
    ("mqtt://host/a/+/b", "expected a topic"),
    ("mqtt://user:secret@host:99999/t", "not a port"),
])
def test_bad_mqtt_urls_are_usage_errors_without_the_password(video, url, message):
    result = CliRunner(env={"DISPLAY": None}).invoke(main, [*MODEL_ARGS, "--camera", str(video), "--mqtt", url])
    assert result.exit_code == 2 and message in result.output and "secret" not in result.output, result.output
