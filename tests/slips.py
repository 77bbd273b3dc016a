"""More slips, written here in six interface styles unlike the reference's, each with the equation the
diagnosis must name and, where the report must say which slip, its key (crosscheck.findings.Slip.key).

Together with tests/people.py's SLIPS they are the corpus the diagnosis rate is measured on (issue 36):
slips that make the code raise on the drawn shapes (a transposed weight in the δ recursion, the wrong
layer's weights, the hidden activation for x), slips that only ∂C/∂b at N = 1 can place (a missing ReLU
mask, a softmax gradient without its − y), a lost accumulation, σ' kept in a cross-entropy δ^L, the
product rule with the wrong operand, and updates that answer in the wrong form.

The styles: (A) a function over columns returning (∂C/∂W, ∂C/∂b, δ); (B) a function over rows returning a
tuple without δ; (C) a scalar autodiff engine; (D) layer objects with forward and backward; (E) a course
notebook's dicts; (F) a learner's MLP class (examples/mlp.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from people import STEP, Entry

from crosscheck import Convention
from examples import mlp, scalar_engine, step_by_step


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- (A) columns, a function returning its δ too ----------------------------------------------------
def columns_with_deltas(slip: str = ""):
    """σ layers, the quadratic cost over the batch mean; returns weights, biases and deltas."""

    def backprop(weights, biases, x, y):
        acts = [x]
        for W, b in zip(weights, biases):
            acts.append(_sigmoid(W @ acts[-1] + b))
        N = x.shape[1]
        delta = (acts[-1] - y) / N * acts[-1] * (1 - acts[-1])
        deltas = [delta]
        for l in range(len(weights) - 1, 0, -1):
            W_next = {"untransposed": weights[l], "wrong_layer": weights[l - 1].T}.get(slip, weights[l].T)
            delta = (W_next @ delta) * acts[l] * (1 - acts[l])
            deltas.insert(0, delta)
        gW = [d @ a.T for d, a in zip(deltas, acts)]
        if slip == "dW_transposed":
            gW = [a @ d.T for d, a in zip(deltas, acts)]
        return {"weights": gW, "biases": [d.sum(axis=1, keepdims=True) for d in deltas], "deltas": deltas}

    backprop.__name__ = f"columns_with_deltas_{slip}"
    return backprop


# --- (B) rows, a function returning (dWs, dbs) -----------------------------------------------------
def rows_relu_softmax(slip: str = ""):
    """ReLU hidden layers, softmax + cross-entropy on one-hot targets, X (N, n), W (n_in, n_out), flat b."""

    def backprop(weights, biases, X, Y):
        hs = [X]
        for W, b in zip(weights[:-1], biases[:-1]):
            hs.append(np.maximum(0, hs[-1] @ W + b))
        s = hs[-1] @ weights[-1] + biases[-1]
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        N = X.shape[0]
        g = (p if slip == "no_minus_y" else p - Y) / N
        dWs, dbs = [None] * len(weights), [None] * len(weights)
        for i in range(len(weights) - 1, -1, -1):
            below = hs[i + 1] if slip == "hidden_for_x" and i == 0 else hs[i]
            dWs[i] = below.T @ g / (N if slip == "dW_mean_twice" else 1)
            dbs[i] = g.sum(axis=0)
            if i:
                g = g @ weights[i].T
                if slip != "no_mask":
                    g = g * (hs[i] > 0)
        return dWs, dbs

    backprop.__name__ = f"rows_relu_softmax_{slip}"
    return backprop


def rows_sigmoid_bce(slip: str = ""):
    """σ layers, one sigmoid output per class with the binary cross-entropy, rows; δ^L = (a − y)/N."""

    def backprop(weights, biases, X, Y):
        hs = [X]
        for W, b in zip(weights, biases):
            hs.append(_sigmoid(hs[-1] @ W + b))
        a, N = hs[-1], X.shape[0]
        d = (a - Y) / N
        if slip == "keeps_prime":
            d = d * a * (1 - a)  # the quadratic cost's δ^L carried over to cross-entropy
        dWs, dbs = [None] * len(weights), [None] * len(weights)
        for i in range(len(weights) - 1, -1, -1):
            dWs[i], dbs[i] = hs[i].T @ d, d.sum(axis=0)
            if i:
                d = (d @ weights[i].T) * hs[i] * (1 - hs[i])
        return dWs, dbs

    backprop.__name__ = f"rows_sigmoid_bce_{slip}"
    return backprop


# --- (C) a scalar engine ------------------------------------------------------------------------------
def _dot(ws, xs, bias, slip):
    """A neuron's Σ w·x + b as one node of examples/scalar_engine's graph (a fused op a learner writes)."""
    Value = scalar_engine.Value
    out = Value(sum(w.data * x.data for w, x in zip(ws, xs)) + bias.data, (*ws, *xs, bias))

    def backward():
        for w, x in zip(ws, xs):
            w._add((w.data if slip == "wrong_operand" else x.data) * out.grad)
            x._add((x.data if slip == "wrong_operand" else w.data) * out.grad)
        bias._add(out.grad)

    out._backward = backward
    return out


def engine_with(slip: str):
    """examples/scalar_engine with one slip: its neurons through a fused dot node whose backward takes the product
    rule's wrong operand ("wrong_operand"), or every gradient overwritten where it is accumulated ("overwrite")."""
    Value = scalar_engine.Value

    def dotted(weights, biases, x, y):
        Ws, bs = ([[[Value(v) for v in row] for row in P] for P in group] for group in (weights, biases))
        loss = Value(0.0)
        for n in range(x.shape[1]):
            a = [Value(v) for v in x[:, n]]
            for W, b in zip(Ws, bs):
                a = [_dot(row, a, bias[0], slip).tanh() for row, bias in zip(W, b)]
            loss = sum(((out - float(t)) * (out - float(t)) * 0.5 for out, t in zip(a, y[:, n])), loss)
        loss.backward()
        grads = [np.array([[v.grad for v in row] for row in P], x.dtype) for P in Ws + bs]
        return grads[: len(weights)], grads[len(weights) :]

    def overwritten(weights, biases, x, y):
        original = Value._add
        Value._add = lambda self, g: setattr(self, "grad", g)
        try:
            return scalar_engine.backprop(weights, biases, x, y)
        finally:
            Value._add = original

    backprop = overwritten if slip == "overwrite" else dotted
    backprop.__name__ = f"engine_{slip}"
    return backprop


