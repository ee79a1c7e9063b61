"""Offsets retention with real clients: Kafka's cleanupGroupMetadata (every
offsets.retention.check.interval.ms) deletes the committed offsets whose retention has passed and then
the groups left without members and offsets, and the deletion is durable (tombstones in
__consumer_offsets), so it holds after a restart.

  - A KIP-848 consumer group (Java KafkaConsumer, group.protocol=consumer) commits what it consumed
    and leaves: its offsets expire by their commit time, and the empty group goes with them
    (OffsetFetch, ListGroups), also after a broker restart.
  - A Stable classic consumer group (librdkafka) keeps the offsets of the topic it consumes and loses
    those of a topic it does not consume, by their commit time, while it has members.

Retention is offsets.retention.minutes, whose unit is too coarse for a test to wait for: the broker
runs with Tributary's own `tributary.test.offsets.retention.ms` instead (docs/compatibility.md).
Against a reference Kafka (TRIBUTARY_REFERENCE_KAFKA) start it with a one-minute retention, e.g.
  tools/kafka-ref/kafka.sh start DIR 29192 29192 offsets.retention.minutes=1 \
      offsets.retention.check.interval.ms=1000
and each wait is a minute longer; the restart step is Tributary's only.
"""
from __future__ import annotations

import pathlib
import subprocess
import uuid

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition

from group_helpers import FAST_GROUPS, RestartableBroker
from helpers import admin, create_topic, eventually, reference_bootstrap, unique_topic

JAVA_DIR = pathlib.Path(__file__).parent / "java"
RETENTION_MS = 5000
BROKER_CONFIG = {
    **FAST_GROUPS,
    "offsets.retention.check.interval.ms": "500",
    "tributary.test.offsets.retention.ms": str(RETENTION_MS),
    "group.consumer.session.timeout.ms": "6000",
    "group.consumer.min.session.timeout.ms": "6000",
    "group.consumer.heartbeat.interval.ms": "1000",
    "group.consumer.min.heartbeat.interval.ms": "1000",
}


class ReferenceKafka:
    """A running reference Kafka started with offsets.retention.minutes=1 (it cannot be restarted here)."""

    def __init__(self, bootstrap: str):
        self.bootstrap = bootstrap


@pytest.fixture
def retention_broker(tmp_path):
    ref = reference_bootstrap()
    if ref:
        yield ReferenceKafka(ref)
        return
    b = RestartableBroker(tmp_path, BROKER_CONFIG).start()
    try:
        yield b
        if b.broker.proc.poll() is not None:
            pytest.fail(f"the broker died during the test:\n{b.broker.output()[-5000:]}", pytrace=False)
    finally:
        b.stop()


def expiry_wait(b) -> float:
    """How long to wait for offsets past their retention to go: the retention, and a margin."""
    return (60.0 if isinstance(b, ReferenceKafka) else RETENTION_MS / 1000) + 60.0


def produce(bootstrap: str, topic: str, partitions: int, per_partition: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    errors = []
    for i in range(partitions * per_partition):
        p.produce(topic, value=str(i).encode(), partition=i % partitions,
                  on_delivery=lambda err, msg: err and errors.append(err))
    assert p.flush(60) == 0, "producer did not drain"
    assert not errors, errors


def group_offsets(bootstrap: str, group: str) -> dict:
    """{(topic, partition): offset} the group has committed (Admin listConsumerGroupOffsets, i.e.
    OffsetFetch for every partition); raises while the coordinator cannot answer."""
    client = admin(bootstrap)  # alive until the answer is in
    futures = client.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)], request_timeout=10)
    result = futures[group].result(30)
    return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions if tp.offset >= 0}


def listed_groups(bootstrap: str) -> dict:
    """{group id: listing} from ListGroups; raises if any coordinator answered with an error (a
    partition of __consumer_offsets still loading)."""
    client = admin(bootstrap)
    result = client.list_consumer_groups(request_timeout=10).result(30)
    if result.errors:
        raise AssertionError(f"ListGroups errors: {result.errors}")
    return {g.group_id: g for g in result.valid}


def test_a_consumer_group_that_left_loses_its_offsets_and_then_the_group(retention_broker, kafka_classpath,
                                                                          tmp_path):
    b = retention_broker
    topic = create_topic(b.bootstrap, unique_topic("retention-848"), 3)
    produce(b.bootstrap, topic, 3, 10)
    group = f"retention-848-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "member.out"
    out.touch()
    log = open(tmp_path / "member.log", "wb")
    member = subprocess.Popen(["java", "-Xmx256m", "-cp", kafka_classpath, str(JAVA_DIR / "GroupConsumer.java"),
                               b.bootstrap, group, topic, str(out), "0"], stdout=log, stderr=subprocess.STDOUT)
    try:
        everything = {(topic, p): 10 for p in range(3)}
        eventually(lambda: group_offsets(b.bootstrap, group) == everything, timeout=90,
                   what="the KIP-848 member to commit everything it consumed")
        assert group in listed_groups(b.bootstrap)
        pathlib.Path(str(out) + ".stop").touch()  # GroupConsumer leaves the group (close) and exits
        assert member.wait(timeout=60) == 0, pathlib.Path(log.name).read_text(errors="replace")[-3000:]
    finally:
        if member.poll() is None:
            member.kill()
            member.wait()
        log.close()

    # Nobody subscribes to the topic any more: its offsets expire by commit time, and the empty group
    # goes with the last of them.
    def gone():
        return group_offsets(b.bootstrap, group) == {} and group not in listed_groups(b.bootstrap)
    eventually(gone, timeout=expiry_wait(b), what="the group's offsets and then the group to expire")

    if isinstance(b, ReferenceKafka):
        return
    b.restart()
    # Once the coordinator has loaded __consumer_offsets again (ListGroups answers without errors),
    # neither the group nor its offsets are back.
    (listed,) = eventually(lambda: (listed_groups(b.bootstrap),), timeout=60, what="ListGroups after the restart")
    assert group not in listed
    assert eventually(lambda: (group_offsets(b.bootstrap, group),), timeout=60,
                      what="OffsetFetch after the restart") == ({},)


def test_a_stable_classic_group_loses_the_offsets_of_a_topic_it_does_not_consume(retention_broker):
    b = retention_broker
    consumed = create_topic(b.bootstrap, unique_topic("retention-consumed"), 1)
    other = create_topic(b.bootstrap, unique_topic("retention-other"), 1)
    group = f"retention-classic-{uuid.uuid4().hex[:8]}"
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": group, "enable.auto.commit": False,
                  "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
    try:
        c.subscribe([consumed])
        eventually(lambda: c.poll(0.2) is None and len(c.assignment()) == 1, timeout=60,
                   what="the classic member to get its partition")
        out = c.commit(offsets=[TopicPartition(consumed, 0, 3), TopicPartition(other, 0, 4)], asynchronous=False)
        assert all(tp.error is None for tp in out), out
        assert group_offsets(b.bootstrap, group) == {(consumed, 0): 3, (other, 0): 4}

        def only_consumed_left():
            c.poll(0.1)
            return group_offsets(b.bootstrap, group) == {(consumed, 0): 3}
        eventually(only_consumed_left, timeout=expiry_wait(b), what="the offset of the unconsumed topic to expire")
        listing = listed_groups(b.bootstrap)[group]
        assert str(listing.state).upper().endswith("STABLE"), listing.state
    finally:
        c.close()
