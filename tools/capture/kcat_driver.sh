#!/usr/bin/env bash
# Capture driver for kcat (Debian's kcat 1.7.1, built on librdkafka 2.0.2).
#   kcat_driver.sh <bootstrap> <proxy-control host:port>
# Frames go to tests/fixtures/captures/kcat/. kcat cannot create topics: the first produce creates the topic
# through Metadata with auto-creation (the broker's auto.create.topics.enable defaults to true).
set -euo pipefail

bootstrap="$1"; ctl="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
topic=kcat-t
per_batch=5

scenario() {
    echo "kcat: $1"
    python3 "$here/proxy.py" control "$ctl" label kcat "$1"
}

python3 "$here/proxy.py" control "$ctl" version kcat \
    "$(kcat -V | sed -n 's/^Version \([^ ]*\) .*\(librdkafka [^ ]*\).*/kcat \1 (\2)/p')"

common=(-b "$bootstrap" -X client.id=capture-kcat)

produced=0
for idem in false true; do
    for codec in none gzip snappy lz4 zstd; do
        [[ $idem == true ]] && on=on || on=off
        scenario "produce-$codec-idempotence-$on"
        for i in $(seq 0 $((per_batch - 1))); do echo "k$i:$codec record $i"; done |
            timeout 60 kcat -P "${common[@]}" -t "$topic" -K: -H h=v \
                -X acks=all -X enable.idempotence=$idem -X compression.codec=$codec -X linger.ms=5
        produced=$((produced + per_batch))
    done
done

scenario metadata
timeout 60 kcat -L "${common[@]}" > /dev/null
timeout 60 kcat -L "${common[@]}" -t "$topic" > /dev/null

scenario consume-assign
n="$(timeout 60 kcat -C "${common[@]}" -t "$topic" -p 0 -o beginning -e -q | wc -l)"
echo "kcat:   assign read $n of $produced"

scenario consume-group
n="$(timeout 60 kcat -G capture-kcat "${common[@]}" -X auto.offset.reset=earliest \
        -X heartbeat.interval.ms=200 -e -q "$topic" | wc -l)"
echo "kcat:   group read $n of $produced"
echo "kcat: done"
