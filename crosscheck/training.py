"""Gradient-descent steps taken by the frameworks, for the update and trajectory checks.

`torch_sgd_step` uses `torch.optim.SGD`; `jax_sgd_step` (in `crosscheck.jax_oracle`,
where the compiled, shape-bucketed functions live) applies W ← W − η ∂C/∂W with
`jax.grad` and `jax.tree_util`. Both start from the network's parameters and return
the updated ones as NumPy arrays in the network's dtype, leaving the network as it is.
"""

from __future__ import annotations

import numpy as np

from crosscheck import _frameworks
from crosscheck.jax_oracle import jax_sgd_step
from crosscheck.torch_oracle import forward
from reference import Network

Parameters = tuple[list[np.ndarray], list[np.ndarray]]


def torch_sgd_step(network: Network, x: np.ndarray, y: np.ndarray, learning_rate: float) -> Parameters:
    """One `torch.optim.SGD(lr=learning_rate)` step on the cost of (x, y)."""
    return torch_sgd_step_with_loss(network, x, y, learning_rate)[0]


def torch_sgd_step_with_loss(network: Network, x: np.ndarray, y: np.ndarray, learning_rate: float) -> tuple[Parameters, float]:
    """`torch_sgd_step`, and the cost C before the step, from the same forward pass."""
    torch = _frameworks.torch()
    Ws, bs, _, C = forward(network, x, y)
    optimizer = torch.optim.SGD([*Ws, *bs], lr=learning_rate)
    optimizer.zero_grad()
    C.backward()
    optimizer.step()
    return ([W.detach().numpy() for W in Ws], [b.detach().numpy() for b in bs]), float(C.detach())


__all__ = ["jax_sgd_step", "torch_sgd_step", "torch_sgd_step_with_loss"]
