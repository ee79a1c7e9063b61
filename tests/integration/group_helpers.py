"""Helpers for the consumer-group tests: Kafka's group -> __consumer_offsets partition rule, a broker
that can be restarted on its data directory, and broker configs for short group timeouts."""
from __future__ import annotations

import pathlib

from conftest import Broker


def commit(bootstrap: str, group: str, tps) -> None:
    """Commits `tps` (TopicPartitions with offsets) for `group` through librdkafka, synchronously."""
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        out = c.commit(offsets=tps, asynchronous=False)
        assert all(tp.error is None for tp in out), out
    finally:
        c.close()


def committed(bootstrap: str, group: str, tps) -> dict:
    """{(topic, partition): committed offset} of `group` through librdkafka (-1001: none)."""
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return {(tp.topic, tp.partition): tp.offset for tp in c.committed(tps, timeout=30)}
    finally:
        c.close()


def java_string_hash(s: str) -> int:
    """Java's String.hashCode over the UTF-16 code units of `s`."""
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def offsets_partition(group: str, partitions: int = 50) -> int:
    """Kafka's GroupCoordinator.partitionFor: Utils.abs(groupId.hashCode) % partitions."""
    h = java_string_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def write_properties(path: pathlib.Path, props: dict) -> pathlib.Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    return path


# Short group timers so rebalances in tests take seconds, not minutes (Kafka's defaults: 3 s initial
# delay; clients' 45 s session timeouts are set per test).
FAST_GROUPS = {"group.initial.rebalance.delay.ms": "200", "group.min.session.timeout.ms": "1000",
               "offsets.topic.num.partitions": "10"}


class RestartableBroker:
    """A Tributary broker on one data directory that a test can stop and start again (a new port each
    time: clients are given the new bootstrap)."""

    def __init__(self, tmp_path: pathlib.Path, props: dict | None = None):
        self.tmp_path = tmp_path
        self.config = write_properties(tmp_path / "server.properties", props or FAST_GROUPS)
        self.broker = None

    def start(self) -> "RestartableBroker":
        self.broker = Broker(self.tmp_path, extra_args=["--config", str(self.config)]).start()
        return self

    def restart(self) -> "RestartableBroker":
        self.broker.stop()
        return self.start()

    def stop(self):
        if self.broker is not None:
            self.broker.stop()
            self.broker = None

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap
