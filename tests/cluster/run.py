#!/usr/bin/env python3
"""Fault-injection run against a 3-node cluster: produce under faults, heal, read everything back, check.

    python3 tests/cluster/run.py --target kafka --scenario kill-leader --seconds 45
    python3 tests/cluster/run.py --target tributary --scenario kill-leader --seconds 45

Targets: kafka (kafka_cluster.py, Apache Kafka 4.4 from tools/kafka-ref) and tributary
(tributary_cluster.py, the Release binary build/release/src/app/tributary).

Runs as root; re-executes itself in a private network namespace (netns.py). Timeline: start the cluster,
create the topic (RF 3, min.insync.replicas=2), start producers and a live consumer; apply the scenario's
faults for --seconds; heal everything (network, paused and killed nodes) and wait until all nodes are
registered and every partition's ISR is full again; produce --settle more seconds; stop producers (each
flushes its outstanding records); read every partition from the beginning with a fresh consumer; check
the history (checker.py). Prints a summary, saves history.json and summary.json (and the nodes' logs when
something is wrong) under --out, and exits 0 when there is no anomaly, 1 when there is one, 2 when the
harness itself failed (cluster did not start, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import netns  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


# --- scenarios -------------------------------------------------------------------------------------------
# Each takes the Run and the deadline (monotonic seconds) and applies faults until then, in cycles.
# A cycle picks the current leader of one partition (rotating over partitions) as the victim.

def _sleep_until(t: float) -> None:
    while True:
        d = t - time.monotonic()
        if d <= 0:
            return
        time.sleep(min(d, 0.5))


def scenario_none(run, deadline):
    _sleep_until(deadline)


def scenario_kill_leader(run, deadline, down=5.0, quiet=5.0):
    """SIGKILL a partition leader, keep it down `down` s, restart it, wait until it is registered again."""
    i = 0
    while time.monotonic() + quiet < deadline:
        _sleep_until(time.monotonic() + quiet)
        victim = run.leader_of(i % run.partitions)
        run.nemesis("kill", victim)
        run.cluster.kill(victim)
        _sleep_until(time.monotonic() + down)
        run.nemesis("start", victim)
        run.cluster.start(victim)
        waited = run.cluster.wait_ready(timeout=120)
        run.nemesis("ready", victim, f"registered again after {waited:.1f}s")
        i += 1


def _cycle_leaders(run, deadline, hold, quiet, fault, heal):
    """Applies `fault(victim)` to the current leader of each partition in turn for `hold` s, then
    `heal(victim)` and `quiet` s of calm, until the deadline."""
    i = 0
    while time.monotonic() + 2 < deadline:
        _sleep_until(time.monotonic() + 5)
        victim = run.leader_of(i % run.partitions)
        fault(victim)
        _sleep_until(min(time.monotonic() + hold, deadline))
        heal(victim)
        _sleep_until(min(time.monotonic() + quiet, deadline))
        i += 1


def _heal_network(run, victim):
    run.nemesis("heal", victim, f"{run.net.heal()} packets dropped")


def scenario_partition_leader(run, deadline, cut=15.0, quiet=10.0):
    """Isolate a partition leader from the other nodes (clients still reach it) for `cut` s, then heal.
    15 s outlasts broker.session.timeout.ms (9 s) and replica.lag.time.max.ms (10 s here): the controller
    fences the cut-off broker and moves leadership while producers may still talk to the old leader."""
    def isolate(victim):
        run.nemesis("isolate", victim)
        run.net.isolate(victim)

    _cycle_leaders(run, deadline, cut, quiet, isolate, lambda v: _heal_network(run, v))


def scenario_one_way_leader(run, deadline, cut=15.0, quiet=10.0):
    """A partition leader's packets stop reaching the other nodes; theirs still reach it."""
    def cut_out(victim):
        run.nemesis("one-way-out", victim)
        for n in run.cluster.nodes:
            if n != victim:
                run.net.one_way(victim, n)

    _cycle_leaders(run, deadline, cut, quiet, cut_out, lambda v: _heal_network(run, v))


