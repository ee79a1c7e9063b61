"""A private network namespace for a cluster test, network faults with nftables, process faults.

Layout. The harness re-executes itself under `unshare --net` (root only), so every broker, client and
nftables rule lives in a namespace that vanishes when the last of its processes exits. Inside, `lo` is
brought up; node N listens on 127.0.0.(N+1) and runs as uid NODE_UID_BASE+N (no passwd entry needed).

Why uids. A node's outgoing connections do not come from its own address: Kafka (and most clients) do not
bind() before connect(), so the kernel picks the source 127.0.0.1 for any 127.0.0.x destination. A rule
such as `ip saddr 127.0.0.2 ip daddr 127.0.0.3 drop` therefore never matches a connection that node 1
opens to node 2; it only matches replies. To know which node a connection belongs to, a rule in the output
hook marks each new connection with the node id of the socket's owner (`meta skuid`), and the fault rules
match on that conntrack mark plus the connection's original destination. Connections from the harness
(uid 0: producers, consumers, admin) carry mark 0, "client".

Faults are rules in one input-hook chain; heal() flushes it. Dropped packets vanish silently (the sender's
TCP retransmits), like a real partition: nothing is refused or reset.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass

NODE_UID_BASE = 61000
TABLE = "tributary_chaos"
_ENV_PARENT_NS = "TRIBUTARY_CHAOS_PARENT_NETNS"
_PR_SET_PDEATHSIG = 1


def netns_id() -> str:
    return os.readlink("/proc/self/ns/net")


def in_private_netns() -> bool:
    """True when this process was re-executed by reexec_in_private_netns (its namespace differs)."""
    parent = os.environ.get(_ENV_PARENT_NS)
    return parent is not None and parent != netns_id()


def reexec_in_private_netns() -> None:
    """Replace this process with itself under `unshare --net`, unless already there. Needs root: the
    nodes run under other uids, which an unprivileged user namespace (`unshare -rn`) cannot map."""
    if in_private_netns():
        return
    if os.geteuid() != 0:
        sys.exit("netns: the cluster harness needs root (unshare --net, nftables, per-node uids)")
    for tool in ("unshare", "ip", "nft"):
        if shutil.which(tool) is None:
            sys.exit(f"netns: `{tool}` not found (scripts/setup.sh --test installs nftables)")
    os.environ[_ENV_PARENT_NS] = netns_id()
    argv = ["unshare", "--net", "--", sys.executable, *sys.argv]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp("unshare", argv)


def setup_loopback() -> None:
    """Bring `lo` up in the (private) namespace: 127.0.0.0/8 is then all local."""
    if not in_private_netns():
        raise RuntimeError("refusing to touch the network outside a private namespace")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def node_address(node: int) -> str:
    return f"127.0.0.{node + 1}"


def node_uid(node: int) -> int:
    return NODE_UID_BASE + node


# --- processes -----------------------------------------------------------------------------------------

def _child_setup() -> None:
    # Runs in the child after setuid (subprocess applies user= before preexec_fn), so the parent-death
    # signal survives the credential change: if the harness dies, even by SIGKILL, the node dies too.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(argv: list, *, uid: int | None, log_path: str, env: dict | None = None,
          cwd: str | None = None) -> subprocess.Popen:
    """Start a node process in its own session (so SIGSTOP/SIGKILL of it touches nothing else and Ctrl-C in
    the terminal does not reach it), under `uid`, stdout+stderr appended to log_path. Call from the main
    thread: the parent-death signal fires when the spawning *thread* exits."""
    log = open(log_path, "ab")
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, user=uid, group=uid, extra_groups=[] if uid else None,
                                env=env, cwd=cwd, preexec_fn=_child_setup)
    finally:
        log.close()


def signal_process(proc: subprocess.Popen | None, sig: int) -> bool:
    """Send sig to the process (not its group); False if it already exited."""
    if proc is None or proc.poll() is not None:
        return False
    try:
        os.kill(proc.pid, sig)
        return True
    except ProcessLookupError:
        return False


def kill_and_reap(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """SIGKILL (after SIGCONT, harmless) and wait; a stopped process dies of SIGKILL as well."""
    if proc is None:
        return
    if proc.poll() is None:
        signal_process(proc, signal.SIGKILL)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass


# --- network faults ------------------------------------------------------------------------------------

@dataclass
class Rule:
    what: str        # human description, for logs and the history
    nft: str         # the rule body


class Net:
    """nftables faults among nodes (ids) in the private namespace. install() once, then any mix of
    partition/isolate/one_way/loss, then heal()."""

    def __init__(self, nodes: list):
        self.nodes = list(nodes)
        self.active: list = []

    def _nft(self, script: str) -> None:
        if not in_private_netns():
            raise RuntimeError("refusing to load nftables rules outside a private namespace")
        r = subprocess.run(["nft", "-f", "-"], input=script, text=True, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"nft failed ({r.returncode}): {r.stderr.strip()}\nscript:\n{script}")

    def install(self) -> None:
        tags = "\n".join(f"    ct state new meta skuid {node_uid(n)} ct mark set {n}" for n in self.nodes)
        self._nft(f"""
