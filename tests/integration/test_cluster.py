"""A cluster of three Tributary brokers on loopback, used by unmodified clients (confluent-kafka).

Each broker is started with --node-id N and --voters listing all three (cluster.voters): the
metadata log is a Raft group of the three, and a topic with replication factor 3 has a Raft group per
partition. Checked:
  - every broker reports the same cluster id, the three brokers, one controller, and a leader for
    every partition; CreateTopics reaches the controller (librdkafka sends it there) and the topic
    appears on every broker;
  - acks=all records survive kill -9 of a partition leader: the client is sent to the new leader and
    every acknowledged record is read back, in order, exactly once; the killed broker restarts and
    rejoins;
  - the whole cluster stops and starts again with its topics, leaders and records.
  - the leader's broker reports the in-sync replicas; with min.insync.replicas=3 an acks=all write is
    refused with NOT_ENOUGH_REPLICAS (nothing written) once a follower has been gone for
    replica.lag.time.max.ms, and taken again once it is back in sync;
Cost: about 20 s (each test starts three brokers; a failover waits for an election, ~1-2 s).
"""
import pathlib
import signal
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import Broker, wait_until

BROKERS = 3


class Cluster:
    def __init__(self, tmp_path: pathlib.Path, props=None):
        self.brokers = []
        for i in range(BROKERS):
            d = tmp_path / f"node{i + 1}"
            d.mkdir()
            self.brokers.append(Broker(d))
        voters = ",".join(f"{i + 1}@{b.host}:{b.port}" for i, b in enumerate(self.brokers))
        for i, b in enumerate(self.brokers):
            b.args += ["--node-id", str(i + 1), "--voters", voters, "--smp", "2"]
            if props:
                f = tmp_path / f"node{i + 1}" / "server.properties"
                f.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
                b.args += ["--config", str(f)]

    @property
    def bootstrap(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers)

    def node(self, node_id: int) -> Broker:
        return self.brokers[node_id - 1]

    def start(self):
        for b in self.brokers:
            b.start()
        return self

    def stop(self):
        for b in self.brokers:
            b.stop()

    def admin(self, bootstrap=None) -> AdminClient:
        return AdminClient({"bootstrap.servers": bootstrap or self.bootstrap})

    def leaders(self, topic: str, bootstrap=None) -> dict:
        md = self.admin(bootstrap).list_topics(topic, timeout=10)
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            return {}
        return {p.id: p.leader for p in t.partitions.values()}

    def wait_for_leaders(self, topic: str, partitions: int, among=None):
        among = among or {1, 2, 3}

        def all_led():
            ls = self.leaders(topic)
            return len(ls) == partitions and all(l in among for l in ls.values())

        wait_until(all_led, timeout=30, what=f"a leader for every partition of {topic}")
        return self.leaders(topic)


@pytest.fixture
def cluster3(tmp_path):
    c = Cluster(tmp_path).start()
    yield c
    c.stop()


def create(cluster: Cluster, topic: str, partitions: int, rf: int, config=None):
    admin = cluster.admin()  # alive until the answer: a collected client cancels its requests
    futures = admin.create_topics([NewTopic(topic, partitions, rf, config=config or {})], request_timeout=30)
    futures[topic].result(timeout=40)


def produce(bootstrap: str, topic: str, values, partition_of, expect_failures=False, timeout_ms=30000, retries=None):
    """acks=all; returns {partition: [(offset, value)]} of the acknowledged records (and the errors when
    expect_failures)."""
    acked, failed = {}, []

    def done(err, m):
        if err is not None:
            failed.append(err)
        else:
            acked.setdefault(m.partition(), []).append((m.offset(), m.value()))

    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False,
                  "message.timeout.ms": timeout_ms, "retry.backoff.ms": 100,
                  **({} if retries is None else {"retries": retries})})
    for i, v in enumerate(values):
        p.produce(topic, value=v, partition=partition_of(i), on_delivery=done)
        p.poll(0)
    assert p.flush(60) == 0, "records still queued after 60 s"
    if expect_failures:
        return acked, failed
    assert not failed, f"deliveries failed: {failed[:5]}"
    return acked


def consume_all(bootstrap: str, topic: str, partitions: int, expected: int, timeout=40):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    got = {}
    deadline = time.time() + timeout
    n = 0
    try:
        while n < expected and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error() is not None:
                continue
            got.setdefault(m.partition(), []).append((m.offset(), m.value()))
            n += 1
    finally:
        c.close()
    return got


def test_every_broker_reports_the_same_cluster(cluster3):
    def described():
        views = []
        for b in cluster3.brokers:
            md = cluster3.admin(b.bootstrap).list_topics(timeout=10)
            views.append((md.cluster_id, md.controller_id, tuple(sorted(md.brokers))))
        return views

    wait_until(lambda: all(v[1] in (1, 2, 3) for v in described()) and len({v for v in described()}) == 1,
               timeout=30, what="every broker to name the same controller")
    cluster_id, controller, brokers = described()[0]
    assert brokers == (1, 2, 3)
    assert cluster_id

    create(cluster3, "orders", 6, 3)
    leaders = cluster3.wait_for_leaders("orders", 6)
    for b in cluster3.brokers:
        md = cluster3.admin(b.bootstrap).list_topics("orders", timeout=10)
        parts = md.topics["orders"].partitions
        assert len(parts) == 6
        for p in parts.values():
            assert sorted(p.replicas) == [1, 2, 3]
    # Placement spreads the preferred leaders: each broker is first in two replica lists.
    md = cluster3.admin().list_topics("orders", timeout=10)
    firsts = sorted(p.replicas[0] for p in md.topics["orders"].partitions.values())
    assert firsts == [1, 1, 2, 2, 3, 3], firsts
    assert set(leaders.values()) <= {1, 2, 3}

    # A replication factor above the broker count is refused as Kafka refuses it.
    with pytest.raises(KafkaException) as e:
        create(cluster3, "too-many", 1, 4)
    assert "INVALID_REPLICATION_FACTOR" in str(e.value)


