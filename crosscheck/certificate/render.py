"""Rendering a certificate: the terminal report, the Markdown certificate, the plots."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from crosscheck.certificate import coq, ledger
from crosscheck.certificate.ledger import tag, tagged
from crosscheck.certificate.proven import mutant_evidence, proof_markdown, proof_terminal
from crosscheck.certificate.run import Certificate
from crosscheck.certificate.trajectory import TRAJECTORY_RTOL
from crosscheck.oracles import ORACLES
from crosscheck.tolerances import AUTOGRAD, FINITE_DIFFERENCES

WIDTH = 100
"""The terminal report's width: its tables fit it, and its sentences are wrapped to it."""


def terminal(cert: Certificate, width: int = WIDTH) -> str:
    """The report a terminal shows: one table per dtype, lines of at most `width` columns
    (the counterexample's own report and snippet are kept as they are, to be pasted)."""
    v = cert.versions
    totals = cert.total_cases()
    lines = [
        "Backpropagation certificate",
        "  " + ", ".join(f"{k} {v[k]}" for k in ("python", "numpy", "torch", "jax", "hypothesis")),
        "  code: " + ", ".join(f"{k} {_short(c)}" for k, c in cert.code.items()),
        f"  seed {cert.seed}; {len(cert.cells)} cells (hidden × output × loss × dtype); "
        f"{cert.cases_per_cell} cases per cell; cases checked: " + ", ".join(f"{o} {n:,}" for o, n in totals.items()),
        "",
        "Largest |diff|/tol per catalogue entry (over every cell using it; ≤ 1 passes; * the oracle's counterpart is "
        "hand-written, not a framework built-in):",
    ]
    lines += _entry_tables(cert)
    lines.append("")
    lines.append("XOR 2-3-1, η = 2, trained by the reference, torch.optim.SGD and a jax.grad loop from one start:")
    for name, trajectory in cert.trajectory.items():
        t = trajectory.as_dict()
        stops = ", ".join(f"{k} {n}" for k, n in t["stop_iteration"].items())
        lines.append(
            f"  {name}: stopped at {stops}; largest relative difference: loss "
            f"{t['largest_relative_loss_difference']:.1e}, final parameters "
            f"{t['largest_relative_parameter_difference']:.1e} (tol {t['rtol']:.0e}) {'ok' if t['ok'] else 'FAILED'}"
        )
    lines.append("")
    lines.append("Negative controls (cases drawn until caught, per oracle; '-' = missed):")
    for m in cert.mutants:
        caught = " ".join(f"{o}:{m.examples.get(o, '-')}" for o in cert.oracles)
        lines.append(f"  {m.mutant.name:32} {caught}")
    lines += ["", *proof_terminal(cert.proof, cert.proof_skipped)]
    lines += ["", f"time: {', '.join(f'{k} {s:.1f} s' for k, s in cert.seconds.items())}", "", cert.verdict()]
    wrapped = [part for line in lines for part in _wrap(line, width)]
    failures = [c for c in cert.cells if c.failure]
    if failures:
        wrapped[-2:-2] = ["", "Counterexample:", failures[0].failure]
    return "\n".join(wrapped)


def _entry_tables(cert: Certificate) -> list[str]:
    """Per dtype, a row per catalogue entry and a column per oracle."""
    width = max(len(o) for o in cert.oracles) + 3
    rows = cert.entry_table()
    lines = []
    for dtype in ("float64", "float32"):
        lines.append(f"  {dtype:20}" + "".join(f"{o:>{width}}" for o in cert.oracles))
        for name, worst in rows:
            hand = set(cert.hand_written(name))
            cells = "".join(
                f"{format(worst.get(f'{o} {dtype}', float('nan')), '.2g') + ('*' if o in hand else ' '):>{width}}"
                for o in cert.oracles
            )
            lines.append(f"  {name:20}" + cells)
    return lines


def _wrap(line: str, width: int) -> list[str]:
    """`line` in pieces of at most `width` columns, continued with the line's indent plus two."""
    if len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def _short(value: str) -> str:
    """A hex digest or commit cut to 12 characters (the JSON and Markdown keep it whole)."""
    return value[:12] if len(value) >= 40 and all(ch in "0123456789abcdef" for ch in value) else value


def markdown(cert: Certificate, command: str, figures: list[str] | None = None) -> str:
    """The citable certificate: what it certifies, how, the proof, the figures and the trust
    ledger; every sentence ends with its ledger tag (`crosscheck.certificate.ledger`). `figures`
    are the PNGs' paths relative to the Markdown file."""
    images = "".join(f"\n![{Path(f).stem.replace('_', ' ')}]({f})\n" for f in figures or [])
    return (
        _identity(cert, command)
        + _method(cert)
        + proof_markdown(cert.proof, cert.proof_skipped)
        + coq.markdown(cert.coq)
        + _figures(cert)
        + images
        + ("\n" if images else "")
        + ledger.section()
    )


