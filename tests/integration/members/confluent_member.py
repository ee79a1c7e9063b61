"""A consumer-group member for test_consumer_groups.py (confluent-kafka / librdkafka), run as its own
process so a test can kill -9 it. Usage: confluent_member.py BOOTSTRAP GROUP TOPIC OUT [key=value ...]

Writes JSON lines to OUT: {"e":"assigned"|"revoked","p":[partitions]} from the rebalance callbacks and
{"e":"rec","p":partition,"o":offset} for every record, flushed before the offsets of a batch are
committed (synchronously): a record is on disk before its commit, so a record never committed is
processed again by the next owner (at least once) and a committed one never skipped.
"""
import json
import signal
import sys

from confluent_kafka import Consumer, TopicPartition

bootstrap, group, topic, out_path = sys.argv[1:5]
extra = dict(kv.split("=", 1) for kv in sys.argv[5:])
out = open(out_path, "a", buffering=1)
running = True


def emit(**kw):
    out.write(json.dumps(kw) + "\n")
    out.flush()


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
conf = {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
conf.update(extra)
c = Consumer(conf)
c.subscribe([topic], on_assign=lambda _c, ps: emit(e="assigned", p=[p.partition for p in ps]),
            on_revoke=lambda _c, ps: emit(e="revoked", p=[p.partition for p in ps]),
            on_lost=lambda _c, ps: emit(e="revoked", p=[p.partition for p in ps]))
emit(e="started")
# Offsets processed but not yet committed (partition -> next offset). A commit that fails while the group
# rebalances is retried after the next poll for the partitions this member still owns, so a partition's
# last records get committed even when nothing follows them; a partition taken away is dropped (its next
# owner processes the uncommitted records again: at least once).
pending = {}
while running:
    msgs = c.consume(num_messages=200, timeout=0.2)
    for m in msgs:
        if m.error():
            continue
        emit(e="rec", p=m.partition(), o=m.offset())
        pending[m.partition()] = m.offset() + 1
    owned = {tp.partition for tp in c.assignment()}
    pending = {p: o for p, o in pending.items() if p in owned}
    if pending:
        try:
            c.commit(offsets=[TopicPartition(topic, p, o) for p, o in pending.items()], asynchronous=False)
            pending = {}
        except Exception as e:
            emit(e="commit-failed", why=str(e))
c.close()
emit(e="closed")