table inet {TABLE} {{
  chain tag {{
    type filter hook output priority -150; policy accept;
{tags}
  }}
  chain faults {{
    type filter hook input priority 0; policy accept;
  }}
}}
""")

    def _add(self, rules: list) -> None:
        body = "\n".join(f"add rule inet {TABLE} faults {r.nft.replace(' drop', ' counter drop')}"
                         for r in rules)
        self._nft(body + "\n")
        self.active += rules

    @staticmethod
    def _conn(src_mark: int, dst: int, direction: str | None = None) -> str:
        """Packets of connections opened by mark src_mark (0 = clients) to node dst's address."""
        d = f" ct direction {direction}" if direction else ""
        return f"ct mark {src_mark} ct original ip daddr {node_address(dst)}{d}"

    def one_way(self, src: int, dst: int) -> None:
        """Packets from node src no longer reach node dst; dst's packets still reach src (TCP connections
        in either direction stall, but half of each conversation gets through)."""
        self._add([
            Rule(f"one-way {src}->{dst} (src's connections)", f"{self._conn(src, dst, 'original')} drop"),
            Rule(f"one-way {src}->{dst} (dst's connections)", f"{self._conn(dst, src, 'reply')} drop"),
        ])

    def partition(self, side_a: list, side_b: list) -> None:
        """No packet between any node of side_a and any node of side_b, both directions."""
        rules = []
        for a in side_a:
            for b in side_b:
                rules.append(Rule(f"partition {a}<->{b}", f"{self._conn(a, b)} drop"))
                rules.append(Rule(f"partition {b}<->{a}", f"{self._conn(b, a)} drop"))
        self._add(rules)

    def isolate(self, node: int, clients_too: bool = False) -> None:
        """Cut node off from every other node (and from the harness's clients if clients_too)."""
        self.partition([node], [n for n in self.nodes if n != node])
        if clients_too:
            self._add([Rule(f"clients -/- {node}", f"{self._conn(0, node)} drop")])

    def loss(self, percent: int, clients_too: bool = False) -> None:
        """Drop `percent`% of packets between nodes (and of client traffic if clients_too)."""
        if not 0 < percent <= 100:
            raise ValueError("percent must be in 1..100")
        marks = ", ".join(str(n) for n in self.nodes)
        # nft checks the constant against the expression's range (0..99): 100% is a plain drop
        rnd = f" numgen random mod 100 < {percent}" if percent < 100 else ""
        rules = [Rule(f"loss {percent}% between nodes", f"ct mark {{ {marks} }}{rnd} drop")]
        if clients_too:
            rules.append(Rule(f"loss {percent}% client traffic", f"ct mark 0{rnd} drop"))
        self._add(rules)

    def dropped(self) -> int:
        """Packets dropped by the active fault rules so far (their counters)."""
        r = subprocess.run(["nft", "-j", "list", "chain", "inet", TABLE, "faults"], capture_output=True,
                           text=True, check=True)
        total = 0
        for item in json.loads(r.stdout).get("nftables", []):
            for expr in item.get("rule", {}).get("expr", []):
                if "counter" in expr:
                    total += int(expr["counter"].get("packets", 0))
        return total

    def heal(self) -> int:
        """Remove every fault rule; returns how many packets they dropped."""
        n = self.dropped() if self.active else 0
        self._nft(f"flush chain inet {TABLE} faults\n")
        self.active = []
        return n

    def describe(self) -> list:
        return [r.what for r in self.active]

    def ruleset(self) -> str:
        return subprocess.run(["nft", "list", "table", "inet", TABLE], capture_output=True, text=True).stdout
