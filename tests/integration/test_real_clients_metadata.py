"""Real clients discover the cluster: kcat (librdkafka 2.0), confluent-kafka (a recent librdkafka),
kafka-python and the Java AdminClient."""
import json
import pathlib
import subprocess

JAVA_DIR = pathlib.Path(__file__).parent / "java"


def test_kcat_lists_the_broker(broker):
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-L", "-J", "-m", "10"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    md = json.loads(out.stdout)
    assert md["brokers"] == [{"id": 1, "name": f"{broker.bootstrap}"}]
    assert md["controllerid"] == 1
    assert md["topics"] == []


def test_confluent_kafka_admin_lists_brokers_and_cluster_id(broker):
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    md = admin.list_topics(timeout=20)
    assert md.cluster_id == broker.cluster_id()
    assert md.controller_id == 1
    assert {b.id: (b.host, b.port) for b in md.brokers.values()} == {1: (broker.host, broker.port)}
    assert md.topics == {}

    desc = admin.describe_cluster(request_timeout=20).result(timeout=30)
    assert desc.cluster_id == broker.cluster_id()
    assert [(n.id, n.host, n.port) for n in desc.nodes] == [(1, broker.host, broker.port)]


def test_kafka_python_admin_describes_the_cluster(broker):
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=20000)
    try:
        desc = admin.describe_cluster()
        assert desc["cluster_id"] == broker.cluster_id()
        assert desc["controller_id"] == 1
        assert [(b["broker_id"], b["host"], b["port"], b["is_fenced"]) for b in desc["brokers"]] == [(1, broker.host, broker.port, False)]
        assert admin.list_topics() == []
    finally:
        admin.close()


def test_java_admin_client_describe_cluster(broker, kafka_classpath):
    out = subprocess.run(["java", "-cp", kafka_classpath, str(JAVA_DIR / "DescribeCluster.java"), broker.bootstrap],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["clusterId"] == broker.cluster_id()
    assert result["controller"] == 1
    assert result["nodes"] == [{"id": 1, "host": broker.host, "port": broker.port}]
    assert result["topics"] == []