def _identity(cert: Certificate, command: str) -> str:
    """The verdict, how to reproduce it, the versions, the code and the machine it speaks for."""
    v = cert.versions
    code = "\n".join(f"- {k}: `{c}` {tag('Measured')}" for k, c in cert.code.items())
    machine = "; ".join(f"{k} {v}" for k, v in cert.machine.items())
    verdict = " ".join(f"**{text}** {tag(kind, detail)}" for text, kind, detail in cert.verdict_parts())
    versions = (
        f"Python {v['python']}, NumPy {v['numpy']}, PyTorch {v['torch']}, JAX {v['jax']}, Hypothesis {v['hypothesis']}; "
        f"seed {cert.seed}."
    )
    return f"""# Certificate: the backpropagation derivation, cross-checked

{verdict}

{tagged((f"Reproduce: `{command}`.", tag("Measured", "the command that wrote this file")))}

{tagged((f"Run on {cert.date} (UTC).", tag("Measured", "the clock")))}

{tagged((versions, tag("Measured")))}

{tagged(("Code certified (`crosscheck.certificate.run.code()`):", tag("Trusted", "sha256 of each package's .py files, and git")))}
{code}

{
        tagged(
            (
                "The digests identify the code: a checkout whose `reference/` and `crosscheck/` hash the same is what "
                "this certifies, whatever its commit (the commit that adds this file comes after the one named above, "
                "and changes neither package).",
                tag("Trusted", "sha256"),
            )
        )
    }

{
        tagged(
            (f"Machine (`crosscheck.certificate.run.machine()`): {machine}.", tag("Measured")),
            (
                "The same seed, code and versions give the same verdicts and case counts on any machine; the figures "
                "(|diff|/tol) are the same to the last digit only on the same CPU, BLAS and thread counts, since a "
                "sum split over other kernels or threads rounds in another order.",
                tag(
                    "Cross-checked",
                    "same seed, same report (tests/test_certificate.py) and the same counts on 1 and 2 workers "
                    "(tests/test_soak.py), on this machine; other machines not run",
                ),
            ),
            (
                "A rerun on the same machine writes the same JSON but for the fields its `reproducible` record lists "
                "(the date, and every time, named seconds).",
                tag("Cross-checked", "a rerun in a fresh process of one entry's 20 cells (tests/test_certificate.py)"),
            ),
        )
    }

"""


def _method(cert: Certificate) -> str:
    """What was verified, against which oracles, on which cases, at which tolerances."""
    return _verified(cert) + _how(cert)


def _verified(cert: Certificate) -> str:
    """What was verified: the equations, the cost, the update, and the kink convention."""
    checked = tag("Cross-checked", cert.tolerances_in_words())
    trained = tag("Cross-checked", f"torch.optim.SGD and a jax.grad loop; rtol {TRAJECTORY_RTOL:g}")
    return f"""## What was verified

{tagged(("Numerically, on every element of every layer:", checked))}

- BP1 `δ^L = ∇_a C ⊙ σ'(z^L)` (softmax: `δ^L = J(z^L)ᵀ ∇_a C`), BP2 `δ^l = ((W^{{l+1}})ᵀ δ^{{l+1}}) ⊙ σ'(z^l)`,
  BP3 `∂C/∂b^l = Σ_x δ^l`, BP4 `∂C/∂W^l = δ^l (a^{{l−1}})ᵀ`, every layer, every element; {checked}
- the cost C of each loss, and its gradient with the batch's 1/N; {checked}
- the update `W ← W − η ∂C/∂W`, over whole training runs (XOR). {trained}

{
        tagged(
            (
                "Where σ or C has a kink, the oracles and the reference take the same one-sided slope.",
                tag("Hypothesis", "relu'(0) = 0, as PyTorch and JAX take it"),
            )
        )
    }

"""


def _how(cert: Certificate) -> str:
    """The oracles, the cases and the tolerances."""
    totals = cert.total_cases()
    shares = ", ".join(f"{o} {ORACLES[o].share:.3g}" for o in cert.oracles)
    return f"""## How

{
        tagged(
            (
                "Oracles: PyTorch autograd (δ from the z tensors), `jax.grad` (δ as the gradient with respect to a "
                "zero perturbation of each z), JAX forward mode (`jax.jacfwd`), central finite differences in float64.",
                tag("Trusted", "the frameworks' kernels"),
            ),
            (
                "Each computes from its own framework's functions; only parameters, data and names cross over.",
                tag("Cross-checked", "tests/test_reference.py reads the oracles' imports and calls"),
            ),
        )
    }

{
        tagged(
            (
                f"Cases: {len(cert.cells)} cells = every valid hidden activation × output activation × loss × dtype "
                f"(float64, float32); per cell one random structure (over the cells: {cert.structures_in_words()}) and "
                f"{cert.cases_per_cell} cases of it, with weight scales from {{0, 0.1, 1, 3, 10, 30}} per layer (exact "
                "zeros and saturation included), inputs of scale 0, 1 or 10, and exact zeros planted in half of them.",
                tag("Measured"),
            ),
            (f"Oracles ran on these shares of each cell's cases: {shares}.", tag("Measured")),
            (f"Cases checked in all: {', '.join(f'{o} {n:,}' for o, n in totals.items())}.", tag("Measured")),
        )
    }

""" + _tolerances()