# --- (D) layer objects --------------------------------------------------------------------------------
class Dense:
    def __init__(self, W, b, slip=""):
        self.W, self.b, self.slip = W, b, slip

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad):
        self.dW, self.db = self.x.T @ grad, grad.sum(axis=0)
        return grad @ (self.W if self.slip == "untransposed" else self.W.T)


class Tanh:
    def __init__(self, slip=""):
        self.slip = slip

    def forward(self, z):
        self.z, self.out = z, np.tanh(z)
        return self.out

    def backward(self, grad):
        return grad * (1 - (self.z if self.slip == "prime_of_z" else self.out) ** 2)


class ReLU:
    def __init__(self, slip=""):
        self.slip = slip

    def forward(self, z):
        self.mask = z > 0
        return z * self.mask

    def backward(self, grad):
        return grad if self.slip == "no_mask" else grad * self.mask


def layer_objects(activation: str, slip: str = ""):
    """Dense and activation objects, the quadratic cost ½ mean over the batch of Σ (a − y)², identity output."""

    def backprop(weights, biases, X, Y):
        layers: list[Any] = []
        for i, (W, b) in enumerate(zip(weights, biases)):
            layers.append(Dense(W, b, slip if i == len(weights) - 1 else ""))
            if i < len(weights) - 1:
                layers.append(Tanh(slip) if activation == "tanh" else ReLU(slip))
        out = X
        for layer in layers:
            out = layer.forward(out)
        grad = (out - Y) / X.shape[0]
        for layer in reversed(layers):
            grad = layer.backward(grad)
        dense = [layer for layer in layers if isinstance(layer, Dense)]
        return {"weights": [d.dW for d in dense], "biases": [d.db for d in dense]}

    backprop.__name__ = f"layers_{activation}_{slip}"
    return backprop


