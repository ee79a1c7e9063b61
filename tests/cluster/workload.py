"""The workload: producers sending unique values, a live consumer, and the final read, all recorded as
a history for checker.py.

Producers are confluent-kafka (librdkafka) with acks=all and enable.idempotence=true; each runs in its
own thread, sends to partitions round-robin (explicit partition, so the target is known before the ack),
at a fixed rate, and records for every send its start time, the time its delivery report arrived, the
outcome and the acknowledged offset. Outcomes:
  ok       delivery report without error: the offset is the broker's acknowledgement
  unknown  delivery report with an error, or none by the end: the record may or may not be in the log
           (librdkafka retries internally, so an error after a timed-out attempt says nothing definite)
  failed   produce() itself refused the record: it never left the process
A producer whose librdkafka instance hits a fatal error is replaced by a new one with a new name (its
sequential-order check starts over).
"""

from __future__ import annotations

import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from cluster import _quiet_logger

clock = time.monotonic


def part_key(topic: str, partition: int) -> str:
    return f"{topic}/{partition}"


def admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, "logger": _quiet_logger})


def create_topic(bootstrap: str, topic: str, partitions: int, rf: int = 3, min_isr: int = 2,
                 timeout: float = 60.0) -> None:
    a = admin(bootstrap)
    fs = a.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=rf,
                                   config={"min.insync.replicas": str(min_isr)})], request_timeout=30)
    fs[topic].result(timeout)
    deadline = clock() + timeout
    while clock() < deadline:
        md = a.list_topics(topic, timeout=5).topics.get(topic)
        if md and md.error is None and len(md.partitions) == partitions and all(
                p.leader >= 0 and len(p.isrs) == rf for p in md.partitions.values()):
            return
        time.sleep(0.3)
    raise RuntimeError(f"topic {topic} not fully replicated after {timeout}s")


def partition_state(bootstrap: str, topic: str, timeout: float = 5.0) -> dict:
    """{partition: {"leader": id, "replicas": [...], "isr": [...]}} from one Metadata request ({} on error)."""
    try:
        md = admin(bootstrap).list_topics(topic, timeout=timeout).topics.get(topic)
    except KafkaException:
        return {}
    if md is None or md.error is not None:
        return {}
    return {p.id: {"leader": p.leader, "replicas": list(p.replicas), "isr": list(p.isrs)}
            for p in md.partitions.values()}


class ProducerWorker(threading.Thread):
    def __init__(self, name: str, bootstrap: str, topic: str, partitions: int, rate: float,
                 stop: threading.Event, extra_conf: dict | None = None):
        super().__init__(name=name, daemon=True)
        self.base = name
        self.bootstrap, self.topic, self.partitions, self.rate = bootstrap, topic, partitions, rate
        self.stop_event = stop
        self.conf = {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "message.timeout.ms": 30000,   # an in-doubt record is reported (unknown) within 30 s
            "request.timeout.ms": 10000,
            "logger": _quiet_logger,
            **(extra_conf or {}),
        }
        self.sends: list = []
        self.events: list = []
        self.generation = 0
        self.error: BaseException | None = None

    def _new_producer(self):
        self.generation += 1
        self.pname = self.base if self.generation == 1 else f"{self.base}.{self.generation}"
        self.fatal = None

        def on_error(err):
            if err.fatal():
                self.fatal = err
        return Producer({**self.conf, "error_cb": on_error})

    def run(self) -> None:
        try:
            self._run()
        except BaseException as e:  # recorded; the runner reports it
            self.error = e

    def _run(self) -> None:
        producer = self._new_producer()
        seq = 0
        interval = 1.0 / self.rate
        next_at = clock()
        while not self.stop_event.is_set():
            if self.fatal is not None:
                self.events.append({"time": clock(), "producer": self.pname, "event": f"fatal: {self.fatal}"})
                self._finish(producer, 5.0)
                producer = self._new_producer()
            partition = seq % self.partitions
            value = f"{self.base}-{seq}"
            rec = {"producer": self.pname, "partition": part_key(self.topic, partition), "value": value,
                   "start": clock(), "end": None, "outcome": "unknown", "offset": None}
            self.sends.append(rec)
            try:
                producer.produce(self.topic, value=value.encode(), partition=partition,
                                 on_delivery=self._callback(rec))
            except (BufferError, KafkaException) as e:
                rec["end"], rec["outcome"], rec["error"] = clock(), "failed", str(e)
            seq += 1
            next_at += interval
            while True:
                producer.poll(0)
                delay = next_at - clock()
                if delay <= 0 or self.stop_event.is_set():
                    break
                producer.poll(min(delay, 0.05))
            if clock() - next_at > 1.0:  # fell behind (a fault blocked us): do not burst afterwards
                next_at = clock()
        self._finish(producer, 35.0)

    def _finish(self, producer, timeout: float) -> None:
        left = producer.flush(timeout)
        if left:
            self.events.append({"time": clock(), "producer": self.pname,
                                "event": f"{left} record(s) without delivery report after {timeout}s"})

    @staticmethod
    def _callback(rec: dict):
        def cb(err, msg):
            rec["end"] = clock()
            if err is None:
                rec["outcome"], rec["offset"] = "ok", msg.offset()
            else:
                rec["outcome"], rec["error"] = "unknown", err.name() if isinstance(err, KafkaError) else str(err)
        return cb


