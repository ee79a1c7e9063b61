"""franz-go's own integration tests (github.com/twmb/franz-go/pkg/kgo, v1.22.3, pinned by go/go.mod)
against the broker:

    KGO_TEST_RF=1 KGO_SEEDS=<broker> go test -json github.com/twmb/franz-go/pkg/kgo   (from go/)

go/expected_pass.txt lists the kgo tests that Tributary is claimed to pass. By default only those run
(`-run '^(A|B)$'`) and each must pass; with no claims yet the test says so and skips. A kgo test that
fails from a goroutine after it has finished panics the whole test binary, so the suite is re-run
without the tests that already have a result (see run_kgo).
TRIBUTARY_FRANZ_GO=full runs the whole suite instead (about 3 minutes against Kafka 4.4), still
asserts the claimed ones, and prints pass/fail/skip per test; TRIBUTARY_FRANZ_GO_REPORT=path also writes
that as JSON ({test: {"result", "seconds"}}), for docs/compatibility.md and for promoting newly passing
tests into expected_pass.txt.

The Go module cache and build cache stay where `go env` puts them (outside the repository); the first
run downloads franz-go through the Go module proxy and compiles the test binary (about a minute).
"""
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

from helpers import cluster, scaled  # noqa: F401

GO_DIR = pathlib.Path(__file__).parent / "go"
EXPECTED = GO_DIR / "expected_pass.txt"
KGO = "github.com/twmb/franz-go/pkg/kgo"


def expected_pass() -> list:
    names = []
    for line in EXPECTED.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def _go():
    go = shutil.which("go")
    if go is None:
        pytest.fail("the go toolchain is not on PATH (preinstalled on the project's machines)")
    return go


def list_kgo_tests() -> list:
    """Top-level Test*/Fuzz* names of the kgo package (benchmarks and examples are not run)."""
    out = subprocess.run([_go(), "test", "-list", ".*", KGO], cwd=GO_DIR, capture_output=True, text=True,
                         timeout=900)
    if out.returncode != 0:
        pytest.fail(f"go test -list failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return [l.strip() for l in out.stdout.splitlines() if l.startswith(("Test", "Fuzz"))]


def _one_run(bootstrap, out_path, run_regex, skip_regex, go_timeout):
    cmd = [_go(), "test", "-json", "-count=1", f"-timeout={go_timeout}", KGO]
    if run_regex:
        cmd += ["-run", run_regex]
    if skip_regex:
        cmd += ["-skip", skip_regex]
    # kgo's record-heavy tests (TestGroupETL: 500,000 records through a 3-level consume/produce chain
    # in 6 group-balancer variants at once) take minutes on a 2-core machine; CI runs them with 50,000
    # records, TRIBUTARY_SOAK=1 with kgo's own 500,000. KGO_TEST_RECORDS set by hand wins.
    env = dict(os.environ, KGO_TEST_RF="1", KGO_SEEDS=bootstrap)
    env.setdefault("KGO_TEST_RECORDS", str(scaled(50_000, 500_000)))
    with open(out_path, "wb") as out:
        subprocess.run(cmd, cwd=GO_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1200)
    results, output, started = {}, {}, set()
    for raw in out_path.read_bytes().splitlines():
        try:
            ev = json.loads(raw)
        except ValueError:
            continue  # build output that is not JSON
        test = ev.get("Test")
        if test is None:
            continue
        top = test.split("/", 1)[0]
        action = ev.get("Action")
        if action == "output":
            output.setdefault(top, []).append(ev.get("Output", ""))
        elif action == "run":
            started.add(top)
        elif action in ("pass", "fail", "skip") and "/" not in test:
            results[test] = (action, ev.get("Elapsed", 0.0))
    text = out_path.read_text(errors="replace")
    timed_out = "panic: test timed out after" in text
    return results, output, started, timed_out


def _alternation(names):
    return "^(" + "|".join(sorted(names)) + ")$"


def run_kgo(bootstrap: str, out_dir: pathlib.Path, names: list, go_timeout="5m"):
    """Runs the named kgo tests; returns ({test: (result, seconds)}, {test: [output lines]}, wall seconds).

    One kgo test failing from a goroutine after it has finished panics the whole test binary (TestTxnEtl
    does against a broker without transactions), which would leave every test still running or not yet
    started without a result. So the suite is re-run, skipping every test that already has a result,
    until all have one or a run makes no progress. Tests still running when a run hits its deadline are
    "timeout"; tests that never got a result are "incomplete". Neither is a pass."""
    t0 = time.monotonic()
    results, output = {}, {}
    pending = set(names)
    for attempt in range(1, 30):
        run_regex = _alternation(pending)
        done_regex = _alternation(set(names) - pending) if len(pending) < len(names) else None
        got, out, started, timed_out = _one_run(bootstrap, out_dir / f"kgo-{attempt}.json", run_regex, done_regex,
                                                go_timeout)
        for name, lines in out.items():
            output.setdefault(name, []).extend(lines)
        new = {n: r for n, r in got.items() if n in pending}
        results.update(new)
        pending -= set(new)
        if timed_out:
            for n in started & pending:
                results[n] = ("timeout", None)
            pending -= started
        if not pending or (not new and not timed_out):
            break
    for n in pending:
        results[n] = ("incomplete", None)
    return results, output, time.monotonic() - t0


def test_franz_go_kgo_suite(cluster, tmp_path):
    claimed = expected_pass()
    full = os.environ.get("TRIBUTARY_FRANZ_GO", "") == "full"
    if not claimed and not full:
        pytest.skip("tests/integration/go/expected_pass.txt claims no kgo test yet "
                    "(TRIBUTARY_FRANZ_GO=full runs the whole suite and reports)")
    names = list_kgo_tests() if full else claimed
    results, output, elapsed = run_kgo(cluster.bootstrap, tmp_path, names)

    counts = {}
    for action, _ in results.values():
        counts[action] = counts.get(action, 0) + 1
    print(f"kgo against {cluster.kind} {cluster.bootstrap}: {counts} in {elapsed:.0f}s")
    for name, (action, secs) in sorted(results.items()):
        print(f"  {action:4} {name} ({secs if secs is not None else '-'}s)")
    unclaimed = sorted(n for n, (a, _) in results.items() if a == "pass" and n not in claimed)
    if unclaimed:
        print("passing but not in expected_pass.txt:", " ".join(unclaimed))
    report = os.environ.get("TRIBUTARY_FRANZ_GO_REPORT")
    if report:
        pathlib.Path(report).write_text(json.dumps(
            {n: {"result": a, "seconds": s} for n, (a, s) in sorted(results.items())}, indent=1) + "\n")

    failed = [n for n in claimed if results.get(n, ("missing", None))[0] != "pass"]
    if failed:
        details = []
        for n in failed[:5]:
            lines = [l.rstrip("\n") for l in output.get(n, [])][-30:]
            details.append(f"--- {n}: {results.get(n, ('did not run',))[0]}\n" + "\n".join(lines))
        pytest.fail(f"claimed kgo tests did not pass: {failed}\n" + "\n".join(details) + "\n" + cluster.log_excerpt(),
                    pytrace=False)