# --- (E) a course notebook's dicts, and its update ----------------------------------------------------
def notebook_bce(slip: str = ""):
    """examples/step_by_step's forward, its backward rewritten with one slip."""

    def backprop(weights, biases, x, y):
        L = len(weights)
        params = {f"{k}{l}": v for l in range(1, L + 1) for k, v in (("W", weights[l - 1]), ("b", biases[l - 1]))}
        AL, caches = step_by_step.model_forward(x, params)
        m = y.shape[1]
        dZ = AL - y
        if slip == "keeps_prime":
            dZ = dZ * AL * (1 - AL)
        grads = {}
        for l in range(L, 0, -1):
            A_prev, _ = caches[l - 1]
            grads[f"dW{l}"], grads[f"db{l}"] = dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m
            if l > 1:
                dZ = (params[f"W{l}"].T @ dZ) * (caches[l - 2][1] > 0)
        return {"weights": [grads[f"dW{l}"] for l in range(1, L + 1)], "biases": [grads[f"db{l}"] for l in range(1, L + 1)]}

    backprop.__name__ = f"notebook_{slip}"
    return backprop


def notebook_update(slip: str):
    """One gradient step W ← W − η dW in the notebook's dicts, answering in a wrong form."""

    def update(weights, biases, x, y, learning_rate):
        grads = step_by_step.backprop(weights, biases, x, y)
        Ws = [W - learning_rate * g for W, g in zip(weights, grads["weights"])]
        bs = [b - learning_rate * g for b, g in zip(biases, grads["biases"])]
        if slip == "transposed":
            return [W.T for W in Ws], bs
        if slip == "one_short":
            return Ws[:-1], bs[:-1]
        if slip == "a_dict":
            return {f"W{l + 1}": W for l, W in enumerate(Ws)}, bs
        return Ws, bs

    update.__name__ = f"notebook_update_{slip}"
    return update


# --- (F) the learner's MLP of examples/mlp.py ---------------------------------------------------------
def mlp_with(slip: str):
    def backprop(weights, biases, x, y):
        net = mlp.MLP(weights, biases, forget_first_tanh_prime=slip == "first_prime")
        if slip == "half_l2":
            net.lam = mlp.LAMBDA / 2  # the gradient's λW halved: λ/2·W
            _, dWs, dbs = net.loss_and_grads(x, y)
            loss = mlp.MLP(weights, biases).loss_and_grads(x, y)[0]
            return {"loss": loss, "weights": dWs, "biases": dbs}
        loss, dWs, dbs = net.loss_and_grads(x, y)
        if slip == "no_mean":
            N = x.shape[0]
            dWs = [N * (g - mlp.LAMBDA * W) + mlp.LAMBDA * W for g, W in zip(dWs, weights)]
            dbs = [N * g for g in dbs]
        return {"loss": loss, "weights": dWs, "biases": dbs}

    backprop.__name__ = f"mlp_{slip}"
    return backprop


ROWS = Convention("rows", samples="rows", weights="in_out", biases="flat")
SOFTMAX = dict(convention=ROWS, activation="relu", output_activation="softmax", loss="cross_entropy")
BCE = dict(convention=ROWS, loss="binary_cross_entropy")
LAYERS = dict(convention=ROWS, output_activation="identity")
ENGINE = dict(convention=Convention("engine", cost="sum"), activation="tanh", max_layers=3, max_width=4, max_batch=4)
MLP = dict(
    convention=Convention(
        "mlp", samples="rows", weights="in_out", biases="flat", targets="labels", l2=mlp.LAMBDA, l2_form="lambda/2"
    ),
    activation="tanh",
    output_activation="softmax",
    loss="cross_entropy",
)

