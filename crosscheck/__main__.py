"""`python -m crosscheck`: verify the derivation end to end and write a citable report.

`python -m crosscheck verify MODULE:FUNCTION --convention ...` checks your own backprop
instead (`crosscheck.verify.check_implementation`).

Exit status: 0 when everything holds, 1 on any mismatch or uncaught mutant (the report
shows the counterexample), 2 on bad usage or a missing framework.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crosscheck",
        description="Cross-check the reference's backpropagation against PyTorch, JAX and finite differences.",
    )
    parser.add_argument("--cases", type=int, default=64, help="cases per cell (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--only", metavar="NAME", help="only the cells that use this activation or loss")
    parser.add_argument("--quiet", action="store_true", help="print only the verdict")
    parser.add_argument(
        "--workers", type=int, default=None, help="Dask worker processes (certificate: default 1; --soak: default all cores)"
    )
    parser.add_argument(
        "--soak", type=int, metavar="N", help="check N cases in all, spread over the cells, on Dask when installed"
    )
    parser.add_argument("--scheduler", metavar="ADDRESS", help="with --soak: an existing Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the results as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="write a citable Markdown certificate")
    parser.add_argument("--plots", type=Path, metavar="DIR", help="write PNG figures (needs matplotlib)")
    parser.add_argument("--mutant-examples", type=int, default=200, help="cases drawn per mutant hunt (default 200)")
    parser.add_argument("--iterations", type=int, default=2000, help="XOR training iterations (default 2000)")
    return parser


class _Progress:
    """A progress bar on stderr: stage, done/total, cases per second and disagreements so far
    (tqdm when installed, a plain line otherwise); only on a terminal, never with --quiet."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.perf_counter()
        self.bar: Any = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int, cases: int = 0, disagreements: int = 0) -> None:
        if not self.enabled:
            return
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        status = f"{cases / elapsed:,.0f} cases/s, {disagreements} disagreements" if cases else f"{disagreements} disagreements"
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            if self.bar is None or stage != self.stage:
                if self.bar is not None:
                    self.bar.close()
                self.bar, self.stage = tqdm(total=total, desc=stage, unit="step", file=sys.stderr, leave=True), stage
            self.bar.n = done
            self.bar.set_postfix_str(status, refresh=True)
            if done == total:
                self.bar.close()
                self.bar = None
            return
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{stage:10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {elapsed:5.1f} s, {status}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _writable(parser: argparse.ArgumentParser, option: str, path: Path | None, folder: bool = False) -> None:
    """Refuse, before any work, an output path that cannot be written."""
    if path is None:
        return
    if path.exists() and (path.is_dir() != folder):
        parser.error(f"{option} {path}: {'is not a folder' if folder else 'is a folder, not a file'}")
    ancestor = path if folder and path.exists() else path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        parser.error(f"{option} {path}: cannot write there, {ancestor} is a file")
    if not os.access(ancestor, os.W_OK):
        parser.error(f"{option} {path}: cannot write there, {ancestor} is not writable")


def _write(path: Path, text: str) -> None:
    """Write atomically: a temporary file beside `path`, then os.replace (a reader sees the old file or the new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _soak(args: argparse.Namespace, oracles: tuple[str, ...], progress: _Progress, command: str) -> int:
    """`--soak N`: N cases over the cells, on Dask when installed; exit 0 when all agree."""
    from crosscheck.certificate.soak import soak

    result = soak(
        args.soak,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        oracles=tuple(o for o in ("torch", "jax") if o in oracles),
        only=args.only,
        progress=progress,
    )
    print(result.verdict() if args.quiet else result.terminal())
    if args.json:
        _write(args.json, json.dumps(result.as_dict(), indent=1))
        print(f"wrote {args.json}", file=sys.stderr)
    if args.markdown:
        _write(args.markdown, result.markdown(command))
        print(f"wrote {args.markdown}", file=sys.stderr)
    return 0 if result.ok else 1


def _verify_parser() -> argparse.ArgumentParser:
    from crosscheck.implementations import CONVENTIONS

    parser = argparse.ArgumentParser(
        prog="python -m crosscheck verify",
        description="Check your own backprop against PyTorch and JAX on drawn networks, in your convention.",
    )
    parser.add_argument("function", metavar="MODULE:FUNCTION", help="your backward pass fn(weights, biases, x, y)")
    parser.add_argument("--convention", choices=sorted(CONVENTIONS), default="columns", help="its layout (default columns)")
    parser.add_argument("--activation", default="sigmoid", help="hidden activation (default sigmoid)")
    parser.add_argument("--output-activation", default=None, help="output activation (default: the hidden one)")
    parser.add_argument("--loss", default="quadratic", help="the cost (default quadratic)")
    parser.add_argument("--update", metavar="MODULE:FUNCTION", help="your update(weights, biases, x, y, learning_rate)")
    parser.add_argument("--cases", type=int, default=1000, help="cases per dtype (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the result as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="write the report as Markdown")
    return parser


def _load(parser: argparse.ArgumentParser, spec: str) -> object:
    """MODULE:FUNCTION, importable from the current directory or PYTHONPATH."""
    import importlib
    import os

    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        parser.error(f"{spec!r} must read MODULE:FUNCTION, e.g. mynet:backprop")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        parser.error(f"cannot import {module_name}: {type(error).__name__}: {error}")
    try:
        return getattr(module, name)
    except AttributeError as error:
        parser.error(str(error))


def verify(argv: Sequence[str]) -> int:
    """`python -m crosscheck verify`: exit 0 when your implementation agrees, 1 when not, 2 on a usage error."""
    parser = _verify_parser()
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="invalid value encountered in matmul", category=RuntimeWarning)
    _writable(parser, "--json", args.json)
    _writable(parser, "--markdown", args.markdown)
    fn = _load(parser, args.function)
    update = _load(parser, args.update) if args.update else None
    if not callable(fn):
        parser.error(f"{args.function} is not callable")
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
            fn,
            convention=args.convention,
            activation=args.activation,
            output_activation=args.output_activation,
            loss=args.loss,
            update=update,  # type: ignore[arg-type]
            cases=args.cases,
            seed=args.seed,
        )
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    print(result.report())
    if args.json:
        _write(args.json, json.dumps(result.as_dict(), indent=1))
    if args.markdown:
        _write(args.markdown, result.markdown())
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Ctrl-C stops with one line and exit 130; files are written only at the end, atomically,
    so an interrupted run leaves none behind."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("\ninterrupted: stopped, nothing written", file=sys.stderr)
        return 130


def _main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["verify"]:
        return verify(arguments[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    # OpenBLAS can leave the floating-point "invalid" flag set from its own buffers, and NumPy then
    # warns after a matmul of finite inputs (never reproducible with the same inputs). A genuine NaN
    # still fails the comparison, so the spurious warning is not shown.
    warnings.filterwarnings("ignore", message="invalid value encountered in matmul", category=RuntimeWarning)
    from reference import ACTIVATIONS, LOSSES

    if args.cases < 1:
        parser.error(f"--cases must be at least 1, got {args.cases}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    _writable(parser, "--json", args.json)
    _writable(parser, "--markdown", args.markdown)
    _writable(parser, "--plots", args.plots, folder=True)
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.soak is not None and args.soak < 1:
        parser.error(f"--soak must be at least 1, got {args.soak}")
    if args.scheduler is not None and args.soak is None:
        parser.error("--scheduler needs --soak (the certificate's cells run locally)")
    if args.soak is None and (args.workers or 1) > 1:
        from crosscheck.certificate.soak import dask_available

        if not dask_available():
            parser.error("--workers needs Dask: pip install 'backprop-crosscheck[dask]'")
    if args.iterations < 2:
        parser.error(f"--iterations must be at least 2, got {args.iterations}")
    if args.mutant_examples < 1:
        parser.error(f"--mutant-examples must be at least 1, got {args.mutant_examples}")
    if args.only is not None and args.only not in ACTIVATIONS and args.only not in LOSSES:
        parser.error(f"--only {args.only!r} is neither an activation nor a loss; known: {sorted({*ACTIVATIONS, *LOSSES})}")
    if args.plots is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plots needs matplotlib: pip install 'backprop-crosscheck[plots]'")

    from crosscheck.certificate import render as report
    from crosscheck.certificate import run as certificate

    oracles = certificate.available_oracles()
    missing = [extra for extra, needed in (("torch", "torch"), ("jax", "jax")) if needed not in oracles]
    if missing:
        print(
            f"python -m crosscheck needs {' and '.join(missing)}: pip install "
            f"'backprop-crosscheck[{','.join(missing)}]' (or '[all]')",
            file=sys.stderr,
        )
        return 2

    progress = _Progress(not args.quiet)
    command = "python -m crosscheck " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    if args.soak is not None:
        return _soak(args, oracles, progress, command.strip())
    cert = certificate.run(
        cases=args.cases,
        seed=args.seed,
        only=args.only,
        oracles=oracles,
        mutant_examples=args.mutant_examples,
        iterations=args.iterations,
        workers=args.workers or 1,
        progress=progress,
    )
    print(cert.verdict() if args.quiet else report.terminal(cert))
    written = []
    figures = report.plots(cert, args.plots, cert.curves) if args.plots else []
    written += figures
    if args.json:
        _write(args.json, json.dumps(cert.as_dict(), indent=1))
        written.append(args.json)
    if args.markdown:
        links = [os.path.relpath(f, args.markdown.resolve().parent) for f in (p.resolve() for p in figures)]
        _write(args.markdown, report.markdown(cert, command.strip(), links))
        written.append(args.markdown)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0 if cert.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
