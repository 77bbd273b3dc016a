"""The full check for many cases at once: `check_cases`.

`check_case` runs the reference, each oracle, the scales and the comparison for one
case; PyTorch's autograd and a compiled JAX call each cost a few hundred µs of
per-call overhead on networks this small, and so do the scales. `check_cases` gives
the same checks to a whole list of cases, of any structures, at a small part of that
cost:

* The **reference** runs case by case, as it is: it is the thing under test.
* The cases are **grouped** by depth, batch size N, activations, loss and dtype (and
  output width, where the output activation is not element-wise). In a group every
  layer is padded with zeros to the group's widest at that depth. A padded neuron
  feeds the next layer only through zero weights and a padded input meets only zero
  weights, so every real entry gets exact zeros added; padded entries are never
  compared.
* **PyTorch**: one batched forward pass (`torch.baddbmm`, the activations on the
  stacked z), then each case's cost on its own output rows (a loss never sees a
  padded row), and one backward pass of the summed costs, which is, block by block,
  each case's own gradient.
* **JAX**: the bucketed single-case oracle of `crosscheck.jax_oracle` under
  `jax.vmap` (`crosscheck.batched.mapped`, as for the certificate), in chunks of cases
  that share a depth, activations and loss; a mask per case marks its real outputs and
  samples.
* **Scales**: `crosscheck.scales.stacked_magnitudes` on the padded group (∂C/∂a of
  a padded output row is set to 0).
* **Comparison**: the rule of `crosscheck.compare` (`compare.ratios`) on every real
  element at once; per case, the largest |diff|/tol.

A case whose largest ratio is above 1 is checked again alone by `check_case`, and that
result, with its report, is the answer: `check_cases` is `check_case`'s fast path. A
padded matmul may sum in another order than the unpadded one (the extra terms are
exact zeros), so oracle values can differ from `check_case`'s in the last bits; a
case flagged here that passes alone is kept in `ManyCheck.cleared`, which stays empty
unless padding leaks (a test holds it to that). An exception from the reference on any
case propagates, as it does from `check_case`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crosscheck import _frameworks, counterparts
from crosscheck.batched import mapped
from crosscheck.case import Case
from crosscheck.compare import QUANTITIES, _names, ratios
from crosscheck.jax_oracle import padded, unpack
from crosscheck.oracles import ORACLES, CaseCheck, check_case
from crosscheck.scales import stacked_magnitudes
from crosscheck.tolerances import AUTOGRAD_KIND, Tolerance, tolerance
from reference import Gradients

BATCHED = ("torch", "jax", "jax_forward")
"""The oracles `check_cases` runs many cases at a time (finite differences: use `check_case`)."""


@dataclass(frozen=True)
class ManyCheck:
    """The reference against several oracles on many cases."""

    cases: list[Case]
    oracles: tuple[str, ...]
    worst: dict[str, np.ndarray]
    """Per oracle, per case: the largest |diff|/tol over every element (≤ 1 passes)."""
    failures: list[CaseCheck]
    """`check_case` of every case flagged here that fails when checked alone."""
    cleared: list[int]
    """Cases flagged here that pass when checked alone (empty unless padding leaks)."""

    @property
    def ok(self) -> bool:
        return not self.failures

    def report(self) -> str:
        if self.ok:
            worst = ", ".join(f"{name} {self.worst[name].max(initial=0.0):.2g}" for name in self.oracles)
            cleared = f"; {len(self.cleared)} flagged in a padded group passed alone" if self.cleared else ""
            return (
                f"the reference agrees with {_names(list(self.oracles))} on all {len(self.cases)} cases "
                f"(worst |diff|/tol: {worst}{cleared})"
            )
        return f"{len(self.failures)} of {len(self.cases)} cases fail; the first:\n\n{self.failures[0].report()}"


def check_cases(cases: Sequence[Case], oracles: Sequence[str] = ("torch", "jax")) -> ManyCheck:
    """`check_case` for every case, many cases per framework call (see the module)."""
    names = tuple(oracles)
    unknown = [n for n in names if n not in ORACLES]
    if unknown:
        raise ValueError(f"unknown oracle(s) {unknown}; known: {list(ORACLES)}")
    slow = [n for n in names if n not in BATCHED]
    if slow:
        raise ValueError(f"check_cases runs {list(BATCHED)}; check {slow} case by case with check_case")
    cases = list(cases)
    worst = {name: np.zeros(len(cases)) for name in names}
    groups = _groups(cases)
    modes = {"jax": "reverse", "jax_forward": "forward"}
    jax_results = {name: _jax_groups(groups, modes[name]) for name in names if name in modes}
    for index, group in enumerate(groups):
        members = [cases[i] for i in group.members]
        reference = [case.network.backward(case.x, case.y) for case in members]
        scales = stacked_magnitudes(group.weights, group.biases, group.x, group.y, *group.names, outputs=group.sizes[:, -1])
        real = _Real.of(group, reference, scales, tolerance(AUTOGRAD_KIND, group.x.dtype))
        for name in names:
            gradients = _torch_group(group) if name == "torch" else jax_results[name][index]
            worst[name][group.members] = real.worst(gradients)
    flagged = sorted({int(i) for name in names for i in np.flatnonzero(~(worst[name] <= 1))})
    failures, cleared = [], []
    for i in flagged:
        alone = check_case(cases[i], names)
        if alone.ok:
            cleared.append(i)
        else:
            failures.append(alone)
    return ManyCheck(cases, names, worst, failures, cleared)


def assert_cases(cases: Sequence[Case], oracles: Sequence[str] = ("torch", "jax")) -> ManyCheck:
    """`check_cases`, raising AssertionError with the first failing case's full report."""
    result = check_cases(cases, oracles)
    if not result.ok:
        raise AssertionError(result.report())
    return result


