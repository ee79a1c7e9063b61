"""Topics through real admin clients: the Java AdminClient, confluent-kafka (librdkafka), kafka-python and
Kafka's own TopicCommand create, describe, grow and delete topics; topics, ids and data survive a
restart; Metadata auto-creates topics as auto.create.topics.enable says.

Every test that does not restart the broker also runs against a reference Kafka
(TRIBUTARY_REFERENCE_KAFKA=host:port, see helpers.py), which is how the expectations were checked.
"""
import json
import struct
import subprocess

import pytest

import kafka_wire
from conftest import Broker
from helpers import cluster, eventually, unique_topic  # noqa: F401

# ---------------------------------------------------------------------------------------------------
# Java AdminClient

TOPICS_ADMIN_JAVA = r"""
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.*;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.*;
import java.util.concurrent.ExecutionException;

public class TopicsAdmin {
  static String err(Throwable t) {
    Throwable c = t instanceof ExecutionException ? t.getCause() : t;
    return c.getClass().getSimpleName() + ": " + c.getMessage();
  }
  static List<Integer> ids(List<Node> nodes) { List<Integer> out = new ArrayList<>(); for (Node n : nodes) out.add(n.id()); return out; }
  public static void main(String[] a) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", a[0]);
    String t1 = a[1], t2 = a[2];
    Map<String, Object> out = new LinkedHashMap<>();
    try (Admin admin = Admin.create(p)) {
      NewTopic first = new NewTopic(t1, 3, (short) 1).configs(Map.of("retention.ms", "3600000"));
      var v = admin.createTopics(List.of(first), new CreateTopicsOptions().validateOnly(true));
      out.put("validate_partitions", v.numPartitions(t1).get());
      out.put("listed_after_validate", admin.listTopics().names().get().contains(t1));

      var c = admin.createTopics(List.of(first, new NewTopic(t2, Optional.empty(), Optional.empty())));
      c.all().get();
      out.put("t1_id", c.topicId(t1).get().toString());
      out.put("t1_partitions", c.numPartitions(t1).get());
      out.put("t1_rf", (int) c.replicationFactor(t1).get());
      out.put("t1_retention", c.config(t1).get().get("retention.ms").value());
      out.put("t1_retention_source", c.config(t1).get().get("retention.ms").source().toString());
      out.put("t1_segment_source", c.config(t1).get().get("segment.bytes").source().toString());
      out.put("t2_partitions", c.numPartitions(t2).get());
      try { admin.createTopics(List.of(new NewTopic(t1, 1, (short) 1))).all().get(); out.put("duplicate", "ok"); }
      catch (Exception e) { out.put("duplicate", err(e)); }
      try { admin.createTopics(List.of(new NewTopic(t1 + "-rf", 1, (short) 3))).all().get(); out.put("rf3", "ok"); }
      catch (Exception e) { out.put("rf3", err(e)); }
      try { admin.createTopics(List.of(new NewTopic("bad name", 1, (short) 1))).all().get(); out.put("bad_name", "ok"); }
      catch (Exception e) { out.put("bad_name", err(e)); }

      var d = admin.describeTopics(List.of(t1)).allTopicNames().get().get(t1);
      out.put("describe_id", d.topicId().toString());
      out.put("describe_internal", d.isInternal());
      List<Object> parts = new ArrayList<>();
      for (var pi : d.partitions()) parts.add(List.of(pi.partition(), pi.leader().id(), ids(pi.replicas()), ids(pi.isr())));
      out.put("describe_partitions", parts);
      var byId = admin.describeTopics(TopicCollection.ofTopicIds(List.of(d.topicId()))).allTopicIds().get().get(d.topicId());
      out.put("describe_by_id_name", byId.name());

      admin.createPartitions(Map.of(t1, NewPartitions.increaseTo(5))).all().get();
      out.put("grown", admin.describeTopics(List.of(t1)).allTopicNames().get().get(t1).partitions().size());
      try { admin.createPartitions(Map.of(t1, NewPartitions.increaseTo(2))).all().get(); out.put("shrink", "ok"); }
      catch (Exception e) { out.put("shrink", err(e)); }

      Uuid t2id = admin.describeTopics(List.of(t2)).allTopicNames().get().get(t2).topicId();
      admin.deleteTopics(TopicCollection.ofTopicIds(List.of(t2id))).all().get();
      admin.deleteTopics(TopicCollection.ofTopicNames(List.of(t1))).all().get();
      // Tributary answers once every shard dropped the topic; Kafka deletes in the background.
      long deadline = System.currentTimeMillis() + 30000;
      Set<String> names = admin.listTopics().names().get();
      while ((names.contains(t1) || names.contains(t2)) && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
        names = admin.listTopics().names().get();
      }
      out.put("listed_after_delete", new ArrayList<>(names));
      try { admin.deleteTopics(TopicCollection.ofTopicIds(List.of(t2id))).all().get(); out.put("delete_unknown_id", "ok"); }
      catch (Exception e) { out.put("delete_unknown_id", err(e)); }
      try { admin.deleteTopics(TopicCollection.ofTopicNames(List.of(t1))).all().get(); out.put("delete_unknown_name", "ok"); }
      catch (Exception e) { out.put("delete_unknown_name", err(e)); }
    }
    System.out.println(new ObjectMapper().writeValueAsString(out));
  }
}
"""


