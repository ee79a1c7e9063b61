#!/usr/bin/env python3
"""Capture driver for kafka-python (PyPI; a pure-Python implementation of the protocol).

    kafka_python_driver.py <bootstrap> <proxy-control host:port>

Frames go to tests/fixtures/captures/kafka-python/. Needs python-snappy, lz4 and zstandard for the codecs.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy import control  # noqa: E402

import kafka  # noqa: E402
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic  # noqa: E402

CLIENT = "kafka-python"
TOPIC = "kafka-python-t"
CODECS = [None, "gzip", "snappy", "lz4", "zstd"]
PER_BATCH = 5


def main(bootstrap, ctl):
    def scenario(name):
        print("kafka-python:", name, flush=True)
        control(ctl, "label %s %s" % (CLIENT, name))

    control(ctl, "version %s kafka-python %s" % (CLIENT, kafka.__version__))

    scenario("admin")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="capture-kafka-python-admin")
    admin.create_topics([NewTopic(TOPIC, 1, 1)])
    admin.describe_cluster()
    topics = admin.list_topics()
    assert TOPIC in topics, topics
    admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC),
                            ConfigResource(ConfigResourceType.BROKER, "1")])
    admin.close()

    produced = 0
    for codec in CODECS:
        scenario("produce-%s" % (codec or "none"))
        p = KafkaProducer(bootstrap_servers=bootstrap, client_id="capture-kafka-python-producer", acks="all",
                          compression_type=codec, linger_ms=5)
        futs = [p.send(TOPIC, key=b"k%d" % i, value=("%s record %d" % (codec or "none", i)).encode(),
                       headers=[("h", b"v%d" % i)]) for i in range(PER_BATCH)]
        p.flush(20)
        for f in futs:
            f.get(timeout=20)
        p.close()
        produced += PER_BATCH

    scenario("consume-assign")
    c = KafkaConsumer(bootstrap_servers=bootstrap, client_id="capture-kafka-python-assign",
                      enable_auto_commit=False, consumer_timeout_ms=20000)
    tp = TopicPartition(TOPIC, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    print("kafka-python:   assign read", poll_until(c, produced), "of", produced, flush=True)
    c.close()

    scenario("consume-group")
    c = KafkaConsumer(TOPIC, bootstrap_servers=bootstrap, client_id="capture-kafka-python-group",
                      group_id="capture-kafka-python", auto_offset_reset="earliest",
                      enable_auto_commit=False, heartbeat_interval_ms=200)
    got = poll_until(c, produced)
    print("kafka-python:   group read", got, "of", produced, flush=True)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        c.poll(timeout_ms=200)
    c.commit()
    c.close()
    print("kafka-python: done", flush=True)


def poll_until(c, want, timeout=20.0):
    got, deadline = 0, time.monotonic() + timeout
    while got < want and time.monotonic() < deadline:
        for recs in c.poll(timeout_ms=500).values():
            got += len(recs)
    return got


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