@dataclass(frozen=True)
class _Group:
    """Cases of one depth, N, activations, loss and dtype, padded to the widest."""

    members: np.ndarray
    """Their indices in the list given to `check_cases`."""
    sizes: np.ndarray
    """(K, L): each case's (n_1, ..., n_L)."""
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    x: np.ndarray
    y: np.ndarray
    names: tuple[str, str, str]
    """(hidden activation, output activation, loss)."""

    def real(self, quantity: str, layer: int) -> np.ndarray:
        """Where the real entries are in the padded δ^l, ∂C/∂W^l or ∂C/∂b^l (layer = l − 2)."""
        rows_padded = self.weights[layer].shape[1]
        rows = np.arange(rows_padded)[None, :, None] < self.sizes[:, layer + 1, None, None]
        if quantity == "deltas":
            return np.broadcast_to(rows, (len(self.members), rows_padded, self.x.shape[2]))
        if quantity == "biases":
            return rows
        columns = np.arange(self.weights[layer].shape[2])[None, None, :] < self.sizes[:, layer, None, None]
        return rows & columns


def _groups(cases: list[Case]) -> list[_Group]:
    by_key: dict[tuple[Any, ...], list[int]] = {}
    for i, case in enumerate(cases):
        net = case.network
        names = (net.activation.name, net.output_activation.name, net.loss.name)
        # A non-element-wise output (softmax) mixes its rows: no padded output row there.
        outputs = None if net.output_activation.elementwise else net.sizes[-1]
        by_key.setdefault((net.L, case.x.shape[1], names, net.dtype.str, outputs), []).append(i)
    return [_group(cases, members) for members in by_key.values()]


def _group(cases: list[Case], members: list[int]) -> _Group:
    first = cases[members[0]]
    K, N, dtype = len(members), first.x.shape[1], first.network.dtype
    sizes = np.array([cases[i].network.sizes for i in members])
    widest = sizes.max(axis=0)
    weights = [np.zeros((K, m, n), dtype) for n, m in itertools.pairwise(widest)]
    biases = [np.zeros((K, m, 1), dtype) for m in widest[1:]]
    x = np.zeros((K, widest[0], N), dtype)
    y = np.zeros((K, widest[-1], N), dtype)
    for k, i in enumerate(members):
        case = cases[i]
        for W, b, padded_W, padded_b in zip(case.network.weights, case.network.biases, weights, biases):
            padded_W[k, : W.shape[0], : W.shape[1]] = W
            padded_b[k, : b.shape[0]] = b
        x[k, : case.x.shape[0]] = case.x
        y[k, : case.y.shape[0]] = case.y
    net = first.network
    names = (net.activation.name, net.output_activation.name, net.loss.name)
    return _Group(np.array(members), sizes, weights, biases, x, y, names)


def _torch_group(group: _Group) -> Gradients:
    """PyTorch autograd on a padded group: one batched forward, each case's own cost on
    its real output rows, one backward of the summed costs."""
    torch = _frameworks.torch()
    hidden, output = (counterparts.activation(name) for name in group.names[:2])
    cost = counterparts.loss(group.names[2])
    Ws = [torch.from_numpy(W).requires_grad_() for W in group.weights]
    bs = [torch.from_numpy(b).requires_grad_() for b in group.biases]
    a = torch.from_numpy(group.x)
    zs = []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = torch.baddbmm(b, W, a)
        zs.append(z)
        a = (output if i == len(Ws) - 1 else hidden).torch(z)
    y = torch.from_numpy(group.y)
    costs = torch.stack([cost.torch(a[k, :n], y[k, :n]) for k, n in enumerate(group.sizes[:, -1].tolist())])
    grads = torch.autograd.grad(costs.sum(), [*zs, *Ws, *bs])
    n = len(Ws)
    return Gradients(
        loss=costs.detach().numpy(),
        deltas=[g.numpy() for g in grads[:n]],
        weights=[g.numpy() for g in grads[n : 2 * n]],
        biases=[g.numpy() for g in grads[2 * n :]],
    )


