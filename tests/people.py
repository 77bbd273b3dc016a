"""Backprop written the ways people write it, none in the reference's image: correct ones in
other formulations, layouts, interfaces and declarations, and the same ones with one realistic
slip each. `CORRECT` and `SLIPS` list them with the declarations each needs
(`check_implementation`'s keyword arguments) and, for a slip, the equation it breaks.

Written here, for these tests; the interface styles of examples/ are reused with a slip planted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crosscheck import Convention
from examples import book_layers, chapter_class, scalar_engine, step_by_step, two_layer


# --- formulations of σ and σ' ----------------------------------------------------------------
def _sigmoid_tanh(z):
    return 0.5 * (1 + np.tanh(z / 2))


def _sigmoid_plain(z):
    return 1 / (1 + np.exp(-z))


def _sigmoid_prime_exp(z, s):
    # σ' is even: e^{−|z|} keeps the exponential from overflowing (e^{−z} alone gives inf/inf
    # = NaN for z < −709, a true failure the check reports as non-finite values).
    e = np.exp(-np.abs(z))
    return e / (1 + e) ** 2


def _prime_s(z, s):
    return s * (1 - s)


FORMS: dict[str, tuple[Any, Any]] = {
    "sigmoid_tanh": (_sigmoid_tanh, _prime_s),
    "sigmoid_exp_prime": (_sigmoid_plain, _sigmoid_prime_exp),
    "tanh_cosh": (np.tanh, lambda z, s: 1 / np.cosh(z) ** 2),
    "tanh_square": (np.tanh, lambda z, s: 1 - s * s),
    # log(1 + e^z) loses all relative accuracy for z ≪ 0 (1 + e^z rounds to 1); capped at 40,
    # where it and its slope equal z and 1 to rounding (e^{−40} ≈ 4e-18), so that e^z cannot
    # overflow. (A cap at 30 leaves σ' off by e^{−30} ≈ 1e-13 above it: the check catches that.)
    "softplus_log": (
        lambda z: np.where(z > 40, z, np.log(1 + np.exp(np.minimum(z, 40)))),
        lambda z, s: np.exp(np.minimum(z, 40)) / (1 + np.exp(np.minimum(z, 40))),
    ),
    "elu_exp": (lambda z: np.where(z > 0, z, np.exp(np.minimum(z, 0)) - 1), lambda z, s: np.where(z > 0, 1.0, s + 1)),
    "silu_div": (lambda z: z / (1 + np.exp(-z)), lambda z, s: _sigmoid_plain(z) * (1 + z * (1 - _sigmoid_plain(z)))),
    "leaky_where": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z, s: np.where(z > 0, 1.0, 0.01)),
    "relu_mask": (lambda z: z * (z > 0), lambda z, s: (z > 0).astype(z.dtype)),
}


def columns_net(form: str, slip: str = "", loss: str = "quadratic"):
    """Samples as columns, one loop over layers with σ and σ' in `form`; einsum for the batch
    sums. `loss`: "quadratic" (½, mean) or "huber"; `slip` plants one realistic mistake."""
    sigma, prime = FORMS[form]

    def backprop(weights, biases, x, y):
        zs, acts = [], [x]
        for W, b in zip(weights, biases):
            zs.append(W @ acts[-1] + b)
            acts.append(sigma(zs[-1]))
        N, a = x.shape[1], acts[-1]
        r = a - y if slip != "sign" else y - a
        g = r if loss == "quadratic" else np.clip(r, -1, 1)
        delta = g / N * (prime(zs[-1], a) if slip != "bp1_no_prime" else 1)
        deltas = [delta]
        for l in range(len(weights) - 1, 0, -1):
            carried = weights[l].T @ delta
            delta = carried * (prime(zs[l - 1], acts[l]) if slip != "bp2_no_prime" else 1)
            deltas.insert(0, delta)
        grad_W = [np.einsum("in,jn->ij", d, a_prev) for d, a_prev in zip(deltas, acts[:-1])]
        if slip == "w_scaled":
            grad_W[0] = grad_W[0] * (1 + (1e-3 if x.dtype == np.float32 else 1e-6))
        grad_b = [d[:, :1] * N if slip == "bias_first" else d.sum(axis=1, keepdims=True) for d in deltas]
        return grad_W, grad_b

    backprop.__name__ = f"columns_{form}{'_' + slip if slip else ''}"
    return backprop


def rows_net(form: str, slip: str = "", cost: str = "mean", half: bool = True, clip: float = 0.0, bce: bool = False):
    """Samples as rows, x @ W.T with W as (n_out, n_in), flat biases; the cost summed, a mean,
    or a mean over every element, with or without the ½; a clipped binary cross-entropy."""
    sigma, prime = FORMS[form]

    def backprop(weights, biases, x, y):
        hs, zs = [x], []
        for W, b in zip(weights, biases):
            zs.append(hs[-1] @ W.T + b)
            hs.append(sigma(zs[-1]))
        N, a = x.shape[0], hs[-1]
        if bce:
            c = np.clip(a, clip, 1 - clip)
            loss = -np.mean(np.sum(y * np.log(c) + (1 - y) * np.log(1 - c), axis=1))
            ga = (c - y) / (c * (1 - c) if slip != "bce_gradient" else c * (1 + c)) / N
        else:
            scale = {"mean": 1 / N, "sum": 1.0, "elements": 1 / (N * a.shape[1])}[cost] * (0.5 if half else 1.0)
            loss = scale * np.sum((a - y) ** 2) * (2 if slip == "loss_no_half" else 1)
            ga = 2 * scale * (a - y)
        dz = ga * prime(zs[-1], a)
        gW, gb = [None] * len(weights), [None] * len(weights)
        for i in range(len(weights) - 1, -1, -1):
            gW[i] = dz.T @ hs[i]
            gb[i] = dz[::-1].sum(axis=0)  # the samples summed last to first
            if i:
                dz = (dz @ weights[i]) * prime(zs[i - 1], hs[i])
        return {"loss": float(loss), "weights": gW, "biases": gb}

    backprop.__name__ = f"rows_{form}_{cost}{'_' + slip if slip else ''}"
    return backprop


def labels_head(slip: str = "", layout: str = "labels"):
    """Columns, sigmoid hidden layers, a fused softmax + cross-entropy head on integer labels
    ((N,) or (1, N)) or on one-hot targets read through their argmax ("argmax")."""

    def backprop(weights, biases, x, y):
        acts = [x]
        for W, b in zip(weights[:-1], biases[:-1]):
            acts.append(_sigmoid_plain(W @ acts[-1] + b))
        scores = weights[-1] @ acts[-1] + biases[-1]
        p = np.exp(scores - scores.max(axis=0))
        p /= p.sum(axis=0)
        labels = np.argmax(y, axis=0) if layout == "argmax" else np.ravel(y)
        N = x.shape[1]
        d = p.copy()
        if slip != "no_minus_one":
            d[labels, np.arange(N)] -= 1
        d /= N
        loss = float(-np.log(p[labels, np.arange(N)]).mean())
        deltas = [d]
        for l in range(len(weights) - 1, 0, -1):
            deltas.insert(0, (weights[l].T @ deltas[0]) * acts[l] * (1 - acts[l]))
        return {
            "loss": loss,
            "weights": [dl @ a.T for dl, a in zip(deltas, acts)],
            "biases": [dl.sum(1, keepdims=True) for dl in deltas],
        }

    backprop.__name__ = f"labels_head_{layout}{'_' + slip if slip else ''}"
    return backprop


def promoted(weights, biases, x, y):
    """Correct, but a float64 constant promotes every float32 result to float64."""
    half = np.float64(0.5)
    acts = [x]
    for W, b in zip(weights, biases):
        acts.append(half * (1 + np.tanh(half * (W @ acts[-1] + b))))
    delta = (acts[-1] - y) / x.shape[1] * acts[-1] * (1 - acts[-1])
    deltas = [delta]
    for l in range(len(weights) - 1, 0, -1):
        deltas.insert(0, (weights[l].T @ deltas[0]) * acts[l] * (1 - acts[l]))
    return [d @ a.T for d, a in zip(deltas, acts)], [d.sum(1, keepdims=True) for d in deltas]


def nielsen_l2(slip: str = ""):
    """A batch network2-style: columns, sigmoid + cross-entropy, + (λ/2n) ΣW² with λ = 0.5."""
    lmbda = 0.5

    def backprop(weights, biases, x, y):
        acts = [x]
        for W, b in zip(weights, biases):
            acts.append(_sigmoid_plain(W @ acts[-1] + b))
        n = x.shape[1]
        delta = (acts[-1] - y) / n
        deltas = [delta]
        for l in range(len(weights) - 1, 0, -1):
            deltas.insert(0, (weights[l].T @ deltas[0]) * acts[l] * (1 - acts[l]))
        reg = lmbda / n if slip != "lambda_over_2n" else lmbda / (2 * n)
        return [d @ a.T + reg * W for d, a, W in zip(deltas, acts, weights)], [d.sum(1, keepdims=True) for d in deltas]

    backprop.__name__ = f"nielsen_l2{'_' + slip if slip else ''}"
    return backprop


# --- the examples' styles with one slip planted ------------------------------------------------
def two_layer_net(slip: str = "", reg: float = 0.05):
    def backprop(weights, biases, x, y):
        net = two_layer.TwoLayerNet({"W1": weights[0], "b1": biases[0], "W2": weights[1], "b2": biases[1]}, reg=reg)
        loss, grads = net.loss(x, y)
        W1, W2 = weights
        if slip == "half_reg":
            grads["W2"] = grads["W2"] - reg * W2
        if slip == "no_reg_gradient":
            grads["W1"], grads["W2"] = grads["W1"] - 2 * reg * W1, grads["W2"] - 2 * reg * W2
        if slip == "db2_scaled":
            grads["b2"] = grads["b2"] * 0.999
        if slip == "no_mean":
            _, g = two_layer.TwoLayerNet({"W1": W1, "b1": biases[0], "W2": W2, "b2": biases[1]}, reg=0).loss(x, y)
            N = x.shape[0]
            grads = {k: N * v + (2 * reg * {"W1": W1, "W2": W2}[k] if k[0] == "W" else 0) for k, v in g.items()}
        if slip == "relu_mask":
            grads = _two_layer_unmasked(weights, biases, x, y, reg)
        return {"loss": loss, "weights": [grads["W1"], grads["W2"]], "biases": [grads["b1"], grads["b2"]]}

    backprop.__name__ = f"two_layer{'_' + slip if slip else ''}"
    return backprop


def _two_layer_unmasked(weights, biases, X, y, reg):
    """The two-layer net with its ReLU mask tested on the wrong array (hidden < 0 never holds)."""
    (W1, W2), (b1, b2) = weights, biases
    N = X.shape[0]
    hidden = np.maximum(0, X @ W1 + b1)
    scores = hidden @ W2 + b2
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(N), y] -= 1
    p /= N
    dhidden = p @ W2.T
    dhidden[hidden < 0] = 0
    return {"W1": X.T @ dhidden + 2 * reg * W1, "b1": dhidden.sum(0), "W2": hidden.T @ p + 2 * reg * W2, "b2": p.sum(0)}


def step_net(slip: str = ""):
    def backprop(weights, biases, x, y):
        L = len(weights)
        params = {f"{k}{l}": v for l in range(1, L + 1) for k, v in (("W", weights[l - 1]), ("b", biases[l - 1]))}
        AL, caches = step_by_step.model_forward(x, params)
        grads, m = {}, y.shape[1]
        dZ = AL - y
        for l in range(L, 0, -1):
            A_prev, _ = caches[l - 1]
            grads[f"dW{l}"] = dZ @ A_prev.T / m
            db = np.sum(dZ, axis=1, keepdims=slip != "db_flat")
            grads[f"db{l}"] = db if slip == "db_no_mean" else db / m
            if l > 1:
                dA_prev = params[f"W{l}"].T @ dZ
                dZ = dA_prev if slip == "no_relu_prime" else dA_prev * (caches[l - 2][1] > 0)
        return {"weights": [grads[f"dW{l}"] for l in range(1, L + 1)], "biases": [grads[f"db{l}"] for l in range(1, L + 1)]}

    backprop.__name__ = f"step{'_' + slip if slip else ''}"
    return backprop


def book_net(slip: str = ""):
    def backprop(weights, biases, x, y):
        net = book_layers.MultiLayerNet(weights, biases, weight_decay_lambda=0.1)
        if slip == "sigmoid_backward":
            original = book_layers.Sigmoid.backward
            book_layers.Sigmoid.backward = lambda self, dout: dout * (1.0 - self.out)
            try:
                loss, dW, db = net.gradient(x, y)
            finally:
                book_layers.Sigmoid.backward = original
        else:
            loss, dW, db = net.gradient(x, y)
        N = x.shape[0]
        if slip == "no_mean":
            dW = [N * (g - 0.1 * W) + 0.1 * W for g, W in zip(dW, weights)]
            db = [N * g for g in db]
        if slip == "no_l2_gradient":
            dW = [g - 0.1 * W for g, W in zip(dW, weights)]
        if slip == "db_wrong_axis":
            db = [np.full((N, 1), float(g.sum())) for g in db]
        if slip == "db_transposed":
            db = [g.T for g in db]
        return {"loss": loss, "weights": dW, "biases": db}

    backprop.__name__ = f"book{'_' + slip if slip else ''}"
    return backprop


def chapter_net(slip: str = ""):
    def backprop(weights, biases, x, y):
        if slip != "output_prime":
            nabla_b, nabla_w = chapter_class.Network(weights, biases).backprop(x, y)
            return nabla_w, nabla_b
        acts = [x]
        for W, b in zip(weights, biases):
            acts.append(_sigmoid_plain(W @ acts[-1] + b))
        delta = (acts[-1] - y) * acts[-1] * (1 - acts[-1])  # σ' kept, though cross-entropy cancels it
        nabla_b, nabla_w = [delta], [delta @ acts[-2].T]
        for l in range(len(weights) - 1, 0, -1):
            delta = (weights[l].T @ delta) * acts[l] * (1 - acts[l])
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ acts[l - 1].T)
        return nabla_w, nabla_b

    backprop.__name__ = f"chapter{'_' + slip if slip else ''}"
    return backprop


def chapter_update(slip: str = ""):
    def update(weights, biases, x, y, learning_rate):
        net = chapter_class.Network(weights, biases, lmbda=0.1, n=1)
        pairs = [(x[:, [i]], y[:, [i]]) for i in range(x.shape[1])]
        if slip == "ascent":
            net.update_mini_batch(pairs, -learning_rate)
            return [W * (1 - learning_rate * 0.1) / (1 + learning_rate * 0.1) for W in net.weights], net.biases
        if slip == "decay_twice":
            net.lmbda = 0.2
        net.update_mini_batch(pairs, learning_rate)
        if slip == "bias_no_eta":
            nabla_b = [sum(net_b) for net_b in zip(*(chapter_class.Network(weights, biases).backprop(*p)[0] for p in pairs))]
            return net.weights, [b - nb / len(pairs) for b, nb in zip(biases, nabla_b)]
        return net.weights, net.biases

    update.__name__ = f"chapter_update{'_' + slip if slip else ''}"
    return update


def engine_net(slip: str = ""):
    def backprop(weights, biases, x, y):
        Value = scalar_engine.Value
        if slip == "tanh_backward":

            def tanh(self):
                t = np.tanh(self.data)
                out = Value(t, (self,))
                out._backward = lambda: self._add((1 - t) * out.grad)
                return out

            original, Value.tanh = Value.tanh, tanh
            try:
                return scalar_engine.backprop(weights, biases, x, y)
            finally:
                Value.tanh = original
        if slip == "overwrite":
            original_add = Value._add
            Value._add = lambda self, g: setattr(self, "grad", g)
            try:
                return scalar_engine.backprop(weights, biases, x, y)
            finally:
                Value._add = original_add
        return scalar_engine.backprop(weights, biases, x, y)

    backprop.__name__ = f"engine{'_' + slip if slip else ''}"
    return backprop


# --- the tables ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One implementation and the declarations it needs (check_implementation's keyword arguments)."""

    name: str
    fn: Any
    options: dict[str, Any] = field(default_factory=dict)
    equation: str = ""
    """For a slip: the key of crosscheck.findings.EQUATIONS the diagnosis must name."""
    slip: str = ""
    """For a slip, where given: the key of the named slip (crosscheck.findings.Slip.key) the report must give."""


