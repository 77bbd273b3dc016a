"""Oracle: PyTorch autograd, with δ^l read from the z^l tensors.

One forward pass over a stack of cases: z^l = W^l a^{l-1} + b^l (`torch.baddbmm`), a^l
from the torch built-in of each activation (`crosscheck.counterparts`), and each case's
cost on its own output rows, so a padded row never reaches a loss (where the loss is
exactly 0 at a = y = 1, padded rows are set to 1 and all cases go through one call). The gradient of the
sum of the cases' costs is, block by block, each case's own gradient: one backward
pass serves the whole stack. Only parameters, data and the activation and loss names
are read.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from crosscheck import counterparts, frameworks
from crosscheck.case import Case, Parameters, Stack
from reference import Gradients


def forward(stack: Stack) -> tuple[list[Any], list[Any], list[Any], Any]:
    """Leaf tensors W^l and b^l (requires_grad), the z^l tensors, and the cost of each
    case (K,), from torch's own functions."""
    torch = frameworks.torch()
    hidden, output = (counterparts.activation(name) for name in stack.names[:2])
    cost = counterparts.loss(stack.loss, stack.clip)
    Ws = [torch.from_numpy(W).requires_grad_() for W in stack.weights]
    bs = [torch.from_numpy(b).requires_grad_() for b in stack.biases]
    a = torch.from_numpy(stack.x)
    zs = []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = torch.baddbmm(b, W, a)
        zs.append(z)
        a = (output if i == len(Ws) - 1 else hidden).torch(z)
    y = torch.from_numpy(stack.y)
    # Each case's cost on its own output rows (torch.func.vmap maps the framework's loss over the cases).
    outputs = stack.sizes[:, -1]
    if (outputs == a.shape[-2]).all():  # no padded output row
        return Ws, bs, zs, torch.func.vmap(cost.torch)(a, y)
    if _zero_at_one(cost.name, a.dtype):  # padded rows set to a = y = 1, where the loss is exactly 0
        real = torch.from_numpy(np.arange(a.shape[-2])[:, None] < outputs[:, None, None])
        one = torch.ones((), dtype=a.dtype)
        return Ws, bs, zs, torch.func.vmap(cost.torch)(torch.where(real, a, one), torch.where(real, y, one))
    costs = torch.zeros(stack.K, dtype=a.dtype)  # else the cases of one output width at once, on (n_L, N)
    for n in np.unique(outputs).tolist():
        k = torch.from_numpy(np.flatnonzero(outputs == n))
        costs = costs.index_put((k,), torch.func.vmap(cost.torch)(a[k, :n], y[k, :n]))
    return Ws, bs, zs, costs


@functools.cache
def _zero_at_one(loss: str, dtype: Any) -> bool:
    """Whether the framework's loss is exactly 0 where a = y = 1 (the quadratic, Huber and binary
    cross-entropy losses are; cross-entropy is not): padded output rows set to 1 then add exact
    zeros to each case's cost, and torch.where passes them no gradient."""
    torch = frameworks.torch()
    ones = torch.ones((3, 2), dtype=dtype)
    return bool(counterparts.loss(loss).torch(ones, ones) == 0)


def gradients(stacks: list[Stack]) -> list[tuple[Gradients, Gradients | None]]:
    """Loss, δ^l, ∂C/∂W^l and ∂C/∂b^l of every case of every stack, in its dtype."""
    torch = frameworks.torch()
    results: list[tuple[Gradients, Gradients | None]] = []
    for stack in stacks:
        Ws, bs, zs, costs = forward(stack)
        grads = torch.autograd.grad(costs.sum(), [*zs, *Ws, *bs])
        n = len(Ws)
        result = Gradients(
            loss=costs.detach().numpy().astype(np.float64),
            deltas=[g.numpy() for g in grads[:n]],
            weights=[g.numpy() for g in grads[n : 2 * n]],
            biases=[g.numpy() for g in grads[2 * n :]],
        )
        results.append((result, None))
    return results


def sgd_step(case: Case, learning_rate: float) -> tuple[Parameters, float]:
    """One `torch.optim.SGD(lr=learning_rate)` step on the case's cost, and the cost C
    before the step; the case is left as it is."""
    torch = frameworks.torch()
    Ws, bs, _, costs = forward(Stack.of([case]))
    optimizer = torch.optim.SGD([*Ws, *bs], lr=learning_rate)
    optimizer.zero_grad()
    costs.sum().backward()
    optimizer.step()
    return ([W.detach().numpy()[0] for W in Ws], [b.detach().numpy()[0] for b in bs]), float(costs[0].detach())


def l2(weights: list[np.ndarray], c: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """R = c · Σ_l ΣW^l² per case (c: (K,), weights stacked (K, n, m)) and ∂R/∂W^l, by autograd."""
    torch = frameworks.torch()
    Ws = [torch.from_numpy(W).requires_grad_() for W in weights]
    coefficient = torch.from_numpy(np.asarray(c, dtype=weights[0].dtype))
    R = sum(coefficient * (W * W).sum(dim=(1, 2)) for W in Ws)
    assert isinstance(R, torch.Tensor)
    grads = torch.autograd.grad(R.sum(), Ws)
    return R.detach().numpy().astype(np.float64), [g.numpy() for g in grads]


def update(case: Case, learning_rate: float, l2_coefficient: float, weight_decay: float) -> Parameters:
    """One step of torch's SGD (`torch.optim.sgd.sgd`, the function `torch.optim.SGD.step` runs, called
    directly: the optimizer object's constructor imports torch._dynamo, a second here) with
    `weight_decay` on the weights only, on the case's cost plus c · ΣW²."""
    torch = frameworks.torch()
    from torch.optim.sgd import sgd

    Ws, bs, _, costs = forward(Stack.of([case]))
    R = sum((W * W).sum() for W in Ws) * l2_coefficient
    (costs.sum() + R).backward()
    with torch.no_grad():
        for params, decay in ((Ws, weight_decay), (bs, 0.0)):
            grads = [p.grad for p in params]
            assert all(g is not None for g in grads)
            sgd(params, grads, [None] * len(params), foreach=False, weight_decay=decay, momentum=0.0, lr=learning_rate,
                dampening=0.0, nesterov=False, maximize=False)  # fmt: skip
    return [W.detach().numpy()[0] for W in Ws], [b.detach().numpy()[0] for b in bs]
