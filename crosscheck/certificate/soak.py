"""The soak: a total number of cases, spread over the catalogue's cells, on Dask when it is there.

    python -m crosscheck --soak 1000000 [--workers N | --scheduler ADDRESS] [--seed S]

The work is cut into chunks. Chunk i belongs to cell i mod (number of cells) and draws
its cases from `numpy.random.default_rng([seed, i])` alone (`strategies.random_cases`),
so the same seed gives the same cases, and the same verdict, however many workers run
them and in whatever order they finish. Each chunk runs the whole pipeline
(`check.check_cases`) and sends back a small summary; the summaries are reduced as they
arrive (counts, the largest |diff|/tol, the first few counterexamples), so memory stays
flat however many cases run, and only a bounded number of chunks is in flight.

On a `dask.distributed` cluster (a `LocalCluster` of `workers` processes by default, or
the scheduler at `scheduler`), a chunk whose worker dies is run again elsewhere (Dask
retries it), so a killed worker loses nothing. Without Dask installed, the same chunks
run here, one after the other: `pip install 'backprop-crosscheck[dask]'` for the rest.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crosscheck.certificate.run import Cell, cells, code, local_cluster, versions

CHUNK = 2000
"""Cases per chunk: enough to amortise a task's overhead (a few ms on one machine, more
across a network), few enough that a lost chunk costs seconds."""
KEEP = 3
"""Counterexamples kept in full (every failure is counted)."""


@dataclass(frozen=True)
class Chunk:
    index: int
    cell: Cell
    count: int
    seed: int


def plan(total: int, seed: int, chunk: int | None = None, only: str | None = None) -> list[Chunk]:
    """`total` cases in chunks of `chunk` (default: at most CHUNK, smaller when that lets
    every cell have one), dealt over the cells in turn."""
    todo = cells(only)
    chunk = max(1, min(CHUNK, -(-total // len(todo)))) if chunk is None else chunk
    chunks, left, index = [], total, 0
    while left > 0:
        count = min(chunk, left)
        chunks.append(Chunk(index, todo[index % len(todo)], count, seed))
        left -= count
        index += 1
    return chunks


def run_chunk(chunk: Chunk, oracles: tuple[str, ...]) -> dict[str, Any]:
    """One chunk through the pipeline; a summary small enough to send back."""
    import warnings

    from crosscheck.check import check_cases
    from crosscheck.strategies import random_cases

    warnings.filterwarnings("ignore", message="invalid value encountered in matmul", category=RuntimeWarning)
    rng = np.random.default_rng([chunk.seed, chunk.index])
    cell = chunk.cell
    drawn = random_cases(
        rng, chunk.count, activation=cell.activation, output_activation=cell.output_activation, loss=cell.loss, dtype=cell.dtype
    )
    result = check_cases(drawn, oracles)
    return {
        "index": chunk.index,
        "cell": cell.label,
        "cases": len(drawn),
        "failures": len(result.failures),
        "cleared": len(result.cleared),
        "worst": {name: float(result.worst[name].max(initial=0.0)) for name in oracles},
        "reports": [f.report() for f in result.failures[:KEEP]],
    }


@dataclass
class Soak:
    """The reduced result of a soak."""

    seed: int
    total: int
    workers: int
    where: str
    oracles: tuple[str, ...]
    cases: int = 0
    chunks: int = 0
    failures: int = 0
    cleared: int = 0
    worst: dict[str, float] = field(default_factory=dict)
    reports: list[str] = field(default_factory=list)
    failing_cells: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    versions: dict[str, str] = field(default_factory=versions)
    code: dict[str, str] = field(default_factory=code)

    def add(self, summary: dict[str, Any]) -> None:
        self.cases += summary["cases"]
        self.chunks += 1
        self.failures += summary["failures"]
        self.cleared += summary["cleared"]
        for name, ratio in summary["worst"].items():
            self.worst[name] = max(self.worst.get(name, 0.0), ratio)
        if summary["failures"]:
            self.failing_cells[summary["cell"]] = self.failing_cells.get(summary["cell"], 0) + summary["failures"]
            self.reports.extend(summary["reports"][: KEEP - len(self.reports)])

    @property
    def ok(self) -> bool:
        return self.failures == 0 and self.cases == self.total

    def verdict(self) -> str:
        if self.ok:
            return (
                f"VERIFIED: {self.cases:,} cases over {len(cells())} cells agree with {', '.join(self.oracles)} "
                f"(δ at every layer, ∂C/∂W, ∂C/∂b and the cost; seed {self.seed}, {self.workers} worker(s))"
            )
        if self.cases != self.total:
            return f"INCOMPLETE: {self.cases:,} of {self.total:,} cases checked"
        return f"NOT VERIFIED: {self.failures:,} of {self.cases:,} cases disagree (in {len(self.failing_cells)} cell(s))"

    def terminal(self) -> str:
        worst = ", ".join(f"{name} {ratio:.2g}" for name, ratio in self.worst.items())
        lines = [
            "Backpropagation soak",
            "  " + ", ".join(f"{k} {self.versions[k]}" for k in ("python", "numpy", "torch", "jax")),
            f"  {self.cases:,} cases in {self.chunks} chunks, seed {self.seed}, {self.workers} worker(s) ({self.where}), "
            f"{self.seconds:.0f} s ({self.cases / max(self.seconds, 1e-9):,.0f} cases/s)",
            f"  largest |diff|/tol: {worst}",
        ]
        if self.reports:
            lines += ["", "Counterexample:", self.reports[0]]
        return "\n".join([*lines, "", self.verdict()])

    def as_dict(self) -> dict[str, Any]:
        return {
            "versions": self.versions,
            "code": self.code,
            "seed": self.seed,
            "cases": self.cases,
            "total": self.total,
            "chunks": self.chunks,
            "workers": self.workers,
            "where": self.where,
            "oracles": list(self.oracles),
            "failures": self.failures,
            "cleared": self.cleared,
            "failing_cells": self.failing_cells,
            "worst_ratio": self.worst,
            "counterexamples": self.reports,
            "seconds": self.seconds,
            "verdict": self.verdict(),
            "ok": self.ok,
        }

    def markdown(self, command: str) -> str:
        worst = ", ".join(f"{name} {ratio:.2g}" for name, ratio in self.worst.items())
        code = "\n".join(f"- {k}: `{c}`" for k, c in self.code.items())
        text = f"""# Soak: the backpropagation derivation against {", ".join(self.oracles)}

