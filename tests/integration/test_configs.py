"""Topic and broker configs through real clients: DescribeConfigs with synonyms, sources and
documentation, IncrementalAlterConfigs (SET/DELETE/APPEND/SUBTRACT, topic and broker resources,
validate-only), the legacy AlterConfigs, log levels (BROKER_LOGGER), Kafka's ConfigCommand; configs
surviving a restart; server.properties as the static broker configs.

Tests that do not restart the broker also run against a reference Kafka (TRIBUTARY_REFERENCE_KAFKA,
helpers.py). They assert only on what they set, so a reference cluster with other dynamic configs passes.
"""
import json
import subprocess

import pytest

from conftest import Broker
from helpers import cluster, unique_topic  # noqa: F401

CONFIGS_ADMIN_JAVA = r"""
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.config.ConfigResource;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.*;
import java.util.concurrent.ExecutionException;

public class ConfigsAdmin {
  static Admin admin;
  static String err(Throwable t) {
    Throwable c = t instanceof ExecutionException ? t.getCause() : t;
    return c.getClass().getSimpleName() + ": " + c.getMessage();
  }
  static Map<String, Object> entry(ConfigEntry e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("value", e.value());
    m.put("source", e.source().toString());
    m.put("read_only", e.isReadOnly());
    m.put("sensitive", e.isSensitive());
    m.put("type", e.type().toString());
    m.put("documented", e.documentation() != null && !e.documentation().isEmpty());
    List<String> syn = new ArrayList<>();
    for (var s : e.synonyms()) syn.add(s.source() + ":" + s.name() + "=" + s.value());
    m.put("synonyms", syn);
    return m;
  }
  static Map<String, Object> describe(ConfigResource r, String... names) throws Exception {
    var config = admin.describeConfigs(List.of(r), new DescribeConfigsOptions().includeSynonyms(true).includeDocumentation(true))
        .all().get().get(r);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("_count", config.entries().size());
    for (String n : names) { var e = config.get(n); out.put(n, e == null ? null : entry(e)); }
    return out;
  }
  // Kafka applies a committed change on its brokers asynchronously (Tributary before it answers):
  // describe until `name` has `value`, for at most 15 s.
  static Map<String, Object> describeWhen(ConfigResource r, String name, String value) throws Exception {
    return describeWhen(r, name, value, true);
  }
  static Map<String, Object> describeWhen(ConfigResource r, String name, String value, boolean equal) throws Exception {
    long deadline = System.currentTimeMillis() + 15000;
    for (;;) {
      Map<String, Object> d = describe(r, name);
      @SuppressWarnings("unchecked") Map<String, Object> e = (Map<String, Object>) d.get(name);
      boolean same = e != null && Objects.equals(e.get("value"), value);
      if (same == equal || System.currentTimeMillis() > deadline) return d;
      Thread.sleep(100);
    }
  }
  static String alter(ConfigResource r, boolean validateOnly, AlterConfigOp... ops) {
    try {
      admin.incrementalAlterConfigs(Map.of(r, List.of(ops)), new AlterConfigsOptions().validateOnly(validateOnly)).all().get();
      return "ok";
    } catch (Exception e) { return err(e); }
  }
  static AlterConfigOp op(String name, String value, AlterConfigOp.OpType type) {
    return new AlterConfigOp(new ConfigEntry(name, value), type);
  }
  public static void main(String[] a) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", a[0]);
    String t = a[1];
    Map<String, Object> out = new LinkedHashMap<>();
    var SET = AlterConfigOp.OpType.SET; var DELETE = AlterConfigOp.OpType.DELETE;
    var APPEND = AlterConfigOp.OpType.APPEND; var SUBTRACT = AlterConfigOp.OpType.SUBTRACT;
    try (Admin ad = Admin.create(p)) {
      admin = ad;
      admin.createTopics(List.of(new NewTopic(t, 1, (short) 1).configs(Map.of("retention.ms", "3600000", "cleanup.policy", "compact")))).all().get();
      var topic = new ConfigResource(ConfigResource.Type.TOPIC, t);
      var node = new ConfigResource(ConfigResource.Type.BROKER, "1");
      var cluster = new ConfigResource(ConfigResource.Type.BROKER, "");
      out.put("created", describe(topic, "retention.ms", "cleanup.policy", "segment.bytes", "min.cleanable.dirty.ratio"));
      out.put("node", describe(node, "num.partitions", "log.retention.hours", "log.segment.bytes", "node.id"));

      out.put("set_delete_append", alter(topic, false, op("segment.ms", "600000", SET), op("retention.ms", null, DELETE),
                                         op("cleanup.policy", "delete", APPEND)));
      out.put("after_set", describe(topic, "segment.ms", "retention.ms", "cleanup.policy"));
      out.put("subtract", alter(topic, false, op("cleanup.policy", "compact", SUBTRACT)));
      out.put("validate_only", alter(topic, true, op("retention.bytes", "5", SET)));
      out.put("after_subtract", describe(topic, "cleanup.policy", "retention.bytes"));
      out.put("unknown_key", alter(topic, false, op("no.such.config", "1", SET)));
      out.put("bad_value", alter(topic, false, op("retention.ms", "soon", SET)));
      out.put("append_to_long", alter(topic, false, op("retention.ms", "1", APPEND)));
      out.put("unknown_topic", alter(new ConfigResource(ConfigResource.Type.TOPIC, t + "-nope"), false, op("retention.ms", "1", SET)));

      out.put("cluster_default", alter(cluster, false, op("log.retention.ms", "7200000", SET)));
      out.put("topic_under_default", describeWhen(topic, "retention.ms", "7200000"));
      out.put("cluster_listing", describeWhen(cluster, "log.retention.ms", "7200000"));
      out.put("node_default_view", describeWhen(node, "log.retention.ms", "7200000"));
      out.put("not_dynamic", alter(cluster, false, op("num.partitions", "3", SET)));
      out.put("cluster_default_removed", alter(cluster, false, op("log.retention.ms", null, DELETE)));
      out.put("topic_after_default_removed", describeWhen(topic, "retention.ms", "7200000", false));

      var logger = new ConfigResource(ConfigResource.Type.BROKER_LOGGER, "1");
      var root = admin.describeConfigs(List.of(logger)).all().get().get(logger).get("root");
      out.put("root_level", root.value());
      out.put("root_source", root.source().toString());
      out.put("set_debug", alter(logger, false, op("root", "DEBUG", SET)));
      out.put("root_after", admin.describeConfigs(List.of(logger)).all().get().get(logger).get("root").value());
      out.put("bad_level", alter(logger, false, op("root", "LOUD", SET)));
      out.put("delete_root", alter(logger, false, op("root", null, DELETE)));
      out.put("restore_level", alter(logger, false, op("root", root.value(), SET)));
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


def test_java_admin_describes_and_alters_topic_broker_and_logger_configs(cluster, kafka_classpath, tmp_path):
    t = unique_topic("java-configs")
    r = run_java(tmp_path, kafka_classpath, CONFIGS_ADMIN_JAVA, "ConfigsAdmin", cluster.bootstrap, t)

    created = r["created"]
    assert created["_count"] >= 37, created
    ret = created["retention.ms"]
    assert (ret["value"], ret["source"], ret["type"], ret["read_only"], ret["documented"]) == \
        ("3600000", "DYNAMIC_TOPIC_CONFIG", "LONG", False, True), ret
    assert ret["synonyms"][0] == "DYNAMIC_TOPIC_CONFIG:retention.ms=3600000", ret
    pol = created["cleanup.policy"]
    assert pol["value"] == "compact" and pol["type"] == "LIST" and pol["synonyms"][0] == "DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact"
    assert pol["synonyms"][-1] == "DEFAULT_CONFIG:log.cleanup.policy=delete", pol
    seg = created["segment.bytes"]
    assert seg["type"] == "INT" and seg["synonyms"][-1] == "DEFAULT_CONFIG:log.segment.bytes=1073741824", seg
    assert created["min.cleanable.dirty.ratio"]["type"] == "DOUBLE"

    node = r["node"]
    assert node["_count"] > 20, node
    assert node["log.retention.hours"]["read_only"] is True and node["log.retention.hours"]["value"] == "168"
    assert node["log.segment.bytes"]["read_only"] is False and node["log.segment.bytes"]["documented"]
    assert node["num.partitions"]["read_only"] is True and node["node.id"]["value"] == "1"

    assert r["set_delete_append"] == "ok", r
    after = r["after_set"]
    assert after["segment.ms"]["value"] == "600000" and after["segment.ms"]["source"] == "DYNAMIC_TOPIC_CONFIG"
    assert after["retention.ms"]["source"] != "DYNAMIC_TOPIC_CONFIG", after
    assert after["cleanup.policy"]["value"] == "compact,delete", after
    assert r["subtract"] == "ok" and r["validate_only"] == "ok", r
    assert r["after_subtract"]["cleanup.policy"]["value"] == "delete"
    assert r["after_subtract"]["retention.bytes"]["source"] != "DYNAMIC_TOPIC_CONFIG"  # validate-only changed nothing
    assert r["unknown_key"] == "InvalidConfigurationException: Unknown topic config name: no.such.config", r
    assert r["bad_value"] == ("InvalidConfigurationException: Invalid value soon for configuration retention.ms: "
                              "Not a number of type LONG"), r
    assert r["append_to_long"] == ("InvalidConfigurationException: Can't APPEND to key retention.ms because its type "
                                   "is not LIST."), r
    assert r["unknown_topic"] == f"UnknownTopicOrPartitionException: The topic '{t}-nope' does not exist.", r

    assert r["cluster_default"] == "ok", r
    under = r["topic_under_default"]["retention.ms"]
    assert (under["value"], under["source"]) == ("7200000", "DYNAMIC_DEFAULT_BROKER_CONFIG"), under
    assert under["synonyms"][0] == "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=7200000", under
    listing = r["cluster_listing"]["log.retention.ms"]
    assert listing["source"] == "DYNAMIC_DEFAULT_BROKER_CONFIG" and listing["read_only"] is False, listing
    assert r["node_default_view"]["log.retention.ms"]["value"] == "7200000"
    assert r["not_dynamic"] == "InvalidRequestException: Cannot update these configs dynamically: [num.partitions]", r
    assert r["cluster_default_removed"] == "ok"
    assert r["topic_after_default_removed"]["retention.ms"]["value"] != "7200000"

    assert r["root_source"] == "DYNAMIC_BROKER_LOGGER_CONFIG", r
    assert r["set_debug"] == "ok" and r["root_after"] == "DEBUG", r
    assert r["bad_level"].startswith("InvalidConfigurationException: Cannot set the log level of root to LOUD"), r
    assert r["delete_root"] == "InvalidRequestException: Removing the log level of the root logger is not allowed", r
    assert r["restore_level"] == "ok"


# ---------------------------------------------------------------------------------------------------
# confluent-kafka


def test_confluent_kafka_describe_incremental_and_legacy_alter(cluster):
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource,
                                       NewTopic, ResourceType)

    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    t = unique_topic("ck-configs")
    admin.create_topics([NewTopic(t, 1, 1, config={"retention.ms": "5000"})], request_timeout=20)[t].result(timeout=30)
    res = ConfigResource(ResourceType.TOPIC, t)

    def describe():
        return admin.describe_configs([ConfigResource(ResourceType.TOPIC, t)], request_timeout=20)[res].result(timeout=30)

    configs = describe()
    assert configs["retention.ms"].value == "5000"
    assert configs["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert configs["segment.bytes"].source == ConfigSource.DEFAULT_CONFIG.value
    assert [s.name for s in configs["segment.bytes"].synonyms.values()] == ["log.segment.bytes"]

    ops = ConfigResource(ResourceType.TOPIC, t, incremental_configs=[
        ConfigEntry("max.message.bytes", "2000000", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND)])
    admin.incremental_alter_configs([ops], request_timeout=20)[ops].result(timeout=30)
    configs = describe()
    assert configs["max.message.bytes"].value == "2000000"
    assert configs["cleanup.policy"].value == "delete,compact"
    assert configs["retention.ms"].value == "5000"  # incremental: untouched

    # The legacy AlterConfigs replaces the whole set: retention.ms and the rest go back to defaults.
    legacy = ConfigResource(ResourceType.TOPIC, t, set_config={"segment.ms": "7200000"})
    admin.alter_configs([legacy], request_timeout=20)[legacy].result(timeout=30)
    configs = describe()
    assert configs["segment.ms"].value == "7200000"
    assert configs["retention.ms"].source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert configs["max.message.bytes"].source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value

    bad = ConfigResource(ResourceType.TOPIC, t, incremental_configs=[
        ConfigEntry("segment.bytes", "1000", incremental_operation=AlterConfigOpType.SET)])
    with pytest.raises(KafkaException) as e:
        admin.incremental_alter_configs([bad], request_timeout=20)[bad].result(timeout=30)
    assert e.value.args[0].name() == "INVALID_CONFIG"
    assert "Value must be at least 1048576" in e.value.args[0].str()

    node = ConfigResource(ResourceType.BROKER, "1")
    broker = admin.describe_configs([node], request_timeout=20)[node].result(timeout=30)
    assert broker["message.max.bytes"].is_read_only is False and broker["num.partitions"].is_read_only is True


# ---------------------------------------------------------------------------------------------------
# kafka-python


def test_kafka_python_describe_and_alter_configs(cluster):
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType
    from kafka.errors import InvalidConfigurationError

    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap, request_timeout_ms=20000)
    t = unique_topic("kp-configs")
    try:
        from kafka.admin import NewTopic
        admin.create_topics([NewTopic(t, 1, 1, topic_configs={"retention.ms": "5000"})])

        def described(filter_="modified"):
            r = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t)], include_synonyms=True,
                                       config_filter=filter_)
            return r["topic"][t]

        modified = described()
        assert modified["retention.ms"]["value"] == "5000"
        assert modified["retention.ms"]["config_source"] == "DYNAMIC_TOPIC_CONFIG"
        assert modified["retention.ms"]["config_type"] == "LONG"
        everything = described("all")
        assert len(everything) >= 37 and everything["segment.bytes"]["config_source"] == "DEFAULT_CONFIG"

        # Legacy AlterConfigs (the whole set), then incremental.
        r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t, configs={"segment.ms": "3600000"})],
                                incremental=False, raise_on_unknown=False)
        assert r["topic"][t] == "OK", r
        modified = described()
        assert "segment.ms" in modified
        r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t, configs={"retention.bytes": "1048576"})])
        assert r["topic"][t] == "OK", r
        modified = described()
        assert modified["retention.bytes"]["value"] == "1048576" and modified["segment.ms"]["value"] == "3600000"
        r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t, configs={"retention.ms": "x"})])
        assert "Not a number of type LONG" in str(r["topic"][t]), r
    finally:
        admin.close()


# ---------------------------------------------------------------------------------------------------
# Kafka's ConfigCommand (kafka-tools jar: org.apache.kafka.tools.ConfigCommand)


def config_command(target, classpath, *args, check=True):
    out = subprocess.run(["java", "-Xmx512M", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath,
                          "org.apache.kafka.tools.ConfigCommand", "--bootstrap-server", target.bootstrap, *args],
                         capture_output=True, text=True, timeout=120)
    if check:
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def parse_config_lines(stdout):
    """`  name=value sensitive=false synonyms={...}` lines -> {name: value}."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("  ") and " sensitive=" in line:
            key_value = line.strip().split(" sensitive=")[0]
            k, v = key_value.split("=", 1)
            out[k] = v
    return out


