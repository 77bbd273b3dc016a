"""A fixed-architecture model object in the course-assignment style: a two-layer net
(input → ReLU hidden → softmax scores) with samples as rows, W as (n_in, n_out), flat
biases, integer class labels y of shape (N,), and `reg · ΣW²` in its mean loss.
`TwoLayerNet.loss(X, y)` returns (loss, grads) with grads under its own names.

The glue (5 lines) and its check, on the one architecture it has:

    python -m crosscheck verify examples.two_layer:backprop --convention rows --targets labels \\
        --l2 0.05 --l2-form reg --activation relu --output-activation softmax --loss cross_entropy --sizes 4,10,3
"""

from __future__ import annotations

import numpy as np


class TwoLayerNet:
    def __init__(self, params, reg=0.0):
        self.params, self.reg = params, reg

    def loss(self, X, y):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        N = X.shape[0]
        hidden = np.maximum(0, X @ W1 + b1)
        scores = hidden @ W2 + b2
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[np.arange(N), y].mean() + self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = np.exp(log_probs)
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {"W2": hidden.T @ dscores + 2 * self.reg * W2, "b2": dscores.sum(axis=0)}
        dhidden = dscores @ W2.T
        dhidden[hidden <= 0] = 0
        grads["W1"] = X.T @ dhidden + 2 * self.reg * W1
        grads["b1"] = dhidden.sum(axis=0)
        return loss, grads


# --- the glue ---------------------------------------------------------------------------------
def backprop(weights, biases, x, y):
    net = TwoLayerNet({"W1": weights[0], "b1": biases[0], "W2": weights[1], "b2": biases[1]}, reg=0.05)
    loss, grads = net.loss(x, y)
    return {"loss": loss, "weights": [grads["W1"], grads["W2"]], "biases": [grads["b1"], grads["b2"]]}
