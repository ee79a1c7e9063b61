"""Apache Kafka's own command-line tools (kafka-tools 4.4.0 jar, main classes run directly) against the
broker: TopicCommand, GetOffsetShell, ConsoleConsumer and ProducerPerformance.

Output formats and exit codes are those of the 4.4.0 tools as observed against the reference Kafka
(TRIBUTARY_REFERENCE_KAFKA=host:port runs this file against one). Every tool is a JVM start (1-3 s).
"""
import re
import subprocess
import time

import pytest

import kafka_wire
from helpers import cluster, create_topic, end_offsets, eventually, unique_topic  # noqa: F401

# Release broker only: each test is mostly a JVM start, and the requests these tools send (CreateTopics,
# Metadata, ListOffsets, Fetch, a classic group) reach the sanitizer broker from the other suites.
pytestmark = pytest.mark.release_only

TOOLS = "org.apache.kafka.tools"


def run_tool(target, classpath, main, *args, timeout=120, check=True):
    # C1 only and the serial collector: these short-lived JVMs start about a third faster.
    out = subprocess.run(["java", "-Xmx512M", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath,
                          f"{TOOLS}.{main}", *args], capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        pytest.fail(f"{main} {' '.join(args)} exited {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}\n"
                    f"{target.log_excerpt()}", pytrace=False)
    return out


def topic_command(target, cp, *args, check=True):
    return run_tool(target, cp, "TopicCommand", "--bootstrap-server", target.bootstrap, *args, check=check)


def parse_describe(stdout: str):
    """TopicCommand --describe output -> (topic fields, [partition fields]); fields split on tabs as
    "Key: value"."""
    def fields(line):
        out = {}
        for part in line.strip("\n").split("\t"):
            if ":" in part:
                k, v = part.split(":", 1)
                out[k.strip()] = v.strip()
        return out

    lines = [l for l in stdout.splitlines() if l.strip()]
    head = [fields(l) for l in lines if l.startswith("Topic:")]
    parts = [fields(l) for l in lines if l.startswith("\t") or l.startswith(" ")]
    assert len(head) == 1, stdout
    return head[0], parts


def test_topic_command_create_describe_alter_delete(cluster, kafka_classpath):
    cp, topic = kafka_classpath, unique_topic("tools-topic")

    out = topic_command(cluster, cp, "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1",
                        "--config", "retention.ms=86400000")
    assert f"Created topic {topic}." in out.stdout

    again = topic_command(cluster, cp, "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1",
                          check=False)
    assert again.returncode == 1 and f"Topic '{topic}' already exists." in again.stdout, again.stdout + again.stderr
    topic_command(cluster, cp, "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1",
                  "--if-not-exists")

    assert topic in topic_command(cluster, cp, "--list").stdout.split()

    head, parts = parse_describe(topic_command(cluster, cp, "--describe", "--topic", topic).stdout)
    assert head["Topic"] == topic and head["PartitionCount"] == "3" and head["ReplicationFactor"] == "1", head
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", head["TopicId"]), head
    assert "retention.ms=86400000" in head["Configs"].split(","), head
    assert [(p["Partition"], p["Leader"], p["Replicas"], p["Isr"]) for p in parts] == \
        [(str(i), "1", "1", "1") for i in range(3)], parts

    topic_command(cluster, cp, "--alter", "--topic", topic, "--partitions", "5")
    head, parts = parse_describe(topic_command(cluster, cp, "--describe", "--topic", topic).stdout)
    assert head["PartitionCount"] == "5" and [p["Partition"] for p in parts] == [str(i) for i in range(5)], parts
    assert all(p["Leader"] == "1" for p in parts), parts

    shrink = topic_command(cluster, cp, "--alter", "--topic", topic, "--partitions", "2", check=False)
    assert shrink.returncode == 1, shrink.stdout + shrink.stderr
    assert f"The topic {topic} currently has 5 partition(s); 2 would not be an increase." in shrink.stdout, shrink.stdout

    topic_command(cluster, cp, "--delete", "--topic", topic)
    eventually(lambda: topic not in topic_command(cluster, cp, "--list").stdout.split(), timeout=30,
               what=f"{topic} to disappear from --list")
    gone = topic_command(cluster, cp, "--describe", "--topic", topic, check=False)
    assert gone.returncode == 1 and f"Topic '{topic}' does not exist as expected" in gone.stdout, gone.stdout
    topic_command(cluster, cp, "--delete", "--topic", topic, "--if-exists")


def _produce_for_offsets(target, topic):
    """Partition 0: 10 records, timestamps base + i s except record 6 at base + 50 s (the maximum);
    partition 1: 5 records at base + 10 s + i s. Returns base."""
    from confluent_kafka import Producer
    base = int(time.time() * 1000) - 100_000
    p = Producer({"bootstrap.servers": target.bootstrap, "acks": "all"})
    for i in range(10):
        ts = base + 50_000 if i == 6 else base + i * 1000
        p.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=0, timestamp=ts,
                  headers=[("h", str(i).encode())])
    for i in range(5):
        p.produce(topic, value=f"w{i}".encode(), partition=1, timestamp=base + 10_000 + i * 1000)
    assert p.flush(30) == 0, f"undelivered records\n{target.log_excerpt()}"
    return base