def test_config_command_alters_and_describes_topics_and_brokers(cluster, kafka_classpath):
    from confluent_kafka.admin import AdminClient, NewTopic

    cp, t = kafka_classpath, unique_topic("cc-configs")
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic(t, 1, 1)], request_timeout=20)[t].result(timeout=30)
    out = config_command(cluster, cp, "--alter", "--entity-type", "topics", "--entity-name", t,
                         "--add-config", "retention.ms=7777,cleanup.policy=[compact,delete]")
    assert f"Completed updating config for topic {t}." in out.stdout
    described = config_command(cluster, cp, "--describe", "--entity-type", "topics", "--entity-name", t).stdout
    assert f"Dynamic configs for topic {t} are:" in described
    configs = parse_config_lines(described)
    assert configs["retention.ms"] == "7777" and configs["cleanup.policy"] == "compact,delete", described
    assert "synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=7777" in described

    config_command(cluster, cp, "--alter", "--entity-type", "topics", "--entity-name", t, "--delete-config", "retention.ms")
    configs = parse_config_lines(config_command(cluster, cp, "--describe", "--entity-type", "topics",
                                                "--entity-name", t).stdout)
    assert "retention.ms" not in configs and configs["cleanup.policy"] == "compact,delete"

    all_configs = parse_config_lines(config_command(cluster, cp, "--describe", "--entity-type", "topics",
                                                    "--entity-name", t, "--all").stdout)
    assert len(all_configs) >= 37 and all_configs["retention.ms"].isdigit()

    bad = config_command(cluster, cp, "--alter", "--entity-type", "topics", "--entity-name", t,
                         "--add-config", "no.such.config=1", check=False)
    assert bad.returncode == 1 and "Unknown topic config name: no.such.config" in bad.stdout + bad.stderr

    config_command(cluster, cp, "--alter", "--entity-type", "brokers", "--entity-default",
                   "--add-config", "log.retention.bytes=1073741824")
    try:
        defaults = config_command(cluster, cp, "--describe", "--entity-type", "brokers", "--entity-default").stdout
        assert "Default configs for brokers in the cluster are:" in defaults
        assert parse_config_lines(defaults)["log.retention.bytes"] == "1073741824", defaults
        broker_all = parse_config_lines(config_command(cluster, cp, "--describe", "--entity-type", "brokers",
                                                       "--entity-name", "1", "--all").stdout)
        assert "log.retention.bytes" in broker_all and broker_all["num.partitions"].isdigit(), broker_all
    finally:
        config_command(cluster, cp, "--alter", "--entity-type", "brokers", "--entity-default",
                       "--delete-config", "log.retention.bytes")


