"""The cross-check: an implementation of backpropagation (by default the reference)
against PyTorch, JAX and finite differences, element by element.

The pipeline (`crosscheck.check`): a case → the implementation under test → the oracles
(`crosscheck.oracles`) → the judge (`crosscheck.judge`) → a result with `.ok`,
`.report()`, `.markdown()`, `.as_dict()` and `.assert_ok()`. Your own backprop is checked
by `check_implementation` (`crosscheck.verify`), in its own convention.

Only parameters, data and the activation and loss *names* flow from the reference to
the oracles; every oracle computes with its own functions (docs/DESIGN.md, rule 1).
"""

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crosscheck.case import REFERENCE, Case, Implementation, Stack
    from crosscheck.check import check_case, check_cases, compare, step_check
    from crosscheck.convention import CONVENTIONS, Convention
    from crosscheck.implementations import implementation
    from crosscheck.isolation import Submission
    from crosscheck.judge import TensorCheck
    from crosscheck.oracles import ORACLES, oracle_gradients
    from crosscheck.results import CaseCheck, Comparison, ManyCheck
    from crosscheck.tolerances import AUTOGRAD, FINITE_DIFFERENCES, Tolerance
    from crosscheck.verify import ImplementationCheck, check_implementation

_PUBLIC = {
    "REFERENCE": "crosscheck.case",
    "Case": "crosscheck.case",
    "Implementation": "crosscheck.case",
    "Stack": "crosscheck.case",
    "check_case": "crosscheck.check",
    "check_cases": "crosscheck.check",
    "compare": "crosscheck.check",
    "step_check": "crosscheck.check",
    "CONVENTIONS": "crosscheck.convention",
    "Convention": "crosscheck.convention",
    "implementation": "crosscheck.implementations",
    "Submission": "crosscheck.isolation",
    "TensorCheck": "crosscheck.judge",
    "ORACLES": "crosscheck.oracles",
    "oracle_gradients": "crosscheck.oracles",
    "CaseCheck": "crosscheck.results",
    "Comparison": "crosscheck.results",
    "ManyCheck": "crosscheck.results",
    "AUTOGRAD": "crosscheck.tolerances",
    "FINITE_DIFFERENCES": "crosscheck.tolerances",
    "Tolerance": "crosscheck.tolerances",
    "ImplementationCheck": "crosscheck.verify",
    "check_implementation": "crosscheck.verify",
}
"""Where each public name lives. They are imported on first use (PEP 562), so that
`python -m crosscheck` reaches its signal handlers before NumPy and Hypothesis load, and a
Ctrl-C or SIGTERM at any moment of a run stops it with its one line."""


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    if importlib.util.find_spec(f"crosscheck.{name}") is not None:  # a submodule, as `import crosscheck` gave before
        return importlib.import_module(f"crosscheck.{name}")
    raise AttributeError(f"module 'crosscheck' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


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
    "Submission",
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
