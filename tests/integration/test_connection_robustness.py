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


# --- More hostile frames: each closes its own connection while a second client keeps being served ---

def assert_closed_while_other_client_served(broker, payload: bytes):
    bystander = Connection(broker.host, broker.port)
    bystander.send(api_versions_request(3, correlation_id=1))  # connected and served before the attack
    assert parse_api_versions_response(bystander.recv_frame(), 3)[1] == 0
    bad = Connection(broker.host, broker.port)
    bad.send(payload)
    assert bad.is_closed_by_peer(), "the broker kept a connection that sent an unparseable frame"
    bystander.send(api_versions_request(3, correlation_id=2))
    cid, error, _ = parse_api_versions_response(bystander.recv_frame(), 3)
    assert (cid, error) == (2, 0)
    assert_still_serving(broker)


def test_frame_smaller_than_a_header_size_closes_the_connection(broker):
    assert_closed_while_other_client_served(broker, struct.pack(">i", 2) + b"\x00\x03")


def test_unknown_version_of_a_known_api_closes_the_connection(broker):
    # Metadata v99: no schema has it, so no header layout can be trusted.
    assert_closed_while_other_client_served(broker, frame(request_header(3, 99, 1) + b"\x00" * 8))


def test_advertised_but_refused_produce_version_closes_the_connection(broker):
    # Produce v2 is advertised for librdkafka's sake (KAFKA-18659) but served only from v3.
    assert_closed_while_other_client_served(broker, frame(request_header(0, 2, 1) + b"\x00" * 16))


def test_huge_array_count_closes_the_connection(broker):
    # Produce v3: no transactional id, acks -1, timeout, then 2^31-1 topics with nothing behind them.
    body = struct.pack(">hhii", -1, -1, 30000, 0x7FFFFFFF)
    assert_closed_while_other_client_served(broker, frame(request_header(0, 3, 1) + body))


def test_huge_compact_array_count_closes_the_connection(broker):
    # Metadata v12 (flexible): a compact topic array of 2^31-2 entries with three bytes behind it.
    body = b"\xff\xff\xff\xff\x07" + b"\x00\x00\x00"
    assert_closed_while_other_client_served(broker, frame(request_header(3, 12, 1, flexible=True) + body))


def test_negative_array_count_closes_the_connection(broker):
    # Produce v3 with -5 topics (a non-nullable array).
    body = struct.pack(">hhii", -1, -1, 30000, -5)
    assert_closed_while_other_client_served(broker, frame(request_header(0, 3, 1) + body))


def test_negative_string_length_closes_the_connection(broker):
    # Metadata v1 with one topic whose name length is -5.
    body = struct.pack(">ih", 1, -5)
    assert_closed_while_other_client_served(broker, frame(request_header(3, 1, 1) + body))


def test_negative_topic_name_length_in_produce_closes_the_connection(broker):
    body = struct.pack(">hhi", -1, -1, 30000) + struct.pack(">i", 1) + struct.pack(">h", -5)
    assert_closed_while_other_client_served(broker, frame(request_header(0, 3, 1) + body))


# Stricter than Kafka (docs/compatibility.md): Kafka reads any negative length of a nullable field as
# null; Tributary accepts only -1 and closes the connection otherwise.

def test_nullable_client_id_with_length_below_minus_one_closes_the_connection(broker):
    assert_closed_while_other_client_served(broker, frame(struct.pack(">hhih", 18, 2, 1, -7)))


def test_nullable_records_with_length_below_minus_one_closes_the_connection(broker):
    body = struct.pack(">hhi", -1, -1, 30000) + struct.pack(">i", 1) + struct.pack(">h", 1) + b"t"
    body += struct.pack(">iii", 1, 0, -9)  # one partition, index 0, records length -9
    assert_closed_while_other_client_served(broker, frame(request_header(0, 3, 1) + body))


def test_frame_longer_than_its_request_is_served_or_closed_but_never_crashes(broker):
    # ApiVersions v2 followed by junk inside the same frame: Kafka ignores trailing bytes.
    c = Connection(broker.host, broker.port)
    c.send(frame(request_header(18, 2, 4) + b"\xde\xad\xbe\xef" * 8))
    try:
        cid, error, _ = parse_api_versions_response(c.recv_frame(), 2)
        assert (cid, error) == (4, 0)
    except ConnectionError:
        pass
    assert_still_serving(broker)


def test_random_bodies_for_every_served_api_never_take_the_broker_down(broker):
    """Seeded random garbage after a valid header, for every API and version the broker advertises:
    each request is answered or its connection closed, and the broker keeps serving."""
    import random
    rng = random.Random(20261126)
    probe = Connection(broker.host, broker.port)
    probe.send(api_versions_request(3, correlation_id=1))
    _, _, apis = parse_api_versions_response(probe.recv_frame(), 3)
    probe.close()
    flexible_from = {0: 9, 1: 12, 2: 6, 3: 9, 18: 3, 19: 5, 20: 4, 21: 2, 22: 2, 32: 4, 33: 2, 35: 2, 37: 2,
                     44: 1, 60: 0, 61: 0}
    sent = 0
    for key, (lo, hi) in sorted(apis.items()):
        for version in range(lo, hi + 1):
            for _ in range(3):
                garbage = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 7, 40, 300])))
                flexible = version >= flexible_from.get(key, 99)
                c = Connection(broker.host, broker.port, timeout=2)
                c.send(frame(request_header(key, version, 99, flexible=flexible) + garbage))
                try:
                    c.recv_frame()  # answered (garbage can decode as a valid request)
                except (ConnectionError, OSError):
                    pass  # closed: the frame could not be parsed
                c.close()
                sent += 1
    assert sent > 100
    assert_still_serving(broker)
