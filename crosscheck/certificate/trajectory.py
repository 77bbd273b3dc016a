"""Training-trajectory equivalence: the derivation's XOR network trained three ways.

The reference (`reference.train`), a `torch.optim.SGD` loop and a JAX loop (one jitted
`jax.grad` step per iteration) start from identical parameters and run the same
number of iterations with the same stop rules. The loss at every iteration and the
final parameters must agree within `TRAJECTORY` tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crosscheck.case import Case
from crosscheck.oracles import ORACLES
from reference import Network, train
from reference.xor import LEARNING_RATE, SEED, SIZES, xor_data

TRAJECTORY_RTOL = 1e-9
"""Losses and final parameters after thousands of float64 steps: each step's rounding
(a few ε) is carried forward by a contracting map, so differences stay many orders
below 1e-9 of the value's scale, the tolerance; the report prints the largest seen."""


@dataclass
class Trajectory:
    iterations: int
    tolerance: float | None
    losses: dict[str, list[float]] = field(default_factory=dict)
    stop_iteration: dict[str, int] = field(default_factory=dict)
    final: dict[str, list[np.ndarray]] = field(default_factory=dict)

    # Both differences are NaN when any value on either side is NaN (np.max propagates it;
    # Python's max would keep whichever came first), and NaN is never <= TRAJECTORY_RTOL.
    def largest_loss_difference(self) -> float:
        """max over frameworks and iterations of |C − C_reference| / |C_reference|."""
        ref = np.array(self.losses["reference"])
        return float(
            np.max(
                [
                    np.max(np.abs(np.array(v[: len(ref)]) - ref[: len(v)]) / np.maximum(np.abs(ref[: len(v)]), 1e-300))
                    for k, v in self.losses.items()
                    if k != "reference"
                ]
            )
        )

    def largest_parameter_difference(self) -> float:
        """max over frameworks and final parameters of |p − p_reference|, over the largest |p_reference|."""
        ref = self.final["reference"]
        scale = np.max([np.max(np.abs(p)) for p in ref])
        return float(
            np.max([np.max(np.abs(a - b)) for k, params in self.final.items() if k != "reference" for a, b in zip(params, ref)])
            / scale
        )

    @property
    def ok(self) -> bool:
        same_stop = len(set(self.stop_iteration.values())) == 1
        return (
            same_stop
            and self.largest_loss_difference() <= TRAJECTORY_RTOL
            and self.largest_parameter_difference() <= TRAJECTORY_RTOL
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "tolerance_rule": self.tolerance,
            "stop_iteration": self.stop_iteration,
            "largest_relative_loss_difference": self.largest_loss_difference(),
            "largest_relative_parameter_difference": self.largest_parameter_difference(),
            "rtol": TRAJECTORY_RTOL,
            "final_loss": {k: v[-1] for k, v in self.losses.items()},
            "ok": self.ok,
        }


def _framework_train(
    name: str, network: Network, x: np.ndarray, y: np.ndarray, iterations: int, tolerance: float | None, *, learning_rate: float
) -> tuple[list[float], Network]:
    """The framework's own loop: its loss before each update, then its update."""
    step = ORACLES[name].sgd_step
    assert step is not None, f"{name} has no update of its own"
    losses: list[float] = []
    net = network.copy()
    for _ in range(iterations):
        (weights, biases), loss = step(Case(net, x, y), learning_rate)
        losses.append(loss)
        if tolerance is not None and len(losses) >= 2 and abs(losses[-1] - losses[-2]) < tolerance:
            break  # the loss is from before this step: the network stays as it was
        net = Network(
            weights, biases, activation=net.activation.name, output_activation=net.output_activation.name, loss=net.loss.name
        )
    return losses, net


def xor_trajectory(
    iterations: int = 2000,
    tolerance: float | None = None,
    frameworks: tuple[str, ...] | None = None,
    learning_rate: float = LEARNING_RATE,
) -> Trajectory:
    """Train the 2-3-1 XOR network with the reference and each framework from one start
    (default: every oracle with an update of its own), each stopping by its own reading of the rules."""
    x, y = xor_data()
    return trajectory(
        Network.random(SIZES, seed=SEED), x, y, iterations, tolerance, frameworks=frameworks, learning_rate=learning_rate
    )


def trajectory(
    start: Network,
    x: np.ndarray,
    y: np.ndarray,
    iterations: int,
    tolerance: float | None = None,
    *,
    frameworks: tuple[str, ...] | None = None,
    learning_rate: float = LEARNING_RATE,
) -> Trajectory:
    """Train `start` on (x, y) with the reference's `train` and with each framework's own loop (default: every oracle
    with an update of its own), from the same parameters, each stopping by its own reading of the rules: the
    iteration cap and, with a tolerance, |C_t − C_{t−1}| < tolerance.

    The losses are compared relative to the reference's own, which decides nothing once C nears its own rounding (a
    run that drives C to 0 exactly): train such a problem only while C is well above that (tests/test_crosscheck.py
    stops at 1e-6 of the first loss). A stop decision on a change within rounding of the tolerance is not decidable
    either: XOR's tolerances, and the tests', are far from every change."""
    if frameworks is None:
        frameworks = tuple(name for name, oracle in ORACLES.items() if oracle.sgd_step is not None)
    result = Trajectory(iterations, tolerance)
    net = start.copy()
    history = train(net, x, y, learning_rate=learning_rate, max_iterations=iterations, tolerance=tolerance)
    result.losses["reference"] = history.losses
    result.stop_iteration["reference"] = history.iterations
    result.final["reference"] = [*net.weights, *net.biases]
    for name in frameworks:
        losses, final = _framework_train(name, start, x, y, iterations, tolerance, learning_rate=learning_rate)
        result.losses[name] = losses
        result.stop_iteration[name] = len(losses)
        result.final[name] = [*final.weights, *final.biases]
    return result