def test_get_offset_shell(cluster, kafka_classpath):
    topic = create_topic(cluster.bootstrap, unique_topic("tools-gos"), 2)
    base = _produce_for_offsets(cluster, topic)

    def offsets(*args):
        out = run_tool(cluster, kafka_classpath, "GetOffsetShell", "--bootstrap-server", cluster.bootstrap, *args)
        return sorted(l for l in out.stdout.splitlines() if l.startswith(topic + ":"))

    assert offsets("--topic", topic, "--time", "-2") == [f"{topic}:0:0", f"{topic}:1:0"]
    assert offsets("--topic", topic, "--time", "earliest") == [f"{topic}:0:0", f"{topic}:1:0"]
    assert offsets("--topic", topic, "--time", "-1") == [f"{topic}:0:10", f"{topic}:1:5"]
    # By timestamp: the first offset whose timestamp is >= the given one; none when all are older.
    assert offsets("--topic", topic, "--time", str(base + 3500)) == [f"{topic}:0:4", f"{topic}:1:0"]
    assert offsets("--topic", topic, "--time", str(base + 20_000)) == [f"{topic}:0:6"]
    assert offsets("--topic", topic, "--time", str(base + 60_000)) == []
    # Max timestamp (KIP-734): the offset of the record with the largest timestamp.
    assert offsets("--topic", topic, "--time", "-3") == [f"{topic}:0:6", f"{topic}:1:4"]
    assert offsets("--topic-partitions", f"{topic}:1", "--time", "latest") == [f"{topic}:1:5"]
    assert offsets("--topic", topic, "--partitions", "0", "--time", "max-timestamp") == [f"{topic}:0:6"]


def test_console_consumer_by_partition_and_offset(cluster, kafka_classpath):
    """--partition with --offset or --from-beginning assigns the partition: no consumer group needed
    (the tool sets a random group.id but, with manual assignment and auto-commit off, never uses it)."""
    topic = create_topic(cluster.bootstrap, unique_topic("tools-cc"), 2)
    base = _produce_for_offsets(cluster, topic)

    def consume(*args):
        out = run_tool(cluster, kafka_classpath, "consumer.ConsoleConsumer", "--bootstrap-server", cluster.bootstrap,
                       "--topic", topic, "--timeout-ms", "30000", *args)
        return out.stdout.splitlines(), out.stderr

    lines, err = consume("--partition", "0", "--offset", "earliest", "--max-messages", "10",
                         "--formatter-property", "print.key=true", "--formatter-property", "print.offset=true",
                         "--formatter-property", "print.partition=true", "--formatter-property", "print.headers=true",
                         "--formatter-property", "print.timestamp=true")
    want = [f"CreateTime:{base + 50_000 if i == 6 else base + i * 1000}\tPartition:0\tOffset:{i}\th:{i}\tk{i}\tv{i}"
            for i in range(10)]
    assert lines == want, err
    assert "Processed a total of 10 messages" in err

    lines, _ = consume("--partition", "0", "--offset", "7", "--max-messages", "3")
    assert lines == ["v7", "v8", "v9"]
    lines, _ = consume("--partition", "1", "--from-beginning", "--max-messages", "5")
    assert lines == [f"w{i}" for i in range(5)]


GROUP_APIS = {10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
              8: "OffsetCommit", 9: "OffsetFetch"}


def _missing_group_apis(target):
    conn = kafka_wire.Connection(target.host, target.port)
    try:
        conn.send(kafka_wire.api_versions_request(3, 1))
        _, err, apis = kafka_wire.parse_api_versions_response(conn.recv_frame(), 3)
    finally:
        conn.close()
    assert err == 0
    return [name for key, name in GROUP_APIS.items() if key not in apis]


def test_console_consumer_with_group(cluster, kafka_classpath):
    """--from-beginning without --partition subscribes in a consumer group (classic protocol). Skips only
    against a broker that does not advertise the group APIs."""
    missing = _missing_group_apis(cluster)
    if missing:
        pytest.skip(f"broker does not advertise the consumer-group APIs {missing}")
    topic = create_topic(cluster.bootstrap, unique_topic("tools-ccg"), 2)
    _produce_for_offsets(cluster, topic)
    out = run_tool(cluster, kafka_classpath, "consumer.ConsoleConsumer", "--bootstrap-server", cluster.bootstrap,
                   "--topic", topic, "--from-beginning", "--max-messages", "15", "--timeout-ms", "60000",
                   "--group", unique_topic("tools-group"))
    assert sorted(out.stdout.splitlines()) == sorted([f"v{i}" for i in range(10)] + [f"w{i}" for i in range(5)])


def test_producer_performance(cluster, kafka_classpath):
    """A small ProducerPerformance run (acks=all, lz4) into a 3-partition topic; then the records are all
    there: watermarks add up and every record reads back with the configured size."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    n, size = 50_000, 100
    topic = create_topic(cluster.bootstrap, unique_topic("tools-perf"), 3)
    out = run_tool(cluster, kafka_classpath, "ProducerPerformance", "--bootstrap-server", cluster.bootstrap,
                   "--topic", topic, "--num-records", str(n), "--record-size", str(size), "--throughput", "-1",
                   "--command-property", "acks=all", "compression.type=lz4", timeout=300)
    summary = [l for l in out.stdout.splitlines() if l.startswith(f"{n} records sent")]
    assert summary, out.stdout
    print(summary[-1])
    marks = end_offsets(cluster.bootstrap, topic, 3)
    assert all(low == 0 for low, _ in marks.values()) and sum(high for _, high in marks.values()) == n, marks

    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": unique_topic("unused-group"),
                  "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(3)])
        seen = {p: 0 for p in range(3)}
        deadline = time.monotonic() + 60
        while sum(seen.values()) < n and time.monotonic() < deadline:
            for m in c.consume(5000, 0.2):
                assert m.error() is None, m.error()
                assert m.offset() == seen[m.partition()] and len(m.value()) == size
                seen[m.partition()] += 1
        assert seen == {p: high for p, (_, high) in marks.items()}, (seen, marks, cluster.log_excerpt())
    finally:
        c.close()
