"""kill -9 of the broker during acks=all production, restart on the same data directory.

One idempotent librdkafka producer (acks=all) writes unique values round-robin over 4 partitions and
records every acknowledged (partition, offset, value). After a random number of acknowledgements the
broker gets SIGKILL while requests are in flight; it is restarted on the same data directory and:

- the log of every partition reads from offset 0 to its high watermark, offsets contiguous;
- every acknowledged record is there at its acknowledged offset with its value;
- everything read is a value that was sent, no value twice, and within a round each partition holds
  the producer's values in send order (unacknowledged records may or may not have survived);
- the next round's acknowledgements continue at exactly the recovered end offset of each partition,
  with no gap and no repeat; a final round without a kill checks the same and ends with a clean stop.

CI size: 3 kill rounds of up to 20,000 acknowledged records; TRIBUTARY_SOAK=1: 10 rounds of up to
100,000. The seed of the kill points is printed (TRIBUTARY_DURABILITY_SEED=N repeats a run).

kill -9 loses what the process had not yet handed to the kernel, not the page cache: this proves that
acknowledged records were written before the acknowledgement and that recovery reads them back and
truncates a torn tail, not that they were fsynced (that needs power-loss testing, beyond one machine).

With TRIBUTARY_REFERENCE_KAFKA set, the test starts (and kills) its own reference Kafka with
tools/kafka-ref/kafka.sh instead of Tributary (the address in the variable is not used: that broker
cannot be killed by the test).
"""
import os
import random
import time

import pytest

from conftest import Broker, free_port
from helpers import (ReferenceKafkaProcess, create_topic, end_offsets, eventually, reference_bootstrap, scaled,
                     soak, topic_partitions, unique_topic)

PARTITIONS = 4
PAD = b"." * 80
MAX_OUTSTANDING = 5000
KILL_BURST = 2000


class TributaryProcess:
    """Tributary on a fixed port and data directory, restartable; one log file per run."""

    kind = "tributary"

    def __init__(self, directory):
        self.directory = directory
        self.host = "127.0.0.1"
        self.port = free_port()
        self.runs = 0
        self.broker = None

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"

    def start(self):
        self.runs += 1
        b = Broker(self.directory)
        b.port = self.port
        b.args[b.args.index("--listen") + 1] = self.bootstrap
        b.log_path = self.directory / f"broker-{self.runs}.log"
        self.broker = b.start()
        return self

    def kill9(self):
        self.broker.proc.kill()
        self.broker.proc.wait()
        self.broker.log.close()

    def stop(self):
        if self.broker is not None:
            self.broker.stop()

    def log_excerpt(self, lines=60):
        out = []
        if self.broker is not None and self.broker.proc.poll() is not None:
            out.append(f"*** broker run {self.runs} has exited with {self.broker.proc.returncode}")
        for run in range(max(1, self.runs - 1), self.runs + 1):
            path = self.directory / f"broker-{run}.log"
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- broker run {run} (last {len(tail)} lines) ---\n" + "\n".join(tail))
        return "\n".join(out)


def _free_port_pair():
    for _ in range(50):
        port = free_port()
        if free_port() == port + 1:  # handed out in order: the next one, if it is free
            return port
    raise RuntimeError("no two consecutive free ports")


@pytest.fixture
def server(tmp_path):
    if reference_bootstrap():
        srv = ReferenceKafkaProcess(tmp_path / "kafka", _free_port_pair())
    else:
        srv = TributaryProcess(tmp_path)
    try:
        yield srv
    finally:
        if srv.kind == "kafka":
            srv.stop()
        elif srv.broker is not None and srv.broker.proc.poll() is None:
            srv.broker.proc.kill()
            srv.broker.proc.wait()


def _fail(server, message):
    pytest.fail(f"{message}\n{server.log_excerpt()}", pytrace=False)


def _producer(server):
    from confluent_kafka import Producer
    # log_level 2: the refused reconnections after the kill are expected; errors reach `delivered`.
    return Producer({"bootstrap.servers": server.bootstrap, "acks": "all", "enable.idempotence": True,
                     "linger.ms": 2, "message.timeout.ms": 30000, "queue.buffering.max.messages": 200_000,
                     "log_level": 2})


def _value(round_no, seq):
    return b"r%03d-%09d-" % (round_no, seq) + PAD


def _parse(value):
    head = value.split(b"-", 2)
    return int(head[0][1:]), int(head[1])


def _produce(server, topic, round_no, acks, sent, kill_after=None, count=None, jitter=None):
    """Produces round `round_no` until `kill_after` acknowledgements (then SIGKILLs the broker) or, with
    `count`, exactly `count` records that must all be acknowledged. Appends (p, offset, value) to acks."""
    from confluent_kafka import KafkaError

    producer = _producer(server)
    errors = []

    def delivered(err, msg):
        if err is None:
            acks.append((msg.partition(), msg.offset(), msg.value()))
        else:
            errors.append(err)

    seq, killed = 0, False
    deadline = time.monotonic() + 180
    while not killed and (count is None or seq < count):
        if time.monotonic() > deadline:
            _fail(server, f"round {round_no}: only {len(acks)} acknowledgements after 180 s ({errors[:3]})")
        # Keep at most MAX_OUTSTANDING records unacknowledged, so that the kill lands near kill_after
        # while requests are in flight.
        if len(producer) >= MAX_OUTSTANDING:
            producer.poll(0.002)
        else:
            value = _value(round_no, seq)
            producer.produce(topic, value=value, partition=seq % PARTITIONS, on_delivery=delivered)
            sent.add(value)
            seq += 1
            if seq % 100 == 0:
                producer.poll(0)
        if kill_after is not None and len(acks) >= kill_after:
            # Acknowledgements arrive in bursts and may have caught up with the sends: enqueue a burst
            # more and kill a random few milliseconds later, while those produce requests are in flight.
            for _ in range(KILL_BURST):
                value = _value(round_no, seq)
                producer.produce(topic, value=value, partition=seq % PARTITIONS, on_delivery=delivered)
                sent.add(value)
                seq += 1
            time.sleep(jitter.uniform(0, 0.005))  # a random kill point, not synchronisation
            server.kill9()
            killed = True
    if killed:
        # Take any acknowledgement that already reached the client, then drop the rest.
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            producer.poll(0.05)
        producer.purge(in_queue=True, in_flight=True)
        producer.flush(10)
        return seq
    remaining = producer.flush(60)
    real_errors = [e for e in errors if e.code() != KafkaError._PURGE_QUEUE]
    if remaining or real_errors:
        _fail(server, f"round {round_no}: {remaining} undelivered, errors {real_errors[:5]}")
    return seq


