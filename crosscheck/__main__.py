"""`python -m crosscheck`: verify the derivation end to end and write a citable report.

The command line is argparse with one subcommand: the certificate's options at the top
level, `verify` with its own; every option is validated by its `type=` (a message naming
the option, exit 2) before any work, output paths resolved then.

The certificate ends with the symbolic tier (`crosscheck.proof`: BP1-BP4 proven as identities,
on every core; `--no-symbolic` leaves it out, and it says so); `--symbolic` runs that tier alone.
`python -m crosscheck verify MODULE:FUNCTION --convention ...` checks your own backprop
instead (`crosscheck.verify.check_implementation`).

Exit status: 0 when everything holds, 1 on any mismatch or uncaught mutant (the report
shows the counterexample), 2 on bad usage or a missing framework.
"""

from __future__ import annotations

import sys

from crosscheck import outputs, stops

if __name__ == "__main__":
    stops.install()  # before anything else loads: a signal during an import is a stop too
    outputs.remove_stale_given(sys.argv[1:])  # and an earlier verdict at an output path goes before anything can stop

import argparse
import dataclasses
import importlib.util
import json
import os
import shlex
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


def _parser() -> argparse.ArgumentParser:
    """The certificate's options, and `verify` as a subcommand with its own."""
    parser = argparse.ArgumentParser(
        prog="python -m crosscheck",
        description="Cross-check the reference's backpropagation against PyTorch, JAX and finite differences.",
    )
    parser.add_argument("--cases", type=_at_least(1), default=64, help="cases per cell (default 64)")
    parser.add_argument("--seed", type=_at_least(0), default=0, help="random seed (default 0)")
    parser.add_argument("--only", metavar="NAME", type=_catalogue_name, help="only the cells that use this activation or loss")
    parser.add_argument("--quiet", action="store_true", help="print only the verdict")
    parser.add_argument(
        "--workers", type=_at_least(1), default=None, help="Dask worker processes (certificate: default 1; --soak: all cores)"
    )
    parser.add_argument("--soak", type=_at_least(1), metavar="N", help="check N cases in all, spread over the cells, on Dask")
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", type=_scheduler, help="with --soak: an existing Dask scheduler, e.g. tcp://host:8786"
    )
    parser.add_argument(
        "--connect-timeout",
        metavar="SECONDS",
        type=_positive_seconds,
        default=10.0,
        help="with --scheduler: how long to wait for it to answer and have a worker (default 10)",
    )
    parser.add_argument(
        "--stall-timeout",
        metavar="SECONDS",
        type=_positive_seconds,
        default=300.0,
        help="with --soak or --workers: stop, exit 2, when nothing finishes on the cluster for this long (default 300)",
    )
    parser.add_argument("--json", type=_output_file, metavar="PATH", help="write the results as JSON")
    parser.add_argument("--markdown", type=_output_file, metavar="PATH", help="write a citable Markdown certificate")
    parser.add_argument("--plots", type=_output_folder, metavar="DIR", help="write PNG figures (needs matplotlib)")
    parser.add_argument(
        "--out", type=_output_folder, metavar="DIR", dest="certificate_out",
        help="write CERTIFICATE.md, certificate.json and figures/ here (the default, as certificate/, when no "
        "--json, --markdown or --plots is given)",
    )  # fmt: skip
    parser.add_argument("--mutant-examples", type=_at_least(1), default=200, help="cases drawn per mutant hunt (default 200)")
    parser.add_argument("--iterations", type=_at_least(2), default=2000, help="XOR training iterations (default 2000)")
    symbolic = parser.add_mutually_exclusive_group()
    symbolic.add_argument(
        "--symbolic", action="store_true", help="only the symbolic tier: BP1-BP4 proven as identities (needs SymPy)"
    )
    symbolic.add_argument("--no-symbolic", action="store_true", help="the certificate without the symbolic tier")
    commands = parser.add_subparsers(dest="command", metavar="{verify,grade}", help="check your own backprop, or grade a class")
    _verify_options(commands.add_parser("verify", help="check your own backprop", description=VERIFY))
    _grade_options(commands.add_parser("grade", help="grade a class's submissions", description=GRADE))
    return parser