# ---------------------------------------------------------------------------------------------------
# Persistence and static configs (Tributary only: these restart or configure the broker process)


def test_topic_and_dynamic_broker_configs_survive_a_restart(tmp_path, kafka_classpath):
    from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource,
                                       NewTopic, ResourceType)

    b = Broker(tmp_path).start()
    t = unique_topic("restart-configs")
    try:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic(t, 1, 1, config={"cleanup.policy": "compact"})], request_timeout=20)[t].result(30)
        changes = [ConfigResource(ResourceType.TOPIC, t, incremental_configs=[
                       ConfigEntry("retention.bytes", "2097152", incremental_operation=AlterConfigOpType.SET)]),
                   ConfigResource(ResourceType.BROKER, "1", incremental_configs=[
                       ConfigEntry("log.segment.bytes", "4194304", incremental_operation=AlterConfigOpType.SET)])]
        for f in admin.incremental_alter_configs(changes, request_timeout=20).values():
            f.result(timeout=30)
        # librdkafka will not name the cluster-wide resource (""); ConfigCommand does.
        config_command(b, kafka_classpath, "--alter", "--entity-type", "brokers", "--entity-default",
                       "--add-config", "log.retention.ms=3600000")
    finally:
        b.stop()

    b = Broker(tmp_path).start()
    try:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        res = ConfigResource(ResourceType.TOPIC, t)
        configs = admin.describe_configs([res], request_timeout=20)[res].result(timeout=30)
        assert configs["cleanup.policy"].value == "compact"
        assert configs["retention.bytes"].value == "2097152"
        assert (configs["retention.ms"].value, configs["retention.ms"].source) == \
            ("3600000", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value)
        assert (configs["segment.bytes"].value, configs["segment.bytes"].source) == \
            ("4194304", ConfigSource.DYNAMIC_BROKER_CONFIG.value)
    finally:
        b.stop()


