#!/usr/bin/env python3
"""Writes docs/benchmarks.md and docs/benchmarks/*.png from one results directory of bench/run.sh.

    report.py bench/results/<run> [--doc docs/benchmarks.md] [--plots docs/benchmarks]

Every number is the median over the run's rounds. Ratios are Tributary / Kafka: above 1 is better for
throughput, below 1 is better for latency, CPU and memory. Text after the ANALYSIS_MARKER line of the
existing document (hand-written analysis) is kept.
"""
import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANALYSIS_MARKER = "<!-- Hand-written analysis below this line is kept by bench/report.py. -->"
BROKERS = ["tributary", "kafka", "kafka-fsync"]
LABEL = {"tributary": "Tributary", "kafka": "Kafka", "kafka-fsync": "Kafka fsync"}
COLOR = {"tributary": "#1b9e77", "kafka": "#d95f02", "kafka-fsync": "#7570b3"}


def load(run):
    meta = json.loads((run / "meta.json").read_text())
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines() if line.strip()]
    micro = {}
    for f in sorted(run.glob("micro-*.json")):
        micro[f.stem.removeprefix("micro-")] = json.loads(f.read_text())
    return meta, latest_rows(meta, rows), micro


def latest_rows(meta, rows):
    """Rows of the steps a re-run repeated come from the latest re-run of them; its other rows (start,
    memory) are dropped, so start-up and memory figures stay those of the full run."""
    latest = {}  # (step, generator) -> index of the latest re-run
    for r in meta.get("reruns", []):
        for step, generator in r["replaces"]:
            latest[(step, generator)] = r["index"]
    return [row for row in rows
            if latest.get((row.get("step"), row.get("generator"))) == row.get("rerun")]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def get(d, path):
    for p in path.split("/"):
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


class Results:
    def __init__(self, rows):
        self.by = defaultdict(list)  # (workload, broker, step, generator) -> rows without error
        self.errors = defaultdict(list)
        self.sessions = defaultdict(list)  # (broker, step) -> rows
        for r in rows:
            if r.get("workload"):
                key = (r["workload"], r["broker"], r["step"], r.get("generator"))
                (self.errors if "error" in r else self.by)[key].append(r)
            else:
                self.sessions[(r["broker"], r["step"])].append(r)

    def value(self, workload, broker, step, generator, path):
        return med(get(r, path) for r in self.by.get((workload, broker, step, generator), []))

    def session(self, broker, step, path):
        return med(get(r, path) for r in self.sessions.get((broker, step), []))

    def error(self, workload, broker, step, generator):
        e = self.errors.get((workload, broker, step, generator))
        return e[0]["error"].splitlines()[-1][:120] if e else None


def fmt(v, digits=None):
    if v is None:
        return "–"
    if digits is not None:
        return f"{v:,.{digits}f}"
    if float(v).is_integer() and abs(v) < 1000:
        return f"{int(v)}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}x"


# (label, step, generator, path, better: "high"|"low")
METRICS = [
    ("Producer, ProducerPerformance: records/s", "produce", "kafka-producer-perf", "records_per_s", "high"),
    ("Producer, ProducerPerformance: MiB/s", "produce", "kafka-producer-perf", "mib_per_s", "high"),
    ("Producer, franz-go: records/s", "produce", "franz-go", "records_per_s", "high"),
    ("Producer, franz-go: MiB/s", "produce", "franz-go", "mib_per_s", "high"),
    ("Consumer, franz-go: records/s", "consume", "franz-go", "records_per_s", "high"),
    ("Consumer, franz-go: MiB/s", "consume", "franz-go", "mib_per_s", "high"),
    ("Consumer, ConsumerPerformance: MiB/s", "consume", "kafka-consumer-perf", "mib_per_s", "high"),
    ("End-to-end p50 (ms), open loop", "e2e", "franz-go", "e2e_ms/p50", "low"),
    ("End-to-end p99 (ms), open loop", "e2e", "franz-go", "e2e_ms/p99", "low"),
    ("End-to-end p99.9 (ms), open loop", "e2e", "franz-go", "e2e_ms/p99.9", "low"),
    ("Produce ack p99 (ms), open loop", "e2e", "franz-go", "ack_ms/p99", "low"),
    ("Records missing at the deadline, open loop", "e2e", "franz-go", "missing", "low"),
    ("End-to-end p99 (ms), EndToEndLatency (closed loop)", "e2e-closed-loop", "kafka-end-to-end-latency",
     "latency_ms/p99", "low"),
    ("Broker CPU s/GB, ProducerPerformance", "produce", "kafka-producer-perf", "broker_cpu_s_per_gb", "low"),
    ("Broker CPU s/GB, franz-go producer", "produce", "franz-go", "broker_cpu_s_per_gb", "low"),
    ("Broker CPU s/GB, franz-go consumer", "consume", "franz-go", "broker_cpu_s_per_gb", "low"),
]