def run_java(tmp_path, classpath, source, name, *args, timeout=180):
    path = tmp_path / f"{name}.java"
    path.write_text(source)
    out = subprocess.run(["java", "-Xmx512M", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath,
                          str(path), *args], capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_java_admin_creates_describes_grows_and_deletes_topics(cluster, kafka_classpath, tmp_path):
    t1, t2 = unique_topic("java-admin"), unique_topic("java-admin-default")
    r = run_java(tmp_path, kafka_classpath, TOPICS_ADMIN_JAVA, "TopicsAdmin", cluster.bootstrap, t1, t2)
    assert r["validate_partitions"] == 3 and r["listed_after_validate"] is False, r
    assert len(r["t1_id"]) == 22 and r["t1_partitions"] == 3 and r["t1_rf"] == 1, r
    assert r["t1_retention"] == "3600000" and r["t1_retention_source"] == "DYNAMIC_TOPIC_CONFIG", r
    assert r["t1_segment_source"] == "DEFAULT_CONFIG", r
    assert r["t2_partitions"] == 1, r  # num.partitions
    assert r["duplicate"] == f"TopicExistsException: Topic '{t1}' already exists.", r
    assert r["rf3"].startswith("InvalidReplicationFactorException: Unable to replicate the partition 3 time(s)"), r
    assert r["bad_name"].startswith("InvalidTopicException: Topic name is invalid"), r
    assert r["describe_id"] == r["t1_id"] and r["describe_internal"] is False, r
    assert r["describe_partitions"] == [[i, 1, [1], [1]] for i in range(3)], r
    assert r["describe_by_id_name"] == t1, r
    assert r["grown"] == 5, r
    assert r["shrink"] == (f"InvalidPartitionsException: The topic {t1} currently has 5 partition(s); "
                           "2 would not be an increase."), r
    assert t1 not in r["listed_after_delete"] and t2 not in r["listed_after_delete"], r
    assert r["delete_unknown_id"].startswith("UnknownTopicIdException"), r
    assert r["delete_unknown_name"].startswith("UnknownTopicOrPartitionException"), r


# ---------------------------------------------------------------------------------------------------
# confluent-kafka (librdkafka)


def test_confluent_kafka_admin_topics(cluster):
    from confluent_kafka import KafkaException, TopicCollection
    from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    a, b = unique_topic("ck-admin"), unique_topic("ck-admin-b")

    def errors(futures):
        out = {}
        for name, f in futures.items():
            try:
                f.result(timeout=30)
                out[name] = None
            except KafkaException as e:
                out[name] = e.args[0].name()
        return out

    assert errors(admin.create_topics([NewTopic(a, 2, 1)], validate_only=True, request_timeout=20)) == {a: None}
    assert a not in admin.list_topics(timeout=20).topics
    assert errors(admin.create_topics([NewTopic(a, 2, 1, config={"cleanup.policy": "compact"}), NewTopic(b, 1, 1),
                                       NewTopic("bad name", 1, 1), NewTopic(a + "-x", 0, 1)], request_timeout=20)) == \
        {a: None, b: None, "bad name": "TOPIC_EXCEPTION", a + "-x": "INVALID_PARTITIONS"}
    assert errors(admin.create_topics([NewTopic(a, 2, 1)], request_timeout=20)) == {a: "TOPIC_ALREADY_EXISTS"}

    md = admin.list_topics(timeout=20)
    assert sorted(md.topics[a].partitions) == [0, 1]
    assert all(p.leader == 1 and p.replicas == [1] and p.isrs == [1] for p in md.topics[a].partitions.values())

    desc = admin.describe_topics(TopicCollection([a]), request_timeout=20)[a].result(timeout=30)
    assert desc.name == a and len(desc.partitions) == 2 and not desc.is_internal
    assert desc.topic_id is not None

    assert errors(admin.create_partitions([NewPartitions(a, 4)], request_timeout=20)) == {a: None}
    assert sorted(admin.list_topics(topic=a, timeout=20).topics[a].partitions) == [0, 1, 2, 3]
    assert errors(admin.create_partitions([NewPartitions(a, 3)], request_timeout=20)) == {a: "INVALID_PARTITIONS"}

    never = unique_topic("never-created")
    assert errors(admin.delete_topics([a, b, never], request_timeout=20)) == \
        {a: None, b: None, never: "UNKNOWN_TOPIC_OR_PART"}
    eventually(lambda: a not in admin.list_topics(timeout=20).topics, what=f"{a} to disappear")


# ---------------------------------------------------------------------------------------------------
# kafka-python


def test_kafka_python_admin_topics(cluster):
    from kafka import KafkaAdminClient
    from kafka.admin import NewPartitions, NewTopic
    from kafka.errors import InvalidReplicationFactorError, TopicAlreadyExistsError, UnknownTopicOrPartitionError

    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap, request_timeout_ms=20000)
    t = unique_topic("kp-admin")
    try:
        admin.create_topics([NewTopic(t, 3, 1, topic_configs={"retention.ms": "60000"})])
        assert t in admin.list_topics()
        with pytest.raises(TopicAlreadyExistsError):
            admin.create_topics([NewTopic(t, 3, 1)])
        with pytest.raises(InvalidReplicationFactorError):
            admin.create_topics([NewTopic(unique_topic("kp-rf"), 1, 2)])
        (desc,) = admin.describe_topics([t])
        assert desc["name"] == t and desc["error_code"] == 0 and not desc["is_internal"]
        assert sorted(p["partition_index"] for p in desc["partitions"]) == [0, 1, 2]
        assert all((p["leader_id"], p["leader_epoch"], p["replica_nodes"], p["isr_nodes"]) == (1, 0, [1], [1])
                   for p in desc["partitions"])
        assert "DESCRIBE_CONFIGS" in desc["authorized_operations"]
        admin.create_partitions({t: NewPartitions(6)})
        assert len(admin.describe_topics([t])[0]["partitions"]) == 6
        admin.delete_topics([t])
        eventually(lambda: t not in admin.list_topics(), what=f"{t} to disappear")
        with pytest.raises(UnknownTopicOrPartitionError):
            admin.delete_topics([t])
    finally:
        admin.close()


