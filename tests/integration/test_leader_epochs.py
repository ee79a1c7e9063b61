"""Leader epochs: the partition's leader-epoch-checkpoint and OffsetForLeaderEpoch (API 23).

The Java consumer validates a position that carries a leader epoch (KIP-320) with OffsetForLeaderEpoch:
inside the log it goes on; past where the epoch ended it reports a log truncation at the offset the
broker answered. The file in the partition directory is Kafka's text format, survives a restart, and is
rebuilt from the batches when it is missing. Raw frames check the answers Kafka gives for an unknown
epoch, a fenced or unknown current epoch, and an unknown partition.
"""
import pathlib
import struct
import subprocess

from confluent_kafka import Producer

from helpers import create_topic, eventually, unique_topic
from kafka_wire import Connection, Reader, frame, request_header, string

JAVA_DIR = pathlib.Path(__file__).parent / "java"
RECORDS = 10


def _produce(bootstrap, topic, n):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    for i in range(n):
        p.produce(topic, value=f"v{i}".encode(), partition=0)
    assert p.flush(30) == 0


def _offset_for_leader_epoch(bootstrap, partitions):
    """OffsetForLeaderEpoch v3 (the consumer's form, replica_id -1) for
    [(topic, partition, current_leader_epoch, leader_epoch)]; returns {(topic, partition): (error, epoch, end)}."""
    by_topic = {}
    for topic, partition, current, epoch in partitions:
        by_topic.setdefault(topic, []).append((partition, current, epoch))
    body = struct.pack(">ii", -1, len(by_topic))
    for topic, parts in by_topic.items():
        body += string(topic) + struct.pack(">i", len(parts))
        for partition, current, epoch in parts:
            body += struct.pack(">iii", partition, current, epoch)
    host, port = bootstrap.split(":")
    c = Connection(host, int(port))
    try:
        c.send(frame(request_header(23, 3, 7) + body))
        r = Reader(c.recv_frame())
    finally:
        c.close()
    assert r.int32() == 7  # correlation id
    r.int32()  # throttle time
    out = {}
    for _ in range(r.int32()):
        topic = r.take(r.int16()).decode()
        for _ in range(r.int32()):
            error, partition, epoch, end = r.int16(), r.int32(), r.int32(), r.int64()
            out[(topic, partition)] = (error, epoch, end)
    return out


def test_the_java_consumer_validates_positions_against_the_epochs(broker, kafka_classpath):
    topic = unique_topic("epochs")
    create_topic(broker.bootstrap, topic, partitions=1)
    _produce(broker.bootstrap, topic, RECORDS)
    out = subprocess.run(["java", "-Xmx512m", "-cp", kafka_classpath, str(JAVA_DIR / "LeaderEpochCheck.java"),
                          broker.bootstrap, topic, "4", "25"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    assert out.stdout.split("\n")[:2] == ["valid 4", f"truncated {RECORDS} 0"], out.stdout


def test_the_checkpoint_file_is_kafkas_and_survives_restarts(broker):
    topic = unique_topic("epochs")
    create_topic(broker.bootstrap, topic, partitions=1)
    path = broker.data_dir / f"{topic}-0" / "leader-epoch-checkpoint"
    # The leader records its epoch when it takes the partition, before anything is written.
    eventually(lambda: path.exists() and path.read_text() == "0\n1\n0 0\n", what="leader-epoch-checkpoint")
    _produce(broker.bootstrap, topic, RECORDS)
    assert path.read_text() == "0\n1\n0 0\n"
    assert _offset_for_leader_epoch(broker.bootstrap, [(topic, 0, -1, 0)]) == {(topic, 0): (0, 0, RECORDS)}

    # A log written before the file existed: the broker rebuilds it from the batches.
    broker.stop()
    path.unlink()
    broker.start()
    eventually(lambda: _offset_for_leader_epoch(broker.bootstrap, [(topic, 0, 0, 0)]) == {(topic, 0): (0, 0, RECORDS)},
               what="OffsetForLeaderEpoch after the restart")
    assert path.read_text() == "0\n1\n0 0\n"


def test_offset_for_leader_epoch_answers_as_kafka_does(broker):
    topic = unique_topic("epochs")
    create_topic(broker.bootstrap, topic, partitions=2)
    _produce(broker.bootstrap, topic, 3)
    ask = lambda partition, current, epoch, t=topic: _offset_for_leader_epoch(  # noqa: E731
        broker.bootstrap, [(t, partition, current, epoch)])[(t, partition)]
    assert ask(0, -1, 0) == (0, 0, 3)      # the current epoch ends at the log end
    assert ask(0, 0, 0) == (0, 0, 3)       # with the current epoch named
    assert ask(1, -1, 0) == (0, 0, 0)      # an empty partition: the leader's epoch began at offset 0
    assert ask(1, -1, 1) == (0, -1, -1)    # above every epoch: unknown, and no error
    assert ask(0, -1, 5) == (0, -1, -1)    # above every epoch: unknown, and no error
    assert ask(0, -1, -1) == (0, -1, -1)   # undefined
    assert ask(0, 3, 0) == (75, -1, -1)    # the client knows a newer leader: UNKNOWN_LEADER_EPOCH
    assert ask(7, -1, 0) == (3, -1, -1)    # no such partition: UNKNOWN_TOPIC_OR_PARTITION
    assert ask(0, -1, 0, t="no-such-topic") == (3, -1, -1)
    # Several topics and partitions in one request come back each with its own answer.
    both = _offset_for_leader_epoch(broker.bootstrap, [(topic, 0, -1, 0), (topic, 1, -1, 0), ("nope", 0, -1, 0)])
    assert both == {(topic, 0): (0, 0, 3), (topic, 1): (0, 0, 0), ("nope", 0): (3, -1, -1)}
