#!/usr/bin/env python3
"""Runs the broker comparison of bench/run.sh: Tributary against Apache Kafka (default flush policy, and
again with log.flush.interval.messages=1), in alternation, with the same load generators.

    harness.py --out DIR [--mode quick|full] [--matrix default|full] [--rounds N]
               [--brokers tributary,kafka,kafka-fsync] [--workloads NAME,...]

Each round starts every broker in turn on a fresh data directory (same file system for all), measures
its start (process start to the first acks=all produce, idle RSS), runs every workload of the matrix
against it, reads its peak RSS and stops it: T K Kf T K Kf ... Per workload and broker:

  1. Kafka's ProducerPerformance (kafka-tools 4.4) into a fresh topic: producer throughput;
  2. franz-go (bench/loadgen) reads that topic back from the start: consumer throughput;
  3. Kafka's ConsumerPerformance on the same topic, when the broker serves a consumer-group protocol
     (KIP-848 preferred, so both brokers use the same one when both serve it);
  4. franz-go producer into a fresh topic for a fixed time: producer throughput;
  5. franz-go open-loop end-to-end latency at a fixed rate into a fresh topic;
  6. Kafka's EndToEndLatency (closed loop, one record at a time) on the baseline workload only, when the
     broker serves OffsetCommit and FindCoordinator (the tool assigns its partition and commits).

Broker CPU time (utime+stime of the broker process from /proc/<pid>/stat) is sampled around steps 1-4.
Every measurement is one JSON line in DIR/results.jsonl; DIR/meta.json describes the machine and run.
"""
import argparse
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KAFKA_REF = ROOT / "tools" / "kafka-ref"
LOADGEN = ROOT / "bench" / "loadgen" / "loadgen"
TRIBUTARY = Path(os.environ.get("TRIBUTARY_BIN", ROOT / "build" / "release" / "src" / "app" / "tributary"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
# ConsumerPerformance subscribes: with the KIP-848 protocol (group.protocol=consumer) when the broker
# serves ConsumerGroupHeartbeat, else with the classic one (JoinGroup, Heartbeat, SyncGroup); it commits.
# EndToEndLatency assigns its partition and only commits: OffsetCommit, FindCoordinator.
KIP848_APIS = {8, 10, 68}
CLASSIC_GROUP_APIS = {8, 10, 11, 12, 14}
COMMIT_APIS = {8, 10}

# ---- the matrix

BASELINE = {"size": 1024, "acks": "all", "partitions": 8, "compression": "none"}
DIMENSIONS = {
    "size": [100, 1024, 16384],
    "acks": ["1", "all"],
    "partitions": [1, 8, 64],
    "compression": ["none", "lz4", "zstd"],
}


def workload_name(w):
    return f"{w['size']}B-acks{w['acks']}-p{w['partitions']}-{w['compression']}"


def matrix(kind):
    """default: the baseline plus each other value of each dimension, one at a time (8 workloads);
    full: the whole cross product (54)."""
    if kind == "full":
        keys = list(DIMENSIONS)
        return [dict(zip(keys, vals)) for vals in itertools.product(*(DIMENSIONS[k] for k in keys))]
    out = [dict(BASELINE)]
    for dim, values in DIMENSIONS.items():
        for v in values:
            if v != BASELINE[dim]:
                out.append({**BASELINE, dim: v})
    return out


# Open-loop rates: well below what either broker sustains on two cores with the generator beside it.
E2E_RATE = {100: 5000, 1024: 5000, 16384: 1000}

MODES = {
    # pp_bytes: ProducerPerformance volume; pp_cap: its wall-clock cap (s); produce_s: franz-go producer;
    # e2e_s / warmup_s: open-loop latency run; e2e_linger_ms: its producer's linger (franz-go's default
    # of 10 ms would be most of the latency at these rates, the same for both brokers);
    # e2e_tool_records: EndToEndLatency records; rounds.
    # jit_s: a franz-go produce + consume of the baseline after start, not measured (JIT warm-up for the
    # JVM, page cache and allocator for both).
    "quick": dict(e2e_linger_ms=0, pp_bytes=96 << 20, pp_cap=12, produce_s=4, e2e_s=8, warmup_s=2, e2e_tool_records=300, rounds=1,
                  jit_s=3),
    # standard: three rounds like full, with shorter steps, so a quiet run fits in about 45 minutes.
    "standard": dict(e2e_linger_ms=0, pp_bytes=384 << 20, pp_cap=15, produce_s=6, e2e_s=12, warmup_s=3, e2e_tool_records=1000,
                     rounds=3, jit_s=4),
    "full": dict(e2e_linger_ms=0, pp_bytes=1 << 30, pp_cap=40, produce_s=15, e2e_s=30, warmup_s=5, e2e_tool_records=2000, rounds=3,
                 jit_s=10),
}

# ---- processes


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_start_realtime(pid):
    """Wall-clock time the process started: starttime (field 22, ticks since boot) moved onto CLOCK_REALTIME."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    since_boot = int(fields[19]) / CLK_TCK
    offset = time.clock_gettime(time.CLOCK_REALTIME) - time.clock_gettime(time.CLOCK_BOOTTIME)
    return since_boot + offset


def proc_status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port_pair():
    """A loopback port p with p+1 also free (Kafka's controller listens on p+1)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p < 65535 and port_free(p + 1) and port_free(p):
            return p
    raise RuntimeError("no free port pair on 127.0.0.1")


def loadgen(*args, timeout=300):
    cp = subprocess.run([str(LOADGEN), *args], capture_output=True, text=True, timeout=timeout)
    if cp.returncode != 0:
        raise RuntimeError(f"loadgen {' '.join(args)}: {cp.stderr.strip()[-2000:]}")
    return json.loads(cp.stdout.strip().splitlines()[-1])


def java_tool(cls, args, timeout):
    cmd = ["java", "-Xmx512M", "-cp", str(KAFKA_REF / "lib" / "*"), f"org.apache.kafka.tools.{cls}", *args]
    try:
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return cp.returncode, cp.stdout, cp.stderr, False
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return None, out, err, True


class Broker:
    """One broker session: a fresh data directory, started, measured, stopped."""

    def __init__(self, name, port, workdir):
        self.name, self.port, self.dir = name, port, workdir
        self.pid = None
        self.launched = False

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def fresh(self):
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)

    def start(self):
        """Starts the broker and returns the startup measurement."""
        self.fresh()
        if not port_free(self.port):
            raise RuntimeError(f"port {self.port} is in use")
        t0 = time.time()
        self.launched = True
        launcher = self.launch()
        first = loadgen("first-produce", "-brokers", self.bootstrap, "-topic", "first-produce", "-timeout", "180s",
                        timeout=240)
        self.wait_launched(launcher)
        t_first = first["ok_unix_ns"] / 1e9
        started = proc_start_realtime(self.pid)
        time.sleep(2)  # let start-up work settle before reading the idle footprint
        return {
            "start_to_first_produce_s": t_first - started,
            "command_to_first_produce_s": t_first - t0,
            "idle_rss_mib": proc_status_kib(self.pid, "VmRSS") / 1024,
            "first_produce_attempts": first["attempts"],
        }

    def cpu(self):
        return proc_cpu_seconds(self.pid)

    def peak_rss_mib(self):
        return proc_status_kib(self.pid, "VmHWM") / 1024


class Tributary(Broker):
    durability = ("default policy: every write is fsynced (group commit); acks=all is answered after the "
                  "fsync that covers it; acks=1 after the write; consumers read only fsynced records")

    def launch(self):
        self.log = open(self.dir / "broker.log", "w")
        self.proc = subprocess.Popen(
            [str(TRIBUTARY), "serve", "--listen", self.bootstrap, "--data-dir", str(self.dir / "data")],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        return None

    def wait_launched(self, launcher):
        if self.proc.poll() is not None:
            raise RuntimeError(f"tributary exited with {self.proc.returncode}; see {self.dir / 'broker.log'}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Kafka(Broker):
    extra = []
    durability = ("Kafka's default: log.flush.interval.messages unset, so a write is acknowledged (acks=all "
                  "included) once it is in the page cache; the OS writes it back later")

    def launch(self):
        env = dict(os.environ, KAFKA_LOG_LEVEL="INFO")
        self.log = open(self.dir / "kafka-sh.log", "w")
        return subprocess.Popen([str(KAFKA_REF / "kafka.sh"), "start", str(self.dir), str(self.port), *self.extra],
                                stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_launched(self, launcher):
        rc = launcher.wait(timeout=180)
        self.log.close()
        if rc != 0:
            raise RuntimeError(f"kafka.sh start failed; see {self.dir / 'kafka-sh.log'}")
        self.pid = int((self.dir / "kafka.pid").read_text().strip())

    def stop(self):
        subprocess.run([str(KAFKA_REF / "kafka.sh"), "stop", str(self.dir)], capture_output=True, timeout=120)


class KafkaFsync(Kafka):
    extra = ["log.flush.interval.messages=1"]
    durability = ("log.flush.interval.messages=1: the partition is fsynced after every appended batch, "
                  "before the produce is answered")


BROKER_CLASSES = {"tributary": Tributary, "kafka": Kafka, "kafka-fsync": KafkaFsync}

# ---- measurements

PP_FINAL = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
                      r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th")
PP_WINDOW = re.compile(r"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\)", re.M)


def producer_performance(b, topic, w, cfg):
    records = max(1000, cfg["pp_bytes"] // w["size"])
    props = [f"bootstrap.servers={b.bootstrap}", f"acks={w['acks']}", f"compression.type={w['compression']}"]
    if w["acks"] == "1":
        props.append("enable.idempotence=false")
    args = ["--topic", topic, "--num-records", str(records), "--record-size", str(w["size"]),
            "--throughput", "-1", "--reporting-interval", "1000", "--command-property", *props]
    rc, out, err, timed_out = java_tool("ProducerPerformance", args, timeout=cfg["pp_cap"] + 20)
    m = PP_FINAL.search(out)
    if m:
        n, rps, mbps = int(m[1]), float(m[2]), float(m[3])
        return {"records": n, "records_per_s": rps, "mib_per_s": mbps, "bytes": n * w["size"],
                "closed_loop_latency_ms": {"avg": float(m[4]), "p50": float(m[6]), "p99": float(m[8]),
                                           "p99.9": float(m[9]), "max": float(m[5])}}
    # Capped: the per-second windows printed so far (records acknowledged in each window).
    windows = [(int(x[0]), float(x[1])) for x in PP_WINDOW.findall(out)]
    windows = [wnd for wnd in windows if wnd[1] > 0]
    if timed_out and windows:
        n = sum(x[0] for x in windows)
        secs = sum(x[0] / x[1] for x in windows)
        return {"records": n, "records_per_s": n / secs, "mib_per_s": n * w["size"] / secs / (1 << 20),
                "bytes": n * w["size"], "capped": True}
    raise RuntimeError(f"ProducerPerformance failed (rc={rc}): {(out + err)[-1500:]}")


def consumer_performance(b, topic, records, protocol):
    args = ["--bootstrap-server", b.bootstrap, "--topic", topic, "--num-records", str(records), "--timeout", "20000",
            "--hide-header", "--command-property", f"group.protocol={protocol}"]
    rc, out, err, timed_out = java_tool("ConsumerPerformance", args, timeout=180)
    lines = [ln for ln in out.splitlines() if ln.count(",") >= 9]
    if rc != 0 or not lines:
        raise RuntimeError(f"ConsumerPerformance failed (rc={rc}): {(out + err)[-1500:]}")
    f = [x.strip() for x in lines[-1].split(",")]
    # start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch ms, fetch MB/s, fetch nMsg/s
    return {"group_protocol": protocol, "records": int(f[4]), "mib": float(f[2]), "mib_per_s": float(f[8]), "records_per_s": float(f[9]),
            "rebalance_ms": float(f[6]), "fetch_ms": float(f[7])}


def end_to_end_latency_tool(b, topic, w, records):
    args = [b.bootstrap, topic, str(records), w["acks"], str(w["size"])]
    rc, out, err, timed_out = java_tool("EndToEndLatency", args, timeout=300)
    avg = re.search(r"Avg latency: ([\d.]+) ms", out)
    pct = re.search(r"Percentiles: 50th = ([\d.]+), 99th = ([\d.]+), 99.9th = ([\d.]+)", out)
    if rc != 0 or not avg or not pct:
        raise RuntimeError(f"EndToEndLatency failed (rc={rc}): {(out + err)[-1500:]}")
    return {"records": records, "latency_ms": {"avg": float(avg[1]), "p50": float(pct[1]), "p99": float(pct[2]),
                                               "p99.9": float(pct[3])}}


class Recorder:
    def __init__(self, out, rerun=None):
        self.path = out / "results.jsonl"
        self.rerun = rerun

    def __call__(self, **row):
        row["time"] = time.time()
        if self.rerun is not None:
            row["rerun"] = self.rerun
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
        brief = {k: v for k, v in row.items() if k not in ("e2e_cdf_ms", "time")}
        print("  " + json.dumps(brief)[:400], flush=True)


def measured(b, fn):
    """Runs fn() and adds the broker's CPU seconds over it (and per GB of payload when bytes are known)."""
    c0 = b.cpu()
    r = fn()
    cpu = b.cpu() - c0
    r["broker_cpu_s"] = cpu
    if r.get("bytes"):
        r["broker_cpu_s_per_gb"] = cpu / (r["bytes"] / 1e9)
    return r


# --only: the steps a re-run may repeat, and the (step, generator) of the rows each one records.
STEPS = {
    "producer-perf": [("produce", "kafka-producer-perf"), ("consume", "franz-go"),
                      ("consume", "kafka-consumer-perf")],
    "franz-go-producer": [("produce", "franz-go")],
    "e2e": [("e2e", "franz-go")],
    "e2e-tool": [("e2e-closed-loop", "kafka-end-to-end-latency")],
}


def run_workload(b, rec, rnd, w, cfg, groups, commits, baseline, seq, steps=tuple(STEPS)):
    name = workload_name(w)
    base = {"round": rnd, "broker": b.name, "workload": name, **{k: w[k] for k in w}}

    def attempt(step, generator, fn):
        try:
            rec(**base, step=step, generator=generator, **fn())
        except Exception as e:  # record and carry on: one failing tool must not void the run
            rec(**base, step=step, generator=generator, error=str(e)[-1500:])

    if "producer-perf" in steps:
        producer_perf_steps(b, attempt, w, cfg, groups, seq)
    if "franz-go-producer" in steps:
        franz_go_producer_step(b, attempt, w, cfg, seq)
    if "e2e" in steps:
        e2e_step(b, attempt, w, cfg, seq)
    if baseline and commits and "e2e-tool" in steps:
        t = f"e2e-tool-{seq}"
        loadgen("create", "-brokers", b.bootstrap, "-topic", t, "-partitions", "1", timeout=120)
        attempt("e2e-closed-loop", "kafka-end-to-end-latency",
                lambda: end_to_end_latency_tool(b, t, w, cfg["e2e_tool_records"]))
        loadgen("delete", "-brokers", b.bootstrap, "-topic", t)


def producer_perf_steps(b, attempt, w, cfg, groups, seq):
    t = f"pp-{seq}"
    loadgen("create", "-brokers", b.bootstrap, "-topic", t, "-partitions", str(w["partitions"]), timeout=120)
    attempt("produce", "kafka-producer-perf", lambda: measured(b, lambda: producer_performance(b, t, w, cfg)))
    attempt("consume", "franz-go", lambda: measured(
        b, lambda: loadgen("consume", "-brokers", b.bootstrap, "-topic", t, "-timeout", "120s", timeout=200)))
    if groups:
        def cperf():
            n = loadgen("consume", "-brokers", b.bootstrap, "-topic", t, "-timeout", "120s", timeout=200)["records"]
            return measured(b, lambda: consumer_performance(b, t, n, groups))
        attempt("consume", "kafka-consumer-perf", cperf)
    loadgen("delete", "-brokers", b.bootstrap, "-topic", t)


def franz_go_producer_step(b, attempt, w, cfg, seq):
    t = f"fg-{seq}"
    loadgen("create", "-brokers", b.bootstrap, "-topic", t, "-partitions", str(w["partitions"]), timeout=120)
    attempt("produce", "franz-go", lambda: measured(b, lambda: loadgen(
        "produce", "-brokers", b.bootstrap, "-topic", t, "-size", str(w["size"]), "-acks", w["acks"],
        "-compression", w["compression"], "-duration", f"{cfg['produce_s']}s", "-timeout", "120s", timeout=300)))
    loadgen("delete", "-brokers", b.bootstrap, "-topic", t)


def e2e_step(b, attempt, w, cfg, seq):
    t = f"e2e-{seq}"
    loadgen("create", "-brokers", b.bootstrap, "-topic", t, "-partitions", str(w["partitions"]), timeout=120)
    rate = E2E_RATE[w["size"]]
    attempt("e2e", "franz-go", lambda: measured(b, lambda: loadgen(
        "e2e", "-brokers", b.bootstrap, "-topic", t, "-size", str(w["size"]), "-acks", w["acks"],
        "-compression", w["compression"], "-rate", str(rate), "-duration", f"{cfg['e2e_s']}s",
        "-linger", f"{cfg['e2e_linger_ms']}ms",
        "-warmup", f"{cfg['warmup_s']}s", "-timeout", "60s", timeout=300)))
    loadgen("delete", "-brokers", b.bootstrap, "-topic", t)


def warm_up(b, cfg):
    w = BASELINE
    loadgen("create", "-brokers", b.bootstrap, "-topic", "warm-up", "-partitions", str(w["partitions"]), timeout=120)
    loadgen("produce", "-brokers", b.bootstrap, "-topic", "warm-up", "-size", str(w["size"]), "-acks", w["acks"],
            "-compression", w["compression"], "-duration", f"{cfg['jit_s']}s", "-timeout", "120s", timeout=300)
    loadgen("consume", "-brokers", b.bootstrap, "-topic", "warm-up", "-timeout", "120s", timeout=200)
    loadgen("delete", "-brokers", b.bootstrap, "-topic", "warm-up")


def machine_info():
    cpu = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if ":" in line:
                k, v = (x.strip() for x in line.split(":", 1))
                cpu.setdefault(k, v)
    mem = proc_meminfo_total_gib()
    fs = subprocess.run(["df", "-hT", str(ROOT)], capture_output=True, text=True).stdout.splitlines()[-1].split()
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    trib = (subprocess.run([str(TRIBUTARY), "version"], capture_output=True, text=True).stdout.strip()
            if TRIBUTARY.exists() else None)
    kafka_jar = sorted((KAFKA_REF / "lib").glob("kafka_2.13-*.jar"))
    return {
        "cpu_model": cpu.get("model name"), "nproc": os.cpu_count(), "mem_gib": mem,
        "kernel": os.uname().release, "filesystem": {"device": fs[0], "type": fs[1], "size": fs[2]},
        "java": java, "go": go, "tributary": trib,
        "tributary_commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                           capture_output=True, text=True).stdout.strip(),
        "kafka": kafka_jar[0].name.removeprefix("kafka_2.13-").removesuffix(".jar") if kafka_jar else None,
        "franz_go": "v1.22.3",
    }


def proc_meminfo_total_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / (1 << 20), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="results directory (required unless --rerun-of)")
    ap.add_argument("--mode", choices=MODES, default="quick")
    ap.add_argument("--matrix", choices=["default", "full"], default="default")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--brokers", default="tributary,kafka,kafka-fsync")
    ap.add_argument("--workloads", help="comma-separated workload names (default: the whole matrix)")
    # 0: a free port chosen for each broker session (other brokers may run on this machine).
    ap.add_argument("--tributary-port", type=int, default=int(os.environ.get("BENCH_TRIBUTARY_PORT", 0)))
    ap.add_argument("--kafka-port", type=int, default=int(os.environ.get("BENCH_KAFKA_PORT", 0)))
    ap.add_argument("--only", help="comma-separated steps to run (" + ", ".join(STEPS) + "; default: all)")
    ap.add_argument("--rerun-of", type=Path, help="repeat --only's steps for an earlier run DIR (same mode, "
                    "matrix and brokers unless given): the rows go to DIR marked as a re-run, and the report "
                    "takes those steps from the latest re-run")
    a = ap.parse_args()

    steps = tuple(a.only.split(",")) if a.only else tuple(STEPS)
    if unknown := [x for x in steps if x not in STEPS]:
        sys.exit(f"unknown step(s) {','.join(unknown)}; steps are {', '.join(STEPS)}")
    base_meta = None
    if not a.rerun_of and not a.out:
        sys.exit("--out DIR is required")
    if a.rerun_of:
        if not a.only:
            sys.exit("--rerun-of needs --only")
        a.out = a.rerun_of
        base_meta = json.loads((a.out / "meta.json").read_text())
        a.mode, a.matrix = base_meta["mode"], base_meta["matrix"]
        if a.brokers == ap.get_default("brokers"):
            a.brokers = ",".join(base_meta["brokers"])
    cfg = dict(MODES[a.mode])
    rounds = a.rounds or (base_meta["rounds"] if base_meta else cfg["rounds"])
    work = matrix(a.matrix)
    if a.workloads:
        wanted = set(a.workloads.split(","))
        work = [w for w in work if workload_name(w) in wanted]
        if not work:
            sys.exit(f"no workload matches {a.workloads}; names look like {workload_name(BASELINE)}")
    brokers = a.brokers.split(",")
    a.out.mkdir(parents=True, exist_ok=True)
    data_root = Path(os.environ.get("BENCH_DATA_DIR", a.out / "data"))
    with open("/proc/loadavg") as f:
        load_start = f.read().split()[:3]
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    if base_meta:
        meta = base_meta
        rerun = {"index": len(meta.get("reruns", [])) + 1, "steps": list(steps),
                 "replaces": [list(x) for st in steps for x in STEPS[st]], "started": started, "rounds": rounds,
                 "brokers": brokers, "workloads": [workload_name(w) for w in work], "config": cfg,
                 "load_start": load_start, "tributary_commit": machine_info()["tributary_commit"]}
        meta.setdefault("reruns", []).append(rerun)
    else:
        meta = {
            "started": started, "mode": a.mode, "matrix": a.matrix,
            "rounds": rounds, "brokers": brokers, "workloads": [workload_name(w) for w in work],
            "baseline": workload_name(BASELINE), "config": cfg, "e2e_rate": E2E_RATE, "load_start": load_start,
            "machine": machine_info(), "data_dir": str(data_root),
            "durability": {n: BROKER_CLASSES[n].durability for n in brokers},
        }
    (a.out / "meta.json").write_text(json.dumps(meta, indent=2))
    rec = Recorder(a.out, rerun["index"] if base_meta else None)
    seq = 0
    for rnd in range(1, rounds + 1):
        for name in brokers:
            port = (a.tributary_port if name == "tributary" else a.kafka_port) or free_port_pair()
            b = BROKER_CLASSES[name](name, port, data_root / name)
            print(f"=== round {rnd}/{rounds}: {name} on {b.bootstrap}", flush=True)
            try:
                rec(round=rnd, broker=name, step="start", **b.start())
                apis = set(loadgen("apis", "-brokers", b.bootstrap)["api_keys"])
                groups = ("consumer" if KIP848_APIS <= apis else "classic" if CLASSIC_GROUP_APIS <= apis else None)
                commits = COMMIT_APIS <= apis
                if not groups:
                    rec(round=rnd, broker=name, step="note", note="no consumer-group membership APIs "
                        "(KIP-848 or classic): Kafka's ConsumerPerformance skipped")
                if not commits:
                    rec(round=rnd, broker=name, step="note", note="no OffsetCommit/FindCoordinator: Kafka's "
                        "EndToEndLatency skipped")
                warm_up(b, cfg)
                for w in work:
                    seq += 1
                    print(f"--- {name} {workload_name(w)}", flush=True)
                    run_workload(b, rec, rnd, w, cfg, groups, commits, w == BASELINE, seq, steps)
                rec(round=rnd, broker=name, step="memory", peak_rss_mib=b.peak_rss_mib(),
                    rss_mib=proc_status_kib(b.pid, "VmRSS") / 1024)
            except Exception as e:
                rec(round=rnd, broker=name, step="session", error=str(e)[-2000:])
            finally:
                if b.launched:
                    b.stop()
                shutil.rmtree(b.dir, ignore_errors=True)
    with open("/proc/loadavg") as f:
        load_end = f.read().split()[:3]
    finished = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    if base_meta:
        rerun.update(load_end=load_end, finished=finished)
    else:
        meta.update(load_end=load_end, finished=finished)
    (a.out / "meta.json").write_text(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
