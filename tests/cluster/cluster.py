"""The cluster interface the fault harness drives, independent of which broker runs.

A target (kafka_cluster.KafkaCluster, tributary_cluster.TributaryCluster) subclasses Cluster
and supplies three things:
  _prepare_node(node)  write the node's config under node_dir(node), format storage; runs once, before the
                       first start (as root; the base class hands node_dir to the node's uid afterwards)
  _command(node)       the argv (and optional env) that runs the node in the foreground
  _ready_probe(node)   optional: extra readiness beyond "answers Metadata listing every expected broker"
Everything else (processes under per-node uids, SIGKILL/SIGSTOP/SIGCONT, readiness, cleanup) is here, so a
fault scenario works on any target. Tributary's command is
  [binary, "serve", "--node-id", str(node), "--voters", "1@127.0.0.2:9092,...",
   "--listen", client_address(node), ...]
(its Raft traffic shares the client port, so TributaryCluster.peer_port() is CLIENT_PORT).

Addresses: node N (1-based) is 127.0.0.(N+1); clients connect on CLIENT_PORT, nodes talk to each other on
PEER_PORT. This only works inside the private namespace of netns.py, where nothing else holds those ports.
"""

from __future__ import annotations

import abc
import os
import shutil
import signal
import subprocess
import tempfile
import time

import netns

CLIENT_PORT = 9092
PEER_PORT = 9093


class ClusterError(RuntimeError):
    pass


