"""Produce and consume with real clients, every codec, and read back exactly what was written.

Each client writes the deterministic record set of helpers.gen_record (keys, null keys, null and empty
values, binary bytes, headers including a null-valued one, explicit CreateTime timestamps) into a fresh
topic with 8 partitions, record i going to partition i % 8, and reads it back with a consumer on manual
assignment (no consumer group). Checked: every send acknowledged at offset i // 8 of its partition;
high watermark = records per partition; consumed records identical (key, value, headers, timestamp and
its type) in order, offsets contiguous from 0; a CRC-32 per partition over all of it.

Clients: Java kafka-clients 4.4 (java/ProduceConsume.java, producer defaults: idempotence on,
acks=all), confluent-kafka (librdkafka, acks=all, idempotence on and off), kafka-python (its defaults:
idempotence on, acks=all) and kcat (byte-exact output).

Runs against Tributary (default) or a reference Kafka ($TRIBUTARY_REFERENCE_KAFKA); TRIBUTARY_SOAK=1
multiplies the record counts (helpers.py).
"""
import functools
import json
import pathlib
import subprocess
import time

import pytest

from helpers import CODECS, RecordSet, cluster, create_topic, end_offsets, scaled, unique_topic  # noqa: F401

JAVA_DIR = pathlib.Path(__file__).parent / "java"
PARTITIONS = 8


def _fail(target, message):
    pytest.fail(f"{message}\n{target.log_excerpt()}", pytrace=False)


def _check_consumed(target, got: dict, rs: RecordSet, what: str):
    problems = rs.differences(got)
    if problems:
        _fail(target, f"{what}: consumed records differ from those produced:\n" + "\n".join(problems))


def _check_watermarks(target, topic: str, rs: RecordSet):
    marks = end_offsets(target.bootstrap, topic, PARTITIONS)
    want = {p: (0, c) for p, c in rs.counts().items()}
    if marks != want:
        _fail(target, f"watermarks {marks}, expected {want}")


# ---------------------------------------------------------------------------------------------------
# Java kafka-clients


def test_java_clients_every_codec(cluster, kafka_classpath):
    """100,000 records (soak: 1,000,000) per codec, one JVM for all five codecs."""
    n = scaled(100_000, 1_000_000)
    rs = RecordSet(n, PARTITIONS)
    prefix = unique_topic("java")
    t0 = time.monotonic()
    out = subprocess.run(["java", "-Xmx1G", "-cp", kafka_classpath, str(JAVA_DIR / "ProduceConsume.java"),
                          cluster.bootstrap, str(n), str(PARTITIONS), ",".join(CODECS), prefix, str(rs.base)],
                         capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - t0
    if out.returncode != 0:
        _fail(cluster, f"ProduceConsume.java exited {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}")
    results = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [r["codec"] for r in results] == CODECS, out.stdout + out.stderr
    want = {str(p): v for p, v in rs.summary().items()}
    problems = []
    for r in results:
        print(f"java {r['codec']}: produce {r['produceMs']} ms, consume {r['consumeMs']} ms")
        if r["acked"] != n or r["errors"] or r["ackOffsetMismatches"]:
            problems.append(f"{r['codec']}: acked {r['acked']}/{n}, errors {r['errors']}, ack offset mismatches "
                            f"{r['ackOffsetMismatches']}, first error {r['firstError']}")
        ends = {str(p): c["count"] for p, c in want.items()}
        if {str(k): v for k, v in r["endOffsets"].items()} != ends:
            problems.append(f"{r['codec']}: end offsets {r['endOffsets']}, expected {ends}")
        if r["mismatches"]:
            problems.append(f"{r['codec']}: {r['mismatches']} mismatching records: {r['firstMismatches']}")
        if r["partitions"] != want:
            problems.append(f"{r['codec']}: partition summaries {r['partitions']}\n   expected {want}")
    print(f"java total {elapsed:.1f}s")
    if problems:
        _fail(cluster, "Java round trip:\n" + "\n".join(problems) + "\n" + out.stderr[-3000:])


# ---------------------------------------------------------------------------------------------------
# confluent-kafka (librdkafka)


def _confluent_produce(target, topic, rs: RecordSet, config):
    from confluent_kafka import KafkaError, Producer

    producer = Producer({"bootstrap.servers": target.bootstrap, "linger.ms": 5,
                         "queue.buffering.max.messages": 500_000, **config})
    records = rs.records
    acks = [None] * len(records)

    def delivered(i, err, msg):
        acks[i] = err if err is not None else (msg.partition(), msg.offset())

    for r in records:
        while True:
            try:
                producer.produce(topic, value=r.value, key=r.key, partition=r.partition,
                                 headers=list(r.headers) or None, timestamp=r.timestamp,
                                 on_delivery=functools.partial(delivered, r.index))
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    remaining = producer.flush(120)
    if remaining:
        _fail(target, f"confluent-kafka: {remaining} messages still undelivered after 120 s")
    bad = [(i, a) for i, a in enumerate(acks)
           if not isinstance(a, tuple) or a != (records[i].partition, rs.expected_offset(records[i]))]
    if bad:
        errors = [a for _, a in bad if isinstance(a, KafkaError)]
        _fail(target, f"confluent-kafka: {len(bad)} sends not acknowledged at their expected offset "
                      f"({len(errors)} errors); first: {bad[:5]}")


def _confluent_consume(target, topic, rs: RecordSet):
    from confluent_kafka import OFFSET_BEGINNING, TIMESTAMP_CREATE_TIME, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": target.bootstrap, "group.id": unique_topic("unused-group"),
                         "enable.auto.commit": False, "enable.auto.offset.store": False,
                         "enable.partition.eof": False})
    want = rs.counts()
    got = {p: [] for p in range(PARTITIONS)}
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
        deadline = time.monotonic() + 120
        while any(len(got[p]) < want[p] for p in got) and time.monotonic() < deadline:
            for m in consumer.consume(num_messages=5000, timeout=0.2):
                if m.error():
                    _fail(target, f"confluent-kafka consumer error: {m.error()}")
                ts_type, ts = m.timestamp()
                if ts_type != TIMESTAMP_CREATE_TIME:
                    _fail(target, f"p{m.partition()}@{m.offset()}: timestamp type {ts_type}")
                got[m.partition()].append((m.offset(), ts, m.key(), m.value(), tuple(m.headers() or ())))
    finally:
        consumer.close()
    return got


