"""The symbolic tier's plan and its run: every identity of the certificate's "Proven" section.

- **Lemmas**, at every width pair up to 6 × 6 and N = 1, 2, 3: the networks (1, p, q) with σ, τ
  and C undefined. Each proves BP1 at width q (δ^3 = ∂C/∂z^3 for any C and τ), BP2 at q × p
  (δ^2 from δ^3 through W^3, which is q × p: the inductive step, since δ^3 is proven first and
  ∂C/∂z^3 ranges over every vector as C varies, the layer above is an arbitrary function G of
  z^3), and BP3 and BP4 of layer 3 at width q and q × p (C depends on b^3 and W^3 only through
  z^3 = W^3 a^2 + b^3, with a^2 any vector: the lemma for any layer l). Layer 2's own
  gradients are left to the end-to-end networks, which prove BP3 and BP4 at hidden layers.
- **Softmax BP1**, at widths 1 to 6 and N = 1, 2, 3: the networks (1, q) with softmax output,
  its Jacobian the code under test's own.
- **End to end**, as a cross-check of the lemmas: whole networks of 1 to 4 weight layers of
  widths ≤ 3, every quantity of each.
- **Refutations**: each formula mutant of `crosscheck.mutants` (the errata's literal δ
  recursion among them, and softmax's Jacobian treated as element-wise, with softmax output) on
  a (2, 2, 2) network, N = 2, refuted at its equation with a non-zero residual.
- **The registry's σ' and ∇_a C**: each catalogue σ' against SymPy's derivative of its σ, each
  loss's gradient against its cost's, and each wrong σ' or ∇_a C of the mutant catalogue and the
  printed sigmoid (the other erratum) refuted the same way
  (`crosscheck.proof.derivatives`, in this process: a fraction of a second).

Each network is one job, run in its own process of a pool (`workers`, default every core), the
largest first; the results are plain data (a residual as text), in the plan's order.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

WIDTHS = range(1, 7)
"""The lemmas' widths: every pair p, q of these."""
SAMPLES = (1, 2, 3)
"""N, the samples of the batch-mean cost."""
END_TO_END: tuple[tuple[tuple[int, ...], int], ...] = (
    ((3, 3), 3),
    ((2, 3, 1), 3),
    ((3, 3, 3), 2),
    ((3, 2, 3, 1), 2),
    ((3, 3, 3, 3), 2),
    ((2, 3, 2, 3, 2), 1),
    ((3, 3, 3, 3, 3), 1),
)
"""Whole networks (sizes, N): 1 to 4 weight layers, widths ≤ 3."""
PATHS: tuple[tuple[tuple[int, ...], int, str], ...] = (((2, 3, 2), 2, "τ"), ((3, 2, 3, 1), 2, "τ"), ((2, 3), 2, "softmax"))
"""Whole networks (sizes, N, output) run again on the reference's other code paths: as a stack of
two cases (the certificate's numeric path) and with out= (train's), `identities.PATHS`."""
REFUTED_AT = ((2, 2, 2), 2)
"""The network each formula mutant runs on: square layers (some slips need them), two of
them (BP2 needs a layer above), N = 2 (a 1/N slip needs N > 1)."""
FORMULA_MUTANTS = {
    "bp1_without_sigma_prime": "BP1",
    "sigma_prime_of_a": "BP1",
    "bp2_weights_not_transposed": "BP2",
    "bp2_transpose_on_delta": "BP2",
    "bp2_sigma_prime_one_layer_up": "BP2",
    "bp3_mean": "BP3",
    "bp3_first_sample": "BP3",
    "bp4_current_activation": "BP4",
    "no_one_over_n": "BP1",
    "one_over_n_twice": "BP1",
    "wrong_sign_error": "BP1",
    "literal_recursion": "BP2",
    "wrong_softmax_derivative": "BP1",
}
"""The mutants that change a formula of BP1-BP4, each with the equation it breaks (the first a
walk back from the output meets): every one for any σ and C, but the softmax Jacobian treated as
element-wise, which breaks BP1 for softmax and any C. The update's `ascent_update` is out of
the tier's scope; a catalogue entry's wrong σ' or ∇C, and the printed sigmoid, change a
concrete σ or C, which the lemmas leave undefined (`crosscheck.proof.derivatives` refutes them)."""
OUTPUT_OF = {"wrong_softmax_derivative": "softmax"}
"""The output activation a mutant is refuted with, where τ undefined would never call its slip."""