ROWS = {"samples": "rows", "biases": "flat"}
TWO_LAYER = dict(
    convention=Convention("two-layer", samples="rows", weights="in_out", biases="flat", targets="labels", l2=0.05, l2_form="reg"),
    activation="relu",
    output_activation="softmax",
    loss="cross_entropy",
    sizes=(4, 10, 3),
)
STEP = dict(
    convention=Convention("step", targets="binary"),
    activation="relu",
    output_activation="sigmoid",
    loss="binary_cross_entropy",
    outputs=1,
)
BOOK = dict(
    convention=Convention("book", samples="rows", weights="in_out", biases="row", targets="one_hot", l2=0.05, l2_form="reg"),
    output_activation="softmax",
    loss="cross_entropy",
)
CHAPTER = dict(
    convention=Convention("chapter", per_sample=True, cost="sum", targets="binary", weight_decay=0.1), loss="binary_cross_entropy"
)
ENGINE = dict(convention=Convention("engine", cost="sum"), activation="tanh", max_layers=3, max_width=4, max_batch=4)
LABELS = dict(output_activation="softmax", loss="cross_entropy")
NIELSEN = dict(convention=Convention("network2", l2=0.5), loss="binary_cross_entropy")

CORRECT = [
    Entry("σ through tanh, σ' = s(1 − s)", columns_net("sigmoid_tanh")),
    Entry("σ' = e^{−z}/(1 + e^{−z})²", columns_net("sigmoid_exp_prime")),
    Entry("tanh with σ' = 1/cosh²", columns_net("tanh_cosh"), {"activation": "tanh"}),
    Entry(
        "tanh with σ' = 1 − tanh², rows",
        rows_net("tanh_square"),
        {"convention": Convention("rows-out-in", **ROWS), "activation": "tanh"},
    ),
    Entry("softplus as log(1 + e^z)", columns_net("softplus_log"), {"activation": "softplus"}),
    Entry("elu through e^z − 1", columns_net("elu_exp"), {"activation": "elu"}),
    Entry("silu as z/(1 + e^{−z})", columns_net("silu_div"), {"activation": "silu"}),
    Entry(
        "leaky relu by np.where, rows",
        rows_net("leaky_where"),
        {"convention": Convention("rows-out-in", **ROWS), "activation": "leaky_relu"},
    ),
    Entry("relu by a mask, Huber loss", columns_net("relu_mask", loss="huber"), {"activation": "relu", "loss": "huber"}),
    Entry(
        "the summed cost, summed last to first",
        rows_net("sigmoid_tanh", cost="sum"),
        {"convention": Convention("sum", cost="sum", **ROWS)},
    ),
    Entry(
        "MSE over every element, no ½",
        rows_net("sigmoid_tanh", cost="elements", half=False),
        {"convention": Convention("mse", cost="elements", half=False, **ROWS)},
    ),
    Entry(
        "binary cross-entropy clipped at 1e-7",
        rows_net("sigmoid_tanh", bce=True, clip=1e-7),
        {"convention": Convention("clipped", clip=1e-7, **ROWS), "loss": "binary_cross_entropy"},
    ),
    Entry("integer labels (N,)", labels_head(), {**LABELS, "convention": Convention("labels", targets="labels")}),
    Entry("integer labels (1, N)", labels_head(), {**LABELS, "convention": Convention("labels-row", targets="labels_row")}),
    Entry(
        "one-hot targets read by argmax",
        labels_head(layout="argmax"),
        {**LABELS, "convention": Convention("hot", targets="one_hot")},
    ),
    Entry("integer labels (N,), nothing declared", labels_head(), {}),
    Entry("a float64 constant on float32 cases", promoted),
    Entry("network2 with (λ/2n) ΣW²", nielsen_l2(), NIELSEN),
    Entry("a fixed two-layer model object, reg · ΣW²", two_layer_net(), TWO_LAYER),
    Entry("grads in a dict, one sigmoid output", step_net(), STEP),
    Entry("layer objects, biases (1, n), fused head, L2", book_net(), BOOK),
    Entry("a chapter class with a weight-decay update", chapter_net(), {**CHAPTER, "update": chapter_update()}),
    Entry("a scalar autodiff engine, set order", engine_net(), ENGINE),
]
"""Correct implementations: each must agree on every case."""

