"""The cross-check: the reference's gradients against PyTorch, JAX and finite differences.

Only parameters, data and the activation and loss *names* flow from the reference to
the oracles; every oracle computes with its own functions (DESIGN.md, rule 1).
"""

from crosscheck.case import Case
from crosscheck.compare import Comparison, TensorCheck, assert_gradients_close, compare
from crosscheck.jax_oracle import jax_forward_gradients, jax_gradients
from crosscheck.many import ManyCheck, assert_cases, check_cases
from crosscheck.numeric import numeric_gradients
from crosscheck.oracles import ORACLES, CaseCheck, assert_case, check_case
from crosscheck.tolerances import AUTOGRAD, FINITE_DIFFERENCES, Tolerance
from crosscheck.torch_oracle import torch_gradients

__all__ = [
    "AUTOGRAD",
    "FINITE_DIFFERENCES",
    "ORACLES",
    "Case",
    "CaseCheck",
    "Comparison",
    "ManyCheck",
    "TensorCheck",
    "Tolerance",
    "assert_case",
    "assert_cases",
    "assert_gradients_close",
    "check_case",
    "check_cases",
    "compare",
    "jax_forward_gradients",
    "jax_gradients",
    "numeric_gradients",
    "torch_gradients",
]