@dataclass(frozen=True)
class Job:
    """One network to run: which claim it serves, whose code (the reference or a mutant)."""

    claim: str
    """"lemma", "softmax", "end-to-end" or "refutation"."""
    sizes: tuple[int, ...]
    N: int
    output: str = "τ"
    mutant: str | None = None
    path: str = "arrays"
    """The code path (`identities.PATHS`): one case's arrays, a stack of two, or out=."""

    @property
    def weight(self) -> int:
        """A cost estimate for ordering (the number of parameters times samples)."""
        parameters = sum(m * (n + 1) for n, m in itertools.pairwise(self.sizes))
        return parameters * self.N * (4 if self.output == "softmax" else 1) * (2 if self.path == "stack" else 1)


@dataclass(frozen=True)
class Result:
    """One job's outcome, as plain data."""

    job: Job
    proven: tuple[str, ...]
    failed: str | None
    equation: str | None
    element: tuple[int, int] | None
    residual: str | None
    """The residual at the failing element, factored for reading (None when proven)."""
    seconds: float

    @property
    def ok(self) -> bool:
        return self.failed is None


def plan() -> list[Job]:
    """Every job of the tier, in the order the certificate lists them."""
    jobs = [Job("lemma", (1, p, q), N) for p, q in itertools.product(WIDTHS, WIDTHS) for N in SAMPLES]
    jobs += [Job("softmax", (1, q), N, output="softmax") for q in WIDTHS for N in SAMPLES]
    jobs += [Job("end-to-end", sizes, N) for sizes, N in END_TO_END]
    jobs += [Job("path", sizes, N, output=output, path=path) for sizes, N, output in PATHS for path in ("stack", "out")]
    jobs += [Job("refutation", *REFUTED_AT, output=OUTPUT_OF.get(name, "τ"), mutant=name) for name in FORMULA_MUTANTS]
    return jobs


def run_job(job: Job) -> Result:
    """One job, in this process."""
    from crosscheck.proof import identities
    from reference import Network

    cls = Network
    if job.mutant is not None:
        from crosscheck.mutants import MUTANTS

        cls = MUTANTS[job.mutant].network
    layers = (len(job.sizes),) if job.claim == "lemma" else None
    outcome = identities.run(cls, job.sizes, job.N, output=job.output, gradients_of=layers, path=job.path)
    return Result(job, outcome.proven, outcome.failed, outcome.equation, outcome.element, outcome.shown, outcome.seconds)


def prove(
    jobs: Iterable[Job] | None = None, workers: int | None = None, progress: Callable[[int, int], None] | None = None
) -> Proof:
    """Every job (default: the whole plan) on `workers` processes (default: every core; 1 runs
    them here), the largest first; the results in the jobs' order, the wall time. The whole plan
    also checks each catalogue σ' (`crosscheck.proof.derivatives`), here."""
    todo = list(plan() if jobs is None else jobs)
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    start = time.perf_counter()
    results: dict[int, Result] = {}
    order = sorted(range(len(todo)), key=lambda i: -todo[i].weight)
    if workers == 1:
        for i in order:
            results[i] = run_job(todo[i])
            if progress:
                progress(len(results), len(todo))
    else:
        # spawn: the parent may hold torch's or JAX's threads, which a fork would copy mid-state.
        from crosscheck import stops

        stops.before_workers()
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(run_job, todo[i]): i for i in order}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if progress:
                    progress(len(results), len(todo))
    checks: tuple[list[Any], list[Any]] = ([], [])
    if jobs is None:
        from crosscheck.proof import costs, derivatives

        checks = derivatives.catalogue() + costs.losses(), derivatives.wrong_derivatives()
    return Proof([results[i] for i in range(len(todo))], time.perf_counter() - start, workers, *checks)