GRADE = (
    "Grade a folder of submissions (.py files, package folders, notebooks), each in a process of its own, on the same "
    "drawn cases, one test per quantity (the cost, BP1-BP4, the update). Settings: an assignment.toml in the folder "
    "(or --config), then these options."
)


def _grade_options(parser: argparse.ArgumentParser) -> None:
    from crosscheck.convention import CONVENTIONS

    parser.add_argument(
        "submissions", metavar="SUBMISSIONS", type=Path, nargs="?", help="a folder of submissions, or one submission"
    )
    parser.add_argument(
        "--autograder", type=Path, metavar="TOML",
        help="write Gradescope's autograder zip for this assignment to --out (default autograder.zip), grade nothing",
    )  # fmt: skip
    parser.add_argument("--config", type=Path, metavar="TOML", help="the settings (default SUBMISSIONS/assignment.toml)")
    parser.add_argument("--function", metavar="NAME", help="the backward pass each submission defines (default backprop)")
    parser.add_argument("--update", metavar="NAME", help="the update each submission defines, if one is graded")
    parser.add_argument("--convention", choices=sorted(CONVENTIONS), help="their layout (default columns)")
    parser.add_argument("--activation", metavar="NAME", help="hidden activation (default sigmoid)")
    parser.add_argument("--output-activation", metavar="NAME", help="output activation (default: the hidden one)")
    parser.add_argument("--loss", metavar="NAME", help="the cost (default quadratic)")
    parser.add_argument("--cases", type=_at_least(1), help="cases per dtype, the same for every student (default 300)")
    parser.add_argument("--seed", type=_at_least(0), help="the seed every student's cases come from (default 0)")
    _declarations(parser)
    parser.set_defaults(**{name: None for name in ("min_layers", "max_layers", "min_width", "max_width", "max_batch")})
    parser.set_defaults(time_limit=None, memory_limit=None)
    run = parser.add_argument_group("the run")
    run.add_argument("--out", type=Path, default=Path("grades"), metavar="DIR", help="where the grades go (default grades)")
    run.add_argument("--workers", type=_at_least(1), default=None, help="submissions graded at once here (default: every core)")
    run.add_argument("--scheduler", type=_scheduler, metavar="ADDRESS", help="grade on this Dask cluster instead")
    again = run.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="keep the grades an interrupted run left in DIR, grade the rest")
    again.add_argument("--fresh", action="store_true", help="discard the grades an earlier run left in DIR")
    run.add_argument("--gradescope", type=_output_file, metavar="PATH", help="one submission: its results.json here too")
    run.add_argument(
        "--uncontained", action="store_true",
        help="grade where submissions cannot be contained (no namespaces): only for a class you trust",
    )  # fmt: skip
    run.add_argument("--quiet", action="store_true", help="no progress bar")


VERIFY = "Check your own backprop against PyTorch and JAX on drawn networks, in your convention."


def _verify_options(parser: argparse.ArgumentParser) -> None:
    from crosscheck.convention import CONVENTIONS
    from reference import ACTIVATIONS, LOSSES

    hidden = sorted(name for name, entry in ACTIVATIONS.items() if entry.elementwise)
    parser.add_argument("function", metavar="MODULE:FUNCTION", type=_spec, help="your backward pass fn(weights, biases, x, y)")
    parser.add_argument(
        "--convention", choices=sorted(CONVENTIONS), default=None, help="its layout (default: found by probing your code)"
    )
    parser.add_argument(
        "--activation",
        default=None,
        metavar="NAME",
        help=f"hidden activation, one of {', '.join(hidden)} (default: found from the loss your code returns, else sigmoid)",
    )
    parser.add_argument(
        "--output-activation",
        default=None,
        metavar="NAME",
        help=f"output activation: {', '.join(ACTIVATIONS)} (default: found, else the hidden one)",
    )
    parser.add_argument(
        "--loss", default=None, metavar="NAME", help=f"the cost, one of {', '.join(LOSSES)} (default: found, else quadratic)"
    )
    parser.add_argument("--explain", action="store_true", help="show the evidence for what probing found")
    parser.add_argument("--update", metavar="MODULE:FUNCTION", type=_spec, help="your update(weights, biases, x, y, η)")
    parser.add_argument("--cases", type=_at_least(1), default=1000, help="cases per dtype (default 1000)")
    parser.add_argument("--seed", type=_at_least(0), default=0, help="random seed (default 0)")
    parser.add_argument("--json", type=_output_file, metavar="PATH", help="write the result as JSON")
    parser.add_argument("--markdown", type=_output_file, metavar="PATH", help="write the report as Markdown")
    _declarations(parser)


