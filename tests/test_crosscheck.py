"""Property tests: the reference against PyTorch, JAX (reverse and forward) and finite differences."""

from __future__ import annotations

import copy
import dataclasses
import itertools

import numpy as np
import pytest
from helpers import oracle_params, record_worst, require
from hypothesis import given
from hypothesis import strategies as st

import crosscheck
from crosscheck import scales as scales_module
from crosscheck.case import Case
from crosscheck.check import stack_judgements, step_check
from crosscheck.oracles import oracle_gradients
from crosscheck.stacked import judge_stacked
from crosscheck.strategies import Scales, Structure, batches, build_arrays, build_stack, cases, hidden_activations
from crosscheck.tolerances import AUTOGRAD, AUTOGRAD_KIND, FINITE_DIFFERENCES_KIND, SLIPS, tolerance
from reference import Gradients, Network

AUTOGRAD_ORACLES = ("torch", "jax", "jax_forward")


@pytest.mark.parametrize("oracle", oracle_params())
@given(case=cases())
def test_reference_matches_oracle(oracle, case):
    """Loss, δ^l at every layer, ∂C/∂W^l and ∂C/∂b^l agree with the oracle, element by element."""
    result = crosscheck.check_case(case, [oracle]).assert_ok()
    record_worst(oracle, case.network.dtype, result.comparisons[oracle].worst_ratio)


@pytest.mark.parametrize("framework", oracle_params(("torch", "jax")))
@given(batch=batches())
def test_batches_of_one_structure_match_the_frameworks(framework, batch):
    """32 cases of one drawn structure at once (stacked torch autograd; jax.vmap) agree with the reference, case by case."""
    per_case = stack_judgements([batch], [framework])[0][framework].per_case()
    worst = int(np.argmax(per_case))
    record_worst(f"batched {framework}", batch.dtype, float(per_case[worst]))
    if per_case[worst] > 1:
        single = crosscheck.check_case(batch.case(worst), [framework]).report()
        raise AssertionError(f"case {worst} of the batch: |diff|/tol {per_case[worst]:.3g} batched; one by one:\n{single}")


FD_BATCH = 28
"""Cases of one drawn structure per example against finite differences (Hypothesis's cost per
example spread over them)."""


@pytest.mark.slow
@given(batch=batches(size=FD_BATCH))
def test_batches_of_one_structure_match_finite_differences(batch):
    """Every one of FD_BATCH cases of a drawn structure agrees with central differences (each case differenced on its
    own; the judge runs on the stack)."""
    per_case = stack_judgements([batch], ["numeric"])[0]["numeric"].per_case()
    record_worst("numeric", batch.dtype, float(per_case.max()))
    failing = np.flatnonzero(~(per_case <= 1))
    if failing.size:
        worst = int(np.argmax(per_case))
        report = crosscheck.check_case(batch.case(worst), ["numeric"]).report()
        ratios = ", ".join(f"case {k}: {per_case[k]:.3g}" for k in failing)
        message = f"{failing.size} of {batch.K} cases disagree with finite differences ({ratios}); case {worst}:"
        raise AssertionError(f"{message}\n{report}")


