"""Resource limits against misbehaving clients (docs/operations.md): socket.request.max.bytes,
max.connections, max.connections.per.ip(.overrides), connections.max.idle.ms, queued.max.request.bytes
and clients that pipeline without reading their responses. Memory claims are checked on the broker's
resident set size. Each test also shows that a well-behaved client is still served."""
import pathlib
import socket
import struct
import threading
import time

import pytest

from conftest import Broker
from helpers import create_topic, eventually, unique_topic
from kafka_wire import (Connection, api_versions_request, broker_rss_bytes, fetch_request, frame,
                        parse_api_versions_response, parse_fetch_response, request_header)

MiB = 1 << 20


def start_broker(tmp_path, **props):
    """A broker with `props` (underscores for dots) in a server.properties given with --config."""
    config = tmp_path / "server.properties"
    config.write_text("".join(f"{k.replace('_', '.')}={v}\n" for k, v in props.items()))
    return Broker(tmp_path, extra_args=("--config", str(config))).start()


@pytest.fixture
def make_broker(tmp_path):
    started = []

    def make(**props):
        b = start_broker(tmp_path, **props)
        started.append(b)
        return b
    yield make
    for b in started:
        b.stop()


def served(broker, correlation_id=1, source=None, timeout=10.0) -> bool:
    """True iff a new connection (from `source` IP, if given) gets an ApiVersions answer."""
    try:
        sock = socket.create_connection((broker.host, broker.port), timeout=timeout,
                                        source_address=(source, 0) if source else None)
    except OSError:
        return False
    c = Connection.__new__(Connection)
    c.sock = sock
    try:
        c.send(api_versions_request(3, correlation_id))
        cid, error, _ = parse_api_versions_response(c.recv_frame(), 3)
        return (cid, error) == (correlation_id, 0)
    except (OSError, ConnectionError):
        return False
    finally:
        c.close()


def open_served(broker, source=None) -> Connection:
    """A connection that has been answered once (so the broker has admitted it), kept open."""
    sock = socket.create_connection((broker.host, broker.port), timeout=10,
                                    source_address=(source, 0) if source else None)
    c = Connection.__new__(Connection)
    c.sock = sock
    c.send(api_versions_request(3, 1))
    assert parse_api_versions_response(c.recv_frame(), 3)[1] == 0
    return c


def describe_broker_configs(bootstrap):
    from confluent_kafka.admin import AdminClient, ConfigResource
    a = AdminClient({"bootstrap.servers": bootstrap})
    res = ConfigResource(ConfigResource.Type.BROKER, "1")
    return a.describe_configs([res])[res].result(timeout=30)


# --- socket.request.max.bytes ---------------------------------------------------------------------

def test_socket_request_max_bytes_closes_a_larger_frame_and_serves_one_at_the_limit(make_broker):
    b = make_broker(socket_request_max_bytes=MiB)
    at_limit = Connection(b.host, b.port)
    # ApiVersions v0 padded to exactly the limit: Kafka ignores bytes after a request's fields.
    payload = request_header(18, 0, 3)
    at_limit.send(frame(payload + bytes(MiB - len(payload))))
    assert parse_api_versions_response(at_limit.recv_frame(), 0)[:2] == (3, 0)

    over = Connection(b.host, b.port)
    over.send(struct.pack(">i", MiB + 1))
    assert over.is_closed_by_peer()
    assert served(b)


def test_limits_are_reported_by_describe_configs(make_broker):
    b = make_broker(socket_request_max_bytes=2 * MiB, max_connections=1000, max_connections_per_ip=100,
                    connections_max_idle_ms=120000, queued_max_request_bytes=64 * MiB)
    got = describe_broker_configs(b.bootstrap)
    expect = {"socket.request.max.bytes": str(2 * MiB), "max.connections": "1000",
              "max.connections.per.ip": "100", "connections.max.idle.ms": "120000",
              "queued.max.request.bytes": str(64 * MiB)}
    for name, value in expect.items():
        assert got[name].value == value, (name, got[name].value)
        assert got[name].source == 4, (name, got[name].source)  # STATIC_BROKER_CONFIG
    assert got["max.connections.per.ip.overrides"].value in ("", None)
    assert got["max.connections.per.ip.overrides"].source == 5  # DEFAULT_CONFIG


