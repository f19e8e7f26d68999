#!/usr/bin/env bash
# Builds this example against installed Streamfold artifacts, runs it on a jlink'ed JDK (java.base +
# jdk.incubator.vector) with only streamfold-runtime on its class path, and checks its bytes against
# `streamfold noise`. Usage: run.sh [MAVEN_ARGS...] (for example -Dmaven.repo.local=DIR).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
: "${JAVA_HOME:?set JAVA_HOME to a JDK 25}"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
cd "$HERE"
mvn -B -q "$@" package
rm -rf target/jdk target/run
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector --strip-debug --no-header-files \
  --no-man-pages --output target/jdk
mkdir -p target/run
CP="target/classes:$(cat target/classpath.txt)"
case "$CP" in *streamfold-compiler*|*llvm*|*javapoet*) echo "error: the service's class path holds more than the runtime: $CP" >&2; exit 1 ;; esac
target/jdk/bin/java --add-modules=jdk.incubator.vector -cp "$CP" com.example.noise.NoiseService \
  target/run/service.bin target/run/state 2> >(grep -v '^WARNING: Using incubator modules' >&2)
"$ROOT/streamfold" noise --expr 'inverse(blt(buf_decay=[0.99, 0.9, 0.5, 0.2], output_scale=[0.3, 0.1, 0.05, 0.01]))' \
  --dim 232346 --steps 12 --seed 2026 --stddev 1.0 --threads 3 --out target/run/cli.bin >/dev/null
cmp target/run/service.bin target/run/cli.bin
echo "dp-noise-service: $(stat -c %s target/run/service.bin) bytes equal to streamfold noise"
