import numpy as np


class Network:
    def __init__(self, weights, biases):
        self.weights = [W.copy() for W in weights]
        self.biases = [b.copy() for b in biases]

    @staticmethod
    def _sigma(z):
        return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))

    def forward(self, x):
        outs = [x]
        for W, b in zip(self.weights, self.biases):
            outs.append(self._sigma(W @ outs[-1] + b))
        return outs

    def gradients(self, x, y):
        outs = self.forward(x)
        m = x.shape[1]
        delta = (outs[-1] - y) * outs[-1] * (1 - outs[-1]) / m
        nabla_w, nabla_b = [], []
        for l in reversed(range(len(self.weights))):
            nabla_w.insert(0, delta @ outs[l].T)
            nabla_b.insert(0, np.sum(delta, axis=1, keepdims=True))
            delta = (self.weights[l].T @ delta) * outs[l] * (1 - outs[l])
        return {"loss": np.sum((outs[-1] - y) ** 2) / (2 * m), "weights": nabla_w, "biases": nabla_b}

    def step(self, x, y, eta):
        g = self.gradients(x, y)
        self.weights = [W - eta * dW for W, dW in zip(self.weights, g["weights"])]
        self.biases = [b - eta * db for b, db in zip(self.biases, g["biases"])]