SLIPS = [
    Entry(
        "columns: W^{l+1} untransposed in BP2 (raises off square layers)",
        columns_with_deltas("untransposed"),
        {},
        "BP2",
        "weights_not_transposed",
    ),
    Entry(
        "columns: the wrong layer's weights in BP2 (raises off square layers)",
        columns_with_deltas("wrong_layer"),
        {},
        "BP2",
        "wrong_layer_weights",
    ),
    Entry("columns: ∂C/∂W as a δᵀ, transposed", columns_with_deltas("dW_transposed"), {}, "BP4", "transposed"),
    Entry("rows: no ReLU mask in BP2, no δ returned", rows_relu_softmax("no_mask"), SOFTMAX, "BP2", "bp2_without_sigma_prime"),
    Entry("rows: softmax gradient without − y", rows_relu_softmax("no_minus_y"), SOFTMAX, "BP1"),
    Entry(
        "rows: the hidden activation for x in ∂C/∂W^2",
        rows_relu_softmax("hidden_for_x"),
        SOFTMAX,
        "BP4",
        "bp4_current_activation",
    ),
    Entry("rows: ∂C/∂W divided by N twice", rows_relu_softmax("dW_mean_twice"), SOFTMAX, "BP4", "one_over_n_twice"),
    Entry("rows: σ' kept in a cross-entropy δ^L", rows_sigmoid_bce("keeps_prime"), BCE, "BP1", "sigma_prime_kept"),
    Entry("engine: the product rule with the wrong operand", engine_with("wrong_operand"), ENGINE, "BP4", "product_rule_operand"),
    Entry("engine: a gradient overwritten, not accumulated", engine_with("overwrite"), ENGINE, "BP1", "lost_accumulation"),
    Entry(
        "layers: Dense.backward with W, not Wᵀ (raises off square layers)",
        layer_objects("tanh", "untransposed"),
        {**LAYERS, "activation": "tanh"},
        "BP2",
        "weights_not_transposed",
    ),
    Entry(
        "layers: ReLU.backward without its mask",
        layer_objects("relu", "no_mask"),
        {**LAYERS, "activation": "relu"},
        "BP2",
        "bp2_without_sigma_prime",
    ),
    Entry(
        "layers: Tanh.backward as 1 − z²",
        layer_objects("tanh", "prime_of_z"),
        {**LAYERS, "activation": "tanh"},
        "BP2",
        "wrong_sigma_prime",
    ),
    Entry("notebook: σ' kept in dZ of the cross-entropy output", notebook_bce("keeps_prime"), STEP, "BP1", "sigma_prime_kept"),
    Entry("notebook: an update returning Wᵀ", step_by_step.backprop, {**STEP, "update": notebook_update("transposed")}, "update"),
    Entry(
        "notebook: an update one layer short", step_by_step.backprop, {**STEP, "update": notebook_update("one_short")}, "update"
    ),
    Entry("notebook: an update returning a dict", step_by_step.backprop, {**STEP, "update": notebook_update("a_dict")}, "update"),
    Entry("mlp: tanh' left out at the first hidden layer", mlp_with("first_prime"), MLP, "BP2", "bp2_without_sigma_prime"),
    Entry("mlp: λ/2·W for λW in the gradient", mlp_with("half_l2"), MLP, "L2", "regularizer"),
    Entry("mlp: the mean's 1/N left out of the gradient", mlp_with("no_mean"), MLP, "BP1", "missing_mean"),
]
"""One slip each: the equation the diagnosis must name, and the slip it must say where one is given."""
