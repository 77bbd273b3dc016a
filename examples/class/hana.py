"""Hana: ∂C/∂W as a δᵀ."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backprop(weights, biases, x, y):
    acts = [x]
    for W, b in zip(weights, biases):
        acts.append(sigmoid(W @ acts[-1] + b))
    N = x.shape[1]
    a = acts[-1]
    loss = 0.5 * np.sum((a - y) ** 2) / N
    delta = (a - y) / N * a * (1 - a)
    dW, db = [], []
    for l in range(len(weights) - 1, -1, -1):
        dW.insert(0, acts[l] @ delta.T)
        db.insert(0, delta.sum(axis=1, keepdims=True))
        if l > 0:
            delta = (weights[l].T @ delta) * acts[l] * (1 - acts[l])
    return {"loss": loss, "weights": dW, "biases": db}


def update(weights, biases, x, y, eta):
    g = backprop(weights, biases, x, y)
    return [W - eta * gW for W, gW in zip(weights, g["weights"])], [b - eta * gb for b, gb in zip(biases, g["biases"])]