def scenario_pause(run, deadline, stopped=12.0, quiet=8.0):
    """SIGSTOP a partition leader for `stopped` s, then SIGCONT."""
    def pause(victim):
        run.nemesis("pause", victim)
        run.cluster.pause(victim)

    def resume(victim):
        run.nemesis("resume", victim)
        run.cluster.resume(victim)

    _cycle_leaders(run, deadline, stopped, quiet, pause, resume)


def scenario_loss(run, deadline, percent=20, on=10.0, off=5.0):
    """Drop `percent`% of the packets between nodes, in windows of `on` s."""
    while time.monotonic() + 2 < deadline:
        run.nemesis("loss", None, f"{percent}%")
        run.net.loss(percent)
        _sleep_until(min(time.monotonic() + on, deadline))
        run.nemesis("heal", None, f"{run.net.heal()} packets dropped")
        _sleep_until(min(time.monotonic() + off, deadline))


SCENARIOS = {
    "none": scenario_none,
    "kill-leader": scenario_kill_leader,
    "partition-leader": scenario_partition_leader,
    "one-way-leader": scenario_one_way_leader,
    "pause": scenario_pause,
    "loss": scenario_loss,
}


# --- the run ---------------------------------------------------------------------------------------------

class Run:
    def __init__(self, args, cluster, net):
        self.args, self.cluster, self.net = args, cluster, net
        self.topic, self.partitions = args.topic, args.partitions
        self.t0 = time.monotonic()
        self.nemesis_log: list = []

    def say(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.t0:7.1f}s] {msg}", flush=True)

    def nemesis(self, action: str, node, detail: str = "") -> None:
        self.nemesis_log.append({"time": time.monotonic(), "action": action, "node": node, "detail": detail})
        self.say(f"nemesis: {action}" + (f" node {node}" if node is not None else "") +
                 (f" ({detail})" if detail else ""))

    def reachable_bootstrap(self) -> str:
        """Nodes that can answer right now (running, not paused) — for the harness's own metadata lookups."""
        nodes = [n for n in self.cluster.nodes if self.cluster.is_running(n) and n not in self.cluster.paused]
        return self.cluster.bootstrap(nodes)

    def leader_of(self, partition: int) -> int:
        from workload import partition_state
        st = partition_state(self.reachable_bootstrap(), self.topic).get(partition)
        if st and st["leader"] in self.cluster.nodes:
            return st["leader"]
        return random.choice([n for n in self.cluster.nodes if self.cluster.is_running(n)])

    def wait_full_isr(self, timeout: float) -> bool:
        """True once every node's own Metadata shows a leader and a full ISR for every partition (a node
        that was cut off may still serve its stale view, so one node's answer is not enough)."""
        from workload import partition_state
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            views = [partition_state(self.cluster.client_address(n), self.topic) for n in self.cluster.nodes]
            if all(len(st) == self.partitions and all(
                    s["leader"] >= 0 and len(s["isr"]) == len(self.cluster.nodes) for s in st.values())
                   for st in views):
                return True
            time.sleep(0.5)
        return False


