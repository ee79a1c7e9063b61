"""Fixtures that start the real broker process for integration tests.

The broker binary is $TRIBUTARY_BIN, or build/release/src/app/tributary. Each test gets a broker on a
free loopback port with a fresh data directory; at teardown the broker gets SIGTERM and must exit 0
without sanitizer reports.
"""
import fcntl
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_BIN = ROOT / "build" / "release" / "src" / "app" / "tributary"
KAFKA_LIB = ROOT / "tools" / "kafka-ref" / "lib"


def broker_binary() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("TRIBUTARY_BIN", DEFAULT_BIN))
    if not path.exists():
        pytest.fail(f"broker binary {path} not found: run scripts/build.sh first")
    return path


# Brokers listen on ports below the kernel's ephemeral range (32768-60999 here). An ephemeral port (bind
# to port 0) can be taken, between choosing it and the broker binding it or while a broker restarts on
# it, by the source port of any client's outgoing connection; a port below the range never is. Each
# pytest process claims blocks of 100 ports with an flock on /tmp/tributary-test-ports/<first>.lock, held
# until it exits, and hands their ports out in order, so test runs side by side (two worktrees, or the
# release and sanitizer passes at once) never get the same port.
_PORT_FIRST, _PORT_END, _PORT_BLOCK = 20000, 32000, 100
_PORT_LOCKS = pathlib.Path(tempfile.gettempdir()) / "tributary-test-ports"
_claimed = []  # [lock file, next port, end] per claimed block; the last one is in use


def _claim_port_block():
    _PORT_LOCKS.mkdir(exist_ok=True)
    for first in range(_PORT_FIRST, _PORT_END, _PORT_BLOCK):
        if any(b[2] == first + _PORT_BLOCK for b in _claimed):
            continue
        lock = open(_PORT_LOCKS / f"{first}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        _claimed.append([lock, first, first + _PORT_BLOCK])
        return
    raise RuntimeError(f"every block of test ports in {_PORT_FIRST}-{_PORT_END - 1} is claimed")


def free_port() -> int:
    """A loopback port that no socket is bound to and that no test process was handed before."""
    while True:
        if not _claimed or _claimed[-1][1] >= _claimed[-1][2]:
            _claim_port_block()
        block = _claimed[-1]
        port = block[1]
        block[1] += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # something outside the tests holds it
            return port


def wait_until(predicate, timeout=20.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")



class Broker:
    def __init__(self, tmp_path: pathlib.Path, extra_args=()):
        self.port = free_port()
        self.host = "127.0.0.1"
        self.data_dir = tmp_path / "data"
        self.log_path = tmp_path / "broker.log"
        self.args = [str(broker_binary()), "serve", "--listen", f"{self.host}:{self.port}",
                     "--data-dir", str(self.data_dir), *extra_args]
        self.proc = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self):
        self.log = open(self.log_path, "wb")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, env=env)

        def accepting():
            if self.proc.poll() is not None:
                raise RuntimeError(f"broker exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return True
            except OSError:
                return False

        wait_until(accepting, what="broker to accept connections")
        return self

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, expect_clean=True):
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            # It died before we asked it to stop: a crash must fail the test, not pass teardown.
            code = self.proc.returncode
            self.proc = None
            if expect_clean:
                pytest.fail(f"broker exited on its own with {code} during the test:\n{self.output()}")
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"broker did not stop within 20s of SIGTERM:\n{self.output()}")
        self.log.close()
        out = self.log_path.read_text(errors="replace")
        if expect_clean:
            assert code == 0, f"broker exited with {code}:\n{out}"
            for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
                assert marker not in out, f"sanitizer report in broker output:\n{out}"

    def cluster_id(self) -> str:
        for line in (self.data_dir / "meta.properties").read_text().splitlines():
            if line.startswith("cluster.id="):
                return line.split("=", 1)[1]
        raise AssertionError("meta.properties has no cluster.id")


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path).start()
    yield b
    b.stop()


@pytest.fixture(scope="session")
def kafka_classpath() -> str:
    if not KAFKA_LIB.is_dir() or not any(KAFKA_LIB.glob("kafka-clients-*.jar")):
        pytest.fail(f"{KAFKA_LIB} has no kafka-clients jar: run tools/kafka-ref/fetch.sh (scripts/setup.sh --test does)")
    return str(KAFKA_LIB / "*")
