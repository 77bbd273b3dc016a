"""Kai: a loop that never ends (its condition is never met)."""

import numpy as np


def backprop(weights, biases, x, y):
    converged = False
    while not converged:
        pass
    return {"loss": 0.0, "weights": [np.zeros_like(W) for W in weights], "biases": [np.zeros_like(b) for b in biases]}


def update(weights, biases, x, y, eta):
    return weights, biases
