"""kill -9 at random points while several producers write (acks=all), segments roll and retention
deletes segments, many times over; after every restart each partition is checked against everything
acknowledged, and the files against the broker's own checker.

Work going on at each kill:
- topic "bytes" (4 partitions, 1 MiB segments, retention.bytes 2 MiB): an idempotent librdkafka
  producer, 1 KB values: rolls every ~1000 records, retention deletes whole segments;
- topic "time" (2 partitions, 1 MiB segments, segment.ms 1500, retention.ms 4000): a plain (not
  idempotent) acks=all librdkafka producer, 300-byte values: rolls by time and by size, retention by
  time;
- topic "keep" (2 partitions, 1 MiB segments, segment.ms 2000, no retention): an idempotent producer,
  100-byte values: nothing may ever go missing.
- topic "compact" (2 partitions, cleanup.policy=compact, segment.ms 400, min.cleanable.dirty.ratio
  0.01): an idempotent producer updating 40 keys over and over, so segments roll every 400 ms and the
  shard's cleaner (log.cleaner.backoff.ms 100) rewrites and swaps segments while the kills land.
Retention runs every 250 ms (`log.retention.check.interval.ms`).

After each restart, for every partition:
- the log reads from its log start offset to its high watermark with contiguous offsets;
- the log start offset never moves back, and moves at all only for the topics with retention; every
  acknowledged record at or above it is at its acknowledged offset with its value (below it, retention
  may have deleted it: that is tracked, not assumed);
- the offsets acknowledged in a round are distinct and at or after the log end before the round (no
  offset handed out twice across a crash); for idempotent producers no value appears twice;
- the compacted topic reads with increasing offsets (gaps are compaction's), every record in it is the
  one acknowledged at its offset (if that offset was acknowledged), and for every key the latest
  acknowledged value, or a later one, is there;
Then the broker is stopped cleanly and `tributary check-log` walks every segment (CRCs, offsets, index
entries against batch positions, checkpoints), and the broker starts again for the next round.

CI: 8 rounds. TRIBUTARY_SOAK=1: 40 rounds. TRIBUTARY_CRASH_SEED=N repeats a run's kill points.
"""
import os
import random
import threading
import time

import pytest

from helpers import create_topic, end_offsets, soak, unique_topic
from storage_helpers import RestartableBroker, check_log, read_partition

TOPICS = {
    # name: (partitions, configs, value size, idempotent, retention)
    "bytes": (4, {"segment.bytes": str(1 << 20), "retention.bytes": str(2 << 20), "retention.ms": "-1"}, 1000,
              True, True),
    "time": (2, {"segment.bytes": str(1 << 20), "segment.ms": "1500", "retention.ms": "4000"}, 300, False, True),
    "keep": (2, {"segment.bytes": str(1 << 20), "segment.ms": "2000", "retention.ms": "-1"}, 100, True, False),
    "compact": (2, {"cleanup.policy": "compact", "segment.bytes": str(1 << 20), "segment.ms": "400",
                    "min.cleanable.dirty.ratio": "0.01"}, 100, True, False),
}
COMPACT_KEYS = 40


def compact_key(value: bytes) -> bytes:
    """The key a "compact" value was produced with (it is part of the value)."""
    return value.split(b"-")[3]


class ProducerThread(threading.Thread):
    """Produces unique values to one topic until stopped; records every acknowledgement."""

    def __init__(self, bootstrap, kind, topic, round_no):
        super().__init__(daemon=True)
        self.kind, self.topic, self.round_no = kind, topic, round_no
        self.partitions, _, self.size, self.idempotent, _ = TOPICS[kind]
        self.bootstrap = bootstrap
        self.acks = []  # (partition, offset, value)
        self.halt = threading.Event()

    def value(self, seq):
        head = b"%s-r%03d-%09d-" % (self.kind.encode(), self.round_no, seq)
        if self.kind == "compact":
            head += b"k%03d-" % (seq % COMPACT_KEYS)
        return head + b"." * (self.size - len(head))

    def key(self, seq):
        return b"k%03d" % (seq % COMPACT_KEYS) if self.kind == "compact" else None

    def run(self):
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": self.bootstrap, "acks": "all", "enable.idempotence": self.idempotent,
                      "linger.ms": 5, "message.timeout.ms": 20000, "queue.buffering.max.messages": 20000,
                      "log_level": 2})

        def delivered(err, msg):
            if err is None:
                self.acks.append((msg.partition(), msg.offset(), msg.value()))

        seq = 0
        while not self.halt.is_set():
            if len(p) >= 5000:
                p.poll(0.005)
                continue
            try:
                p.produce(self.topic, key=self.key(seq), value=self.value(seq), partition=seq % self.partitions,
                          on_delivery=delivered)
                seq += 1
            except BufferError:
                p.poll(0.01)
            if seq % 200 == 0:
                p.poll(0)
        # Take what was acknowledged before the kill, then drop the rest.
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            p.poll(0.05)
        p.purge(in_queue=True, in_flight=True)
        p.flush(10)


