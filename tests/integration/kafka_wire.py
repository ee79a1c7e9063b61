"""A deliberately small raw-socket Kafka client for protocol edge cases that real clients never send
(unsupported versions, hostile frames, deep pipelining). Everything ordinary is tested with real clients.
"""
import socket
import struct


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def request_header(api_key: int, version: int, correlation_id: int, client_id="wire-test", flexible=False) -> bytes:
    out = struct.pack(">hhi", api_key, version, correlation_id)
    if client_id is None:
        out += struct.pack(">h", -1)
    else:
        cid = client_id.encode()
        out += struct.pack(">h", len(cid)) + cid
    if flexible:
        out += b"\x00"  # no tagged fields
    return out


def uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def compact_string(s: str) -> bytes:
    b = s.encode()
    return uvarint(len(b) + 1) + b


def api_versions_request(version: int, correlation_id: int, software=("wire-test", "1.0")) -> bytes:
    flexible = version >= 3
    body = b""
    if flexible:
        body = compact_string(software[0]) + compact_string(software[1]) + b"\x00"
    return frame(request_header(18, version, correlation_id, flexible=flexible) + body)


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("short response")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def int8(self): return struct.unpack(">b", self.take(1))[0]
    def int16(self): return struct.unpack(">h", self.take(2))[0]
    def int32(self): return struct.unpack(">i", self.take(4))[0]
    def int64(self): return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def parse_api_versions_response(payload: bytes, version: int):
    """Returns (correlation_id, error_code, {api_key: (min, max)}). The header is always v0."""
    r = Reader(payload)
    correlation_id = r.int32()
    error = r.int16()
    n = r.uvarint() - 1 if version >= 3 else r.int32()
    apis = {}
    for _ in range(n):
        key, lo, hi = r.int16(), r.int16(), r.int16()
        if version >= 3:
            r.skip_tags()
        apis[key] = (lo, hi)
    if version >= 1:
        r.int32()  # throttle_time_ms
    if version >= 3:
        r.skip_tags()
    assert r.pos == len(payload), f"{len(payload) - r.pos} trailing bytes"
    return correlation_id, error, apis


class Connection:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def send(self, data: bytes):
        self.sock.sendall(data)

    def recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed by broker")
            buf += chunk
        return bytes(buf)

    def recv_frame(self) -> bytes:
        (size,) = struct.unpack(">i", self.recv_exact(4))
        return self.recv_exact(size)

    def is_closed_by_peer(self, timeout=10.0) -> bool:
        """True iff the broker closes the connection (EOF or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(4096)
                if not data:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


# --- Produce and Fetch, for hostile batches and misbehaving clients ---------------------------------

def string(s) -> bytes:
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def record_batch(values, timestamp_ms=None, codec=0, producer_id=-1, base_sequence=-1) -> bytearray:
    """A valid magic-2 batch (kafka-python's builder) of `values` (bytes), offsets 0..n-1."""
    import time
    from kafka.record.default_records import DefaultRecordBatchBuilder
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=False,
                                  producer_id=producer_id, producer_epoch=0 if producer_id >= 0 else -1,
                                  base_sequence=base_sequence, batch_size=1 << 30)
    for i, v in enumerate(values):
        b.append(i, ts if not callable(ts) else ts(i), None, v, [])
    return bytearray(b.build())


def crc32c(data: bytes) -> int:
    from kafka.record.util import calc_crc32c
    return calc_crc32c(bytes(data))


def fix_crc(batch: bytearray) -> bytearray:
    """Recomputes the CRC after a deliberate edit, so only the edit is wrong."""
    struct.pack_into(">I", batch, 17, crc32c(batch[21:]))
    return batch


def produce_request(topic, partition, records, correlation_id, acks=-1, timeout_ms=30000, version=8) -> bytes:
    """Produce v3-v8 (not flexible): one topic, one partition."""
    assert 3 <= version <= 8
    body = string(None) + struct.pack(">hi", acks, timeout_ms)
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1)
    body += struct.pack(">i", partition)
    body += struct.pack(">i", -1) if records is None else struct.pack(">i", len(records)) + bytes(records)
    return frame(request_header(0, version, correlation_id) + body)


def parse_produce_response(payload: bytes, version=8):
    """Returns (correlation_id, [(topic, partition, error, base_offset, record_errors, message)])."""
    r = Reader(payload)
    cid = r.int32()
    out = []
    for _ in range(r.int32()):
        topic = r.take(r.int16()).decode()
        for _ in range(r.int32()):
            partition, error, base = r.int32(), r.int16(), r.int64()
            if version >= 2:
                r.int64()  # log_append_time
            if version >= 5:
                r.int64()  # log_start_offset
            record_errors, message = [], None
            if version >= 8:
                for _ in range(r.int32()):
                    idx = r.int32()
                    n = r.int16()
                    record_errors.append((idx, None if n < 0 else r.take(n).decode()))
                n = r.int16()
                message = None if n < 0 else r.take(n).decode()
            out.append((topic, partition, error, base, record_errors, message))
    return cid, out


def fetch_request(topic, partition, offset, correlation_id, max_wait_ms=0, min_bytes=0, max_bytes=50 << 20,
                  partition_max_bytes=50 << 20) -> bytes:
    """Fetch v4 (not flexible): one topic, one partition."""
    body = struct.pack(">iiiib", -1, max_wait_ms, min_bytes, max_bytes, 0)
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1)
    body += struct.pack(">iqi", partition, offset, partition_max_bytes)
    return frame(request_header(1, 4, correlation_id) + body)


def parse_fetch_response(payload: bytes):
    """Fetch v4: returns (correlation_id, error, high_watermark, records bytes) of the first partition."""
    r = Reader(payload)
    cid = r.int32()
    r.int32()  # throttle
    assert r.int32() == 1
    r.take(r.int16())
    assert r.int32() == 1
    _, error, hw = r.int32(), r.int16(), r.int64()
    r.int64()  # last stable offset
    n = r.int32()
    for _ in range(max(n, 0)):
        r.int64(), r.int64()
    size = r.int32()
    records = b"" if size < 0 else r.take(size)
    return cid, error, hw, records


def broker_rss_bytes(pid: int) -> int:
    """The resident set size of process `pid` (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")
