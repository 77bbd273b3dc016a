"""Oracle: PyTorch autograd, with δ^l read from the z^l tensors."""

from __future__ import annotations

from typing import Any

import numpy as np

from crosscheck import _frameworks, counterparts
from reference import Gradients, Network


def torch_gradients(network: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """Loss, δ^l, ∂C/∂W^l and ∂C/∂b^l from `torch.autograd.grad`, in the network's dtype.

    The forward pass is z^l = W^l a^{l-1} + b^l (`torch.addmm`) and a^l from the torch
    built-in of each activation; the cost is the torch.nn.functional loss with its
    reduction converted to the derivation's (see `crosscheck.counterparts`). Only the
    network's parameters and its activation and loss names are read.
    """
    torch = _frameworks.torch()
    Ws, bs, zs, C = forward(network, x, y)
    grads = torch.autograd.grad(C, [*zs, *Ws, *bs])
    n = len(Ws)
    return Gradients(
        loss=float(C.detach()),
        deltas=[g.numpy() for g in grads[:n]],
        weights=[g.numpy() for g in grads[n : 2 * n]],
        biases=[g.numpy() for g in grads[2 * n :]],
    )


def forward(network: Network, x: np.ndarray, y: np.ndarray) -> tuple[list[Any], list[Any], list[Any], Any]:
    """Leaf tensors W^l and b^l (requires_grad), the z^l tensors and the cost C, from torch's own functions."""
    torch = _frameworks.torch()
    hidden = counterparts.activation(network.activation.name)
    output = counterparts.activation(network.output_activation.name)
    cost = counterparts.loss(network.loss.name)
    Ws = [torch.tensor(W, requires_grad=True) for W in network.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in network.biases]
    a = torch.from_numpy(np.ascontiguousarray(x))
    zs = []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = torch.addmm(b, W, a)
        zs.append(z)
        a = (output if i == len(Ws) - 1 else hidden).torch(z)
    return Ws, bs, zs, cost.torch(a, torch.from_numpy(np.ascontiguousarray(y)))
