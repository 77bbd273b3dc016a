"""Hypothesis profiles, chosen by the HYPOTHESIS_PROFILE environment variable.

- dev (default): a quick run while editing.
- ci: deterministic (derandomized, no example database), more examples; what `.ci/run` uses.
- thorough: 10,000 examples per property test, random; run it with a few
  `--hypothesis-seed` values to hunt for false alarms.
- debug: one example, verbose, to step through a failure.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Verbosity, settings

_common = {"deadline": None, "print_blob": True, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=60, **_common)
settings.register_profile("ci", max_examples=200, derandomize=True, database=None, **_common)
settings.register_profile("thorough", max_examples=10_000, database=None, **_common)
settings.register_profile("debug", max_examples=1, verbosity=Verbosity.verbose, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_sessionfinish(session, exitstatus):
    """With CROSSCHECK_RECORD=path, write the largest |diff|/tol seen per oracle and dtype."""
    path = os.environ.get("CROSSCHECK_RECORD")
    if path:
        import json

        from helpers import WORST

        with open(path, "w") as f:
            json.dump({f"{o} {d}": r for (o, d), r in sorted(WORST.items())}, f, indent=1)