def test_kill9_during_produce_rolls_and_retention(tmp_path):
    rounds = 40 if soak() else 8
    seed = int(os.environ.get("TRIBUTARY_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"crash consistency: {rounds} rounds, seed {seed}")
    srv = RestartableBroker(tmp_path, tmp_path / "data", {"log.retention.check.interval.ms": "250",
                                                          "log.cleaner.backoff.ms": "100"})
    try:
        _run(srv, rounds, rng)
    finally:
        srv.cleanup()


def _check_compacted(srv, r, p, log, acked):
    """Every record of the compacted partition was acknowledged at its offset (when that offset was
    acknowledged at all), and every key's latest acknowledged value, or a later one, is there."""
    where = dict(log)
    latest = {}
    for q, o, v in acked:
        if q != p:
            continue
        if o in where and where[o] != v:
            _fail(srv, f"round {r}: compact p{p}: offset {o} holds {where[o][:30]!r}, acknowledged {v[:30]!r}")
        k = compact_key(v)
        if k not in latest or latest[k][0] < o:
            latest[k] = (o, v)
    newest = {}
    for o, v in log:
        newest[compact_key(v)] = o
    for k, (o, v) in latest.items():
        if newest.get(k, -1) < o:
            _fail(srv, f"round {r}: compact p{p}: key {k!r}: the latest acknowledged value (offset {o}) is gone "
                       f"and nothing later replaced it (newest in the log: {newest.get(k)})")


def _fail(srv, message):
    pytest.fail(f"{message}\n{srv.log_excerpt()}", pytrace=False)


def _run(srv, rounds, rng):
    srv.start()
    topics = {kind: create_topic(srv.bootstrap, unique_topic(f"crash-{kind}"), spec[0], spec[1])
              for kind, spec in TOPICS.items()}
    acked = {kind: [] for kind in TOPICS}              # every acknowledgement ever: (p, offset, value)
    ends = {kind: {p: 0 for p in range(TOPICS[kind][0])} for kind in TOPICS}
    starts = {kind: {p: 0 for p in range(TOPICS[kind][0])} for kind in TOPICS}
    deleted_by_retention = 0
    for r in range(rounds):
        threads = [ProducerThread(srv.bootstrap, kind, topics[kind], r) for kind in TOPICS]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 2.5))  # a random kill point, not synchronisation
        srv.kill9()
        for t in threads:
            t.halt.set()
        for t in threads:
            t.join(60)
            if t.is_alive():
                _fail(srv, f"round {r}: the {t.kind} producer did not stop")
        srv.start()

        for t in threads:
            kind = t.kind
            # Offsets acknowledged in this round: distinct, and never below the log end before it.
            seen = set()
            for p, o, v in t.acks:
                if (p, o) in seen:
                    _fail(srv, f"round {r}: {kind} p{p} offset {o} acknowledged twice")
                seen.add((p, o))
                if o < ends[kind][p]:
                    _fail(srv, f"round {r}: {kind} p{p} acknowledged offset {o} below the log end {ends[kind][p]} "
                               "before the round (an offset handed out twice across a crash)")
            acked[kind] += t.acks

        summary = []
        for kind, spec in TOPICS.items():
            partitions, _, _, idempotent, retention = spec
            marks = end_offsets(srv.bootstrap, topics[kind], partitions, timeout=60)
            for p in range(partitions):
                low, high = marks[p]
                if low < starts[kind][p]:
                    _fail(srv, f"round {r}: {kind} p{p} log start moved back from {starts[kind][p]} to {low}")
                if low > 0 and not retention:
                    _fail(srv, f"round {r}: {kind} p{p} has no retention but its log starts at {low}")
                if high < ends[kind][p]:
                    # Everything below the old end was acknowledged or read back: a crash must not lose it.
                    _fail(srv, f"round {r}: {kind} p{p} log end went back from {ends[kind][p]} to {high}")
                starts[kind][p], ends[kind][p] = low, high
                compacted = kind == "compact"
                try:
                    log = read_partition(srv.bootstrap, topics[kind], p, low, high, start_may_move=retention,
                                         gaps_ok=compacted)
                except AssertionError as e:
                    _fail(srv, f"round {r}: {e}")
                if compacted:
                    _check_compacted(srv, r, p, log, acked[kind])
                    continue
                first = log[0][0] if log else high
                if first > low:
                    # Retention deleted the first segments while we read: the log start must have moved.
                    now_low = end_offsets(srv.bootstrap, topics[kind], partitions, timeout=60)[p][0]
                    if now_low < first:
                        _fail(srv, f"round {r}: {kind} p{p}: reading from {low} began at {first}, but the log "
                                   f"starts at {now_low} (records missing)")
                    low = starts[kind][p] = first
                where = {o: v for o, v in log}
                if idempotent and len(set(where.values())) != len(where):
                    _fail(srv, f"round {r}: {kind} p{p}: a value appears twice (idempotent producer)")
                for q, o, v in acked[kind]:
                    if q != p:
                        continue
                    if o < low:
                        deleted_by_retention += 1 if r == rounds - 1 else 0
                        continue  # retention removed it (the topic has retention: checked above)
                    if where.get(o) != v:
                        _fail(srv, f"round {r}: {kind} p{p}: acknowledged offset {o} holds "
                                   f"{(where.get(o) or b'nothing')[:30]!r}, not {v[:30]!r}")
            summary.append(f"{kind} " + ",".join(f"[{starts[kind][p]},{ends[kind][p]})" for p in range(partitions)))
        print(f"round {r}: acks " + ", ".join(f"{t.kind} {len(t.acks)}" for t in threads) + "; logs " + "; ".join(summary))

        # The files, through the broker's own checker, after a clean stop.
        srv.stop()
        check_log(srv.data_dir)
        srv.start()

    passes = sum(srv.output(run).count(": compacted ") for run in range(1, srv.runs + 1))
    print(f"compaction passes logged over the run: {passes}")
    if passes == 0:
        _fail(srv, "the cleaner never compacted the compact topic: the kills did not land during compaction work")
    for kind in ("bytes", "time"):
        if all(starts[kind][p] == 0 for p in starts[kind]):
            print(f"note: retention deleted nothing from {kind} in this run")
    print(f"done: {sum(len(a) for a in acked.values())} acknowledgements checked over {rounds} kills; "
          f"{deleted_by_retention} of them since removed by retention")
    srv.stop()