def test_acknowledged_records_survive_the_loss_of_a_leader(cluster3):
    topic, partitions = "payments", 3
    create(cluster3, topic, partitions, 3)
    leaders = cluster3.wait_for_leaders(topic, partitions)
    before = [b"before-%d" % i for i in range(300)]
    acked = produce(cluster3.bootstrap, topic, before, lambda i: i % partitions)
    assert sum(len(v) for v in acked.values()) == len(before)

    victim = leaders[0]
    killed = cluster3.node(victim)
    killed.proc.send_signal(signal.SIGKILL)
    killed.proc.wait()
    killed.proc = None
    rest = {1, 2, 3} - {victim}
    survivors = ",".join(cluster3.node(n).bootstrap for n in sorted(rest))
    new_leaders = cluster3.wait_for_leaders(topic, partitions, among=rest)
    assert new_leaders[0] != victim

    after = [b"after-%d" % i for i in range(300)]
    acked_after = produce(survivors, topic, after, lambda i: i % partitions)
    for p, recs in acked_after.items():
        acked.setdefault(p, []).extend(recs)

    got = consume_all(survivors, topic, partitions, len(before) + len(after))
    for p in range(partitions):
        assert got.get(p, []) == acked.get(p, []), f"partition {p}: consumed records differ from those acknowledged"

    # The killed broker comes back, catches up and can lead again: stop the others one by one so that
    # each partition's leadership passes through it.
    killed.start()
    wait_until(lambda: cluster3.leaders(topic, killed.bootstrap) == cluster3.leaders(topic), timeout=30,
               what="the restarted broker to know the leaders")
    got_again = consume_all(cluster3.bootstrap, topic, partitions, len(before) + len(after))
    for p in range(partitions):
        assert got_again.get(p, []) == acked.get(p, [])


def test_a_cluster_restarts_with_its_topics_and_records(cluster3):
    topic, partitions = "ledger", 2
    create(cluster3, topic, partitions, 3)
    cluster3.wait_for_leaders(topic, partitions)
    acked = produce(cluster3.bootstrap, topic, [b"r-%d" % i for i in range(100)], lambda i: i % partitions)
    cluster3.stop()
    cluster3.start()
    cluster3.wait_for_leaders(topic, partitions)
    got = consume_all(cluster3.bootstrap, topic, partitions, 100)
    for p in range(partitions):
        assert got.get(p, []) == acked.get(p, [])
    # It still takes changes.
    create(cluster3, "after-restart", 1, 3)
    cluster3.wait_for_leaders("after-restart", 1)


def isr_on_leader(cluster: Cluster, topic: str, partition: int):
    leader = cluster.leaders(topic).get(partition)
    if leader not in (1, 2, 3):
        return None, []
    md = cluster.admin(cluster.node(leader).bootstrap).list_topics(topic, timeout=10)
    return leader, sorted(md.topics[topic].partitions[partition].isrs)


def test_min_insync_replicas_refuses_writes_without_enough_followers(tmp_path):
    cluster = Cluster(tmp_path, props={"replica.lag.time.max.ms": 1500}).start()
    try:
        topic = "strict"
        create(cluster, topic, 1, 3, config={"min.insync.replicas": "3"})
        cluster.wait_for_leaders(topic, 1)
        assert produce(cluster.bootstrap, topic, [b"first"], lambda i: 0)
        wait_until(lambda: isr_on_leader(cluster, topic, 0)[1] == [1, 2, 3], timeout=20,
                   what="every replica in sync")

        leader = cluster.leaders(topic)[0]
        follower = next(n for n in (1, 2, 3) if n != leader)
        gone = cluster.node(follower)
        gone.proc.send_signal(signal.SIGKILL)
        gone.proc.wait()
        gone.proc = None
        survivors = ",".join(cluster.node(n).bootstrap for n in (1, 2, 3) if n != follower)
        wait_until(lambda: isr_on_leader(cluster, topic, 0)[1] == sorted({1, 2, 3} - {follower}), timeout=20,
                   what="the killed follower to leave the in-sync replicas")

        # No retries, so that the broker's answer reaches the application (librdkafka retries this one).
        acked, failed = produce(survivors, topic, [b"refused"], lambda i: 0, expect_failures=True, retries=0)
        assert not acked
        assert failed and all(e.code() == KafkaError.NOT_ENOUGH_REPLICAS for e in failed), failed

        gone.start()
        wait_until(lambda: isr_on_leader(cluster, topic, 0)[1] == [1, 2, 3], timeout=30,
                   what="the restarted follower back in sync")
        assert produce(cluster.bootstrap, topic, [b"second"], lambda i: 0)
        got = consume_all(cluster.bootstrap, topic, 1, 2)
        assert [v for _, v in got.get(0, [])] == [b"first", b"second"]
    finally:
        cluster.stop()
