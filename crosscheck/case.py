"""A case: one network with one batch, and the snippet that rebuilds it exactly."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reference import Network


@dataclass(frozen=True)
class Case:
    """A network with a batch (x, y), as the oracles and reports see it.

    `origin` says how it was drawn (for example the strategy's seed), for the report.
    """

    network: Network
    x: np.ndarray
    y: np.ndarray
    origin: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """[sigmoid/quadratic, sizes (2, 3, 1), N=4, float64, seed 17]."""
        net = self.network
        acts = net.activation.name
        if net.output_activation.name != net.activation.name:
            acts += f"→{net.output_activation.name}"
        parts = [f"{acts}/{net.loss.name}", f"sizes {net.sizes}", f"N={self.x.shape[1]}", str(net.dtype)]
        if self.origin:
            parts.append(self.origin)
        return "[" + ", ".join(parts) + "]"

    def reproduction(self, check: str = "crosscheck.assert_case(case)") -> str:
        """Python source that rebuilds this case bit for bit and runs `check`."""
        net = self.network
        dtype = f"np.{net.dtype}"
        lines = [
            "import numpy as np",
            "import crosscheck",
            "from crosscheck.case import Case",
            "from reference import Network",
            "",
            "network = Network(",
            f"    [{', '.join(_literal(W, dtype) for W in net.weights)}],",
            f"    [{', '.join(_literal(b, dtype) for b in net.biases)}],",
            f"    activation={net.activation.name!r},",
            f"    output_activation={net.output_activation.name!r},",
            f"    loss={net.loss.name!r},",
            ")",
            f"x = {_literal(self.x, dtype)}",
            f"y = {_literal(self.y, dtype)}",
            "case = Case(network, x, y)",
            check,
        ]
        return "\n".join(lines)


def _literal(array: np.ndarray, dtype: str) -> str:
    # repr of a Python float round-trips exactly, for float64 and for float32 values.
    rows = ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in array)
    return f"np.array([{rows}], dtype={dtype})"
