"""Type aliases used across the reference (one place, as STYLE.md asks)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating]
"""A float32 or float64 array; matrices are (neurons, samples)."""
