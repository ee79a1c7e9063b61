"""netns.py's faults do what they say: run as root, in a namespace of their own (~6 s).

Skipped unless root with `unshare`, `nft` and a /usr/bin/python3 (the probes run under the nodes' uids,
which cannot execute a Python interpreter under /root). The check itself runs in a child process that
re-executes into a private network namespace, as run.py does; the host's network is never touched.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import netns  # noqa: E402

PORT = 7000


def _need():
    if os.geteuid() != 0:
        return "needs root"
    for tool in ("unshare", "nft", "ip"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    if not os.access("/usr/bin/python3", os.X_OK):
        return "needs /usr/bin/python3 (run under the nodes' uids)"
    return None


def test_faults_in_private_namespace():
    import pytest
    why = _need()
    if why:
        pytest.skip(why)
    r = subprocess.run([sys.executable, os.path.abspath(__file__)], capture_output=True, text=True, timeout=60)
    print(r.stdout)
    print(r.stderr, file=sys.stderr)
    assert r.returncode == 0
    assert "all netns checks passed" in r.stdout


# --- the part that runs inside the namespace -------------------------------------------------------------

def _serve_tcp(addr):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, PORT))
    s.listen(64)

    def loop():
        while True:
            c, _ = s.accept()
            c.close()
    threading.Thread(target=loop, daemon=True).start()


_udp_seen = set()


def _serve_udp(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, PORT))

    def loop():
        while True:
            data, _ = s.recvfrom(100)
            _udp_seen.add(data.decode())
    threading.Thread(target=loop, daemon=True).start()


def _as_uid(uid, fn) -> bool:
    """Run fn() in a forked child under uid; True if it returned without raising."""
    pid = os.fork()
    if pid == 0:
        try:
            if uid:
                os.setgid(uid)
                os.setuid(uid)
            fn()
            os._exit(0)
        except BaseException as e:
            if os.environ.get("NETNS_TEST_DEBUG"):
                print(f"uid {uid}: {e!r}", file=sys.stderr, flush=True)
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def tcp_ok(src_node, dst_node) -> bool:
    """Can node src_node (0 = the harness, a client) open a TCP connection to node dst_node?"""
    def go():
        # (no create_connection: after setuid the interpreter under /root cannot import its idna codec)
        c = socket.socket()
        c.settimeout(0.2)
        c.connect((netns.node_address(dst_node), PORT))
        c.close()
    return _as_uid(netns.node_uid(src_node) if src_node else 0, go)


def udp_ok(src_node, dst_node) -> bool:
    import time
    tag = f"{src_node}->{dst_node}-{time.monotonic()}"

    def go():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(tag.encode(), (netns.node_address(dst_node), PORT))
    _as_uid(netns.node_uid(src_node) if src_node else 0, go)
    deadline = time.monotonic() + 0.1
    while time.monotonic() < deadline and tag not in _udp_seen:
        time.sleep(0.01)
    return tag in _udp_seen


def inner():
    netns.reexec_in_private_netns()
    netns.setup_loopback()
    nodes = [1, 2, 3]
    for n in nodes:
        _serve_tcp(netns.node_address(n))
        _serve_udp(netns.node_address(n))
    net = netns.Net(nodes)
    net.install()
    pairs = [(a, b) for a in [0] + nodes for b in nodes if a != b]

    def matrix():
        return {(a, b): tcp_ok(a, b) for a, b in pairs}

    def expect(name, got, blocked):
        want = {p: p not in blocked for p in pairs}
        bad = {p: got[p] for p in pairs if got[p] != want[p]}
        assert not bad, f"{name}: unexpected reachability (src, dst) -> connected: {bad}"
        print(f"ok: {name}")

    expect("no faults", matrix(), set())

    net.isolate(2)
    expect("isolate 2 from nodes", matrix(), {(2, 1), (2, 3), (1, 2), (3, 2)})
    assert net.heal() > 0
    expect("healed", matrix(), set())

    net.isolate(3, clients_too=True)
    expect("isolate 3 from nodes and clients", matrix(), {(3, 1), (3, 2), (1, 3), (2, 3), (0, 3)})
    net.heal()

    net.partition([1], [2])
    expect("partition 1|2", matrix(), {(1, 2), (2, 1)})
    net.heal()

    # One-way 1->2: TCP fails both ways (a handshake needs both directions); datagrams show the direction.
    net.one_way(1, 2)
    expect("one-way 1->2 (tcp)", matrix(), {(1, 2), (2, 1)})
    assert not udp_ok(1, 2), "one-way 1->2: 1's datagram reached 2"
    assert udp_ok(2, 1), "one-way 1->2: 2's datagram did not reach 1"
    assert udp_ok(1, 3) and udp_ok(3, 2)
    print("ok: one-way 1->2 (udp)")
    net.heal()

    net.loss(100)
    expect("loss 100% between nodes", matrix(), {(a, b) for a, b in pairs if a != 0})
    net.heal()
    net.loss(50)
    delivered = sum(udp_ok(1, 2) for _ in range(40))
    assert 5 <= delivered <= 35, f"loss 50%: {delivered}/40 delivered"
    print(f"ok: loss 50% ({delivered}/40 datagrams delivered)")
    net.heal()
    expect("healed", matrix(), set())

    # Process faults: a node process under its uid, stopped, continued, killed; parent-death cleanup.
    import signal
    p = netns.spawn(["/usr/bin/python3", "-c", "import time; time.sleep(60)"], uid=netns.node_uid(1),
                    log_path="/dev/null")
    assert netns.signal_process(p, signal.SIGSTOP)
    import time
    for _ in range(50):
        state = open(f"/proc/{p.pid}/stat").read().split(")")[1].split()[0]
        if state == "T":
            break
        time.sleep(0.02)
    assert state == "T", state
    assert netns.signal_process(p, signal.SIGCONT)
    netns.kill_and_reap(p)
    assert p.returncode == -signal.SIGKILL
    assert not netns.signal_process(p, signal.SIGCONT)
    print("ok: process faults")
    print("all netns checks passed")


if __name__ == "__main__":
    inner()
