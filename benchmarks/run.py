"""Performance figures, printed as tables: `python benchmarks/run.py [--quick] [--pytest]`.

1. Cross-check throughput on the property workload (depth 1-5, widths 1-8, batch 1-8,
   float64, sigmoid/quadratic, fixed seed): cases/s per oracle, the full check
   (reference + torch + JAX reverse, compared) case by case and many cases at once
   (`crosscheck.check_cases`), the batched mode of the certificate, and
   `torch.autograd.gradcheck` (fast_mode on and off) on the same cases; warm-up apart.
2. Hypothesis: cases/s drawn by `crosscheck.strategies.cases` against drawing every float
   with `hypothesis.extra.numpy.arrays` (best of three rounds taken in turns). Then 2b, the
   false-alarm sweep: 10,000 correct cases of `crosscheck.strategies.diverse_cases` through
   `check_cases` (torch, jax), subsets through JAX forward mode, finite differences,
   `compare(case=)` and `step_check`; the false alarms and the largest |diff|/tol of each.
   2c, the same sweep on implementations under test: each correct implementation of
   tests/people.py at 1,000 cases per dtype in the diverse ranges its declarations allow.
   2d, what running your code in its own process costs (`benchmarks/learner.py`):
   check_implementation from start to verdict isolated and in-process, and `verify` on
   examples/columns.py here and (with --against COMMIT) at another commit, fresh processes in turns.
   2e, without --quick, a learner's loop (`benchmarks/learner.py`): verify on examples/columns.py, on
   examples/mlp.py (agrees) and on its slipped twin (BP2 named), start to verdict, fresh
   processes in turns, the first run with an empty JAX cache and the next ones with the cache
   it left (targets: <= 5 s, <= 10 s, <= 15 s).
   2f, finding out (`benchmarks/found_out.py`): what probing takes on each correct shape of
   tests/outside.py, `verify` with nothing declared against declared and against `import numpy,
   torch, jax`, and examples/mlp.py's command against the same (fresh processes in turns), and, without
   --quick, the 48 outside slips checked with nothing declared, each listed as named right or not
   (targets: <= 1 s, <= 1.5x, <= 2x, >= 90 %).
3. The reference against torch CPU autograd on a 784-1024-1024-1024-10 MLP, batch 256,
   float64 and float32. First each contender in its own fresh process, in turns over several
   rounds, medians of medians: the reference (new arrays, out=), its matmuls alone, each torch
   idiom, and NumPy's and torch's GEMM of the MLP's largest product (the BLAS ratio, which
   bounds the reference/torch ratio); the target is the reference's own limit, its time over
   its matmuls' (<= 1.15x). Then, timed interleaved in one process (torch's threads sharing
   the cores with NumPy's, so no ratio to torch is judged there): torch in each of its idioms and the fastest
   taken, the reference's backward with new arrays and with out= (its last gradients'
   arrays reused), GFLOP/s as a fraction of NumPy's matmul peak measured in the same run,
   the backward's matmuls timed alone, page faults a call, and the peak memory of the
   backward pass against what it must hold. Then each in a plain loop in fresh processes:
   the reference with glibc's default malloc, with freed memory kept in the process, and
   with out=, and torch's best idiom (by default glibc hands large freed blocks back to
   the kernel, and the next call faults them back in, each page zeroed by the kernel).
3b. With --scale: the soak on dask.distributed, 1 and 2 local workers.
3c. Without --quick, where SymPy is installed: the symbolic tier, `python -m crosscheck --symbolic`
   in a fresh process, start to exit (target: <= 60 s on the machine's cores).
4. With --pytest: the wall time of the default `pytest` run.
5. Without --quick, where dask.distributed is installed: `python -m crosscheck grade` on a class
   of 60 (examples/class repeated; `benchmarks/grading.py`) on 1 and 2 local workers and on a
   2-worker LocalCluster, submissions a minute, and whether the grades are the same.
5b. With --hostile REV: each row of tests/test_contained.py's hostile table graded alone, by REV's code and by
   this tree's, judged by the test's conditions (`benchmarks/hostile.py`): what fails at each.
Last, the targets, each marked met or NOT MET on this run's figures.

A full run (without --quick) writes everything it printed to benchmarks/RESULTS.md, with
the date, the machine and the versions; --results PATH writes it elsewhere. Figures are
ratios measured in one run on one machine; compare them, not absolute times across
machines.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import itertools
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from crosscheck.case import Case  # noqa: E402
from crosscheck.check import check_case, check_cases  # noqa: E402
from crosscheck.implementations import implementation  # noqa: E402
from crosscheck.oracles import ORACLES, oracle_gradients  # noqa: E402
from crosscheck.strategies import Structure, build_stack, random_cases  # noqa: E402
from crosscheck.tolerances import tolerance  # noqa: E402
from reference import Network  # noqa: E402

MLP_SIZES, MLP_N = (784, 1024, 1024, 1024, 10), 256
WORKLOAD = {
    "dtype": np.float64,
    "activation": "sigmoid",
    "output_activation": "sigmoid",
    "loss": "quadratic",
    "weight_scales": (1.0,),
    "input_scales": (1.0,),
    "zeros": False,
}
"""`strategies.random_cases`' options for the benchmark workload (also the one `against.py` times)."""


@dataclass
class Figures:
    """The figures the targets are judged on (`targets`), filled in by the sections as they run
    (None or empty: that section did not run)."""

    warm_up: float | None = None
    full_check: dict[int, float] = field(default_factory=dict)
    """check_cases cases/s, by how many cases at once."""
    limit: float | None = None
    """The check_cases rate its parts allow, 1/Σ(1/rate)."""
    yours: dict[int, float] = field(default_factory=dict)
    """Your-implementation checks, cases/s with its own time set aside, by cases at once."""
    batched: dict[str, float] = field(default_factory=dict)
    """The certificate's batched mode, cases/s, by framework ("torch", "jax")."""
    false_alarms: int | None = None
    implementation_alarms: int | None = None
    found_out: dict[str, float] = field(default_factory=dict)
    """Section 2f: the longest probe (s), verify with nothing declared over the frameworks' imports, the rate named right."""
    learner: dict[str, float] = field(default_factory=dict)
    """A learner's loop, median seconds to the verdict with a warm JAX cache ("columns", "mlp agrees", "mlp slip")."""
    grading: dict[str, float] = field(default_factory=dict)
    """Submissions graded a minute, by configuration."""
    isolation_ratio: float | None = None
    """check_implementation's wall time, your code in its own process over in-process (section 2d)."""
    verify_against: float | None = None
    """verify's wall time here over at `against` (section 2d, with --against)."""
    against: str | None = None
    draw: dict[str, float] = field(default_factory=dict)
    """Hypothesis examples/s, by strategy ("cases", "every float", "batches")."""
    memory: dict[str, float] = field(default_factory=dict)
    """The large MLP backward's peak allocation over what it must hold, by dtype."""
    fresh: dict[str, dict[str, float]] = field(default_factory=dict)
    """Fresh-process medians of medians, seconds a call, by dtype and contender."""
    loop_faults: dict[tuple[str, str], float] = field(default_factory=dict)
    """Page faults a call in a loop, by (dtype, condition)."""
    soak: dict[int, float] = field(default_factory=dict)
    """The soak's cases/s, by workers."""
    chunk_overhead: float | None = None
    pytest_wall: float | None = None
    pytest_failed: list[str] = field(default_factory=list)
    """The tests that failed in that run (pytest's short summary lines), if any did."""
    symbolic: float | None = None
    """The symbolic tier's wall time, `python -m crosscheck --symbolic` in a fresh process."""


