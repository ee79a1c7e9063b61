"""Helpers for the storage robustness tests (full disk, crash consistency, corruption): a broker that
can be killed and restarted on the same data directory with a server.properties, `tributary check-log`,
a small tmpfs, and reading a whole partition back.

Segment files are looked at only to choose where to damage them (batch boundaries from the 4-byte
length at byte 8 of each batch, docs/formats/record-batch.md); all checking goes through the broker's
own code (`tributary check-log`) and real clients.
"""
from __future__ import annotations

import os
import pathlib
import signal
import struct
import subprocess
import time

import pytest

from conftest import Broker, broker_binary, free_port


class RestartableBroker:
    """Tributary on a fixed port and data directory with the given server.properties entries; each run
    logs to its own file in `workdir`."""

    def __init__(self, workdir: pathlib.Path, data_dir: pathlib.Path, props: dict | None = None):
        self.workdir = workdir
        self.data_dir = data_dir
        self.port = free_port()
        self.host = "127.0.0.1"
        self.runs = 0
        self.broker = None
        self.config = workdir / "server.properties"
        self.config.write_text("".join(f"{k}={v}\n" for k, v in (props or {}).items()))

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self):
        self.runs += 1
        b = Broker(self.workdir, extra_args=["--config", str(self.config)])
        b.port = self.port
        b.data_dir = self.data_dir
        b.args[b.args.index("--listen") + 1] = self.bootstrap
        b.args[b.args.index("--data-dir") + 1] = str(self.data_dir)
        b.log_path = self.workdir / f"broker-{self.runs}.log"
        self.broker = b.start()
        return self

    def running(self) -> bool:
        return self.broker is not None and self.broker.proc is not None and self.broker.proc.poll() is None

    def kill9(self):
        self.broker.proc.send_signal(signal.SIGKILL)
        self.broker.proc.wait()
        self.broker.log.close()

    def stop(self):
        """SIGTERM; the broker must exit 0 without sanitizer reports (conftest's rules)."""
        if self.broker is not None:
            self.broker.stop()

    def output(self, run: int | None = None) -> str:
        path = self.workdir / f"broker-{run or self.runs}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_excerpt(self, lines: int = 60) -> str:
        out = []
        if self.broker is not None and self.broker.proc is not None and self.broker.proc.poll() is not None:
            out.append(f"*** broker run {self.runs} has exited with {self.broker.proc.returncode}")
        for run in range(max(1, self.runs - 1), self.runs + 1):
            tail = self.output(run).splitlines()[-lines:]
            out.append(f"--- broker run {run} (last {len(tail)} lines) ---\n" + "\n".join(tail))
        return "\n".join(out)

    def cleanup(self):
        if self.running():
            self.broker.proc.kill()
            self.broker.proc.wait()


def check_log(data_dir: pathlib.Path) -> str:
    """Runs `tributary check-log` on a stopped broker's data directory; fails the test on any problem."""
    r = subprocess.run([str(broker_binary()), "check-log", str(data_dir)], capture_output=True, text=True,
                       timeout=300)
    if r.returncode != 0:
        pytest.fail(f"check-log found problems (exit {r.returncode}):\n{r.stdout[-6000:]}\n{r.stderr[-2000:]}",
                    pytrace=False)
    return r.stdout


class Tmpfs:
    """A tmpfs of `size` mounted at `path` (root and a permitted mount(2) needed: skips otherwise)."""

    def __init__(self, path: pathlib.Path, size: str):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs to fill needs root")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or r.returncode}): "
                        "the full-disk test needs mount(2) (a privileged container or a VM)")
        self.mounted = True

    def free_bytes(self) -> int:
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def unmount(self):
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True)
            self.mounted = False


def fill(path: pathlib.Path) -> int:
    """Writes `path` until the file system is full (ENOSPC); returns the bytes written."""
    written = 0
    chunk = b"\xfe" * (1 << 20)
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
            while True:
                try:
                    n = f.write(chunk[:size])
                except OSError:
                    break
                written += n
                if n < size:
                    break
    return written


def segment_batches(path: pathlib.Path) -> list[tuple[int, int, int]]:
    """(position, base offset, size) of each whole batch of a segment file, in order."""
    data = path.read_bytes()
    out, pos = [], 0
    while pos + 12 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        if length < 49 or pos + 12 + length > len(data):
            break
        out.append((pos, base, 12 + length))
        pos += 12 + length
    return out


def read_partition(bootstrap: str, topic: str, partition: int, low: int, high: int, timeout: float = 120.0,
                   start_may_move: bool = False, gaps_ok: bool = False):
    """[(offset, value)] of one partition from `low` to `high` with librdkafka, failing on a gap, a
    repeat or an error. With `start_may_move` (retention may delete the first segments while this
    reads), reading restarts at the new log start when `low` (or a later offset, mid-read) is gone, so the
    first offset returned may be above `low`; the caller checks that the log start really moved there.
    With `gaps_ok` (a compacted log) offsets need only increase."""
    from confluent_kafka import Consumer, TopicPartition
    got = []
    if high <= low:
        return got
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "tributary-storage-tests", "enable.auto.commit": False,
                  "enable.partition.eof": False, "fetch.max.bytes": 8 << 20,
                  "auto.offset.reset": "earliest" if start_may_move else "error"})
    try:
        c.assign([TopicPartition(topic, partition, low)])
        deadline = time.monotonic() + timeout
        while not got or got[-1][0] < high - 1:
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}-{partition}: read {len(got)} of {high - low} records from {low}")
            batch = c.consume(10000, 0.5)
            if not batch and start_may_move and not got:
                # Retention may have deleted everything up to the (empty) active segment.
                if c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10, cached=False)[0] >= high:
                    break
            for m in batch:
                if m.error():
                    raise AssertionError(f"{topic}-{partition}: consumer error {m.error()}")
                want = got[-1][0] + 1 if got else low
                if m.offset() > want and got and start_may_move:
                    # Retention deleted the segment holding `want` while this read (librdkafka reset to
                    # the new log start): keep the log from there, if the start really moved past `want`.
                    now_low = c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10, cached=False)[0]
                    if now_low > want:
                        got = []
                        want = m.offset()
                if m.offset() != want and not (start_may_move and not got and m.offset() > low) and \
                        not (gaps_ok and m.offset() > want):
                    raise AssertionError(f"{topic}-{partition}: offset {m.offset()} where {want} was expected "
                                         "(a gap or a repeat)")
                if m.offset() >= high:
                    break
                got.append((m.offset(), m.value()))
                if m.offset() == high - 1:
                    break
    finally:
        c.close()
    return got
