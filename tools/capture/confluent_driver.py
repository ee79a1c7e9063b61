#!/usr/bin/env python3
"""Capture driver for librdkafka, through confluent-kafka (PyPI, which bundles its own librdkafka).

    confluent_driver.py <bootstrap> <proxy-control host:port>

Frames go to tests/fixtures/captures/librdkafka/. Before each scenario the proxy is told its name.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy import control  # noqa: E402

import confluent_kafka  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType  # noqa: E402

CLIENT = "librdkafka"
TOPIC = "librdkafka-t"
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
PER_BATCH = 5


def main(bootstrap, ctl):
    def scenario(name):
        print("librdkafka:", name, flush=True)
        control(ctl, "label %s %s" % (CLIENT, name))

    control(ctl, "version %s confluent-kafka %s (librdkafka %s)"
            % (CLIENT, confluent_kafka.__version__, confluent_kafka.libversion()[0]))
    base = {"bootstrap.servers": bootstrap}

    scenario("admin")
    admin = AdminClient(dict(base, **{"client.id": "capture-rdkafka-admin"}))
    for f in admin.create_topics([NewTopic(TOPIC, 1, 1)]).values():
        f.result()
    admin.describe_cluster(request_timeout=10).result()
    md = admin.list_topics(timeout=10)
    assert TOPIC in md.topics, md.topics
    for f in admin.describe_configs([ConfigResource(ResourceType.TOPIC, TOPIC),
                                     ConfigResource(ResourceType.BROKER, "1")]).values():
        f.result()

    produced = 0
    for idem in (False, True):
        for codec in CODECS:
            scenario("produce-%s-idempotence-%s" % (codec, "on" if idem else "off"))
            p = Producer(dict(base, **{"client.id": "capture-rdkafka-producer", "acks": "all",
                                       "enable.idempotence": idem, "compression.type": codec,
                                       "linger.ms": 5}))
            errors = []
            for i in range(PER_BATCH):
                p.produce(TOPIC, key=b"k%d" % i, value=("%s record %d" % (codec, i)).encode(),
                          headers=[("h", b"v%d" % i)],
                          on_delivery=lambda err, msg: errors.append(err) if err else None)
            left = p.flush(20)
            assert left == 0 and not errors, (left, errors)
            produced += PER_BATCH

    scenario("consume-assign")
    c = Consumer(dict(base, **{"client.id": "capture-rdkafka-assign", "group.id": "capture-rdkafka-assign",
                               "enable.auto.commit": False}))
    c.assign([TopicPartition(TOPIC, 0, OFFSET_BEGINNING)])
    print("librdkafka:   assign read", poll_until(c, produced), "of", produced, flush=True)
    c.close()

    for proto in ("classic", "consumer"):
        scenario("consume-group-" + proto)
        conf = dict(base, **{"client.id": "capture-rdkafka-" + proto, "group.id": "capture-rdkafka-" + proto,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False,
                             "group.protocol": proto})
        if proto == "classic":
            conf["heartbeat.interval.ms"] = 200
        c = Consumer(conf)
        c.subscribe([TOPIC])
        got = poll_until(c, produced)
        print("librdkafka:   group", proto, "read", got, "of", produced, flush=True)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            c.poll(0.2)
        c.commit(asynchronous=False)
        c.committed([TopicPartition(TOPIC, 0)], timeout=10)
        c.close()
    print("librdkafka: done", flush=True)


def poll_until(c, want, timeout=20.0):
    got, deadline = 0, time.monotonic() + timeout
    while got < want and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got += 1
    return got


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
