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

    def __repr__(self) -> str:
        """One line: how many iterations, the first and last loss, and why it stopped."""
        if not self.losses:
            return "History(no iteration)"
        return (
            f"History({self.iterations:,} iterations, C {self.losses[0]:.6g} → {self.losses[-1]:.6g}, "
            f"stopped by {self.stop_reason or 'nothing yet'})"
        )

    def _repr_markdown_(self) -> str:
        """What a notebook shows: a short table of the loss, every tenth of the run, and the stop rule."""
        if not self.losses:
            return "*No iteration.*"
        step = max(1, self.iterations // 10)
        rows = "\n".join(f"| {t + 1:,} | {self.losses[t]:.6g} |" for t in [*range(0, self.iterations, step), self.iterations - 1])
        return f"**{self.iterations:,} iterations, stopped by {self.stop_reason}**\n\n| iteration | C |\n| --- | --- |\n{rows}"


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
