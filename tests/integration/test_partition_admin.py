"""Partition-level admin APIs through the Java AdminClient: ListOffsets (earliest, latest, max
timestamp, by timestamp), DeleteRecords, DescribeLogDirs, DescribeProducers."""
import json
import pathlib
import subprocess

JAVA_DIR = pathlib.Path(__file__).parent / "java"


def test_java_admin_partition_apis(broker, kafka_classpath):
    out = subprocess.run(["java", "-cp", kafka_classpath, str(JAVA_DIR / "PartitionAdmin.java"), broker.bootstrap,
                          "partition-admin"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["earliest"] == 0
    assert r["latest"] == 100
    # Record i has timestamp base + i s: the newest is offset 99; the first at or after base+50 s is 50.
    assert (r["maxTimestampOffset"], r["maxTimestamp"]) == (99, r["base"] + 99_000)
    assert r["at50"] == 50
    assert r["afterAll"] == -1  # no record that late: Kafka answers offset -1
    assert r["lowWatermark"] == 40
    assert r["earliestAfterDelete"] == 40
    assert r["logDirSize"] > 0
    # One idempotent producer wrote 100 records in sequence 0..99 at epoch 0.
    assert r["producers"] == 1
    assert r["producer"] == {"epoch": 0, "lastSequence": 99}
