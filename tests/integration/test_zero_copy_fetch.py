"""Fetch responses whose records go from the segment files to the socket with sendfile: the bytes are
exactly the stored batches, a response still queued when its topic is deleted is sent whole (the response
holds the file open), and a client that disconnects in the middle of one costs the broker nothing."""
import os
import socket
import struct
import time

from helpers import create_topic, eventually, unique_topic, admin
from kafka_wire import (Connection, api_versions_request, fetch_request, parse_api_versions_response,
                        parse_fetch_response, produce_request, parse_produce_response, record_batch)


def produce_batches(broker, topic, batches, values_per_batch, value_size):
    c = Connection(broker.host, broker.port, timeout=60)
    for i in range(batches):
        values = [bytes([65 + (i + j) % 26]) * value_size for j in range(values_per_batch)]
        c.send(produce_request(topic, 0, record_batch(values), correlation_id=i))
        _, [(_, _, error, base, _, _)] = parse_produce_response(c.recv_frame())
        assert error == 0 and base == i * values_per_batch
    c.close()


def batches_in(records: bytes):
    """(base_offset, last_offset_delta, values) of every whole batch; asserts there is no partial one."""
    from kafka.record.default_records import DefaultRecordBatch
    out, pos = [], 0
    while pos < len(records):
        base, length = struct.unpack_from(">qi", records, pos)
        end = pos + 12 + length
        assert end <= len(records), "a partial batch in the response"
        batch = DefaultRecordBatch(bytes(records[pos:end]))
        assert batch.validate_crc()
        out.append((base, [r.value for r in batch]))
        pos = end
    return out


def recv_frame_in_chunks(c):
    """recv_frame for a socket with a tiny receive buffer: bounded reads, not one recv of the whole size."""
    buf = bytearray()
    (size,) = struct.unpack(">i", c.recv_exact(4))
    while len(buf) < size:
        chunk = c.sock.recv(min(65536, size - len(buf)))
        assert chunk, "closed by broker"
        buf += chunk
    return bytes(buf)


def assert_still_serving(broker):
    c = Connection(broker.host, broker.port)
    c.send(api_versions_request(3, correlation_id=1))
    assert parse_api_versions_response(c.recv_frame(), 3)[1] == 0
    c.close()


def test_fetched_records_are_whole_stored_batches_within_the_limits(broker):
    topic = create_topic(broker.bootstrap, unique_topic("zc"))
    produce_batches(broker, topic, batches=40, values_per_batch=10, value_size=3000)
    c = Connection(broker.host, broker.port, timeout=60)
    for offset in (0, 5, 10, 137, 399):
        c.send(fetch_request(topic, 0, offset, correlation_id=offset))
        cid, error, hw, records = parse_fetch_response(c.recv_frame())
        assert (cid, error, hw) == (offset, 0, 400)
        got = batches_in(records)
        assert got[0][0] == offset // 10 * 10 and got[-1][0] == 390
        for base, values in got:
            i = base // 10
            assert values == [bytes([65 + (i + j) % 26]) * 3000 for j in range(10)]
    # A partition limit below one batch still returns that batch whole (KIP-74); a larger one returns
    # as many whole batches as fit.
    c.send(fetch_request(topic, 0, 0, correlation_id=1, partition_max_bytes=1000))
    assert [b for b, _ in batches_in(parse_fetch_response(c.recv_frame())[3])] == [0]
    c.send(fetch_request(topic, 0, 0, correlation_id=2, partition_max_bytes=100_000))
    assert [b for b, _ in batches_in(parse_fetch_response(c.recv_frame())[3])] == [0, 10, 20]
    c.close()


def test_a_queued_response_is_sent_whole_after_its_topic_is_deleted(broker):
    topic = create_topic(broker.bootstrap, unique_topic("zc-del"))
    produce_batches(broker, topic, batches=64, values_per_batch=8, value_size=16000)  # ~8 MiB
    c = Connection(broker.host, broker.port, timeout=60)
    # A small receive buffer, so the 8 MiB response stalls in the broker until it is read. (Much smaller
    # ones make loopback TCP crawl, with or without sendfile.)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    c.send(fetch_request(topic, 0, 0, correlation_id=7))
    time.sleep(0.5)
    a = admin(broker.bootstrap)
    a.delete_topics([topic])[topic].result(timeout=60)
    eventually(lambda: topic not in a.list_topics(timeout=10).topics, what=f"{topic} to be deleted")
    eventually(lambda: not any(d.startswith(topic) for d in os.listdir(broker.data_dir)),
               what="the partition directory to be removed")
    cid, error, hw, records = parse_fetch_response(recv_frame_in_chunks(c))
    assert (cid, error, hw) == (7, 0, 512)
    got = batches_in(records)
    assert [b for b, _ in got] == list(range(0, 512, 8))
    c.close()
    assert_still_serving(broker)


def test_clients_vanishing_in_the_middle_of_large_fetch_responses(broker):
    topic = create_topic(broker.bootstrap, unique_topic("zc-rst"))
    produce_batches(broker, topic, batches=32, values_per_batch=8, value_size=16000)  # ~4 MiB
    for i in range(20):
        s = socket.create_connection((broker.host, broker.port), timeout=30)
        s.sendall(fetch_request(topic, 0, 0, correlation_id=i))
        s.recv(1000)  # the response has started
        if i % 2:  # a reset, or an orderly close
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    assert_still_serving(broker)
    assert broker.proc.poll() is None