def _declarations(parser: argparse.ArgumentParser) -> None:
    """What your code does, declared: each changes the named --convention (crosscheck.Convention's
    fields) or the structure drawn (check_implementation's options)."""
    from crosscheck.convention import CHOICES, DECLARED, L2_FORMULAS
    from crosscheck.isolation import DEFAULT_MEMORY, DEFAULT_SECONDS

    layout = parser.add_argument_group("your convention (each overrides --convention's field; none: found by probing)")
    numbers = {
        "clip": ("the log loss's argument clipped at this ε", 0.5),
        "l2": ("L2 in the cost (λ or reg, see --l2-form)", None),
    }
    numbers["weight_decay"] = ("your update's weight decay", None)
    forms = "; ".join(f"{form}: {formula}" for form, formula in L2_FORMULAS.items())
    helps = {"l2_form": f"what --l2 adds to your cost: {forms}", "order": "what a pair you return holds first"}
    for name in DECLARED:  # one option per field of crosscheck.Convention
        option = "--" + name.replace("_", "-")
        if name in CHOICES:
            words = helps.get(name, f"one of {', '.join(CHOICES[name])}")
            layout.add_argument(option, dest=name, choices=CHOICES[name], default=None, help=words)
        elif name == "per_sample":
            layout.add_argument(option, dest=name, action="store_true", default=None, help="one sample per call")
        elif name == "half":
            layout.add_argument("--no-half", dest=name, action="store_false", default=None, help="the quadratic cost without ½")
        else:
            words, high = numbers[name]
            layout.add_argument(option, dest=name, type=_number_in(0.0, high), default=None, help=words)
    drawn = parser.add_argument_group("the structure drawn")
    drawn.add_argument("--sizes", type=_sizes, default=None, metavar="N1,...,NL", help="a fixed architecture, e.g. 4,10,3")
    for option in ("min-layers", "max-layers"):
        drawn.add_argument(
            f"--{option}", type=_at_least(1), default=None, help="(default 1 and 5, or the depths your code accepts)"
        )
    for option, default in (("min-width", 1), ("max-width", 8), ("max-batch", 8)):
        drawn.add_argument(f"--{option}", type=_at_least(1), default=default, help=f"(default {default})")
    drawn.add_argument("--outputs", type=_at_least(1), default=None, help="a fixed output width n_L")
    limits = parser.add_argument_group("your code runs in a process of its own, within these limits")
    limits.add_argument(
        "--time-limit",
        type=_positive_seconds,
        default=DEFAULT_SECONDS,
        metavar="SECONDS",
        help=f"per call of your code; past it the call is stopped and reported (default {DEFAULT_SECONDS:g})",
    )
    limits.add_argument(
        "--memory-limit",
        type=_number_in(64.0, None),
        default=DEFAULT_MEMORY,
        metavar="MiB",
        help=f"address space of your code's process, RLIMIT_AS (default {DEFAULT_MEMORY:g})",
    )
    drawn.add_argument("--dtypes", type=_dtypes, default=None, metavar="D,...", help="float64,float32 (default both)")


def _number_in(low: float, high: float | None) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if not (value >= low and (high is None or value < high) and value < float("inf")):
            raise argparse.ArgumentTypeError(f"must be in [{low}, {high if high is not None else '∞'}), got {text}")
        return value

    parse.__name__ = "number"
    return parse


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated widths such as 4,10,3, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"must be at least two widths >= 1 (n_1,...,n_L), got {text!r}")
    return sizes


def _dtypes(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(","))
    if not names or any(name not in ("float64", "float32") for name in names):
        raise argparse.ArgumentTypeError(f"must be float64, float32 or float64,float32, got {text!r}")
    return names


# --- validating types: argparse names the option in front of each message ----------------
def _at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")
"""The address schemes dask.distributed connects over."""


def _scheduler(text: str) -> str:
    scheme, separator, rest = text.partition("://")
    if not separator or scheme not in SCHEMES or not rest:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Dask scheduler address: expected SCHEME://HOST:PORT, SCHEME one of {list(SCHEMES)}"
        )
    return text


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds > 0, got {text}")
    return value


