"""Gradient descent, iterated: the derivation's two stop rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from reference import _checks
from reference._types import Array
from reference.network import Gradients, Network

MAX_ITERATIONS = "max_iterations"
TOLERANCE = "tolerance"


@dataclass
class History:
    """What `train` did: the loss before each update and why it stopped.

    `losses[t]` is C at iteration t+1, computed by `backward` before that iteration's
    update; `stop_reason` is "max_iterations" or "tolerance".
    """

    losses: list[float] = field(default_factory=list)
    stop_reason: str = ""

    @property
    def iterations(self) -> int:
        return len(self.losses)


def train(
    network: Network,
    x: Array,
    y: Array,
    *,
    learning_rate: float,
    max_iterations: int,
    tolerance: float | None = None,
) -> History:
    """Iterate backward + step on `network` (in place) until a stop rule fires.

    Rule 1: stop after `max_iterations` updates.
    Rule 2 (when `tolerance` is given): stop as soon as the loss changes by less than
    `tolerance` between two consecutive iterations.
    """
    _checks.positive_number("learning_rate", learning_rate)
    _checks.positive_int("max_iterations", max_iterations)
    if tolerance is not None:
        _checks.positive_number("tolerance", tolerance)
    network.check_batch(x, y)

    history = History()
    gradients: Gradients | None = None
    for _ in range(max_iterations):
        gradients = network.backward(x, y, out=gradients)  # into the last step's arrays
        history.losses.append(float(gradients.loss))
        changed = abs(history.losses[-1] - history.losses[-2]) if len(history.losses) >= 2 else None
        if tolerance is not None and changed is not None and changed < tolerance:
            history.stop_reason = TOLERANCE
            return history
        network.step(gradients, learning_rate)
    history.stop_reason = MAX_ITERATIONS
    return history
