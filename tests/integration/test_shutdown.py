"""Graceful shutdown on SIGTERM/SIGINT: the broker stops accepting, answers the requests it has
already read (an acks=all Produce in flight is acknowledged, and what it acknowledged is on disk
after a restart), closes its logs and exits 0 within a bounded time."""
import errno
import signal
import socket
import threading
import time

import pytest

from conftest import Broker
from helpers import create_topic, eventually, unique_topic
from kafka_wire import (Connection, fetch_request, parse_fetch_response, parse_produce_response, produce_request,
                        record_batch)


def broker_has_read_everything(broker, client: Connection) -> bool:
    """True iff the broker's end of `client` has nothing left unread in its receive queue
    (/proc/net/tcp, loopback: both ends are on this machine)."""
    client_port = client.sock.getsockname()[1]
    want_local = f":{broker.port:04X}"
    want_remote = f":{client_port:04X}"
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, queues = fields[1], fields[2], fields[4]
            if local.endswith(want_local) and remote.endswith(want_remote):
                return int(queues.split(":")[1], 16) == 0
    return False


def refused(broker) -> bool:
    try:
        socket.create_connection((broker.host, broker.port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True
    except OSError as e:
        return e.errno == errno.ECONNREFUSED


def read_partition(broker, topic):
    from kafka.record.memory_records import MemoryRecords
    c = Connection(broker.host, broker.port)
    out, offset = {}, 0
    while True:
        c.send(fetch_request(topic, 0, offset, 1))
        _, error, hw, records = parse_fetch_response(c.recv_frame())
        assert error == 0
        m = MemoryRecords(records)
        got = False
        while (batch := m.next_batch()) is not None:
            for r in batch:
                out[r.offset] = r.value
                offset = r.offset + 1
                got = True
        if offset >= hw or not got:
            c.close()
            return out, hw


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_stops_accepting_and_answers_the_request_in_flight(broker, signo):
    topic = create_topic(broker.bootstrap, unique_topic("drain"), 1)
    c = Connection(broker.host, broker.port, timeout=30)
    # A long-polling Fetch on an empty partition: the broker holds it for max_wait_ms.
    c.send(fetch_request(topic, 0, 0, 77, max_wait_ms=4000, min_bytes=1))
    eventually(lambda: broker_has_read_everything(broker, c), timeout=10, what="the broker to read the Fetch")
    started = time.monotonic()
    broker.proc.send_signal(signo)
    eventually(lambda: refused(broker), timeout=10, what="new connections to be refused")
    cid, error, hw, _ = parse_fetch_response(c.recv_frame())
    assert (cid, error, hw) == (77, 0, 0)
    assert c.is_closed_by_peer(timeout=10)
    code = broker.proc.wait(timeout=20)
    elapsed = time.monotonic() - started
    broker.proc = None  # stopped here, not by the fixture
    assert code == 0, broker.output()
    assert elapsed < 15, f"shutdown took {elapsed:.1f} s"
    assert "AddressSanitizer" not in broker.output()


def test_sigterm_during_acks_all_production_loses_nothing_acknowledged(tmp_path):
    b = Broker(tmp_path).start()
    try:
        topic = create_topic(b.bootstrap, unique_topic("shutdown"), 1)
        acked = {}  # base offset -> values
        errors = []
        sent_after_signal = threading.Event()
        signalled = threading.Event()
        acked_after_signal = [0]

        def produce():
            c = Connection(b.host, b.port, timeout=30)
            inflight = []
            i = 0
            try:
                while True:
                    while len(inflight) < 5:
                        values = [f"r{i}-{k}".encode() for k in range(20)]
                        c.send(produce_request(topic, 0, record_batch(values), correlation_id=i, acks=-1))
                        inflight.append((i, values))
                        if signalled.is_set():
                            sent_after_signal.set()
                        i += 1
                    cid, parts = parse_produce_response(c.recv_frame())
                    want, values = inflight.pop(0)
                    assert cid == want
                    _, _, error, base, _, message = parts[0]
                    if error != 0:
                        errors.append((cid, error, message))
                        return
                    acked[base] = values
                    if signalled.is_set():
                        acked_after_signal[0] += 1
            except (ConnectionError, OSError):
                return  # the broker closed the connection: shutdown

        t = threading.Thread(target=produce)
        t.start()
        eventually(lambda: len(acked) >= 200, timeout=60, what="200 acknowledged batches")
        started = time.monotonic()
        signalled.set()
        b.proc.send_signal(signal.SIGTERM)
        code = b.proc.wait(timeout=30)
        elapsed = time.monotonic() - started
        t.join(timeout=30)
        assert code == 0, b.output()
        assert elapsed < 15, f"shutdown took {elapsed:.1f} s"
        assert not errors, errors
        print(f"\n{len(acked)} batches acknowledged, {acked_after_signal[0]} of them after SIGTERM; "
              f"exit 0 after {elapsed:.2f} s")

        b.start()  # same port and data directory
        records, hw = read_partition(b, topic)
        for base, values in acked.items():
            for k, v in enumerate(values):
                assert records.get(base + k) == v, f"acknowledged record at offset {base + k} lost"
        assert hw >= 20 * len(acked)
    finally:
        b.stop()
