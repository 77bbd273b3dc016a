"""Grade a class: `python -m crosscheck grade SUBMISSIONS` (docs/DESIGN.md, "Grading a class").

SUBMISSIONS is a folder with one entry per student: a .py file, a package folder (with its
__init__.py) or a Jupyter notebook. Every submission is checked by `check_implementation` with
the assignment's declarations, its code in a process of its own (`crosscheck.isolation`), on the
same drawn cases (one seed per assignment), and scored by the derivation: one test per quantity
(the cost, BP1, BP2, BP3, BP4, and the update when one is asked for), each passing or failing on
the verdict's evidence (`crosscheck.marking`, which also reads the assignment and finds the
submissions). Students are graded in parallel on the local cores, or on a
Dask cluster; each finished grade is kept at once (OUT/state/STUDENT.json, written atomically),
so an interrupted run loses none and `--resume` goes on from them.

Outputs (OUT): grades.csv (a row per student), grades.json (everything), gradescope/STUDENT.json
(Gradescope's results.json per submission), summary.md and summary.png (which equations and
which slips were broken, and how often).
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crosscheck.containment import Cage
from crosscheck.marking import (
    CONFIG,
    CONVENTION_FIELDS,
    DEFAULTS,
    LIMITS,
    STRUCTURE,
    TITLES,
    Assignment,
    ConfigError,
    Entry,
    assignment,
    cut_short,
    one_submission,
    read_config,
    scored,
    submissions,
)


# --- grading one submission (in a worker) ------------------------------------------------------------
def grade_one(entry: Entry, chosen: Assignment, cage: Cage | None = None) -> dict[str, Any]:
    """One student's grade, as data: each test's score and output, the equation and slip named, the report. With
    `cage`, the submission's code runs contained (`crosscheck.containment`)."""
    from crosscheck.findings import for_a_student

    with for_a_student():  # said to a student: nothing about the tool's declarations, which the assignment fixed
        return _graded(entry, chosen, cage)


def _graded(entry: Entry, chosen: Assignment, cage: Cage | None) -> dict[str, Any]:
    from crosscheck.isolation import Submission
    from crosscheck.verify import check_implementation

    start = time.perf_counter()
    update = Submission(entry.path, chosen.update, entry.home) if chosen.update else None
    graded = Submission(entry.path, chosen.function, entry.home)
    result = check_implementation(graded, update=update, contain=cage, **chosen.options())
    tests = scored(result, chosen)
    failing = next((t for t in tests if t["status"] == "failed"), None)
    # The student reads this: the grader's folders are not theirs (a snippet names the submission's own file).
    folder = os.path.dirname(os.path.abspath(entry.path)) + os.sep

    def theirs(text: str) -> str:
        return (text.replace(repr(entry.home), "'.'") if entry.home else text).replace(folder, "")

    for test in tests:
        test["output"] = theirs(test["output"])
    return {
        "student": entry.student,
        "submission": entry.path,
        "kind": entry.kind,
        "digest": entry.digest(),
        "assignment": chosen.digest(),
        "status": "not loaded" if result.unchecked else ("did not finish" if cut_short(result) else "graded"),
        "score": sum(t["score"] for t in tests),
        "max_score": chosen.max_score,
        "tests": tests,
        "equation": failing["equation"] if failing else "",
        "slip": failing["slip"] if failing else "",
        "slip_text": failing["slip_text"] if failing else "",
        "verdict": theirs(result.summary()),
        "report": theirs(result.report()),
        "seconds": round(time.perf_counter() - start, 2),
    }


# --- a run over the class ----------------------------------------------------------------------------
@dataclass
class Run:
    """A class's grading: the records kept (by student), the ones regraded, and those that could not be graded."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    """Students whose grade an earlier run left (--resume), not graded again."""
    lost: dict[str, str] = field(default_factory=dict)
    """Students that could not be graded by this run (their grader was lost twice, the cluster went), and why."""
    found: dict[str, str] = field(default_factory=dict)
    """Every submission of the class, by student: its path (a row of grades.csv each, graded or not)."""
    added: list[str] = field(default_factory=list)
    """Submissions that appeared after the class's first run began: --resume does not grade them."""


class ClusterLost(Exception):
    """The Dask cluster went away: what was graded is kept."""


