"""Ada: a loop over the layers, one list per quantity."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backprop(weights, biases, x, y):
    activations, zs = [x], []
    for W, b in zip(weights, biases):
        zs.append(W @ activations[-1] + b)
        activations.append(sigmoid(zs[-1]))
    n = x.shape[1]
    a = activations[-1]
    loss = 0.5 * np.sum((a - y) ** 2) / n
    delta = (a - y) / n * a * (1 - a)
    grad_w = [None] * len(weights)
    grad_b = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grad_w[l] = delta @ activations[l].T
        grad_b[l] = delta.sum(axis=1, keepdims=True)
        if l > 0:
            s = activations[l]
            delta = (weights[l].T @ delta) * s * (1 - s)
    return {"loss": loss, "weights": grad_w, "biases": grad_b}


def update(weights, biases, x, y, eta):
    g = backprop(weights, biases, x, y)
    return [W - eta * dW for W, dW in zip(weights, g["weights"])], [b - eta * db for b, db in zip(biases, g["biases"])]
