"""The derivation's example: a 2-3-1 sigmoid network learns XOR.

python -m reference.xor [--seed 0] [--learning-rate 2.0] [--max-iterations 5000]
                        [--tolerance T] [--dtype float64|float32]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from reference.network import Network
from reference.training import History, train

SIZES = (2, 3, 1)
SEED = 0
LEARNING_RATE = 2.0
MAX_ITERATIONS = 5000


def xor_data(dtype: type | np.dtype = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The four XOR samples as columns: x is (2, 4), y is (1, 4)."""
    x = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=dtype)
    y = np.array([[0, 1, 1, 0]], dtype=dtype)
    return x, y


def train_xor(
    *,
    seed: int = SEED,
    learning_rate: float = LEARNING_RATE,
    max_iterations: int = MAX_ITERATIONS,
    tolerance: float | None = None,
    dtype: type | np.dtype = np.float64,
) -> tuple[Network, History]:
    """Train the 2-3-1 sigmoid network on XOR from `seed`; return it and its history."""
    network = Network.random(SIZES, seed=seed, dtype=dtype)
    x, y = xor_data(dtype)
    history = train(network, x, y, learning_rate=learning_rate, max_iterations=max_iterations, tolerance=tolerance)
    return network, history


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.xor", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE)
    parser.add_argument("--max-iterations", type=int, default=MAX_ITERATIONS)
    parser.add_argument("--tolerance", type=float, default=None, help="stop when the loss changes by less")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    args = parser.parse_args(argv)
    try:
        network, history = train_xor(
            seed=args.seed,
            learning_rate=args.learning_rate,
            max_iterations=args.max_iterations,
            tolerance=args.tolerance,
            dtype=np.dtype(args.dtype),
        )
    except (TypeError, ValueError) as error:
        parser.error(str(error))

    print(
        f"XOR with a {'-'.join(map(str, SIZES))} sigmoid network, quadratic cost, "
        f"η = {args.learning_rate}, seed {args.seed}, {args.dtype}"
    )
    n = history.iterations
    shown = sorted({1, *(t for t in (10, 100, 1000, 2000, 5000, 10000) if t < n), n})
    for t in shown:
        print(f"  iteration {t:>6}: C = {history.losses[t - 1]:.6e}")
    print(f"stopped after {n} iterations: {history.stop_reason}")
    x, y = xor_data(network.dtype)
    _, activations = network.forward(x)
    for column in range(x.shape[1]):
        inputs = tuple(int(v) for v in x[:, column])
        print(f"  XOR{inputs} = {int(y[0, column])}: prediction {activations[-1][0, column]:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
