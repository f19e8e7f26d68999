#!/usr/bin/env bash
# Streamfold GPU bundle: checks the PTX kernels against the reference interpreter's results, measures streaming
# bandwidth on device 0, then times JAX's lax.scan of the same composition where JAX imports.
# Options go to GpuCheck: [--case NAME] [--no-bench] [--json FILE] [--bench-d D]. Exit status: GpuCheck's (see README.txt).
set -uo pipefail
cd "$(dirname "$0")"

JAVA="${JAVA:-./jdk/bin/java}"
if [ "$JAVA" = ./jdk/bin/java ]; then
  if [ ! -e jdk/bin/java ]; then
    echo "error: jdk/bin/java is missing: this bundle was made without its Java runtime (gpu-bundle --jdk none);" \
         "set JAVA to a Java 25 binary" >&2
    exit 2
  fi
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "error: the bundled Java runtime is for Linux x86_64, this machine is $(uname -s) $(uname -m);" \
         "set JAVA to a Java 25 binary for it" >&2
    exit 2
  fi
  [ -x jdk/bin/java ] || chmod u+x jdk/bin/* jdk/lib/jspawnhelper 2>/dev/null || true
fi

echo "== Streamfold GPU check: PTX kernels against the reference interpreter, then bandwidth =="
"$JAVA" --enable-native-access=ALL-UNNAMED -cp lib/streamfold-runtime.jar dev.streamfold.runtime.cuda.GpuCheck "$@"
status=$?
case "$status" in
  0) echo "GpuCheck: every case passed" ;;
  1) echo "GpuCheck: FAILED (see the FAIL lines above)" ;;
  2) echo "GpuCheck: bad option or malformed bundle (message above)" ;;
  3) echo "GpuCheck: no usable CUDA driver on this machine; run the bundle where an NVIDIA GPU and its driver are" ;;
  *) echo "GpuCheck: ended with status $status" ;;
esac

json=gpu-bench.json
previous=
for arg in "$@"; do
  [ "$previous" = --json ] && json="$arg"
  previous="$arg"
done

if [ "$status" -eq 0 ] || [ "$status" -eq 1 ]; then
  if python3 -c 'import jax' >/dev/null 2>&1; then
    echo "== JAX lax.scan of the same composition =="
    XLA_PYTHON_CLIENT_PREALLOCATE=false python3 jax_scan.py "$json" || echo "jax_scan.py failed (exit $?)"
  else
    echo "(python3 cannot import jax: jax_scan.py skipped)"
  fi
fi
exit "$status"