@given(batch=batches(size=4), data=st.data())
def test_the_stacked_judgement_judges_each_case_as_compare_does(batch, data):
    """`judge_stacked` (check_cases' and the certificate's judgement of a stack) gives each case and each layer the
    worst |diff|/tol that `compare` gives on the same values, for both kinds of oracle, with slips, NaN and ±inf
    planted on either side."""
    kind = data.draw(st.sampled_from([AUTOGRAD_KIND, FINITE_DIFFERENCES_KIND]), label="kind")
    tol = tolerance(kind, batch.dtype)
    S = scales_module.stack_magnitudes(batch)
    reference = batch.stacked([case.network.backward(case.x, case.y) for case in batch.cases()])
    oracle = copy.deepcopy(reference)
    error = None
    if kind == FINITE_DIFFERENCES_KIND:
        factor = data.draw(st.sampled_from([0.0, 1e-12, 1e-6]), label="error / |value|")
        error = Gradients(
            loss=np.abs(reference.loss) * factor,  # type: ignore[arg-type]
            deltas=[np.abs(t.astype(np.float64)) * factor for t in reference.deltas],
            weights=[np.abs(t.astype(np.float64)) * factor for t in reference.weights],
            biases=[np.abs(t.astype(np.float64)) * factor for t in reference.biases],
        )
    plants = []
    for _ in range(data.draw(st.integers(0, 6), label="plants")):
        side = data.draw(st.sampled_from(["oracle", "reference"]))
        quantity = data.draw(st.sampled_from(["loss", "deltas", "weights", "biases"]))
        target = oracle if side == "oracle" else reference
        layer = None if quantity == "loss" else data.draw(st.integers(0, len(reference.deltas) - 1))
        array = target.loss if layer is None else getattr(target, quantity)[layer]
        index = data.draw(st.integers(0, array.size - 1))
        what = data.draw(st.sampled_from(["slip", "nan", "inf", "-inf"]))
        value = array.flat[index] * (1 + 10 ** data.draw(st.floats(-16, -1))) if what == "slip" else float(what)
        array.flat[index] = value
        plants.append((side, quantity, layer, index, what))
    count = data.draw(st.integers(1, batch.K), label="count")

    judged = judge_stacked(reference, oracle, S, tol, kind, error=error, stack=batch, count=count)
    per_case, per_layer = judged.per_case(), judged.per_layer()

    def same(a: float, b: float) -> bool:  # equal up to the rounding of the allowed error's sum; inf only to inf
        return a == b if np.isinf(a) or np.isinf(b) else abs(a - b) <= 1e-12 * max(a, b)

    want_layer = np.zeros_like(per_layer)
    for k in range(count):
        comparison = crosscheck.compare(
            batch.unstacked(reference, k),
            batch.unstacked(oracle, k),
            scales=batch.unstacked(S, k),
            oracle_error=None if error is None else batch.unstacked(error, k),
            kind=kind,
            tolerances=tol,
        )
        assert same(per_case[k], comparison.worst_ratio), (
            f"case {k} ({kind}): judge_stacked gives |diff|/tol {float(per_case[k])!r}, compare {comparison.worst_ratio!r}; "
            f"planted {plants}\n{comparison.report(reproduce=False)}"
        )
        for t in comparison.tensors:
            at = 0 if t.layer is None else t.layer - 1
            want_layer[at] = max(want_layer[at], t.ratio)
    for at, (got, want) in enumerate(zip(per_layer, want_layer)):
        where = "the loss" if at == 0 else f"layer {at + 1}"
        assert same(got, want), f"{where} ({kind}): judge_stacked gives {float(got)!r}, compare {float(want)!r}; planted {plants}"


@given(case=cases())
def test_batch_gradient_is_the_mean_of_per_sample_gradients(case):
    """∂C/∂W, ∂C/∂b and C of a batch are the means over its samples; batch δ is each sample's own δ over N."""
    network, x, y = case.network, case.x, case.y
    N = x.shape[1]
    batch = network.backward(x, y)
    alone = [network.backward(x[:, [s]], y[:, [s]]) for s in range(N)]
    dtype = network.dtype
    per_sample = Gradients(
        loss=float(np.mean([g.loss for g in alone])),
        deltas=[np.concatenate([g.deltas[i] for g in alone], axis=1) / dtype.type(N) for i in range(len(batch.deltas))],
        weights=[np.mean([g.weights[i] for g in alone], axis=0, dtype=dtype) for i in range(len(batch.weights))],
        biases=[np.mean([g.biases[i] for g in alone], axis=0, dtype=dtype) for i in range(len(batch.biases))],
    )
    comparison = crosscheck.compare(batch, per_sample, case=case, oracle_name="per-sample mean")
    assert comparison.ok, comparison.report()


