"""Damage to a stopped broker's files, then a restart: recovery truncates a segment to its last valid
batch (a torn write, a zero-filled tail as ext4 can leave after a power loss, garbage, a corrupt batch in
the middle of the tail), rebuilds damaged .index/.timeindex files, and keeps everything before the damage.
After each restart: every acknowledged record before the damage reads back identical, the log ends at
the damage, new records continue at exactly that offset, and `tributary check-log` passes.
"""
import os
import random

import pytest

from helpers import create_topic, end_offsets, unique_topic
from storage_helpers import RestartableBroker, check_log, read_partition, segment_batches

RECORDS = 3000
VALUE = 1000


def _value(i: int) -> bytes:
    head = f"v-{i:08d}-".encode()
    return head + b"y" * (VALUE - len(head))


@pytest.fixture
def srv(tmp_path):
    s = RestartableBroker(tmp_path, tmp_path / "data")
    try:
        yield s
    finally:
        s.cleanup()


def _fill(srv, topic):
    """3 MiB into one partition with 1 MiB segments; returns {offset: value} as acknowledged."""
    from confluent_kafka import Producer
    # Small batches (~16 records), so that a segment holds many and its indexes have entries.
    p = Producer({"bootstrap.servers": srv.bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
                  "batch.size": 16384, "log_level": 2})
    acked = {}

    def delivered(err, msg):
        assert err is None, err
        acked[msg.offset()] = msg.value()

    for i in range(RECORDS):
        p.produce(topic, value=_value(i), partition=0, on_delivery=delivered)
        p.poll(0)
    assert p.flush(60) == 0
    assert sorted(acked) == list(range(RECORDS))
    return acked


def _partition_dir(srv, topic):
    return srv.data_dir / f"{topic}-0"


def _segments(d):
    return sorted(d.glob("*.log"))


# Each case damages the directory of a stopped broker and returns the offset the log must end at.
def _torn_segment(d, rng):
    last = _segments(d)[-1]
    pos, base, size = segment_batches(last)[-1]
    with open(last, "r+b") as f:
        f.truncate(pos + rng.randint(1, size - 1))  # the writer died inside the last batch
    return base


def _zero_tail(d, rng):
    last = _segments(d)[-1]
    with open(last, "ab") as f:
        f.write(bytes(rng.choice([512, 4096, 65536])))  # ext4 after a power loss: size grew, data did not
    return None


def _garbage_tail(d, rng):
    last = _segments(d)[-1]
    with open(last, "ab") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(3000)))
    return None


def _corrupt_batch(d, rng):
    last = _segments(d)[-1]
    batches = segment_batches(last)
    pos, base, size = batches[-3]  # damage in the tail, two whole batches after it
    with open(last, "r+b") as f:
        f.seek(pos + 61 + rng.randrange(size - 61))  # inside the records: only the CRC can tell
        b = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([b[0] ^ 0x5A]))
    return base


def _damaged_indexes(d, rng):
    closed = _segments(d)[0]
    index = closed.with_suffix(".index")
    timeindex = closed.with_suffix(".timeindex")
    assert index.stat().st_size > 0 and timeindex.stat().st_size > 0
    with open(index, "r+b") as f:
        f.truncate(index.stat().st_size - 3)  # not whole entries
    with open(timeindex, "ab") as f:
        f.write(b"\xff" * 24)  # garbage entries: timestamps going backwards
    active = _segments(d)[-1]
    for suffix in (".index", ".timeindex"):
        p = active.with_suffix(suffix)
        if p.exists():
            with open(p, "ab") as f:
                f.write(bytes(16 if suffix == ".index" else 24))  # zero-filled tails
    return None


CASES = {
    "torn-segment": (_torn_segment, "kill"),
    "zero-filled-tail": (_zero_tail, "kill"),
    "garbage-tail": (_garbage_tail, "kill"),
    "corrupt-batch-in-the-tail": (_corrupt_batch, "kill"),
    "damaged-index-files": (_damaged_indexes, "stop"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_recovery_keeps_everything_before_the_damage(srv, case):
    damage, how = CASES[case]
    rng = random.Random(case)
    srv.start()
    topic = create_topic(srv.bootstrap, unique_topic("damage"), 1, {"segment.bytes": str(1 << 20)})
    acked = _fill(srv, topic)
    d = _partition_dir(srv, topic)
    if how == "kill":
        srv.kill9()
    else:
        srv.stop()
    assert len(_segments(d)) >= 3, sorted(p.name for p in d.iterdir())
    end = damage(d, rng)
    if end is None:
        end = RECORDS
    srv.start()

    low, high = end_offsets(srv.bootstrap, topic, 1, timeout=60)[0]
    assert (low, high) == (0, end), f"{case}: watermarks {(low, high)}, expected (0, {end})\n{srv.log_excerpt()}"
    got = read_partition(srv.bootstrap, topic, 0, 0, high)
    bad = [o for o, v in got if acked[o] != v]
    assert not bad, f"{case}: records changed at offsets {bad[:5]}"
    log = srv.output()
    if how == "kill":
        assert "recovered:" in log and "dropped" in log, f"{case}: no recovery report\n{srv.log_excerpt()}"
    else:
        assert "rebuilt" in log, f"{case}: the damaged indexes were not rebuilt\n{srv.log_excerpt()}"

    # New records continue exactly at the end of what survived.
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": srv.bootstrap, "acks": "all", "enable.idempotence": True, "log_level": 2})
    offsets = []
    for i in range(10):
        p.produce(topic, value=b"after-%d" % i, partition=0,
                  on_delivery=lambda err, msg: offsets.append(msg.offset() if err is None else err))
    assert p.flush(30) == 0
    assert offsets == list(range(end, end + 10)), f"{case}: new records at {offsets}, expected from {end}"
    srv.stop()
    summary = check_log(srv.data_dir)
    print(f"{case}: log ends at {end} of {RECORDS}; check-log: {summary.splitlines()[-1]}")