def _jax_groups(groups: list[_Group], mode: str) -> list[Gradients]:
    """The JAX oracle for every group, in the groups' padded layout: the groups that share
    a padded shape, activations and loss go through `jax.vmap` together."""
    pools: dict[tuple[Any, ...], list[int]] = {}
    inputs = [_jax_inputs(group) for group in groups]
    for index, (arrays, _) in enumerate(inputs):
        Ws, _, xs, _, _, choice = arrays
        pools.setdefault((Ws.shape[1:], xs.shape[1:], xs.dtype.str, choice.tobytes()), []).append(index)
    results: list[Gradients | None] = [None] * len(groups)
    for members in pools.values():
        stacked = [np.concatenate([inputs[i][0][j] for i in members]) for j in range(5)]
        flat = mapped(tuple(stacked), inputs[members[0]][0][5], mode)
        depth, width = stacked[0].shape[1:3]
        loss, dWs, dbs, deltas = unpack(flat, depth, width, stacked[2].shape[-1])
        offset = 0
        for i in members:
            group, skip = groups[i], inputs[i][1]
            part = slice(offset, offset + len(group.members))
            offset += len(group.members)
            N = group.x.shape[2]
            layers = [(skip + l, W.shape[1], W.shape[2]) for l, W in enumerate(group.weights)]
            results[i] = Gradients(
                loss=np.asarray(loss[part], dtype=np.float64),  # type: ignore[arg-type]
                deltas=[deltas[part, d, :rows, :N] for d, rows, _ in layers],
                weights=[dWs[part, d, :rows, :columns] for d, rows, columns in layers],
                biases=[dbs[part, d, :rows] for d, rows, _ in layers],
            )
    return results  # type: ignore[return-value]


def _jax_inputs(group: _Group) -> tuple[tuple[np.ndarray, ...], int]:
    """`crosscheck.jax_oracle.padded` of a group (its padded arrays stacked as K cases),
    with a mask per case marking that case's own output rows and samples; and the number
    of identity layers in front."""
    (Ws, bs, xs, ys, _, choice), skip = padded(group.weights, group.biases, group.x, group.y, *group.names)
    width, batch = xs.shape[-2:]
    rows = np.arange(width)[None, :, None] < group.sizes[:, -1, None, None]
    mask = (rows & (np.arange(batch)[None, None, :] < group.x.shape[2])).astype(xs.dtype)
    return (Ws, bs, xs, ys, mask, choice), skip


@dataclass(frozen=True)
class _Real:
    """A group's reference and scales on its real elements, flattened once for every oracle."""

    masks: list[tuple[str, int, np.ndarray]]
    """(quantity, layer, where the real entries are in the padded tensor), in order."""
    case: np.ndarray
    """For each flattened element, its case's position in the group."""
    reference: np.ndarray
    allowed: np.ndarray
    """rtol · S + cost_rtol · S_C for each element, as in `compare`."""
    reference_loss: np.ndarray
    allowed_loss: np.ndarray

    @classmethod
    def of(cls, group: _Group, reference: list[Gradients], scales: Gradients, tol: Tolerance) -> _Real:
        K = len(group.members)
        floor = tol.cost_rtol * np.asarray(scales.loss)
        masks, cases, values, allowed = [], [], [], []
        for quantity in QUANTITIES[1:]:  # δ, ∂C/∂W, ∂C/∂b (the loss apart)
            for layer, scale in enumerate(getattr(scales, quantity)):
                real = np.broadcast_to(group.real(quantity, layer), scale.shape)
                masks.append((quantity, layer, real))
                counts = real.reshape(K, -1).sum(axis=1)
                cases.append(np.repeat(np.arange(K), counts))
                values.append(np.concatenate([getattr(g, quantity)[layer] for g in reference], axis=None))
                allowed.append(tol.rtol * scale[real] + np.repeat(floor, counts))
        return cls(
            masks,
            np.concatenate(cases),
            np.concatenate(values),
            np.concatenate(allowed),
            np.array([g.loss for g in reference]),
            tol.rtol * np.asarray(scales.loss) + floor,
        )

    def worst(self, oracle: Gradients) -> np.ndarray:
        """Per case: the largest |diff|/tol over the loss and every real element."""
        _, worst = ratios(self.reference_loss, np.asarray(oracle.loss), self.allowed_loss)
        values = np.concatenate([getattr(oracle, quantity)[layer][real] for quantity, layer, real in self.masks])
        _, ratio = ratios(self.reference, values, self.allowed)
        np.maximum.at(worst, self.case, ratio)
        return worst
