"""franz-go's own integration tests (github.com/twmb/franz-go/pkg/kgo, v1.22.3, pinned by go/go.mod)
against the broker:

    KGO_TEST_RF=1 KGO_SEEDS=<broker> go test -json github.com/twmb/franz-go/pkg/kgo   (from go/)

go/expected_pass.txt lists the kgo tests that Tributary is claimed to pass. By default only those run
(`-run '^(A|B)$'`) and each must pass; with no claims yet the test says so and skips.
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

from helpers import cluster  # noqa: F401

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


def run_kgo(bootstrap: str, out_path: pathlib.Path, run_regex=None, go_timeout="5m"):
    """Runs the kgo tests; returns ({top-level test: (action, seconds)}, {test: [output lines]},
    package action, wall seconds)."""
    go = shutil.which("go")
    if go is None:
        pytest.fail("the go toolchain is not on PATH (preinstalled on the project's machines)")
    cmd = [go, "test", "-json", "-count=1", f"-timeout={go_timeout}", KGO]
    if run_regex:
        cmd += ["-run", run_regex]
    env = dict(os.environ, KGO_TEST_RF="1", KGO_SEEDS=bootstrap)
    t0 = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.run(cmd, cwd=GO_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1200)
    elapsed = time.monotonic() - t0
    results, output, package = {}, {}, None
    for raw in out_path.read_bytes().splitlines():
        try:
            ev = json.loads(raw)
        except ValueError:
            continue  # build output that is not JSON
        test = ev.get("Test")
        if test is None:
            if ev.get("Action") in ("pass", "fail", "skip"):
                package = ev["Action"]
            continue
        top = test.split("/", 1)[0]
        if ev.get("Action") == "output":
            output.setdefault(top, []).append(ev.get("Output", ""))
        elif ev.get("Action") in ("pass", "fail", "skip") and "/" not in test:
            results[test] = (ev["Action"], ev.get("Elapsed", 0.0))
    if package is None and proc.returncode != 0 and not results:
        pytest.fail(f"go test did not run (exit {proc.returncode}):\n{out_path.read_text(errors='replace')[-5000:]}")
    # A test still running (or paused, waiting to run in parallel) when the suite's deadline panics has
    # no result event: "incomplete", which is not a pass.
    for name in output:
        results.setdefault(name, ("incomplete", None))
    return results, output, package, elapsed


def test_franz_go_kgo_suite(cluster, tmp_path):
    claimed = expected_pass()
    full = os.environ.get("TRIBUTARY_FRANZ_GO", "") == "full"
    if not claimed and not full:
        pytest.skip("tests/integration/go/expected_pass.txt claims no kgo test yet "
                    "(TRIBUTARY_FRANZ_GO=full runs the whole suite and reports)")
    regex = None if full else "^(" + "|".join(claimed) + ")$"
    results, output, package, elapsed = run_kgo(cluster.bootstrap, tmp_path / "kgo.json", regex)

    counts = {}
    for action, _ in results.values():
        counts[action] = counts.get(action, 0) + 1
    print(f"kgo against {cluster.kind} {cluster.bootstrap}: {counts} in {elapsed:.0f}s (package: {package})")
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
