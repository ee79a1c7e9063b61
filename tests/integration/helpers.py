"""Shared helpers for the real-client integration tests (produce/consume, Kafka's tools, durability,
franz-go).

Which broker the tests talk to
------------------------------
By default every test starts Tributary through conftest's `broker` fixture (fresh process, free port,
fresh data directory). Set TRIBUTARY_REFERENCE_KAFKA=host:port to run the same tests against an
already running reference Apache Kafka instead (tools/kafka-ref/kafka.sh start DIR PORT): that is how
each test is shown to be correct before Tributary is asked to pass it. Tests that must kill and
restart the broker (test_durability.py) start their own reference Kafka with kafka.sh in that mode.

Size
----
Tests default to a CI size (each well under a minute against Kafka). TRIBUTARY_SOAK=1 scales them up
(more records, more kill rounds), TRIBUTARY_TEST_SCALE=0.2 scales the CI size down (sanitizer builds);
see `scaled`.

No fixed sleeps as synchronisation: wait with `eventually` (a deadline and a predicate).
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import struct
import subprocess
import time
import uuid
import zlib
from typing import Callable, Iterable, Optional

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
KAFKA_REF = ROOT / "tools" / "kafka-ref"
REFERENCE_ENV = "TRIBUTARY_REFERENCE_KAFKA"
SOAK_ENV = "TRIBUTARY_SOAK"
SCALE_ENV = "TRIBUTARY_TEST_SCALE"
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


# ---------------------------------------------------------------------------------------------------
# Target broker


def reference_bootstrap() -> Optional[str]:
    value = os.environ.get(REFERENCE_ENV, "").strip()
    return value or None


def soak() -> bool:
    return os.environ.get(SOAK_ENV, "") not in ("", "0")


def scaled(ci: int, soak_value: int) -> int:
    """`ci` normally, `soak_value` when TRIBUTARY_SOAK is set. TRIBUTARY_TEST_SCALE (a factor, e.g. 0.2
    for a slow sanitizer build) multiplies the CI size."""
    if soak():
        return soak_value
    factor = float(os.environ.get(SCALE_ENV, "1") or "1")
    return max(1, int(ci * factor))


@dataclasses.dataclass
class Target:
    """The broker under test: Tributary (with its process and log) or a reference Kafka address."""
    bootstrap: str
    kind: str  # "tributary" or "kafka"
    broker: object = None  # conftest.Broker when kind == "tributary"

    @property
    def host(self) -> str:
        return self.bootstrap.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.bootstrap.rsplit(":", 1)[1])

    def log_excerpt(self, lines: int = 60) -> str:
        """The tail of the broker's log, for assertion messages (empty for a reference Kafka)."""
        if self.broker is None:
            return f"(reference Kafka at {self.bootstrap}: see its logs/server.log)"
        exited = self.broker.proc.poll()
        try:
            text = self.broker.output()
        except Exception as e:  # the log may be closed already
            return f"(broker log unavailable: {e})"
        tail = text.splitlines()[-lines:]
        status = "running" if exited is None else f"EXITED with {exited}"
        return "--- broker %s; log (last %d lines) ---\n%s" % (status, len(tail), "\n".join(tail))


@pytest.fixture
def cluster(request):
    """The broker under test: Tributary started by conftest's `broker` fixture, or the reference Kafka
    named by $TRIBUTARY_REFERENCE_KAFKA."""
    ref = reference_bootstrap()
    if ref:
        yield Target(ref, "kafka")
        return
    b = request.getfixturevalue("broker")
    yield Target(b.bootstrap, "tributary", b)
    # conftest's teardown only stops a running broker: a broker that died during the test must fail it.
    if b.proc.poll() is not None:
        pytest.fail(f"the broker died during the test (exit code {b.proc.returncode}):\n{b.output()[-5000:]}",
                    pytrace=False)


# ---------------------------------------------------------------------------------------------------
# Waiting


