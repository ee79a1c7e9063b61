"""KIP-848 online migration: a rolling upgrade of Java consumers from `group.protocol=classic` to
`group.protocol=consumer` and back, without stopping the group (group.consumer.migration.policy's
default, bidirectional).

A producer writes to a 6-partition topic the whole time. Two classic members (members/GroupMember.java,
committing synchronously after processing each poll; range, an eager protocol) share the partitions;
then each is replaced by a consumer-protocol member, one at a time (the new one starts, then the old one
leaves), and the group is rolled back the same way to classic members using cooperative-sticky.
Checked along the way: the group's type (ListGroups v5 and describe_consumer_groups: ConsumerGroupDescribe,
DescribeGroups for a classic group) is classic, then consumer from the first consumer-protocol join on,
then classic again once the last consumer-protocol member left; after each step the live members own
every partition exactly once. At the end: every produced record was consumed at least once, the
committed offsets never went backwards and reach the log end offsets (commit-after-processing: nothing
below a committed offset was skipped), and the broker's log shows the online upgrade and downgrade.

TRIBUTARY_SOAK=1 produces more and rolls the group through more members.
"""
import pathlib
import threading
import time

import pytest
from confluent_kafka import Consumer, ConsumerGroupType, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from group_helpers import RestartableBroker
from helpers import create_topic, end_offsets, eventually, scaled, unique_topic
from test_consumer_groups import JAVA, MEMBERS, Member

PARTITIONS = 6
# The first classic members use the Java default (range first: eager, they give up everything before
# rejoining); those of the rollback cooperative-sticky (they keep their partitions while rejoining and
# revoke only what the coordinator takes away).
COOPERATIVE = "partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
BROKER = {
    "group.initial.rebalance.delay.ms": "200",
    "group.min.session.timeout.ms": "1000",
    "offsets.topic.num.partitions": "10",
    "group.consumer.session.timeout.ms": "6000",
    "group.consumer.min.session.timeout.ms": "6000",
    "group.consumer.heartbeat.interval.ms": "500",
    "group.consumer.min.heartbeat.interval.ms": "500",
}


@pytest.fixture
def migration_broker(tmp_path):
    b = RestartableBroker(tmp_path, BROKER).start()
    yield b
    b.stop()