LEMMAS = (
    ("BP1", "δ^L = ∇_a C ⊙ σ'(z^L), any element-wise σ and any cost C", "δ^3"),
    ("BP2", "δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l), the layer above any function of z^{l+1}", "δ^2"),
    ("BP3", "∂C/∂b^l = Σ_x δ^l", "∂C/∂b^3"),
    ("BP4", "∂C/∂W^l = δ^l (a^{l-1})ᵀ", "∂C/∂W^3"),
)
"""Each lemma, its statement, and the quantity of a (1, p, q) network that proves it."""


@dataclass(frozen=True)
class Row:
    """One line of the certificate's "Proven" section."""

    equation: str
    statement: str
    proven_at: str
    """The widths (or networks) at which it is proven, in words."""
    samples: tuple[int, ...]
    networks: int
    seconds: float
    """CPU seconds of the networks it took (shared by the lemmas of one network)."""
    complete: bool
    """Proven at every width (network) the plan holds."""


@dataclass(frozen=True)
class Proof:
    """The symbolic tier's run: every result, the wall time, and the workers."""

    results: list[Result]
    seconds: float
    workers: int
    derivatives: list[Any] = field(default_factory=list)
    """Each catalogue σ' against SymPy's derivative of its σ, and each loss's ∇_a C against its C's
    (`derivatives.Check`)."""
    wrong: list[Any] = field(default_factory=list)
    """Each wrong σ' and ∇_a C of the mutant catalogue, and the printed sigmoid, checked the same way."""

    def rows(self) -> list[Row]:
        """The identities proven, with their widths, N and time, computed from the results (a
        width appears only where its quantity was proven)."""
        lemma = [r for r in self.results if r.job.claim == "lemma"]
        cpu = sum(r.seconds for r in lemma)
        rows = []
        for equation, statement, label in LEMMAS:
            done = [r for r in lemma if label in r.proven]
            pairs = {(r.job.sizes[2], r.job.sizes[1]) for r in done}
            if equation in ("BP1", "BP3"):
                shown, want = f"widths {_span({q for q, _ in pairs})}", {q for q, _ in _every()}
                complete = {q for q, _ in pairs} == want and len(done) == len(lemma)
            else:
                shown = f"every q × p, p, q in {_span({p for _, p in pairs} | {q for q, _ in pairs})}"
                complete = pairs == _every() and len(done) == len(lemma)
            rows.append(Row(equation, statement, shown, _samples(done), len(done), cpu, complete))
        softmax = [r for r in self.results if r.job.claim == "softmax"]
        done = [r for r in softmax if r.ok]
        widths = {r.job.sizes[1] for r in done}
        rows.append(
            Row(
                "BP1 (softmax)",
                "δ^L = J(z^L)ᵀ ∇_a C, J the Jacobian the code computes, any cost C",
                f"widths {_span(widths)}",
                _samples(done),
                len(done),
                sum(r.seconds for r in softmax),
                bool(softmax) and len(done) == len(softmax),
            )
        )
        whole = [r for r in self.results if r.job.claim == "end-to-end"]
        done = [r for r in whole if r.ok]
        rows.append(
            Row(
                "end to end",
                "C, every δ^l, ∂C/∂b^l and ∂C/∂W^l of a whole network (BP1-BP4 at every layer)",
                ", ".join("-".join(map(str, r.job.sizes)) + f" (N={r.job.N})" for r in done) or "none",
                _samples(done),
                len(done),
                sum(r.seconds for r in whole),
                bool(whole) and len(done) == len(whole),
            )
        )
        paths = [r for r in self.results if r.job.claim == "path"]
        done = [r for r in paths if r.ok]
        rows.append(
            Row(
                "code paths",
                "the same quantities on a stack of two cases (a leading axis, `.mT`) and with out= buffers",
                ", ".join(f"{'-'.join(map(str, r.job.sizes))} {r.job.output} {r.job.path}" for r in done) or "none",
                _samples(done),
                len(done),
                sum(r.seconds for r in paths),
                bool(paths) and len(done) == len(paths),
            )
        )
        return rows

    def refutations(self) -> list[Result]:
        return [r for r in self.results if r.job.claim == "refutation"]

    def of_mutant(self, name: str) -> Result | Any | None:
        """The tier's evidence against mutant `name`: its refutation (a `Result`), its wrong σ' or
        ∇_a C checked (a `derivatives.Check`), or None where the tier has none (the update's)."""
        found = [r for r in self.refutations() if r.job.mutant == name] + [c for c in self.wrong if c.name == name]
        return found[0] if found else None

    def refuted(self, result: Result) -> bool:
        """A mutant's result refutes it: not an identity, at the equation it breaks."""
        return not result.ok and result.equation == FORMULA_MUTANTS.get(result.job.mutant or "")

    @property
    def ok(self) -> bool:
        """Every identity of the plan proven, every formula mutant refuted at its equation, every catalogue
        entry's σ', C and ∇_a C confirmed (not expressible is not proven), every wrong one refuted."""
        return (
            all(row.complete for row in self.rows())
            and all(self.refuted(r) for r in self.refutations())
            and all(c.verdict == "confirmed" for c in self.derivatives)
            and all(c.verdict == "refuted" for c in self.wrong)
        )

    def problem(self) -> str:
        """What fails, in words, for the verdict (empty when `ok`)."""
        failed = [r for r in self.results if r.job.claim != "refutation" and not r.ok]
        if failed:
            r = failed[0]
            network = "-".join(map(str, r.job.sizes))
            where = f"at element {r.element}: residual" if r.element is not None else "where the code raised"
            on = "" if r.job.path == "arrays" else f" on its {r.job.path} path"
            return f"refutes {r.equation} ({r.failed}) of the network {network}, N = {r.job.N}{on}, {where} {r.residual}"
        missed = [r.job.mutant or "" for r in self.refutations() if not self.refuted(r)]
        if missed:
            return f"does not refute the formula mutant(s) {', '.join(missed)} at their equation"
        wrong = [c for c in self.derivatives if c.verdict == "refuted"]
        if wrong:
            c = wrong[0]
            return f"refutes {c.identity} for the catalogue's {c.name} (at {c.branch}): residual {c.detail}"
        blind = [c.name for c in self.wrong if c.verdict == "confirmed"]
        if blind:
            return f"confirms the wrong derivative(s) {', '.join(blind)}"
        unfollowed = [
            f"{c.name} ({c.identity}: {c.detail})" for c in [*self.derivatives, *self.wrong] if c.verdict == "not expressible"
        ]
        if unfollowed:
            return f"cannot follow, so does not prove, {'; '.join(unfollowed)}"
        incomplete = [row.equation for row in self.rows() if not row.complete]
        return f"did not prove {', '.join(incomplete)} at every width" if incomplete else ""

    def scope(self) -> str:
        """What is proven, on which code paths, at which sizes: the headline's scope, written from what ran."""
        scope = self.recorded_scope()
        widest = max(scope["lemma_widths"], default=0)
        depths = [len(n["sizes"]) - 1 for n in scope["end_to_end"]]
        paths = sorted(
            {"-".join(map(str, p["sizes"])) + (" softmax" if p["output"] == "softmax" else "") for p in scope["paths"]}
        )
        path_samples = sorted({p["N"] for p in scope["paths"]})
        return (
            f"BP1-BP4 on the reference's own backward, for any σ and C, at every width pair up to {widest} × {widest} and "
            f"N ≤ {max(scope['lemma_samples'], default=0)} on one case's arrays; end to end on {len(depths)} whole "
            f"networks of {min(depths, default=0)} to {max(depths, default=0)} weight layers and widths ≤ "
            f"{max(scope['end_to_end_widths'], default=0)}; on a stack of two and with out= on {', '.join(paths) or 'none'} "
            f"at N = {', '.join(map(str, path_samples)) or 'none'}"
        )

    def registry_scope(self, verb: str = "") -> str:
        """Where each catalogue σ', C and ∇_a C was checked, written from what ran (`verb`: "is" for a sentence of
        its own, "" for a clause of the headline)."""
        scope = self.recorded_scope()
        equal, be = (f" {verb} ", f" {verb} ") if verb else (" equal to ", " ")
        return (
            f"each catalogue σ'{equal}dσ/dz on a symbol z > 0 and z < 0, each loss's C{be}its stated formula and its "
            f"∇_a C{be}that formula's derivative, on {scope['cost_outputs']} outputs at N = "
            f"{', '.join(map(str, scope['cost_samples'])) or 'none'}"
        )

    def deepest(self) -> int:
        """The most weight layers of a whole network proven end to end in this run."""
        return max((len(n["sizes"]) - 1 for n in self.recorded_scope()["end_to_end"]), default=0)

    def headline(self) -> str:
        """The tier's verdict in one line: PROVEN with its scope, or NOT PROVEN with what is and what is not."""
        if self.ok:
            return (
                f"PROVEN: {self.scope()}; every formula mutant refuted; {self.registry_scope()} (every depth beyond "
                f"{self.deepest()} weight layers rests on the loop's uniformity, a hypothesis)."
            )
        proven = [row.equation for row in self.rows() if row.complete]
        return f"NOT PROVEN: the tier {self.problem()} (proven: {', '.join(proven) or 'nothing'})."

    def recorded_scope(self) -> dict[str, Any]:
        """What this run proved, read off its results: the lemmas' widths and N, each whole network and code path
        proven, the networks the mutants were refuted on; the costs' outputs and N are the ones `proof.costs` runs
        every registry check with (its results do not carry them), given only when those checks ran. The reports'
        scope sentences are written from it, and tests/scopes.py checks them against it."""
        from crosscheck.proof import costs

        def proven(claim: str) -> list[Result]:
            return [r for r in self.results if r.job.claim == claim and r.ok]

        lemmas = proven("lemma")
        whole = proven("end-to-end")
        return {
            "lemma_widths": sorted({w for r in lemmas for w in r.job.sizes[1:]}),
            "lemma_samples": sorted({r.job.N for r in lemmas}),
            "end_to_end": [{"sizes": list(r.job.sizes), "N": r.job.N} for r in whole],
            "end_to_end_widths": sorted({w for r in whole for w in r.job.sizes}),
            "paths": [
                {"sizes": list(r.job.sizes), "N": r.job.N, "output": r.job.output, "path": r.job.path} for r in proven("path")
            ],
            "refuted_on": [
                {"sizes": list(sizes), "N": N} for sizes, N in sorted({(tuple(r.job.sizes), r.job.N) for r in self.refutations()})
            ],
            "cost_outputs": costs.OUTPUTS if self.derivatives else None,
            "cost_samples": list(costs.SAMPLES) if self.derivatives else [],
            "networks": len(self.results),
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "scope": self.recorded_scope(),
            "seconds": self.seconds,
            "workers": self.workers,
            "identities": [vars(row) for row in self.rows()],
            "refutations": [
                {
                    "mutant": r.job.mutant,
                    "network": list(r.job.sizes),
                    "N": r.job.N,
                    "refuted_at": r.failed,
                    "equation": r.equation,
                    "element": r.element,
                    "residual": r.residual,
                    "ok": self.refuted(r),
                }
                for r in self.refutations()
            ],
            "derivatives": [vars(c) for c in self.derivatives],
            "wrong_derivatives": [vars(c) for c in self.wrong],
            "failures": [
                {"network": list(r.job.sizes), "N": r.job.N, "output": r.job.output, "quantity": r.failed, "residual": r.residual}
                for r in self.results
                if r.job.claim != "refutation" and not r.ok
            ],
            "ok": self.ok,
        }


def _every() -> set[tuple[int, int]]:
    return {(q, p) for p in WIDTHS for q in WIDTHS}


def _span(values: set[int]) -> str:
    if not values:
        return "none"
    low, high = min(values), max(values)
    return f"{low}-{high}" if values == set(range(low, high + 1)) else ", ".join(map(str, sorted(values)))


def _samples(results: list[Result]) -> tuple[int, ...]:
    return tuple(sorted({r.job.N for r in results}))