def eventually(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition",
               interval: float = 0.1):
    """Calls `predicate` until it returns a truthy value (returned) or the deadline passes. Exceptions
    raised by the predicate count as "not yet"; the last one is reported on timeout."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last_error = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f"; last error: {last_error!r}" if last_error else ""))
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------------
# Topics (through a real admin client: confluent-kafka / librdkafka)


def unique_topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def admin(bootstrap: str):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap})


def topic_partitions(bootstrap: str, topic: str, timeout: float = 10.0) -> Optional[dict]:
    """{partition: leader} from Metadata, or None if the topic is unknown or has an error."""
    md = admin(bootstrap).list_topics(topic=topic, timeout=timeout)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return None
    return {p.id: p.leader for p in t.partitions.values()}


def create_topic(bootstrap: str, topic: str, partitions: int = 1, configs: Optional[dict] = None,
                 timeout: float = 30.0) -> str:
    """CreateTopics (replication factor 1), then waits until Metadata shows every partition with a
    leader."""
    from confluent_kafka.admin import NewTopic
    a = admin(bootstrap)
    futures = a.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1,
                                        config=dict(configs or {}))], operation_timeout=timeout,
                              request_timeout=timeout)
    futures[topic].result(timeout=timeout + 5)

    def ready():
        parts = topic_partitions(bootstrap, topic)
        return parts is not None and len(parts) == partitions and all(l >= 0 for l in parts.values())

    eventually(ready, timeout=timeout, what=f"topic {topic} with {partitions} partitions and leaders")
    return topic


def end_offsets(bootstrap: str, topic: str, partitions: int, timeout: float = 30.0) -> dict:
    """{partition: (low, high)} watermarks (ListOffsets earliest/latest) through librdkafka. Errors (a
    restarted broker answers NOT_LEADER_OR_FOLLOWER while it loads) are retried until the deadline."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "tributary-tests-watermarks",
                  "enable.auto.commit": False})
    deadline = time.monotonic() + timeout
    try:
        out = {}
        for p in range(partitions):
            while True:
                try:
                    out[p] = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
                    break
                except KafkaException:
                    # librdkafka does not flag NOT_LEADER_OR_FOLLOWER as retriable here: retry any error.
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        return out
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------------
# The deterministic record set shared by every client test (Java's ProduceConsume.java implements the
# same generator and checksum; keep them in step).
#
# Timestamps are CreateTime base + i with base a little before now: a fixed old base would make a
# broker's time-based retention (retention.ms, 7 days by default, checked against the largest timestamp
# in a segment) delete the records during the test, as the reference Kafka did.


def now_base(n: int) -> int:
    """A base timestamp such that base + n - 1 is a little before now (ms)."""
    return int(time.time() * 1000) - n - 60_000


@dataclasses.dataclass(frozen=True)
class Rec:
    index: int
    partition: int
    key: Optional[bytes]
    value: Optional[bytes]
    headers: tuple  # of (str, Optional[bytes])
    timestamp: int


