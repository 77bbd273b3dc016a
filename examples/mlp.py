"""A learner's multilayer perceptron: any number of tanh hidden layers, a softmax output
with cross-entropy on integer class labels y of shape (N,), an L2 term λ/2·ΣW² in the mean
loss, samples as rows, W as (n_in, n_out), flat biases. `MLP.loss_and_grads(X, y)` and
`MLP.step(X, y, lr)` are the class; `backprop` and `update` are the glue (6 lines).

Its check, at the default settings (1,000 drawn networks per dtype, any depth):

    python -m crosscheck verify examples.mlp:backprop --convention rows --targets labels --l2 0.001 \\
        --l2-form lambda/2 --activation tanh --output-activation softmax --loss cross_entropy --update examples.mlp:update

`backprop_slipped` is the same class with one slip a learner makes (tanh' left out at the
first hidden layer); the same command on it exits 1 and names BP2 at that layer.
"""

from __future__ import annotations

import numpy as np

LAMBDA = 1e-3


class MLP:
    def __init__(self, Ws, bs, lam=LAMBDA, forget_first_tanh_prime=False):
        self.Ws, self.bs, self.lam = list(Ws), list(bs), lam
        self.slipped = forget_first_tanh_prime

    def forward(self, X):
        hs = [X]
        for W, b in zip(self.Ws[:-1], self.bs[:-1]):
            hs.append(np.tanh(hs[-1] @ W + b))
        scores = hs[-1] @ self.Ws[-1] + self.bs[-1]
        scores = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        return hs, probs / probs.sum(axis=1, keepdims=True)

    def loss_and_grads(self, X, y):
        N = X.shape[0]
        hs, probs = self.forward(X)
        loss = -np.log(probs[np.arange(N), y]).mean() + self.lam / 2 * sum(np.sum(W * W) for W in self.Ws)
        dout = probs.copy()
        dout[np.arange(N), y] -= 1
        dout /= N
        dWs, dbs = [], []
        for i in reversed(range(len(self.Ws))):
            dWs.insert(0, hs[i].T @ dout + self.lam * self.Ws[i])
            dbs.insert(0, dout.sum(axis=0))
            if i > 0:
                dh = dout @ self.Ws[i].T
                keep = self.slipped and i == 1  # the slip: tanh' left out at the first hidden layer
                dout = dh if keep else dh * (1 - hs[i] ** 2)
        return loss, dWs, dbs

    def step(self, X, y, lr):
        _, dWs, dbs = self.loss_and_grads(X, y)
        self.Ws = [W - lr * dW for W, dW in zip(self.Ws, dWs)]
        self.bs = [b - lr * db for b, db in zip(self.bs, dbs)]


# --- the glue ---------------------------------------------------------------------------------
def backprop(weights, biases, x, y):
    loss, dWs, dbs = MLP(weights, biases).loss_and_grads(x, y)
    return {"loss": loss, "weights": dWs, "biases": dbs}


def update(weights, biases, x, y, learning_rate):
    net = MLP(weights, biases)
    net.step(x, y, learning_rate)
    return net.Ws, net.bs


def backprop_slipped(weights, biases, x, y):
    loss, dWs, dbs = MLP(weights, biases, forget_first_tanh_prime=True).loss_and_grads(x, y)
    return {"loss": loss, "weights": dWs, "biases": dbs}
