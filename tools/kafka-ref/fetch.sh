#!/usr/bin/env bash
# Collect the runtime classpath of Apache Kafka 4.4.0 (broker, tools, clients, log4j2) into
# tools/kafka-ref/lib/ (gitignored) from Maven Central, via the pom.xml beside this script.
#
#   tools/kafka-ref/fetch.sh          # idempotent: silent and fast (no Maven run) when already fetched
#   tools/kafka-ref/fetch.sh --force  # re-resolve even if lib/ looks complete
#
# Maven's local repository (~/.m2 by default, or $MAVEN_REPO_LOCAL) caches the jars, so a re-fetch after
# `rm -rf lib` needs no network. lib/.stamp records the pom's hash: editing pom.xml triggers a re-fetch.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="$here/lib"
stamp="$lib/.stamp"
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"

if [[ "${1:-}" != "--force" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
   && compgen -G "$lib/kafka_2.13-*.jar" >/dev/null && compgen -G "$lib/kafka-tools-[0-9]*.jar" >/dev/null; then
    exit 0
fi

mvn_args=(-q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies
          -DoutputDirectory="$lib.tmp" -DincludeScope=runtime -Dmdep.overWriteReleases=true)
if [[ -n "${MAVEN_REPO_LOCAL:-}" ]]; then mvn_args+=(-Dmaven.repo.local="$MAVEN_REPO_LOCAL"); fi

rm -rf "$lib.tmp"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! mvn "${mvn_args[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "fetch.sh: maven failed to resolve the Kafka classpath" >&2
    rm -rf "$lib.tmp"
    exit 1
fi
# Swap in atomically-ish so a half-copied lib/ is never taken as complete.
rm -rf "$lib"
mv "$lib.tmp" "$lib"
echo "$want" > "$stamp"
