"""Correct implementations shaped unlike tests/people.py, each of a kind the checker once called wrong
(issue 40). Written here for tests/test_found_out.py; each runs in the child process its check starts.

* `fused_clipped_head`: rows, W as (n_in, n_out), flat biases, ReLU layers and a softmax + cross-entropy head
  that clips the probabilities at 1e-7 (a book's), one-hot targets; its gradients carry the clip's mask.
* `per_sample_elements` / `per_sample_elements_update`: layer objects' arithmetic, one sample per call, the
  cost the mean over the output elements of (a − y)², no ½ (a framework's MSE); the update gets the
  mini-batch and steps on the mean of the samples' gradients.
"""

from __future__ import annotations

import numpy as np

CLIP = 1e-7


def fused_clipped_head(weights, biases, X, Y):
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
    g = -Y / kept * ((p > CLIP) & (p < 1 - CLIP)) / N  # ∂C/∂p: zero where the clip holds
    d = p * (g - np.sum(g * p, axis=1, keepdims=True))  # the softmax's Jacobian, row by row
    grad_W, grad_b = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grad_W[l], grad_b[l] = hs[l].T @ d, d.sum(axis=0)
        if l:
            d = (d @ weights[l].T) * (zs[l - 1] > 0)
    return {"loss": loss, "weights": grad_W, "biases": grad_b}


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def per_sample_elements(weights, biases, x, y):
    """One sample x (n, 1); C_x = 1/n_L Σ_j (a_j − y_j)²."""
    a, acts = x, [x]
    for W, b in zip(weights, biases):
        a = _sigmoid(W @ a + b)
        acts.append(a)
    delta = 2 * (a - y) / len(a) * a * (1 - a)
    grad_W, grad_b = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grad_W[l], grad_b[l] = delta @ acts[l].T, delta.copy()
        if l:
            delta = (weights[l].T @ delta) * acts[l] * (1 - acts[l])
    return {"loss": float(np.mean((a - y) ** 2)), "weights": grad_W, "biases": grad_b}


def per_sample_elements_update(weights, biases, x, y, learning_rate):
    """One mini-batch step: the mean of the samples' gradients."""
    N = x.shape[1]
    steps = [per_sample_elements(weights, biases, x[:, i : i + 1], y[:, i : i + 1]) for i in range(N)]
    new_W = [W - learning_rate * sum(s["weights"][l] for s in steps) / N for l, W in enumerate(weights)]
    new_b = [b - learning_rate * sum(s["biases"][l] for s in steps) / N for l, b in enumerate(biases)]
    return new_W, new_b
