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