def _read_all(server, topic):
    """{partition: [(offset, value)]} from offset 0 to the high watermark, asserting the low watermark is
    0 and offsets are contiguous."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    marks = end_offsets(server.bootstrap, topic, PARTITIONS)
    if any(low != 0 for low, _ in marks.values()):
        _fail(server, f"log start moved: {marks}")
    got = {p: [] for p in range(PARTITIONS)}
    c = Consumer({"bootstrap.servers": server.bootstrap, "group.id": unique_topic("unused-group"),
                  "enable.auto.commit": False, "enable.partition.eof": False})
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
        deadline = time.monotonic() + 120
        while any(len(got[p]) < marks[p][1] for p in got):
            if time.monotonic() > deadline:
                _fail(server, f"log not readable to its end: read {[len(v) for v in got.values()]} of {marks}")
            for m in c.consume(5000, 0.2):
                if m.error():
                    _fail(server, f"consumer error {m.error()}")
                lst = got[m.partition()]
                if m.offset() != len(lst):
                    _fail(server, f"p{m.partition()}: offset {m.offset()} after {len(lst)} records (gap or repeat)")
                lst.append((m.offset(), m.value()))
    finally:
        c.close()
    return got, {p: high for p, (_, high) in marks.items()}


def _verify(server, topic, acked, sent, label):
    """Checks the whole log against everything acknowledged so far; returns {partition: end offset}."""
    try:
        eventually(lambda: (lambda parts: parts and all(l >= 0 for l in parts.values()))(
            topic_partitions(server.bootstrap, topic)), timeout=60, what=f"{topic} to have leaders")
    except AssertionError as e:
        _fail(server, f"{label}: {e}")
    log, ends = _read_all(server, topic)
    where = {}
    for p, recs in log.items():
        last_seq = {}
        for off, value in recs:
            if value not in sent:
                _fail(server, f"{label}: p{p}@{off} holds a value that was never sent: {value[:40]!r}")
            if value in where:
                _fail(server, f"{label}: {value[:20]!r} at p{p}@{off} and at p{where[value][0]}@{where[value][1]}")
            where[value] = (p, off)
            rnd, seq = _parse(value)
            if seq <= last_seq.get(rnd, -1):
                _fail(server, f"{label}: p{p}@{off}: round {rnd} seq {seq} after seq {last_seq[rnd]} (reordered)")
            last_seq[rnd] = seq
    missing = [(p, o, v[:20]) for p, o, v in acked if where.get(v) != (p, o)]
    if missing:
        _fail(server, f"{label}: {len(missing)} of {len(acked)} acknowledged records are not at their acknowledged "
                      f"offset; first: {missing[:5]}; log ends {ends}")
    return ends


def _check_continuation(server, round_acks, ends, label):
    """The acknowledgements of one round in partition p are exactly ends[p], ends[p]+1, ..."""
    for p in range(PARTITIONS):
        offsets = sorted(o for q, o, _ in round_acks if q == p)
        want = list(range(ends[p], ends[p] + len(offsets)))
        if offsets != want:
            _fail(server, f"{label}: p{p} acknowledged offsets {offsets[:3]}..{offsets[-3:]} ({len(offsets)}), "
                          f"expected {ends[p]}.. contiguous (log end before the round: {ends[p]})")


def test_kill9_during_acks_all_production(server):
    rounds = 10 if soak() else 3
    max_kill = scaled(20_000, 100_000)
    seed = int(os.environ.get("TRIBUTARY_DURABILITY_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"durability: {server.kind}, {rounds} rounds, seed {seed}")

    server.start()
    topic = create_topic(server.bootstrap, unique_topic("durable"), PARTITIONS)
    acked, sent = [], set()
    ends = {p: 0 for p in range(PARTITIONS)}
    for r in range(rounds):
        kill_after = rng.randint(200, max_kill)
        round_acks = []
        t0 = time.monotonic()
        sent_count = _produce(server, topic, r, round_acks, sent, kill_after=kill_after, jitter=rng)
        t1 = time.monotonic()
        acked += round_acks
        _check_continuation(server, round_acks, ends, f"round {r}")
        server.start()
        ends = _verify(server, topic, acked, sent, f"after kill {r}")
        print(f"round {r}: killed after {len(round_acks)} acks ({sent_count} sent) in {t1 - t0:.1f}s, "
              f"restart+verify {time.monotonic() - t1:.1f}s, log ends {ends}")

    final_acks = []
    _produce(server, topic, rounds, final_acks, sent, count=1000 * PARTITIONS)
    _check_continuation(server, final_acks, ends, "after the last restart")
    acked += final_acks
    ends = _verify(server, topic, acked, sent, "final")
    print(f"final: {len(acked)} acknowledged records verified, log ends {ends}")
    server.stop()
