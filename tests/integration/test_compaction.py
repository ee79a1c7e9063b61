"""Log compaction (cleanup.policy=compact) seen by real clients.

- A compacted topic gets many updates to few keys from an idempotent librdkafka producer while its
  segments roll every few hundred milliseconds; once the shard's cleaner has run, librdkafka
  (confluent-kafka) and the Java KafkaConsumer read it from the beginning: offsets have gaps, every
  record left is one that was acknowledged at that offset, and for every key the last record is the
  latest value acknowledged, at its offset. A record without a key is refused with INVALID_RECORD.
- __consumer_offsets is compacted: after thousands of commits of the same few partitions its size on
  disk stays bounded, and after a restart the coordinator still hands out the last committed offsets.
"""
import pathlib
import subprocess
import time

import pytest

from helpers import create_topic, eventually, unique_topic
from storage_helpers import RestartableBroker, check_log

JAVA_DIR = pathlib.Path(__file__).parent / "java"
CLEANER = {"log.cleaner.backoff.ms": "200"}


def read_all(bootstrap, topic, partitions, timeout=60.0):
    """{partition: [(offset, key, value)]} from the start of each partition to its high watermark,
    with librdkafka; offsets must increase (gaps are fine)."""
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "compaction-reader", "enable.auto.commit": False,
                  "enable.partition.eof": False})
    out = {p: [] for p in range(partitions)}
    try:
        highs = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
                 for p in range(partitions)}
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        deadline = time.monotonic() + timeout
        def done(p):
            return highs[p] == 0 or (out[p] and out[p][-1][0] >= highs[p] - 1)
        while not all(done(p) for p in range(partitions)):
            assert time.monotonic() < deadline, f"reading {topic}: got {[len(v) for v in out.values()]}, highs {highs}"
            for m in c.consume(5000, 0.5):
                assert not m.error(), m.error()
                p = m.partition()
                if m.offset() >= highs[p]:
                    continue
                if out[p]:
                    assert m.offset() > out[p][-1][0], f"{topic}-{p}: offset {m.offset()} after {out[p][-1][0]}"
                out[p].append((m.offset(), m.key(), m.value()))
    finally:
        c.close()
    return out


def check_latest_per_key(log, acked):
    """Every record of `log` was acknowledged at its offset; each key's last record is its latest ack."""
    by_offset = {(p, o): (k, v) for p, o, k, v in acked}
    latest = {}
    for p, o, k, v in acked:
        if (p, k) not in latest or latest[(p, k)][0] < o:
            latest[(p, k)] = (o, v)
    last_in_log = {}
    for p, records in log.items():
        for o, k, v in records:
            assert by_offset.get((p, o)) == (k, v), f"p{p} offset {o}: {k!r}={v!r} was not acknowledged there"
            last_in_log[(p, k)] = (o, v)
    for key, (o, v) in latest.items():
        assert last_in_log.get(key) == (o, v), f"{key}: latest ack {o}={v!r}, log has {last_in_log.get(key)}"


