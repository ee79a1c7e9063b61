#!/bin/sh
# Regenerates the java-* reference files with kafka-clients and snappy-java from the local Maven
# repository (fetch them first with: mvn dependency:get -Dartifact=org.apache.kafka:kafka-clients:4.4.0).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
m2=${M2_REPO:-$HOME/.m2/repository}
cp="$m2/org/apache/kafka/kafka-clients/4.4.0/kafka-clients-4.4.0.jar"
cp="$cp:$m2/org/xerial/snappy/snappy-java/1.1.10.7/snappy-java-1.1.10.7.jar"
cp="$cp:$m2/com/github/luben/zstd-jni/1.5.7-17/zstd-jni-1.5.7-17.jar"
cp="$cp:$m2/at/yawk/lz4/lz4-java/1.11.2/lz4-java-1.11.2.jar"
cp="$cp:$m2/org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar"
out=$(mktemp -d)
javac -d "$out" -cp "$cp" "$here/JavaBatches.java" "$here/JavaSnappyStream.java"
java -cp "$out:$cp" JavaBatches "$here/.."
python3 -c "
import sys
sys.stdout.write(''.join('line %05d: the quick brown fox jumps over the lazy dog\n' % i for i in range(1000)))" |
    java -cp "$out:$cp" JavaSnappyStream > "$here/../../compression/lines.txt.java-snappy"
rm -rf "$out"
