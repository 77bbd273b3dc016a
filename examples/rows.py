"""A course assignment's layout: samples as rows, z = x @ W + b with W as (n_in, n_out) and b as
(n_out,), the mean cost, sigmoid layers. Returns the weight and bias gradients only.

    python -m crosscheck verify examples.rows:backprop --convention rows
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backprop(weights, biases, x, y):
    hs = [x]
    for W, b in zip(weights, biases):
        hs.append(sigmoid(hs[-1] @ W + b))
    N = x.shape[0]
    out = hs[-1]
    dz = (out - y) / N * out * (1 - out)
    grads_W, grads_b = [], []
    for i in range(len(weights) - 1, -1, -1):
        grads_W.insert(0, hs[i].T @ dz)
        grads_b.insert(0, dz.sum(axis=0))
        if i > 0:
            dz = (dz @ weights[i].T) * hs[i] * (1 - hs[i])
    return grads_W, grads_b
