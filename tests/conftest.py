"""Hypothesis profiles, chosen by the HYPOTHESIS_PROFILE environment variable.

- dev (default): a quick run while editing.
- ci: deterministic (derandomized, no example database), more examples; what `.ci/run` uses.
- thorough: 10,000 examples per property test, random; run it with a few
  `--hypothesis-seed` values to hunt for false alarms.
- debug: one example, verbose, to step through a failure.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from hypothesis import HealthCheck, Verbosity, settings

_common = {"deadline": None, "print_blob": True, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=60, **_common)
settings.register_profile("ci", max_examples=200, derandomize=True, database=None, **_common)
settings.register_profile("thorough", max_examples=10_000, database=None, **_common)
settings.register_profile("debug", max_examples=1, verbosity=Verbosity.verbose, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# JAX compiles each (mode, dtype, bucket) once per process, 1-2 s each, a third of a
# short run. Its persistent cache keeps the compiled programs between runs of the suite
# (keyed by the program, the flags and the versions: a cache of executables, never of
# results). Set JAX_COMPILATION_CACHE_DIR yourself to move it, or to "" to turn it off.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".cache" / "jax"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


# Python's full (generation 2) garbage collections walk every object the process holds,
# and torch, JAX and Hypothesis hold about 700,000 of them: 15-20 full collections during
# a run and several at exit cost 3-5 s of a 45 s run. Objects that survive a full
# collection here are almost all modules, classes, functions and compiled programs that
# live until exit, so each full collection moves its survivors out of the collector's
# sight (gc.freeze); later collections walk only what was made since. This changes when
# cyclic garbage is freed, never what a test computes. (`freeze` is bound now: at exit
# the callback runs after sys.modules is torn down.)
def _freeze_survivors(phase: str, info: dict, freeze=gc.freeze) -> None:
    if phase == "stop" and info["generation"] == 2:
        freeze()


gc.callbacks.append(_freeze_survivors)


def pytest_sessionfinish(session, exitstatus):
    """With CROSSCHECK_RECORD=path, write the largest |diff|/tol seen per oracle and dtype."""
    path = os.environ.get("CROSSCHECK_RECORD")
    if path:
        import json

        from helpers import WORST

        with open(path, "w") as f:
            json.dump({f"{o} {d}": r for (o, d), r in sorted(WORST.items())}, f, indent=1)