# ---------------------------------------------------------------------------------------------------
# Kafka's TopicCommand (kafka-tools jar)


def topic_command(target, classpath, *args, check=True):
    out = subprocess.run(["java", "-Xmx512M", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath,
                          "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", target.bootstrap, *args],
                         capture_output=True, text=True, timeout=120)
    if check:
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def test_topic_command_configs_overrides_and_internal_topics(cluster, kafka_classpath):
    cp, t = kafka_classpath, unique_topic("tc-configs")
    topic_command(cluster, cp, "--create", "--topic", t, "--partitions", "2",
                  "--config", "cleanup.policy=compact", "--config", "segment.bytes=1048576")
    out = topic_command(cluster, cp, "--describe", "--topic", t).stdout
    head = next(l for l in out.splitlines() if l.startswith("Topic:"))
    configs = dict(kv.split("=", 1) for kv in head.split("Configs:")[1].strip().split(","))
    # Every config that is not at its default shows (also dynamic broker ones, if a cluster has some).
    assert configs["cleanup.policy"] == "compact" and configs["segment.bytes"] == "1048576", out
    assert t in topic_command(cluster, cp, "--describe", "--topics-with-overrides").stdout
    bad = topic_command(cluster, cp, "--create", "--topic", unique_topic("tc-bad"), "--partitions", "1",
                        "--config", "retention.ms=soon", check=False)
    assert bad.returncode == 1
    assert "Invalid value soon for configuration retention.ms: Not a number of type LONG" in bad.stdout + bad.stderr
    too_many = topic_command(cluster, cp, "--create", "--topic", unique_topic("tc-rf"), "--partitions", "1",
                             "--replication-factor", "2", check=False)
    assert too_many.returncode == 1 and "InvalidReplicationFactorException" in too_many.stdout + too_many.stderr
    topic_command(cluster, cp, "--delete", "--topic", t)


# ---------------------------------------------------------------------------------------------------
# Metadata: errors, ids, auto-creation (a raw client, to see the exact fields)

METADATA = 3


