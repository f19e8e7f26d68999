"""Times JAX lax.scan of prefix_sum @ momentum_sgd(momentum=0.9, learning_rates=[1.0, 0.5]) on the default device:
float32, d = 2**24, 256 steps, the composition of GpuCheck's scan case. The step, for x_t of d elements:
  m_t = 0.9 m_{t-1} + x_t;  a_t = a_{t-1} + lr[min(t, 1)] m_t;  y_t = y_{t-1} + a_t   (all state starts at zero)
Prints ms per step and GB/s at 2 d 4 bytes per step (x read, y written), and the ratio to GpuCheck's fused scan
where its bench rows are present (the file named by the first argument, default gpu-bench.json)."""
import json
import os
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

D = 1 << 24
STEPS = 256
MOMENTUM = 0.9
LEARNING_RATES = (1.0, 0.5)
REPEATS = 5


def step(carry, inputs):
    m, a, y = carry
    x, lr = inputs
    m = MOMENTUM * m + x
    a = a + lr * m
    y = y + a
    return (m, a, y), y


@jax.jit
def scan(xs):
    lrs = jnp.asarray([LEARNING_RATES[min(t, len(LEARNING_RATES) - 1)] for t in range(xs.shape[0])], jnp.float32)
    zeros = jnp.zeros(xs.shape[1:], jnp.float32)
    _, ys = jax.lax.scan(step, (zeros, zeros, zeros), (xs, lrs))
    return ys


def reference(xs):
    """The recurrence in float64 numpy, for a few columns."""
    m = np.zeros(xs.shape[1]); a = np.zeros(xs.shape[1]); y = np.zeros(xs.shape[1])
    out = []
    for t in range(xs.shape[0]):
        m = MOMENTUM * m + xs[t]
        a = a + LEARNING_RATES[min(t, len(LEARNING_RATES) - 1)] * m
        y = y + a
        out.append(y)
    return np.stack(out)


def main():
    device = jax.devices()[0]
    xs = jax.random.normal(jax.random.PRNGKey(0), (STEPS, D), jnp.float32)
    ys = scan(xs).block_until_ready()
    cols = np.asarray(xs[:, :8], np.float64)
    want = reference(cols)
    got = np.asarray(ys[:, :8], np.float64)
    err = np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want)))
    del ys
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        scan(xs).block_until_ready()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    ns_per_step = seconds * 1e9 / STEPS
    gbps = 2 * D * 4 / ns_per_step
    print(f"JAX {jax.__version__} on {device.device_kind}: lax.scan d={D} steps={STEPS} float32: "
          f"{ns_per_step / 1e6:.3f} ms/step, {gbps:.1f} GB/s at 2*d*4 bytes/step (median of {REPEATS}); "
          f"relative error vs float64 on 8 columns {err:.1e}")
    bench = sys.argv[1] if len(sys.argv) > 1 else "gpu-bench.json"
    if os.path.exists(bench):
        with open(bench) as f:
            rows = json.load(f)
        fused = [r for r in rows if r["case"] == "scan" and r["variant"] == "fused" and r["d"] == D]
        if fused:
            ours = fused[0]["ns_per_step"]
            print(f"Streamfold fused scan: {ours / 1e6:.3f} ms/step; JAX/Streamfold time ratio {ns_per_step / ours:.2f}")


if __name__ == "__main__":
    main()
