"""What a grade is, before any run (docs/DESIGN.md, "Grading a class"): the assignment (its
settings, from the defaults, assignment.toml and the command line, and the points of each test),
the submissions of a folder (a .py file, a package folder, a Jupyter notebook per student), and
the marks a verdict earns: one test per quantity (the cost, BP1, BP2, BP3, BP4, and the update
when one is asked for), each passing or failing on the verdict's evidence (`scored`).
`crosscheck.grading` runs the class.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crosscheck.convention import DECLARED

TESTS = ("cost", "BP1", "BP2", "BP3", "BP4", "update")
"""One test per quantity, walking back from the output: the cost C, δ^L, δ^l, ∂C/∂b, ∂C/∂W, and the update."""
WEIGHTS = {"cost": 1.0, "BP1": 2.0, "BP2": 2.0, "BP3": 1.0, "BP4": 2.0, "update": 2.0}
"""Each test's points unless the assignment gives others ([points] in its TOML); 0 leaves a test out."""
TITLES = {
    "cost": "the cost C",
    "BP1": "BP1: δ^L = ∇_a C ⊙ σ'(z^L)",
    "BP2": "BP2: δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)",
    "BP3": "BP3: ∂C/∂b^l = Σ δ^l",
    "BP4": "BP4: ∂C/∂W^l = δ^l (a^{l−1})ᵀ",
    "update": "the update W ← W − η ∂C/∂W",
}
CONFIG = "assignment.toml"
"""The assignment's configuration, looked for in SUBMISSIONS when --config is not given (never graded)."""
DEFAULTS: dict[str, Any] = {
    "function": "backprop",
    "update": None,
    "convention": "columns",
    "activation": "sigmoid",
    "output_activation": None,
    "loss": "quadratic",
    "cases": 300,
    "seed": 0,
    "file": None,
}
"""The assignment's settings when neither its TOML nor the command line gives them (cases: per dtype; file: the
graded file of a multi-file submission, on Gradescope)."""
CONVENTION_FIELDS: tuple[str, ...] = DECLARED  # the Convention's own list of what a user declares
STRUCTURE = ("sizes", "min_layers", "max_layers", "min_width", "max_width", "max_batch", "outputs", "dtypes")
LIMITS = ("time_limit", "memory_limit")
KEYS = (*DEFAULTS, *CONVENTION_FIELDS, *STRUCTURE, *LIMITS)
"""Every setting an assignment may hold (the TOML's top-level keys; the tables [points] and [messages] beside them)."""


TABLES = ("points", "messages", "visibility")
"""The assignment's tables: each test's points, the teacher's words per test, and Gradescope's visibility."""


class ConfigError(ValueError):
    """An assignment that cannot be graded as written: the message names the setting."""


