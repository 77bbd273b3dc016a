"""The cross-check: an implementation of backpropagation (by default the reference)
against PyTorch, JAX and finite differences, element by element.

The pipeline (`crosscheck.check`): a case → the implementation under test → the oracles
(`crosscheck.oracles`) → the judge (`crosscheck.judge`) → a result with `.ok`,
`.report()`, `.markdown()`, `.as_dict()` and `.assert_ok()`. Your own backprop is checked
by `check_implementation` (`crosscheck.verify`), in its own convention.

Only parameters, data and the activation and loss *names* flow from the reference to
the oracles; every oracle computes with its own functions (docs/DESIGN.md, rule 1).
"""

from crosscheck.case import REFERENCE, Case, Implementation, Stack
from crosscheck.check import check_case, check_cases, compare, step_check
from crosscheck.implementations import CONVENTIONS, Convention, implementation
from crosscheck.judge import TensorCheck
from crosscheck.oracles import ORACLES, oracle_gradients
from crosscheck.results import CaseCheck, Comparison, ManyCheck
from crosscheck.tolerances import AUTOGRAD, FINITE_DIFFERENCES, Tolerance
from crosscheck.verify import ImplementationCheck, check_implementation

__all__ = [
    "AUTOGRAD",
    "CONVENTIONS",
    "FINITE_DIFFERENCES",
    "ORACLES",
    "REFERENCE",
    "Case",
    "CaseCheck",
    "Comparison",
    "Convention",
    "Implementation",
    "ImplementationCheck",
    "ManyCheck",
    "Stack",
    "TensorCheck",
    "Tolerance",
    "check_case",
    "check_cases",
    "check_implementation",
    "compare",
    "implementation",
    "oracle_gradients",
    "step_check",
]