def gen_record(i: int, partitions: int, base: int) -> Rec:
    """Record number i: partition i % partitions; null key every 97th, null value every 101st (from 1),
    value lengths 0..300 of text with a binary byte every 16th position, 0 to 3 headers (one of them
    with a null value every 7th), CreateTime base + i."""
    key = None if i % 97 == 0 else f"key-{i}".encode()
    if i % 101 == 1:
        value = None
    else:
        length = (i * 37) % 301
        text = f"v{i}:".encode()
        buf = bytearray((text * (length // len(text) + 1))[:length])
        buf[0::16] = bytes((i * 31 + k) & 0xFF for k in range(0, length, 16))
        value = bytes(buf)
    if i % 5 == 0:
        headers = ()
    else:
        headers = (("idx", str(i).encode()), ("bin", bytes([i & 0xFF, 0, 0xFF])))
        if i % 7 == 0:
            headers += (("nul", None),)
    return Rec(i, i % partitions, key, value, headers, base + i)


def _blob(b: Optional[bytes]) -> bytes:
    return struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b


def record_digest_bytes(offset: int, timestamp: int, key, value, headers) -> bytes:
    out = [struct.pack(">qq", offset, timestamp), _blob(key), _blob(value), struct.pack(">i", len(headers))]
    for hk, hv in headers:
        out.append(_blob(hk.encode()))
        out.append(_blob(hv))
    return b"".join(out)


def checksum(records: Iterable) -> int:
    """CRC-32 (zlib) over (offset, timestamp, key, value, headers) of records given as
    (offset, timestamp, key, value, headers) tuples in offset order."""
    crc = 0
    for rec in records:
        crc = zlib.crc32(record_digest_bytes(*rec), crc)
    return crc & 0xFFFFFFFF


class RecordSet:
    """Records 0..n-1 of gen_record, and what a fresh topic holds after they are produced in order."""

    def __init__(self, n: int, partitions: int, base: Optional[int] = None, null_header_values: bool = True,
                 null_key_and_value: bool = True):
        """The last two say what the client can send: kafka-python refuses a header whose value is
        None and a record with neither key nor value, so without them such headers are left out and
        such records get an empty value."""
        self.n, self.partitions = n, partitions
        self.base = now_base(n) if base is None else base
        self.records = [gen_record(i, partitions, self.base) for i in range(n)]
        if not null_header_values:
            self.records = [dataclasses.replace(r, headers=tuple(h for h in r.headers if h[1] is not None))
                            for r in self.records]
        if not null_key_and_value:
            self.records = [dataclasses.replace(r, value=b"") if r.key is None and r.value is None else r
                            for r in self.records]
        self._by_partition = None

    def expected_offset(self, rec: Rec) -> int:
        return rec.index // self.partitions

    def by_partition(self) -> dict:
        """{partition: [(offset, timestamp, key, value, headers), ...]}."""
        if self._by_partition is None:
            out = {p: [] for p in range(self.partitions)}
            for r in self.records:
                lst = out[r.partition]
                lst.append((len(lst), r.timestamp, r.key, r.value, tuple(r.headers)))
            self._by_partition = out
        return self._by_partition

    def counts(self) -> dict:
        return {p: len(v) for p, v in self.by_partition().items()}

    def summary(self) -> dict:
        """{partition: {"count", "first", "last", "checksum"}}, as ProduceConsume.java reports it."""
        return {p: {"count": len(recs), "first": 0 if recs else None,
                    "last": len(recs) - 1 if recs else None, "checksum": checksum(recs)}
                for p, recs in self.by_partition().items()}

    def differences(self, got: dict, limit: int = 40) -> list:
        """Differences between consumed {partition: [(offset, timestamp, key, value, headers)]} and the
        expected contents, as readable strings."""
        problems = []
        for p, want in self.by_partition().items():
            problems += compare_partition(p, got.get(p, []), want)
        return problems[:limit]


def compare_partition(partition: int, got: list, want: list, limit: int = 5) -> list:
    problems = []
    if len(got) != len(want):
        problems.append(f"p{partition}: {len(got)} records, expected {len(want)}")
    for g, w in zip(got, want):
        if g != w:
            problems.append(f"p{partition}: got {g!r:.300} expected {w!r:.300}")
            if len(problems) >= limit:
                problems.append(f"p{partition}: (more differences not shown)")
                break
    return problems


# ---------------------------------------------------------------------------------------------------
# Reference Kafka processes started by a test (durability)


class ReferenceKafkaProcess:
    """A reference Kafka started with tools/kafka-ref/kafka.sh in `directory` (kept across restarts),
    with the same restart/kill interface as the Tributary broker wrapper in test_durability.py."""

    kind = "kafka"

    def __init__(self, directory: pathlib.Path, port: int):
        self.directory = directory
        self.host = "127.0.0.1"
        self.port = port

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def _pid(self) -> Optional[int]:
        f = self.directory / "kafka.pid"
        return int(f.read_text().strip()) if f.exists() else None

    def start(self):
        out = subprocess.run([str(KAFKA_REF / "kafka.sh"), "start", str(self.directory), str(self.port)],
                             capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError(f"kafka.sh start failed:\n{out.stdout}\n{out.stderr}")
        return self

    def kill9(self):
        pid = self._pid()
        assert pid is not None, "no kafka.pid"
        os.kill(pid, 9)
        eventually(lambda: not os.path.exists(f"/proc/{pid}") or _is_zombie(pid), timeout=30,
                   what=f"kafka pid {pid} to die")

    def stop(self):
        subprocess.run([str(KAFKA_REF / "kafka.sh"), "stop", str(self.directory)],
                       capture_output=True, text=True, timeout=120)

    def log_excerpt(self, lines: int = 40) -> str:
        log = self.directory / "logs" / "server.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _is_zombie(pid: int) -> bool:
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True
