#!/usr/bin/env bash
# Regenerate tests/fixtures/captures/: real clients' request frames and Apache Kafka 4.4.0's responses.
#
#   tools/capture/capture.sh [client ...]     clients: java librdkafka kcat kafka-python (default: all)
#
# Steps: fetch Kafka (tools/kafka-ref/fetch.sh); install kcat (apt) and the Python clients
# (tools/capture/requirements.txt, into .cache/capture-venv) if missing; start a fresh single-node Kafka
# on 127.0.0.1:$CAPTURE_PORT (default 39092, controller +1) advertising the proxy's port ($CAPTURE_PORT+3);
# start tools/capture/proxy.py there (control port $CAPTURE_PORT+4); run each client's driver through it;
# stop proxy and Kafka; select the frames (proxy.py select) into tests/fixtures/captures/<client>/ and
# MANIFEST.json. Client directories not run keep their files. Work files go to .cache/capture-run/
# (raw.jsonl = every frame seen, logs). Nothing in tests/fixtures/captures is touched unless every driver
# succeeded. See docs/formats/captures.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
port="${CAPTURE_PORT:-39092}"
proxy_port=$((port + 3))
ctl_port=$((port + 4))
work="$root/.cache/capture-run"
venv="$root/.cache/capture-venv"
out="$root/tests/fixtures/captures"
clients=("$@")
[[ ${#clients[@]} -gt 0 ]] || clients=(java librdkafka kcat kafka-python)

log() { echo "capture: $*" >&2; }

tools/kafka-ref/fetch.sh
if ! command -v kcat >/dev/null; then
    log "installing kcat"
    apt-get install -y -q kcat >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q kcat >/dev/null; }
fi
req_hash="$(sha256sum tools/capture/requirements.txt | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.req" 2>/dev/null)" != "$req_hash" ]]; then
    log "installing Python clients into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r tools/capture/requirements.txt
    echo "$req_hash" > "$venv/.req"
fi

rm -rf "$work"
mkdir -p "$work"
proxy_pid=""
cleanup() {
    if [[ -n "$proxy_pid" ]] && kill -0 "$proxy_pid" 2>/dev/null; then kill "$proxy_pid" 2>/dev/null || true; fi
    tools/kafka-ref/kafka.sh stop "$work/kafka" >/dev/null 2>&1 || true
}
trap cleanup EXIT

python3 tools/kafka-ref/probe.py free 127.0.0.1 "$proxy_port" || { log "port $proxy_port busy"; exit 1; }
python3 tools/kafka-ref/probe.py free 127.0.0.1 "$ctl_port" || { log "port $ctl_port busy"; exit 1; }
tools/kafka-ref/kafka.sh start "$work/kafka" "$port" "$proxy_port" >&2
python3 tools/capture/proxy.py run --listen "127.0.0.1:$proxy_port" --upstream "127.0.0.1:$port" \
    --control "127.0.0.1:$ctl_port" --raw "$work/raw.jsonl" > "$work/proxy.log" 2>&1 &
proxy_pid=$!

bootstrap="127.0.0.1:$proxy_port"
ctl="127.0.0.1:$ctl_port"
for c in "${clients[@]}"; do
    log "driver $c"
    case "$c" in
        java) cmd=(java -Dlog4j2.level=WARN -cp "tools/kafka-ref/lib/*" tools/capture/JavaDriver.java "$bootstrap" "$ctl") ;;
        librdkafka) cmd=("$venv/bin/python" tools/capture/confluent_driver.py "$bootstrap" "$ctl") ;;
        kcat) cmd=(tools/capture/kcat_driver.sh "$bootstrap" "$ctl") ;;
        kafka-python) cmd=("$venv/bin/python" tools/capture/kafka_python_driver.py "$bootstrap" "$ctl") ;;
        *) log "unknown client $c"; exit 64 ;;
    esac
    if ! timeout 300 "${cmd[@]}" > "$work/$c.log" 2>&1; then
        tail -n 40 "$work/$c.log" >&2
        log "driver $c failed (log: $work/$c.log); tests/fixtures/captures left unchanged"
        exit 1
    fi
    grep -E '^[a-z-]+:   ' "$work/$c.log" >&2 || true
done

python3 tools/capture/proxy.py control "$ctl" quit
wait "$proxy_pid" || true
proxy_pid=""
tools/kafka-ref/kafka.sh stop "$work/kafka" >&2

mkdir -p "$out"
python3 tools/capture/proxy.py select --raw "$work/raw.jsonl" --out "$out"
