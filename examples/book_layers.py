"""A from-scratch book's layer objects: `Affine` (x @ W + b with b of shape (1, n)), `Sigmoid`,
and a fused `SoftmaxWithLoss` head (softmax + cross-entropy, one-hot targets, mean over the
batch); each layer has forward() and backward(dout) and keeps its own dW and db. The network
adds ½λ ΣW² to its loss (weight decay in the book's sense, here L2 in the cost).

The glue (7 lines) and its check:

    python -m crosscheck verify examples.book_layers:backprop --samples rows --weights in_out --biases row \\
        --targets one_hot --l2 0.1 --l2-form lambda/2 --output-activation softmax --loss cross_entropy
(the book's λ = 0.1 as it writes it: ½λ ΣW², the lambda/2 form.)
"""

from __future__ import annotations

import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0, keepdims=True)
        return dout @ self.W.T


class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class SoftmaxWithLoss:
    def forward(self, x, t):
        shifted = x - x.max(axis=1, keepdims=True)
        self.y, self.t = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True), t
        return -np.sum(t * (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))) / x.shape[0]

    def backward(self):
        return (self.y - self.t) / self.t.shape[0]


class MultiLayerNet:
    def __init__(self, weights, biases, weight_decay_lambda=0.0):
        self.affines = [Affine(W, b) for W, b in zip(weights, biases)]
        self.lam, self.head = weight_decay_lambda, SoftmaxWithLoss()

    def gradient(self, x, t):
        for i, affine in enumerate(self.affines):
            x = affine.forward(x)
            if i < len(self.affines) - 1:
                affine.act = Sigmoid()
                x = affine.act.forward(x)
        loss = self.head.forward(x, t) + 0.5 * self.lam * sum(np.sum(a.W**2) for a in self.affines)
        dout = self.head.backward()
        for i in range(len(self.affines) - 1, -1, -1):
            dout = self.affines[i].backward(dout)
            if i > 0:
                dout = self.affines[i - 1].act.backward(dout)
        return loss, [a.dW + self.lam * a.W for a in self.affines], [a.db for a in self.affines]


# --- the glue ---------------------------------------------------------------------------------
def backprop(weights, biases, x, y):
    loss, dW, db = MultiLayerNet(weights, biases, weight_decay_lambda=0.1).gradient(x, y)
    return {"loss": loss, "weights": dW, "biases": db}
