"""Hypothesis profiles, chosen by the HYPOTHESIS_PROFILE environment variable.

- dev (default): a quick run while editing.
- ci: deterministic (derandomized, no example database), more examples; what `.ci/run` uses.
- thorough: 10,000 examples per property test, random; run it with a few
  `--hypothesis-seed` values to hunt for false alarms.
- debug: one example, verbose, to step through a failure.

The default (dev) run is the quick one, on every core (pytest-xdist, `-n auto` in
pyproject.toml): tests marked `slow` (the soak's processes, the CLI in subprocesses, the
README's examples, the diagnosis of every buggy implementation and mutant) are skipped
there, saying so, and run under the ci and thorough profiles (`.ci/run` uses ci). Tests
marked `thorough` (a long sweep past the row that decides it in CI) run under thorough alone.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Verbosity, settings

_common = {"deadline": None, "print_blob": True, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=60, **_common)
settings.register_profile("ci", max_examples=200, derandomize=True, database=None, **_common)
settings.register_profile("thorough", max_examples=10_000, database=None, **_common)
settings.register_profile("debug", max_examples=1, verbosity=Verbosity.verbose, **_common)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)

# JAX compiles each (mode, dtype, bucket) once per process, a large share of a short
# run. Its persistent cache keeps the compiled programs between runs of the suite
# (keyed by the program, the flags and the versions: a cache of executables, never of
# results). Set JAX_COMPILATION_CACHE_DIR yourself to move it, or to "" to turn it off.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".cache" / "jax"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")

# torch, JAX and Hypothesis hold hundreds of thousands of objects, and each full
# (generation 2) garbage collection walks all of them. Allowing one only every 100
# generation-1 collections (10 by default) halves their count. Only when cyclic garbage
# is freed changes, never what a test computes.
gc.set_threshold(gc.get_threshold()[0], gc.get_threshold()[1], 100)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Spare the interpreter's exit its full collections (seconds of walking those objects).

    gc.freeze hides every object alive now from the collector, so a reference cycle left
    at exit gets no finalizer (the OS takes the memory back). Only at the very end: a
    frozen object is also hidden from gc.get_referrers, which Hypothesis uses to vet the
    random generators it manages (freezing during the run made it warn, an error here)."""
    gc.freeze()


def pytest_sessionfinish(session, exitstatus):
    """With CROSSCHECK_RECORD=path, write the largest |diff|/tol seen per oracle and dtype."""
    path = os.environ.get("CROSSCHECK_RECORD")
    if path:
        import json

        from helpers import WORST

        with open(path, "w") as f:
            json.dump({f"{o} {d}": r for (o, d), r in sorted(WORST.items())}, f, indent=1)


def pytest_collection_modifyitems(config, items):
    """Under the quick dev profile, skip the tests marked slow; under dev and ci, those marked thorough (the
    long sweeps, run with HYPOTHESIS_PROFILE=thorough). Each says where it runs."""
    if config.getoption("markexpr"):
        return
    slow = pytest.mark.skip(reason="slow: runs with HYPOTHESIS_PROFILE=ci or thorough, as CI does")
    thorough = pytest.mark.skip(reason="a long sweep: runs with HYPOTHESIS_PROFILE=thorough")
    for item in items:
        if item.get_closest_marker("thorough") and PROFILE != "thorough":
            item.add_marker(thorough)
        elif item.get_closest_marker("slow") and PROFILE == "dev":
            item.add_marker(slow)
