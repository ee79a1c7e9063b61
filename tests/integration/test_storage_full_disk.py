"""A full data directory: Produce fails with a retriable KAFKA_STORAGE_ERROR, nothing acknowledged is
damaged, the broker keeps serving reads, survives a kill -9 and restart while full, and takes writes
again as soon as space returns, without a restart.

The data directory is on a 32 MiB tmpfs the test mounts (root and mount(2) needed; skipped otherwise,
with the reason). The disk is filled with a filler file; deleting it is "space returns".
"""
import os
import time

import pytest

from helpers import create_topic, end_offsets, eventually, unique_topic
from storage_helpers import RestartableBroker, Tmpfs, check_log, fill, read_partition

PARTITIONS = 2
VALUE = 1000


def _value(tag: str, i: int) -> bytes:
    head = f"{tag}-{i:08d}-".encode()
    return head + b"x" * (VALUE - len(head))


@pytest.fixture
def full_disk_broker(tmp_path):
    mnt = Tmpfs(tmp_path / "mnt", "32m")
    srv = RestartableBroker(tmp_path, mnt.path / "data")
    try:
        yield srv, mnt
    finally:
        srv.cleanup()
        mnt.unmount()


def _produce(bootstrap, topic, tag, count, idempotent=True, retries=None, timeout_ms=120000):
    """Produces `count` values; returns (acks [(p, offset, value)], errors [KafkaError], producer)."""
    from confluent_kafka import Producer
    conf = {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": idempotent, "linger.ms": 5,
            "message.timeout.ms": timeout_ms, "log_level": 2}
    if retries is not None:
        conf["retries"] = retries
    p = Producer(conf)
    acks, errors = [], []

    def delivered(err, msg):
        if err is None:
            acks.append((msg.partition(), msg.offset(), msg.value()))
        else:
            errors.append(err)

    for i in range(count):
        while True:
            try:
                p.produce(topic, value=_value(tag, i), partition=i % PARTITIONS, on_delivery=delivered)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    return acks, errors, p


def _verify(srv, topic, acked):
    """Every acknowledged record is at its offset; each partition reads from 0 to its end without a gap
    or a repeat. Returns {partition: end offset}."""
    marks = end_offsets(srv.bootstrap, topic, PARTITIONS, timeout=60)
    where = {}
    for part in range(PARTITIONS):
        low, high = marks[part]
        assert low == 0, f"p{part}: log start moved to {low}\n{srv.log_excerpt()}"
        for off, value in read_partition(srv.bootstrap, topic, part, low, high):
            where[(part, off)] = value
    missing = [(p, o) for p, o, v in acked if where.get((p, o)) != v]
    assert not missing, f"{len(missing)} acknowledged records missing or changed, first {missing[:5]}\n{srv.log_excerpt()}"
    return {p: marks[p][1] for p in range(PARTITIONS)}


def test_full_disk_fails_produce_retriably_and_resumes_when_space_returns(full_disk_broker):
    from confluent_kafka import KafkaError
    srv, mnt = full_disk_broker
    srv.start()
    topic = create_topic(srv.bootstrap, unique_topic("full"), PARTITIONS, {"segment.bytes": str(1 << 20)})

    # 1. Acknowledged data before the disk fills: 4 MiB, several segments per partition.
    acked, errors, p = _produce(srv.bootstrap, topic, "before", 4000)
    assert p.flush(60) == 0 and not errors, errors[:3]
    filler = mnt.path / "filler"
    filled = fill(filler)
    print(f"filler: {filled} bytes, {mnt.free_bytes()} bytes free")

    # 2. Full: a producer that does not retry sees KAFKA_STORAGE_ERROR (a few records may still fit in
    #    the last page of a segment file: those are acknowledged and checked like the rest).
    full_acks, full_errors, p = _produce(srv.bootstrap, topic, "full", 300, idempotent=False, retries=0,
                                         timeout_ms=30000)
    assert p.flush(60) == 0
    codes = {e.code() for e in full_errors}
    assert KafkaError.KAFKA_STORAGE_ERROR in codes, f"errors {full_errors[:3]}, {len(full_acks)} acks\n{srv.log_excerpt()}"
    assert codes <= {KafkaError.KAFKA_STORAGE_ERROR}, f"unexpected errors {codes}\n{srv.log_excerpt()}"
    # (KAFKA_STORAGE_ERROR is retriable by Kafka's definition; step 4 shows a producer that retries
    # getting through. The delivery report of a producer with retries=0 does not carry the flag.)
    acked += full_acks
    # Reads of acknowledged data still work, and no partial batch is visible.
    ends = _verify(srv, topic, acked)
    print(f"full: {len(full_errors)} KAFKA_STORAGE_ERROR, {len(full_acks)} acks; log ends {ends}")
    assert "offline" not in srv.output(), srv.log_excerpt()

    # 3. kill -9 while full, restart on the full disk: recovery opens every log and serves reads.
    srv.kill9()
    srv.start()
    assert _verify(srv, topic, acked) == ends

    # 4. An idempotent producer with retries waits out the full disk; deleting the filler lets it finish
    #    without a restart, each record exactly once and in order.
    waiting_acks, waiting_errors, p = _produce(srv.bootstrap, topic, "after", 1000)
    p.poll(2.0)
    assert len(waiting_acks) < 1000, "the disk is full, yet everything was acknowledged"
    os.unlink(filler)
    t0 = time.monotonic()
    assert p.flush(120) == 0, f"undelivered after space returned\n{srv.log_excerpt()}"
    assert not waiting_errors, f"{waiting_errors[:3]}\n{srv.log_excerpt()}"
    print(f"resumed: {len(waiting_acks)} acks within {time.monotonic() - t0:.1f}s of freeing space")
    acked += waiting_acks
    ends = _verify(srv, topic, acked)
    for part in range(PARTITIONS):
        mine = sorted((o, v) for q, o, v in waiting_acks if q == part)
        assert [v for _, v in mine] == [_value("after", i) for i in range(part, 1000, PARTITIONS)], \
            f"p{part}: the records produced across the full disk are not each there once, in order"

    # 5. A clean restart: the logs and indexes check out, and the data reads back the same.
    srv.stop()
    print(check_log(srv.data_dir).splitlines()[-1])
    srv.start()
    assert _verify(srv, topic, acked) == ends
    srv.stop()
