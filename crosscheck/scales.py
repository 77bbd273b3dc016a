"""The scale each gradient element is compared at (see `crosscheck.tolerances`).

Every quantity of BP1-BP4 is a sum of products. Rounding errors of any correct
implementation, in any order of summation, are bounded by a few ε times the same sum
with every term made positive. This module computes that positive sum, in float64,
from the counterparts' NumPy formulas (never the reference's), with σ'(z) replaced by
the activation's bound sup|σ'| and ∇_a C by the loss's cancellation-free bound:

    S(δ^L)      = bound(∇_a C) · sup|σ'_L|
    S(δ^l)      = (|W^{l+1}|ᵀ S(δ^{l+1})) · sup|σ'_l|
    S(∂C/∂W^l)  = S(δ^l) |a^{l-1}|ᵀ
    S(∂C/∂b^l)  = Σ_x S(δ^l)
    S(C)        = |C| + Σ bound(∇_a C) ⊙ |a^L|

So a saturated unit (σ' ≈ 0), whose δ no implementation knows to better than ε
relative to the signal that reaches it, is compared at the size of that signal and is
no false alarm; a wrong formula changes the value by a fraction of S and is caught.
"""

from __future__ import annotations

import numpy as np

from crosscheck import counterparts
from crosscheck.case import Case
from reference import Gradients


def magnitudes(case: Case) -> Gradients:
    """S for every element of the case's loss, δ^l, ∂C/∂W^l and ∂C/∂b^l."""
    network = case.network
    hidden = counterparts.activation(network.activation.name)
    output = counterparts.activation(network.output_activation.name)
    loss = counterparts.loss(network.loss.name)
    Ws = [W.astype(np.float64) for W in network.weights]
    bs = [b.astype(np.float64) for b in network.biases]
    y = case.y.astype(np.float64)

    activations = [case.x.astype(np.float64)]
    for i, (W, b) in enumerate(zip(Ws, bs)):
        sigma = output if i == len(Ws) - 1 else hidden
        activations.append(sigma.numpy(W @ activations[-1] + b))
    a_L = activations[-1]

    gradient_bound = loss.gradient_scale(a_L, y)
    S = gradient_bound * output.slope_bound
    deltas = [S]
    for W in reversed(Ws[1:]):
        S = (np.abs(W).T @ S) * hidden.slope_bound
        deltas.insert(0, S)
    weights = [S @ np.abs(a).T for S, a in zip(deltas, activations)]
    biases = [S.sum(axis=1, keepdims=True) for S in deltas]
    cost = abs(float(loss.numpy_per_sample(a_L, y).sum())) + float(np.sum(gradient_bound * np.abs(a_L)))
    return Gradients(loss=cost, deltas=deltas, weights=weights, biases=biases)