def metadata_request(names=None, ids=None, auto_create=True, authorized_ops=False, version=12, correlation_id=1):
    """Metadata v12/v13 (flexible): topics by name or by id."""
    body = b""
    entries = [(bytes(16), n) for n in (names or [])] + [(i, None) for i in (ids or [])]
    body += kafka_wire.uvarint(len(entries) + 1)
    for tid, name in entries:
        body += tid + (kafka_wire.compact_string(name) if name is not None else b"\x00") + b"\x00"
    body += bytes([1 if auto_create else 0, 1 if authorized_ops else 0]) + b"\x00"
    return kafka_wire.frame(kafka_wire.request_header(METADATA, version, correlation_id, flexible=True) + body)


def parse_metadata(payload):
    r = kafka_wire.Reader(payload)
    r.int32()
    r.skip_tags()
    r.int32()  # throttle

    def cstr():
        n = r.uvarint() - 1
        return None if n < 0 else r.take(n).decode()

    for _ in range(r.uvarint() - 1):
        r.int32(), cstr(), r.int32(), cstr(), r.skip_tags()
    cstr(), r.int32()
    topics = []
    for _ in range(r.uvarint() - 1):
        t = {"error": r.int16(), "name": cstr(), "id": r.take(16), "internal": bool(r.int8()), "partitions": []}
        for _ in range(r.uvarint() - 1):
            p = {"error": r.int16(), "index": r.int32(), "leader": r.int32(), "epoch": r.int32(),
                 "replicas": [r.int32() for _ in range(r.uvarint() - 1)],
                 "isr": [r.int32() for _ in range(r.uvarint() - 1)],
                 "offline": [r.int32() for _ in range(r.uvarint() - 1)]}
            r.skip_tags()
            t["partitions"].append(p)
        t["authorized_operations"] = r.int32()
        r.skip_tags()
        topics.append(t)
    return topics


def metadata(target, **kw):
    c = kafka_wire.Connection(target.host, target.port)
    try:
        c.send(metadata_request(**kw))
        return parse_metadata(c.recv_frame())
    finally:
        c.close()


def test_metadata_reports_errors_ids_and_authorized_operations(cluster):
    from confluent_kafka.admin import AdminClient, NewTopic

    t = unique_topic("md")
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic(t, 2, 1)], request_timeout=20)[t].result(timeout=30)
    u = unique_topic("md-unknown")
    by_name = {r["name"]: r for r in metadata(cluster, names=[t, "bad name", u], auto_create=False,
                                              authorized_ops=True)}
    known, bad, unknown = by_name[t], by_name["bad name"], by_name[u]
    assert known["error"] == 0 and known["name"] == t and known["id"] != bytes(16) and not known["internal"]
    assert [(p["index"], p["leader"], p["epoch"], p["replicas"], p["isr"], p["offline"]) for p in known["partitions"]] \
        == [(i, 1, 0, [1], [1], []) for i in range(2)]
    # READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: no authorizer.
    assert known["authorized_operations"] == 3576 and unknown["authorized_operations"] == 3576
    assert (bad["error"], unknown["error"]) == (17, 3)  # INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_OR_PARTITION
    (by_id,) = metadata(cluster, ids=[known["id"]])
    assert by_id["name"] == t and by_id["error"] == 0 and len(by_id["partitions"]) == 2
    (missing,) = metadata(cluster, ids=[b"\x01" * 16])
    assert missing["error"] == 100 and missing["name"] is None  # UNKNOWN_TOPIC_ID
    (plain,) = metadata(cluster, names=[t])
    assert plain["authorized_operations"] == -2147483648


def test_metadata_auto_creates_topics_with_the_broker_defaults(broker):
    from kafka import KafkaProducer

    t = unique_topic("auto")
    # Tributary creates the topic while answering (Kafka answers UNKNOWN_TOPIC_OR_PARTITION first).
    (created,) = metadata(broker_target(broker), names=[t], auto_create=True)
    assert created["error"] == 0 and len(created["partitions"]) == 1
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    try:
        t2 = unique_topic("auto-producer")
        p.send(t2, b"v").get(timeout=30)  # kafka-python's producer relies on auto-creation
        assert p.partitions_for(t2) == {0}
    finally:
        p.close()
    (offsets,) = metadata(broker_target(broker), names=["__consumer_offsets"], auto_create=True)
    assert offsets["error"] == 0 and offsets["internal"] and len(offsets["partitions"]) == 50