def _tolerances() -> str:
    """The acceptance rule, its rtol table, and where it is calibrated."""
    return f"""{
        tagged(
            (
                "Tolerances (`crosscheck/tolerances.py`): an element passes when |reference − oracle| ≤ rtol · S (+ the "
                "finite differences' own error estimate and ε/h rounding term), where S is the element's error scale: "
                "each operation of BP1-BP4 rounds by a few ε of its operands' magnitudes, errors carried from other "
                "operations add in quadrature along their signed paths, with the forward pass's rounding, σ' evaluated "
                "at a rounded z, kinks and subnormal flushing accounted for (`crosscheck/scales.py`).",
                tag("Trusted", "IEEE 754 rounding, bounded by the error model"),
            ),
            (
                f"rtol: autograd {AUTOGRAD[np.dtype('float64')].rtol:g} (float64) and "
                f"{AUTOGRAD[np.dtype('float32')].rtol:g} (float32); finite differences "
                f"{FINITE_DIFFERENCES[np.dtype('float64')].rtol:g}.",
                tag("Measured", "calibrated in docs/TOLERANCES.md"),
            ),
            (
                "One function applies this rule to every element (`crosscheck/judge.py`).",
                tag("Cross-checked", "tests/test_judge.py"),
            ),
            (
                "How much of the margin correct code uses, and how small a slip is still caught, is measured in "
                "`docs/TOLERANCES.md`.",
                tag("Measured"),
            ),
        )
    }

"""


def _figures(cert: Certificate) -> str:
    """The per-entry table, the XOR trajectories and the negative controls."""
    rows = "\n".join(
        f"| {name} | "
        + " | ".join(f"{worst.get(f'{o} {d}', float('nan')):.2g}" for o in cert.oracles for d in ("float64", "float32"))
        + f" | {', '.join(cert.hand_written(name)) or '—'} |"
        for name, worst in cert.entry_table()
    )
    header = " | ".join(f"{o} {d}" for o in cert.oracles for d in ("float64", "float32")) + " | hand-written for"
    trajectory = "\n".join(
        f"| {k} | {', '.join(f'{who} {n:,}' for who, n in t.stop_iteration.items())} | {t.largest_loss_difference():.1e} | "
        f"{t.largest_parameter_difference():.1e} | {'ok' if t.ok else 'FAILED'} |"
        for k, t in cert.trajectory.items()
    )
    return f"""## Figures

{
        tagged(
            ("Largest |diff|/tol per catalogue entry (≤ 1 passes).", tag("Measured")),
            (
                '"Hand-written for" names the oracles whose side of the entry is an expression written in '
                "`crosscheck/counterparts.py` rather than the framework's own built-in (JAX has no loss functions; finite "
                "differences evaluate NumPy expressions of σ and C): where every dissenting oracle is hand-written, a "
                "disagreement blames neither side.",
                tag("Trusted", "the counterparts' expressions, written from the derivation's formulas"),
            ),
        )
    }

| entry | {header} |
| --- | {" | ".join("---" for _ in cert.oracles for _ in range(2))} | --- |
{rows}

{
        tagged(
            (
                "XOR trajectories (reference against torch.optim.SGD and a jax.grad loop, from identical parameters):",
                tag("Measured"),
            )
        )
    }

| run | stopped at | largest relative loss difference | largest relative parameter difference | |
| --- | --- | --- | --- | --- |
{trajectory}

""" + _controls(cert)


def _controls(cert: Certificate) -> str:
    """The negative controls: who caught each mutant, the numeric counterexample and, beside it, the
    symbolic tier's residual."""
    mutants = "\n".join(
        f"| `{m.mutant.name}` | {m.mutant.description} | {', '.join(m.caught_by) or '—'} | "
        f"{', '.join(m.missed_by) or '—'} | {_counterexample(m)} | {mutant_evidence(cert.proof, m.mutant)} |"
        for m in cert.mutants
    )
    return f"""{
        tagged(
            (
                "Negative controls: each plausible wrong derivation must be rejected by each oracle on its own.",
                tag("Measured", "the cases each oracle needed"),
            )
        )
    }

{CONTROLS_HEADER}
{mutants}
"""