# --- max.connections.per.ip and its overrides -----------------------------------------------------

def test_max_connections_per_ip_closes_the_extra_connection_and_overrides_apply(make_broker):
    b = make_broker(max_connections_per_ip=2, max_connections_per_ip_overrides="127.0.0.1:4")
    # 127.0.0.2 is loopback too but has no override: 2 connections.
    others = [open_served(b, source="127.0.0.2") for _ in range(2)]
    extra = socket.create_connection((b.host, b.port), timeout=10, source_address=("127.0.0.2", 0))
    extra_conn = Connection.__new__(Connection)
    extra_conn.sock = extra
    assert extra_conn.is_closed_by_peer(), "a third connection from 127.0.0.2 was kept"
    # 127.0.0.1 has an override of 4.
    mine = [open_served(b) for _ in range(4)]
    assert not served(b, correlation_id=5)
    # Closing one lets that address in again; the other address was never affected.
    mine.pop().close()
    eventually(lambda: served(b, correlation_id=6), timeout=10, what="a freed per-IP slot")
    for c in others + mine:
        c.close()


# --- max.connections --------------------------------------------------------------------------------

def test_max_connections_holds_a_new_connection_unserved_until_one_closes(make_broker):
    b = make_broker(max_connections=3)
    held = [open_served(b) for _ in range(3)]
    waiting = Connection(b.host, b.port, timeout=1.5)  # TCP connects (the listen backlog), unserved
    waiting.send(api_versions_request(3, 42))
    with pytest.raises(socket.timeout):
        waiting.recv_frame()
    held.pop().close()
    waiting.sock.settimeout(10)
    cid, error, _ = parse_api_versions_response(waiting.recv_frame(), 3)
    assert (cid, error) == (42, 0)
    for c in held + [waiting]:
        c.close()


# --- connections.max.idle.ms ------------------------------------------------------------------------

def test_idle_connections_are_closed_and_busy_ones_are_not(make_broker):
    b = make_broker(connections_max_idle_ms=1000)
    idle = open_served(b)
    busy = open_served(b)
    started = time.monotonic()
    stop = threading.Event()
    busy_errors = []

    def keep_busy():
        i = 100
        while not stop.is_set():
            try:
                busy.send(api_versions_request(3, i))
                assert parse_api_versions_response(busy.recv_frame(), 3)[:2] == (i, 0)
            except Exception as e:  # noqa: BLE001
                busy_errors.append(e)
                return
            i += 1
            time.sleep(0.2)

    t = threading.Thread(target=keep_busy)
    t.start()
    try:
        assert idle.is_closed_by_peer(timeout=15), "an idle connection was not closed"
        assert time.monotonic() - started >= 0.9
        time.sleep(1.5)  # the busy connection outlives the idle limit
    finally:
        stop.set()
        t.join()
    assert not busy_errors, busy_errors
    assert served(b)


# --- queued.max.request.bytes: back-pressure instead of memory --------------------------------------

