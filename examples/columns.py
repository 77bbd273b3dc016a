"""The derivation's layout: samples as columns, W^l as (n_l, n_{l-1}), b^l as (n_l, 1), the
mean cost C = 1/(2N) Σ_x ‖y − a^L(x)‖², sigmoid layers. Returns C, every δ^l and the gradients.

    python -m crosscheck verify examples.columns:backprop --convention columns
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backprop(weights, biases, x, y):
    activations, zs = [x], []
    for W, b in zip(weights, biases):
        zs.append(W @ activations[-1] + b)
        activations.append(sigmoid(zs[-1]))
    N = x.shape[1]
    a = activations[-1]
    loss = float(np.sum((a - y) ** 2) / (2 * N))
    delta = (a - y) / N * a * (1 - a)  # BP1, with the mean cost's 1/N
    deltas = [delta]
    for l in range(len(weights) - 1, 0, -1):
        a_l = activations[l]
        delta = (weights[l].T @ delta) * a_l * (1 - a_l)  # BP2
        deltas.insert(0, delta)
    grad_W = [d @ a.T for d, a in zip(deltas, activations[:-1])]  # BP4
    grad_b = [d.sum(axis=1, keepdims=True) for d in deltas]  # BP3
    return {"loss": loss, "deltas": deltas, "weights": grad_W, "biases": grad_b}


def update(weights, biases, x, y, learning_rate):
    """One step of gradient descent: W ← W − η ∂C/∂W, b ← b − η ∂C/∂b (new arrays)."""
    g = backprop(weights, biases, x, y)
    return (
        [W - learning_rate * dW for W, dW in zip(weights, g["weights"])],
        [b - learning_rate * db for b, db in zip(biases, g["biases"])],
    )