CONTROLS_HEADER = (
    "| mutant | slip | caught by | missed by | numeric counterexample (fewest cases to catch; the shrunk case) "
    "| proven wrong (symbolic residual) |\n| --- | --- | --- | --- | --- | --- |"
)


def _counterexample(m: Any) -> str:
    """The numeric evidence against a mutant: the fewest cases an oracle drew to catch it, and
    the shrunk case of the first oracle that caught it."""
    if not m.examples:
        return "—"
    first = next(c for c in m.catches.values() if c is not None)
    return f"{min(m.examples.values())}; {first.oracle} on {first.counterexample.label}"


FIGURES = ("xor_trajectory.png", "relative_errors.png", "per_layer.png")
"""The figures' file names (in the folder --plots names)."""


def plots(cert: Certificate, trajectory_losses: dict[str, list[float]] | None) -> dict[str, bytes]:
    """The PNG figures, by file name (the caller writes them). Needs matplotlib (the `plots` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = dict([_trajectory_plot(plt, trajectory_losses)]) if trajectory_losses else {}
    drawn.update([_relative_plot(plt, cert), _layer_plot(plt, cert)])
    return drawn


def _trajectory_plot(plt: Any, trajectory_losses: dict[str, list[float]]) -> tuple[str, bytes]:
    """xor_trajectory.png: the loss under each backend, and each one's difference from the reference."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    reference = np.array(trajectory_losses["reference"])
    for name, losses in trajectory_losses.items():
        top.plot(np.arange(1, len(losses) + 1), losses, label=name, linestyle="-" if name == "reference" else "--")
        if name != "reference":
            diff = np.abs(np.array(losses) - reference[: len(losses)])
            bottom.semilogy(np.arange(1, len(diff) + 1), np.maximum(diff, 1e-20), label=f"|{name} − reference|")
    top.set_yscale("log")
    top.set_ylabel("C")
    top.set_title("XOR 2-3-1: the loss under three backends")
    top.legend()
    bottom.set_xlabel("iteration")
    bottom.set_ylabel("difference (floor 1e-20)")
    bottom.legend()
    return _png(fig, "xor_trajectory.png")


def _relative_plot(plt: Any, cert: Certificate) -> tuple[str, bytes]:
    """relative_errors.png: every inexact element's |diff|/tol, per oracle and dtype."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for oracle in cert.oracles:
        for dtype in ("float64", "float32"):
            values = [c.relative[oracle] for c in cert.cells if str(c.cell.dtype) == dtype and oracle in c.relative]
            if values:
                data = np.concatenate(values)
                data = data[data > 0]
                if data.size:
                    ax.hist(np.log10(data), bins=80, range=(-12, 1), histtype="step", label=f"{oracle} {dtype}")
    ax.axvline(0.0, color="k", linestyle=":", label="tolerance")
    ax.set_xlabel("log10 (|reference − oracle| / tolerance), per element")
    ax.set_ylabel("elements")
    ax.set_yscale("log")
    ax.set_title("Errors relative to the tolerance (exact agreements not shown)")
    ax.legend(fontsize=7)
    return _png(fig, "relative_errors.png")


def _layer_plot(plt: Any, cert: Certificate) -> tuple[str, bytes]:
    """per_layer.png: the largest |diff|/tol at each layer, per oracle."""
    fig, ax = plt.subplots(figsize=(7, 4))
    # per_layer[0] is the loss C, per_layer[i] layer l = i + 1 (δ^l, ∂C/∂W^l, ∂C/∂b^l, l = 2..L): the
    # loss is drawn at x = 1 and labelled C, so every layer sits at its own number l.
    deepest = 1
    for oracle in cert.oracles:
        layers: dict[int, float] = {}
        for c in cert.cells:
            for i, v in enumerate(c.per_layer.get(oracle, [])):
                layers[i + 1] = max(layers.get(i + 1, 0.0), v)
        if layers:
            xs = sorted(layers)
            deepest = max(deepest, xs[-1])
            ax.semilogy(xs, [max(layers[x], 1e-12) for x in xs], marker="o", label=oracle)
    ax.set_xticks(range(1, deepest + 1), ["C", *(str(l) for l in range(2, deepest + 1))])
    ax.axhline(1.0, color="k", linestyle=":", label="tolerance")
    ax.set_xlabel("layer l of the derivation (l = 2..L; C: the cost)")
    ax.set_ylabel("largest |diff|/tol")
    ax.set_title("Largest error per layer, over all cells")
    ax.legend(fontsize=8)
    return _png(fig, "per_layer.png")


def _png(fig: Any, name: str) -> tuple[str, bytes]:
    import io

    import matplotlib.pyplot as plt

    fig.tight_layout()
    data = io.BytesIO()
    fig.savefig(data, dpi=110, format="png")
    plt.close(fig)
    return name, data.getvalue()
