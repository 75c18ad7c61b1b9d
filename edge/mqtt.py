"""--mqtt: each change of the steady reading published to an MQTT broker, with Home Assistant discovery.

paho-mqtt's own network thread (loop_start) talks to the broker and reconnects when it goes away; the frame
loop only queues a message, and only while connected (the latest reading is published again on reconnect,
retained, so nothing is lost that matters). TOPIC holds {"reading", "confidence", "time"} (retained);
TOPIC/availability is "online", or "offline" at the end (SIGTERM, end of video) or, as the broker's last
will, when the runner vanishes.
"""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from digits.edge.live import LiveFrame, Roi

DEFAULT_PORT = 1883
DEFAULT_DISCOVERY_PREFIX = "homeassistant"
KEEPALIVE_S = 30
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 10
CLOSE_TIMEOUT_S = 2.0  # waiting for "offline" to reach the broker at the end
QOS = 1
ONLINE, OFFLINE = "online", "offline"
_TOPIC_CHARS = re.compile(r"^[^#+\x00]+$")


class MqttError(ValueError):
    """A --mqtt URL that cannot be used, or paho-mqtt missing."""


@dataclass(frozen=True)
class MqttTarget:
    """Where to publish: the broker, the credentials (None: none) and the topic."""

    host: str
    port: int
    topic: str
    username: str | None = None
    password: str | None = None

    @property
    def availability_topic(self) -> str:
        return f"{self.topic}/availability"

    def __str__(self) -> str:  # never the password: this goes into messages and logs
        return f"mqtt://{self.host}:{self.port}/{self.topic}"


def parse_mqtt_url(text: str) -> MqttTarget:
    """A MqttTarget from mqtt://[USER:PASS@]HOST[:PORT]/TOPIC.

    Raises:
        MqttError: another scheme, no host, a bad port, or no topic (or one with MQTT wildcards).
    """
    parts = urlsplit(text)
    if parts.scheme != "mqtt":
        raise MqttError(f"expected mqtt://[USER:PASS@]HOST[:PORT]/TOPIC, got {_without_password(text)!r}")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise MqttError(f"not a port in {_without_password(text)!r}") from None
    topic = unquote(parts.path.lstrip("/")).rstrip("/")
    if not parts.hostname:
        raise MqttError(f"no broker host in {_without_password(text)!r}")
    if not topic or not _TOPIC_CHARS.match(topic) or parts.fragment or parts.query or "#" in text:
        raise MqttError(f"expected a topic without + or # after the host, got {_without_password(text)!r}")
    return MqttTarget(parts.hostname, port, topic, unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


def _without_password(text: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", text)


def reading_message(value: int | str | None, confidence: float | None, when: float) -> str:
    """The JSON published for a reading."""
    return json.dumps({"reading": value, "confidence": None if value is None or confidence is None
                       else round(confidence, 4), "time": round(when, 3)})


def discovery(target: MqttTarget, prefix: str) -> tuple[str, str]:
    """(topic, payload) of the Home Assistant MQTT discovery config of the reading's sensor."""
    node = re.sub(r"[^A-Za-z0-9_-]", "_", target.topic)
    unique = f"digits_edge_{node}"
    payload = {
        "name": "Reading",
        "unique_id": unique,
        "object_id": unique,
        "state_topic": target.topic,
        "value_template": "{{ value_json.reading }}",
        "json_attributes_topic": target.topic,
        "availability_topic": target.availability_topic,
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "icon": "mdi:numeric",
        "device": {"identifiers": [unique], "name": f"digits-edge {target.topic}", "manufacturer": "digits",
                   "model": "digits-edge"},
    }
    return f"{prefix}/sensor/{node}/reading/config", json.dumps(payload)


class MqttPublisher:
    """A FrameObserver publishing each change of the steady reading. Use as a context manager.

    Raises (on entering):
        MqttError: paho-mqtt is not installed.
    """

    def __init__(self, target: MqttTarget, discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX,
                 clock: Callable[[], float] = time.time):
        self.target = target
        self.discovery_prefix = discovery_prefix
        self._clock = clock
        self._client = None
        self._last: str | None = None
        self._lock = threading.Lock()
        self.connections = 0  # how many times the broker accepted us

    def __enter__(self) -> MqttPublisher:
        try:
            import paho.mqtt.client as paho
        except ImportError as error:
            raise MqttError("--mqtt needs paho-mqtt: pip install 'paho-mqtt>=2.1'") from error
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"digits-edge-{uuid.uuid4().hex[:8]}")
        if self.target.username:
            client.username_pw_set(self.target.username, self.target.password)
        client.will_set(self.target.availability_topic, OFFLINE, qos=QOS, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.on_connect = self._on_connect
        client.connect_async(self.target.host, self.target.port, keepalive=KEEPALIVE_S)
        client.loop_start()  # its thread connects, retries a broker that is not there yet, and reconnects
        self._client = client
        return self

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            return
        self.connections += 1
        client.publish(self.target.availability_topic, ONLINE, qos=QOS, retain=True)
        client.publish(*discovery(self.target, self.discovery_prefix), qos=QOS, retain=True)
        with self._lock:
            last = self._last
        if last is not None:
            client.publish(self.target.topic, last, qos=QOS, retain=True)

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Publish "offline" (waiting at most CLOSE_TIMEOUT_S) and disconnect."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.is_connected():
                message = client.publish(self.target.availability_topic, OFFLINE, qos=QOS, retain=True)
                message.wait_for_publish(timeout=CLOSE_TIMEOUT_S)
        except (RuntimeError, ValueError):
            pass  # the connection went away meanwhile: the broker publishes the will instead
        finally:
            client.disconnect()
            client.loop_stop()

    # FrameObserver
    def on_frame(self, frame: LiveFrame) -> None:
        pass

    def on_change(self, frame: LiveFrame) -> None:
        message = reading_message(frame.value, frame.reading.confidence, self._clock())
        with self._lock:
            self._last = message
        client = self._client
        if client is not None and client.is_connected():
            client.publish(self.target.topic, message, qos=QOS, retain=True)

    def requested_roi(self) -> Roi | None:
        return None