@pytest.mark.parametrize("framework", oracle_params(("torch", "jax")))
@given(case=cases())
def test_one_step_matches_the_frameworks_sgd(framework, case):
    """One reference step W ← W − η∂C/∂W equals one torch.optim.SGD step and one JAX step from the same parameters."""
    comparison = step_check(case, framework)
    assert comparison.ok, comparison.report() + "\n" + case.reproduction()


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("fault", ["loss NaN", "loss drift", "parameter NaN", "parameter drift", "stops early"])
def test_a_trajectory_fails_on_any_frameworks_nan_drift_or_early_stop(framework, fault):
    """An XOR trajectory passes only when each framework, the first or the second, matches the reference's loss at
    every iteration and its final parameters within TRAJECTORY_RTOL, and stops at the same iteration."""
    from crosscheck.certificate.trajectory import TRAJECTORY_RTOL, Trajectory

    network = Network.random((2, 3, 1), seed=0)
    losses = [0.5 / (1 + i) for i in range(20)]
    parameters = [*network.weights, *network.biases]
    trajectory = Trajectory(20, None)
    for name in ("reference", "torch", "jax"):
        trajectory.losses[name] = list(losses)
        trajectory.stop_iteration[name] = len(losses)
        trajectory.final[name] = [p.copy() for p in parameters]
    assert trajectory.ok, "identical trajectories must pass"
    drift = 100 * TRAJECTORY_RTOL
    if fault == "loss NaN":
        trajectory.losses[framework][7] = np.nan
    elif fault == "loss drift":
        trajectory.losses[framework][7] *= 1 + drift
    elif fault == "parameter NaN":
        trajectory.final[framework][1][0, 2] = np.nan
    elif fault == "parameter drift":
        trajectory.final[framework][0][1, 1] += drift * max(float(np.abs(p).max()) for p in parameters)
    else:
        trajectory.losses[framework].pop()
        trajectory.stop_iteration[framework] -= 1
    assert not trajectory.ok, f"{fault} in {framework}'s trajectory passed: {trajectory.as_dict()}"


def _slipped(gradients: Gradients, quantity: str, index: int, slip: float) -> Gradients:
    tensors = [t.copy() for t in getattr(gradients, quantity)]
    tensors[index] = (tensors[index].astype(np.float64) * (1 + slip)).astype(tensors[index].dtype)
    return dataclasses.replace(gradients, **{quantity: tensors})


def _catches_every_detectable_slip(case: Case, oracle: str) -> int:
    """Slip each tensor by SLIPS[dtype]; every slip some element can resolve must be caught.

    An element resolves the slip when slip·|g| ≥ 2·rtol·S (the factor 2 leaves room for
    the oracle's own rounding). Returns how many slips were detectable.
    """
    dtype = case.network.dtype
    slip, rtol = SLIPS[dtype], AUTOGRAD[dtype].rtol
    reference = case.network.backward(case.x, case.y)
    result = oracle_gradients(oracle, case.network, case.x, case.y)
    S = scales_module.magnitudes(case)
    detectable = 0
    for quantity in ("deltas", "weights", "biases"):
        for i, (g, s) in enumerate(zip(getattr(reference, quantity), getattr(S, quantity))):
            if not np.any(slip * np.abs(g.astype(np.float64)) >= 2 * rtol * s):
                continue
            detectable += 1
            comparison = crosscheck.compare(
                _slipped(reference, quantity, i, slip), result, case=case, scales=S, oracle_name=oracle
            )
            assert not comparison.ok, f"a relative slip of {slip:g} in {quantity}[{i}] went unnoticed by {oracle} {case.label}"
    return detectable


@pytest.mark.parametrize("oracle", oracle_params(AUTOGRAD_ORACLES))
@given(case=cases(saturate=False))
def test_a_slip_in_any_tensor_is_caught(oracle, case):
    """A relative slip of 1e-6 (float64) or 1e-3 (float32) in any one tensor fails, wherever S resolves it."""
    _catches_every_detectable_slip(case, oracle)