def make_cluster(args, log):
    if args.target == "kafka":
        from kafka_cluster import KafkaCluster
        return KafkaCluster(log=log, heap=args.heap)
    if args.target == "tributary":
        from tributary_cluster import TributaryCluster
        return TributaryCluster(log=log, smp=args.smp)
    raise SystemExit(f"unknown target {args.target!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="kafka", choices=["kafka", "tributary"])
    ap.add_argument("--scenario", default="kill-leader", choices=sorted(SCENARIOS))
    ap.add_argument("--seconds", type=float, default=45, help="length of the fault window (default 45)")
    ap.add_argument("--settle", type=float, default=5, help="seconds of producing after the heal (default 5)")
    ap.add_argument("--producers", type=int, default=3)
    ap.add_argument("--rate", type=float, default=100, help="sends per second per producer (default 100)")
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--topic", default="chaos")
    ap.add_argument("--acks", default="all", choices=["all", "1"],
                    help="producer acks (default all, idempotent); 1 = a negative control: acknowledged by "
                         "the leader alone, no idempotence, so a killed leader can lose acknowledged records")
    ap.add_argument("--message-timeout-ms", type=int, default=30000,
                    help="librdkafka message.timeout.ms (default 30000, longer than any fault here); a "
                         "shorter one turns records stuck in a fault into unknown outcomes")
    ap.add_argument("--client-debug", default=None, metavar="CONTEXTS",
                    help="librdkafka debug contexts for the producers (e.g. eos,msg), logged to client.log")
    ap.add_argument("--heap", default="-Xmx512m", help="JVM heap of each Kafka node")
    ap.add_argument("--smp", type=int, default=2, help="event-loop threads of each Tributary node (default 2)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out", default=None, help="where to save history.json etc. "
                    "(default build/chaos/<scenario>-<time>)")
    ap.add_argument("--keep-data", action="store_true", help="keep the cluster's temp dir (data, logs)")
    args = ap.parse_args(argv)

    netns.reexec_in_private_netns()
    netns.setup_loopback()

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    # Ctrl-C raises KeyboardInterrupt even when started from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, on_term)

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    random.seed(seed)
    out = args.out or os.path.join(REPO, "build", "chaos",
                                   f"{args.scenario}-{time.strftime('%Y%m%d-%H%M%S')}")
    os.makedirs(out, exist_ok=True)

    import workload
    from checker import check

    cluster = make_cluster(args, print)
    net = netns.Net(cluster.nodes)
    run = Run(args, cluster, net)
    stop = threading.Event()
    producers, consumer = [], None
    history = {"meta": {"target": args.target, "scenario": args.scenario, "seconds": args.seconds,
                        "settle": args.settle, "producers": args.producers, "rate": args.rate, "acks": args.acks,
                        "message_timeout_ms": args.message_timeout_ms,
                        "partitions": args.partitions, "topic": args.topic, "seed": seed,
                        "nodes": {str(n): cluster.client_address(n) for n in cluster.nodes}}}
    phases = {}
    rc = 2
    result = None
    try:
        net.install()
        t = time.monotonic()
        run.say(f"{args.target}: preparing 3 nodes in {cluster.workdir}")
        cluster.prepare()
        cluster.start_all()
        waited = cluster.wait_ready(timeout=180)
        phases["start_cluster"] = round(time.monotonic() - t, 1)
        run.say(f"cluster ready in {phases['start_cluster']}s (Metadata lists brokers {cluster.nodes} "
                f"on every node; {waited:.1f}s after the processes started)")

        workload.create_topic(cluster.bootstrap(), args.topic, args.partitions)
        cluster.expected_topics = [args.topic]
        run.say(f"topic {args.topic}: {args.partitions} partitions, RF 3, min.insync.replicas=2: "
                f"{workload.partition_state(cluster.bootstrap(), args.topic)}")

        producer_conf = {"message.timeout.ms": args.message_timeout_ms,
                         "request.timeout.ms": min(10000, args.message_timeout_ms)}
        if args.client_debug:
            producer_conf.update({"debug": args.client_debug, "logger": _file_logger(out, "client.log")})
        if args.acks != "all":
            producer_conf.update({"acks": args.acks, "enable.idempotence": False})
        producers = [workload.ProducerWorker(f"p{i}", cluster.bootstrap(), args.topic, args.partitions,
                                             args.rate, stop, extra_conf=producer_conf)
                     for i in range(args.producers)]
        consumer = workload.LiveConsumer("c0", cluster.bootstrap(), args.topic, args.partitions, stop)
        for w in producers + [consumer]:
            w.start()

        t = time.monotonic()
        run.say(f"scenario {args.scenario} for {args.seconds:.0f}s (seed {seed})")
        SCENARIOS[args.scenario](run, t + args.seconds)
        phases["faults"] = round(time.monotonic() - t, 1)

        t = time.monotonic()
        run.nemesis("heal-all", None, f"{net.heal()} packets dropped")
        cluster.heal_processes()
        cluster.wait_ready(timeout=180)
        full = run.wait_full_isr(timeout=90)
        phases["heal"] = round(time.monotonic() - t, 1)
        run.say(f"healed in {phases['heal']}s; ISR full on every partition: {full}; "
                f"{workload.partition_state(cluster.bootstrap(), args.topic)}")
        history["meta"]["isr_full_after_heal"] = full

        _sleep_until(time.monotonic() + args.settle)
        t = time.monotonic()
        stop.set()
        for w in producers + [consumer]:
            w.join(60)
        phases["drain"] = round(time.monotonic() - t, 1)
        for w in producers + [consumer]:
            if w.is_alive():
                raise RuntimeError(f"{w.name} did not stop within 60s")
            if w.error is not None:
                raise RuntimeError(f"{w.name} failed: {w.error!r}")

        t = time.monotonic()
        history["final_reads"] = workload.final_read(cluster.bootstrap(), args.topic, args.partitions)
        phases["final_read"] = round(time.monotonic() - t, 1)

        _collect(history, producers, consumer, run)
        t = time.monotonic()
        result = check(history)
        phases["check"] = round(time.monotonic() - t, 2)
        rc = 0 if result.ok else 1
    except KeyboardInterrupt:
        run.say("interrupted")
        rc = 130
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 2
        run.say(f"terminated ({rc})")
    except Exception:
        traceback.print_exc()
        rc = 2
    finally:
        stop.set()
        if "sends" not in history:  # interrupted or failed: keep what was recorded so far
            _collect(history, producers, consumer, run)
        if rc != 0:
            _save_logs(cluster, out)
        cluster.close(keep_dir=args.keep_data)

    phases["total"] = round(time.monotonic() - run.t0, 1)
    history["meta"]["phases_s"] = phases
    history["meta"]["t0"] = run.t0
    with open(os.path.join(out, "history.json"), "w") as f:
        json.dump(history, f)
    summary = {"meta": history["meta"], "exit": rc,
               "result": result.to_dict(max_anomalies=200) if result else None}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    _print_summary(run, result, history, phases, out, rc)
    return rc


def _file_logger(out, name):
    import logging
    lg = logging.getLogger("chaos.client")
    lg.propagate = False
    lg.setLevel(logging.DEBUG)
    h = logging.FileHandler(os.path.join(out, name))
    h.setFormatter(logging.Formatter("%(asctime)s %(threadName)s %(message)s"))
    lg.addHandler(h)
    return lg


def _collect(history, producers, consumer, run):
    history["sends"] = [s for w in producers for s in w.sends]
    history["polls"] = consumer.polls if consumer else []
    history["nemesis"] = run.nemesis_log
    history["client_events"] = [e for w in producers for e in w.events] + (consumer.events if consumer else [])


def _save_logs(cluster, out):
    dst = os.path.join(out, "logs")
    for n in cluster.nodes:
        for src in cluster.log_files(n):
            if os.path.exists(src):
                os.makedirs(os.path.join(dst, f"node{n}"), exist_ok=True)
                shutil.copy(src, os.path.join(dst, f"node{n}", os.path.basename(src)))


def _print_summary(run, result, history, phases, out, rc):
    print("---- summary ----")
    print(f"scenario {run.args.scenario} on {run.args.target}: phases (s) {phases}")
    print(f"nemesis actions: {len(history.get('nemesis', []))}; "
          f"client events: {len(history.get('client_events', []))}")
    if result is not None:
        c = result.counts
        print(f"sends {c['sends']}: ok {c['sends_ok']}, failed {c['sends_failed']}, unknown {c['sends_unknown']} "
              f"(present {c['unknown_present']}, absent {c['unknown_absent']}, "
              f"unverified {c['unknown_unverified']})")
        print(f"records read {c['records_read']} over {c['partitions_read']} partitions; "
              f"live polls {c['polls']}; ok sends verified {c['ok_verified']}, unverified {c['ok_unverified']}")
        if result.ok:
            print("anomalies: none")
        else:
            print(f"anomalies: {result.by_kind()}")
            for a in result.anomalies[:20]:
                print(f"  {a.kind} {a.partition} offsets={list(a.offsets)} values={list(a.values)} {a.detail}")
            if len(result.anomalies) > 20:
                print(f"  ... {len(result.anomalies) - 20} more in summary.json")
    print(f"history: {os.path.join(out, 'history.json')}")
    print(f"exit {rc}")


if __name__ == "__main__":
    sys.exit(main())
