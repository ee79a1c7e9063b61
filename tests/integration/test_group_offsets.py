"""The group coordinator's foundation with real clients: __consumer_offsets created on demand, committed
offsets fetched back, durable across a restart, and stored in Kafka's own record format (Kafka's
OffsetsMessageFormatter reads them). Consumer-group membership is in test_consumer_groups.py."""
import json
import subprocess

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

import kafka_wire
from group_helpers import RestartableBroker, commit, committed, offsets_partition
from helpers import create_topic, eventually, unique_topic


@pytest.fixture
def restartable(tmp_path):
    b = RestartableBroker(tmp_path).start()
    yield b
    b.stop()


def test_commits_survive_a_restart_and_the_offsets_topic_is_internal(restartable):
    bootstrap = restartable.bootstrap
    topic = create_topic(bootstrap, unique_topic("offsets"), 3)
    # Metadata never creates the internal topic; the first FindCoordinator does.
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    assert "__consumer_offsets" not in md.topics
    commit(bootstrap, "g-offsets", [TopicPartition(topic, 0, 42), TopicPartition(topic, 1, 7)])
    commit(bootstrap, "g-offsets", [TopicPartition(topic, 0, 43)])
    tps = [TopicPartition(topic, p) for p in range(3)]
    assert committed(bootstrap, "g-offsets", tps) == {(topic, 0): 43, (topic, 1): 7, (topic, 2): -1001}
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic="__consumer_offsets", timeout=10)
    assert len(md.topics["__consumer_offsets"].partitions) == 10

    restartable.restart()
    got = eventually(lambda: committed(restartable.bootstrap, "g-offsets", tps), timeout=60,
                     what="committed offsets after the restart")
    assert got == {(topic, 0): 43, (topic, 1): 7, (topic, 2): -1001}


def test_kafkas_offsets_formatter_reads_the_records(restartable, kafka_classpath):
    bootstrap = restartable.bootstrap
    topic = create_topic(bootstrap, unique_topic("fmt"), 1)
    group = "g-format"
    commit(bootstrap, group, [TopicPartition(topic, 0, 1234)])
    out = subprocess.run(
        ["java", "-Xmx256M", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", kafka_classpath,
         "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bootstrap,
         "--topic", "__consumer_offsets", "--partition", str(offsets_partition(group, 10)), "--offset", "earliest",
         "--max-messages", "1", "--timeout-ms", "30000",
         "--formatter", "org.apache.kafka.tools.consumer.OffsetsMessageFormatter"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    record = json.loads(out.stdout.strip().splitlines()[0])
    assert record["key"]["data"] == {"group": group, "topic": topic, "partition": 0}
    assert record["value"]["data"]["offset"] == 1234


def find_coordinator_v3(bootstrap, key, key_type):
    """FindCoordinator v3 (flexible, single key) as raw frames: error code and message."""
    host, port = bootstrap.rsplit(":", 1)
    conn = kafka_wire.Connection(host, int(port))
    try:
        body = kafka_wire.compact_string(key) + bytes([key_type]) + b"\x00"
        conn.send(kafka_wire.frame(kafka_wire.request_header(10, 3, 7, flexible=True) + body))
        r = kafka_wire.Reader(conn.recv_frame())
        r.int32()  # correlation id
        r.uvarint()  # header tags
        r.int32()  # throttle
        error = r.int16()
        n = r.uvarint()
        message = r.take(n - 1).decode() if n else None
        return error, message
    finally:
        conn.close()


def test_transaction_coordinators_are_refused_honestly(restartable):
    error, message = find_coordinator_v3(restartable.bootstrap, "txn-1", 1)
    assert error == 42  # INVALID_REQUEST: transactions do not exist yet
    assert "not supported" in message
    error, _ = find_coordinator_v3(restartable.bootstrap, "group-1", 0)
    assert error == 0