def previous(out: Path) -> dict[str, dict[str, Any]]:
    """The grades an earlier run kept in OUT/state (each a JSON file written atomically)."""
    state = out / "state"
    found = {}
    if state.is_dir():
        for path in sorted(state.glob("*.json")):
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # a file being replaced when the run stopped: graded again
            found[str(record.get("student"))] = record
    return found


def keep(out: Path, record: dict[str, Any]) -> None:
    """One finished grade, kept at once (written atomically)."""
    from crosscheck.outputs import atomic_write

    state = out / "state"
    state.mkdir(parents=True, exist_ok=True)
    atomic_write(state / f"{_safe(record['student'])}.json", json.dumps(record, indent=1), kept=True)


def _safe(student: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in student)


Progress = Callable[[str, int, int, int], None]
"""progress(stage, done, total, failing)."""


def grade(  # noqa: PLR0913 (keywords: how and where the class is graded)
    entries: Sequence[Entry],
    chosen: Assignment,
    out: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    cage: Cage | None = None,
    progress: Progress | None = None,
    say: Callable[[str], None] = print,
) -> Run:
    """Every entry graded (or its kept grade reused with --resume when neither it nor the assignment changed;
    a changed one is regraded, and said so), each grade kept as it finishes. The class is the entries found
    when the first run began (OUT/state/roster): --resume grades no submission that appeared since."""
    run = Run()
    earlier = previous(out) if resume else {}
    roster = _roster(out, entries, resume)
    run.found = {e.student: e.path for e in entries}
    run.added = sorted(e.student for e in entries if e.student not in roster)
    if run.added:
        say(f"not graded: {', '.join(run.added)} appeared in the class's folder after its first run began (--fresh grades them)")
    todo = []
    for entry in (e for e in entries if e.student in roster):
        old = earlier.get(entry.student)
        if old is not None and old.get("digest") == entry.digest() and old.get("assignment") == chosen.digest():
            run.records[entry.student] = old
            run.kept.append(entry.student)
        else:
            if old is not None:
                say(f"regrading {entry.student}: its submission or the assignment changed since it was graded")
            todo.append(entry)
    total, failing = sum(e.student in roster for e in entries), sum(r["score"] < r["max_score"] for r in run.records.values())

    def finished(record: dict[str, Any]) -> None:
        nonlocal failing
        keep(out, record)
        run.records[record["student"]] = record
        failing += record["score"] < record["max_score"]
        if progress is not None:
            progress("grading", len(run.records), total, failing)

    if progress is not None:
        progress("grading", len(run.records), total, failing)
    if scheduler is not None:
        _on_cluster(todo, chosen, cage, scheduler, finished, run)
    elif workers <= 1 or len(todo) <= 1:
        for entry in todo:
            finished(grade_one(entry, chosen, cage))
    else:
        _in_processes(todo, chosen, cage, workers, finished, run)
    return run


def _roster(out: Path, entries: Sequence[Entry], resume: bool) -> set[str]:
    """The class: the students found when its first run began (kept in OUT/state/roster), or, on a fresh
    run, those found now (and kept)."""
    from crosscheck.outputs import atomic_write

    path = out / "state" / "roster"
    if resume:
        try:
            return set(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            pass  # a run from before rosters were kept, or none: the class is what is found now
    (out / "state").mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(sorted(e.student for e in entries)), kept=True)
    return {e.student for e in entries}


