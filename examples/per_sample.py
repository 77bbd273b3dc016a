"""The chapter's companion-code layout: one sample per call as column vectors, W^l as
(n_l, n_{l-1}), b^l as (n_l, 1), the per-sample cost C = ½‖a − y‖², sigmoid layers.
Returns (nabla_w, nabla_b), as the companion code's backprop does (in the other order).

    python -m crosscheck verify examples.per_sample:backprop --convention per-sample
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def backprop(weights, biases, x, y):
    nabla_b = [np.zeros(b.shape, b.dtype) for b in biases]
    nabla_w = [np.zeros(w.shape, w.dtype) for w in weights]
    activation, activations, zs = x, [x], []
    for b, w in zip(biases, weights):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
    nabla_b[-1] = delta
    nabla_w[-1] = np.dot(delta, activations[-2].transpose())
    for layer in range(2, len(weights) + 1):
        delta = np.dot(weights[-layer + 1].transpose(), delta) * sigmoid_prime(zs[-layer])
        nabla_b[-layer] = delta
        nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
    return nabla_w, nabla_b