**{self.verdict()}**

Reproduce: `{command}`

{self.cases:,} cases (of {self.total:,} asked), {self.chunks} chunks of at most {CHUNK:,}, over the {len(cells())} cells of
the catalogue (every valid hidden activation × output activation × loss × dtype), seed {self.seed}, {self.workers}
worker(s) ({self.where}). Largest |diff|/tol: {worst}.

Code checked:
{code}
"""
        if self.reports:
            text += "\n## Counterexample\n\n```\n" + self.reports[0] + "\n```\n"
        return text


def _local_workers(workers: int | None) -> int:
    return workers if workers is not None else (os.cpu_count() or 1)


CONNECT_TIMEOUT = 10.0
"""Seconds to wait for `--scheduler` to answer before giving up."""


STALL = 300.0
"""Seconds without a chunk finishing after which the soak gives up (`--stall-timeout`): workers that
all died and are no longer restarted, or a cluster that stopped answering, never leave it waiting."""


class SoakStopped(RuntimeError):
    """The soak could not go on (no progress for `stall` s, or the cluster was lost): what was finished."""

    def __init__(self, why: str, result: Soak) -> None:
        self.result = result
        super().__init__(
            f"{why}: stopped after {result.cases:,} of {result.total:,} cases checked "
            f"({result.chunks} chunks, {result.failures:,} disagreements among them); nothing is claimed for the rest"
        )


class SchedulerUnreachable(RuntimeError):
    """The Dask scheduler named could not be reached in time (or its address is not one), or it has no worker."""

    def __init__(self, address: str, timeout: float, error: BaseException | None) -> None:
        self.address, self.timeout = address, timeout
        if error is None:
            super().__init__(f"--scheduler {address}: the scheduler answered, but no worker joined it within {timeout:g} s")
            return
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        super().__init__(f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s ({reason})")


def soak(  # noqa: PLR0913 (keyword-only options, each with a default)
    total: int,
    *,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    oracles: tuple[str, ...] = ("torch", "jax"),
    chunk: int | None = None,
    only: str | None = None,
    progress: Callable[..., None] | None = None,
    distributed: bool | None = None,
    client: Any = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    stall: float = STALL,
) -> Soak:
    """Check `total` cases, spread over the catalogue's cells, on Dask (a LocalCluster of
    `workers` processes, the cluster at `scheduler`, or an open `client`) or, without Dask
    (or with `distributed=False`), here. A `scheduler` that does not answer, or has no worker,
    within `connect_timeout` seconds raises `SchedulerUnreachable`; no chunk finishing for
    `stall` seconds, or a lost cluster, raises `SoakStopped` with what was finished."""
    chunks = plan(total, seed, chunk, only)
    use_dask = (dask_available() if distributed is None else distributed) or client is not None
    if scheduler is not None and not use_dask:
        raise RuntimeError("--scheduler needs Dask: pip install 'backprop-crosscheck[dask]'")
    start = time.perf_counter()
    if use_dask:
        result, summaries = _on_dask(
            chunks,
            total,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            oracles=oracles,
            given=client,
            connect_timeout=connect_timeout,
            stall=stall,
        )
    else:
        result = Soak(
            seed, total, 1, "in this process (Dask is not installed)" if distributed is None else "in this process", oracles
        )
        summaries = (run_chunk(c, oracles) for c in chunks)
    try:
        for summary in summaries:
            result.add(summary)
            if progress:
                progress("soak", result.chunks, len(chunks), result.cases, result.failures)
    except _Stall:
        raise SoakStopped(f"no chunk finished for {stall:g} s (--stall-timeout)", result) from None
    except Exception as error:  # the cluster went: a closed comm, a cancelled future, a refused connection
        if not use_dask:
            raise
        raise SoakStopped(
            f"the Dask cluster was lost ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})", result
        ) from None
    result.seconds = time.perf_counter() - start
    return result


class _Stall(Exception):
    """No chunk finished within the stall time."""


def dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _on_dask(  # noqa: PLR0913 (keyword-only options, passed on from soak)
    chunks: list[Chunk],
    total: int,
    *,
    seed: int,
    workers: int | None,
    scheduler: str | None,
    oracles: tuple[str, ...],
    given: Any = None,
    connect_timeout: float = 10.0,
    stall: float = STALL,
) -> tuple[Soak, Iterator[dict[str, Any]]]:
    client, cluster, count, where = _connect(workers, scheduler, given, connect_timeout)
    result = Soak(seed, total, count, where, oracles)

    def summaries() -> Iterator[dict[str, Any]]:
        from distributed import wait

        try:
            window = max(2 * count, 4)  # chunks in flight: memory stays flat
            pending = iter(chunks)
            running = {client.submit(run_chunk, c, oracles, retries=3, pure=False) for _, c in zip(range(window), pending)}
            while running:
                try:
                    done, running = wait(running, timeout=stall, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    raise _Stall from None
                for future in done:
                    yield future.result()
                    future.release()
                    following = next(pending, None)
                    if following is not None:
                        running.add(client.submit(run_chunk, following, oracles, retries=3, pure=False))
        finally:
            if given is None:
                with contextlib.suppress(Exception):  # a lost cluster closes badly; the report says so already
                    client.close()
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close()

    return result, summaries()


def _connect(workers: int | None, scheduler: str | None, given: Any, connect_timeout: float) -> tuple[Any, Any, int, str]:
    """The Dask client to soak on (the given one, one of the cluster at `scheduler`, or one of a LocalCluster of
    `workers` started here); the cluster started here (None otherwise); its worker count; where it runs, in words.
    SchedulerUnreachable when the scheduler cannot be reached or has no worker within `connect_timeout` s."""
    from distributed import Client

    cluster = None
    if given is not None:
        client = given
        count = len(client.scheduler_info().get("workers", {}))
        where = "the given Dask client"
    elif scheduler is not None:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError) as error:  # refused, unresolvable, timed out, or a bad address
            raise SchedulerUnreachable(scheduler, connect_timeout, error) from None
        try:
            client.wait_for_workers(1, timeout=connect_timeout)
        except (OSError, TimeoutError) as error:
            client.close()
            raise SchedulerUnreachable(scheduler, connect_timeout, None) from error
        count = len(client.scheduler_info().get("workers", {}))
        where = f"the cluster at {scheduler}"
    else:
        count = _local_workers(workers)
        cluster = local_cluster(count)
        client = Client(cluster)
        where = "a dask.distributed LocalCluster"
    return client, cluster, count, where