def _in_processes(
    todo: list[Entry],
    chosen: Assignment,
    cage: Cage | None,
    workers: int,
    finished: Callable[[dict[str, Any]], None],
    run: Run,
) -> None:
    """The entries graded by `workers` processes of this machine (spawned: each imports the frameworks once). A
    grader process that dies takes its pool with it: the entries not finished are given to a new pool, once."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    tries: Counter[str] = Counter()
    left = list(todo)
    while left:
        context = multiprocessing.get_context("spawn")
        share = max(1, (os.cpu_count() or 1) // workers)
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_threads, initargs=(share,))
        futures = {pool.submit(grade_one, entry, chosen, cage): entry for entry in left}
        broken = False
        try:
            for future in as_completed(futures):
                try:
                    finished(future.result())
                except BrokenProcessPool:
                    broken = True
                    break
        finally:
            pool.shutdown(wait=not broken, cancel_futures=True)
        done = set(run.records)
        left = [e for e in left if e.student not in done]
        for entry in left:
            tries[entry.student] += 1
            if tries[entry.student] > 1:
                run.lost[entry.student] = "its grader process died twice"
        left = [e for e in left if e.student not in run.lost]


def _threads(share: int) -> None:
    """A grader process's share of the cores for the frameworks' thread pools (OpenMP, BLAS), set before they load:
    two graders each spinning threads on every core slow each other on small arrays (Dask's workers do the same)."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(share))


def _on_cluster(
    todo: list[Entry],
    chosen: Assignment,
    cage: Cage | None,
    address: str,
    finished: Callable[[dict[str, Any]], None],
    run: Run,
) -> None:
    """The entries graded on the Dask cluster at `address`; a lost worker's entry is regraded once (retries=1);
    a lost cluster (its futures cancelled, its connection closed) raises ClusterLost after keeping what finished."""
    from concurrent.futures import CancelledError

    from distributed import Client, KilledWorker, as_completed

    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as error:
        raise ClusterLost(f"no Dask scheduler answered at {address} ({type(error).__name__})") from None
    try:
        futures = {client.submit(grade_one, entry, chosen, cage, retries=1, pure=False): entry for entry in todo}
        for future in as_completed(futures):
            entry = futures[future]
            try:
                finished(future.result())
            except KilledWorker:  # the workers grading this entry died twice
                run.lost[entry.student] = "its grader's worker died twice on the cluster (KilledWorker)"
            except Exception as error:
                if isinstance(error, (OSError, TimeoutError, CancelledError)) or client.status != "running":
                    raise ClusterLost(f"the cluster at {address} went away ({type(error).__name__})") from None
                run.lost[entry.student] = f"its grader failed on the cluster ({type(error).__name__}: {error})"
    finally:
        client.close()


# --- outputs ------------------------------------------------------------------------------------------
def write_outputs(run: Run, chosen: Assignment, out: Path, ignored: Iterable[str] = ()) -> list[Path]:
    """grades.csv, grades.json, gradescope/STUDENT.json, summary.md and summary.png (when matplotlib is
    installed), each written atomically; the paths written."""
    from crosscheck.outputs import atomic_write

    records = [run.records[s] for s in sorted(run.records)]
    written = []
    for name, text in (
        ("grades.csv", _csv(records, chosen, run)),
        ("grades.json", json.dumps(_everything(records, chosen, run, list(ignored)), indent=1)),
        ("summary.md", summary(records, chosen, run, list(ignored))),
    ):
        atomic_write(out / name, text)
        written.append(out / name)
    (out / "gradescope").mkdir(parents=True, exist_ok=True)
    for record in records:
        path = out / "gradescope" / f"{_safe(record['student'])}.json"
        atomic_write(path, json.dumps(gradescope(record, chosen), indent=1))
        written.append(path)
    chart = _chart(records)
    if chart is not None:
        atomic_write(out / "summary.png", chart)
        written.append(out / "summary.png")
    return written


def _csv(records: list[dict[str, Any]], chosen: Assignment, run: Run) -> str:
    """A row per submission found, graded or not: its score and each test's, its status, and why when it has no
    grade of its own ("not loaded", "did not finish", "not graded", "not in the class's first run")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    head = ["student", "score", "max_score", *chosen.tests, "status", "equation", "slip", "seconds", "submission", "reason"]
    writer.writerow(head)
    graded = {r["student"]: r for r in records}
    for student in sorted({*graded, *run.found}):
        r = graded.get(student)
        if r is None:
            why = run.lost.get(student) or ("appeared after the class's first run began" if student in run.added else "")
            status = "not graded" if student in run.lost else "not in the class's first run"
            blank = [""] * len(chosen.tests)
            writer.writerow([student, "", _number(chosen.max_score), *blank, status, "", "", "", run.found.get(student, ""), why])
            continue
        scores = {t["name"]: t["score"] for t in r["tests"]}
        points = [_number(scores.get(t, 0)) for t in chosen.tests]
        reason = "" if r["status"] == "graded" else r["verdict"]
        named = [r["status"], r["equation"], r["slip"], r["seconds"], r["submission"], reason]
        writer.writerow([r["student"], _number(r["score"]), _number(r["max_score"]), *points, *named])
    return buffer.getvalue()


def _number(value: float) -> str:
    return f"{value:g}"


def _everything(records: list[dict[str, Any]], chosen: Assignment, run: Run, ignored: list[str]) -> dict[str, Any]:
    return {
        "assignment": {"settings": chosen.settings, "weights": chosen.weights, "tests": list(chosen.tests)},
        "students": records,
        "not_graded": run.lost,
        "ignored": ignored,
    }


def gradescope(record: dict[str, Any], chosen: Assignment) -> dict[str, Any]:
    """A submission's grade in Gradescope's results.json schema: score, execution_time, output and tests
    (name, number, score, max_score, status, output, visibility: the assignment's [visibility], else visible)."""
    return {
        "score": record["score"],
        "execution_time": record["seconds"],
        "output": record["verdict"],
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": t["title"],
                "number": str(i),
                "score": t["score"],
                "max_score": t["max_score"],
                "status": t["status"],
                "output": t["output"],
                "output_format": "text",
                "visibility": chosen.visibility.get(t["name"], "visible"),
            }
            for i, t in enumerate(record["tests"], start=1)
        ],
    }