def test_request_memory_is_bounded_when_many_clients_send_large_frames(make_broker):
    """100 clients each start an 8 MiB request and stall. Without a bound the broker would hold
    800 MiB; with queued.max.request.bytes=16 MiB it holds about that much and stops reading the
    rest. Then every client finishes its request and all are answered."""
    frame_size, clients = 8 * MiB, 100
    b = make_broker(queued_max_request_bytes=16 * MiB, socket_request_max_bytes=frame_size + 1024)
    baseline = broker_rss_bytes(b.proc.pid)
    header = request_header(18, 0, 0)
    body = bytes(frame_size - len(header))
    conns = []
    for i in range(clients):
        c = Connection(b.host, b.port, timeout=60)
        c.send(struct.pack(">i", frame_size) + struct.pack(">hhi", 18, 0, i) + header[8:] + body[:64 * 1024])
        conns.append(c)
    time.sleep(2)  # let the broker read whatever it will read
    grown = broker_rss_bytes(b.proc.pid) - baseline
    assert grown < 200 * MiB, f"broker RSS grew by {grown / MiB:.0f} MiB holding stalled requests"

    errors = []

    def finish(i, c):
        try:
            c.send(body[64 * 1024:])
            cid, error, _ = parse_api_versions_response(c.recv_frame(), 0)
            assert (cid, error) == (i, 0)
        except Exception as e:  # noqa: BLE001
            errors.append((i, e))

    threads = [threading.Thread(target=finish, args=(i, c)) for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    peak = 0
    while any(t.is_alive() for t in threads):
        peak = max(peak, broker_rss_bytes(b.proc.pid) - baseline)
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    print(f"\nstalled: +{grown / MiB:.0f} MiB; peak while finishing: +{peak / MiB:.0f} MiB "
          f"(unbounded: {clients * frame_size / MiB:.0f} MiB)")
    for c in conns:
        c.close()
    assert served(b)


# --- slow readers ---------------------------------------------------------------------------------

def test_a_client_that_never_reads_its_responses_does_not_grow_broker_memory(make_broker):
    """A client pipelines 100 Fetch requests that would each return 4 MiB and reads nothing: the
    broker stops reading its requests instead of building 400 MiB of responses. Other clients are
    served meanwhile; once the client reads, every response arrives in order."""
    from confluent_kafka import Producer
    b = make_broker()
    topic = create_topic(b.bootstrap, unique_topic("slow-reader"), 1, {"max.message.bytes": str(2 * MiB)})
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 50, "batch.size": MiB})
    value = b"v" * (100 * 1024)
    for _ in range(48):
        p.produce(topic, value=value, partition=0)
    assert p.flush(30) == 0
    del p

    baseline = broker_rss_bytes(b.proc.pid)
    slow = Connection(b.host, b.port, timeout=60)
    n = 100
    slow.send(b"".join(fetch_request(topic, 0, 0, 1000 + i, partition_max_bytes=4 * MiB, max_bytes=4 * MiB)
                       for i in range(n)))
    time.sleep(2)
    samples = []
    for _ in range(10):
        samples.append(broker_rss_bytes(b.proc.pid) - baseline)
        time.sleep(0.1)
    assert served(b), "another client was not served while one client stalled"
    grown = max(samples)
    assert grown < 100 * MiB, f"broker RSS grew by {grown / MiB:.0f} MiB for a client that does not read"

    for i in range(n):
        cid, error, hw, records = parse_fetch_response(slow.recv_frame())
        assert (cid, error, hw) == (1000 + i, 0, 48)
        assert len(records) > 3 * MiB
    print(f"\nslow reader: broker RSS +{grown / MiB:.0f} MiB (unbounded: {n * 4} MiB)")
    slow.close()


def test_a_flood_of_small_pipelined_requests_without_reading_is_bounded(make_broker):
    b = make_broker()
    baseline = broker_rss_bytes(b.proc.pid)
    flood = Connection(b.host, b.port, timeout=60)
    flood.sock.setblocking(False)
    request = api_versions_request(3, 7)
    sent, deadline = 0, time.monotonic() + 5
    chunk = request * 1000
    while time.monotonic() < deadline:
        try:
            sent += flood.sock.send(chunk)
        except BlockingIOError:
            time.sleep(0.05)  # the broker stopped reading us: back-pressure reached the client
    grown = broker_rss_bytes(b.proc.pid) - baseline
    # An ASan broker keeps freed memory in its quarantine (256 MiB by default): allow for it there.
    limit = 64 * MiB + (256 * MiB if b"__asan_init" in pathlib.Path(b.args[0]).read_bytes() else 0)
    assert grown < limit, f"broker RSS grew by {grown / MiB:.0f} MiB"
    assert served(b)
    flood.close()
