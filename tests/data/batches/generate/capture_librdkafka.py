"""Captures the record batches librdkafka (through confluent-kafka) sends in Produce requests.

A minimal listener on 127.0.0.1 answers ApiVersions (v3), Metadata (v4) and Produce (v7) just enough for
one producer to send one batch per compression codec to partition 0 of topic "t"; each batch is saved
as librdkafka-<codec>.bin. See ../README.md.

    pip install confluent-kafka==2.16.1
    python3 capture_librdkafka.py ..
"""
import os
import socket
import struct
import sys
import threading

from confluent_kafka import Producer, libversion

BASE_TIMESTAMP = 1700000000000
API_PRODUCE, API_FETCH, API_METADATA, API_FIND_COORDINATOR, API_VERSIONS = 0, 1, 3, 10, 18
captured = []


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def string(self):
        n = self.take(">h")
        s = self.data[self.pos:self.pos + max(n, 0)]
        self.pos += max(n, 0)
        return None if n < 0 else s.decode()

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7


def handle(api_key, version, r, port):
    if api_key == API_VERSIONS:
        # v3 body is flexible: error, compact array of (key, min, max, tags), throttle, tags.
        # Fetch and FindCoordinator are never called, but librdkafka infers features from them: it
        # writes magic 2 batches (and zstd) only to a broker with Fetch v4 (v10) next to Produce v3 (v7),
        # and lz4 only if FindCoordinator is listed.
        apis = [(API_PRODUCE, 3, 7), (API_FETCH, 4, 10), (API_METADATA, 0, 4), (API_FIND_COORDINATOR, 0, 2),
                (API_VERSIONS, 0, 3)]
        body = struct.pack(">hB", 0, len(apis) + 1)
        for key, lo, hi in apis:
            body += struct.pack(">hhhB", key, lo, hi, 0)
        return body + struct.pack(">iB", 0, 0)
    if api_key == API_METADATA:
        body = struct.pack(">i", 0)  # throttle
        body += struct.pack(">i", 1) + struct.pack(">i", 1) + string("127.0.0.1") + struct.pack(">i", port)
        body += struct.pack(">h", -1)  # rack: null
        body += struct.pack(">h", -1) + struct.pack(">i", 1)  # cluster id null, controller 1
        body += struct.pack(">i", 1) + struct.pack(">h", 0) + string("t") + struct.pack(">?", False)
        body += struct.pack(">i", 1) + struct.pack(">hiii", 0, 0, 1, 1) + struct.pack(">i", 1) + struct.pack(">ii", 1, 1)
        return body
    if api_key == API_PRODUCE:
        r.string()  # transactional id
        r.take(">h")
        r.take(">i")
        topics = r.take(">i")
        body = struct.pack(">i", topics)
        for _ in range(topics):
            name = r.string()
            parts = r.take(">i")
            body += string(name) + struct.pack(">i", parts)
            for _ in range(parts):
                index = r.take(">i")
                size = r.take(">i")
                captured.append(r.data[r.pos:r.pos + size])
                r.pos += size
                body += struct.pack(">ihqqq", index, 0, 0, -1, 0)
        return body + struct.pack(">i", 0)
    raise ValueError("unexpected api %d v%d" % (api_key, version))


def serve(listener, port):
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=connection, args=(conn, port), daemon=True).start()


def connection(conn, port):
    try:
        while True:
            size = struct.unpack(">i", read_exact(conn, 4))[0]
            r = Reader(read_exact(conn, size))
            api_key, version, correlation = r.take(">h"), r.take(">h"), r.take(">i")
            r.string()  # client id
            if api_key == API_VERSIONS and version >= 3:
                r.uvarint()  # header tagged fields
            body = handle(api_key, version, r, port)
            frame = struct.pack(">i", correlation) + body
            conn.sendall(struct.pack(">i", len(frame)) + frame)
    except (EOFError, ConnectionError):
        conn.close()


def main(out_dir):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    threading.Thread(target=serve, args=(listener, port), daemon=True).start()
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        p = Producer({"bootstrap.servers": "127.0.0.1:%d" % port, "compression.codec": codec,
                      "linger.ms": 1000, "enable.idempotence": False, "acks": 1,
                      "broker.address.family": "v4"})
        for i in range(300):  # the records of JavaBatches.java's "large" batches
            ts = BASE_TIMESTAMP + (-5 if i % 4 == 2 else 10 * i)
            key = None if i % 5 == 3 else ("key-%d" % i).encode()
            value = None if i % 7 == 6 else (("value-%d " % i) * 20).encode()
            headers = [("trace", ("t%d" % i).encode()), ("empty", None)] if i % 3 == 0 else None
            p.produce("t", value=value, key=key, partition=0, timestamp=ts, headers=headers)
        assert p.flush(30) == 0, "not all messages were acknowledged"
        assert len(captured) == 1, "expected one batch, got %d" % len(captured)
        with open(os.path.join(out_dir, "librdkafka-%s.bin" % codec), "wb") as f:
            f.write(captured.pop())
    print("librdkafka", libversion()[0])


if __name__ == "__main__":
    main(sys.argv[1])
