"""Implementations shaped unlike tests/people.py, and four slips planted in each (issue 40): the check with no
declarations must pass every correct one, find the declaration written beside it (`Outside.declared`), and
catch every slip. Written here for tests/test_found_out.py; each runs in the child process its check starts.

Twelve shapes: the chapter's per-sample `(nabla_b, nabla_w)` loop; a course's parameters dict and caches; a
fixed two-layer class; layer objects with a fused, clipped softmax head; a summed cost with ½λΣW²; a scalar
autodiff engine; a Keras-like list of Dense layers; one sample per call on the mean over the elements; a
binary cross-entropy with biases (1, n) and W applied as x @ W.T; Huber with leaky ReLU that returns δ; biases
folded into W (an augmented input); and a recursion over the layers.

The slips are one line each, as people write them: `slip` names it, `Slip.equation` the equation the
diagnosis must name, `Slip.key` the slip (crosscheck.findings.SLIPS) where one is named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CLIP = 1e-7


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# 1. the chapter's network.py: one sample per call, (nabla_b, nabla_w), C = ½‖a − y‖²; no loss returned ---
def chapter_tuple(slip: str = ""):
    def backprop(weights, biases, x, y):
        nabla_b = [np.zeros(b.shape) for b in biases]
        nabla_w = [np.zeros(w.shape) for w in weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(biases, weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = _sigmoid(z)
            activations.append(activation)
        sp = _sigmoid(zs[-1]) * (1 - _sigmoid(zs[-1]))
        delta = (activations[-1] - y) * sp if slip != "sign" else (y - activations[-1]) * sp
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, len(weights) + 1):
            z = zs[-l]
            sp = _sigmoid(z) * (1 - _sigmoid(z)) if slip != "sigma_for_prime" else _sigmoid(z)
            carried = np.dot(weights[-l + 1].transpose(), delta) if slip != "no_transpose" else np.dot(weights[-l + 1], delta)
            delta = carried * sp if slip != "bp2_no_prime" else carried
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    backprop.__name__ = f"chapter_tuple{'_' + slip if slip else ''}"
    return backprop


# 2. a course's parameters dict and caches: columns, ReLU layers, a sigmoid output, binary cross-entropy --
def course_caches(slip: str = ""):
    def backprop(weights, biases, X, Y):
        L = len(weights)
        params = {**{f"W{l}": weights[l - 1] for l in range(1, L + 1)}, **{f"b{l}": biases[l - 1] for l in range(1, L + 1)}}
        A, caches = X, []
        for l in range(1, L + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            caches.append((A, Z))
            A = np.maximum(0, Z) if l < L else 1 / (1 + np.exp(-Z))
        m = Y.shape[1]
        cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
        dA = -(Y / A - (1 - Y) / (1 - A)) if slip != "dAL_sign" else Y / A - (1 - Y) / (1 - A)
        grads = {}
        for l in range(L, 0, -1):
            A_prev, Z = caches[l - 1]
            if l == L:
                dZ = dA * A * (1 - A)
            else:
                dZ = dA.copy()
                if slip != "no_relu_mask":
                    dZ[Z <= 0] = 0
            grads[f"dW{l}"] = dZ @ A_prev.T / m
            grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True) / (m if slip != "db_no_mean" else 1)
            dA = params[f"W{l}"].T @ dZ if slip != "no_transpose" else params[f"W{l}"] @ dZ
        return {
            "loss": float(cost),
            "weights": [grads[f"dW{l}"] for l in range(1, L + 1)],
            "biases": [grads[f"db{l}"] for l in range(1, L + 1)],
        }

    backprop.__name__ = f"course_caches{'_' + slip if slip else ''}"
    return backprop


# 3. a fixed two-layer class: rows, x @ W, flat biases, sigmoid hidden, softmax + cross-entropy on labels (N,) --
class TwoLayerNet:
    def __init__(self, W1, b1, W2, b2):
        self.params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

    def loss(self, X, y, slip=""):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        N = X.shape[0]
        h = 1 / (1 + np.exp(-(X @ W1 + b1)))
        scores = h @ W2 + b2
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).mean()
        dscores = probs.copy()
        if slip != "no_minus_one":
            dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {"W2": h.T @ dscores, "b2": dscores.sum(axis=0) if slip != "db_axis" else dscores.sum(axis=1)}
        dh = dscores @ W2.T if slip != "no_transpose" else dscores @ W2
        dz = dh * h * (1 - h) if slip != "no_prime" else dh
        grads["W1"], grads["b1"] = X.T @ dz, dz.sum(axis=0)
        return loss, grads


def two_layer_class(slip: str = ""):
    def backprop(weights, biases, X, y):
        (W1, W2), (b1, b2) = weights, biases
        loss, g = TwoLayerNet(W1, b1, W2, b2).loss(X, y, slip)
        return {"loss": loss, "weights": [g["W1"], g["W2"]], "biases": [g["b1"], g["b2"]]}

    backprop.__name__ = f"two_layer_class{'_' + slip if slip else ''}"
    return backprop


# 4. layer objects with a fused softmax + cross-entropy head clipped at 1e-7: rows, x @ W, flat biases, ReLU -----
def fused_clipped(slip: str = ""):
    def backprop(weights, biases, X, Y):
        hs, zs = [X], []
        for i, (W, b) in enumerate(zip(weights, biases)):
            z = hs[-1] @ W + b
            zs.append(z)
            if i < len(weights) - 1:
                hs.append(np.maximum(z, 0))
        s = zs[-1]
        e = np.exp(s - s.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        kept = np.clip(p, CLIP, 1 - CLIP)
        N = len(X)
        loss = -np.sum(Y * np.log(kept)) / N
        g = -Y / kept * ((p > CLIP) & (p < 1 - CLIP)) / (N if slip != "no_mean" else 1)  # ∂C/∂p, 0 where clipped
        axis = 1 if slip != "jacobian_axis" else 0
        d = p * (g - np.sum(g * p, axis=axis, keepdims=True))
        grad_W, grad_b = [None] * len(weights), [None] * len(weights)
        for l in range(len(weights) - 1, -1, -1):
            grad_W[l], grad_b[l] = hs[l].T @ d, d.sum(axis=0)
            if l:
                carried = d @ weights[l].T if slip != "no_transpose" else d @ weights[l]
                d = carried * (zs[l - 1] > 0) if slip != "mask_on_input" else carried * (hs[l - 1].mean() > 0)
        return {"loss": loss, "weights": grad_W, "biases": grad_b}

    backprop.__name__ = f"fused_clipped{'_' + slip if slip else ''}"
    return backprop


# 5. the summed cost with ½λ ΣW²: columns, tanh layers, C = Σ_x ½‖a − y‖² + ½λ Σ‖W‖² (λ = 0.01) ------------
LAMBDA = 0.01


def summed_l2(slip: str = ""):
    def backprop(weights, biases, x, y):
        acts, zs = [x], []
        for W, b in zip(weights, biases):
            zs.append(W @ acts[-1] + b)
            acts.append(np.tanh(zs[-1]))
        a = acts[-1]
        loss = 0.5 * np.sum((a - y) ** 2) + 0.5 * LAMBDA * sum(np.sum(W * W) for W in weights)
        prime = (lambda z, t: 1 - t**2) if slip != "tanh_prime_of_z" else (lambda z, t: 1 - z**2)
        delta = (a - y) * prime(zs[-1], a)
        gW, gb = [None] * len(weights), [None] * len(weights)
        for l in range(len(weights) - 1, -1, -1):
            decay = {"no_l2_gradient": 0.0, "l2_half": 0.5 * LAMBDA}.get(slip, LAMBDA)
            gW[l] = delta @ acts[l].T + decay * weights[l]
            gb[l] = delta.sum(axis=1, keepdims=True) if slip != "bias_first" else delta[:, :1] * 1.0
            if l:
                delta = (weights[l].T @ delta) * prime(zs[l - 1], acts[l])
        return {"loss": float(loss), "weights": gW, "biases": gb}

    backprop.__name__ = f"summed_l2{'_' + slip if slip else ''}"
    return backprop


# 6. a scalar autodiff engine of its own: sigmoid neurons, the mean quadratic cost with ½ ----------------------
class Scalar:
    """A number that remembers its parents and how to pass a gradient back; `slip` is carried along."""

    __slots__ = ("back", "grad", "parents", "slip", "value")

    def __init__(self, value, parents=(), back=None, slip=""):
        self.value, self.grad, self.parents, self.back, self.slip = float(value), 0.0, parents, back, slip

    def _of(self, other):
        return other if isinstance(other, Scalar) else Scalar(other, slip=self.slip)

    def __add__(self, other):
        other = self._of(other)
        return Scalar(self.value + other.value, (self, other), lambda g: ((self, g), (other, g)), self.slip)

    __radd__ = __add__

    def __mul__(self, other):
        other = self._of(other)
        if self.slip == "mul_operand":  # each factor's gradient taken with itself where the other belongs
            return Scalar(
                self.value * other.value, (self, other), lambda g: ((self, g * self.value), (other, g * other.value)), self.slip
            )
        return Scalar(
            self.value * other.value, (self, other), lambda g: ((self, g * other.value), (other, g * self.value)), self.slip
        )

    __rmul__ = __mul__

    def sigmoid(self):
        e = math.exp(-abs(self.value))  # never overflows
        s = 1 / (1 + e) if self.value >= 0 else e / (1 + e)
        slope = {"sigmoid_slope": s * (1 + s), "slope_of_z": self.value * (1 - self.value)}.get(self.slip, s * (1 - s))
        return Scalar(s, (self,), lambda g: ((self, g * slope),), self.slip)


def _run_backward(out):
    order, seen = [], set()

    def visit(v):
        if id(v) not in seen:
            seen.add(id(v))
            for p in v.parents:
                visit(p)
            order.append(v)

    visit(out)
    out.grad = 1.0
    for v in reversed(order):
        if v.back is not None:
            for parent, g in v.back(v.grad):
                if out.slip == "overwrite":
                    parent.grad = g
                else:
                    parent.grad += g


def scalar_engine(slip: str = ""):
    def backprop(weights, biases, x, y):
        Ws = [[[Scalar(w, slip=slip) for w in row] for row in W] for W in weights]
        bs = [[Scalar(v, slip=slip) for v in b[:, 0]] for b in biases]
        N = x.shape[1]
        total = Scalar(0.0, slip=slip)
        for n in range(N):
            a = [Scalar(v, slip=slip) for v in x[:, n]]
            for W, b in zip(Ws, bs):
                a = [sum((w * v for w, v in zip(row, a)), Scalar(0.0, slip=slip)) + bj for row, bj in zip(W, b)]
                a = [v.sigmoid() for v in a]
            for v, t in zip(a, y[:, n]):
                r = v + (-float(t))
                total = total + r * r * (0.5 / N)
        _run_backward(total)
        grad_W = [np.array([[w.grad for w in row] for row in W]) for W in Ws]
        grad_b = [np.array([[v.grad] for v in b]) for b in bs]
        return {"loss": total.value, "weights": grad_W, "biases": grad_b}

    backprop.__name__ = f"scalar_engine{'_' + slip if slip else ''}"
    return backprop


# 7. a Keras-like list of Dense layers: rows, x @ W, flat biases, softplus hidden, identity output, MSE (no ½) ---
class Dense:
    def __init__(self, W, b, activation, slip):
        self.W, self.b, self.activation, self.slip = W, b, activation, slip

    def call(self, inputs):
        self.inputs = inputs
        self.z = inputs @ self.W + self.b
        return np.logaddexp(0, self.z) if self.activation == "softplus" else self.z

    def backward(self, upstream):
        if self.activation == "softplus":
            at = self.z if self.slip != "prime_of_output" else np.logaddexp(0, self.z)
            upstream = upstream * (1 / (1 + np.exp(-at)))
        self.dW = self.inputs.T @ upstream
        self.db = upstream.sum(axis=0)
        return upstream @ self.W.T if self.slip != "no_transpose" else upstream @ self.W


def keras_like(slip: str = ""):
    def backprop(weights, biases, X, Y):
        layers = [
            Dense(W, b, "softplus" if i < len(weights) - 1 else "linear", slip) for i, (W, b) in enumerate(zip(weights, biases))
        ]
        out = X
        for layer in layers:
            out = layer.call(out)
        loss = np.mean((out - Y) ** 2)
        grad = (2 if slip != "no_two" else 1) * (out - Y) / (out.size if slip != "mean_over_samples" else len(out))
        for layer in reversed(layers):
            grad = layer.backward(grad)
        return {"loss": float(loss), "weights": [layer.dW for layer in layers], "biases": [layer.db for layer in layers]}

    backprop.__name__ = f"keras_like{'_' + slip if slip else ''}"
    return backprop


# 8. one sample per call, C_x = 1/n_L Σ_j (a_j − y_j)², sigmoid layers ------------------------------------------
def per_sample_mse(slip: str = ""):
    def backprop(weights, biases, x, y):
        a, acts, zs = x, [x], []
        for W, b in zip(weights, biases):
            zs.append(W @ a + b)
            a = _sigmoid(zs[-1])
            acts.append(a)
        delta = (2 if slip != "no_two" else 1) * (a - y) / len(a) * a * (1 - a)
        grad_W, grad_b = [None] * len(weights), [None] * len(weights)
        for l in range(len(weights) - 1, -1, -1):
            grad_W[l] = delta @ acts[l].T
            grad_b[l] = delta.copy() if slip != "bias_summed_over_units" else np.full_like(delta, delta.sum())
            if l:
                W_used = weights[l] if slip != "wrong_layer" else weights[l - 1]
                delta = (W_used.T @ delta) * acts[l] * (1 - acts[l]) if slip != "prime_quarter" else (W_used.T @ delta) * 0.25
        return {"loss": float(np.mean((a - y) ** 2)), "weights": grad_W, "biases": grad_b}

    backprop.__name__ = f"per_sample_mse{'_' + slip if slip else ''}"
    return backprop


# 9. binary cross-entropy summed over the batch: rows, x @ W.T, biases (1, n), tanh hidden, sigmoid output -----
def bce_rows(slip: str = ""):
    def backprop(weights, biases, X, Y):
        hs, zs = [X], []
        for i, (W, b) in enumerate(zip(weights, biases)):
            zs.append(hs[-1] @ W.T + b)
            hs.append(np.tanh(zs[-1]) if i < len(weights) - 1 else 1 / (1 + np.exp(-zs[-1])))
        a = hs[-1]
        loss = -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a))
        dz = a - Y if slip != "output_prime" else (a - Y) * a * (1 - a)
        if slip == "sign":
            dz = Y - a
        gW, gb = [None] * len(weights), [None] * len(weights)
        for i in range(len(weights) - 1, -1, -1):
            gW[i] = dz.T @ hs[i]
            gb[i] = dz.sum(axis=0, keepdims=True) if slip != "bias_first" else dz[:1] * 1.0
            if i:
                dz = (dz @ weights[i]) * (1 - hs[i] ** 2 if slip != "tanh_prime_one_minus_a" else 1 - hs[i])
        return {"loss": float(loss), "weights": gW, "biases": gb}

    backprop.__name__ = f"bce_rows{'_' + slip if slip else ''}"
    return backprop


# 10. Huber with leaky ReLU, δ returned too: columns, the mean Huber cost (δ = 1) -------------------------------
def huber_deltas(slip: str = ""):
    slope = 0.01

    def backprop(weights, biases, x, y):
        zs, acts = [], [x]
        for W, b in zip(weights, biases):
            zs.append(W @ acts[-1] + b)
            acts.append(np.where(zs[-1] > 0, zs[-1], slope * zs[-1]))
        N, r = x.shape[1], acts[-1] - y
        loss = np.sum(np.where(np.abs(r) <= 1, 0.5 * r * r, np.abs(r) - 0.5)) / N
        g = np.clip(r, -1, 1) if slip != "unclipped" else r
        prime = lambda z: np.where(z > 0, 1.0, slope)  # noqa: E731
        hidden = prime if slip != "relu_prime" else (lambda z: np.where(z > 0, 1.0, 0.0))  # ReLU's slope in hidden layers
        deltas = [g / N * prime(zs[-1])]
        for l in range(len(weights) - 1, 0, -1):
            deltas.insert(0, (weights[l].T @ deltas[0]) * hidden(zs[l - 1]))
        gW = [d @ a.T for d, a in zip(deltas, acts)]
        if slip == "bp4_scaled":
            gW[-1] = gW[-1] * (1 + 1e-6)
        gb = [d.sum(axis=1, keepdims=True) for d in deltas]
        if slip == "deltas_per_sample":
            deltas = [d * N for d in deltas]
        return {"loss": float(loss), "deltas": deltas, "weights": gW, "biases": gb}

    backprop.__name__ = f"huber_deltas{'_' + slip if slip else ''}"
    return backprop


# 11. biases folded into W: [b | W] against an input with a row of ones; columns, ELU hidden, identity output -----
def augmented(slip: str = ""):
    def elu(z):
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))

    def elu_prime(z):
        return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))) if slip != "elu_prime_exp" else np.exp(z)

    def backprop(weights, biases, x, y):
        Ws = [np.hstack([b, W]) for W, b in zip(weights, biases)]
        N = x.shape[1]
        acts, zs = [np.vstack([np.ones((1, N)), x])], []
        for i, Wb in enumerate(Ws):
            zs.append(Wb @ acts[-1])
            a = elu(zs[-1]) if i < len(Ws) - 1 else zs[-1]
            acts.append(np.vstack([np.ones((1, N)), a]))
        a = acts[-1][1:]
        loss = np.sum((a - y) ** 2) / (2 * N)
        delta = (a - y) / (N if slip != "no_mean" else 1)
        grads = [None] * len(Ws)
        for l in range(len(Ws) - 1, -1, -1):
            grads[l] = delta @ acts[l].T
            if l:
                delta = (
                    (Ws[l][:, 1:].T @ delta) * elu_prime(zs[l - 1])
                    if slip != "bias_column_kept"
                    else (Ws[l][:, :-1].T @ delta) * elu_prime(zs[l - 1])
                )
        cut = 1 if slip != "split_off_by_one" else 0
        weights_out = [g[:, 1:] for g in grads]
        biases_out = [g[:, :1] for g in grads] if cut else [g[:, 1:2] for g in grads]
        return {"loss": float(loss), "weights": weights_out, "biases": biases_out}

    backprop.__name__ = f"augmented{'_' + slip if slip else ''}"
    return backprop


# 12. a recursion over the layers: columns, SiLU hidden, sigmoid output, binary cross-entropy (mean) ------------
def recursive(slip: str = ""):
    def silu_prime(z):
        s = _sigmoid(z)
        return s * (1 + z * (1 - s)) if slip != "silu_prime_sigmoid" else s

    def backprop(weights, biases, x, y):
        N, L = x.shape[1], len(weights)

        def down(l, a):
            """The loss and δ of layer l + 1 (0-based l), given the activation a entering it."""
            z = weights[l] @ a + biases[l]
            if l == L - 1:
                out = _sigmoid(z)
                loss = -np.sum(y * np.log(out) + (1 - y) * np.log1p(-out)) / N
                delta = (out - y) / N if slip != "output_prime" else (out - y) / N * out * (1 - out)
                return loss, [delta], [a]
            h = z * _sigmoid(z)
            loss, deltas, inputs = down(l + 1, h)
            W_next = weights[l + 1] if slip != "wrong_layer" else weights[l]
            delta = (W_next.T @ deltas[0]) * silu_prime(z)
            return loss, [delta, *deltas], [a, *inputs]

        loss, deltas, inputs = down(0, x)
        gW = [d @ a.T for d, a in zip(deltas, inputs)]
        gb = [d.sum(axis=1, keepdims=True) for d in deltas]
        if slip == "bias_mean":
            gb = [d.mean(axis=1, keepdims=True) for d in deltas]
        return {"loss": float(loss), "weights": gW, "biases": gb}

    backprop.__name__ = f"recursive{'_' + slip if slip else ''}"
    return backprop


# --- the table -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slip:
    """A slip planted in an implementation: its name for `make(slip)`, the equation the diagnosis must name,
    and the slip's key where one is named."""

    name: str
    equation: str
    key: str = ""


