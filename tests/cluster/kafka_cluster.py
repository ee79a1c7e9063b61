"""A 3-node Apache Kafka 4.4 cluster (KRaft, each node broker+controller) for the fault harness.

Uses the jars of tools/kafka-ref (fetched by tools/kafka-ref/fetch.sh). Node N listens for clients on
127.0.0.(N+1):9092 and for the controller quorum on :9093; controller.quorum.voters lists all three.
Data and logs live under the cluster's temp dir, removed by close().

Settings that differ from Kafka's defaults, and why:
  default.replication.factor=3, min.insync.replicas=2, internal topics RF 3 / min ISR 2: a real cluster
  replica.lag.time.max.ms=10000 (default 30000): a cut-off follower leaves the ISR within a short scenario
  unclean.leader.election.enable=false is the default and is stated explicitly
Kafka acknowledges acks=all once the ISR has the record in memory (page cache); it does not fsync.
"""

from __future__ import annotations

import base64
import os
import subprocess

import netns
from cluster import Cluster, CLIENT_PORT, PEER_PORT, ClusterError

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KAFKA_LIB = os.environ.get("KAFKA_REF_LIB", os.path.join(REPO, "tools", "kafka-ref", "lib"))
JAVA = os.environ.get("JAVA", "java")


def ensure_jars() -> None:
    """Run tools/kafka-ref/fetch.sh (a silent no-op when lib/ is complete)."""
    if "KAFKA_REF_LIB" in os.environ:
        return
    subprocess.run([os.path.join(REPO, "tools", "kafka-ref", "fetch.sh")], check=True)


def check_readable_by_others(path: str) -> None:
    """The nodes run under their own uids: the jars and every directory above them must be world-readable
    (a checkout under a 0700 home such as /root is not)."""
    import stat
    p = os.path.abspath(path)
    while True:
        mode = os.stat(p).st_mode
        if not mode & stat.S_IXOTH or not mode & stat.S_IROTH:
            raise ClusterError(f"{p} is not readable by other users (mode {stat.filemode(mode)}); the nodes "
                               f"run as uids {netns.NODE_UID_BASE + 1}.. and need {path}: move the checkout or set KAFKA_REF_LIB")
        parent = os.path.dirname(p)
        if parent == p:
            return
        p = parent


def random_cluster_id() -> str:
    while True:
        cid = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


class KafkaCluster(Cluster):
    name = "kafka"

    def __init__(self, nodes=(1, 2, 3), workdir=None, log=print, heap: str = "-Xmx512m",
                 extra_props: dict | None = None):
        super().__init__(nodes, workdir, log)
        self.heap = heap
        self.extra_props = dict(extra_props or {})
        self.cluster_id = random_cluster_id()

    def voters(self) -> str:
        return ",".join(f"{n}@{self.address(n)}:{PEER_PORT}" for n in self.nodes)

    def properties(self, node: int) -> dict:
        d = self.node_dir(node)
        a = self.address(node)
        props = {
            "process.roles": "broker,controller",
            "node.id": str(node),
            "controller.quorum.voters": self.voters(),
            "listeners": f"PLAINTEXT://{a}:{CLIENT_PORT},CONTROLLER://{a}:{PEER_PORT}",
            "advertised.listeners": f"PLAINTEXT://{a}:{CLIENT_PORT}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": os.path.join(d, "data"),
            "num.partitions": "3",
            "default.replication.factor": "3",
            "min.insync.replicas": "2",
            "offsets.topic.replication.factor": "3",
            "transaction.state.log.replication.factor": "3",
            "transaction.state.log.min.isr": "2",
            "share.coordinator.state.topic.replication.factor": "3",
            "share.coordinator.state.topic.min.isr": "2",
            "group.initial.rebalance.delay.ms": "0",
            "unclean.leader.election.enable": "false",
            "replica.lag.time.max.ms": "10000",
            "auto.create.topics.enable": "false",
        }
        props.update(self.extra_props)
        return props

    def _prepare_node(self, node: int) -> None:
        d = self.node_dir(node)
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        with open(os.path.join(d, "server.properties"), "w") as f:
            f.write("# written by tests/cluster/kafka_cluster.py\n")
            for k, v in self.properties(node).items():
                f.write(f"{k}={v}\n")
        with open(os.path.join(d, "log4j2.properties"), "w") as f:
            f.write(f"""status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {d}/logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
""")

    def prepare(self) -> None:
        if self._prepared:
            return
        ensure_jars()
        check_readable_by_others(KAFKA_LIB)
        super().prepare()
        # Format the three data dirs with one cluster id, in parallel (each is a JVM start), as the nodes'
        # own uids so the files belong to them.
        procs = []
        for n in self.nodes:
            d = self.node_dir(n)
            argv = [JAVA, "-Xmx256m", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1",
                    f"-Dlog4j2.configurationFile={d}/log4j2.properties", "-cp", f"{KAFKA_LIB}/*",
                    "kafka.tools.StorageTool", "format", "-t", self.cluster_id, "-c", f"{d}/server.properties"]
            procs.append((n, netns.spawn(argv, uid=self.uid(n), log_path=os.path.join(d, "format.out"),
                                         env=self._env(n), cwd=d)))
        for n, p in procs:
            if p.wait(120) != 0:
                with open(os.path.join(self.node_dir(n), "format.out"), errors="replace") as f:
                    raise ClusterError(f"StorageTool format failed for node {n}:\n{f.read()[-2000:]}")

    def _env(self, node: int) -> dict:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "JAVA_HOME", "TZ")}
        env["HOME"] = self.node_dir(node)
        return env

    def _command(self, node: int) -> tuple:
        d = self.node_dir(node)
        argv = [JAVA, self.heap, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:-UsePerfData",
                "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={d}/log4j2.properties",
                f"-Dkafka.logs.dir={d}/logs", "-cp", f"{KAFKA_LIB}/*", "kafka.Kafka", f"{d}/server.properties"]
        return argv, self._env(node)

    def log_files(self, node: int) -> list:
        d = self.node_dir(node)
        return [self.log_path(node), os.path.join(d, "logs", "server.log"), os.path.join(d, "format.out")]