@pytest.mark.parametrize("idempotence", [True, False], ids=["idempotent", "plain"])
@pytest.mark.parametrize("codec", CODECS)
def test_confluent_kafka(cluster, codec, idempotence):
    """100,000 records (soak: 500,000), acks=all."""
    n = scaled(100_000, 500_000)
    topic = create_topic(cluster.bootstrap, unique_topic(f"rdk-{codec}"), PARTITIONS)
    rs = RecordSet(n, PARTITIONS)
    t0 = time.monotonic()
    _confluent_produce(cluster, topic, rs, {"acks": "all", "enable.idempotence": idempotence,
                                                 "compression.type": codec})
    t1 = time.monotonic()
    _check_watermarks(cluster, topic, rs)
    got = _confluent_consume(cluster, topic, rs)
    t2 = time.monotonic()
    print(f"confluent-kafka {codec} idempotence={idempotence}: produce {t1 - t0:.1f}s, consume {t2 - t1:.1f}s")
    _check_consumed(cluster, got, rs, f"confluent-kafka {codec}")


# ---------------------------------------------------------------------------------------------------
# kafka-python


@pytest.mark.release_only  # the slowest client here; the sanitizer broker gets every codec from the others
@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python(cluster, codec):
    """100,000 records (soak: 500,000) with kafka-python's defaults (idempotence on, acks=all). kafka-python
    cannot send a null header value or a record with neither key nor value: its set has none."""
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    n = scaled(100_000, 500_000)
    topic = create_topic(cluster.bootstrap, unique_topic(f"kpy-{codec}"), PARTITIONS)
    rs = RecordSet(n, PARTITIONS, null_header_values=False, null_key_and_value=False)
    records = rs.records
    t0 = time.monotonic()
    producer = KafkaProducer(bootstrap_servers=cluster.bootstrap, linger_ms=5,
                             compression_type=None if codec == "none" else codec, request_timeout_ms=30000)
    try:
        futures = [producer.send(topic, value=r.value, key=r.key, partition=r.partition,
                                 headers=list(r.headers), timestamp_ms=r.timestamp) for r in records]
        producer.flush(timeout=120)
        bad = []
        for r, f in zip(records, futures):
            try:
                md = f.get(timeout=0)
                if (md.partition, md.offset) != (r.partition, rs.expected_offset(r)):
                    bad.append((r.index, md.partition, md.offset))
            except Exception as e:  # noqa: BLE001 - reported below
                bad.append((r.index, repr(e)))
        if bad:
            _fail(cluster, f"kafka-python: {len(bad)} sends not acknowledged at their expected offset; "
                           f"first: {bad[:5]}")
    finally:
        producer.close(timeout=10)
    t1 = time.monotonic()
    _check_watermarks(cluster, topic, rs)

    consumer = KafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", request_timeout_ms=30000)
    want = rs.counts()
    got = {p: [] for p in range(PARTITIONS)}
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + 120
        while any(len(got[p]) < want[p] for p in got) and time.monotonic() < deadline:
            for tp, msgs in consumer.poll(timeout_ms=1000, max_records=5000).items():
                for m in msgs:
                    if m.timestamp_type != 0:
                        _fail(cluster, f"p{m.partition}@{m.offset}: timestamp type {m.timestamp_type}")
                    got[tp.partition].append((m.offset, m.timestamp, m.key, m.value,
                                              tuple((k, v) for k, v in m.headers)))
    finally:
        consumer.close()
    t2 = time.monotonic()
    print(f"kafka-python {codec}: produce {t1 - t0:.1f}s, consume {t2 - t1:.1f}s")
    _check_consumed(cluster, got, rs, f"kafka-python {codec}")


