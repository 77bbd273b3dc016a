"""Input validation shared by the reference: every bad call gets a clear error.

Each check names the argument, what was expected and what came, and raises before
anything is mutated (docs/DESIGN.md, rule 8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from reference._types import Array

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_matrix(name: str, value: Any, stack: tuple[int, ...] = ()) -> Array:
    """Return `value` as a 2-D float32/float64 array with finite entries (with the leading
    axes `stack` in front, for a stack of cases).

    Raises TypeError for non-arrays and integer, bool or complex dtypes, and
    ValueError for another number of dimensions, an empty array, NaN or Inf.
    """
    _float_array(name, value, stack)
    if value.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {value.shape}")
    if not np.isfinite(value).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        raise ValueError(f"{name} must be finite, got {value[bad]} at index {bad}")
    return value


def writable_matrix(name: str, value: Any, stack: tuple[int, ...] = ()) -> Array:
    """As `float_matrix` for an array that is written into (an out=): its values do not
    matter, but it must be writeable."""
    _float_array(name, value, stack)
    if not value.flags.writeable:
        raise ValueError(f"{name} is read-only: it cannot be written into")
    return value


def _float_array(name: str, value: Any, stack: tuple[int, ...]) -> None:
    """An ndarray of float32/float64, 2-D after the leading axes `stack`."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(value).__name__}")
    if type(value) is not np.ndarray:  # np.matrix's * is a matrix product; a masked array hides entries
        raise TypeError(f"{name} must be a plain numpy.ndarray, got the subclass {type(value).__name__}: pass np.asarray({name})")
    if value.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {value.dtype}")
    if value.ndim != 2 + len(stack) or value.shape[: len(stack)] != stack:
        expected = "2-D" if not stack else f"a stack of shape {(*stack, '…', '…')} (2-D per case)"
        raise ValueError(f"{name} must be {expected}, got shape {value.shape}")


def no_shared_memory(written: list[tuple[str, Array]], read: list[tuple[str, Array]]) -> None:
    """Refuse arrays to be written into that share memory with each other or with an array
    that is read (one buffer for two layers would return one layer's values twice)."""
    for i, (name, array) in enumerate(written):
        for other, other_array in [*written[i + 1 :], *read]:
            if np.may_share_memory(array, other_array):
                raise ValueError(f"{name} shares memory with {other}: every array of out must be its own")


def same_dtype(name: str, value: Array, dtype: np.dtype) -> None:
    """Refuse mixed precision: `value` must have the network's dtype."""
    if value.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {value.dtype} but the network's parameters are {dtype}; "
            "mixed float32/float64 is not allowed (convert with .astype first)"
        )


def shape(name: str, value: Array, expected: tuple[int, ...], meaning: str) -> None:
    """Raise ValueError unless `value.shape == expected`."""
    if value.shape != expected:
        raise ValueError(f"{name} must have shape {expected} ({meaning}), got {value.shape}")


def positive_number(name: str, value: Any) -> float:
    """A finite real number > 0 (bool refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def positive_int(name: str, value: Any) -> int:
    """An int >= 1 (bool refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def lookup(kind: str, name: Any, registry: Mapping[str, Any]) -> Any:
    """Find `name` in a registry, listing the known names when it is absent."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} must be a name (str), got {type(name).__name__}")
    if name not in registry:
        known = ", ".join(sorted(registry))
        raise ValueError(f"unknown {kind} {name!r}; known: {known}")
    return registry[name]


def finite_result(gradients: Any, dtype: np.dtype, *, wrote_into_out: bool = False) -> None:
    """Refuse a backward pass whose cost or gradients overflowed (FloatingPointError, naming it).

    δ^l is not scanned itself: a non-finite entry of δ^l makes its row of ∂C/∂b^l = Σ_x δ^l
    non-finite (inf, or nan from inf − inf), and ∂C/∂b^l is scanned."""
    if dtype == np.dtype(
        object
    ):  # arrays of SymPy symbols (the proof tier, crosscheck.proof, runs BP1-BP4 on them): nothing overflows
        return
    changed = "out's arrays hold the overflowed values; the network is unchanged" if wrote_into_out else "nothing was changed"
    if not np.all(np.isfinite(gradients.loss)):
        raise FloatingPointError(
            f"the cost C overflowed {dtype} ({np.max(np.abs(gradients.loss))}): the outputs or targets are too large for it "
            f"(|a^L − y| squared must stay finite); {changed}"
        )
    for quantity, symbol in (("biases", "∂C/∂b"), ("weights", "∂C/∂W")):
        for l, tensor in enumerate(getattr(gradients, quantity), start=2):
            if not np.isfinite(tensor).all():
                raise FloatingPointError(f"{symbol}^{l} overflowed {dtype}: the cost's gradient is too large for it; {changed}")
