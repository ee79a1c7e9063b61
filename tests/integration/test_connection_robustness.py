"""Frames the broker cannot trust close that one connection and nothing else; pipelined requests are
answered in order."""
import struct

from kafka_wire import Connection, api_versions_request, frame, parse_api_versions_response, request_header


def assert_still_serving(broker):
    c = Connection(broker.host, broker.port)
    c.send(api_versions_request(3, correlation_id=1))
    _, error, _ = parse_api_versions_response(c.recv_frame(), 3)
    assert error == 0
    c.close()


def test_oversized_frame_closes_only_that_connection(broker):
    bystander = Connection(broker.host, broker.port)
    bad = Connection(broker.host, broker.port)
    bad.send(struct.pack(">i", 200 * 1024 * 1024))  # above socket.request.max.bytes (100 MiB)
    assert bad.is_closed_by_peer()
    bystander.send(api_versions_request(2, correlation_id=5))
    cid, error, _ = parse_api_versions_response(bystander.recv_frame(), 2)
    assert (cid, error) == (5, 0)


def test_negative_frame_size_closes_the_connection(broker):
    bad = Connection(broker.host, broker.port)
    bad.send(struct.pack(">i", -5))
    assert bad.is_closed_by_peer()
    assert_still_serving(broker)


def test_unknown_api_key_closes_the_connection(broker):
    bad = Connection(broker.host, broker.port)
    bad.send(frame(request_header(9999, 0, 1)))
    assert bad.is_closed_by_peer()
    assert_still_serving(broker)


def test_known_but_unserved_api_closes_the_connection(broker):
    bad = Connection(broker.host, broker.port)
    bad.send(frame(request_header(43, 2, 1, flexible=True) + b"\x00" * 16))  # ElectLeaders: not served
    assert bad.is_closed_by_peer()
    assert_still_serving(broker)


def test_truncated_header_closes_the_connection(broker):
    bad = Connection(broker.host, broker.port)
    bad.send(frame(b"\x00\x03"))
    assert bad.is_closed_by_peer()
    assert_still_serving(broker)


def test_garbage_metadata_body_closes_the_connection(broker):
    bad = Connection(broker.host, broker.port)
    # Metadata v1 with a topic count of 2^31-1 and nothing behind it.
    bad.send(frame(request_header(3, 1, 1) + struct.pack(">i", 0x7FFFFFFF)))
    assert bad.is_closed_by_peer()
    assert_still_serving(broker)


def test_client_vanishing_mid_frame_does_not_disturb_others(broker):
    bad = Connection(broker.host, broker.port)
    bad.send(struct.pack(">i", 1000) + b"\x00" * 10)
    bad.close()
    assert_still_serving(broker)


def test_pipelined_requests_are_answered_in_order(broker):
    c = Connection(broker.host, broker.port)
    versions = [i % 5 for i in range(200)]
    c.send(b"".join(api_versions_request(v, correlation_id=1000 + i) for i, v in enumerate(versions)))
    for i, v in enumerate(versions):
        cid, error, _ = parse_api_versions_response(c.recv_frame(), v)
        assert (cid, error) == (1000 + i, 0)