SLIPS = [
    # BP1 without σ' under the quadratic cost is binary cross-entropy's δ: with no loss returned, the network is declared
    Entry("BP1 without σ'", columns_net("sigmoid_tanh", "bp1_no_prime"), {"loss": "quadratic"}, "BP1"),
    Entry("BP2 without σ'", columns_net("sigmoid_tanh", "bp2_no_prime"), {}, "BP2"),
    Entry("∂C/∂b from the first sample", columns_net("tanh_cosh", "bias_first"), {"activation": "tanh"}, "BP3"),
    Entry("∂C/∂W^2 off by 1e-6 (1e-3 in float32)", columns_net("sigmoid_exp_prime", "w_scaled"), {}, "BP4"),
    Entry("the sign of a − y flipped", columns_net("softplus_log", "sign"), {"activation": "softplus"}, "BP1"),
    Entry(
        "the loss without its ½",
        rows_net("sigmoid_tanh", "loss_no_half"),
        {"convention": Convention("rows-out-in", **ROWS)},
        "loss",
    ),
    Entry(
        "a wrong clipped BCE gradient",
        rows_net("sigmoid_tanh", "bce_gradient", bce=True, clip=1e-7),
        {"convention": Convention("clipped", clip=1e-7, **ROWS), "loss": "binary_cross_entropy"},
        "BP1",
    ),
    Entry(
        "softmax head without − 1 at the label",
        labels_head("no_minus_one"),
        {**LABELS, "convention": Convention("labels", targets="labels")},
        "BP1",
    ),
    Entry(
        "labels expected, probabilities declared",
        labels_head(),
        {**LABELS, "convention": Convention("columns")},
        "targets",
    ),
    Entry(
        "soft targets read by argmax, probabilities declared",
        labels_head(layout="argmax"),
        {**LABELS, "convention": Convention("columns")},
        "targets",
    ),
    Entry("network2 with λ/2n where λ/n belongs", nielsen_l2("lambda_over_2n"), NIELSEN, "L2"),
    Entry("two-layer: reg · W where 2 reg · W belongs", two_layer_net("half_reg"), TWO_LAYER, "L2"),
    Entry("two-layer: no L2 in the gradient", two_layer_net("no_reg_gradient"), TWO_LAYER, "L2"),
    Entry(
        "two-layer: L2 in the code, not declared",
        two_layer_net(),
        {**TWO_LAYER, "convention": Convention("two-layer", samples="rows", weights="in_out", biases="flat", targets="labels")},
        "L2",
    ),
    Entry("two-layer: ∂C/∂b^3 × 0.999", two_layer_net("db2_scaled"), TWO_LAYER, "BP3"),
    Entry("two-layer: the mean's 1/N left out of the gradient", two_layer_net("no_mean"), TWO_LAYER, "BP1"),
    Entry("two-layer: the ReLU mask on the wrong array", two_layer_net("relu_mask"), TWO_LAYER, "BP2"),
    Entry("dict grads: db without 1/m", step_net("db_no_mean"), STEP, "BP3"),
    Entry("dict grads: db of shape (n,)", step_net("db_flat"), STEP, "BP3"),
    Entry("dict grads: BP2 without ReLU'", step_net("no_relu_prime"), STEP, "BP2"),
    Entry("layers: Sigmoid.backward without · out", book_net("sigmoid_backward"), BOOK, "BP2"),
    Entry("layers: the fused head's 1/N left out", book_net("no_mean"), BOOK, "BP1"),
    Entry("layers: no L2 in the gradient", book_net("no_l2_gradient"), BOOK, "L2"),
    Entry("layers: db summed over the wrong axis", book_net("db_wrong_axis"), BOOK, "BP3"),
    Entry("layers: db as (n, 1) where (1, n) is declared", book_net("db_transposed"), BOOK, "BP3"),
    Entry("chapter: σ' at the output with cross-entropy", chapter_net("output_prime"), CHAPTER, "BP1"),
    Entry("chapter: gradient ascent", chapter_net(), {**CHAPTER, "update": chapter_update("ascent")}, "update"),
    Entry("chapter: the weight decay doubled", chapter_net(), {**CHAPTER, "update": chapter_update("decay_twice")}, "update"),
    Entry("chapter: η left off the biases' step", chapter_net(), {**CHAPTER, "update": chapter_update("bias_no_eta")}, "update"),
    Entry("engine: tanh' as 1 − t", engine_net("tanh_backward"), ENGINE, "BP1"),
    Entry("engine: gradients overwritten, not accumulated", engine_net("overwrite"), ENGINE, "BP1"),
]
"""One realistic slip each, and the equation the diagnosis must name."""