# --- the assignment ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Assignment:
    """What every submission is checked against: its function's name (and its update's), the declarations
    (check_implementation's keyword arguments) and each test's points."""

    settings: dict[str, Any]
    weights: dict[str, float]
    """Each test's points ([points] in the TOML)."""
    messages: dict[str, str] = field(default_factory=dict)
    """The teacher's words per test ([messages]), shown with that test's output."""
    visibility: dict[str, str] = field(default_factory=dict)
    """When Gradescope shows each test to the student ([visibility]: visible, after_due_date, after_published or
    hidden; visible unless given)."""

    @property
    def function(self) -> str:
        return str(self.settings["function"])

    @property
    def update(self) -> str | None:
        update = self.settings.get("update")
        return None if update is None else str(update)

    @property
    def tests(self) -> tuple[str, ...]:
        """The tests scored: every test with points, the update's only when an update is asked for."""
        return tuple(t for t in TESTS if self.weights.get(t, 0) > 0 and (t != "update" or self.update))

    @property
    def max_score(self) -> float:
        return sum(self.weights[t] for t in self.tests)

    def options(self) -> dict[str, Any]:
        """check_implementation's keyword arguments (besides the functions)."""
        from crosscheck.convention import CONVENTIONS

        s = self.settings
        base = CONVENTIONS[s["convention"]]
        fields = {name: s[name] for name in CONVENTION_FIELDS if s.get(name) is not None}
        convention = replace(base, name=f"{base.name}, as assigned", **fields) if fields else base
        options: dict[str, Any] = {"convention": convention, "activation": s["activation"], "loss": s["loss"]}
        options |= {"output_activation": s.get("output_activation"), "cases": int(s["cases"]), "seed": int(s["seed"])}
        for name in (*STRUCTURE, *LIMITS):
            if s.get(name) is not None:
                options[name] = tuple(s[name]) if name in ("sizes", "dtypes") else s[name]
        return options

    def digest(self) -> str:
        """What a grade depends on besides the submission: the settings and the points."""
        made = {"settings": self.settings, "weights": self.weights, "messages": self.messages, "visibility": self.visibility}
        text = json.dumps(made, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def assignment(config: dict[str, Any], given: dict[str, Any]) -> Assignment:
    """The assignment from a TOML's contents and the command line's settings (these win), checked: an unknown
    setting or test, or points below 0, is a ConfigError naming it."""
    settings = dict(DEFAULTS)
    weights = dict(WEIGHTS)
    messages: dict[str, str] = {}
    visibility: dict[str, str] = {}
    if "points" in config and isinstance(config.get("weights"), dict):
        raise ConfigError("the assignment has both [points] and [weights]: keep [points] (the tests' points)")
    for key, value in config.items():
        if key == "points" or (key == "weights" and isinstance(value, dict)):
            weights |= _points(key, value)
        elif key == "messages":
            messages = _messages(value)
        elif key == "visibility":
            visibility = _visibility(value)
        elif key not in KEYS:
            raise ConfigError(
                f"the assignment has no setting {key!r}{_closest(key, [*KEYS, *TABLES])}; the settings: {', '.join(KEYS)}, "
                "and the tables [points], [messages] and [visibility]"
            )
        else:
            settings[key] = value
    settings |= {k: v for k, v in given.items() if v is not None}
    made = Assignment(settings, weights, messages, visibility)
    if not made.tests:
        raise ConfigError("every test has 0 points: nothing would be graded")
    try:
        made.options()
    except (TypeError, ValueError) as error:
        raise ConfigError(f"the assignment's declarations: {error}") from None
    return made


def _points(table: str, value: Any) -> dict[str, float]:
    """[points] (or the older [weights], read the same): each test's points."""
    if not isinstance(value, dict):
        raise ConfigError(f"[{table}] must be a table of points per test ({', '.join(TESTS)}), got {value!r}")
    points = {}
    for test, given in value.items():
        if test not in TESTS:
            raise ConfigError(f"[{table}] names no test {test!r}{_closest(test, TESTS)}; the tests: {', '.join(TESTS)}")
        if isinstance(given, bool) or not isinstance(given, (int, float)) or given < 0:
            raise ConfigError(f"[{table}] {test} must be a number of points >= 0, got {given!r}")
        points[test] = float(given)
    return points


def _messages(value: Any) -> dict[str, str]:
    """[messages]: the teacher's own words per test, added to that test's output for every student."""
    if not isinstance(value, dict):
        raise ConfigError(f"[messages] must be a table of text per test ({', '.join(TESTS)}), got {value!r}")
    for test, text in value.items():
        if test not in TESTS:
            raise ConfigError(f"[messages] names no test {test!r}{_closest(test, TESTS)}; the tests: {', '.join(TESTS)}")
        if not isinstance(text, str):
            raise ConfigError(f"[messages] {test} must be text, got {text!r}")
    return dict(value)


VISIBILITY = ("visible", "after_due_date", "after_published", "hidden")
"""Gradescope's visibility settings for a test."""


def _visibility(value: Any) -> dict[str, str]:
    """[visibility]: each test's Gradescope visibility."""
    if not isinstance(value, dict):
        raise ConfigError(f"[visibility] must be a table of {', '.join(VISIBILITY)} per test, got {value!r}")
    for test, when in value.items():
        if test not in TESTS:
            raise ConfigError(f"[visibility] names no test {test!r}{_closest(test, TESTS)}; the tests: {', '.join(TESTS)}")
        if when not in VISIBILITY:
            closest = _closest(str(when), VISIBILITY)
            raise ConfigError(f"[visibility] {test} must be one of {', '.join(VISIBILITY)}{closest}, got {when!r}")
    return dict(value)


def _closest(word: str, names: Sequence[str]) -> str:
    """ ", did you mean 'x'?" naming the closest valid name, or ""."""
    import difflib

    found = difflib.get_close_matches(word, names, n=1, cutoff=0.6) or difflib.get_close_matches(
        word.lower(), [n.lower() for n in names], n=1, cutoff=0.6
    )
    if not found:
        return ""
    best = next((n for n in names if n.lower() == found[0].lower()), found[0])
    return f" (did you mean {best!r}?)"


def read_config(path: Path) -> dict[str, Any]:
    """A TOML file's contents (tomllib, or tomli before Python 3.11)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ConfigError(f"reading {path} needs Python 3.11 or `pip install tomli`") from None
    try:
        with open(path, "rb") as f:
            return dict(tomllib.load(f))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None


# --- the submissions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One student's submission: who (the file's or folder's name), where, and what kind."""

    student: str
    path: str
    kind: str
    """"module" (a .py file), "package" (a folder with __init__.py) or "notebook" (.ipynb)."""
    home: str = ""
    """The folder of a multi-file submission (Gradescope's): its other modules import by name beside it."""

    def digest(self) -> str:
        """The submission's bytes (every file of a package or a multi-file folder), hashed: a changed one is regraded."""
        digest = hashlib.sha256()
        path = Path(self.home or self.path)
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
            digest.update(file.read_bytes())
        return digest.hexdigest()[:16]


def one_submission(folder: Path, function: str, file: str | None) -> Entry:
    """One student's submission as Gradescope hands it over (/autograder/submission): a folder of their files, one
    of which (`file`, or else the one file that defines `function`) holds the function; the others are helpers it
    may import. A file, or a package folder, is that submission itself."""
    import re

    if folder.is_file() or (folder / "__init__.py").exists():
        return submissions(folder)[0][0]
    if file is not None:
        path = folder / file
        if not path.is_file() or _kind(path) is None:
            raise ConfigError(f"the assignment's file = {file!r}: the submission holds no such .py file or notebook")
    else:
        files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        code = [p for p in files if p.suffix in (".py", ".ipynb")]
        pattern = re.compile(rf"(^|\\n|\n)\s*def {re.escape(function)}\s*\(", re.MULTILINE)
        defining = [p for p in code if pattern.search(p.read_text(errors="replace"))]
        if len(defining) != 1:
            names = ", ".join(str(p.relative_to(folder)) for p in defining or code) or "no .py file or notebook"
            what = "more than one file defines" if defining else "no file defines"
            raise ConfigError(f'{what} {function}() in the submission ({names}): name the one graded with file = "..."')
        path = defining[0]
    return Entry(folder.name, str(path), "notebook" if path.suffix == ".ipynb" else "module", home=str(folder))


def submissions(folder: Path) -> tuple[list[Entry], list[str]]:
    """The entries of SUBMISSIONS (a folder, or one submission's own file), and the names ignored there."""
    if folder.is_file() or (folder.is_dir() and (folder / "__init__.py").exists()):
        kind = _kind(folder)
        if kind is None:
            raise ConfigError(f"{folder} is not a submission: a .py file, a package folder or a .ipynb notebook")
        return [Entry(_student(folder), str(folder), kind)], []
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder of submissions")
    found: list[Entry] = []
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        kind = _kind(path)
        if path.name.startswith((".", "_")) or path.name == CONFIG or kind is None:
            if not path.name.startswith((".", "_")) and path.name != CONFIG:
                ignored.append(path.name)
            continue
        found.append(Entry(_student(path), str(path), kind))
    named = Counter(e.student for e in found)
    found = [replace(e, student=Path(e.path).name) if named[e.student] > 1 else e for e in found]
    return found, ignored


def _kind(path: Path) -> str | None:
    if path.is_dir():
        return "package" if (path / "__init__.py").exists() else None
    return {".py": "module", ".ipynb": "notebook"}.get(path.suffix)


def _student(path: Path) -> str:
    return path.stem if path.is_file() else path.name


# --- scoring a verdict ---------------------------------------------------------------------------
def cut_short(result: Any) -> bool:
    """Whether the check stopped before every case was judged (a hang, a death, the rest not run)."""
    return bool(result.counts.not_finished or result.counts.not_run)


def too_few_judged(result: Any) -> str:
    """Why an agreement decides nothing, or "": a dtype the assignment draws with no case judged (every case of it
    on a kink or within rounding of a clip's bound, or none asked), so a pass would rest on nothing compared."""
    empty = [dtype for dtype, asked in result.counts.asked.items() if asked and not result.counts.judged.get(dtype)]
    if result.failure is not None or (result.counts.checked and not empty):
        return ""
    return (
        f"not judged: too few cases could be judged to grade this ({result.counts.checked:,} of "
        f"{result.counts.total:,} drawn; none in {', '.join(empty) or 'any dtype'}): the assignment's settings leave "
        "too few, not your code"
    )


def scored(result: Any, chosen: Assignment) -> list[dict[str, Any]]:
    """Each test's score from the verdict (docs/DESIGN.md, "Grading a class"):

    - nothing loaded, or cases that did not finish: every test 0, the report its output;
    - every case agrees but a dtype drawn has none judged: every test "not judged", saying so (0 points);
    - every case agrees: every gradient test passes; the cost's only if your function returns the cost;
    - a failure: the equation the diagnosis names fails (on the case where your code runs, when it raised
      on the minimal one), those before it (walking back from the output) pass, and those after it are
      not judged (their values carry its error: 0 points), except that BP3 and BP4 are judged apart;
    - the update: passes when every update checked agrees with the frameworks' own step."""
    report = result.report()
    tests = [t for t in chosen.tests if t != "update"]
    too_few = too_few_judged(result)
    if result.unchecked or (cut_short(result) and result.failure is None) or (result.failure and result.failure.unfinished):
        why = "not judged: " + result.summary()
        marks = {t: _mark(t, chosen, "failed", report if t == tests[0] else why) for t in tests}
    elif too_few:
        marks = {t: _mark(t, chosen, "failed", too_few) for t in tests}
    else:
        marks = _gradient_marks(result, chosen, tests, report)
    if "update" in chosen.tests:
        marks["update"] = _update_mark(result, chosen, report)
    for test, said in chosen.messages.items():
        if test in marks:
            marks[test]["output"] += f"\n\nFrom your teacher: {said}"
    return [marks[t] for t in chosen.tests]


def _mark(test: str, chosen: Assignment, status: str, output: str, equation: str = "", slip: Any = None) -> dict[str, Any]:
    return {
        "name": test,
        "title": TITLES[test],
        "status": status,
        "score": chosen.weights[test] if status == "passed" else 0.0,
        "max_score": chosen.weights[test],
        "output": output,
        "judged": not output.startswith("not judged"),
        "equation": equation,
        "slip": "" if slip is None else slip.key,
        "slip_text": "" if slip is None else slip.text,
    }


def _gradient_marks(result: Any, chosen: Assignment, tests: list[str], report: str) -> dict[str, dict[str, Any]]:
    """The cost and BP1-BP4 from a check that ran to its end."""
    failure = result.failure
    if failure is None:
        agrees = f"agrees with the oracles on all {result.counts.checked:,} cases judged"
        marks = {t: _mark(t, chosen, "passed", agrees) for t in tests}
    else:
        shown = failure.revealed or failure
        departed = {(t.quantity, t.layer) for c in shown.comparisons.values() for t in c.tensors if not t.ok}
        found = failure.found
        slip = found.slips[0] if found is not None and found.slips else None
        # The diagnosis decides which equation broke, the gradients' with the cost aside too (the report the
        # student reads says both): the tests read it.
        equation = "" if found is None else found.gradients
        cost_off = ("loss", None) in departed or (found is not None and found.equation == "loss")
        marks = _chain(chosen, shown, departed, equation, (found.equation if found is not None else equation, slip), report)
        marks["cost"] = (
            _mark("cost", chosen, "failed", report, "loss", slip if equation == "" else None)
            if cost_off
            else _mark("cost", chosen, "passed", "agrees on the failing case (the first quantity compared)")
        )
    if "loss" not in result.given and marks["cost"]["status"] == "passed":
        # `given` counts the answers read whole; one misshapen elsewhere can still carry a cost that was compared
        shown = failure.revealed or failure if failure is not None else None
        compared = shown is not None and any(
            t.quantity == "loss" and t.problem is None for c in shown.comparisons.values() for t in c.tensors
        )
        misshapen = shown is not None and any(t.problem is not None for c in shown.comparisons.values() for t in c.tensors)
        if misshapen and not compared:
            why = "not judged: your code did not answer in the assignment's form (see the first failing test's output)"
            marks["cost"] = _mark("cost", chosen, "failed", why)
        elif not compared:
            marks["cost"] = _mark("cost", chosen, "failed", "your function returns no cost (return a dict with 'loss')")
    return {t: marks[t] for t in tests}


def _chain(
    chosen: Assignment, shown: Any, departed: set[Any], equation: str, named: tuple[str, Any], report: str
) -> dict[str, dict[str, Any]]:
    """BP1-BP4 on a failing case: the equation blamed fails, those before it pass, those after it are not judged
    (BP3 and BP4 are judged apart, by their own tensors); a case your code could not answer fails them all."""
    chain = ["BP1", "BP2", "BP3", "BP4"]
    blamed = {"L2": "BP4"}.get(equation, equation)
    if blamed not in chain and any(t.problem is not None for c in shown.comparisons.values() for t in c.tensors):
        wrong_form = "not judged: your code did not answer in the right form"
        return {t: _mark(t, chosen, "failed", report if t == "BP1" else wrong_form) for t in chain}
    marks = {}
    for t in chain:
        if blamed == "":
            marks[t] = _mark(t, chosen, "passed", "agrees (only the cost departs)")
        elif t == blamed:
            marks[t] = _mark(t, chosen, "failed", report, *named)
        elif blamed in ("BP3", "BP4") and t in ("BP3", "BP4"):
            off = any(q == ("weights" if t == "BP4" else "biases") for q, _ in departed)
            marks[t] = _mark(t, chosen, "failed" if off else "passed", report if off else "agrees")
        elif chain.index(t) < chain.index(blamed):
            marks[t] = _mark(t, chosen, "passed", "agrees (it comes before the first quantity that departs)")
        else:
            marks[t] = _mark(t, chosen, "failed", f"not judged: its values carry the error of {blamed}, which fails")
    return marks


def _update_mark(result: Any, chosen: Assignment, report: str) -> dict[str, Any]:
    if result.unchecked:
        return _mark("update", chosen, "failed", "not judged: " + result.summary())
    if result.step_failure is not None:
        from crosscheck.findings import SLIPS, Slip

        slip = next((Slip(k, SLIPS[k]) for k in result.step_slips), None)
        return _mark("update", chosen, "failed", report, "update", slip)
    if not result.steps:
        return _mark("update", chosen, "failed", "not judged: no update was checked (" + result.summary() + ")")
    return _mark("update", chosen, "passed", f"agrees with the frameworks' own step on all {result.steps:,} updates checked")
