"""Buggy backprop implementations, each one slip away from examples/columns.py (or rows.py),
for tests/test_implementations.py: every one must be caught, and diagnosed by name."""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _backprop(weights, biases, x, y, slip=""):
    activations, zs = [x], []
    for W, b in zip(weights, biases):
        zs.append(W @ activations[-1] + b)
        activations.append(sigmoid(zs[-1]))
    N = x.shape[1]
    a = activations[-1]
    error = (y - a) if slip == "sign" else (a - y)
    scale = 1 if slip == "sum" else N
    loss = float(np.sum((a - y) ** 2) / (2 * scale))
    sigma_prime_L = a * (1 - a)
    if slip == "sigma_prime_of_a":
        sigma_prime_L = sigmoid(a) * (1 - sigmoid(a))
    delta = error / scale * (1 if slip == "bp1_no_sigma_prime" else sigma_prime_L)
    deltas = [delta]
    for l in range(len(weights) - 1, 0, -1):
        a_l = activations[l]
        if slip == "literal_recursion":
            delta = (weights[l].T @ np.ones_like(delta)) * a_l * (1 - a_l)
        elif slip == "no_sigma_prime_hidden":
            delta = weights[l].T @ delta
        else:
            delta = (weights[l].T @ delta) * a_l * (1 - a_l)
        deltas.insert(0, delta)
    grad_W = [d @ a.T for d, a in zip(deltas, activations)]
    if slip == "transposed_hidden_dW" and len(grad_W) > 1:
        grad_W[0] = grad_W[0].T
    if slip == "bias_wrong_axis":
        grad_b = [d.sum(axis=0)[:, None] for d in deltas]
    elif slip == "bias_first_sample":
        grad_b = [d[:, :1].copy() for d in deltas]
    elif slip == "mean_in_bp3":
        grad_b = [d.mean(axis=1, keepdims=True) for d in deltas]
    else:
        grad_b = [d.sum(axis=1, keepdims=True) for d in deltas]
    return {"loss": loss, "deltas": deltas, "weights": grad_W, "biases": grad_b}


def sum_not_mean(w, b, x, y):
    return _backprop(w, b, x, y, "sum")


def sign(w, b, x, y):
    return _backprop(w, b, x, y, "sign")


def sigma_prime_of_a(w, b, x, y):
    return _backprop(w, b, x, y, "sigma_prime_of_a")


def bp1_no_sigma_prime(w, b, x, y):
    return _backprop(w, b, x, y, "bp1_no_sigma_prime")


def no_sigma_prime_hidden(w, b, x, y):
    return _backprop(w, b, x, y, "no_sigma_prime_hidden")


def literal_recursion(w, b, x, y):
    return _backprop(w, b, x, y, "literal_recursion")


def one_layer_early(w, b, x, y):
    """The companion code's preallocated gradients, with the backward loop one layer short:
    the first layer's gradients stay zero."""
    nabla_w = [np.zeros_like(W) for W in w]
    nabla_b = [np.zeros_like(bias) for bias in b]
    activations, zs = [x], []
    for W, bias in zip(w, b):
        zs.append(W @ activations[-1] + bias)
        activations.append(sigmoid(zs[-1]))
    a = activations[-1]
    delta = (a - y) / x.shape[1] * a * (1 - a)
    nabla_w[-1], nabla_b[-1] = delta @ activations[-2].T, delta.sum(axis=1, keepdims=True)
    for l in range(2, len(w)):  # should run to len(w) inclusive
        s = activations[-l] * (1 - activations[-l])
        delta = (w[-l + 1].T @ delta) * s
        nabla_w[-l], nabla_b[-l] = delta @ activations[-l - 1].T, delta.sum(axis=1, keepdims=True)
    return nabla_w, nabla_b


def transposed_hidden_dW(w, b, x, y):
    return _backprop(w, b, x, y, "transposed_hidden_dW")


def bias_wrong_axis(w, b, x, y):
    return _backprop(w, b, x, y, "bias_wrong_axis")


def bias_first_sample(w, b, x, y):
    return _backprop(w, b, x, y, "bias_first_sample")


def mean_in_bp3(w, b, x, y):
    return _backprop(w, b, x, y, "mean_in_bp3")


def without_deltas_no_sigma_prime_hidden(w, b, x, y):
    g = _backprop(w, b, x, y, "no_sigma_prime_hidden")
    return g["weights"], g["biases"]


_ACCUMULATED: list = []


def accumulating(w, b, x, y):
    """Gradients added into buffers that are never zeroed."""
    g = _backprop(w, b, x, y)
    if len(_ACCUMULATED) != len(g["weights"]) or any(a.shape != n.shape for a, n in zip(_ACCUMULATED, g["weights"])):
        _ACCUMULATED[:] = [np.zeros_like(W) for W in g["weights"]]
    for buffer, W in zip(_ACCUMULATED, g["weights"]):
        buffer += W
    return {"weights": [buffer.copy() for buffer in _ACCUMULATED], "biases": g["biases"]}


def mutating(w, b, x, y):
    """Scales x in place (and so changes the caller's data)."""
    x *= 1.0
    x[0, 0] += 1.0
    return _backprop(w, b, x, y)


def raising(w, b, x, y):
    raise IndexError("list index out of range")


def wrong_dtype(w, b, x, y):
    g = _backprop(w, b, x, y)
    g["weights"] = [W.astype(np.float16) for W in g["weights"]]
    return g


def nan_gradients(w, b, x, y):
    g = _backprop(w, b, x, y)
    g["weights"][0] = g["weights"][0] * np.nan
    return g


def relu_right_slope(w, b, x, y):
    """relu hidden layers with relu'(0) = 1, sigmoid output, the mean quadratic cost."""
    activations, zs = [x], []
    for i, (W, bias) in enumerate(zip(w, b)):
        zs.append(W @ activations[-1] + bias)
        activations.append(sigmoid(zs[-1]) if i == len(w) - 1 else np.maximum(zs[-1], 0))
    N = x.shape[1]
    a = activations[-1]
    delta = (a - y) / N * a * (1 - a)
    deltas = [delta]
    for l in range(len(w) - 1, 0, -1):
        delta = (w[l].T @ delta) * (zs[l - 1] >= 0)
        deltas.insert(0, delta)
    return {
        "deltas": deltas,
        "weights": [d @ a.T for d, a in zip(deltas, activations)],
        "biases": [d.sum(axis=1, keepdims=True) for d in deltas],
    }


def ascent_update(weights, biases, x, y, learning_rate):
    g = _backprop(weights, biases, x, y)
    return (
        [W + learning_rate * dW for W, dW in zip(weights, g["weights"])],
        [bias + learning_rate * db for bias, db in zip(biases, g["biases"])],
    )


def correct(w, b, x, y):
    return _backprop(w, b, x, y)