def test_auto_creation_off_leaves_unknown_topics_unknown(tmp_path):
    props = tmp_path / "server.properties"
    props.write_text("auto.create.topics.enable=false\nnum.partitions=3\n")
    b = Broker(tmp_path, extra_args=("--config", str(props))).start()
    try:
        t = unique_topic("no-auto")
        (r,) = metadata(broker_target(b), names=[t], auto_create=True)
        assert r["error"] == 3 and r["partitions"] == []
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic(t)], request_timeout=20)[t].result(timeout=30)  # -1/-1: the defaults
        (r,) = metadata(broker_target(b), names=[t], auto_create=False)
        assert r["error"] == 0 and len(r["partitions"]) == 3
    finally:
        b.stop()


def broker_target(b):
    class T:
        host, port, bootstrap = b.host, b.port, b.bootstrap
    return T


# ---------------------------------------------------------------------------------------------------
# Restart


def test_topics_ids_configs_and_data_survive_a_restart(tmp_path):
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    b = Broker(tmp_path).start()
    t, gone = unique_topic("restart"), unique_topic("restart-deleted")
    try:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for f in admin.create_topics([NewTopic(t, 3, 1, config={"retention.ms": "123456789"}), NewTopic(gone, 1, 1)],
                                     request_timeout=20).values():
            f.result(timeout=30)
        admin.delete_topics([gone], request_timeout=20)[gone].result(timeout=30)
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all"})
        for i in range(30):
            p.produce(t, value=f"v{i}".encode(), partition=i % 3)
        assert p.flush(30) == 0
        before = metadata(broker_target(b), names=[t], auto_create=False)[0]
    finally:
        b.stop()

    b = Broker(tmp_path).start()  # same data directory, new port
    try:
        after = metadata(broker_target(b), names=[t, gone], auto_create=False)
        assert after[0]["id"] == before["id"] and len(after[0]["partitions"]) == 3
        assert after[1]["error"] == 3  # the deleted topic stays deleted
        from confluent_kafka.admin import ConfigResource, ResourceType
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        res = ConfigResource(ResourceType.TOPIC, t)
        configs = admin.describe_configs([res], request_timeout=20)[res].result(timeout=30)
        assert configs["retention.ms"].value == "123456789"
        # The records are there too (ListOffsets: the high watermark of each partition).
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "unused", "enable.auto.commit": False})
        try:
            assert [c.get_watermark_offsets(TopicPartition(t, i), timeout=20) for i in range(3)] == [(0, 10)] * 3
        finally:
            c.close()
    finally:
        b.stop()



def test_kafkas_dump_log_segments_reads_the_metadata_log(tmp_path, kafka_classpath):
    """The metadata log holds Kafka's own KRaft records: Kafka's DumpLogSegments decodes it."""
    from confluent_kafka.admin import AdminClient, NewTopic

    b = Broker(tmp_path).start()
    t, gone = unique_topic("dump"), unique_topic("dump-deleted")
    try:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for f in admin.create_topics([NewTopic(t, 2, 1, config={"retention.ms": "60000"}), NewTopic(gone, 1, 1)],
                                     request_timeout=20).values():
            f.result(timeout=30)
        admin.delete_topics([gone], request_timeout=20)[gone].result(timeout=30)
    finally:
        b.stop()
    segment = b.data_dir / "__cluster_metadata-0" / "00000000000000000000.log"
    out = subprocess.run(["java", "-Xmx512M", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", kafka_classpath,
                          "org.apache.kafka.tools.DumpLogSegments", "--cluster-metadata-decoder", "--files",
                          str(segment)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    payloads = [json.loads(line.split("payload: ", 1)[1]) for line in out.stdout.splitlines() if "payload: " in line]
    types = [p["type"] for p in payloads]
    assert types[0] == "FEATURE_LEVEL_RECORD"
    topics = {p["data"]["name"]: p["data"]["topicId"] for p in payloads if p["type"] == "TOPIC_RECORD"}
    assert set(topics) == {t, gone}
    assert {"resourceType": 2, "resourceName": t, "name": "retention.ms", "value": "60000"} in \
        [p["data"] for p in payloads if p["type"] == "CONFIG_RECORD"]
    parts = [p["data"] for p in payloads if p["type"] == "PARTITION_RECORD" and p["data"]["topicId"] == topics[t]]
    assert [(p["partitionId"], p["leader"], p["replicas"], p["isr"]) for p in parts] == [(0, 1, [1], [1]), (1, 1, [1], [1])]
    assert [p["data"]["topicId"] for p in payloads if p["type"] == "REMOVE_TOPIC_RECORD"] == [topics[gone]]
    assert "isvalid: true" in out.stdout and "isvalid: false" not in out.stdout