class Producing:
    """A producer thread writing value i to partition i % PARTITIONS until stopped."""

    def __init__(self, bootstrap, topic, rate_per_s):
        self.bootstrap, self.topic, self.rate = bootstrap, topic, rate_per_s
        self.count = 0
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        p = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5})

        def delivered(err, _msg):
            if err is not None:
                self.errors.append(str(err))
        while not self._stop.is_set():
            for _ in range(max(1, self.rate // 10)):
                p.produce(self.topic, value=str(self.count).encode(), partition=self.count % PARTITIONS,
                          on_delivery=delivered)
                self.count += 1
            p.poll(0)
            time.sleep(0.1)
        assert p.flush(30) == 0

    def stop(self):
        self._stop.set()
        self._thread.join(60)


class CommittedWatcher:
    """Samples the group's committed offsets every half second; remembers any that went backwards."""

    def __init__(self, bootstrap, group, topic):
        self.backwards = []
        self.last = {}
        self._stop = threading.Event()
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
        self._topic = topic
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self):
        got = self._consumer.committed([TopicPartition(self._topic, p) for p in range(PARTITIONS)], timeout=20)
        now = {tp.partition: tp.offset for tp in got}
        for p, o in now.items():
            if o >= 0 and o < self.last.get(p, -1):
                self.backwards.append((p, self.last[p], o))
            if o >= 0:
                self.last[p] = max(o, self.last.get(p, -1))
        return now

    def _run(self):
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception:  # a coordinator moving or loading: sample again
                pass
            self._stop.wait(0.5)

    def stop(self):
        self._stop.set()
        self._thread.join(30)

    def close(self):
        self.stop()
        self._consumer.close()


def group_type(bootstrap, group):
    """(ListGroups v5 type, describe_consumer_groups type) of the group, as names."""
    a = AdminClient({"bootstrap.servers": bootstrap})
    listed = a.list_consumer_groups(types={ConsumerGroupType.CONSUMER, ConsumerGroupType.CLASSIC}).result(timeout=20)
    by_id = {g.group_id: g.type.name for g in listed.valid}
    described = a.describe_consumer_groups([group])[group].result(timeout=20)
    return by_id.get(group), described.type.name


def owners(members):
    """partition -> number of live members that own it."""
    count = {}
    for m in members:
        for p in m.assignment():
            count[p] = count.get(p, 0) + 1
    return count


def converged(members):
    return all(m.assignment() for m in members) and owners(members) == {p: 1 for p in range(PARTITIONS)}


def test_rolling_upgrade_to_the_consumer_protocol_and_back(migration_broker, kafka_classpath, tmp_path):
    bootstrap = migration_broker.bootstrap
    topic = create_topic(bootstrap, unique_topic("migrate"), PARTITIONS)
    group = unique_topic("g-migrate")
    producing = Producing(bootstrap, topic, scaled(200, 1000))
    watcher = None
    members, live = [], []
    t0 = time.monotonic()

    def start(name, protocol, *extra):
        cmd = [*JAVA, "-cp", kafka_classpath, str(MEMBERS / "GroupMember.java"), bootstrap, group, topic,
               str(tmp_path / name), f"group.protocol={protocol}", f"client.id={name}", *extra]
        m = Member(name, cmd, tmp_path / name)
        members.append(m)
        live.append(m)
        return m

    def stop(m):
        m.stop()
        live.remove(m)

    def context():
        return "\n".join(m.tail() for m in members) + "\n" + migration_broker.broker.output()[-6000:]

    def expect(what, predicate, timeout=60):
        try:
            return eventually(predicate, timeout=timeout, what=what)
        except AssertionError as e:
            pytest.fail(f"{e} ({time.monotonic() - t0:.0f}s in)\n{context()}", pytrace=False)

    def expect_type(kind):
        def check():
            listed, described = group_type(bootstrap, group)
            assert (listed, described) == (kind, kind), (listed, described)
            return True
        expect(f"the group to be a {kind} group", check, timeout=30)

    def step(what):
        expect(f"{what}: the live members own every partition once", lambda: converged(live))
        print(f"{time.monotonic() - t0:5.1f}s {what}: {sorted((m.name, sorted(m.assignment())) for m in live)}")

    rounds = scaled(1, 2)
    try:
        old = [start("classic-1", "classic"), start("classic-2", "classic")]
        step("2 classic members")
        watcher = CommittedWatcher(bootstrap, group, topic)
        expect_type("CLASSIC")
        for r in range(rounds):
            # Upgrade: each classic member is replaced by a consumer-protocol member.
            new = []
            for i, m in enumerate(old):
                new.append(start(f"consumer-{r}-{i}", "consumer"))
                if i == 0:
                    expect_type("CONSUMER")
                stop(m)
                step(f"{m.name} replaced by {new[-1].name}")
            expect_type("CONSUMER")
            # Roll back: each consumer-protocol member is replaced by a classic one; the last one leaving
            # downgrades the group.
            old = []
            for i, m in enumerate(new):
                old.append(start(f"classic-{r}-{i}", "classic", COOPERATIVE))
                if i == 0:
                    step(f"{old[-1].name} joined the consumer group as a classic member")
                    expect_type("CONSUMER")
                stop(m)
                step(f"{m.name} replaced by {old[-1].name}")
            expect_type("CLASSIC")
        producing.stop()
        assert not producing.errors, producing.errors[:5]

        ends = end_offsets(bootstrap, topic, PARTITIONS)
        expected = {(p, o) for p, (low, high) in ends.items() for o in range(low, high)}
        assert len(expected) == producing.count

        def all_consumed():
            got = set().union(*(m.records() for m in members))
            missing = expected - got
            assert not missing, f"{len(missing)} of {len(expected)} records not consumed yet"
            return True
        expect("every record consumed", all_consumed)
        watcher.stop()
        expect("committed offsets at the log end",
               lambda: watcher.sample() == {p: ends[p][1] for p in ends} or None, timeout=30)
        assert not watcher.backwards, f"committed offsets went backwards: {watcher.backwards[:5]}"
        # The conversions happened online, in the coordinator (not by the group emptying out).
        log = migration_broker.broker.output()
        assert f"group {group}: upgraded from a classic group" in log, log[-4000:]
        assert f"group {group}: downgraded to a classic group" in log, log[-4000:]
        got = set().union(*(m.records() for m in members))
        duplicates = sum(len(m.records()) for m in members) - len(got)
        print(f"{len(got)} records over {len(members)} members, {duplicates} consumed twice; "
              f"{time.monotonic() - t0:.1f}s")
    finally:
        producing.stop()
        if watcher:
            watcher.close()
        for m in members:
            m.stop(timeout=20)