def test_compacted_topic_keeps_the_latest_value_per_key(tmp_path, kafka_classpath):
    from confluent_kafka import Producer, KafkaException
    srv = RestartableBroker(tmp_path, tmp_path / "data", CLEANER)
    try:
        srv.start()
        topic = unique_topic("compact")
        partitions, keys, updates = 2, 12, 6000
        create_topic(srv.bootstrap, topic, partitions,
                     {"cleanup.policy": "compact", "segment.ms": "250", "min.cleanable.dirty.ratio": "0.1"})
        acked = []
        errors = []

        def delivered(err, msg):
            if err is None:
                acked.append((msg.partition(), msg.offset(), msg.key(), msg.value()))
            else:
                errors.append(err)

        p = Producer({"bootstrap.servers": srv.bootstrap, "acks": "all", "enable.idempotence": True,
                      "linger.ms": 5, "log_level": 2})
        for i in range(updates):
            key = b"key-%02d" % (i % keys)
            p.produce(topic, key=key, value=b"value-%06d" % i, partition=i % partitions, on_delivery=delivered)
            if i % 300 == 0:
                p.flush(30)
                time.sleep(0.1)  # segments roll by time meanwhile
        p.flush(30)
        assert not errors, errors[:3]
        assert len(acked) == updates

        # A record without a key is refused in a compacted topic (Kafka's INVALID_RECORD).
        plain = Producer({"bootstrap.servers": srv.bootstrap, "acks": "all", "enable.idempotence": False,
                          "retries": 0, "log_level": 2})
        keyless = []
        plain.produce(topic, value=b"no key", partition=0, on_delivery=lambda err, msg: keyless.append(err))
        plain.flush(30)
        assert keyless and keyless[0] is not None and keyless[0].name() == "INVALID_RECORD", keyless

        # One more update per key after a pause, so what was produced before sits in closed segments.
        time.sleep(0.5)
        for k in range(keys):
            p.produce(topic, key=b"key-%02d" % k, value=b"final-%02d" % k, partition=k % partitions,
                      on_delivery=delivered)
        p.flush(30)

        def compacted():
            log = read_all(srv.bootstrap, topic, partitions)
            total = sum(len(v) for v in log.values())
            return log if total < len(acked) // 4 else None
        log = eventually(compacted, timeout=90, what="the cleaner to compact the topic")
        check_latest_per_key(log, acked)
        # Offsets were kept, not renumbered: the records left start past 0 or have gaps between them.
        assert any(records and records[0][0] > 0 for records in log.values()) or \
            any(b[0] + 1 != a[0] for records in log.values() for a, b in zip(records[1:], records)), \
            "no offset gaps after compaction"
        print(f"compacted: {len(acked)} records produced, {sum(len(v) for v in log.values())} left")

        # The Java consumer steps over the gaps too and sees the same records.
        out = subprocess.run(["java", "-Xmx512m", "-cp", kafka_classpath, str(JAVA_DIR / "ReadCompacted.java"),
                              srv.bootstrap, topic], capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stderr[-4000:]
        java = {p: [] for p in range(partitions)}
        for line in out.stdout.splitlines():
            if line.startswith("END "):
                continue
            part, offset, key, value = line.split(" ", 3)
            java[int(part)].append((int(offset), key.encode(), value.encode()))
        # The cleaner may have run again in between: Java's view is at least as compact and still right.
        check_latest_per_key(java, acked)

        srv.stop()
        check_log(srv.data_dir)
    finally:
        srv.cleanup()


def _dir_bytes(path: pathlib.Path) -> int:
    return sum(f.stat().st_size for f in path.glob("*.log"))


def test_consumer_offsets_is_compacted_and_offsets_survive_a_restart(tmp_path):
    from confluent_kafka import Consumer, Producer, TopicPartition
    props = dict(CLEANER)
    props.update({"offsets.topic.num.partitions": "1", "log.roll.ms": "300"})
    srv = RestartableBroker(tmp_path, tmp_path / "data", props)
    try:
        srv.start()
        topic = unique_topic("committed")
        create_topic(srv.bootstrap, topic, 3)
        p = Producer({"bootstrap.servers": srv.bootstrap, "log_level": 2})
        for i in range(300):
            p.produce(topic, value=b"x", partition=i % 3)
        p.flush(30)
        group = unique_topic("compacting-group")
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": group, "enable.auto.commit": False,
                      "log_level": 2})
        offsets_dir = srv.data_dir / "__consumer_offsets-0"
        sizes = []
        commits = 0
        try:
            c.assign([TopicPartition(topic, q, 0) for q in range(3)])
            for round_no in range(12):
                end = time.monotonic() + 0.5
                while time.monotonic() < end:
                    commits += 1
                    c.commit(offsets=[TopicPartition(topic, q, commits % 100 + 1) for q in range(3)],
                             asynchronous=False)
                sizes.append(_dir_bytes(offsets_dir))
            last = [TopicPartition(topic, q, 100 + q) for q in range(3)]
            c.commit(offsets=last, asynchronous=False)
        finally:
            c.close()
        print(f"__consumer_offsets-0 size after each round of commits ({commits} commits): {sizes}")
        # Uncompacted it would grow by ~200 bytes a commit (a batch of three offset records); compacted it
        # stays near a few segments' worth however many commits come (release peaks ~35, ASan ~48 a commit).
        assert max(sizes) < commits * 120, f"sizes {sizes} after {commits} commits: not compacted"
        assert sizes[-1] < commits * 60, f"{sizes[-1]} bytes after {commits} commits: not compacted"

        srv.stop()
        check_log(srv.data_dir)
        srv.start()
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": group, "enable.auto.commit": False,
                      "log_level": 2})
        try:
            def committed():
                try:
                    got = c.committed([TopicPartition(topic, q) for q in range(3)], timeout=10)
                except Exception:  # the coordinator may still be loading
                    return None
                return got if all(t.offset == 100 + t.partition for t in got) else None
            eventually(committed, timeout=60, what="the committed offsets after a restart")
        finally:
            c.close()
        srv.stop()
    finally:
        srv.cleanup()