# ---------------------------------------------------------------------------------------------------
# kcat (librdkafka 2.0 from Debian)

KCAT_PARTITIONS = 4


def _kcat_lines(p: int, count: int) -> list:
    """Printable lines "key<TAB>value" (no tab or newline inside), value lengths 0..~2000, with a 100 KB
    value every 1000th line."""
    out = []
    for j in range(count):
        length = 100_000 if j % 1000 == 999 else (j * 53) % 2001
        body = "".join(chr(33 + (p * 7 + j + k) % 94) for k in range(min(length, 94)))
        value = (body * (length // 94 + 1))[:length] if length else ""
        out.append(f"k{p}-{j}\t{value}")
    return out


@pytest.mark.parametrize("codec", CODECS)
def test_kcat_byte_exact(cluster, codec, tmp_path):
    """kcat -P (idempotent, acks=all) then kcat -C -e: output identical byte for byte. 4 partitions x
    2,500 lines (soak: x 25,000)."""
    per_partition = scaled(2_500, 25_000)
    topic = create_topic(cluster.bootstrap, unique_topic(f"kcat-{codec}"), KCAT_PARTITIONS)
    for p in range(KCAT_PARTITIONS):
        src = tmp_path / f"in-{p}.txt"
        lines = _kcat_lines(p, per_partition)
        src.write_text("\n".join(lines) + "\n")
        prod = subprocess.run(["kcat", "-P", "-b", cluster.bootstrap, "-t", topic, "-p", str(p), "-z", codec,
                               "-K", "\t", "-H", f"src=kcat-{p}", "-X", "enable.idempotence=true",
                               "-X", "message.max.bytes=1000000", "-l", str(src)],
                              capture_output=True, text=True, timeout=120)
        if prod.returncode != 0:
            _fail(cluster, f"kcat -P p{p} exited {prod.returncode}: {prod.stderr[-3000:]}")
        cons = subprocess.run(["kcat", "-C", "-b", cluster.bootstrap, "-t", topic, "-p", str(p), "-o", "beginning",
                               "-e", "-q", "-f", "%p\t%o\t%h\t%k\t%s\n"],
                              capture_output=True, timeout=120)
        if cons.returncode != 0:
            _fail(cluster, f"kcat -C p{p} exited {cons.returncode}: {cons.stderr[-3000:]!r}")
        want = "".join(f"{p}\t{j}\tsrc=kcat-{p}\t{line}\n" for j, line in enumerate(lines)).encode()
        if cons.stdout != want:
            got_lines, want_lines = cons.stdout.split(b"\n"), want.split(b"\n")
            first = next((i for i, (g, w) in enumerate(zip(got_lines, want_lines)) if g != w),
                         min(len(got_lines), len(want_lines)))
            _fail(cluster, f"kcat p{p}: {len(got_lines) - 1} lines read, {len(want_lines) - 1} written; first "
                           f"difference at line {first}: got {got_lines[first][:200] if first < len(got_lines) else None!r} "
                           f"want {want_lines[first][:200] if first < len(want_lines) else None!r}")