def test_server_properties_are_the_static_broker_configs(tmp_path):
    from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic, ResourceType

    props = tmp_path / "server.properties"
    # A Kafka-style file: settings Tributary has no use for (KRaft quorum, listener map) are accepted.
    props.write_text("# written by the test\n"
                     "process.roles=broker,controller\n"
                     "controller.quorum.voters=1@127.0.0.1:9093\n"
                     "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
                     "num.partitions = 3\n"
                     "log.retention.hours=24\n"
                     "log.segment.bytes: 2097152\n")
    b = Broker(tmp_path, extra_args=("--config", str(props))).start()
    try:
        assert "not used by Tributary" in b.output()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        node = ConfigResource(ResourceType.BROKER, "1")
        broker = admin.describe_configs([node], request_timeout=20)[node].result(timeout=30)
        assert (broker["num.partitions"].value, broker["num.partitions"].source) == \
            ("3", ConfigSource.STATIC_BROKER_CONFIG.value)
        t = unique_topic("static")
        admin.create_topics([NewTopic(t)], request_timeout=20)[t].result(timeout=30)
        assert len(admin.list_topics(topic=t, timeout=20).topics[t].partitions) == 3
        res = ConfigResource(ResourceType.TOPIC, t)
        configs = admin.describe_configs([res], request_timeout=20)[res].result(timeout=30)
        assert configs["retention.ms"].value == str(24 * 3600 * 1000)
        assert (configs["segment.bytes"].value, configs["segment.bytes"].source) == \
            ("2097152", ConfigSource.STATIC_BROKER_CONFIG.value)
    finally:
        b.stop()


def test_an_invalid_server_properties_value_stops_the_start(tmp_path):
    props = tmp_path / "server.properties"
    props.write_text("log.segment.bytes=1000\n")
    b = Broker(tmp_path, extra_args=("--config", str(props)))
    with pytest.raises(RuntimeError) as e:
        b.start()
    assert "Invalid value 1000 for configuration log.segment.bytes: Value must be at least 1048576" in str(e.value)
