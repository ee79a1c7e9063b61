#!/usr/bin/env python3
"""Readiness probe for a Kafka-protocol broker (used by kafka.sh; stdlib only).

    probe.py ready HOST PORT [--timeout SECONDS] [--pid PID]
        Poll until the broker answers ApiVersions v0 without error and a Metadata v1 request lists at least
        one broker (i.e. the node registered with its controller and is serving). Exit 0 when ready, 1 on
        deadline, 2 if --pid dies first.
    probe.py free HOST PORT
        Exit 0 if nothing accepts TCP connections on HOST:PORT, 1 otherwise.

The requests are hand-encoded (non-flexible versions, which every Kafka since 0.10 and 4.x still serves)
so this needs no client library.
"""
import os
import socket
import struct
import sys
import time


def _frame(api_key, version, corr, body):
    client_id = b"kafka-ref-probe"
    header = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def _read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def _call(sock, api_key, version, corr, body):
    sock.sendall(_frame(api_key, version, corr, body))
    (size,) = struct.unpack(">i", _read_exact(sock, 4))
    resp = _read_exact(sock, size)
    (got_corr,) = struct.unpack(">i", resp[:4])
    if got_corr != corr:
        raise ConnectionError("correlation id mismatch")
    return resp[4:]


def probe_once(host, port):
    with socket.create_connection((host, port), timeout=2.0) as s:
        s.settimeout(5.0)
        body = _call(s, 18, 0, 1, b"")  # ApiVersions v0: error_code int16 first
        (err,) = struct.unpack(">h", body[:2])
        if err != 0:
            return False
        body = _call(s, 3, 1, 2, struct.pack(">i", -1))  # Metadata v1, all topics
        (nbrokers,) = struct.unpack(">i", body[:4])
        return nbrokers > 0


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def main(argv):
    if len(argv) < 4 or argv[1] not in ("ready", "free"):
        print(__doc__, file=sys.stderr)
        return 64
    host, port = argv[2], int(argv[3])
    if argv[1] == "free":
        try:
            socket.create_connection((host, port), timeout=1.0).close()
            return 1
        except OSError:
            return 0
    timeout, pid = 60.0, None
    rest = argv[4:]
    while rest:
        if rest[0] == "--timeout":
            timeout = float(rest[1]); rest = rest[2:]
        elif rest[0] == "--pid":
            pid = int(rest[1]); rest = rest[2:]
        else:
            print("unknown argument " + rest[0], file=sys.stderr)
            return 64
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        if pid is not None and not alive(pid):
            return 2
        try:
            if probe_once(host, port):
                return 0
        except (OSError, ConnectionError, struct.error):
            pass
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
