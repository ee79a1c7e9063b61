"""A 3-node Tributary cluster (every broker a voter of the metadata log) for the fault harness.

Runs the Release binary build/release/src/app/tributary (TRIBUTARY_BIN overrides it; it is not built
here). Node N runs `tributary serve --node-id N --voters 1@127.0.0.2:9092,2@127.0.0.3:9092,3@127.0.0.4:9092
--listen 127.0.0.(N+1):9092 --data-dir <tmp>/nodeN/data --config <tmp>/nodeN/server.properties --smp S`.
Raft (metadata log and one group per partition) runs over the client listener: there is no controller
port, so peer_port() is the client port. Data and logs (node.out, stdout+stderr) live under the cluster's
temp dir, removed by close().

Settings, and how they differ from kafka_cluster.py:
  default.replication.factor=3, num.partitions=3, auto.create.topics.enable=false,
  unclean.leader.election.enable=false: as for Kafka
  min.insync.replicas=2, replica.lag.time.max.ms=10000: as for Kafka. acks=all also waits for a Raft
    majority (2 of 3) whatever the ISR; an acks=all write is refused while fewer than 2 are in sync
  offsets.topic.replication.factor=1 and transaction.state.log.replication.factor=1 (Kafka: 3); the
    harness's producers do not use transactions, and its consumers commit no offsets
  ISR: only a partition's leader knows its in-sync replicas; Metadata from another broker lists every
    replica, so run.py's "full ISR" wait is exact only in the leader's answer
  --smp 2 (as tests/integration/test_cluster.py; Tributary's default is one event-loop thread per core):
    partitions spread over two shards per broker; an idle broker does not spin, so three fit on 2 cores
Readiness: Metadata lists the --voters brokers from the start (Kafka lists only unfenced brokers), so a
node also counts as ready only once its own Metadata names a leader for every partition of every topic in
`expected_topics` (run.py sets it after creating its topic), i.e. it has caught up with the metadata log
and knows the partitions' Raft leaders. What acks=all waits for on disk is Tributary's own policy (the
high watermark counts what a majority holds durably, raft/core.h); no flush setting is changed here.
"""

from __future__ import annotations

import os

from cluster import Cluster, CLIENT_PORT, ClusterError, _quiet_logger
from kafka_cluster import check_readable_by_others

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("TRIBUTARY_BIN", os.path.join(REPO, "build", "release", "src", "app", "tributary"))


class TributaryCluster(Cluster):
    name = "tributary"

    def __init__(self, nodes=(1, 2, 3), workdir=None, log=print, smp: int = 2, log_level: str = "info",
                 extra_props: dict | None = None, binary: str = BINARY):
        super().__init__(nodes, workdir, log)
        self.smp = smp
        self.log_level = log_level
        self.binary = binary
        self.extra_props = dict(extra_props or {})

    def peer_port(self, node: int) -> int:
        return CLIENT_PORT  # Raft shares the client listener

    def voters(self) -> str:
        return ",".join(f"{n}@{self.address(n)}:{self.peer_port(n)}" for n in self.nodes)

    def properties(self, node: int) -> dict:
        props = {
            "num.partitions": "3",
            "default.replication.factor": "3",
            "min.insync.replicas": "2",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "unclean.leader.election.enable": "false",
            "replica.lag.time.max.ms": "10000",
            "auto.create.topics.enable": "false",
        }
        props.update(self.extra_props)
        return props

    def prepare(self) -> None:
        if self._prepared:
            return
        if not os.access(self.binary, os.X_OK):
            raise ClusterError(f"{self.binary} is not an executable (build it: scripts/build.sh release, "
                               f"or set TRIBUTARY_BIN)")
        check_readable_by_others(self.binary)
        super().prepare()

    def _prepare_node(self, node: int) -> None:
        d = self.node_dir(node)
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        with open(os.path.join(d, "server.properties"), "w") as f:
            f.write("# written by tests/cluster/tributary_cluster.py\n")
            for k, v in self.properties(node).items():
                f.write(f"{k}={v}\n")

    def _command(self, node: int) -> tuple:
        d = self.node_dir(node)
        argv = [self.binary, "serve", "--node-id", str(node), "--voters", self.voters(),
                "--listen", self.client_address(node), "--data-dir", os.path.join(d, "data"),
                "--config", os.path.join(d, "server.properties"), "--smp", str(self.smp),
                "--log-level", self.log_level]
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
        env["HOME"] = d
        return argv, env

    def _ready_probe(self, node: int) -> bool:
        if not self.expected_topics:
            return True
        from confluent_kafka.admin import AdminClient
        admin = AdminClient({"bootstrap.servers": self.client_address(node), "socket.timeout.ms": 3000,
                             "log_level": 0, "logger": _quiet_logger})
        try:
            md = admin.list_topics(timeout=3)
        except Exception:
            return False
        for name in self.expected_topics:
            t = md.topics.get(name)
            if t is None or t.error is not None or not t.partitions or \
                    any(p.leader < 0 for p in t.partitions.values()):
                return False
        return True

    def log_files(self, node: int) -> list:
        d = self.node_dir(node)
        return [self.log_path(node), os.path.join(d, "server.properties")]