class Cluster(abc.ABC):
    name = "cluster"

    def __init__(self, nodes=(1, 2, 3), workdir: str | None = None, log=print):
        self.nodes = list(nodes)
        self.log = log
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"tributary-chaos-{self.name}-")
        os.chmod(self.workdir, 0o755)  # the nodes' uids must traverse it
        if self._own_workdir:
            remove_stale_workdirs()
            with open(os.path.join(self.workdir, "harness.pid"), "w") as f:
                f.write(f"{os.getpid()} {_start_time(os.getpid())}\n")
        self.procs: dict = {}
        self.paused: set = set()
        self.starts: dict = {n: 0 for n in self.nodes}
        # Topics a node must know before it counts as ready (set by the runner once created; a target's
        # _ready_probe may check them, as tributary_cluster.py does)
        self.expected_topics: list = []
        self._prepared = False

    # --- addresses ------------------------------------------------------------------------------------
    def address(self, node: int) -> str:
        return netns.node_address(node)

    def client_port(self, node: int) -> int:
        return CLIENT_PORT

    def peer_port(self, node: int) -> int:
        return PEER_PORT

    def client_address(self, node: int) -> str:
        return f"{self.address(node)}:{self.client_port(node)}"

    def bootstrap(self, nodes=None) -> str:
        return ",".join(self.client_address(n) for n in (nodes or self.nodes))

    def seeds(self) -> str:
        return ",".join(f"{self.address(n)}:{self.peer_port(n)}" for n in self.nodes)

    def uid(self, node: int) -> int:
        return netns.node_uid(node)

    def node_dir(self, node: int) -> str:
        return os.path.join(self.workdir, f"node{node}")

    def log_path(self, node: int) -> str:
        return os.path.join(self.node_dir(node), "node.out")

    # --- what a target supplies -------------------------------------------------------------------------
    @abc.abstractmethod
    def _prepare_node(self, node: int) -> None: ...

    @abc.abstractmethod
    def _command(self, node: int) -> tuple:
        """(argv, env or None)"""

    def _ready_probe(self, node: int) -> bool:
        return True

    # --- lifecycle ----------------------------------------------------------------------------------------
    def prepare(self) -> None:
        if self._prepared:
            return
        for n in self.nodes:
            os.makedirs(self.node_dir(n), exist_ok=True)
            self._prepare_node(n)
            for root, dirs, files in os.walk(self.node_dir(n)):
                for name in [root] + [os.path.join(root, x) for x in dirs + files]:
                    os.chown(name, self.uid(n), self.uid(n))
        self._prepared = True

    def start(self, node: int) -> None:
        """Start node (no-op if running). Does not wait for readiness: see wait_ready."""
        self.prepare()
        if self.is_running(node):
            return
        argv, env = self._command(node)
        with open(self.log_path(node), "ab") as f:
            f.write(f"\n==== start {self.starts[node] + 1} at {time.strftime('%H:%M:%S')} ====\n".encode())
        self.procs[node] = netns.spawn(argv, uid=self.uid(node), log_path=self.log_path(node), env=env,
                                       cwd=self.node_dir(node))
        self.starts[node] += 1
        self.paused.discard(node)

    def start_all(self) -> None:
        for n in self.nodes:
            self.start(n)

    def kill(self, node: int) -> None:
        """SIGKILL: no shutdown, no flush; whatever was not on disk (or in the page cache) is gone."""
        netns.kill_and_reap(self.procs.get(node))
        self.paused.discard(node)

    def stop(self, node: int, timeout: float = 30.0) -> None:
        """SIGTERM (controlled shutdown), SIGKILL after timeout."""
        p = self.procs.get(node)
        if p is None or p.poll() is not None:
            return
        if node in self.paused:
            self.resume(node)
        netns.signal_process(p, signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.log(f"{self.name}: node {node} ignored SIGTERM for {timeout}s, SIGKILL")
            netns.kill_and_reap(p)

    def restart(self, node: int) -> None:
        self.kill(node)
        self.start(node)

    def pause(self, node: int) -> None:
        """SIGSTOP: the process keeps its sockets and state but stops answering (a long GC, a frozen VM)."""
        if netns.signal_process(self.procs.get(node), signal.SIGSTOP):
            self.paused.add(node)

    def resume(self, node: int) -> None:
        netns.signal_process(self.procs.get(node), signal.SIGCONT)
        self.paused.discard(node)

    def is_running(self, node: int) -> bool:
        p = self.procs.get(node)
        return p is not None and p.poll() is None

    def pid(self, node: int):
        p = self.procs.get(node)
        return p.pid if p is not None and p.poll() is None else None

    def heal_processes(self) -> None:
        """Resume paused nodes and start dead ones."""
        for n in self.nodes:
            if n in self.paused:
                self.resume(n)
            if not self.is_running(n):
                self.start(n)

    # --- readiness ----------------------------------------------------------------------------------------
    def registered_brokers(self, via: int, timeout: float = 3.0) -> set:
        """Broker ids listed by node `via`'s Metadata response (KRaft lists only unfenced brokers)."""
        from confluent_kafka.admin import AdminClient
        admin = AdminClient({"bootstrap.servers": self.client_address(via), "socket.timeout.ms": 3000,
                             "log_level": 0, "logger": _quiet_logger})
        try:
            md = admin.list_topics(timeout=timeout)
            return set(md.brokers)
        except Exception:
            return set()

    def wait_ready(self, nodes=None, timeout: float = 120.0) -> float:
        """Wait until every node in `nodes` (default: all running) answers Metadata listing every one of
        them as a registered broker. Returns the seconds waited; raises ClusterError on timeout or if a
        node exits meanwhile."""
        t0 = time.monotonic()
        want = set(nodes or [n for n in self.nodes if self.is_running(n)])
        pending = set(want)
        while True:
            for n in list(pending):
                if not self.is_running(n):
                    raise ClusterError(f"node {n} exited during startup (rc={self.procs[n].returncode}); "
                                       f"see {self.log_path(n)}:\n{self.tail(n)}")
                if want <= self.registered_brokers(n) and self._ready_probe(n):
                    pending.discard(n)
            if not pending:
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise ClusterError(f"nodes {sorted(pending)} not ready after {timeout:.0f}s "
                                   f"(want brokers {sorted(want)} registered)")
            time.sleep(0.5)

    def tail(self, node: int, lines: int = 20) -> str:
        try:
            with open(self.log_path(node), "rb") as f:
                return b"".join(f.readlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""

    def log_files(self, node: int) -> list:
        """Files worth keeping for a post-mortem (target-specific ones added by subclasses)."""
        return [self.log_path(node)]

    # --- cleanup -------------------------------------------------------------------------------------------
    def close(self, keep_dir: bool = False) -> None:
        """Kill every node (SIGCONT first is not needed: SIGKILL ends stopped processes) and remove the
        work dir. Safe to call twice and from exception handlers."""
        for n, p in list(self.procs.items()):
            netns.kill_and_reap(p)
        self.procs.clear()
        self.paused.clear()
        if self._own_workdir and not keep_dir and os.path.isdir(self.workdir):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _start_time(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return ""


def remove_stale_workdirs() -> None:
    """Remove the temp dirs of earlier runs whose harness died without cleaning up (SIGKILL: its nodes
    died with it through their parent-death signal, but nothing could remove the dir)."""
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        if not name.startswith("tributary-chaos-"):
            continue
        path = os.path.join(tmp, name)
        try:
            with open(os.path.join(path, "harness.pid")) as f:
                pid, started = f.read().split()
        except (OSError, ValueError):
            continue
        if _start_time(int(pid)) != started:
            shutil.rmtree(path, ignore_errors=True)


class _QuietLogger:
    """A logging.Logger stand-in for librdkafka's `logger` setting: the harness expects brokers to be
    down at times and reports what matters itself."""

    def log(self, *args, **kwargs):
        pass

    def __getattr__(self, _name):
        return self.log


_quiet_logger = _QuietLogger()