@dataclass(frozen=True)
class Outside:
    """One shape: the factory, the declaration one would write for it (what probing must find: the Convention's
    fields and the names; None where the check cannot find it and asks for it instead), and its four slips."""

    name: str
    make: Any
    declared: dict[str, Any]
    slips: tuple[Slip, ...] = field(default_factory=tuple)


TABLE = [
    Outside(
        "the chapter's (nabla_b, nabla_w), one sample per call",
        chapter_tuple,
        {"per_sample": True, "order": "biases_first"},
        (
            Slip("sign", "BP1", "sign"),
            Slip("sigma_for_prime", "BP2", "wrong_sigma_prime"),
            Slip("no_transpose", "BP2", "weights_not_transposed"),
            Slip("bp2_no_prime", "BP2", "bp2_without_sigma_prime"),
        ),
    ),
    Outside(
        "a course's parameters dict and caches",
        course_caches,
        {"names": ("relu", "sigmoid", "binary_cross_entropy")},
        (
            Slip("dAL_sign", "BP1", "sign"),
            Slip("no_relu_mask", "BP2", "bp2_without_sigma_prime"),
            Slip("db_no_mean", "BP3", "missing_mean"),
            Slip("no_transpose", "BP2", "weights_not_transposed"),
        ),
    ),
    Outside(
        "a fixed two-layer class, labels (N,)",
        two_layer_class,
        {"samples": "rows", "weights": "in_out", "biases": "flat", "targets": "labels", "layers": (2, 2)}
        | {"names": ("sigmoid", "softmax", "cross_entropy")},
        (
            Slip("no_minus_one", "BP1"),
            Slip("db_axis", "BP3", "bias_wrong_axis"),
            Slip("no_transpose", "BP2", "weights_not_transposed"),
            Slip("no_prime", "BP2", "bp2_without_sigma_prime"),
        ),
    ),
    Outside(
        "layer objects, a fused softmax head clipped at 1e-7",
        fused_clipped,
        {"samples": "rows", "weights": "in_out", "biases": "flat", "clip": 1e-7, "names": ("relu", "softmax", "cross_entropy")},
        (
            Slip("no_mean", "BP1", "missing_mean"),
            Slip("jacobian_axis", "BP1"),
            Slip("no_transpose", "BP2", "weights_not_transposed"),
            Slip("mask_on_input", "BP2"),
        ),
    ),
    Outside(
        "the summed cost with ½λΣW²",
        summed_l2,
        {"cost": "sum", "l2": LAMBDA / 2, "l2_form": "reg", "names": ("tanh", "tanh", "quadratic")},
        (
            Slip("no_l2_gradient", "L2", "regularizer"),
            Slip("l2_half", "L2", "regularizer"),
            Slip("tanh_prime_of_z", "BP1", "wrong_sigma_prime"),
            Slip("bias_first", "BP3", "bias_first_sample"),
        ),
    ),
    Outside(
        "a scalar autodiff engine",
        scalar_engine,
        {},
        (
            Slip("overwrite", "BP1", "lost_accumulation"),  # every sum in the graph loses terms: δ^L departs first
            Slip("mul_operand", "BP1", "product_rule_operand"),
            Slip("sigmoid_slope", "BP1", "wrong_sigma_prime"),
            Slip("slope_of_z", "BP1", "wrong_sigma_prime"),
        ),
    ),
    Outside(
        "a Keras-like list of Dense layers, MSE",
        keras_like,
        {"samples": "rows", "weights": "in_out", "biases": "flat", "cost": "elements", "half": False}
        | {"names": ("softplus", "identity", "quadratic")},
        (
            Slip("prime_of_output", "BP2", "sigma_prime_of_a"),
            Slip("no_transpose", "BP2", "weights_not_transposed"),
            Slip("mean_over_samples", "BP1"),
            Slip("no_two", "BP1"),
        ),
    ),
    Outside(
        "one sample per call, the mean over the elements",
        per_sample_mse,
        {"per_sample": True, "cost": "elements", "half": False},
        (
            Slip("no_two", "BP1"),
            Slip("bias_summed_over_units", "BP3"),
            Slip("wrong_layer", "BP2", "wrong_layer_weights"),
            Slip("prime_quarter", "BP2", "wrong_sigma_prime"),
        ),
    ),
    Outside(
        "binary cross-entropy summed, biases (1, n), x @ W.T",
        bce_rows,
        {"samples": "rows", "biases": "row", "cost": "sum", "names": ("tanh", "sigmoid", "binary_cross_entropy")},
        (
            Slip("output_prime", "BP1", "sigma_prime_kept"),
            Slip("sign", "BP1", "sign"),
            Slip("bias_first", "BP3", "bias_first_sample"),
            Slip("tanh_prime_one_minus_a", "BP2", "wrong_sigma_prime"),
        ),
    ),
    Outside(
        "Huber with leaky ReLU, δ returned",
        huber_deltas,
        {"names": ("leaky_relu", "leaky_relu", "huber")},
        (
            Slip("unclipped", "BP1", "wrong_loss_gradient"),
            Slip("relu_prime", "BP2", "wrong_sigma_prime"),
            Slip("bp4_scaled", "BP4"),
            Slip("deltas_per_sample", "BP1", "missing_mean"),
        ),
    ),
    Outside(
        "biases folded into W, an augmented input",
        augmented,
        {"names": ("elu", "identity", "quadratic")},
        (
            Slip("elu_prime_exp", "BP2", "wrong_sigma_prime"),
            Slip("no_mean", "BP1", "missing_mean"),
            Slip("bias_column_kept", "BP2"),
            Slip("split_off_by_one", "BP3"),
        ),
    ),
    Outside(
        "a recursion over the layers, SiLU and binary cross-entropy",
        recursive,
        {"names": ("silu", "sigmoid", "binary_cross_entropy")},
        (
            Slip("silu_prime_sigmoid", "BP2", "wrong_sigma_prime"),
            Slip("output_prime", "BP1", "sigma_prime_kept"),
            Slip("wrong_layer", "BP2", "wrong_layer_weights"),
            Slip("bias_mean", "BP3", "one_over_n_twice"),
        ),
    ),
]
"""Twelve shapes and 48 slips."""


fused_clipped_head = fused_clipped()
per_sample_elements = per_sample_mse()


def per_sample_elements_update(weights, biases, x, y, learning_rate):
    """One mini-batch step of `per_sample_elements`: the mean of the samples' gradients."""
    N = x.shape[1]
    steps = [per_sample_elements(weights, biases, x[:, i : i + 1], y[:, i : i + 1]) for i in range(N)]
    new_W = [W - learning_rate * sum(s["weights"][l] for s in steps) / N for l, W in enumerate(weights)]
    new_b = [b - learning_rate * sum(s["biases"][l] for s in steps) / N for l, b in enumerate(biases)]
    return new_W, new_b


def per_sample_elements_update_twice(weights, biases, x, y, learning_rate):
    """The update with η doubled: a slip in the update alone."""
    return per_sample_elements_update(weights, biases, x, y, 2 * learning_rate)
