"""Gradescope's autograder for an assignment: `python -m crosscheck grade --autograder assignment.toml --out
autograder.zip` (docs/DESIGN.md, "Gradescope").

The zip holds, at its root, what Gradescope's specification asks for: `setup.sh` (run once, as root, when the
autograder's image is built: installs this project, from the copy in the zip, with PyTorch's CPU build and JAX)
and `run_autograder` (run per submission: grades /autograder/submission, one student's files, with `grade
--gradescope`, and writes /autograder/results/results.json, a results file even when grading itself fails), and
beside them the assignment (its settings, points, messages, visibility and seed: the student never sees this
file) and the project's source.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The project: its source goes into the zip, installed there by setup.sh."""
PACKAGES = ("crosscheck", "reference")
GRADESCOPE_TIMEOUT = 600
"""Seconds Gradescope gives an autograder run unless the assignment's settings raise it (its documented default)."""

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
cd /autograder/source
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get install -y python3 python3-pip python3-venv
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
# PyTorch's CPU build first (PyPI's default build for Linux carries CUDA: gigabytes the grader never uses).
/autograder/venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
/autograder/venv/bin/pip install './project[torch,jax]'
chmod +x /autograder/source/run_autograder
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT and CROSSCHECK_PYTHON let a test run it elsewhere.
set -u
root="${AUTOGRADER_ROOT:-/autograder}"
python="${CROSSCHECK_PYTHON:-$root/venv/bin/python}"
mkdir -p "$root/results"
rm -f "$root/results/results.json"
"$python" -m crosscheck grade "$root/submission" --config "$root/source/assignment.toml" \\
  --gradescope "$root/results/results.json" --out "$root/grades" --fresh --workers 1 --quiet 2> "$root/grades.err"
status=$?
cat "$root/grades.err" >&2
if [ ! -s "$root/results/results.json" ]; then
  # Grading itself failed (no file defines the function, say): the student sees why, never an autograder error.
  "$python" - "$root/grades.err" "$root/results/results.json" "$status" <<'PY'
import json, sys
said = open(sys.argv[1], errors="replace").read().strip().splitlines()
why = said[-1].removeprefix("python -m crosscheck grade: ") if said else f"the grader exited with status {sys.argv[3]}"
json.dump({"score": 0.0, "output": f"Your submission could not be graded: {why}", "tests": []}, open(sys.argv[2], "w"))
PY
fi
exit 0
"""


def build(config: Path) -> bytes:
    """The autograder zip for the assignment `config` (which the caller has read and checked: `grade --autograder`
    refuses an assignment that cannot be graded before it writes anything)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", SETUP.encode(), executable=True)
        _add(archive, "run_autograder", RUN.encode(), executable=True)
        _add(archive, "assignment.toml", config.read_bytes())
        for name in ("pyproject.toml", "README.md"):
            _add(archive, f"project/{name}", (ROOT / name).read_bytes())
        for package in PACKAGES:
            for path in sorted((ROOT / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".md", ".json", ".txt"):
                    _add(archive, f"project/{path.relative_to(ROOT).as_posix()}", path.read_bytes())
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # the same bytes for the same sources
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o755 if executable else 0o644) << 16
    archive.writestr(info, data)


def timing_note(seconds: float, cases: int) -> str:
    """A submission's grading time against Gradescope's default limit."""
    share = seconds / GRADESCOPE_TIMEOUT
    return (
        f"grading this submission took {seconds:.0f} s at cases = {cases} per dtype, {share:.0%} of Gradescope's default "
        f"autograder timeout ({GRADESCOPE_TIMEOUT // 60} minutes; Gradescope's machines may be slower: raise the timeout in "
        "the assignment's settings, or lower cases, if it comes near)"
    )
