"""Optional frameworks, imported on first use with a message naming the extra."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

import numpy as np


class FrameworkMissing(ImportError):
    """An oracle's framework is not installed."""


def torch() -> Any:
    try:
        import torch
    except ImportError:
        raise FrameworkMissing("the PyTorch oracle needs torch: pip install 'backprop-crosscheck[torch]'") from None
    return torch


def jax() -> Any:
    try:
        import jax
    except ImportError:
        raise FrameworkMissing("the JAX oracles need jax: pip install 'backprop-crosscheck[jax]'") from None
    return jax


@contextlib.contextmanager
def jax_precision(dtype: np.dtype) -> Iterator[None]:
    """Enable JAX's 64-bit mode for a float64 computation, for this block only.

    JAX computes in float32 unless `jax_enable_x64` is set. Rather than flip the
    user's global configuration, float64 work runs inside JAX's `enable_x64` context
    manager, which changes the setting for the current thread and restores it on exit.
    """
    j = jax()
    if np.dtype(dtype) != np.float64 or j.config.jax_enable_x64:
        yield
        return
    enable_x64: Any = getattr(j, "enable_x64", None)
    if enable_x64 is None:  # older jax keeps it in jax.experimental
        enable_x64 = importlib.import_module("jax.experimental").enable_x64
    with enable_x64(True):
        yield