def _catalogue_name(text: str) -> str:
    from reference import ACTIVATIONS, LOSSES

    if text not in ACTIVATIONS and text not in LOSSES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an activation nor a loss; known: {sorted({*ACTIVATIONS, *LOSSES})}"
        )
    return text


def _spec(text: str) -> str:
    module, _, name = text.partition(":")
    if module.endswith(".py"):
        raise argparse.ArgumentTypeError(
            f"{text!r} names a file: give the module's name, {module.removesuffix('.py').replace('/', '.')}:{name or 'FUNCTION'} "
            "(run from the folder that holds it, or put that folder on PYTHONPATH)"
        )
    if not module or not name:
        raise argparse.ArgumentTypeError(f"{text!r} must read MODULE:FUNCTION, e.g. mynet:backprop")
    return text


def _output_file(text: str) -> outputs.Output:
    """An output file that can be written, checked now (before any code of yours runs)."""
    try:
        return outputs.output_file(text)
    except outputs.Refused as refused:
        raise argparse.ArgumentTypeError(str(refused)) from None


def _output_folder(text: str) -> Path:
    try:
        return outputs.output_folder(text)
    except outputs.Refused as refused:
        raise argparse.ArgumentTypeError(str(refused)) from None


class _Progress:
    """A progress bar on stderr: stage, done/total, cases per second and disagreements so far
    (tqdm when installed, a plain line otherwise, each with the time left); only on a terminal, never
    with --quiet. `grade` counts submissions and the failing ones (`failing`)."""

    def __init__(self, enabled: bool, unit: str = "step", bad: str = "disagreements", lines: bool = False) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.lines = enabled and lines and not self.enabled
        """Off a terminal (piped, in CI): one line per stage as it starts and ends, for a run that takes long."""
        self.finished: set[str] = set()
        self.start = time.perf_counter()
        self.bar: Any = None
        self.stage = ""
        self.unit, self.bad = unit, bad

    def failing(self, stage: str, done: int, total: int, failing: int) -> None:
        """grading's progress(stage, done, total, failing)."""
        self(stage, done, total, 0, failing)

    def __call__(self, stage: str, done: int, total: int, cases: int = 0, disagreements: int = 0) -> None:
        if self.lines:
            self._line(stage, done, total, disagreements)
        if not self.enabled:
            return
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        status = f"{cases / elapsed:,.0f} cases/s, {disagreements} {self.bad}" if cases else f"{disagreements} {self.bad}"
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            if self.bar is None or stage != self.stage:
                if self.bar is not None:
                    self.bar.close()
                self.bar, self.stage = tqdm(total=total, desc=stage, unit=self.unit, file=sys.stderr, leave=True), stage
            self.bar.n = done
            self.bar.set_postfix_str(status, refresh=True)
            if done == total:
                self.bar.close()
                self.bar = None
            return
        width = 30
        filled = int(width * done / max(total, 1))
        left = f" ({elapsed / done * (total - done):.0f} s left)" if 0 < done < total else ""
        sys.stderr.write(f"\r{stage:10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {elapsed:5.1f} s{left}, {status}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def _line(self, stage: str, done: int, total: int, disagreements: int) -> None:
        elapsed = time.perf_counter() - self.start
        if stage in self.finished:
            return
        if stage != self.stage:
            self.stage = stage
            print(f"{elapsed:7.1f} s  {stage}: {total:,} {self.unit}s", file=sys.stderr, flush=True)
        if done == total:
            print(f"{elapsed:7.1f} s  {stage}: done, {disagreements} {self.bad}", file=sys.stderr, flush=True)
            self.finished.add(stage)


FILES = "--json PATH and --markdown PATH"
"""The options that save a result (said when none was given)."""


def _nothing_written(options: str) -> None:
    print(f"wrote no file: {options} save what was checked", file=sys.stderr)


def _soak(args: argparse.Namespace, oracles: tuple[str, ...], progress: _Progress, command: str) -> int:
    """`--soak N`: N cases over the cells, on Dask when installed; exit 0 when all agree."""
    from crosscheck.certificate.soak import SchedulerUnreachable, SoakStopped, soak

    try:
        result = soak(
            args.soak,
            seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            oracles=tuple(o for o in ("torch", "jax") if o in oracles),
            only=args.only,
            progress=progress,
            connect_timeout=args.connect_timeout,
            stall=args.stall_timeout,
        )
    except (SchedulerUnreachable, SoakStopped) as error:
        print(f"python -m crosscheck: {error}", file=sys.stderr)
        return 2
    print(result.verdict() if args.quiet else result.terminal())
    writers = {"json": lambda: json.dumps(result.as_dict(), indent=1), "markdown": lambda: result.markdown(command)}
    return _save(args, writers, FILES) or (0 if result.ok else 1)


def verify(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """`python -m crosscheck verify`: exit 0 when your implementation agrees, 1 when not, 2 when it
    could not be checked (your module does not load, a framework is missing, an output cannot be
    written). Your module is imported in the process your code runs in, never in this one."""
    from crosscheck import oracles
    from crosscheck.verify import check_implementation

    missing = [name for name in ("torch", "jax") if not oracles.ORACLES[name].available]
    if missing:
        print(
            f"python -m crosscheck verify needs {' and '.join(missing)}: pip install 'backprop-crosscheck[torch,jax]'",
            file=sys.stderr,
        )
        return 2
    try:
        result = check_implementation(
            args.function,
            convention=_convention(args),
            activation=args.activation,
            output_activation=args.output_activation,
            loss=args.loss,
            update=args.update,
            cases=args.cases,
            seed=args.seed,
            progress=_Progress(True),
            **_drawn(args),
        )
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    _show(result.report(explain=args.explain))
    if result.unchecked:
        _remove_stale(args)  # whatever your code wrote there while it was loaded: no file looks like a result
        return 2
    writers = {"json": lambda: json.dumps(result.as_dict(), indent=1), "markdown": result.markdown}
    return _save(args, writers, FILES) or (0 if result.ok else 1)


def _convention(args: argparse.Namespace) -> Any:
    """--convention's Convention with every field given on the command line replaced; None when nothing is
    declared (the check finds out by probing your code)."""
    from crosscheck.convention import CONVENTIONS, DECLARED

    given = {name: getattr(args, name) for name in DECLARED if getattr(args, name) is not None}
    if args.convention is None and not given:
        return None
    base = CONVENTIONS[args.convention or "columns"]
    return dataclasses.replace(base, name=f"{base.name}, as declared", **given) if given else base


def _drawn(args: argparse.Namespace) -> dict[str, Any]:
    """check_implementation's structure options from the command line."""
    options = {name: getattr(args, name) for name in ("sizes", "min_layers", "max_layers", "min_width", "max_width", "max_batch")}
    options["outputs"] = args.outputs
    options["time_limit"] = args.time_limit
    options["memory_limit"] = args.memory_limit
    if args.dtypes is not None:
        options["dtypes"] = args.dtypes
    return options


def _remove_stale(args: argparse.Namespace) -> None:
    """An earlier run's --json or --markdown file is removed before this run: a run that fails or
    is stopped leaves no file that looks like its result."""
    for option in ("json", "markdown"):
        outputs.remove_stale(getattr(args, option, None))


def _show(text: str) -> None:
    """The report on standard output, even if your code closed or replaced sys.stdout."""
    try:
        print(text, flush=True)
    except (ValueError, OSError):
        os.write(1, (text + "\n").encode())


def _save(
    args: argparse.Namespace, writers: Mapping[str, Callable[[], str | bytes]], what: str, *, more: Sequence[Any] = ()
) -> int:
    """Write each requested output (`args.json`, `args.markdown`; `more`: (Output, bytes) pairs such
    as the figures) and say so; 2 when one could not be written (one line each, naming the file and
    why), else 0. With nothing requested, say that `what` would have saved the result."""
    failed = 0
    written = []
    wanted = [(getattr(args, option), make) for option, make in writers.items() if getattr(args, option, None) is not None]
    for output, make in [*wanted, *((o, lambda d=d: d) for o, d in more)]:
        data = make()
        try:
            outputs.write(output, data.encode() if isinstance(data, str) else data)
        except outputs.Unwritable as error:
            print(f"python -m crosscheck: {error}", file=sys.stderr)
            failed = 2
        else:
            written.append(output)
    for output in written:
        print(f"wrote {output}", file=sys.stderr)
    if not written and not failed:
        _nothing_written(what)
    return failed


def _jax_cache() -> None:
    """JAX's persistent compilation cache for the command line (a learner's second run compiles nothing): in
    $CROSSCHECK_JAX_CACHE, else JAX_COMPILATION_CACHE_DIR, else ~/.cache/crosscheck/jax (XDG_CACHE_HOME);
    CROSSCHECK_JAX_CACHE="" turns it off. It caches compiled programs, keyed by program, flags and versions,
    never a result."""
    chosen = os.environ.get("CROSSCHECK_JAX_CACHE")
    if chosen == "":
        return
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = chosen or os.environ.get("JAX_COMPILATION_CACHE_DIR") or os.path.join(home, "crosscheck", "jax")
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", folder)
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


def main(argv: Sequence[str] | None = None) -> int:
    """Ctrl-C stops with one line and exit 130, SIGTERM with one line and exit 143
    (`crosscheck.stops`); files are written only at the end, atomically, and a stop removes
    them, so an interrupted run leaves none behind. A KeyboardInterrupt raised by code rather
    than by a signal is reported the same way."""
    previous = stops.install()
    stops.WRITING.clear()
    _jax_cache()
    try:
        return _main(argv)
    except KeyboardInterrupt:
        stops.remove_written()
        print("\ninterrupted: stopped, nothing written", file=sys.stderr)
        return 130
    except Exception as error:  # a fault in the checker itself: never the status of a verdict
        stops.remove_written()
        traceback.print_exc()
        print(f"python -m crosscheck: the checker failed ({type(error).__name__}): nothing verified", file=sys.stderr)
        return 2
    finally:
        stops.restore(previous)


def _main(argv: Sequence[str] | None = None) -> int:
    """Parse (every option validated by its type), then the check, then the outputs."""
    parser = _parser()
    args = parser.parse_args(argv)
    # OpenBLAS can leave the floating-point "invalid" flag set from its own buffers, and NumPy then
    # warns after a matmul of finite inputs (never reproducible with the same inputs). A genuine NaN
    # still fails the comparison, so the spurious warning is not shown.
    warnings.filterwarnings("ignore", message="invalid value encountered in matmul", category=RuntimeWarning)
    if args.command == "grade":
        from crosscheck import grading

        return grading.command(args, _Progress(not args.quiet, unit="submission", bad="failing").failing)
    if args.command is None and not args.symbolic and args.soak is None:
        _certificate_folder(args)
    _different_files(parser, args)
    _remove_stale(args)  # first, before anything slow: a run stopped from here on leaves no earlier verdict there
    if args.command == "verify":
        return verify(parser, args)
    _check_combinations(parser, args)
    if args.symbolic:
        return _symbolic(args, _Progress(not args.quiet), "python -m crosscheck " + " ".join(_argv(argv)))
    from crosscheck.certificate import run as certificate

    oracles = certificate.available_oracles()
    missing = [extra for extra in ("torch", "jax") if extra not in oracles]
    if missing:
        print(
            f"python -m crosscheck needs {' and '.join(missing)}: pip install "
            f"'backprop-crosscheck[{','.join(missing)}]' (or '[all]')",
            file=sys.stderr,
        )
        return 2
    progress = _Progress(not args.quiet, lines=True)
    command = "python -m crosscheck " + " ".join(_argv(argv))
    if args.soak is not None:
        return _soak(args, oracles, progress, command.strip())
    try:
        return _certify(args, oracles, progress, command.strip())
    except certificate.Stalled as stalled:
        print(f"python -m crosscheck: {stalled}; nothing written", file=sys.stderr)
        return 2


def _certificate_folder(args: argparse.Namespace) -> None:
    """The main job leaves its certificate: --out DIR (default certificate/, when no output is named) gets
    CERTIFICATE.md, certificate.json and, with matplotlib, figures/."""
    if args.certificate_out is None and (args.json or args.markdown or args.plots):
        return
    out = args.certificate_out if args.certificate_out is not None else outputs.output_folder("certificate")
    args.markdown = args.markdown or outputs.Output(out / "CERTIFICATE.md")
    args.json = args.json or outputs.Output(out / "certificate.json")
    if args.plots is None and importlib.util.find_spec("matplotlib") is not None:
        args.plots = out / "figures"


def _argv(argv: Sequence[str] | None) -> list[str]:
    """The command line as given, quoted, each output path relative to the working directory (the
    Reproduce line of a certificate names no folder of the machine that wrote it)."""
    given = list(argv if argv is not None else sys.argv[1:])
    for i, argument in enumerate(given[:-1]):
        if argument in ("--json", "--markdown", "--plots") and os.path.isabs(given[i + 1]):
            given[i + 1] = os.path.relpath(given[i + 1])
    return [shlex.quote(a) for a in given]


def _symbolic(args: argparse.Namespace, progress: _Progress, command: str) -> int:
    """`--symbolic`: the symbolic tier alone; exit 0 when every identity is proven and every
    formula mutant refuted, 1 otherwise, 2 without SymPy."""
    from crosscheck import proof

    if not proof.available():
        print(f"python -m crosscheck --symbolic needs SymPy: {proof.INSTALL}", file=sys.stderr)
        return 2
    from crosscheck.certificate import ledger
    from crosscheck.certificate import proven as report
    from crosscheck.certificate.ledger import tag
    from crosscheck.proof import sweep

    result = sweep.prove(progress=lambda done, total: progress("proof", done, total))
    verdict = result.headline()
    print(verdict if args.quiet else "\n".join([*report.proof_terminal(result), "", verdict]))
    writers = {
        "json": lambda: json.dumps(result.as_dict() | {"verdict": verdict}, indent=1),
        "markdown": lambda: (
            f"# The symbolic tier\n\n**{verdict}** {tag('Proven' if result.ok else 'Measured')}\n\n"
            f"Reproduce: `{command.strip()}`. {tag('Measured', 'the command that wrote this file')}\n\n"
            + report.proof_markdown(result)
            + ledger.section()  # what this report trusts, in itself: it cites no other section
        ),
    }
    return _save(args, writers, FILES) or (0 if result.ok else 1)


def _different_files(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Two options that would write the same file (one result would silently replace the other): exit 2."""
    named: dict[str, Any] = {"--json": args.json, "--markdown": args.markdown}
    if getattr(args, "plots", None) is not None:
        from crosscheck.certificate.render import FIGURES

        named |= {f"--plots' {name}": args.plots / name for name in FIGURES}
    clash = outputs.same_file(named)
    if clash is not None:
        parser.error(clash)


def _check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What no single option's type can see: options that need another option or an extra."""
    if args.symbolic and (args.soak is not None or args.plots is not None):
        parser.error("--symbolic runs the symbolic tier alone: it takes no --soak or --plots")
    if args.scheduler is not None and args.soak is None:
        parser.error("--scheduler needs --soak (the certificate's cells run locally)")
    if args.soak is None and (args.workers or 1) > 1:
        from crosscheck.certificate.soak import dask_available

        if not dask_available():
            parser.error("--workers needs Dask: pip install 'backprop-crosscheck[dask]'")
    if args.plots is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plots needs matplotlib: pip install 'backprop-crosscheck[plots]'")


def _certify(args: argparse.Namespace, oracles: tuple[str, ...], progress: _Progress, command: str) -> int:
    """The certificate: run it, print it, write what was asked for; exit 0 when everything holds."""
    from crosscheck.certificate import render as report
    from crosscheck.certificate import run as certificate

    cert = certificate.run(
        cases=args.cases,
        seed=args.seed,
        only=args.only,
        oracles=oracles,
        mutant_examples=args.mutant_examples,
        iterations=args.iterations,
        workers=args.workers or 1,
        progress=progress,
        stall=args.stall_timeout,
    )
    if not args.no_symbolic:
        certificate.add_proof(cert, progress)
        certificate.add_coq(cert, progress)
    else:
        cert.proof_skipped = "not asked for: --no-symbolic"
    print(cert.verdict() if args.quiet else report.terminal(cert))
    figures = report.plots(cert, cert.curves) if args.plots else {}
    drawn = [(outputs.Output(args.plots / name), data) for name, data in figures.items()]

    def markdown() -> str:
        links = [os.path.relpath(args.plots / name, args.markdown.path.parent) for name in figures]
        return report.markdown(cert, command, links)

    writers = {"json": lambda: json.dumps(cert.as_dict(), indent=1), "markdown": markdown}
    return _save(args, writers, "--json PATH, --markdown PATH and --plots DIR", more=drawn) or (0 if cert.ok else 1)


if __name__ == "__main__":
    raise SystemExit(main())
