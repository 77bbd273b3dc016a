"""Performance figures, printed as tables: `python benchmarks/run.py [--quick] [--pytest]`.

1. Cross-check throughput on the property workload (depth 1-5, widths 1-8, batch 1-8,
   float64, sigmoid/quadratic, fixed seed): cases/s per oracle, the full check
   (reference + torch + JAX reverse, compared) case by case and many cases at once
   (`crosscheck.many.check_cases`), the batched mode of the certificate, and
   `torch.autograd.gradcheck` (fast_mode on and off) on the same cases; warm-up apart.
2. Hypothesis: cases/s drawn by `crosscheck.strategies.cases` against drawing every float
   with `hypothesis.extra.numpy.arrays`.
3. The reference against torch CPU autograd on a 784-1024-1024-1024-10 MLP, batch 256,
   float64 and float32: time ratio, GFLOP/s as a fraction of NumPy's matmul peak
   measured in the same run, and the peak memory of the backward pass against what it
   must hold.
4. With --pytest: the wall time of the default `pytest` run.

Figures are ratios measured in one run on one machine; compare them, not absolute times
across machines.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from crosscheck import Case, batched, check_case, jax_forward_gradients, jax_gradients, numeric_gradients, torch_gradients  # noqa: E402  # noqa: E402
from crosscheck.many import check_cases  # noqa: E402
from crosscheck.strategies import build_arrays, build_batch  # noqa: E402
from reference import Network  # noqa: E402


def workload(count: int, seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(count):
        depth = int(rng.integers(1, 6))
        sizes = [int(n) for n in rng.integers(1, 9, size=depth + 1)]
        N = int(rng.integers(1, 9))
        W, b, x, y = build_arrays(rng, sizes, N, np.float64, "sigmoid", "sigmoid", "quadratic", [1.0] * depth, 1.0, False)
        cases.append(Case(Network(W, b), x, y))
    return cases


def rate(function: Callable[[Case], Any], cases: list[Case], budget: float) -> float:
    """Cases per second over at most `budget` seconds (at least one pass of 20 cases)."""
    start, done = time.perf_counter(), 0
    while True:
        for case in cases:
            function(case)
            done += 1
            if done >= 20 and time.perf_counter() - start > budget:
                return done / (time.perf_counter() - start)


def gradcheck(case: Case, fast: bool) -> None:
    import torch

    from crosscheck import counterparts

    net = case.network
    hidden = counterparts.activation(net.activation.name)
    output = counterparts.activation(net.output_activation.name)
    cost = counterparts.loss(net.loss.name)
    x, y = torch.from_numpy(case.x), torch.from_numpy(case.y)
    params = [torch.tensor(p, requires_grad=True) for pair in zip(net.weights, net.biases) for p in pair]

    def C(*flat: Any) -> Any:
        a = x
        for i in range(0, len(flat), 2):
            a = (output if i == len(flat) - 2 else hidden).torch(torch.addmm(flat[i + 1], flat[i], a))
        return cost.torch(a, y)

    torch.autograd.gradcheck(C, params, fast_mode=fast)


def throughput(quick: bool) -> list[tuple[str, str]]:
    budget = 0.5 if quick else 2.0
    cases = workload(400)
    rows = []
    start = time.perf_counter()
    jax_gradients(cases[0].network, cases[0].x, cases[0].y)  # every depth 1-5 shares one compilation
    jax_forward_gradients(cases[0].network, cases[0].x, cases[0].y)
    torch_gradients(cases[0].network, cases[0].x, cases[0].y)
    rows.append(("warm-up (torch import done; first JAX reverse + forward compile)", f"{time.perf_counter() - start:.1f} s"))
    start = time.perf_counter()
    check_cases(cases[:50])
    rows.append(("warm-up of check_cases (its vmapped JAX compile)", f"{time.perf_counter() - start:.1f} s"))
    for name, fn in [
        ("reference alone", lambda c: c.network.backward(c.x, c.y)),
        ("torch autograd", lambda c: torch_gradients(c.network, c.x, c.y)),
        ("JAX reverse (bucketed, jitted)", lambda c: jax_gradients(c.network, c.x, c.y)),
        ("JAX forward (bucketed, jitted)", lambda c: jax_forward_gradients(c.network, c.x, c.y)),
        ("finite differences", lambda c: numeric_gradients(c.network, c.x, c.y)),
        ("full check, case by case: check_case(case, ['torch', 'jax'])", lambda c: check_case(c, ["torch", "jax"])),
        ("gradcheck fast_mode=True", lambda c: gradcheck(c, True)),
        ("gradcheck fast_mode=False", lambda c: gradcheck(c, False)),
    ]:
        rows.append((name, f"{rate(fn, cases, budget):,.0f} cases/s"))

    for count in (400, 2000):
        many = cases if count == len(cases) else workload(count, seed=1)
        start, done = time.perf_counter(), 0
        while done < count or time.perf_counter() - start < budget:
            result = check_cases(many)
            assert result.ok, result.report()
            done += count
        label = f"full check, {count} cases at once: check_cases(cases) (reference + torch + JAX reverse)"
        rows.append((label, f"{done / (time.perf_counter() - start):,.0f} cases/s"))

    # The certificate's batched mode: 64 cases of one structure per call.
    rng = np.random.default_rng(1)
    sizes, N, K = (4, 6, 6, 3), 6, 64
    batch = build_batch(rng, sizes, N, np.float64, "sigmoid", "sigmoid", "quadratic", K, (1.0,), (1.0,))
    batched.jax_batch(batch, "reverse")
    for name, fn in [
        ("batched torch (64 cases a call)", lambda: batched.torch_batch(batch)),
        ("batched JAX reverse (64 cases a call, jax.vmap 32 at a time)", lambda: batched.jax_batch(batch, "reverse")),
    ]:
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < budget:
            fn()
            calls += 1
        rows.append((name, f"{calls * K / (time.perf_counter() - start):,.0f} cases/s"))
    return rows


def strategy_rate(quick: bool) -> list[tuple[str, str]]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    from crosscheck.strategies import batches, cases

    count = 100 if quick else 400
    rows = []
    config = settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))

    @st.composite
    def element_by_element(draw: Any) -> Any:
        depth = draw(st.integers(1, 5))
        sizes = draw(st.lists(st.integers(1, 8), min_size=depth + 1, max_size=depth + 1))
        N = draw(st.integers(1, 8))
        floats = st.floats(-30, 30, allow_nan=False)
        Ws = [draw(arrays(np.float64, (m, n), elements=floats)) for n, m in zip(sizes, sizes[1:])]
        bs = [draw(arrays(np.float64, (m, 1), elements=floats)) for m in sizes[1:]]
        x = draw(arrays(np.float64, (sizes[0], N), elements=floats))
        return Ws, bs, x

    for name, strategy in [
        ("Hypothesis's own floor: one st.integers() an example", st.integers()),
        ("crosscheck.strategies.cases()", cases()),
        ("crosscheck.strategies.batches() (32 cases an example)", batches()),
        ("every float drawn (arrays(elements=floats))", element_by_element()),
    ]:
        seen = [0]

        @config
        @given(strategy)
        def draw_only(case: Any) -> None:
            seen[0] += 1

        start = time.perf_counter()
        draw_only()
        per_second = seen[0] / (time.perf_counter() - start)
        cases_note = f" ({32 * per_second:,.0f} cases/s)" if "batches" in name else ""
        rows.append((name, f"{per_second:,.0f} examples/s{cases_note}"))
    return rows


def large_mlp(quick: bool) -> list[tuple[str, str]]:
    sizes, N = (784, 1024, 1024, 1024, 10), 256
    blocks, per_block = (2, 3) if quick else (6, 5)
    rows = []
    for dtype in (np.float64, np.float32):
        rng = np.random.default_rng(0)
        net = Network.random(sizes, seed=rng, dtype=dtype)
        for W in net.weights:
            W *= 1 / np.sqrt(W.shape[1])
        x = rng.standard_normal((sizes[0], N)).astype(dtype)
        y = rng.uniform(size=(sizes[-1], N)).astype(dtype)
        _, activations = net.forward(x)
        deltas = [np.ones((W.shape[0], N), dtype) for W in net.weights]
        a = rng.standard_normal((1024, 1024)).astype(dtype)

        def matmuls() -> None:  # the backward's matmuls alone, on arrays of its shapes
            for W, a_in, delta in zip(net.weights, activations, deltas):
                W @ a_in
                delta @ a_in.T
            for W, delta in zip(net.weights[1:], deltas[1:]):
                W.T @ delta

        # Alternating blocks (a warm-up call, then timed calls), so that a slow spell of
        # this shared machine falls on every contender alike; min and median of each.
        contenders: dict[str, Callable[[], Any]] = {
            "reference": lambda: net.backward(x, y),
            "torch": lambda: torch_gradients(net, x, y),
            "matmuls": matmuls,
            "peak": lambda: a @ a,
        }
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(blocks):
            for name, fn in contenders.items():
                fn()
                for _ in range(per_block):
                    start = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - start)
        best = {name: min(t) for name, t in times.items()}
        median = {name: float(np.median(t)) for name, t in times.items()}
        peak = 2 * 1024**3 / best["peak"] / 1e9
        # forward W a (2mnN), backward Wᵀ δ (2mnN, not for the first layer), δ aᵀ (2mnN)
        flops = sum(2 * m * n * N * (3 if i > 0 else 2) for i, (n, m) in enumerate(itertools.pairwise(sizes)))
        tracemalloc.start()
        net.backward(x, y)
        _, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        itemsize = np.dtype(dtype).itemsize
        held = sum(n * N for n in sizes[1:])
        params = sum(W.size + b.size for W, b in zip(net.weights, net.biases))
        # What backward must hold: z and a of every layer, δ of every layer, ∂C/∂W and ∂C/∂b.
        must_hold = (3 * held + params) * itemsize
        name = np.dtype(dtype).name

        def ms(who: str) -> str:
            return f"{best[who] * 1e3:.1f} ms (median {median[who] * 1e3:.1f})"

        rows += [
            (f"{name}: reference backward", ms("reference")),
            (
                f"{name}: torch CPU autograd",
                f"{ms('torch')}; reference/torch {best['reference'] / best['torch']:.2f}x "
                f"(medians {median['reference'] / median['torch']:.2f}x)",
            ),
            (
                f"{name}: the backward's matmuls alone",
                f"{ms('matmuls')}: {best['matmuls'] / best['reference']:.0%} of the reference's time",
            ),
            (f"{name}: NumPy matmul peak (1024² @ 1024²)", f"{peak:.0f} GFLOP/s"),
            (
                f"{name}: reference GFLOP/s",
                f"{flops / best['reference'] / 1e9:.0f} ({flops / best['reference'] / 1e9 / peak:.0%} of peak; its matmuls alone "
                f"{flops / best['matmuls'] / 1e9 / peak:.0%})",
            ),
            (
                f"{name}: backward peak allocation",
                f"{peak_bytes / 1e6:.1f} MB vs {must_hold / 1e6:.1f} MB it must hold (z, a, δ, ∂W, ∂b): "
                f"{peak_bytes / must_hold:.2f}x",
            ),
        ]
    return rows


def pytest_wall() -> list[tuple[str, str]]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True
    )
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    return [("default pytest run (dev profile)", f"{time.perf_counter() - start:.0f} s wall: {last}")]


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n{title}")
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings (smoke run)")
    parser.add_argument("--pytest", action="store_true", help="also time the default pytest run")
    args = parser.parse_args()
    import jax
    import torch

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch.__version__}, jax {jax.__version__}"
    )
    print_table(
        "1. Cross-check throughput (depth 1-5, widths 1-8, batch 1-8, float64, sigmoid/quadratic)", throughput(args.quick)
    )
    print_table("2. Drawing cases with Hypothesis", strategy_rate(args.quick))
    print_table("3. Large MLP 784-1024-1024-1024-10, batch 256", large_mlp(args.quick))
    if args.pytest:
        print_table("4. Test suite", pytest_wall())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
