"""The consumer group protocol (KIP-848, `group.protocol=consumer`) with the real Java client.

Java KafkaConsumer 4.4 processes (java/GroupConsumer.java) form one group over a 12-partition topic
while a librdkafka producer writes to it: three members share the partitions (4 each), one is killed
with SIGKILL (no leave), a fourth joins. Each member commits synchronously after processing a poll, so:
  - every produced record is consumed at least once,
  - no offset of any partition is skipped (the union of processed offsets is 0..end, contiguous),
  - after the kill the survivors own all 12 partitions within the session timeout (plus slack), and
    after the join the three members have 4 each.

Against Tributary the broker runs with short consumer group timeouts (session 6 s, heartbeat 1 s).
Against a reference Kafka (TRIBUTARY_REFERENCE_KAFKA) start it with the same settings, e.g.
  tools/kafka-ref/kafka.sh start DIR 39092 39092 group.consumer.session.timeout.ms=6000 \
      group.consumer.min.session.timeout.ms=6000 group.consumer.heartbeat.interval.ms=1000 \
      group.consumer.min.heartbeat.interval.ms=1000
(with Kafka's defaults, 45 s / 5 s, the test still passes, a minute slower: it allows 45 s there).
"""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import threading
import time

import pytest

from conftest import Broker
from helpers import Target, create_topic, eventually, reference_bootstrap, scaled, unique_topic

JAVA_DIR = pathlib.Path(__file__).parent / "java"
PARTITIONS = 12
SESSION_TIMEOUT_S = 6.0
BROKER_CONFIG = {
    "group.consumer.session.timeout.ms": "6000",
    "group.consumer.min.session.timeout.ms": "6000",
    "group.consumer.heartbeat.interval.ms": "1000",
    "group.consumer.min.heartbeat.interval.ms": "1000",
}


@pytest.fixture
def group_cluster(tmp_path):
    """Tributary with short consumer group timeouts, or the reference Kafka with its own."""
    ref = reference_bootstrap()
    if ref:
        yield Target(ref, "kafka"), 45.0
        return
    cfg = tmp_path / "server.properties"
    cfg.write_text("".join(f"{k}={v}\n" for k, v in BROKER_CONFIG.items()))
    b = Broker(tmp_path, extra_args=["--config", str(cfg)]).start()
    try:
        yield Target(b.bootstrap, "tributary", b), SESSION_TIMEOUT_S
        if b.proc.poll() is not None:
            pytest.fail(f"the broker died during the test (exit code {b.proc.returncode}):\n{b.output()[-5000:]}",
                        pytrace=False)
    finally:
        b.stop()


class Member:
    """One GroupConsumer.java process and its output file."""

    def __init__(self, name: str, target: Target, group: str, topic: str, classpath: str, tmp: pathlib.Path,
                 commit_interval_ms: int = 500, assignor: str | None = None):
        self.name = name
        self.out = tmp / f"{name}.out"
        self.out.touch()
        args = ["java", "-Xmx256m", "-cp", classpath, str(JAVA_DIR / "GroupConsumer.java"), target.bootstrap,
                group, topic, str(self.out), str(commit_interval_ms)]
        if assignor:
            args.append(assignor)
        self.log = open(tmp / f"{name}.log", "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def lines(self) -> list[str]:
        return self.out.read_text(errors="replace").splitlines()

    def assignment(self) -> set[int]:
        """The member's current assignment (its last reported one)."""
        current: set[int] = set()
        for line in self.lines():
            if line.startswith("# assignment "):
                parts = line.split()
                current = {int(p) for p in parts[3].split(",")} if len(parts) > 3 else set()
        return current

    def records(self) -> list[tuple[int, int, str]]:
        out = []
        for line in self.lines():
            if line.startswith("#"):
                continue
            p, o, v = line.split(" ", 2)
            out.append((int(p), int(o), v))
        return out

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 60.0):
        if not self.alive():
            return
        pathlib.Path(str(self.out) + ".stop").touch()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def tail(self) -> str:
        self.log.flush()
        log = pathlib.Path(self.log.name).read_text(errors="replace")
        return f"--- {self.name} output ---\n" + "\n".join(self.lines()[-15:]) + f"\n--- {self.name} log ---\n" + log[-3000:]


def produce(bootstrap: str, topic: str, start: int, count: int, rate: float = 0.0) -> dict[int, list[int]]:
    """Writes values start..start+count-1 round-robin over the partitions (acks=all, idempotent), at
    most `rate` records per second when given, and returns {partition: [offsets acknowledged]}."""
    from confluent_kafka import Producer
    acked: dict[int, list[int]] = {}
    errors = []

    def delivered(err, msg):
        if err is not None:
            errors.append(err)
        else:
            acked.setdefault(msg.partition(), []).append(msg.offset())

    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    t0 = time.monotonic()
    for i in range(start, start + count):
        if rate and (i - start) % 100 == 0:
            ahead = (i - start) / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
        while True:
            try:
                p.produce(topic, value=str(i).encode(), partition=i % PARTITIONS, on_delivery=delivered)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    assert p.flush(60) == 0, "producer did not drain"
    assert not errors, f"produce errors: {errors[:5]}"
    return acked