def workload_table(res, w, brokers):
    head = "| metric | " + " | ".join(LABEL[b] for b in brokers)
    cols = []
    if "kafka" in brokers:
        cols.append(("kafka", "Tributary/Kafka"))
    if "kafka-fsync" in brokers:
        cols.append(("kafka-fsync", "Tributary/Kafka fsync"))
    head += "".join(f" | {c[1]}" for c in cols) + " |"
    lines = [head, "|" + " --- |" * (1 + len(brokers) + len(cols))]
    for label, step, gen, path, _ in METRICS:
        vals = {b: res.value(w, b, step, gen, path) for b in brokers}
        if all(v is None for v in vals.values()):
            errs = {b: res.error(w, b, step, gen) for b in brokers}
            if not any(errs.values()):
                continue
        cells = []
        for b in brokers:
            v = vals[b]
            cells.append(fmt(v) if v is not None else ("failed" if res.error(w, b, step, gen) else "–"))
        t = vals.get("tributary")
        cells += [ratio(t, vals[k]) for k, _ in cols]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_table(res, meta, brokers):
    lines = ["| workload | producer MiB/s (franz-go) T / K / Kf | T/K | producer MiB/s (ProducerPerformance) T/K "
             "| consumer MiB/s T/K | e2e p99 ms T / K / Kf | T/K | T/Kf |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for w in meta["workloads"]:
        p = {b: res.value(w, b, "produce", "franz-go", "mib_per_s") for b in brokers}
        pp = {b: res.value(w, b, "produce", "kafka-producer-perf", "mib_per_s") for b in brokers}
        c = {b: res.value(w, b, "consume", "franz-go", "mib_per_s") for b in brokers}
        l = {b: res.value(w, b, "e2e", "franz-go", "e2e_ms/p99") for b in brokers}
        name = f"**{w}** (baseline)" if w == meta["baseline"] else w
        lines.append(
            f"| {name} | {' / '.join(fmt(p.get(b)) for b in brokers)} | {ratio(p.get('tributary'), p.get('kafka'))} "
            f"| {ratio(pp.get('tributary'), pp.get('kafka'))} | {ratio(c.get('tributary'), c.get('kafka'))} "
            f"| {' / '.join(fmt(l.get(b)) for b in brokers)} | {ratio(l.get('tributary'), l.get('kafka'))} "
            f"| {ratio(l.get('tributary'), l.get('kafka-fsync'))} |")
    return "\n".join(lines)


def startup_table(res, brokers):
    rows = [("Start to first acks=all produce (s), from process start", "start", "start_to_first_produce_s"),
            ("Start to first produce (s), from the start command (Kafka: includes storage format)", "start",
             "command_to_first_produce_s"),
            ("Idle RSS after start (MiB)", "start", "idle_rss_mib"),
            ("Peak RSS over the session (MiB, VmHWM)", "memory", "peak_rss_mib")]
    lines = ["| | " + " | ".join(LABEL[b] for b in brokers) + " | Tributary/Kafka |",
             "|" + " --- |" * (2 + len(brokers))]
    for label, step, key in rows:
        vals = {b: res.session(b, step, key) for b in brokers}
        lines.append(f"| {label} | " + " | ".join(fmt(vals[b]) for b in brokers) +
                     f" | {ratio(vals.get('tributary'), vals.get('kafka'))} |")
    return "\n".join(lines)


def micro_section(micro):
    if not micro:
        return "_No microbenchmark results in this run._"
    lines = ["| benchmark | time per iteration | throughput |", "| --- | --- | --- |"]
    rates = {}
    for _, data in micro.items():
        for b in data.get("benchmarks", []):
            if b.get("run_type") == "aggregate" or b.get("error_occurred"):
                continue
            bps = b.get("bytes_per_second")
            rates[b["name"]] = bps
            unit = b.get("time_unit", "ns")
            lines.append(f"| `{b['name']}` | {b['real_time']:.3g} {unit} | "
                         f"{(bps / 1e9):.3f} GB/s |" if bps else f"| `{b['name']}` | {b['real_time']:.3g} {unit} | – |")
    comp = []

    def cmp(label, a, b):
        if rates.get(a) and rates.get(b):
            comp.append(f"- {label}: {rates[a] / rates[b] * 100:.0f}% ({rates[a] / 1e9:.2f} of {rates[b] / 1e9:.2f} GB/s)")

    for size in ("4096", "65536", "1048576"):
        cmp(f"log append without fsync, {int(size) // 1024} KiB batches, against raw pwrite",
            f"bm_log_append_no_fsync/{size}/real_time", f"bm_raw_write_no_fsync/{size}/real_time")
    cmp("log append acks=all (group commit, 16 in flight), 64 KiB batches, against 16 pwrites + 1 fdatasync",
        "bm_log_append_acks_all/65536/real_time", "bm_raw_write_fdatasync_per_16/65536/real_time")
    cmp("log append acks=all, 64 KiB batches, against pwrite + fdatasync per batch",
        "bm_log_append_acks_all/65536/real_time", "bm_raw_write_fdatasync_each/65536/real_time")
    cmp("fetch read (log::read, 1 MiB), against raw pread of the same segment",
        "fetch_read/log_read_1MiB/real_time", "fetch_read/raw_pread_1MiB/real_time")
    out = "\n".join(lines)
    if comp:
        out = "Against the physical limit on the same file system:\n\n" + "\n".join(comp) + "\n\n" + out
    return out


def micro_rates(micro):
    rates = {}
    for data in micro.values():
        for b in data.get("benchmarks", []):
            if b.get("run_type") != "aggregate" and not b.get("error_occurred") and b.get("bytes_per_second"):
                rates[b["name"]] = b["bytes_per_second"]
    return rates


def targets_table(res, meta, micro):
    """The targets of the benchmark issue, measured on the baseline workload (and the start/memory rows)."""
    w = meta["baseline"]
    rows = []

    def row(label, target, value, ok):
        rows.append(f"| {label} | {target} | {value} | {'yes' if ok else 'no' if ok is not None else '–'} |")

    def r(a, b):
        return a / b if a is not None and b else None

    for gen, name in (("franz-go", "franz-go"), ("kafka-producer-perf", "ProducerPerformance")):
        for k in ("kafka", "kafka-fsync"):
            v = r(res.value(w, "tributary", "produce", gen, "mib_per_s"), res.value(w, k, "produce", gen, "mib_per_s"))
            row(f"producer throughput ({name}), Tributary / {LABEL[k]}", ">= 1.5x",
                f"{v:.2f}x" if v else "–", v >= 1.5 if v else None)
    for k in ("kafka", "kafka-fsync"):
        v = r(res.value(w, "tributary", "e2e", "franz-go", "e2e_ms/p99"), res.value(w, k, "e2e", "franz-go", "e2e_ms/p99"))
        row(f"end-to-end p99 at the same rate, Tributary / {LABEL[k]}", "<= 0.3x", f"{v:.2f}x" if v else "–",
            v <= 0.3 if v else None)
    v = r(res.session("tributary", "start", "idle_rss_mib"), res.session("kafka", "start", "idle_rss_mib"))
    row("idle RSS, Tributary / Kafka", "<= 0.1x", f"{v:.3f}x" if v else "–", v <= 0.1 if v else None)
    v = r(res.session("tributary", "start", "start_to_first_produce_s"),
          res.session("kafka", "start", "start_to_first_produce_s"))
    row("start to first produce, Tributary / Kafka", "<= 0.1x", f"{v:.3f}x" if v else "–", v <= 0.1 if v else None)
    rates = micro_rates(micro)
    for size in ("65536", "1048576"):
        v = r(rates.get(f"bm_log_append_no_fsync/{size}/real_time"), rates.get(f"bm_raw_write_no_fsync/{size}/real_time"))
        row(f"log append / raw sequential write, {int(size) >> 10} KiB batches, no fsync", ">= 70%",
            f"{v * 100:.0f}%" if v else "–", v >= 0.7 if v else None)
    v = r(rates.get("bm_log_append_acks_all/65536/real_time"), rates.get("bm_raw_write_fdatasync_per_16/65536/real_time"))
    row("log append acks=all / raw write + fdatasync per 16 batches, 64 KiB", ">= 70%",
        f"{v * 100:.0f}%" if v else "–", v >= 0.7 if v else None)
    head = [f"Measured on the baseline workload `{w}`; see the caveats at the top.", "",
            "| target | wanted | measured | met |", "| --- | --- | --- | --- |"]
    return "\n".join(head + rows)


def plots(res, meta, brokers, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: matplotlib missing, no plots", file=sys.stderr)
        return []
    outdir.mkdir(parents=True, exist_ok=True)
    made = []
    work = meta["workloads"]
    panels = [("Producer, franz-go (MiB/s)", "produce", "franz-go"),
              ("Producer, ProducerPerformance (MiB/s)", "produce", "kafka-producer-perf"),
              ("Consumer, franz-go (MiB/s)", "consume", "franz-go")]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 8), sharex=True)
    width = 0.8 / len(brokers)
    for ax, (title, step, gen) in zip(axes, panels):
        for i, b in enumerate(brokers):
            vals = [res.value(w, b, step, gen, "mib_per_s") or 0 for w in work]
            ax.bar([x + i * width for x in range(len(work))], vals, width, label=LABEL[b], color=COLOR[b])
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, ncol=len(brokers))
    axes[-1].set_xticks([x + width * (len(brokers) - 1) / 2 for x in range(len(work))])
    axes[-1].set_xticklabels(work, rotation=30, ha="right", fontsize=8)
    fig.suptitle(f"Throughput, median of {meta['rounds']} round(s) ({meta['mode']} run)", fontsize=11)
    fig.tight_layout()
    p = outdir / "throughput.png"
    fig.savefig(p, dpi=72)
    plt.close(fig)
    made.append(p)

    # Latency CDFs: the baseline and its acks=1 variant; per broker the round whose p99 is the median.
    base = meta["baseline"]
    acks1 = base.replace("acksall", "acks1")
    shown = [w for w in (base, acks1) if w in work]
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4), squeeze=False)
    for ax, w in zip(axes[0], shown):
        for b in brokers:
            runs = [r for r in res.by.get((w, b, "e2e", "franz-go"), []) if r.get("e2e_cdf_ms")]
            if not runs:
                continue
            runs.sort(key=lambda r: r["e2e_ms"]["p99"])
            r = runs[len(runs) // 2]
            pts = [(q, v) for q, v in r["e2e_cdf_ms"] if q < 1]
            ax.plot([v for _, v in pts], [1 / (1 - q) for q, _ in pts], label=LABEL[b], color=COLOR[b])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_yticks([1, 2, 10, 100, 1000, 10000])
        ax.set_yticklabels(["0", "50", "90", "99", "99.9", "99.99"])
        ax.set_xlabel("end-to-end latency (ms)")
        ax.set_ylabel("percentile")
        ax.set_title(f"{w} @ {meta['e2e_rate'].get(w.split('B-')[0], '?')} rec/s", fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.tight_layout()
    p = outdir / "latency_cdf.png"
    fig.savefig(p, dpi=72)
    plt.close(fig)
    made.append(p)
    return made


def durability_lines(meta):
    return "\n".join(f"- **{LABEL[b]}**: {d}" for b, d in meta["durability"].items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    ap.add_argument("--plots", type=Path, default=ROOT / "docs" / "benchmarks")
    a = ap.parse_args()
    meta, rows, micro = load(a.run)
    res = Results(rows)
    brokers = [b for b in BROKERS if b in meta["brokers"]]
    m = meta["machine"]
    cfg = meta["config"]
    made = plots(res, meta, brokers, a.plots)

    # The load average before the first broker starts says whether other work shared the machine; the
    # one at the end counts the benchmark itself (brokers and generators keep two cores busy).
    # run.sh notes the load before the microbenchmarks (load-before.txt), which is the cleaner reading.
    before = a.run / "load-before.txt"
    load_before = before.read_text().split()[:3] if before.exists() else meta["load_start"]
    reruns = meta.get("reruns", [])
    loaded = max([float(load_before[0])] + [float(r["load_start"][0]) for r in reruns]) > 1.0
    preliminary = meta["mode"] == "quick" or loaded
    banner = ""
    if preliminary:
        banner = (f"> **Preliminary run{' on a loaded machine' if loaded else ''}.** Mode `{meta['mode']}`, started "
                  f"{meta['started']}, load average {' / '.join(load_before)} (1/5/15 min) at the start and "
                  f"{' / '.join(meta.get('load_end', ['?']))} at the end on {m['nproc']} cores"
                  f"{', shared with other work (compilers, test suites, other brokers)' if loaded else ''}. "
                  f"{'The numbers below are distorted by that load: ' if loaded else 'Short runs, one round: '}"
                  f"they show that the harness works and roughly where the gaps are, not the comparison. "
                  f"A quiet `bench/run.sh --full` replaces this page.\n\n")

    e2e_linger = cfg.get("e2e_linger_ms", 10)
    rerun_lines = ""
    for r in reruns:
        if ["e2e", "franz-go"] in r["replaces"]:
            e2e_linger = r["config"].get("e2e_linger_ms", 10)
        rerun_lines += (f"| re-run {r['index']} | steps {', '.join(r['steps'])} repeated for {', '.join(r['brokers'])}, "
                        f"{r['rounds']} round(s), started {r['started']}{', Tributary at commit ' + r['tributary_commit'] if r.get('tributary_commit') else ''}, load average {' / '.join(r['load_start'])} "
                        f"at the start; its rows replace the first run's for these steps |\n")
    linger_text = (f"producer linger {e2e_linger} ms: at these rates franz-go's default of 10 ms would be most of "
                   f"the latency, the same for both brokers" if e2e_linger != 10 else
                   "producer linger 10 ms, franz-go's default: at these rates it is most of the latency, the same "
                   "for both brokers")
    errors = sorted({(r["broker"], r.get("step"), r.get("generator"), r["error"].splitlines()[-1][:160])
                     for r in rows if "error" in r})
    notes = [f"{LABEL.get(r['broker'], r['broker'])}: {r['note']}" for r in rows if r.get("step") == "note"]

    doc = f"""# Benchmarks: Tributary and Apache Kafka on one machine

{banner}Generated by `bench/report.py` from `{a.run.relative_to(ROOT) if a.run.is_absolute() and ROOT in a.run.parents else a.run}`
(raw results are not committed). Every number is the **median over {meta['rounds']} round(s)**; ratios are
Tributary / Kafka: above 1 is better for throughput, below 1 is better for latency, CPU and memory.

## How to run

```
bench/run.sh            # --quick (default): one round, short runs, a smoke test of the harness
bench/run.sh --standard # three rounds, steps about half as long as --full's (about 45 minutes)
bench/run.sh --full     # three rounds, longer runs (about 2.5 hours; run it on a quiet machine)
bench/run.sh --full --matrix full   # the whole cross product: 54 workloads (about 14x longer)
```

It installs what it needs, builds Tributary Release, runs the microbenchmarks, then starts each broker in
turn on a fresh data directory on the same file system, runs every workload against it and stops it, in
alternation: Tributary, Kafka, Kafka with fsync, and again for each round. Options: `--workloads`,
`--brokers`, `--rounds`, `--no-micro`, `--report-only DIR`.

## Setup of this run

| | |
| --- | --- |
| machine | {m['cpu_model']}, {m['nproc']} cores (nproc), {m['mem_gib']} GiB, Linux {m['kernel']} |
| file system | {m['filesystem']['device']} ({m['filesystem']['type']}, {m['filesystem']['size']}), data of both brokers in one directory tree |
| Tributary | {m['tributary']} (commit {m['tributary_commit']}), Release build, default config (one event loop per core) |
| Apache Kafka | {m['kafka']}, single KRaft node (broker + controller in one JVM), `tools/kafka-ref/kafka.sh`, -Xmx1G, G1 |
| JVM | {m['java']} |
| load generators | Kafka's ProducerPerformance, ConsumerPerformance and EndToEndLatency from kafka-tools {m['kafka']} (Java client defaults: batch.size 16 KiB, linger.ms 5, idempotence on with acks=all); `bench/loadgen` on franz-go {m['franz_go']} ({m['go']}), defaults but a 32 MiB buffer |
| mode | `{meta['mode']}`, {meta['rounds']} round(s), matrix `{meta['matrix']}` ({len(meta['workloads'])} workloads) |
| per workload | ProducerPerformance: {cfg['pp_bytes'] >> 20} MiB or {cfg['pp_cap']} s; franz-go producer {cfg['produce_s']} s; open-loop latency {cfg['e2e_s']} s ({cfg['warmup_s']} s warm-up not counted, producer linger {e2e_linger} ms) |
| network | loopback (127.0.0.1), a free port per broker session; generators on the same 2 cores as the brokers |
{rerun_lines}
Durability of each side (what an acknowledgement means):

{durability_lines(meta)}

So the acks=all rows compare fsync against no fsync under "Kafka", and fsync against fsync under
"Kafka fsync". Payloads are random upper-case letters with both generators (ProducerPerformance's own
payloads), so lz4 and zstd see the same entropy.

**Workload matrix.** Records of 100 B, 1 KiB and 16 KiB; acks=1 and acks=all; 1, 8 and 64 partitions;
compression none, lz4 and zstd. The default matrix is the baseline (`{meta['baseline']}`) plus each other
value of one dimension at a time (8 workloads); `--matrix full` runs the 54-workload cross product.
Names read `<size>-acks<acks>-p<partitions>-<codec>`.

**Measurements.** Producer throughput: ProducerPerformance ({cfg['pp_bytes'] >> 20} MiB, unthrottled) and the
franz-go producer (fixed time), each into a fresh topic. Consumer throughput: franz-go reads the
ProducerPerformance topic from the start to its end offsets with direct partition assignment;
ConsumerPerformance (group subscription, KIP-848 `group.protocol=consumer` where the broker serves it,
else classic) when the broker serves a group protocol; its rate excludes the time to join the group. End-to-end latency:
`loadgen e2e` ({linger_text}), open loop: record *i* is scheduled at *start + i/rate* and sent then whatever happened to
earlier sends; latency runs from the scheduled time to the moment the consumer (same process, same clock)
receives it, so a stalled broker cannot hide its delay by slowing the sender (no coordinated omission).
Percentiles are exact over every record after the warm-up. Rates: {', '.join(f'{k} B: {v} records/s' for k, v in meta['e2e_rate'].items())}.
Kafka's EndToEndLatency (closed loop, one record in flight) runs on the baseline when the broker serves
OffsetCommit and FindCoordinator (it assigns its partition and commits). Broker CPU: utime+stime of the broker process (`/proc/<pid>/stat`) over each step, per GB of
payload. Before the workloads, each broker session runs a short unmeasured franz-go produce and consume
of the baseline (JIT warm-up for the JVM; page cache and allocator for both). Peak RSS: `VmHWM` at the end of each broker session; idle RSS: `VmRSS` 2 s after the first
produce. Start: process start time (`/proc/<pid>/stat` field 22) to the first acknowledged acks=all
produce of a client that retries every 10 ms (creating a 1-partition topic first).

## Summary

T = Tributary, K = Kafka (default flush), Kf = Kafka with `log.flush.interval.messages=1`.

{summary_table(res, meta, brokers)}

## Targets

{targets_table(res, meta, micro)}

## Start-up and memory

{startup_table(res, brokers)}

## Per workload

"""
    for w in meta["workloads"]:
        title = f"### {w}" + (" (baseline)" if w == meta["baseline"] else "")
        doc += f"{title}\n\n{workload_table(res, w, brokers)}\n\n"
    doc += "## Plots\n\n"
    for p in made:
        doc += f"![{p.stem}](benchmarks/{p.name})\n\n"
    doc += f"## Microbenchmarks (Google Benchmark, `build/release/bench/`)\n\n{micro_section(micro)}\n\n"
    if notes or errors:
        doc += "## Steps that did not run or failed\n\n"
        for n in sorted(set(notes)):
            doc += f"- {n}\n"
        for b, step, gen, e in errors:
            doc += f"- {LABEL.get(b, b)} {step} {gen or ''}: `{e}`\n"
        doc += "\n"
    old = a.doc.read_text() if a.doc.exists() else ""
    kept = old.split(ANALYSIS_MARKER, 1)[1] if ANALYSIS_MARKER in old else "\n\n## Analysis\n\n_None yet._\n"
    doc += ANALYSIS_MARKER + kept
    a.doc.write_text(doc)
    print(f"report: wrote {a.doc} and {len(made)} plot(s) in {a.plots}")


if __name__ == "__main__":
    main()