FIGURES = Figures()
BEST_IDIOM: dict[str, str] = {}
"""torch's fastest idiom for the large MLP, per dtype, in this run (section 3)."""


def workload(count: int, seed: int = 0) -> list[Case]:
    """The property workload: sigmoid/quadratic, float64, depth 1-5, widths 1-8, batch 1-8, unit scales, no planted zeros."""
    return random_cases(np.random.default_rng(seed), count, **WORKLOAD)


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
    # First in the process (torch and JAX imported, nothing run yet): what a user of the
    # full check waits for before the first result, the vmapped JAX compile included.
    start = time.perf_counter()
    check_cases(cases[:50])
    FIGURES.warm_up = time.perf_counter() - start
    rows.append(("warm-up of check_cases (first call: JAX backend, its vmapped compile)", f"{FIGURES.warm_up:.1f} s"))
    start = time.perf_counter()
    for name in ("jax", "jax_forward", "torch"):  # every depth 1-5 shares one compilation
        oracle_gradients(name, cases[0].network, cases[0].x, cases[0].y)
    rows.append(("warm-up of the per-case oracles (first JAX reverse + forward compile)", f"{time.perf_counter() - start:.1f} s"))
    for name, fn in [
        ("reference alone", lambda c: c.network.backward(c.x, c.y)),
        *(
            (
                f"{name}: {ORACLES[name].description}, one case a call",
                lambda c, name=name: oracle_gradients(name, c.network, c.x, c.y),
            )
            for name in ORACLES
        ),
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
        per_second = done / (time.perf_counter() - start)
        FIGURES.full_check[count] = per_second
        label = f"full check, {count} cases at once: check_cases(cases) (reference + torch + JAX reverse)"
        rows.append((label, f"{per_second:,.0f} cases/s"))

    # The parts of check_cases, each alone on the same 2,000 cases, and the limit they set together.
    from crosscheck.case import stacks
    from crosscheck.scales import stack_magnitudes
    from crosscheck.stacked import judge_stacked, reference_over

    many = workload(2000, seed=1)
    groups = [stack for _, stack in stacks(many)]
    parts = {
        "the reference over the stacks (Network.backward with a case axis)": lambda: [reference_over(s) for s in groups],
        "torch over the stacks": lambda: ORACLES["torch"].compute(groups),
        "JAX reverse over the stacks": lambda: ORACLES["jax"].compute(groups),
        "the error scales S": lambda: [stack_magnitudes(s) for s in groups],
        "the judge, two oracles": lambda: [
            judge_stacked(t, o, sc, tolerance(ORACLES["torch"].kind, s.dtype), "autograd", stack=s)
            for s, t, (o, _), sc in zip(groups, tested, computed, scales)
            for _ in range(2)
        ],
    }
    tested = [reference_over(s) for s in groups]
    computed = ORACLES["torch"].compute(groups)
    scales = [stack_magnitudes(s) for s in groups]
    inverse = 0.0
    for name, fn in parts.items():
        fn()
        start, calls = time.perf_counter(), 0
        while calls < 3 or time.perf_counter() - start < budget:
            fn()
            calls += 1
        per_second = calls * len(many) / (time.perf_counter() - start)
        inverse += 1 / per_second
        rows.append((f"part: {name}", f"{per_second:,.0f} cases/s"))
    FIGURES.limit = 1 / inverse
    rows.append(("limit of check_cases set by its parts, 1/Σ(1/rate)", f"{FIGURES.limit:,.0f} cases/s"))

    # Your implementation under test (examples/columns.py, a user's NumPy backprop): the same
    # pipeline, with the implementation's own time (two calls a case) measured and set aside.
    from examples import columns

    spent = [0.0]

    def timed_backprop(*args: Any) -> Any:
        start = time.perf_counter()
        try:
            return columns.backprop(*args)
        finally:
            spent[0] += time.perf_counter() - start

    yours = implementation(timed_backprop, convention="columns")
    for count in (400, 2000):
        many = cases if count == len(cases) else workload(count, seed=1)
        check_cases(many[:50], implementation=yours)
        spent[0] = 0.0
        start, done = time.perf_counter(), 0
        while done < count or time.perf_counter() - start < budget:
            result = check_cases(many, implementation=yours)
            assert result.ok, result.report()
            done += count
        total = time.perf_counter() - start
        FIGURES.yours[count] = done / (total - spent[0])
        rows.append(
            (
                f"your implementation (examples/columns.py), {count} cases at once: check_cases(cases, implementation=...)",
                f"{done / total:,.0f} cases/s in all; {FIGURES.yours[count]:,.0f} cases/s with its own "
                f"{spent[0] / done * 1e6:.0f} µs a case (two calls) set aside",
            )
        )

    # The certificate's stacks: 64 cases of one structure per call.
    rng = np.random.default_rng(1)
    K = 64
    structure = Structure((4, 6, 6, 3), 6, np.dtype(np.float64), "sigmoid", "sigmoid", "quadratic")
    stack = build_stack(rng, structure, K, weight_scales=(1.0,), input_scales=(1.0,))
    ORACLES["jax"].compute([stack])
    for framework, name, fn in [
        ("torch", "batched torch (64 cases a call)", lambda: ORACLES["torch"].compute([stack])),
        ("jax", "batched JAX reverse (64 cases a call, jax.vmap 32 at a time)", lambda: ORACLES["jax"].compute([stack])),
    ]:
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < budget:
            fn()
            calls += 1
        per_second = calls * K / (time.perf_counter() - start)
        FIGURES.batched[framework] = per_second
        rows.append((name, f"{per_second:,.0f} cases/s"))
    return rows


def false_alarms(quick: bool) -> list[tuple[str, str]]:
    """Every public comparison on correct cases from the diverse generator (`strategies.diverse_cases`):
    how many false alarms, and the largest |diff|/tol seen (the margin left)."""
    from crosscheck.check import compare, step_check
    from crosscheck.strategies import diverse_cases

    # Quick (CI's smoke run): few cases, since nearly every diverse case is a new shape for JAX to compile.
    count = 4 if quick else 10_000
    rng = np.random.default_rng(20)
    cases = diverse_cases(rng, count)
    rows = []
    start = time.perf_counter()
    result = check_cases(cases, ("torch", "jax"))
    alarms = len(result.failures) + len(result.cleared)
    worst = ", ".join(f"{name} {result.worst[name].max():.2g}" for name in result.oracles)
    FIGURES.false_alarms = alarms
    rows.append(
        (
            f"check_cases, torch and jax, {count:,} diverse cases",
            f"{alarms} false alarms; worst |diff|/tol {worst} ({time.perf_counter() - start:.0f} s)",
        )
    )
    subset = cases[: (4 if quick else 400)]
    for name in ("jax_forward", "numeric"):
        part = subset[: len(subset) // 4] if name == "jax_forward" else subset
        result = check_cases(part, (name,))
        FIGURES.false_alarms += len(result.failures)
        rows.append(
            (
                f"check_cases, {name}, the first {len(part)}",
                f"{len(result.failures)} false alarms; worst |diff|/tol {result.worst[name].max():.2g}",
            )
        )
    compared = [compare(c.network.backward(c.x, c.y), oracle_gradients("torch", c.network, c.x, c.y), case=c) for c in subset]
    bad = sum(not c.ok for c in compared)
    FIGURES.false_alarms += bad
    rows.append(
        (
            f"compare(..., case=case) against torch, the first {len(subset)}",
            f"{bad} false alarms; worst |diff|/tol {max(c.worst_ratio for c in compared):.2g}",
        )
    )
    for name in ("torch", "jax", "numeric"):
        steps = [step_check(c, name) for c in subset[:100]]
        bad = sum(not s.ok for s in steps)
        FIGURES.false_alarms += bad
        rows.append(
            (
                f"step_check({name}), the first {len(steps)}",
                f"{bad} false alarms; worst |diff|/tol {max(s.worst_ratio for s in steps):.2g}",
            )
        )
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

    @config
    @given(st.integers())
    def warm_up(value: Any) -> None:  # Hypothesis's first test in a process pays its own set-up
        pass

    warm_up()
    strategies = [
        ("floor", "Hypothesis's own floor: one st.integers() an example", st.integers()),
        ("cases", "crosscheck.strategies.cases()", cases()),
        ("batches", "crosscheck.strategies.batches() (32 cases an example)", batches()),
        ("every float", "every float drawn (arrays(elements=floats))", element_by_element()),
    ]
    best = dict.fromkeys([key for key, _, _ in strategies], 0.0)
    for _ in range(3):  # rounds in turns, the best of each kept: a slow spell falls on all alike
        for key, _, strategy in strategies:
            seen = [0]

            @config
            @given(strategy)
            def draw_only(case: Any) -> None:
                seen[0] += 1

            start = time.perf_counter()
            draw_only()
            best[key] = max(best[key], seen[0] / (time.perf_counter() - start))
    for key, name, _ in strategies:
        FIGURES.draw[key] = best[key]
        cases_note = f" ({32 * best[key]:,.0f} cases/s)" if key == "batches" else ""
        rows.append((name, f"{best[key]:,.0f} examples/s{cases_note}"))
    return rows


def timed(contenders: dict[str, Callable[[], Any]], blocks: int, per_block: int) -> dict[str, dict[str, float]]:
    """Best and median seconds, and minor page faults, per call of each contender.

    Alternating blocks (a warm-up call, then timed calls), so that a slow spell of this
    shared machine falls on every contender alike.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    faults = dict.fromkeys(contenders, 0)
    for _ in range(blocks):
        for name, fn in contenders.items():
            fn()
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(per_block):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
            faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    return {name: {"best": min(t), "median": float(np.median(t)), "faults": faults[name] / len(t)} for name, t in times.items()}


TORCH_IDIOMS = (
    "torch, rows, F.linear",
    "torch, rows, F.linear, into kept .grad",
    "torch, columns, addmm",
    "torch, columns, addmm, z retained (δ)",
)
"""The names of `torch_idioms`, in its order."""


def torch_idioms(net: Network, x: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], Any]]:
    """The same backward (sigmoid layers, the mean quadratic cost, ∂C/∂W and ∂C/∂b) in torch's idioms:
    samples as rows with F.linear (new gradient tensors, or accumulated into .grad tensors kept across
    calls and zeroed), samples as columns with addmm, and the latter with every z retained (δ read from
    it, as the oracle does)."""
    import torch
    import torch.nn.functional as F

    Ws = [torch.tensor(W, requires_grad=True) for W in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    flat = [torch.tensor(b[:, 0], requires_grad=True) for b in net.biases]
    x_cols, y_cols = torch.from_numpy(x), torch.from_numpy(y)
    x_rows, y_rows = x_cols.T.contiguous(), y_cols.T.contiguous()
    N = x.shape[1]

    def rows() -> Any:
        h = x_rows
        for W, b in zip(Ws, flat):
            h = torch.sigmoid(F.linear(h, W, b))
        return torch.autograd.grad(((h - y_rows) ** 2).sum() / (2 * N), [*Ws, *flat])

    def rows_into_grad() -> Any:  # the buffers kept across calls: backward() accumulates into zeroed .grad
        for p in [*Ws, *flat]:
            if p.grad is not None:
                p.grad.zero_()
        h = x_rows
        for W, b in zip(Ws, flat):
            h = torch.sigmoid(F.linear(h, W, b))
        (((h - y_rows) ** 2).sum() / (2 * N)).backward()
        return [p.grad for p in [*Ws, *flat]]

    def columns(retain: bool) -> Any:
        a, zs = x_cols, []
        for W, b in zip(Ws, bs):
            z = torch.addmm(b, W, a)
            zs.append(z)
            a = torch.sigmoid(z)
        return torch.autograd.grad(((a - y_cols) ** 2).sum() / (2 * N), [*(zs if retain else []), *Ws, *bs])

    return {
        "torch, rows, F.linear": rows,
        "torch, rows, F.linear, into kept .grad": rows_into_grad,
        "torch, columns, addmm": lambda: columns(False),
        "torch, columns, addmm, z retained (δ)": lambda: columns(True),
    }


def mlp_setup(dtype: type) -> tuple[Network, np.ndarray, np.ndarray]:
    """The large MLP (weights scaled by 1/√fan-in, so σ does not saturate), x and y."""
    rng = np.random.default_rng(0)
    net = Network.random(MLP_SIZES, seed=rng, dtype=dtype)
    for W in net.weights:
        W *= 1 / np.sqrt(W.shape[1])
    x = rng.standard_normal((MLP_SIZES[0], MLP_N)).astype(dtype)
    y = rng.uniform(size=(MLP_SIZES[-1], MLP_N)).astype(dtype)
    return net, x, y


def large_mlp(quick: bool) -> list[tuple[str, str]]:
    blocks, per_block = (2, 3) if quick else (6, 5)
    N = MLP_N
    # forward W a (2mnN), backward Wᵀ δ (2mnN, not for the first layer), δ aᵀ (2mnN)
    flops = sum(2 * m * n * N * (3 if i > 0 else 2) for i, (n, m) in enumerate(itertools.pairwise(MLP_SIZES)))
    rows = []
    for dtype in (np.float64, np.float32):
        net, x, y = mlp_setup(dtype)
        square = np.random.default_rng(1).standard_normal((1024, 1024)).astype(dtype)

        matmuls = _contender(np.dtype(dtype).name, "matmuls", "")  # the backward's matmuls alone, its shapes

        idioms = torch_idioms(net, x, y)
        out = net.backward(x, y)
        for idiom, run in idioms.items():  # the same work: every idiom's ∂C/∂W^l and ∂C/∂b^l are the reference's
            got = [t.detach().numpy() for t in run()]
            for want, have in zip([*out.weights, *(b[:, 0] for b in out.biases)], got[-2 * len(out.weights) :]):
                scale = float(np.abs(want).max())
                np.testing.assert_allclose(have.reshape(want.shape), want, rtol=0, atol=1e-4 * scale, err_msg=idiom)
        r = timed(
            {
                "reference": lambda: net.backward(x, y),
                "reference, out=": lambda: net.backward(x, y, out=out),
                **idioms,
                "matmuls": matmuls,
                "peak": lambda: square @ square,
            },
            blocks,
            per_block,
        )
        # torch's best idiom: the fastest of them by median, in this run; and the fastest of
        # those that return new gradient tensors (as the reference without out= does).
        best_idiom = min(idioms, key=lambda k: r[k]["median"])
        best_new = min((k for k in idioms if "kept" not in k), key=lambda k: r[k]["median"])
        BEST_IDIOM[np.dtype(dtype).name] = best_idiom
        r["torch"], r["torch, new"] = r[best_idiom], r[best_new]
        peak = 2 * 1024**3 / r["peak"]["best"] / 1e9
        tracemalloc.start()
        net.backward(x, y)
        _, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        held = sum(n * N for n in MLP_SIZES[1:])
        params = sum(W.size + b.size for W, b in zip(net.weights, net.biases))
        # What backward must hold: z and a of every layer, δ of every layer, ∂C/∂W and ∂C/∂b.
        must_hold = (3 * held + params) * np.dtype(dtype).itemsize
        name = np.dtype(dtype).name
        FIGURES.memory[name] = peak_bytes / must_hold

        def ms(who: str) -> str:
            return (
                f"{r[who]['best'] * 1e3:.1f} ms (median {r[who]['median'] * 1e3:.1f}), {r[who]['faults']:.0f} page faults a call"
            )

        rows += [
            *((f"{name}: {idiom}", ms(idiom)) for idiom in idioms),
            (f"{name}: torch's best idiom here", best_idiom),
            (f"{name}: reference backward", ms("reference")),
            (f"{name}: reference backward, out= (its last gradients' arrays reused)", ms("reference, out=")),
            (
                f"{name}: torch CPU autograd, its best idiom",
                f"{ms('torch')}; reference (out=)/torch {r['reference, out=']['median'] / r['torch']['median']:.2f}x "
                f"medians ({r['reference, out=']['best'] / r['torch']['best']:.2f}x best of each)",
            ),
            (
                f"{name}: both with new gradient arrays each call",
                f"reference/torch ({best_new}) {r['reference']['median'] / r['torch, new']['median']:.2f}x medians "
                f"({r['reference']['best'] / r['torch, new']['best']:.2f}x best of each)",
            ),
            (
                f"{name}: the backward's matmuls alone",
                f"{ms('matmuls')}: {r['matmuls']['best'] / r['reference']['best']:.0%} of the reference's time",
            ),
            (f"{name}: NumPy matmul peak (1024² @ 1024²)", f"{peak:.0f} GFLOP/s"),
            (
                f"{name}: reference GFLOP/s",
                f"{flops / r['reference']['best'] / 1e9:.0f} ({flops / r['reference']['best'] / 1e9 / peak:.0%} of peak; "
                f"its matmuls alone {flops / r['matmuls']['best'] / 1e9 / peak:.0%}; "
                f"torch {flops / r['torch']['best'] / 1e9 / peak:.0%})",
            ),
            (
                f"{name}: backward peak allocation",
                f"{peak_bytes / 1e6:.1f} MB vs {must_hold / 1e6:.1f} MB it must hold (z, a, δ, ∂W, ∂b): "
                f"{peak_bytes / must_hold:.2f}x",
            ),
        ]
    return rows


# glibc returns freed memory to the kernel (mmap-ed blocks when freed, the top of its heap
# when it grows past the trim threshold); a loop of backward passes then faults the same
# pages back in, each zeroed by the kernel. glibc's own environment variables: never
# mmap, never trim, so freed memory stays in the process.
KEEP_FREED_MEMORY = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(2**31 - 1)}


def _contender(dtype: str, who: str, idiom: str) -> Callable[[], Any]:
    """One call of a contender of the fresh-process tables, on the large MLP (or its largest GEMM)."""
    net, x, y = mlp_setup(np.dtype(dtype).type)
    if who == "torch":
        return torch_idioms(net, x, y)[idiom]
    if who == "reference, out=":
        gradients = net.backward(x, y)
        return lambda: net.backward(x, y, out=gradients)
    if who == "matmuls":  # the backward's matmuls alone, on arrays of its shapes
        _, activations = net.forward(x)
        deltas = [np.ones((W.shape[0], x.shape[1]), np.dtype(dtype)) for W in net.weights]

        def matmuls() -> None:
            for W, a_in, delta in zip(net.weights, activations, deltas):
                W @ a_in
                delta @ a_in.T
            for W, delta in zip(net.weights[1:], deltas[1:]):
                W.T @ delta

        return matmuls
    if who in ("numpy gemm", "torch gemm"):  # the MLP's largest product, W^3 (1024, 1024) @ a^2 (1024, N)
        W, a = net.weights[1], np.random.default_rng(2).standard_normal((1024, x.shape[1])).astype(dtype)
        if who == "numpy gemm":
            return lambda: W @ a
        import torch

        W_t, a_t = torch.from_numpy(W), torch.from_numpy(a)
        return lambda: torch.mm(W_t, a_t)
    return lambda: net.backward(x, y)


def backward_loop(dtype: str, who: str, calls: int, idiom: str = "") -> str:
    """`calls` calls of `who` in a plain loop, as a training loop makes them, in this process alone:
    "reference" (new arrays each call), "reference, out=" (its last gradients passed as out=), "torch"
    (`idiom`), "matmuls" (the backward's matmuls alone), "numpy gemm" or "torch gemm".

    Returns JSON (printed by `--backward-loop`): the seconds of each call, and minor page
    faults and seconds of system time a call.
    """
    fn = _contender(dtype, who, idiom)
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return json.dumps(
        {
            "times": times,
            "faults": (after.ru_minflt - before.ru_minflt) / calls,
            "system": (after.ru_stime - before.ru_stime) / calls,
        }
    )


def _fresh(dtype: str, who: str, calls: int, idiom: str = "", extra: dict[str, str] | None = None) -> dict[str, Any]:
    """`backward_loop` in a fresh interpreter (its own thread pools, nothing else running in it)."""
    result = subprocess.run(
        [sys.executable, __file__, "--backward-loop", dtype, who, str(calls), idiom],
        env={**os.environ, **(extra or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def fresh_mlp(quick: bool) -> list[tuple[str, str]]:
    """The large MLP with each contender in its own fresh process, in turns over several rounds
    (the order reversed every other round); each process's median a call, then the median over
    the rounds. torch's thread pool then has the cores to itself, as NumPy's has."""
    rounds, calls = (1, 4) if quick else (5, 15)
    idioms = ["torch, rows, F.linear"] if quick else list(TORCH_IDIOMS)
    contenders = [("reference", ""), ("reference, out=", ""), ("matmuls", ""), *(("torch", i) for i in idioms)]
    contenders += [("numpy gemm", ""), ("torch gemm", "")]
    rows = []
    for dtype in ("float32",) if quick else ("float64", "float32"):
        medians: dict[str, list[float]] = {}
        for r in range(rounds):
            for who, idiom in contenders if r % 2 == 0 else contenders[::-1]:
                label = idiom or who
                medians.setdefault(label, []).append(float(np.median(_fresh(dtype, who, calls, idiom)["times"])))
        fresh = {label: float(np.median(values)) for label, values in medians.items()}
        FIGURES.fresh[dtype] = fresh
        best = min((k for k in fresh if k.startswith("torch,")), key=fresh.__getitem__)
        spread = {label: (min(v), max(v)) for label, v in medians.items()}
        rows += [
            (f"{dtype}: {label}", f"{t * 1e3:.1f} ms (rounds {spread[label][0] * 1e3:.1f}-{spread[label][1] * 1e3:.1f})")
            for label, t in fresh.items()
        ]
        rows += [
            (f"{dtype}: reference (out=) / its own matmuls alone", f"{fresh['reference, out='] / fresh['matmuls']:.2f}x"),
            (f"{dtype}: reference (new arrays) / its own matmuls alone", f"{fresh['reference'] / fresh['matmuls']:.2f}x"),
            (f"{dtype}: reference (out=) / torch's best idiom ({best})", f"{fresh['reference, out='] / fresh[best]:.2f}x"),
            (
                f"{dtype}: the BLAS ratio, NumPy GEMM / torch GEMM ((1024, 1024) @ (1024, {MLP_N}))",
                f"{fresh['numpy gemm'] / fresh['torch gemm']:.2f}x: what bounds the torch ratio above",
            ),
        ]
    return rows


def loops(quick: bool) -> list[tuple[str, str]]:
    """The backward in a loop in fresh processes, in turns: the reference's plain call and its
    out= call, under glibc's default malloc and with freed memory kept, and torch's best idiom."""
    rounds, calls = (1, 10) if quick else (3, 15)
    conditions = {
        "reference, default malloc": ("reference", {}),
        "reference, freed memory kept": ("reference", KEEP_FREED_MEMORY),
        "reference, out=, default malloc": ("reference, out=", {}),
        "torch's best idiom, default malloc": ("torch", {}),
    }
    rows = []
    for dtype in ("float64", "float32"):
        idiom = BEST_IDIOM.get(dtype, "torch, rows, F.linear")
        runs: dict[str, list[dict]] = {label: [] for label in conditions}
        for _ in range(rounds):
            for label, (who, extra) in conditions.items():
                result = subprocess.run(
                    [sys.executable, __file__, "--backward-loop", dtype, who, str(calls), idiom],
                    env={**os.environ, **extra},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs[label].append(json.loads(result.stdout))
        for label, results in runs.items():
            times = [t for r in results for t in r["times"]]
            faults = float(np.mean([r["faults"] for r in results]))
            system = np.mean([r["system"] for r in results])
            FIGURES.loop_faults[dtype, label] = faults
            rows.append(
                (
                    f"{dtype}, {label}" + (f" ({idiom})" if label.startswith("torch") else ""),
                    f"{min(times) * 1e3:.1f} ms (median {np.median(times) * 1e3:.1f}), "
                    f"{faults:.0f} page faults and {system * 1e3:.1f} ms of system time a call",
                )
            )
    return rows


def scale(quick: bool) -> list[tuple[str, str]]:
    """The soak on Dask: 1 against 2 local workers on the same cases, the overhead of a chunk, and the
    peak memory of this (the reducing) process at two sizes (it must not grow with the case count)."""
    from crosscheck.certificate.soak import soak

    total = 10_000 if quick else 100_000
    rows = []
    for workers in (1, 2):
        result = soak(total, seed=0, workers=workers)
        FIGURES.soak[workers] = result.cases / result.seconds
        rows.append(
            (
                f"--soak {total:,}, {workers} worker(s)",
                f"{result.seconds:.0f} s, {result.cases / result.seconds:,.0f} cases/s; {result.verdict()[:11]}",
            )
        )
    rows.append(("2 workers against 1", f"{FIGURES.soak[2] / FIGURES.soak[1]:.2f}x the cases/s"))
    # The overhead of a chunk: tiny chunks (one case each) against the same cases in big ones.
    small = soak(480, seed=1, workers=2, chunk=1)
    big = soak(480, seed=1, workers=2, chunk=480)
    per_chunk = (small.seconds - big.seconds) / max(small.chunks - big.chunks, 1)
    rows.append(("overhead of a chunk (480 chunks of 1 case against 1 of 480, 2 workers)", f"{per_chunk * 1e3:.1f} ms"))
    FIGURES.chunk_overhead = per_chunk
    for count in (total, 10 * total) if not quick else (total,):
        # In a fresh process, so that the peak is the soak's own (this process has run everything above),
        # read as VmHWM: getrusage's ru_maxrss survives fork and exec, and would report this process's peak.
        probe = (
            "from crosscheck.certificate.soak import soak; "
            f"r = soak({count}, seed=2, workers=2); "
            "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]; "
            "print('RSS', hwm, r.seconds, r.ok)"
        )
        done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
        _, peak_kb, seconds, ok = next(line for line in done.stdout.splitlines() if line.startswith("RSS ")).split()
        rows.append(
            (
                f"peak RSS of the reducing process, --soak {count:,} (2 workers, a fresh process)",
                f"{int(peak_kb) / 1024:.0f} MB; {float(seconds):.0f} s; {'VERIFIED' if ok == 'True' else 'NOT VERIFIED'}",
            )
        )
    return rows


def pytest_wall() -> list[tuple[str, str]]:
    """The default pytest run's wall time, and the cases its Hypothesis tests hand to the checker
    a second (counted by the plugin benchmarks/count_cases.py)."""
    counted = os.path.join(ROOT, "benchmarks", ".counted.json")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "benchmarks"), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "-p", "count_cases"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "CROSSCHECK_COUNT_CASES": counted},
    )
    FIGURES.pytest_wall = time.perf_counter() - start
    lines = result.stdout.strip().splitlines()
    last = lines[-1] if lines else f"no summary (exit {result.returncode})"
    FIGURES.pytest_failed = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    if result.returncode != 0 and not FIGURES.pytest_failed:
        FIGURES.pytest_failed = [f"exit {result.returncode}: {last}"]
    rows = [
        ("the README's test command, python -m pytest (dev profile, on every core)", f"{FIGURES.pytest_wall:.0f} s wall: {last}")
    ]
    rows += [("  " + line.split(" - ")[0], line.partition(" - ")[2][:120] or "-") for line in FIGURES.pytest_failed]
    tests: dict[str, Any] = {}
    for part in glob.glob(counted + ".*"):
        with open(part) as f:
            tests |= json.load(f)
        os.remove(part)
    if tests:
        cases = sum(t["cases"] for t in tests.values())
        seconds = sum(t["seconds"] for t in tests.values())
        rows.append(
            (
                "its Hypothesis tests that check cases: cases handed to the checker a second",
                f"{cases / seconds:,.0f} cases/s: {cases:,} cases in {seconds:.0f} s, {len(tests)} tests "
                "(each test's own time, drawing and its other assertions included)",
            )
        )
        for nodeid, t in sorted(tests.items(), key=lambda item: -item[1]["cases"])[:3]:
            rows.append(
                (f"  most cases: {nodeid}", f"{t['cases'] / t['seconds']:,.0f} cases/s ({t['cases']:,} in {t['seconds']:.1f} s)")
            )
    return rows


def targets() -> list[tuple[str, str]]:
    """The performance targets against this run's figures (a target whose figure this run did
    not measure is left out). The large MLP's target is the reference's own limit, its time
    against its matmuls alone; its ratio to torch is shown beside it, not judged, since that
    ratio is mostly the two BLAS libraries' (the BLAS ratio row)."""
    f = FIGURES

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    rows = []
    if 2000 in f.full_check and f.warm_up is not None and f.limit is not None:
        rate = min(f.full_check[400], f.full_check[2000])
        rows += [
            (
                "full check (check_cases) >= 1,000 cases/s after <= 5 s of warm-up",
                f"{verdict(rate >= 1000 and f.warm_up <= 5)}: {rate:,.0f} cases/s (the slower of 400 / 2,000 at once) "
                f"after {f.warm_up:.1f} s",
            ),
            (
                "the three-way check (check_cases: reference + torch + jax) >= 10,000 cases/s, 2,000 cases at once",
                f"{verdict(f.full_check[2000] >= 10_000)}: {f.full_check[2000]:,.0f} cases/s "
                f"(the limit its parts set: {f.limit:,.0f} cases/s)",
            ),
        ]
        rate = min(f.yours[400], f.yours[2000])
        rows.append(
            (
                "your implementation checked >= 1,000 cases/s against torch and jax (its own time aside)",
                f"{verdict(rate >= 1000)}: {rate:,.0f} cases/s (the slower of 400 / 2,000 at once)",
            )
        )
        rate = min(f.batched.values())
        rows.append(("batched mode >= 10,000 cases/s", f"{verdict(rate >= 10_000)}: {rate:,.0f} cases/s (the slower framework)"))
    if f.draw:
        ratio = f.draw["cases"] / f.draw["every float"]
        rows.append(
            (
                "Hypothesis: cases() far cheaper than drawing every float",
                f"{ratio:.1f}x the examples/s ({f.draw['batches'] * 32:,.0f} cases/s with batches())",
            )
        )
    for name, fresh in f.fresh.items():
        own = fresh["reference, out="] / fresh["matmuls"]
        torch_ratio = fresh["reference, out="] / min(v for k, v in fresh.items() if k.startswith("torch,"))
        blas = fresh["numpy gemm"] / fresh["torch gemm"]
        rows.append(
            (
                f"{name}: the reference's backward (out=) <= 1.15x its own matmuls alone (fresh processes, medians of medians)",
                f"{verdict(own <= 1.15)}: {own:.2f}x; beside it, not judged: {torch_ratio:.2f}x torch's best idiom, "
                f"where NumPy's GEMM takes {blas:.2f}x torch's time",
            )
        )
    for name, ratio in f.memory.items():
        rows.append((f"{name}: backward peak memory <= 1.2x what it must hold", f"{verdict(ratio <= 1.2)}: {ratio:.2f}x"))
    for name in ("float64", "float32"):
        if (name, "reference, out=, default malloc") not in f.loop_faults:
            continue
        faults = f.loop_faults[name, "reference, out=, default malloc"]
        plain = f.loop_faults[name, "reference, default malloc"]
        rows.append(
            (
                f"{name}: 0 page faults a call in a loop of backward passes (default malloc, fresh process)",
                f"{verdict(round(faults) == 0)}: {faults:.1f} a call passing out= "
                f"({plain:.0f} a call without it, each call's arrays new)",
            )
        )
    if f.found_out:
        o = f.found_out
        rows += [
            (
                "probing adds at most 1 s (the longest probe of the outside table)",
                f"{verdict(o['probe'] <= 1)}: {o['probe']:.2f} s",
            ),
            (
                "verify with nothing declared <= 1.5x `import numpy, torch, jax` (columns example, warm cache)",
                f"{verdict(o['ratio'] <= 1.5)}: {o['ratio']:.2f}x",
            ),
            (
                "examples/mlp.py's command <= 2x `import numpy, torch, jax` (a learner's MLP, warm cache)",
                f"{verdict(o['mlp'] <= 2)}: {o['mlp']:.2f}x",
            )
            if "mlp" in o
            else ("", ""),
            (
                "the outside table's slips named right >= 90 % with nothing declared",
                f"{verdict(o['named'] >= 0.9)}: {o['named']:.1%}",
            )
            if "named" in o
            else ("", ""),
        ]
        rows = [r for r in rows if r[0]]
    return rows + _suite_targets(f, verdict)


def _suite_targets(f: Figures, verdict: Callable[[bool], str]) -> list[tuple[str, str]]:
    """The targets on the checks' own figures: false alarms, supervision, the suite's and the proof's time."""
    rows: list[tuple[str, str]] = []
    if f.false_alarms is not None:
        rows.append(("0 false alarms on correct diverse cases", f"{verdict(f.false_alarms == 0)}: {f.false_alarms}"))
    if f.isolation_ratio is not None:
        rows.append(
            (
                "your code in its own process: check_implementation <= 1.2x in-process, start to verdict",
                f"{verdict(f.isolation_ratio <= 1.2)}: isolated/in-process {f.isolation_ratio:.3f}",
            )
        )
    if f.verify_against is not None:
        rows.append(
            (
                f"verify examples.columns:backprop <= 1.2x its time at {f.against}",
                f"{verdict(f.verify_against <= 1.2)}: {f.verify_against:.3f}",
            )
        )
    for key, name, limit in (
        ("columns", "verify examples.columns:backprop to its verdict", 5),
        ("mlp agrees", "examples/mlp.py's command to agree", 10),
        ("mlp slip", "the same to name the slipped twin's slip", 15),
    ):
        if key in f.learner:
            seconds = f.learner[key]
            rows.append((f"{name} <= {limit} s (warm JAX cache)", f"{verdict(seconds <= limit)}: {seconds:.1f} s"))
    if f.implementation_alarms is not None:
        rows.append(
            (
                "0 false alarms on correct implementations under test",
                f"{verdict(f.implementation_alarms == 0)}: {f.implementation_alarms}",
            )
        )
    if f.pytest_wall is not None:
        if f.pytest_failed:
            figure = f"NOT MET: the run failed ({len(f.pytest_failed)} failed, listed in section 4), {f.pytest_wall:.0f} s"
        else:
            figure = f"{verdict(f.pytest_wall <= 60)}: {f.pytest_wall:.0f} s"
        rows.append(("the README's test command passes in <= 60 s wall", figure))
    if f.symbolic is not None:
        rows.append(
            (
                f"the symbolic tier <= 60 s wall on {os.cpu_count()} cores",
                f"{verdict(f.symbolic <= 60)}: {f.symbolic:.0f} s (python -m crosscheck --symbolic, fresh process)",
            )
        )
    return rows


LABELS = {"BP1": "the lemmas BP1-BP4", "BP1 (softmax)": "softmax BP1", "end to end": "whole networks"}


def symbolic_tier() -> list[tuple[str, str]]:
    """The symbolic tier (`python -m crosscheck --symbolic`) in a fresh process: its wall time
    from start to exit (imports and the pool's start included), and its own figures from the JSON."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "proof.json")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "crosscheck", "--symbolic", "--quiet", "--json", out],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        FIGURES.symbolic = time.perf_counter() - start
        with open(out) as f:
            data = json.load(f)
    cpu = sum(row["seconds"] for row in data["identities"] if row["equation"] in ("BP1", "BP1 (softmax)", "end to end"))
    return [
        ("python -m crosscheck --symbolic, wall (fresh process, start to exit)", f"{FIGURES.symbolic:.1f} s"),
        ("  its networks, on the pool", f"{data['seconds']:.1f} s wall on {data['workers']} processes; {cpu:.0f} s of CPU"),
        *(
            (
                f"  {LABELS[row['equation']]}: {row['networks']} networks",
                f"{row['seconds']:.1f} s of CPU, proven at {row['proven_at']}",
            )
            for row in data["identities"]
            if row["equation"] in ("BP1", "BP1 (softmax)", "end to end")
        ),
    ]


TABLES: list[tuple[str, list[tuple[str, str]]]] = []
"""Every table printed, for benchmarks/RESULTS.md."""


ONLY: set[str] | None = None
"""With --only: the sections run (their ids: "1", "2b", "3", ...); None: every section."""


def chosen(section: str) -> bool:
    return ONLY is None or section in ONLY


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    if not rows:  # a table with nothing to judge (--only a section no target reads)
        return
    TABLES.append((title, rows))
    print(f"\n{title}", flush=True)
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def results_markdown(header: str, command: str) -> str:
    """The run as Markdown: what was run, when, where, and every table."""
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Do not edit: run it again.",
        "",
        header,
        "",
        "Figures are measured in one run on a shared machine: compare ratios within the run, not absolute",
        "times across runs or machines. What each row measures: the docstring of `benchmarks/run.py`.",
    ]
    for title, rows in TABLES:
        lines += ["", f"## {title}", "", "| measure | figure |", "| --- | --- |"]
        lines += [f"| {name} | {value} |" for name, value in rows]
    if 1 in FIGURES.soak and FIGURES.chunk_overhead is not None:
        one, overhead = FIGURES.soak[1], FIGURES.chunk_overhead
        chunk_seconds = 2000 / one
        lines += [
            "",
            "## What to expect on N machines",
            "",
            f"One worker checks {one:,.0f} cases/s here, so a chunk of 2,000 cases takes about {chunk_seconds:.2f} s against",
            f"{overhead * 1e3:.1f} ms of scheduling per chunk measured on one machine. The work is embarrassingly parallel:",
            "chunks share nothing, and a chunk's summary is a few hundred bytes (counts, the largest |diff|/tol, up to three",
            "reports), so serialisation is negligible; each worker pays its imports and JAX compilations once. On N",
            f"machines of this kind with w workers each, expect about N·w·{one:,.0f}·(1 − overhead/chunk) cases/s while the",
            "scheduler keeps up: it hands out one chunk per task, a few ms each over a network, so chunks of 2,000 keep",
            "it far from saturation until thousands of workers. 10⁷ cases is 5,000 chunks: at this machine's 2-worker rate,",
            f"about {1e7 / max(FIGURES.soak.get(2, one), 1) / 60:.0f} minutes here, and that divided by the number of such machines on a cluster.",
        ]
    return "\n".join(lines) + "\n"


def merged(earlier: str, now: str, command: str) -> str:
    """--only: the earlier results with the sections run now put in their place (or added in order), their target
    rows replacing the rows of the same measure, and the header saying which sections came from which run."""

    def parts(text: str) -> tuple[str, list[tuple[str, str]]]:
        head, *rest = re.split(r"(?m)^## ", text)
        return head, [(chunk.split("\n", 1)[0], "## " + chunk) for chunk in rest]

    def section(title: str) -> str:
        return title.split(" ", 1)[0].rstrip(".") if title[:1].isdigit() else title.strip()

    head, old = parts(earlier)
    _, new = parts(now)
    fresh = {section(t): (t, body) for t, body in new}
    out = []
    for title, body in old:
        key = section(title)
        if key.startswith("Targets") and key in fresh:
            table = ("| measure | figure |", "| --- | --- |")
            rows = {
                line.split(" | ")[0]: line for line in fresh[key][1].splitlines() if line.startswith("| ") and line not in table
            }
            kept = [line for line in body.splitlines() if not (line.startswith("| ") and line.split(" | ")[0] in rows)]
            added = [line for line in rows.values() if line not in kept]
            body = "\n".join(kept).rstrip("\n") + "\n" + "\n".join(added) + "\n\n"
            fresh.pop(key)
        elif key in fresh:
            body = fresh.pop(key)[1]
        out.append((key, body))
    order = [section(t) for t, _ in new]
    for key, (_, body) in fresh.items():  # a section the earlier run did not have: after the one before it
        at = next((i + 1 for i, (k, _) in enumerate(out) if order.index(key) > 0 and k == order[order.index(key) - 1]), len(out))
        out.insert(at, (key, body if body.endswith("\n\n") else body + "\n"))
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    ran = ", ".join(sorted(ONLY or ()))
    which = f"Sections {ran} and their targets" if len(ONLY or ()) > 1 else f"Section {ran} and its targets"
    head = head.replace(
        "Do not edit: run it again.", f"{which} rewritten by `{command}` on {stamp}. Do not edit: run it again.", 1
    )
    return head + "".join(body for _, body in out)


def isolation_cost(quick: bool, against: str | None) -> list[tuple[str, str]]:
    """What running your code in its own process costs a learner (`benchmarks/learner.py`): check_implementation
    from start to verdict isolated and in-process, and `verify` here and at `against`, fresh processes in turns."""
    from learner import isolation_rows

    rows, ratios = isolation_rows(1 if quick else 5, None if quick else against)
    FIGURES.isolation_ratio = ratios["isolated / in-process"]
    FIGURES.verify_against = ratios.get("verify / against")
    FIGURES.against = against
    return rows


def learner_loop(quick: bool) -> list[tuple[str, str]]:
    """A learner's loop, start to verdict, fresh processes in turns (`benchmarks/learner.py`): the columns
    example, examples/mlp.py agreeing, and its slipped twin named."""
    from learner import learner_rows

    rows, medians = learner_rows(1 if quick else 5)
    FIGURES.learner = medians
    return rows


def found_out(quick: bool) -> list[tuple[str, str]]:
    """Finding out (`benchmarks/found_out.py`): each outside shape's probe, verify with nothing declared against
    declared and against the frameworks' imports, and (full run) the outside slips' diagnosis, listed."""
    import found_out as measured

    probes, longest = measured.probe_rows()
    timings, ratios = measured.verify_rows(1 if quick else 5)
    FIGURES.found_out = {"probe": longest, "ratio": ratios["nothing declared / imports"]}
    FIGURES.found_out["mlp"] = ratios["a learner's MLP / imports"]
    if quick:
        return probes + timings
    slips, rate = measured.slip_rows()
    FIGURES.found_out["named"] = rate
    return probes + timings + slips


def grading_rate(quick: bool) -> list[tuple[str, str]]:
    """`python -m crosscheck grade` on a class of 60 (examples/class repeated; `benchmarks/grading.py`) on 1 and
    2 local workers and a 2-worker LocalCluster, in one run."""
    from grading import grading_rows

    rows, rates = grading_rows(60)
    FIGURES.grading = rates
    return rows


def implementation_alarms(quick: bool) -> list[tuple[str, str]]:
    """The false-alarm sweep on implementations under test: each correct implementation of
    tests/people.py (other formulations, layouts, interfaces, declarations) checked on cases
    drawn with the diverse generator's ranges (`strategies.DIVERSE`, where its own declarations
    allow), both dtypes; its false alarms and worst |diff|/tol."""
    from crosscheck.strategies import DIVERSE
    from crosscheck.verify import check_implementation

    sys.path[:0] = [os.path.join(ROOT, "tests"), ROOT]
    import jax
    import people

    # Quick (CI's smoke run): one of them, few cases; each new activation and loss compiles JAX anew for the
    # diverse shapes (about 20 s each here), which the full run pays once per entry.
    count = 20 if quick else 1000
    rows, total = [], 0
    for entry in people.CORRECT[:1] if quick else people.CORRECT:
        options = {**{k: v for k, v in DIVERSE.items() if k != "weight_scales"}, **entry.options}
        if "sizes" in options:
            options.pop("max_layers"), options.pop("max_width")
        start = time.perf_counter()
        result = check_implementation(entry.fn, cases=count, shrink=False, **options)
        alarms = result.failing + (result.step_failure is not None)
        # Each entry compiles JAX anew for its names over the diverse shapes: freed here, since a process holding
        # every entry's programs ran out of memory maps (LLVM "Cannot allocate memory", then a segfault, in 2c).
        jax.clear_caches()
        total += alarms
        worst = ", ".join(f"{name} {ratio:.2g}" for name, ratio in result.worst.items())
        judged = sum(result.judged.values())
        rows.append(
            (
                entry.name,
                f"{alarms} false alarms in {judged:,} cases; worst |diff|/tol {worst} ({time.perf_counter() - start:.0f} s)",
            )
        )
    FIGURES.implementation_alarms = total
    return rows


def run_sections(args: argparse.Namespace) -> None:
    """Every section asked for, each printed as it finishes."""
    if chosen("1"):
        print_table(
            "1. Cross-check throughput (depth 1-5, widths 1-8, batch 1-8, float64, sigmoid/quadratic)", throughput(args.quick)
        )
    if chosen("2"):
        print_table("2. Drawing cases with Hypothesis", strategy_rate(args.quick))
    if chosen("2b"):
        print_table(
            "2b. False alarms: every public comparison on correct diverse cases (depth 1-8, widths 1-32, N 1-64, weight scales up to 10)",
            false_alarms(args.quick),
        )
    if chosen("2c"):
        print_table(
            "2c. False alarms on correct implementations under test (tests/people.py; the diverse ranges where their declarations allow)",
            implementation_alarms(args.quick),
        )
    if chosen("2d"):
        print_table(
            "2d. The cost of running your code in its own process, start to verdict, fresh processes in turns (cold JAX cache)",
            isolation_cost(args.quick, args.against),
        )
    run_more_sections(args)


def run_more_sections(args: argparse.Namespace) -> None:
    """Sections 2f to 5, each printed as it finishes."""
    if chosen("2f"):
        print_table(
            "2f. Finding out: probing each outside shape (tests/outside.py), verify with nothing declared (fresh processes, "
            "in turns, warm JAX cache), and the outside slips named with nothing declared (full run)",
            found_out(args.quick),
        )
    if not args.quick and chosen("2e"):  # its commands run in the suite (tests/test_commands.py); timed in the full run
        print_table(
            "2e. A learner's loop: start to verdict at the default settings, fresh processes in turns", learner_loop(args.quick)
        )
    if chosen("3"):
        print_table(
            "3. Large MLP 784-1024-1024-1024-10, batch 256, in one process, interleaved (torch's threads share the 2 cores "
            "with NumPy's: for ratios, see the fresh-process table)",
            large_mlp(args.quick),
        )
        print_table(
            "   The same, each contender in its own fresh process, in turns (medians of medians; the BLAS ratio beside)",
            fresh_mlp(args.quick),
        )
        print_table(
            "   The backward in a loop of calls (fresh processes, in turn: the reference three ways, torch's best idiom)",
            loops(args.quick),
        )
    if args.scale and chosen("3b"):
        print_table("3b. The soak on dask.distributed (local workers)", scale(args.quick))
    if not args.quick and importlib.util.find_spec("sympy") is not None and chosen("3c"):
        print_table("3c. The symbolic tier (BP1-BP4 proven as identities; needs SymPy)", symbolic_tier())
    if args.pytest and chosen("4"):
        print_table("4. Test suite", pytest_wall())
    if not args.quick and importlib.util.find_spec("distributed") is not None and chosen("5"):
        print_table(
            "5. Grading a class of 60 (examples/class repeated, each submission contained), one run", grading_rate(args.quick)
        )

    if HOSTILE_AT and chosen("5b"):
        from hostile import hostile_rows

        title = f"5b. Each hostile submission alone (tests/test_contained.py), graded at {HOSTILE_AT} and by this tree"
        print_table(title, hostile_rows(HOSTILE_AT))


HOSTILE_AT: str | None = None
"""--hostile REV: the revision section 5b grades each hostile row at, beside this tree."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings (smoke run)")
    parser.add_argument("--pytest", action="store_true", help="also time the default pytest run")
    parser.add_argument(
        "--scale", action="store_true", help="also measure the soak on Dask (1 and 2 workers, 10^5 and 10^6 cases)"
    )
    parser.add_argument(
        "--results", metavar="PATH", help="write the tables as Markdown (default for a full run: benchmarks/RESULTS.md)"
    )
    parser.add_argument("--backward-loop", nargs=4, metavar=("DTYPE", "WHO", "CALLS", "IDIOM"), help=argparse.SUPPRESS)
    parser.add_argument("--hostile", metavar="REV", help="section 5b: each hostile row graded at REV and by this tree")
    parser.add_argument("--against", metavar="COMMIT", help="section 2d: also time verify at this commit (git worktree)")
    parser.add_argument(
        "--only",
        metavar="SECTIONS",
        type=lambda text: set(text.split(",")),
        help="run these sections alone (e.g. 2d,2e,5) and rewrite just them, and their targets, in the results file",
    )
    args = parser.parse_args()
    if args.backward_loop:
        dtype, who, calls, idiom = args.backward_loop
        print(backward_loop(dtype, who, int(calls), idiom))
        return 0
    import jax
    import torch

    header = (
        f"machine: {platform.machine()}, {os.cpu_count()} cores; python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch.__version__}, jax {jax.__version__}"
    )
    print(header)
    global ONLY, HOSTILE_AT
    ONLY, HOSTILE_AT = args.only, args.hostile
    run_sections(args)
    print_table("Targets, judged on the figures above (one run: noise moves them)", targets())
    results = args.results or (None if args.quick else os.path.join(ROOT, "benchmarks", "RESULTS.md"))
    if results:
        command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
        text = results_markdown(header, command.strip())
        if ONLY is not None and os.path.exists(results):
            with open(results) as f:
                text = merged(f.read(), text, command.strip())
        with open(results, "w") as f:
            f.write(text)
        print(f"\nwrote {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
