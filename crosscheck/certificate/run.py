"""The certificate: every activation × loss × dtype against every oracle, the XOR
trajectory, and the negative controls, as one verdict (`python -m crosscheck`)."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import platform
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from crosscheck import oracles as _oracles
from crosscheck import stops
from crosscheck.case import Stack
from crosscheck.certificate import ledger
from crosscheck.certificate.controls import MutantResult, hunt
from crosscheck.certificate.trajectory import Trajectory, xor_trajectory
from crosscheck.check import check_case, stack_judgements
from crosscheck.mutants import MUTANTS
from crosscheck.strategies import (
    DTYPES,
    build_stack,
    compatible_losses,
    draw_structure,
    hidden_activations,
    seeded,
    strategy_options,
)
from crosscheck.tolerances import AUTOGRAD, FINITE_DIFFERENCES
from reference import ACTIVATIONS, LOSSES


@dataclass(frozen=True)
class Cell:
    activation: str
    output_activation: str
    loss: str
    dtype: np.dtype

    @property
    def label(self) -> str:
        return f"{self.activation}→{self.output_activation}/{self.loss} {self.dtype}"


def cells(only: str | None = None) -> list[Cell]:
    """Every valid (hidden, output, loss, dtype); `only` keeps the cells that use that name."""
    result = [
        Cell(h, o, loss, d)
        for h in hidden_activations()
        for o in sorted(ACTIVATIONS)
        for loss in compatible_losses(o)
        for d in DTYPES
    ]
    if only is not None:
        result = [c for c in result if only in (c.activation, c.output_activation, c.loss)]
    return result


@dataclass
class CellResult:
    cell: Cell
    sizes: tuple[int, ...]
    N: int
    cases: dict[str, int] = field(default_factory=dict)
    worst: dict[str, float] = field(default_factory=dict)
    """Largest |diff|/tol per oracle (≤ 1 passes)."""
    per_layer: dict[str, list[float]] = field(default_factory=dict)
    relative: dict[str, np.ndarray] = field(default_factory=dict)
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.failure and all(r <= 1 for r in self.worst.values())


def _stack(cell: Cell, rng: np.random.Generator, K: int) -> Stack:
    """K cases of one structure drawn for the cell (the property tests' distribution, its names and dtype fixed)."""
    options = strategy_options(
        dtype=cell.dtype, activation=cell.activation, output_activation=cell.output_activation, loss=cell.loss
    )
    return build_stack(rng, draw_structure(seeded(rng), options), K, origin="certificate")


def run_cell(cell: Cell, seed: int, K: int, oracles: tuple[str, ...]) -> CellResult:
    """Draw K cases of one random structure for the cell and check them against each oracle
    (each on its share of the cases: `crosscheck.oracles.Oracle.share`)."""
    rng = np.random.default_rng([seed, *(ord(c) for c in cell.label)])
    stack = _stack(cell, rng, K)
    result = CellResult(cell, tuple(int(n) for n in stack.sizes[0]), stack.N)
    for oracle, judged in stack_judgements([stack], oracles, shares=True)[0].items():
        per_case = judged.per_case()
        result.cases[oracle] = len(per_case)
        result.worst[oracle] = float(per_case.max())
        result.per_layer[oracle] = [float(v) for v in judged.per_layer()]
        result.relative[oracle] = judged.relative()
        if per_case.max() > 1 and not result.failure:
            k = int(np.argmax(per_case))
            alone = check_case(stack.case(k), [oracle])
            result.failure = alone.report()
            if alone.ok:  # the stacked oracle call disagrees with the same case checked alone
                result.failure = (
                    f"case {k} of {stack!r}: |diff|/tol {per_case[k]:.3g} from stacked {oracle}, "
                    f"but checked alone: {result.failure}"
                )
    return result


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in ("numpy", "torch", "jax", "jaxlib", "hypothesis"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


ROOT = Path(__file__).resolve().parents[2]
CERTIFIED = ("reference", "crosscheck")
"""The packages whose source a certificate identifies: the code under test and the checker."""


def source_digest(package: str) -> str:
    """sha256 over the package's .py files (relative path and bytes, in sorted order)."""
    digest = hashlib.sha256()
    folder = ROOT / package
    for path in sorted(folder.rglob("*.py")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code() -> dict[str, str]:
    """What code a certificate certifies: a digest of each package's source and, where git
    tracks the packages, the commit and whether they differ from it.

    A git repository that does not track them (say, a project whose ignored virtual
    environment holds an installed copy) names no commit: its HEAD says nothing of them.
    """
    found = {f"{package}/ sha256": source_digest(package) for package in CERTIFIED}

    def git(*args: str) -> str:
        command = ["git", "-C", str(ROOT), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout.strip()

    try:
        if git("ls-files", "--", *CERTIFIED):
            changed = git("status", "--porcelain", "--", *CERTIFIED)
            return found | {
                "git commit": git("rev-parse", "HEAD"),
                "git status": "uncommitted changes to reference/ or crosscheck/" if changed else "clean",
            }
    except (OSError, subprocess.SubprocessError):
        pass
    return found | {"git commit": "unknown: reference/ and crosscheck/ are not in a git checkout"}


@dataclass
class Certificate:
    seed: int
    cases_per_cell: int
    oracles: tuple[str, ...]
    cells: list[CellResult]
    trajectory: dict[str, Trajectory]
    mutants: list[MutantResult]
    seconds: dict[str, float]
    curves: dict[str, list[float]] = field(default_factory=dict)
    """The loss at every iteration of the 2000-iteration XOR run, per backend."""
    proof: Any = None
    """The symbolic tier's run (`crosscheck.proof.sweep.Proof`), or None when it did not run."""
    proof_skipped: str = "not asked for (add_proof adds it)"
    """Why it did not run, when it did not."""
    coq: Any = None
    """coqc's check of proofs/ in this run (`crosscheck.certificate.coq.CoqCheck`), or None when not asked for."""
    versions: dict[str, str] = field(default_factory=versions)
    code: dict[str, str] = field(default_factory=code)
    """The code certified: see `code()`."""
    machine: dict[str, str] = field(default_factory=lambda: machine())
    """What the figures' last digits depend on: the CPU, the BLAS and its threads (see `machine()`)."""
    date: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    """The day (UTC) the run began."""

    @property
    def ok(self) -> bool:
        return (
            all(c.ok for c in self.cells)
            and all(t.ok for t in self.trajectory.values())
            and all(not m.missed_by for m in self.mutants)
            and (self.proof is None or self.proof.ok)
            and (self.coq is None or not self.coq.checked or self.coq.ok)
        )

    def structures(self) -> dict[str, list[int]]:
        """The least and most weight layers, widths (every layer's, the input's included) and batch sizes of the
        cells' structures, as this run drew them."""
        depths = [len(c.sizes) - 1 for c in self.cells]
        widths = [w for c in self.cells for w in c.sizes]
        batches = [c.N for c in self.cells]
        return {
            name: [min(values), max(values)] if values else []
            for name, values in (("weight_layers", depths), ("widths", widths), ("batch", batches))
        }

    def structures_in_words(self) -> str:
        s = self.structures()
        if not s["weight_layers"]:
            return "none"
        return "{}-{} weight layers, widths {}-{}, batch {}-{}".format(*s["weight_layers"], *s["widths"], *s["batch"])

    def total_cases(self) -> dict[str, int]:
        return {o: sum(c.cases.get(o, 0) for c in self.cells) for o in self.oracles}

    def verdict(self) -> str:
        return " ".join(text for text, _, _ in self.verdict_parts())

    def verdict_parts(self) -> list[tuple[str, str, str]]:
        """The verdict's sentences, each with its ledger tag (kind, detail): see
        `crosscheck.certificate.ledger`."""
        if not self.ok:
            return [("NOT VERIFIED: " + "; ".join(self._problems()) + ".", "Measured", "what this run found")]
        parts = [
            (
                "VERIFIED: BP1-BP4 (δ at every layer, ∂C/∂W, ∂C/∂b), the cost and the gradient-descent update "
                f"agree with {', '.join(self.oracles)} on every cell, the XOR trajectories match, and every mutant "
                "is caught.",
                "Cross-checked",
                self.tolerances_in_words(),
            )
        ]
        if self.proof is not None:
            parts += [
                (f"{self.proof.scope()}: proven as exact identities.", "Proven", "crosscheck/proof, the section Proven below"),
                (
                    "That they hold at every depth rests on the loop of `backward` computing δ^l by the same step at every l.",
                    "Hypothesis",
                    f"read off the code; checked end to end to {self.proof.deepest()} weight layers",
                ),
                ("Every formula mutant is refuted at the equation it breaks.", "Proven", "each residual decided non-zero"),
                (
                    "E" + self.proof.registry_scope("is")[1:] + ".",
                    "Proven",
                    "on the registry's own code",
                ),
            ]
        else:
            parts.append((f"The symbolic tier did not run ({self.proof_skipped}): nothing is proven.", "Measured", ""))
        if self.coq is not None and self.coq.ok:
            parts.append(
                (
                    "As equations, BP1-BP4 hold for every depth, width and batch size.",
                    "Proven",
                    f"Coq {self.coq.version}, coqc, in this run: the section For every depth",
                )
            )
        return parts

    def tolerances_in_words(self) -> str:
        """The oracles and the tolerances they were held to, for a Cross-checked tag."""
        f64, f32 = AUTOGRAD[np.dtype("float64")].rtol, AUTOGRAD[np.dtype("float32")].rtol
        fd = FINITE_DIFFERENCES[np.dtype("float64")].rtol
        rtol = f"rtol {f64:g} (float64), {f32:g} (float32), finite differences {fd:g}"
        return f"{', '.join(self.oracles)}; {rtol}, at each element's scale"

    def _problems(self) -> list[str]:
        problems = []
        bad = [c.cell.label for c in self.cells if not c.ok]
        if bad:
            problems.append(f"{len(bad)} cell(s) disagree ({', '.join(bad[:3])}{'...' if len(bad) > 3 else ''})")
        problems += [f"XOR trajectory ({k}) differs" for k, t in self.trajectory.items() if not t.ok]
        missed = [m.mutant.name for m in self.mutants if m.missed_by]
        if missed:
            problems.append(f"mutant(s) not caught: {', '.join(missed)}")
        if self.proof is not None and not self.proof.ok:
            problems.append("the symbolic tier " + self.proof.problem())
        if self.coq is not None and self.coq.checked and not self.coq.ok:
            problems.append("the Coq proof: " + self.coq.why)
        return problems

    def entry_table(self) -> list[tuple[str, dict[str, float]]]:
        """Largest |diff|/tol per catalogue entry × (oracle, dtype), over the cells using it."""
        rows = []
        for name in [*sorted(ACTIVATIONS), *sorted(LOSSES)]:
            worst: dict[str, float] = {}
            for c in self.cells:
                if name in (c.cell.activation, c.cell.output_activation, c.cell.loss):
                    for oracle, ratio in c.worst.items():
                        key = f"{oracle} {c.cell.dtype}"
                        worst[key] = max(worst.get(key, 0.0), ratio)
            if worst:
                rows.append((name, worst))
        return rows

    def hand_written(self, name: str) -> list[str]:
        """The oracles (of this certificate's) whose counterpart of catalogue entry `name` is an
        expression written in crosscheck/counterparts.py rather than a framework built-in."""
        from crosscheck import counterparts

        entry = counterparts.ACTIVATIONS.get(name) or counterparts.LOSSES.get(name)
        return [
            o
            for o in self.oracles
            if entry is not None
            and (_oracles.ORACLES[o].framework is None or _oracles.ORACLES[o].framework in entry.hand_written)
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "coq": None if self.coq is None else self.coq.as_dict(),
            "versions": self.versions,
            "code": self.code,
            "machine": self.machine,
            "seed": self.seed,
            "cases_per_cell": self.cases_per_cell,
            "oracles": list(self.oracles),
            "total_cases": self.total_cases(),
            "structures": self.structures(),
            "tolerances": {
                "autograd": {str(d): t.rtol for d, t in AUTOGRAD.items()},
                "finite_differences": {str(d): {"rtol": t.rtol, "cost_rtol": t.cost_rtol} for d, t in FINITE_DIFFERENCES.items()},
            },
            "cells": [
                {
                    "activation": c.cell.activation,
                    "output_activation": c.cell.output_activation,
                    "loss": c.cell.loss,
                    "dtype": str(c.cell.dtype),
                    "sizes": list(c.sizes),
                    "N": c.N,
                    "cases": c.cases,
                    "worst_ratio": c.worst,
                    "worst_ratio_per_layer": c.per_layer,
                    "ok": c.ok,
                    "counterexample": c.failure or None,
                    "hand_written": {
                        name: self.hand_written(name) for name in (c.cell.activation, c.cell.output_activation, c.cell.loss)
                    },
                }
                for c in self.cells
            ],
            "trajectory": {k: t.as_dict() for k, t in self.trajectory.items()},
            "trajectory_losses": self.curves,
            "mutants": [m.as_dict() for m in self.mutants],
            "proven": self.proof.as_dict() if self.proof is not None else {"skipped": self.proof_skipped},
            "seconds": self.seconds,
            "verdict": self.verdict(),
            "verdict_tags": [{"sentence": text, "tag": kind, "detail": detail} for text, kind, detail in self.verdict_parts()],
            "ledger": dict(ledger.TAGS),
            "reproducible": REPRODUCIBLE,
            "ok": self.ok,
        }


REPRODUCIBLE = {
    "same on a rerun": (
        "every other field: verdicts, counts, sizes, every |diff|/tol figure, the trajectories and the residuals, given"
        " the same seed, code, versions, CPU, BLAS, thread counts and installed proof checker"
    ),
    "differs": {
        "date": "the day the run was made",
        "seconds": "every field so named, at any depth: times read from the clock, which the machine's load sets",
    },
}
"""What of the JSON a second run reproduces, and what it may not, with why (tests/test_certificate.py runs two
fresh processes and compares them, leaving out exactly the fields listed under "differs")."""


STALL = 300.0
"""Seconds without a piece of work finishing on a cluster after which the run gives up (`--stall-timeout`)."""


class Stalled(RuntimeError):
    """Nothing finished on the cluster within the stall time: workers that all died and are no longer restarted."""

    def __init__(self, stall: float, done: int, total: int, what: str) -> None:
        self.done, self.total = done, total
        super().__init__(f"no {what} finished for {stall:g} s (--stall-timeout): stopped after {done:,} of {total:,} {what}s")


def finished(futures: Any, stall: float, what: str, total: int) -> Iterator[Any]:
    """Each future as it finishes; Stalled when none does for `stall` seconds."""
    from distributed import wait

    running, done = set(futures), 0
    while running:
        try:
            ready, running = wait(running, timeout=stall, return_when="FIRST_COMPLETED")
        except TimeoutError:
            raise Stalled(stall, done, total, what) from None
        for future in ready:
            done += 1
            yield future


def run(  # noqa: PLR0913 (keyword-only options, each with a default)
    *,
    cases: int = 64,
    seed: int = 0,
    only: str | None = None,
    oracles: tuple[str, ...] = tuple(_oracles.ORACLES),
    mutant_examples: int = 200,
    iterations: int = 2000,
    workers: int = 1,
    progress: Callable[..., None] | None = None,
    stall: float = STALL,
) -> Certificate:
    """Run the numeric checks, in three named stages (the cells, the XOR trajectory, the negative
    controls); `progress(stage, done, total, cases, disagreements)` is called as work
    completes. With `workers` > 1 the cells run on a dask.distributed LocalCluster of that
    many processes (each imports and compiles anew; the `dask` extra), and no cell finishing
    for `stall` seconds raises `Stalled`. `add_proof` adds the fourth stage, the symbolic tier."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    results = run_cells(cells(only), seed, cases, oracles, workers, progress, stall)
    seconds["cells"] = time.perf_counter() - start
    start = time.perf_counter()
    trajectory, curves = run_trajectories(iterations, oracles, progress)
    seconds["trajectory"] = time.perf_counter() - start
    start = time.perf_counter()
    mutants = run_controls(only, oracles, mutant_examples, progress)
    seconds["mutants"] = time.perf_counter() - start
    return Certificate(seed, cases, oracles, results, trajectory, mutants, seconds, curves)


def add_proof(cert: Certificate, progress: Callable[..., None] | None = None) -> Certificate:
    """Stage 4: the symbolic tier (`crosscheck.proof.sweep`) on every core, into `cert`; where
    SymPy is missing, `cert` says so and proves nothing."""
    from crosscheck import proof

    if not proof.available():
        cert.proof_skipped = f"SymPy is not installed: {proof.INSTALL}"
        return cert
    from crosscheck.proof import sweep

    def step(done: int, total: int) -> None:
        if progress:
            progress("proof", done, total)

    cert.proof, cert.proof_skipped = sweep.prove(progress=step), ""
    cert.seconds["proof"] = cert.proof.seconds
    return cert


def add_coq(cert: Certificate, progress: Callable[..., None] | None = None) -> Certificate:
    """Stage 5: coqc on proofs/ (`crosscheck.certificate.coq`), into `cert`; where coqc is missing, `cert` says so."""
    from crosscheck.certificate import coq

    if progress:
        progress("coq", 0, 1)
    cert.coq = coq.check()
    cert.seconds["coq"] = cert.coq.seconds
    if progress:
        progress("coq", 1, 1)
    return cert


def local_cluster(workers: int) -> Any:
    """A dask.distributed LocalCluster of `workers` one-thread processes, with no dashboard and its
    HTTP server on a port the OS picks: two clusters at once (two soaks, or tests run in parallel)
    never contend for distributed's default port 8787."""
    from distributed import LocalCluster

    stops.before_workers()
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )


def run_cells(  # noqa: PLR0917 (stage 1's pieces, each named as run names them)
    todo: list[Cell],
    seed: int,
    cases: int,
    oracles: tuple[str, ...],
    workers: int,
    progress: Callable[..., None] | None,
    stall: float = STALL,
) -> list[CellResult]:
    """Stage 1: every cell, in order (on a LocalCluster with `workers` > 1)."""
    if workers > 1:
        # The cells on a dask.distributed LocalCluster (the `dask` extra); each cell's result
        # depends only on the seed and the cell, so the order they finish in changes nothing.
        from distributed import Client

        with local_cluster(workers) as cluster, Client(cluster) as client:
            futures = {client.submit(run_cell, cell, seed, cases, oracles, pure=False): i for i, cell in enumerate(todo)}
            ordered: dict[int, CellResult] = {}
            for future in finished(futures, stall, "cell", len(todo)):
                ordered[futures[future]] = future.result()
                if progress:
                    progress("cells", len(ordered), len(todo), sum(sum(r.cases.values()) for r in ordered.values()), 0)
            return [ordered[i] for i in range(len(todo))]
    results: list[CellResult] = []
    for cell in todo:
        results.append(run_cell(cell, seed, cases, oracles))
        if progress:
            checked = sum(sum(r.cases.values()) for r in results)
            progress("cells", len(results), len(todo), checked, sum(not r.ok for r in results))
    return results


def run_trajectories(
    iterations: int, oracles: tuple[str, ...], progress: Callable[..., None] | None
) -> tuple[dict[str, Trajectory], dict[str, list[float]]]:
    """Stage 2: XOR trained by the reference and each framework with an update of its own,
    for a fixed number of iterations and under the tolerance rule; and the first run's losses."""
    frameworks = tuple(o for o in oracles if _oracles.ORACLES[o].sgd_step is not None)
    if not frameworks:
        return {}, {}
    fixed = xor_trajectory(iterations, None, frameworks)
    if progress:
        progress("trajectory", 1, 3)
    # The tolerance rule, with room to fire before the iteration cap.
    cap = 5000 if iterations >= 2000 else iterations
    stopped = xor_trajectory(cap, 1e-6, frameworks)
    if progress:
        progress("trajectory", 2, 3)
    # The tolerance rule where the loss rises before it falls (η = 30): a rule on the signed change would stop at
    # iteration 3 where the frameworks' |ΔC| rule runs on; this trajectory tells the two apart.
    rising = xor_trajectory(max(cap, 2000), 1e-7, frameworks, learning_rate=30.0)
    if progress:
        progress("trajectory", 3, 3)
    named = {f"{iterations} iterations": fixed, "tolerance 1e-6": stopped}
    named["tolerance 1e-7 at η = 30 (the loss rising first)"] = rising
    return named, fixed.losses


def run_controls(
    only: str | None, oracles: tuple[str, ...], mutant_examples: int, progress: Callable[..., None] | None
) -> list[MutantResult]:
    """Stage 3: the hunt for every mutant that applies (all of them, or those of `only`), by every oracle."""

    def applies(names: Any) -> bool:  # generic slips apply to every cell; the others to their entry
        named = {names.get("activation"), names.get("output_activation")} - {None}
        return only is None or not named or only in named

    chosen = [m for m in MUTANTS.values() if applies(m.strategy)]
    rows: list[MutantResult] = []
    for i, mutant in enumerate(chosen):
        rows.append(MutantResult(mutant, {o: hunt(mutant, o, max_examples=mutant_examples, shrink=False) for o in oracles}))
        if progress:
            progress("mutants", i + 1, len(chosen), 0, sum(bool(m.missed_by) for m in rows))
    return rows


def machine() -> dict[str, str]:
    """What the last digits of the certificate's figures depend on, besides the seed, the code and
    the versions: the CPU (its vector units pick BLAS kernels), the BLAS NumPy is built on and
    the threads it and torch use (a sum split over threads rounds in another order)."""
    found = {"cpu": platform.processor() or platform.machine(), "cores": str(os.cpu_count())}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                found["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(Exception):
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        found["numpy blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE"):
        if variable in os.environ:
            found[variable] = os.environ[variable]
    with contextlib.suppress(ImportError):
        import torch

        found["torch threads"] = str(torch.get_num_threads())
    return found


def available_oracles() -> tuple[str, ...]:
    """The oracles whose frameworks are installed here."""
    return _oracles.available()
