"""Ben: vectorised with einsum, σ through tanh, δ's kept in a dict."""

import numpy as np


def backprop(weights, biases, x, y):
    sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # noqa: E731
    hs = {0: x}
    for i, (W, b) in enumerate(zip(weights, biases), start=1):
        hs[i] = sig(np.einsum("ij,jn->in", W, hs[i - 1]) + b)
    L = len(weights)
    N = x.shape[1]
    err = hs[L] - y
    d = {L: err * hs[L] * (1 - hs[L]) / N}
    for i in range(L - 1, 0, -1):
        d[i] = np.einsum("ji,jn->in", weights[i], d[i + 1]) * hs[i] * (1 - hs[i])
    dW = [np.einsum("in,jn->ij", d[i], hs[i - 1]) for i in range(1, L + 1)]
    db = [np.einsum("in->i", d[i])[:, None] for i in range(1, L + 1)]
    return {"loss": float(np.einsum("in,in->", err, err)) / (2 * N), "weights": dW, "biases": db}


def update(weights, biases, x, y, eta):
    g = backprop(weights, biases, x, y)
    return ([W - eta * gW for W, gW in zip(weights, g["weights"])], [b - eta * gb for b, gb in zip(biases, g["biases"])])