def describe(target: Target, group: str, classpath: str) -> dict:
    out = subprocess.run(["java", "-cp", classpath, str(JAVA_DIR / "DescribeConsumerGroup.java"), target.bootstrap,
                          group], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"DescribeConsumerGroup.java exited {out.returncode}:\n{out.stderr[-3000:]}"
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def check_describe(target: Target, members: list, group: str, classpath: str, min_epoch: int = 3):
    """Admin.describeConsumerGroups (ConsumerGroupDescribe) once the group is stable: a consumer-protocol
    group, Stable, the default (uniform) assignor, every member with its 4 partitions as both its current
    and its target assignment, at the assignment epoch."""
    def stable():
        d = describe(target, group, classpath)
        if d["state"].upper() == "STABLE" and len(d["members"]) == 3:
            return d
        raise AssertionError(f"not yet stable: {d}")

    def consistent():
        d = stable()
        assert d["type"].upper() == "CONSUMER" and d["assignor"] == "uniform", d
        assert d["groupEpoch"] >= min_epoch and d["assignmentEpoch"] == d["groupEpoch"], d
        by_client = {m["clientId"]: m for m in d["members"]}
        assert set(by_client) == {f"{m.name}.out" for m in members}, d
        for m in members:
            described = by_client[f"{m.name}.out"]
            # What the member reports may lag its assignment by a poll: retried until they agree.
            assert described["assigned"] == sorted(m.assignment()) == described["target"], (d, m.name)
            assert described["memberEpoch"] == d["assignmentEpoch"], d
            assert described["host"].endswith("127.0.0.1"), d
        return d

    d = eventually(consistent, timeout=90, what="ConsumerGroupDescribe to show a stable group of 3")
    print(f"describe: {d['state']} {d['type']} assignor={d['assignor']} epoch={d['groupEpoch']}")
    return d


def membership(d: dict) -> dict:
    """Member id -> (member epoch, assigned partitions) of a ConsumerGroupDescribe."""
    return {m["memberId"]: (m["memberEpoch"], m["assigned"]) for m in d["members"]}


def _fail(target: Target, members: list[Member], message: str):
    details = "\n".join(m.tail() for m in members)
    raise AssertionError(f"{message}\n{details}\n{target.log_excerpt(80)}")


def test_java_consumer_protocol_group_survives_a_kill_and_a_join(group_cluster, kafka_classpath, tmp_path):
    target, session_s = group_cluster
    per_phase = scaled(4000, 40000)
    topic = create_topic(target.bootstrap, unique_topic("kip848"), PARTITIONS)
    group = unique_topic("kip848-group")
    members: list[Member] = []
    t_start = time.monotonic()
    try:
        produced = produce(target.bootstrap, topic, 0, per_phase)
        members = [Member(f"c{i}", target, group, topic, kafka_classpath, tmp_path) for i in (1, 2, 3)]

        def balanced(ms):
            def check():
                for m in ms:
                    if not m.alive():
                        _fail(target, members, f"{m.name} exited with {m.proc.returncode}")
                sets = [m.assignment() for m in ms]
                union = set().union(*sets)
                return len(union) == PARTITIONS and sum(len(s) for s in sets) == PARTITIONS and \
                    max(len(s) for s in sets) - min(len(s) for s in sets) <= 1
            return check

        eventually(balanced(members), timeout=90, what="3 members to share the 12 partitions")
        print(f"3 members balanced after {time.monotonic() - t_start:.1f}s: "
              f"{[sorted(m.assignment()) for m in members]}")
        check_describe(target, members, group, kafka_classpath)

        # The kill lands while records flow (about 2 s into a 4 s stream), so the victim dies with
        # records processed but not committed, or fetched but not processed.
        phase2: dict = {}
        writer = threading.Thread(target=lambda: phase2.update(
            produce(target.bootstrap, topic, per_phase, per_phase, rate=per_phase / 4.0)))
        writer.start()
        victim = members[1]
        eventually(lambda: any(int(v) >= per_phase + per_phase // 2 for _, _, v in victim.records()[-50:]),
                   timeout=60, what="the victim to process records of the second phase")
        victim.kill()
        t_kill = time.monotonic()
        writer.join(120)
        assert not writer.is_alive(), "the producer of the second phase did not finish"
        for p, offs in phase2.items():
            produced.setdefault(p, []).extend(offs)
        survivors = [members[0], members[2]]
        eventually(balanced(survivors), timeout=session_s + 60, what="the survivors to take over the partitions")
        converge = time.monotonic() - t_kill
        print(f"after SIGKILL, survivors own all partitions in {converge:.1f}s (session timeout {session_s:.0f}s)")
        assert converge <= session_s + 30, f"reassignment took {converge:.1f}s"

        newcomer = Member("c4", target, group, topic, kafka_classpath, tmp_path)
        members.append(newcomer)
        for p, offs in produce(target.bootstrap, topic, 2 * per_phase, per_phase).items():
            produced.setdefault(p, []).extend(offs)
        t_join = time.monotonic()
        final = survivors + [newcomer]
        eventually(balanced(final), timeout=90, what="the newcomer to get its share")
        print(f"newcomer balanced in {time.monotonic() - t_join:.1f}s: {[sorted(m.assignment()) for m in final]}")

        phases = 3
        if target.kind == "tributary":
            # Membership is in __consumer_offsets (ConsumerGroup* records), as in Kafka: after a restart
            # on the same port and data directory the members go on heartbeating with their member ids
            # and epochs; nobody is fenced, nothing moves, no rebalance.
            before = check_describe(target, final, group, kafka_classpath)
            lost_before = sum(1 for m in final for line in m.lines() if line.startswith("# lost"))
            t_restart = time.monotonic()
            target.broker.stop()
            target.broker.start()
            for p, offs in produce(target.bootstrap, topic, 3 * per_phase, per_phase).items():
                produced.setdefault(p, []).extend(offs)
            phases = 4
            after = check_describe(target, final, group, kafka_classpath)
            assert membership(after) == membership(before), (before, after)
            assert (after["groupEpoch"], after["assignmentEpoch"]) == (before["groupEpoch"], before["assignmentEpoch"])
            # Heartbeats were accepted after the restart (a member is described Stable only while its
            # session lasts): give the sessions time to expire if they were not, then look again.
            time.sleep(session_s + 2)
            again = check_describe(target, final, group, kafka_classpath)
            assert membership(again) == membership(before), (before, again)
            lost = sum(1 for m in final for line in m.lines() if line.startswith("# lost"))
            assert lost == lost_before, "a member was fenced and rejoined after the restart"
            print(f"after a broker restart the {len(before['members'])} members kept their ids, epochs "
                  f"(group epoch {before['groupEpoch']}) and assignments; checked "
                  f"{time.monotonic() - t_restart:.1f}s after the restart")

        total = phases * per_phase
        want_values = {str(i) for i in range(total)}

        def all_consumed():
            got = set()
            for m in members:
                got.update(v for _, _, v in m.records())
            return want_values <= got

        eventually(all_consumed, timeout=120, what="every produced record to be consumed")
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001 - show the members and broker with any failure
        _fail(target, members, f"{e!r}")
    finally:
        for m in members:
            m.stop()

    # At least once, nothing skipped: per partition, the processed offsets cover 0..end contiguously.
    seen: dict[int, set[int]] = {}
    count = 0
    for m in members:
        for p, o, _ in m.records():
            seen.setdefault(p, set()).add(o)
            count += 1
    problems = []
    for p in range(PARTITIONS):
        want = set(produced.get(p, []))
        end = max(want) + 1 if want else 0
        if seen.get(p, set()) != set(range(end)):
            missing = sorted(set(range(end)) - seen.get(p, set()))[:10]
            problems.append(f"partition {p}: missing offsets {missing}")
    if problems:
        _fail(target, members, "skipped records:\n" + "\n".join(problems))
    failed = [l for m in members for l in m.lines() if l.startswith("# commit-failed")]
    print(f"{count} records processed for {total} produced ({count - total} redeliveries); "
          f"{len(failed)} failed commits; total {time.monotonic() - t_start:.1f}s")
    for m in members:
        if m is not members[1] and m.proc.returncode not in (0, None):
            _fail(target, members, f"{m.name} exited with {m.proc.returncode}")


def dump_group_records(target: Target, partition: int, classpath: str) -> list[dict]:
    """Every record of a __consumer_offsets partition as Kafka's GroupCoordinatorRecordSerde decodes it."""
    out = subprocess.run(["java", "-Xmx256m", "-cp", classpath, str(JAVA_DIR / "DumpGroupRecords.java"),
                          target.bootstrap, str(partition)], capture_output=True, text=True, timeout=180)
    errors = [line for line in out.stdout.splitlines() if line.startswith("ERROR")]
    assert out.returncode == 0 and not errors, f"Kafka could not decode records: {errors[:5]}\n{out.stderr[-3000:]}"
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def test_membership_records_are_kafkas_and_survive_a_restart(group_cluster, kafka_classpath, tmp_path):
    """The KIP-848 records (ConsumerGroupMetadata, PartitionMetadata, MemberMetadata, TargetAssignment*,
    CurrentMemberAssignment) are written as Kafka writes them: Kafka's own serde decodes each; a member's
    leave writes its tombstones and bumps the epoch; a classic JoinGroup converts the empty consumer group
    into a classic group (tombstones of the consumer group records, offsets kept); DeleteGroups deletes
    it, and a restarted broker no longer knows the group."""
    from confluent_kafka.admin import AdminClient
    from group_helpers import offsets_partition

    target, _ = group_cluster
    if target.kind != "tributary":
        pytest.skip("reads Tributary's __consumer_offsets layout (50 partitions by default)")
    from confluent_kafka import Producer
    topic = create_topic(target.bootstrap, unique_topic("kip848-records"), 2)
    group = unique_topic("kip848-records-group")
    producer = Producer({"bootstrap.servers": target.bootstrap})
    for i in range(10):
        producer.produce(topic, value=str(i).encode(), partition=i % 2)
    assert producer.flush(60) == 0
    member = Member("r1", target, group, topic, kafka_classpath, tmp_path, commit_interval_ms=0)
    try:
        eventually(lambda: member.assignment() == {0, 1}, timeout=90, what="the member to get both partitions")
        eventually(lambda: len(member.records()) == 10, timeout=60, what="the member to consume the records")
        d = describe(target, group, kafka_classpath)
        assert [m["memberEpoch"] for m in d["members"]] == [d["assignmentEpoch"]], d
        member_id = d["members"][0]["memberId"]
    finally:
        member.stop()

    partition = offsets_partition(group, 50)
    records = [r for r in dump_group_records(target, partition, kafka_classpath)
               if r["key"]["data"].get("groupId") == group]
    latest = {}
    for r in records:
        latest[(r["key"]["type"], r["key"]["data"].get("memberId"))] = r["value"]
    # The member's records, written while it was in the group, then its tombstones when it left.
    by_type = {}
    for r in records:
        if r["value"] is not None:
            by_type.setdefault(r["key"]["type"], r["value"])
    assert by_type[5]["clientId"] == "r1.out" and by_type[5]["subscribedTopicNames"] == [topic], by_type
    assert by_type[4]["topics"][0]["topicName"] == topic and by_type[4]["topics"][0]["numPartitions"] == 2
    assert by_type[7]["topicPartitions"][0]["partitions"] == [0, 1], by_type
    assert by_type[6]["assignmentEpoch"] >= 1 and by_type[3]["epoch"] >= 1, by_type
    assert any(r["key"]["type"] == 8 and r["value"] and r["value"]["memberEpoch"] == d["assignmentEpoch"]
               and r["value"]["assignedPartitions"][0]["partitions"] == [0, 1] for r in records), records
    for t in (5, 7, 8):
        assert latest[(t, member_id)] is None, f"no tombstone of type {t} after the leave: {records}"
    assert latest[(3, None)]["epoch"] == d["groupEpoch"] + 1, (d, records)

    # A classic consumer (librdkafka) joins the now empty consumer group: as in Kafka, the group becomes
    # a classic group (its consumer group records are deleted) and keeps its committed offsets.
    from confluent_kafka import Consumer
    classic = Consumer({"bootstrap.servers": target.bootstrap, "group.id": group, "enable.auto.commit": False,
                        "auto.offset.reset": "earliest"})
    try:
        classic.subscribe([topic])
        eventually(lambda: classic.poll(0.5) is None and len(classic.assignment()) == 2, timeout=60,
                   what="the classic consumer to join the emptied consumer group")
        committed = classic.committed(classic.assignment(), timeout=30)
        assert sorted(tp.offset for tp in committed) == [5, 5], committed
    finally:
        classic.close()
    records = [r for r in dump_group_records(target, partition, kafka_classpath)
               if r["key"]["data"].get("groupId", r["key"]["data"].get("group")) == group]
    latest = {(r["key"]["type"], r["key"]["data"].get("memberId")): r["value"] for r in records}
    for t in (3, 4, 6):
        assert (t, None) in latest and latest[(t, None)] is None, f"no tombstone of type {t}: {records[-8:]}"
    assert latest.get((2, None)) is not None, f"no classic GroupMetadata after the conversion: {records[-8:]}"

    admin = AdminClient({"bootstrap.servers": target.bootstrap})
    admin.delete_consumer_groups([group], request_timeout=30)[group].result(60)

    target.broker.stop()
    target.broker.start()

    def gone():
        listed = admin_after.list_consumer_groups(request_timeout=30).result(60)
        return group not in {g.group_id for g in listed.valid}
    admin_after = AdminClient({"bootstrap.servers": target.bootstrap})
    eventually(gone, timeout=60, what="the deleted group to stay deleted after a restart")
