"""Consumer groups (classic protocol) with real clients, each member its own process so it can be killed.

For each client (Java KafkaConsumer with the eager range assignor and with cooperative-sticky,
confluent-kafka, franz-go): 3 members share a 12-partition topic; once the assignment has converged one
member is killed (SIGKILL: no LeaveGroup, the coordinator must expire its session) and a fourth joins
while more records are produced. Proved: the assignment converges again (every partition owned by
exactly one live member) within the session timeout plus a rebalance; every record produced is
consumed at least once; since members commit only after processing, no offset below a partition's
committed offset was skipped; the group's committed offsets reach the log end; members leaving cleanly
empty the group.

Also: a restarted consumer resumes at the offset committed before a broker restart, and Kafka's
ConsumerGroupCommand lists, describes (with lag and members), resets and deletes offsets and deletes
groups.
"""
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from group_helpers import RestartableBroker
from helpers import create_topic, end_offsets, eventually, unique_topic

MEMBERS = pathlib.Path(__file__).parent / "members"
GO_DIR = pathlib.Path(__file__).parent / "go"
PARTITIONS = 12
SESSION_TIMEOUT_S = 6  # what every member asks for (members/*)
JAVA = ["java", "-Xmx256M", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


@pytest.fixture
def groups_broker(tmp_path):
    b = RestartableBroker(tmp_path, {"group.initial.rebalance.delay.ms": "500", "group.min.session.timeout.ms": "1000",
                                     "offsets.topic.num.partitions": "10"}).start()
    yield b
    b.stop()


@pytest.fixture(scope="session")
def franz_member(tmp_path_factory):
    out = tmp_path_factory.mktemp("go") / "groupmember"
    built = subprocess.run(["go", "build", "-o", str(out), "./groupmember"], cwd=GO_DIR, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    return str(out)


def member_command(kind, cp, franz, bootstrap, group, topic, out):
    if kind == "confluent":
        return [sys.executable, str(MEMBERS / "confluent_member.py"), bootstrap, group, topic, out]
    if kind == "franz-go":
        return [franz, bootstrap, group, topic, out]
    assignor = {"java-range": "RangeAssignor", "java-cooperative": "CooperativeStickyAssignor"}[kind]
    return [*JAVA, "-cp", cp, str(MEMBERS / "GroupMember.java"), bootstrap, group, topic, out,
            f"partition.assignment.strategy=org.apache.kafka.clients.consumer.{assignor}"]


class Member:
    def __init__(self, name, cmd, out: pathlib.Path):
        self.name = name
        self.out = out
        self.log = open(str(out) + ".log", "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)

    def events(self):
        if not self.out.exists():
            return []
        lines = self.out.read_text().splitlines()
        return [json.loads(l) for l in lines if l.strip().endswith("}")]

    def assignment(self):
        owned = set()
        for e in self.events():
            if e["e"] == "assigned":
                owned |= set(e["p"])
            elif e["e"] == "revoked":
                owned -= set(e["p"])
        return owned

    def records(self):
        return {(e["p"], e["o"]) for e in self.events() if e["e"] == "rec"}

    def alive(self):
        return self.proc.poll() is None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout=60):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def tail(self):
        return f"--- {self.name} ---\n" + pathlib.Path(str(self.out) + ".log").read_text(errors="replace")[-1500:]


def produce(bootstrap, topic, start, count):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(start, start + count):
        p.produce(topic, value=str(i).encode(), partition=i % PARTITIONS)
    assert p.flush(30) == 0


def converged(members):
    """Every partition owned by exactly one of `members`, each of which owns at least one."""
    owned = [m.assignment() for m in members]
    if any(not o for o in owned):
        return False
    everything = [p for o in owned for p in o]
    return sorted(everything) == list(range(PARTITIONS))


def committed_offsets(bootstrap, group, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        got = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=20)
        return {tp.partition: tp.offset for tp in got}
    finally:
        c.close()


def describe_state(bootstrap, group):
    from confluent_kafka.admin import AdminClient
    a = AdminClient({"bootstrap.servers": bootstrap})
    return a.describe_consumer_groups([group])[group].result(timeout=20)


# The sanitizer broker serves one of the four (the coordinator's classic paths are the same for all; the
# Java members' eager and cooperative joins also run against it in test_group_migration.py).
RELEASE_ONLY = pytest.mark.release_only


@pytest.mark.parametrize("kind", [pytest.param("java-range", marks=RELEASE_ONLY),
                                  pytest.param("java-cooperative", marks=RELEASE_ONLY), "confluent",
                                  pytest.param("franz-go", marks=RELEASE_ONLY)])
def test_members_share_partitions_survive_a_kill_and_a_join(groups_broker, kind, kafka_classpath, franz_member,
                                                            tmp_path):
    bootstrap = groups_broker.bootstrap
    topic = create_topic(bootstrap, unique_topic(f"grp-{kind}"), PARTITIONS)
    group = unique_topic(f"g-{kind}")
    produce(bootstrap, topic, 0, 2400)
    members = []

    def start(name):
        cmd = member_command(kind, kafka_classpath, franz_member, bootstrap, group, topic, str(tmp_path / name))
        members.append(Member(name, cmd, tmp_path / name))
        return members[-1]

    def context():
        return "\n".join(m.tail() for m in members) + "\n" + groups_broker.broker.output()[-4000:]

    try:
        first = [start(f"m{i}") for i in range(1, 4)]
        t0 = time.monotonic()
        try:
            eventually(lambda: converged(first), timeout=90, what="3 members sharing 12 partitions")
        except AssertionError as e:
            pytest.fail(f"{e}\n{context()}", pytrace=False)
        print(f"\n{kind}: 3 members converged in {time.monotonic() - t0:.1f}s")

        first[0].kill9()
        joiner = start("m4")
        produce(bootstrap, topic, 2400, 2400)
        live = first[1:] + [joiner]
        t1 = time.monotonic()
        # The killed member is noticed after its session timeout; then one rebalance (the joiner's).
        try:
            eventually(lambda: converged(live), timeout=SESSION_TIMEOUT_S + 60,
                       what="the 3 live members sharing 12 partitions after the kill and the join")
        except AssertionError as e:
            pytest.fail(f"{e}\n{context()}", pytrace=False)
        print(f"{kind}: converged again {time.monotonic() - t1:.1f}s after the kill")

        ends = end_offsets(bootstrap, topic, PARTITIONS)
        expected = {(p, o) for p, (low, high) in ends.items() for o in range(low, high)}
        assert len(expected) == 4800

        def all_consumed():
            got = set().union(*(m.records() for m in members))
            return expected <= got

        try:
            eventually(all_consumed, timeout=60, what="every record consumed")
        except AssertionError as e:
            got = set().union(*(m.records() for m in members))
            pytest.fail(f"{e}: {len(expected - got)} of {len(expected)} never consumed\n{context()}", pytrace=False)
        eventually(lambda: committed_offsets(bootstrap, group, topic) == {p: ends[p][1] for p in ends},
                   timeout=30, what="committed offsets at the log end")
        # Commit-after-processing: the records below each committed offset were all consumed by someone.
        got = set().union(*(m.records() for m in members))
        for p, (low, high) in ends.items():
            assert {o for (q, o) in got if q == p} >= set(range(low, high)), f"partition {p} skipped records"
        duplicates = sum(len(m.records()) for m in members) - len(got)
        print(f"{kind}: {len(got)} records, {duplicates} consumed twice (at least once)")

        for m in live:
            m.stop()
        eventually(lambda: describe_state(bootstrap, group).state.name == "EMPTY", timeout=30,
                   what="the group empty after every member left")
    finally:
        for m in members:
            m.stop(timeout=20)


def test_a_restarted_consumer_resumes_at_the_committed_offset(groups_broker):
    bootstrap = groups_broker.bootstrap
    topic = create_topic(bootstrap, unique_topic("resume"), 1)
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(1000):
        p.produce(topic, value=str(i).encode(), partition=0)
    assert p.flush(30) == 0
    conf = {"group.id": "resume-group", "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000}
    c = Consumer({"bootstrap.servers": bootstrap, **conf})
    c.subscribe([topic])
    seen = []
    deadline = time.monotonic() + 60
    while len(seen) < 600 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            seen.append(m.offset())
    assert len(seen) >= 600
    c.commit(offsets=[TopicPartition(topic, 0, 600)], asynchronous=False)
    c.close()

    groups_broker.restart()
    bootstrap = groups_broker.bootstrap
    c = Consumer({"bootstrap.servers": bootstrap, **conf})
    c.subscribe([topic])
    first = None
    deadline = time.monotonic() + 60
    while first is None and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            first = m.offset()
    c.close()
    assert first == 600


# ---------------------------------------------------------------------------------------------------
# Kafka's ConsumerGroupCommand


def group_command(cp, bootstrap, *args, check=True):
    out = subprocess.run([*JAVA, "-cp", cp, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                          "--bootstrap-server", bootstrap, *args], capture_output=True, text=True, timeout=120)
    if check:
        assert out.returncode == 0, f"{args} exited {out.returncode}:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


def offsets_table(stdout):
    """--describe --offsets rows -> {partition: (current, log end, lag)}."""
    rows = {}
    for line in stdout.splitlines():
        f = line.split()
        if len(f) >= 6 and f[0] != "GROUP" and f[3].isdigit():
            cur = int(f[3]) if f[3] != "-" else None
            rows[int(f[2])] = (cur, int(f[4]), int(f[5]) if f[5] != "-" else None)
    return rows


def test_consumer_group_command_lists_describes_resets_and_deletes(groups_broker, kafka_classpath):
    bootstrap = groups_broker.bootstrap
    topic = create_topic(bootstrap, unique_topic("cgc"), 3)
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(30):
        p.produce(topic, value=b"x", partition=i % 3)
    assert p.flush(30) == 0
    group = unique_topic("tools-group")

    # An active member that consumes everything and commits, polling in the background meanwhile.
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "client.id": "cgc-client"})
    c.subscribe([topic])
    stop = threading.Event()
    consumed = []

    def poll_loop():
        while not stop.is_set():
            m = c.poll(0.2)
            if m is not None and not m.error():
                consumed.append(m)
                c.commit(message=m, asynchronous=False)

    t = threading.Thread(target=poll_loop)
    t.start()
    try:
        eventually(lambda: len(consumed) == 30, timeout=60, what="the member consuming every record")
        listed = group_command(kafka_classpath, bootstrap, "--list").stdout.split()
        assert group in listed
        state = group_command(kafka_classpath, bootstrap, "--describe", "--group", group, "--state").stdout
        assert re.search(rf"{re.escape(group)}\s+\S+\s+\(1\)\s+\S+\s+Stable\s+1\b", state), state
        members = group_command(kafka_classpath, bootstrap, "--describe", "--group", group, "--members").stdout
        assert "cgc-client" in members and re.search(r"/127\.0\.0\.1\s+cgc-client\s+3\b", members), members
        deleting = group_command(kafka_classpath, bootstrap, "--delete", "--group", group, check=False)
        assert "The group is not empty" in deleting.stdout + deleting.stderr
    finally:
        stop.set()
        t.join()
        c.close()

    # Lag: 5 more records in partition 0 that nobody consumed.
    for _ in range(5):
        p.produce(topic, value=b"y", partition=0)
    assert p.flush(30) == 0
    out = group_command(kafka_classpath, bootstrap, "--describe", "--group", group)
    assert f"Consumer group '{group}' has no active members." in out.stdout + out.stderr
    described = out.stdout
    assert offsets_table(described) == {0: (10, 15, 5), 1: (10, 10, 0), 2: (10, 10, 0)}, described

    reset = group_command(kafka_classpath, bootstrap, "--reset-offsets", "--group", group, "--topic", topic,
                          "--to-earliest", "--execute").stdout
    assert re.search(rf"{re.escape(group)}\s+{re.escape(topic)}\s+0\s+0\b", reset), reset
    described = group_command(kafka_classpath, bootstrap, "--describe", "--group", group).stdout
    assert offsets_table(described) == {0: (0, 15, 15), 1: (0, 10, 10), 2: (0, 10, 10)}, described

    # OffsetDelete for one partition of the (now empty) group.
    removed = group_command(kafka_classpath, bootstrap, "--delete-offsets", "--group", group, "--topic",
                            f"{topic}:0").stdout
    assert re.search(rf"{re.escape(topic)}\s+0\s+Successful", removed), removed
    described = group_command(kafka_classpath, bootstrap, "--describe", "--group", group).stdout
    assert offsets_table(described) == {1: (0, 10, 10), 2: (0, 10, 10)}, described

    deleted = group_command(kafka_classpath, bootstrap, "--delete", "--group", group).stdout
    assert f"Deletion of requested consumer groups ('{group}') was successful." in deleted
    assert group not in group_command(kafka_classpath, bootstrap, "--list").stdout.split()
