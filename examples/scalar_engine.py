"""A scalar autodiff engine in the micrograd style: every number a `Value` that remembers
its inputs and how to pass a gradient back; `backward()` orders the graph topologically and
accumulates each node's gradient from its children, in the order a Python set yields them
(so the sums run in an order that can change from call to call). A small MLP of tanh neurons
on top, the summed quadratic cost ½ Σ (a − y)² over the batch.

The glue (10 lines) and its check:

    python -m crosscheck verify examples.scalar_engine:backprop --activation tanh --cost sum \\
        --max-layers 3 --max-width 4 --max-batch 4 --cases 200
"""

from __future__ import annotations

import math

import numpy as np


class Value:
    def __init__(self, data, children=(), backward=None):
        self.data, self.grad = float(data), 0.0
        self._children, self._backward = set(children), backward

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))
        out._backward = lambda: (self._add(out.grad), other._add(out.grad))
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))
        out._backward = lambda: (self._add(other.data * out.grad), other._add(self.data * out.grad))
        return out

    def __sub__(self, other):
        return self + other * -1.0

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))
        out._backward = lambda: self._add((1 - t * t) * out.grad)
        return out

    def _add(self, g):
        self.grad += g

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for child in v._children:
                    visit(child)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            if v._backward:
                v._backward()


# --- the glue ---------------------------------------------------------------------------------
def backprop(weights, biases, x, y):
    Ws, bs = ([[[Value(v) for v in row] for row in P] for P in group] for group in (weights, biases))
    loss = Value(0.0)
    for n in range(x.shape[1]):
        a = [Value(v) for v in x[:, n]]
        for W, b in zip(Ws, bs):
            a = [sum((w * v for w, v in zip(row, a)), bias[0]).tanh() for row, bias in zip(W, b)]
        loss = sum(((out - float(t)) * (out - float(t)) * 0.5 for out, t in zip(a, y[:, n])), loss)
    loss.backward()
    grads = [np.array([[v.grad for v in row] for row in P], x.dtype) for P in Ws + bs]
    return {"loss": loss.data, "weights": grads[: len(weights)], "biases": grads[len(weights) :]}
