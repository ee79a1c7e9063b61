"""Produce requests carrying batches no correct producer sends: each partition gets Kafka's error code
(and, from Produce v8, its per-record errors), the connection stays usable, nothing bad is stored, and
another client keeps producing. Shown against the reference Kafka (TRIBUTARY_REFERENCE_KAFKA) first.
"""
import struct
import time

import pytest

from helpers import cluster, create_topic, unique_topic  # noqa: F401 (fixture)
from kafka_wire import (Connection, fetch_request, fix_crc, parse_fetch_response, parse_produce_response,
                        produce_request, record_batch)

NONE, CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, INVALID_TIMESTAMP, INVALID_RECORD = 0, 2, 10, 32, 87
HOUR_MS = 3600 * 1000


def now_ms():
    return int(time.time() * 1000)


def bad_crc():
    b = record_batch([b"a", b"b", b"c"])
    b[-1] ^= 0x01
    return b


def magic(value):
    def make():
        b = record_batch([b"a"])
        b[16] = value & 0xFF
        return b
    return make


def base_offset_not_zero():
    b = record_batch([b"a", b"b"])
    struct.pack_into(">q", b, 0, 42)
    return b


def count_below_offset_range():
    b = record_batch([b"a", b"b", b"c"])
    struct.pack_into(">i", b, 57, 2)  # recordsCount 2 over lastOffsetDelta 2
    return fix_crc(b)


def fewer_records_than_claimed():
    b = record_batch([b"a", b"b", b"c"])
    struct.pack_into(">i", b, 23, 3)  # lastOffsetDelta 3
    struct.pack_into(">i", b, 57, 4)  # recordsCount 4, but three records follow
    return fix_crc(b)


def overlapping_offsets():
    """Three records whose offset deltas are 0, 1, 1: two records claim the same offset."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                  producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    ts = now_ms()
    for delta in (0, 1, 1):
        b.append(delta, ts, None, b"v", [])
    out = bytearray(b.build())
    struct.pack_into(">i", out, 23, 2)  # lastOffsetDelta 2 for 3 records: consistent header
    struct.pack_into(">i", out, 57, 3)
    return fix_crc(out)


def non_monotonic_offsets():
    """Offset deltas 0, 2, 1."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                  producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    ts = now_ms()
    for delta in (0, 2, 1):
        b.append(delta, ts, None, b"v", [])
    out = bytearray(b.build())
    struct.pack_into(">i", out, 23, 2)
    struct.pack_into(">i", out, 57, 3)
    return fix_crc(out)


def too_large():
    return record_batch([b"x" * 3000])  # the topic's max.message.bytes is 2000


def too_old():
    return record_batch([b"a", b"b"], timestamp_ms=lambda i: now_ms() - (2 * HOUR_MS if i == 1 else 0))


def too_new():
    return record_batch([b"a"], timestamp_ms=now_ms() + 2 * HOUR_MS)


def truncated():
    return record_batch([b"a", b"b"])[:-3]


def two_batches():
    return record_batch([b"a"]) + record_batch([b"b"])


def tiny_size_field():
    b = record_batch([b"a"])
    struct.pack_into(">i", b, 8, 5)
    return b


CASES = {
    # name: (make batch, expected error, expected per-record error indexes or None)
    "bad_crc": (bad_crc, CORRUPT_MESSAGE, None),
    "magic_7": (magic(7), CORRUPT_MESSAGE, None),
    "magic_negative": (magic(-1), CORRUPT_MESSAGE, None),
    "magic_1": (magic(1), INVALID_RECORD, None),
    "base_offset_not_zero": (base_offset_not_zero, INVALID_RECORD, None),
    "count_below_offset_range": (count_below_offset_range, INVALID_RECORD, None),
    "fewer_records_than_claimed": (fewer_records_than_claimed, INVALID_RECORD, None),
    "overlapping_offsets": (overlapping_offsets, INVALID_RECORD, None),
    "non_monotonic_offsets": (non_monotonic_offsets, INVALID_RECORD, None),
    "larger_than_max_message_bytes": (too_large, MESSAGE_TOO_LARGE, None),
    "timestamp_before_max_ms": (too_old, INVALID_TIMESTAMP, [1]),
    "timestamp_after_max_ms": (too_new, INVALID_TIMESTAMP, [0]),
    "truncated_batch": (truncated, INVALID_RECORD, None),
    "two_batches": (two_batches, INVALID_RECORD, None),
    "size_below_any_header": (tiny_size_field, CORRUPT_MESSAGE, None),
    "null_records": (lambda: None, INVALID_RECORD, None),
}

# Kafka rewrites a batch whose inner offsets are out of order (it does not reject it); Tributary stores
# batches as sent and refuses them instead (docs/compatibility.md). Null records make Kafka 4.4 fail with
# a NullPointerException and never answer; Tributary answers INVALID_RECORD.
TRIBUTARY_ONLY = {"overlapping_offsets", "non_monotonic_offsets", "null_records"}


def high_watermark(conn, topic, correlation_id):
    conn.send(fetch_request(topic, 0, 0, correlation_id))
    cid, error, hw, _ = parse_fetch_response(conn.recv_frame())
    assert (cid, error) == (correlation_id, NONE)
    return hw


@pytest.mark.parametrize("case", list(CASES))
def test_bad_batch_gets_kafkas_error_and_others_are_still_served(cluster, case):  # noqa: F811
    if cluster.kind == "kafka" and case in TRIBUTARY_ONLY:
        pytest.skip("Kafka does not refuse this batch (see TRIBUTARY_ONLY)")
    make, expected, record_errors = CASES[case]
    topic = create_topic(cluster.bootstrap, unique_topic("bad-batch"), 1, {
        "max.message.bytes": "2000", "message.timestamp.before.max.ms": str(HOUR_MS)})

    bad = Connection(cluster.host, cluster.port)
    bad.send(produce_request(topic, 0, make(), correlation_id=7))
    cid, parts = parse_produce_response(bad.recv_frame())
    assert cid == 7 and len(parts) == 1
    _, _, error, base, errors, message = parts[0]
    assert error == expected, f"{case}: error {error} ({message}), expected {expected}\n{cluster.log_excerpt()}"
    assert base == -1
    if record_errors is not None:
        assert [i for i, _ in errors] == record_errors, errors
    # The same connection still works: the batch was refused, not the client.
    bad.send(produce_request(topic, 0, record_batch([b"after"]), correlation_id=8))
    cid, parts = parse_produce_response(bad.recv_frame())
    assert (cid, parts[0][2], parts[0][3]) == (8, NONE, 0)

    # A well-behaved second client is served, and only the good records are in the log.
    good = Connection(cluster.host, cluster.port)
    good.send(produce_request(topic, 0, record_batch([b"good", b"records"]), correlation_id=9))
    cid, parts = parse_produce_response(good.recv_frame())
    assert (cid, parts[0][2], parts[0][3]) == (9, NONE, 1)
    assert high_watermark(good, topic, 10) == 3
    bad.close()
    good.close()