def broken(records: list[dict[str, Any]]) -> tuple[Counter[str], Counter[str]]:
    """How many students broke each equation (the first failing test's), and each named slip."""
    equations = Counter(r["equation"] or r["status"] for r in records if r["score"] < r["max_score"])
    slips = Counter(r["slip"] for r in records if r["slip"])
    return equations, slips


def summary(records: list[dict[str, Any]], chosen: Assignment, run: Run, ignored: list[str]) -> str:
    """The class in Markdown: the counts, each test's pass rate, the equations and slips broken, each student."""
    from crosscheck.findings import SLIPS

    scores = sorted(r["score"] for r in records)
    full = sum(r["score"] == r["max_score"] for r in records)
    median = scores[len(scores) // 2] if scores else 0.0
    lines = [
        f"# Grades: {len(records)} submissions",
        "",
        f"{full} of {len(records)} full marks ({_number(chosen.max_score)} points); median {_number(median)}. "
        f"Each was checked on the same {chosen.settings['cases']} cases per dtype (seed {chosen.settings['seed']}), "
        "its code in a process of its own.",
    ]
    if run.lost:
        lines += ["", f"**Not graded: {len(run.lost)}** ({', '.join(f'{s}: {why}' for s, why in sorted(run.lost.items()))})."]
    if ignored:
        lines += ["", f"Ignored (not a .py file, package folder or notebook): {', '.join(ignored)}."]
    lines += ["", "| test | points | passed | failed | not judged |", "|---|---|---|---|---|"]
    for test in chosen.tests:
        marks = [t for r in records for t in r["tests"] if t["name"] == test]
        passed = sum(t["status"] == "passed" for t in marks)
        failed = sum(t["status"] == "failed" and t.get("judged", True) for t in marks)
        line = f"| {TITLES[test]} | {_number(chosen.weights[test])} | {passed} | {failed} | {len(marks) - passed - failed} |"
        lines.append(line)
    lines += [
        "",
        "Failed: the test was judged and the submission's value departs. Not judged: the test could not be (the submission "
        "was not loaded or did not finish, or its values carry an earlier equation's error)."
        + (f" Not graded at all: {len(run.lost)} (above)." if run.lost else ""),
    ]
    equations, slips = broken(records)
    lines += ["", "| first failing equation (or status) | students |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in equations.most_common()] or ["| none | 0 |"]
    lines += ["", "| slip named | students |", "|---|---|"]
    lines += [f"| {SLIPS.get(key, key)} | {count} |" for key, count in slips.most_common()] or ["| none | 0 |"]
    lines += [
        "",
        "![which equations and slips](summary.png)",
        "",
        "| student | score | status | equation | slip |",
        "|---|---|---|---|---|",
    ]
    for r in records:
        score = f"{_number(r['score'])} / {_number(r['max_score'])}"
        lines.append(f"| {r['student']} | {score} | {r['status']} | {r['equation']} | {r['slip']} |")
    return "\n".join(lines) + "\n"


WORDS = {"loss": "the cost", "update": "the update", "BP1": "BP1 (δ of the output)", "BP2": "BP2 (δ of a hidden layer)",
         "BP3": "BP3 (∂C/∂b)", "BP4": "BP4 (∂C/∂W)", "L2": "the L2 term"}  # fmt: skip
"""The chart's words for an equation (or a status, shown as it is)."""


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _chart(records: list[dict[str, Any]]) -> bytes | None:
    """Two bar charts, PNG: how many students broke each equation, and each named slip (None without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return None
    from crosscheck.findings import SLIPS

    equations, keys = broken(records)
    slips = Counter({_short(SLIPS.get(key, key)): count for key, count in keys.items()})
    equations = Counter({WORDS.get(name, name): count for name, count in equations.items()})
    figure, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    for ax, counts, title in ((axes[0], equations, "first failing equation"), (axes[1], slips, "slip named")):
        names = [n for n, _ in counts.most_common()] or ["none"]
        ax.barh(names, [counts[n] for n in names] if counts else [0], color="#4a7ab5")
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_title(title)
        ax.set_xlabel("students")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def record_key(record: dict[str, Any]) -> dict[str, Any]:
    """What makes a grade (for comparing runs): everything but the seconds it took."""
    return {k: v for k, v in record.items() if k != "seconds"}


# --- the command ------------------------------------------------------------------------------------------
def command(args: Any, progress: Any) -> int:
    """`python -m crosscheck grade`: 0 when every submission was graded (whatever the grades), 2 when one could
    not be (its grader lost twice, the cluster gone), the settings are wrong, or an output cannot be written."""
    import shutil
    import sys

    from crosscheck import stops
    from crosscheck.outputs import Unwritable

    def fail(text: str) -> int:
        print(f"python -m crosscheck grade: {text}", file=sys.stderr)
        return 2

    if getattr(args, "autograder", None) is not None or args.submissions is None:
        return _autograder(args, fail)
    try:
        config_path = args.config or (args.submissions / CONFIG if (args.submissions / CONFIG).is_file() else None)
        config = read_config(config_path) if config_path is not None else {}
        if isinstance(config.get("weights"), dict):
            print(f"note: {config_path}: [weights] is read as [points], the tests' points; rename it [points] (then "
                  "`weights = ...` can declare the layout of W, as verify's --weights does)", file=sys.stderr)  # fmt: skip
        chosen = assignment(config, _given(args))
        if args.gradescope is not None:  # Gradescope's submission folder: one student's files
            entries, ignored = [one_submission(args.submissions, chosen.function, chosen.settings.get("file"))], list[str]()
        else:
            entries, ignored = submissions(args.submissions)
    except (ConfigError, OSError) as error:
        return fail(str(error))
    refused = _refused(args, entries)
    cage, uncontainable = _contained(args, len(entries)) if not refused else (None, "")
    if refused or uncontainable:
        return fail(refused or uncontainable)
    if args.fresh:
        shutil.rmtree(args.out / "state", ignore_errors=True)
    stops.LEFT = f"each grade finished is kept in {args.out / 'state'} (--resume goes on from them)"
    workers = args.workers or os.cpu_count() or 1
    try:
        where = {"workers": workers, "scheduler": args.scheduler, "resume": args.resume, "cage": cage}
        run = grade(entries, chosen, args.out, **where, progress=progress)
    except ClusterLost as lost:
        graded = len(previous(args.out))
        return fail(f"{lost}: {graded} of {len(entries)} graded, kept in {args.out / 'state'} (--resume goes on)")
    try:
        written = write_outputs(run, chosen, args.out, ignored)
        if args.gradescope is not None:
            _one_result(args.gradescope, run, chosen)
    except (Unwritable, OSError) as error:
        return fail(f"the grades are kept in {args.out / 'state'}, but {error}")
    records = list(run.records.values())
    full = sum(r["score"] == r["max_score"] for r in records)
    again = f"; {len(run.kept)} kept from the earlier run" if run.kept else ""
    print(f"graded {len(records)} of {len(entries)} submissions ({full} full marks){again}; wrote {args.out}/grades.csv, "
          f"grades.json, summary.md{', summary.png' if any(p.name == 'summary.png' for p in written) else ''} and "
          f"gradescope/ ({len(records)} results.json)")  # fmt: skip
    if run.lost:
        return fail(f"{len(run.lost)} not graded: " + "; ".join(f"{s} ({why})" for s, why in sorted(run.lost.items())))
    return 0


def _one_result(path: Any, run: Run, chosen: Assignment) -> None:
    """--gradescope: the one submission's results.json at `path` (a score of 0 saying why, when it was not graded),
    and on stderr its time against Gradescope's default limit (Gradescope shows stderr to the teacher alone)."""
    import sys

    from crosscheck.autograder import timing_note
    from crosscheck.outputs import write

    record = next(iter(run.records.values()), None)
    why = "; ".join(run.lost.values()) or "it was not graded"
    results = gradescope(record, chosen) if record else {"score": 0.0, "output": f"Not graded: {why}.", "tests": []}
    write(path, json.dumps(results, indent=1).encode())
    if record is not None:
        print(f"note: {timing_note(record['seconds'], int(chosen.settings['cases']))}", file=sys.stderr)


def _autograder(args: Any, fail: Callable[[str], int]) -> int:
    """`grade --autograder assignment.toml --out autograder.zip`: Gradescope's zip (`crosscheck.autograder`)."""
    from crosscheck.autograder import GRADESCOPE_TIMEOUT, build
    from crosscheck.outputs import Unwritable, atomic_write

    if args.autograder is None:
        return fail("name the SUBMISSIONS folder to grade (or --autograder assignment.toml to write Gradescope's zip)")
    if args.submissions is not None:
        return fail("--autograder writes Gradescope's zip and grades nothing: leave SUBMISSIONS out")
    out = Path("autograder.zip") if args.out == Path("grades") else args.out
    try:
        assignment(read_config(args.autograder), {})  # checked first: a ConfigError names what is wrong
        atomic_write(out, build(args.autograder), kept=True)
    except (ConfigError, OSError, Unwritable) as error:
        return fail(str(error))
    print(
        f"wrote {out}: upload it as the assignment's autograder. Gradescope stops a run after {GRADESCOPE_TIMEOUT // 60} "
        "minutes unless its settings give more; each run's results.json says how long grading took (execution_time)"
    )
    return 0


def _refused(args: Any, entries: list[Entry]) -> str:
    """Why the class cannot be graded as asked ("" when it can): no submissions, one results.json asked of many,
    an earlier run's grades in OUT with neither --resume nor --fresh, torch or JAX missing."""
    from crosscheck import oracles

    if not entries:
        return f"{args.submissions} holds no submissions (.py files, package folders with __init__.py, .ipynb)"
    kept = previous(args.out)
    if kept and not (args.resume or args.fresh):
        return (
            f"{args.out} holds {len(kept)} grade{'s' if len(kept) != 1 else ''} of an earlier run: --resume to keep "
            "them and grade the rest, --fresh to grade every submission again, or --out another folder"
        )
    missing = [name for name in ("torch", "jax") if not oracles.ORACLES[name].available]
    if missing:
        return f"grading needs {' and '.join(missing)}: pip install 'backprop-crosscheck[torch,jax]'"
    return ""


def _contained(args: Any, count: int) -> tuple[Cage | None, str]:
    """How the submissions run: contained (the Cage), or not (--uncontained, or one submission where this machine
    cannot contain it: said on stderr); or why a class cannot be graded here."""
    import sys

    from crosscheck.containment import unavailable

    if args.uncontained:
        return None, ""
    if unavailable() and count > 1:
        return None, (
            f"{unavailable()}, so one submission could stop the grading or change another's grade: grade on Linux "
            "with user namespaces (docs/DESIGN.md, 'What is contained'), or --uncontained for a class you trust"
        )
    if unavailable():
        print(f"note: {unavailable()}: the one submission runs uncontained", file=sys.stderr)
        return None, ""
    args.out.mkdir(parents=True, exist_ok=True)
    return Cage(hide=_hidden(args.submissions, args.out)), ""


def _hidden(submissions: Path, out: Path) -> tuple[str, ...]:
    """The folders a contained submission does not see: the class's (every submission, the assignment and its
    seed) and the grades', each unless it holds what the child needs to run (Python, this package, the
    temporary folder)."""
    import sys
    import tempfile

    one = not submissions.is_dir() or (submissions / "__init__.py").exists()
    class_folder = submissions.resolve().parent if one else submissions.resolve()
    needed = [Path(p).resolve() for p in (sys.prefix, sys.base_prefix, __file__, tempfile.gettempdir())]
    folders = [class_folder, out.resolve()]
    return tuple(str(f) for f in folders if f.is_dir() and not any(n == f or f in n.parents for n in needed))


def _given(args: Any) -> dict[str, Any]:
    """The settings given on the command line (None: not given)."""
    names = [*DEFAULTS, *CONVENTION_FIELDS, *STRUCTURE, *LIMITS]
    return {name: getattr(args, name, None) for name in names}
