"""A "deep network, step by step" course-notebook style: parameters and gradients in dicts
under their own names (W1, b1, ...; dW1, db1, ...), samples as columns, ReLU hidden layers, one
sigmoid output unit with the binary cross-entropy cost, labels Y of 0/1 of shape (1, m).

The glue (6 lines) and its check:

    python -m crosscheck verify examples.step_by_step:backprop --activation relu --output-activation sigmoid \\
        --loss binary_cross_entropy --targets binary --outputs 1
"""

from __future__ import annotations

import numpy as np


def model_forward(X, parameters):
    caches, A = [], X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        Z = parameters["W" + str(l)] @ A + parameters["b" + str(l)]
        caches.append((A, Z))
        A = np.maximum(0, Z) if l < L else 1 / (1 + np.exp(-Z))
    return A, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)


def model_backward(AL, Y, parameters, caches):
    grads, m = {}, Y.shape[1]
    L = len(caches)
    dZ = AL - Y  # sigmoid output with cross-entropy
    for l in range(L, 0, -1):
        A_prev, _ = caches[l - 1]
        grads["dW" + str(l)] = dZ @ A_prev.T / m
        grads["db" + str(l)] = np.sum(dZ, axis=1, keepdims=True) / m
        if l > 1:
            dA_prev = parameters["W" + str(l)].T @ dZ
            dZ = dA_prev * (caches[l - 2][1] > 0)  # ReLU'(Z) of the layer below
    return grads


# --- the glue ---------------------------------------------------------------------------------
def backprop(weights, biases, x, y):
    L = len(weights)
    parameters = {f"{k}{l}": v for l in range(1, L + 1) for k, v in (("W", weights[l - 1]), ("b", biases[l - 1]))}
    AL, caches = model_forward(x, parameters)
    grads = model_backward(AL, y, parameters, caches)
    dW, db = [grads[f"dW{l}"] for l in range(1, L + 1)], [grads[f"db{l}"] for l in range(1, L + 1)]
    return {"loss": compute_cost(AL, y), "weights": dW, "biases": db}