@pytest.mark.parametrize("oracle", oracle_params(AUTOGRAD_ORACLES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_slips_are_resolvable_in_ordinary_networks(oracle, dtype):
    """In plain N(0,1) 3-5-4-2 networks a slip is resolvable and caught in all 9 tensors, in both dtypes."""
    for seed in range(5):
        rng = np.random.default_rng(seed)
        network = Network.random((3, 5, 4, 2), seed=rng, dtype=dtype)
        x = rng.standard_normal((3, 6)).astype(dtype)
        y = rng.uniform(size=(2, 6)).astype(dtype)
        assert _catches_every_detectable_slip(Case(network, x, y), oracle) == 9, f"seed {seed}"


@pytest.mark.parametrize("oracle", oracle_params(AUTOGRAD_ORACLES))
def test_float32_slips_are_resolvable_in_deep_networks(oracle):
    """In 4-8-8-8-8-3 float32 networks with N(0, 1/n) weights, every hidden activation, a 1e-3 slip
    is resolvable, and caught, in at least 95% of the tensors (a worst-case scale managed about half)."""
    detectable = total = 0
    for activation in hidden_activations():
        for seed in range(3):
            rng = np.random.default_rng(seed)
            sizes = (4, 8, 8, 8, 8, 3)
            weights = [(rng.standard_normal((m, n)) / np.sqrt(n)).astype(np.float32) for n, m in itertools.pairwise(sizes)]
            biases = [rng.standard_normal((m, 1)).astype(np.float32) for m in sizes[1:]]
            network = Network(weights, biases, activation=activation, output_activation="sigmoid")
            x = rng.standard_normal((4, 6)).astype(np.float32)
            y = rng.uniform(size=(3, 6)).astype(np.float32)
            detectable += _catches_every_detectable_slip(Case(network, x, y), oracle)
            total += 3 * (len(sizes) - 1)
    assert detectable >= 0.95 * total, f"a 1e-3 slip was resolvable in only {detectable} of {total} float32 tensors"


def test_the_reproduction_snippet_rebuilds_the_case_bit_for_bit():
    """Running the snippet (without its final check) recreates the network and batch exactly, in float32 too."""
    for dtype in (np.float64, np.float32):
        rng = np.random.default_rng(11)
        network = Network.random((3, 2, 2), seed=rng, dtype=dtype)
        case = Case(network, rng.standard_normal((3, 4)).astype(dtype), rng.uniform(size=(2, 4)).astype(dtype))
        namespace: dict = {}
        exec(case.reproduction(check="pass"), namespace)
        rebuilt = namespace["case"]
        for got, want in zip(
            [*rebuilt.network.weights, *rebuilt.network.biases, rebuilt.x, rebuilt.y],
            [*network.weights, *network.biases, case.x, case.y],
        ):
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


@pytest.mark.jax
def test_padding_never_leaks_into_jax_results(monkeypatch):
    """JAX results are the same whether a case is padded to 8 or to 16 (padded entries contribute exact zeros)."""
    require("jax")
    from crosscheck.oracles import jax as jax_oracle

    rng = np.random.default_rng(4)
    network = Network.random((3, 5, 2), seed=rng)
    x, y = rng.standard_normal((3, 6)), rng.uniform(size=(2, 6))
    case = Case(network, x, y)
    small = crosscheck.oracle_gradients("jax", network, x, y)
    assert jax_oracle.padded(crosscheck.Stack.of([case]))[0][0].shape[-1] == 8
    monkeypatch.setattr(jax_oracle, "BUCKETS", (16, 32))
    assert jax_oracle.padded(crosscheck.Stack.of([case]))[0][0].shape[-1] == 16
    large = crosscheck.oracle_gradients("jax", network, x, y)
    comparison = crosscheck.compare(small, large, case=case, oracle_name="jax padded to 16")
    assert comparison.ok, comparison.report()


@pytest.mark.jax
def test_jax_float64_leaves_the_global_configuration_alone():
    """A float64 JAX oracle call does not switch on jax_enable_x64 for the rest of the program."""
    require("jax")
    import jax

    before = jax.config.jax_enable_x64
    network = Network.random((2, 2, 1), seed=0)
    result = crosscheck.oracle_gradients("jax", network, np.ones((2, 2)), np.zeros((1, 2)))
    assert result.deltas[0].dtype == np.float64
    assert jax.config.jax_enable_x64 == before


@pytest.mark.jax
def test_error_scale_regressions_found_by_the_suite():
    """Two cases that once raised false alarms stay quiet: a float32 softmax output near 1e-12 (JAX forward
    mode's flushed tangents, amplified by cross-entropy's y/a) and a saturated tanh whose slope rounds to 0."""
    require("jax")
    structure = Structure((3, 7, 3, 5), 3, np.dtype(np.float32), "sigmoid", "softmax", "cross_entropy")
    W, b, x, y = build_arrays(np.random.default_rng(1), structure, Scales((30.0, 1.0, 10.0), 1.0, False))
    network = Network(W, b, activation="sigmoid", output_activation="softmax", loss="cross_entropy")
    crosscheck.check_case(Case(network, x, y), ["jax_forward"]).assert_ok()
    structure = Structure((5, 3, 5, 3, 5), 5, np.dtype(np.float64), "tanh", "elu", "quadratic")
    batch = build_stack(np.random.default_rng(16481), structure, 32)
    crosscheck.check_case(batch.case(11), ["jax"]).assert_ok()


@pytest.mark.torch
@pytest.mark.slow  # about 5 s: each diverse case a new shape to compile
def test_no_false_alarm_on_diverse_correct_cases():
    """500 correct cases of the diverse generator (depth up to 8, widths up to 32, N up to 64, weight scales up to 10,
    float32 and float64) pass check_cases against torch and compare(case=) alike (the benchmark sweeps 10,000)."""
    require("torch")
    from crosscheck.strategies import diverse_cases

    cases = diverse_cases(np.random.default_rng(7), 500)
    result = crosscheck.check_cases(cases, ["torch"])
    assert result.ok and not result.cleared, result.report()
    for case in cases[:100]:
        g = case.network.backward(case.x, case.y)
        crosscheck.compare(g, crosscheck.oracle_gradients("torch", case.network, case.x, case.y), case=case).assert_ok()


BEYOND = {"min_layers": 6, "max_layers": 8, "min_width": 7, "max_width": 12, "max_batch": 4}
"""Beyond the symbolic tier's grid (widths up to 6, whole networks to 4 weight layers, N <= 3): the default run
reaches depths 6-8 and widths 7-12 here, so a slip that shows only there is caught by `python -m pytest`."""


def _beyond() -> list[Case]:
    from crosscheck.strategies import random_cases

    return random_cases(np.random.default_rng(11), 12, **BEYOND)


@pytest.mark.parametrize("oracle", oracle_params(("torch", "jax")))
def test_the_reference_agrees_beyond_the_symbolic_grid(oracle):
    """12 cases of 6-8 weight layers and widths 7-12 (every catalogue name drawn, float32 and float64): the reference's
    loss, δ, ∂C/∂W and ∂C/∂b agree with the oracle."""
    cases = _beyond()
    assert min(c.network.L - 1 for c in cases) >= 6 and min(min(c.network.sizes) for c in cases) >= 7
    result = crosscheck.check_cases(cases, [oracle])
    assert result.ok, result.report()


@pytest.mark.parametrize("where", ["width", "depth"])
def test_a_slip_only_beyond_the_symbolic_grid_is_caught(where, monkeypatch):
    """The control for the test above: a reference whose BP2 drops σ' only at a hidden width of at least 7 (or only
    in networks of at least 6 weight layers) fails it."""
    require("torch")
    honest = Network.backward

    def slipped(self, x, y, out=None):
        g = honest(self, x, y)
        # (called on a stack of cases too: a leading case axis, the width second from last)
        big = [i for i, d in enumerate(g.deltas[:-1]) if (d.shape[-2] >= 7 if where == "width" else self.L - 1 >= 6)]
        if not big:
            return g
        i = big[0]
        activations = self.forward(x)[1]
        deltas = list(g.deltas)
        deltas[i] = deltas[i] * 1.5  # a slip in δ^l of one hidden layer
        weights = list(g.weights)
        weights[i] = deltas[i] @ np.swapaxes(activations[i], -1, -2)
        return Gradients(g.loss, deltas, weights, list(g.biases))

    monkeypatch.setattr(Network, "backward", slipped)
    result = crosscheck.check_cases(_beyond(), ["torch"])
    assert not result.ok, f"a slip at {where} beyond the grid passed"


def _broken_train(rule: str):
    """reference.train with one break: the stop rule on the signed change (C_{t-1} − C_t < tol), or the step at η/N."""
    from reference.training import History

    def train(network, x, y, *, learning_rate, max_iterations, tolerance=None):
        history = History()
        for _ in range(max_iterations):
            g = network.backward(x, y)
            history.losses.append(float(g.loss))
            if tolerance is not None and len(history.losses) >= 2:
                change = history.losses[-2] - history.losses[-1]
                if (change if rule == "signed change" else abs(change)) < tolerance:
                    history.stop_reason = "tolerance"
                    return history
            network.step(g, learning_rate / x.shape[1] if rule == "η/N" else learning_rate)
        history.stop_reason = "max_iterations"
        return history

    return train


@pytest.mark.torch
@pytest.mark.parametrize("rule", ["signed change", "η/N"])
def test_the_certificates_rising_trajectory_refutes_a_broken_training_loop(rule, monkeypatch):
    """The certificate's XOR trajectory at η = 30 under the tolerance rule 1e-7 (the loss rises before it falls)
    matches torch's loop with the reference's train, and fails with a train that stops on the signed change of C or
    steps by η/N."""
    require("torch")
    from crosscheck.certificate import trajectory

    assert trajectory.xor_trajectory(2000, 1e-7, ("torch",), learning_rate=30.0).ok
    monkeypatch.setattr(trajectory, "train", _broken_train(rule))
    broken = trajectory.xor_trajectory(2000, 1e-7, ("torch",), learning_rate=30.0)
    assert not broken.ok, f"the {rule} break passed: {broken.as_dict()}"


def _decidable_run(case: Case, learning_rate: float) -> list[float] | None:
    """The reference's losses over up to 30 iterations with no tolerance, cut where C falls below 1e-6 of its start
    (a loss near 0 is mostly its own rounding, which no relative comparison decides); None for a run that overflows,
    leaves the finite numbers or does not move."""
    from crosscheck.certificate import trajectory

    try:
        dry = trajectory.trajectory(case.network, case.x, case.y, 30, None, frameworks=("torch",), learning_rate=learning_rate)
    except FloatingPointError:
        return None
    losses = np.array(dry.losses["reference"])
    if not np.all(np.isfinite(losses)) or losses[0] <= 0:
        return None
    small = np.flatnonzero(losses < 1e-6 * losses[0])
    losses = losses[: small[0]] if small.size else losses
    return [float(v) for v in losses] if len(losses) >= 3 else None


def _tolerance_that_stops(losses: list[float], choice: int) -> tuple[float, int] | None:
    """A tolerance for the |ΔC| rule and the iteration it stops at, chosen from a dry run's losses so that rounding
    cannot flip a stop decision: every change it must not stop on is 1e-8 of C or more (far above rounding) and 2 %
    above it, the change it stops on 5 % below the smallest before. The `choice`-th such stop, or, where there is none,
    a tolerance 2 % below every change (the run reaches its cap); None where neither exists."""
    L = np.array(losses)
    changes = np.abs(np.diff(L))
    decidable = changes >= 1e-8 * np.maximum(L[:-1], L[1:])
    records = [t for t in range(1, len(changes)) if decidable[:t].all() and changes[t] < changes[:t].min() / 1.05]
    if records:
        t = records[choice % len(records)]
        return float(changes[:t].min() / 1.02), t + 2  # the loss of iteration t + 2 is the one the rule stops on
    return (float(changes.min() / 1.02), len(L)) if decidable.all() else None


@pytest.mark.torch
@pytest.mark.jax
@given(
    case=cases(max_layers=3, max_width=4, max_batch=4, dtype=np.float64, saturate=False),
    learning_rate=st.sampled_from([0.05, 0.5, 2.0]),
    choice=st.integers(0, 30),
)
def test_train_stops_and_steps_as_torchs_and_jaxs_loops_on_random_problems(case, learning_rate, choice):
    """On a random network and batch, with the |ΔC| rule active at a tolerance that stops it mid-run (or never), the
    reference's train, a torch.optim.SGD loop and a jax.grad loop stop at the same iteration, the one the rule
    names, with the same losses and parameters."""
    require("torch")
    require("jax")
    from crosscheck.certificate import trajectory

    losses = _decidable_run(case, learning_rate)
    chosen = _tolerance_that_stops(losses, choice) if losses else None
    if chosen is None:
        return  # a run that diverges, stalls at rounding level or does not move decides no stop rule
    tolerance, stop = chosen
    run = trajectory.trajectory(case.network, case.x, case.y, len(losses), tolerance, learning_rate=learning_rate)
    assert run.stop_iteration == {name: stop for name in run.stop_iteration}, (
        f"tolerance {tolerance:.3g} should stop every loop at iteration {stop}: {run.stop_iteration}"
    )
    assert run.ok, run.as_dict()


@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.parametrize("rule", ["signed change", "η/N"])
def test_random_problems_refute_a_broken_training_loop(rule, monkeypatch):
    """A train that stops on the signed change of C, or steps by η/N, disagrees with torch's loop on one of the first
    20 random problems the property above draws at η = 2."""
    require("torch")
    from hypothesis import find, settings

    from crosscheck.certificate import trajectory

    def disagrees(case: Case) -> bool:
        losses = _decidable_run(case, 2.0)
        chosen = _tolerance_that_stops(losses, 0) if losses else None
        if chosen is None:
            return False
        with monkeypatch.context() as patched:
            patched.setattr(trajectory, "train", _broken_train(rule))
            broken = trajectory.trajectory(
                case.network, case.x, case.y, len(losses), chosen[0], frameworks=("torch",), learning_rate=2.0
            )
            return not broken.ok

    strategy = cases(max_layers=3, max_width=4, min_batch=2, max_batch=4, dtype=np.float64, saturate=False)
    find(strategy, disagrees, settings=settings(max_examples=20, database=None, derandomize=True))