class LiveConsumer(threading.Thread):
    """Reads every partition from the beginning while the run goes on; records each record in the order
    seen (the checker's poll sequence) and consumer-level errors."""

    def __init__(self, name: str, bootstrap: str, topic: str, partitions: int, stop: threading.Event):
        super().__init__(name=name, daemon=True)
        self.cname = name
        self.bootstrap, self.topic, self.partitions = bootstrap, topic, partitions
        self.stop_event = stop
        self.polls: list = []
        self.events: list = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"chaos-{self.cname}",
                          "enable.auto.commit": False, "auto.offset.reset": "earliest",
                          "enable.partition.eof": False, "logger": _quiet_logger})
            c.assign([TopicPartition(self.topic, p, 0) for p in range(self.partitions)])
            while not self.stop_event.is_set():
                for m in c.consume(500, 0.2):
                    if m.error():
                        self.events.append({"time": clock(), "consumer": self.cname, "event": str(m.error())})
                        continue
                    self.polls.append({"consumer": self.cname, "partition": part_key(m.topic(), m.partition()),
                                       "offset": m.offset(), "value": m.value().decode(), "time": clock()})
            c.close()
        except BaseException as e:
            self.error = e


def final_read(bootstrap: str, topic: str, partitions: int, timeout: float = 60.0) -> dict:
    """Read each partition from its start up to its high watermark with a fresh consumer.
    Returns {part_key: {"records": [[offset, value]], "end_offset", "high_watermark", "log_start"}};
    end_offset is one past the last offset read (log_start if none), so end_offset < high_watermark means
    the read did not finish within the timeout."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "chaos-final", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "enable.partition.eof": True, "logger": _quiet_logger})
    out = {}
    try:
        for p in range(partitions):
            tp = TopicPartition(topic, p)
            low, high = c.get_watermark_offsets(tp, timeout=15)
            records = []
            end = low
            if high > low:
                c.assign([TopicPartition(topic, p, low)])
                deadline = clock() + timeout
                while end < high and clock() < deadline:
                    for m in c.consume(1000, 1.0):
                        if m.error():
                            if m.error().code() == KafkaError._PARTITION_EOF:
                                end = max(end, m.offset())
                            continue
                        records.append([m.offset(), m.value().decode()])
                        end = max(end, m.offset() + 1)
                c.unassign()
            _low2, high2 = c.get_watermark_offsets(tp, timeout=15)
            out[part_key(topic, p)] = {"records": records, "end_offset": end,
                                       "high_watermark": max(high, high2), "log_start": low}
    finally:
        c.close()
    return out
