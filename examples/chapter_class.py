"""A chapter-style network class: one sample per call as column vectors, biases (n, 1), a
sigmoid output with the cross-entropy cost, and L2 regularization applied in the mini-batch
update as weight decay, W ← (1 − ηλ/n) W − (η/m) Σ ∇_W C_x. `Network.backprop(x, y)` returns
(nabla_b, nabla_w) for one sample; `update_mini_batch` steps on a list of (x, y) pairs.

The glue (8 lines) and its check:

    python -m crosscheck verify examples.chapter_class:backprop --convention per-sample \\
        --loss binary_cross_entropy --targets binary --weight-decay 0.1 --update examples.chapter_class:update
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Network:
    def __init__(self, weights, biases, lmbda=0.0, n=1):
        self.weights, self.biases, self.lmbda, self.n = weights, biases, lmbda, n

    def backprop(self, x, y):
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(w @ activation + b)
            activation = sigmoid(zs[-1])
            activations.append(activation)
        delta = activations[-1] - y  # the cross-entropy cost's δ^L: σ' cancels
        nabla_b, nabla_w = [delta], [delta @ activations[-2].T]
        for layer in range(2, len(self.weights) + 1):
            s = activations[-layer]
            delta = (self.weights[-layer + 1].T @ delta) * s * (1 - s)
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ activations[-layer - 1].T)
        return nabla_b, nabla_w

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(w) for w in self.weights]
        for x, y in mini_batch:
            delta_b, delta_w = self.backprop(x, y)
            nabla_b = [nb + db for nb, db in zip(nabla_b, delta_b)]
            nabla_w = [nw + dw for nw, dw in zip(nabla_w, delta_w)]
        m = len(mini_batch)
        decay = 1 - eta * self.lmbda / self.n
        self.weights = [decay * w - (eta / m) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / m) * nb for b, nb in zip(self.biases, nabla_b)]


# --- the glue: crosscheck's calls in, the class's answers out ---------------------------------
def backprop(weights, biases, x, y):
    nabla_b, nabla_w = Network(weights, biases).backprop(x, y)
    return nabla_w, nabla_b


def update(weights, biases, x, y, learning_rate):
    net = Network(weights, biases, lmbda=0.1, n=1)  # weight decay λ/n = 0.1
    net.update_mini_batch([(x[:, [i]], y[:, [i]]) for i in range(x.shape[1])], learning_rate)
    return net.weights, net.biases
