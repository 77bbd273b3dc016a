"""The certificate CLI end to end: exit codes, JSON schema, files written, a planted mismatch; the code a
certificate names, and the committed docs/CERTIFICATE.md against the code."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import framework_available

from crosscheck.__main__ import main
from crosscheck.certificate.run import source_digest
from reference import activations as reference_activations

needs_frameworks = pytest.mark.skipif(
    not (framework_available("torch") and framework_available("jax")), reason="the certificate needs torch and jax"
)

SMALL = ["--only", "cross_entropy", "--cases", "2", "--mutant-examples", "20", "--iterations", "50", "--no-symbolic"]
"""A run restricted to one entry: cross_entropy's 20 cells (every hidden activation, softmax, both dtypes), without
the symbolic tier (tests/test_proof.py runs it, and the committed certificate shows it)."""


@pytest.fixture(scope="session")  # once per worker, however its tests interleave with other modules
def small_run(tmp_path_factory):
    """One small run with every output, shared by the tests that read it: (exit code, stdout, folder)."""
    pytest.importorskip("matplotlib")
    folder = tmp_path_factory.mktemp("certificate")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            [*SMALL, "--json", str(folder / "c.json"), "--markdown", str(folder / "c.md"), "--plots", str(folder / "plots")]
        )
    return code, out.getvalue(), folder


@needs_frameworks
@pytest.mark.xdist_group("small_run")  # one worker runs the shared fixture once
def test_a_small_run_writes_json_markdown_and_plots(small_run):
    """A run restricted to one entry exits 0 and writes the JSON, the Markdown certificate and three PNGs."""
    code, out, tmp_path = small_run
    assert code == 0, out
    assert "VERIFIED: BP1-BP4" in out
    data = json.loads((tmp_path / "c.json").read_text())
    assert set(data) >= {
        "versions",
        "seed",
        "cases_per_cell",
        "total_cases",
        "tolerances",
        "cells",
        "trajectory",
        "mutants",
        "verdict",
        "ok",
    }
    assert set(data["versions"]) >= {"python", "numpy", "torch", "jax", "hypothesis"}
    assert data["code"]["reference/ sha256"] == source_digest("reference")
    assert data["code"]["crosscheck/ sha256"] == source_digest("crosscheck")
    assert "git commit" in data["code"]
    cell = data["cells"][0]
    assert set(cell) >= {"activation", "output_activation", "loss", "dtype", "cases", "worst_ratio", "ok"}
    assert all(0 <= r <= 1 for c in data["cells"] for r in c["worst_ratio"].values())
    assert {m["mutant"] for m in data["mutants"]} >= {"bp1_without_sigma_prime", "no_one_over_n"}
    assert all(not m["missed_by"] for m in data["mutants"])
    markdown = (tmp_path / "c.md").read_text()
    assert "python -m crosscheck --only cross_entropy --cases 2" in markdown
    assert "BP1" in markdown and "Negative controls" in markdown
    for name in ("per_layer", "relative_errors", "xor_trajectory"):
        assert f"(plots/{name}.png)" in markdown, f"the Markdown does not link {name}.png"
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "per_layer.png",
        "relative_errors.png",
        "xor_trajectory.png",
    ]


@needs_frameworks
@pytest.mark.xdist_group("small_run")  # one worker runs the shared fixture once
def test_written_files_get_the_umasks_permissions(small_run):
    """The JSON and the Markdown are written with the mode the umask gives a new file (as the PNGs are), not the
    0600 of the temporary file they are renamed from: a certificate meant to be shared can be read by others."""
    import os

    mask = os.umask(0)
    os.umask(mask)
    folder = small_run[2]
    for name in ("c.json", "c.md", "plots/per_layer.png"):
        mode = (folder / name).stat().st_mode & 0o777
        assert mode == 0o666 & ~mask, f"{name} has mode {oct(mode)}, expected {oct(0o666 & ~mask)}"


@needs_frameworks
@pytest.mark.xdist_group("small_run")  # one worker runs the shared fixture once
def test_the_terminal_report_fits_100_columns(small_run):
    """Every line of the terminal report, up to its counterexample, is at most 100 columns wide."""
    lines = small_run[1].splitlines()
    wide = [line for line in lines if len(line) > 100]
    assert not wide, f"{len(wide)} lines over 100 columns, the first: {wide[0]!r}"


@needs_frameworks
@pytest.mark.slow  # a certificate run of its own, about 10 s with the imports
def test_the_main_job_leaves_a_dated_certificate_and_tells_each_stage_off_a_terminal(tmp_path):
    """With no output named, `python -m crosscheck` writes certificate/CERTIFICATE.md (dated), certificate.json and,
    with matplotlib, certificate/figures/; piped, it prints a line as each stage starts and ends."""
    import datetime

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-m", "crosscheck", *SMALL], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    folder = tmp_path / "certificate"
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    assert f"Run on {today} (UTC)." in (folder / "CERTIFICATE.md").read_text()
    assert json.loads((folder / "certificate.json").read_text())["date"] == today
    if importlib.util.find_spec("matplotlib") is not None:
        assert list((folder / "figures").glob("*.png")), "no figure written"
    stages = [line for line in done.stderr.splitlines() if re.match(r"\s*[\d.]+ s  \S.*: ", line)]
    assert len(stages) >= 4 and any(": done," in line for line in stages), done.stderr[-2000:]


@needs_frameworks
@pytest.mark.xdist_group("small_run")  # one worker runs the shared fixture once
def test_the_certificate_records_what_its_last_digits_depend_on(small_run):
    """The JSON and the Markdown name the CPU, the BLAS and the thread counts, and the Markdown says what stays
    the same across machines (verdicts and counts) and what only on the same machine (the figures)."""
    data = json.loads((small_run[2] / "c.json").read_text())
    assert {"cpu", "cores", "numpy blas"} <= set(data["machine"])
    markdown = (small_run[2] / "c.md").read_text()
    assert "Machine (`crosscheck.certificate.run.machine()`)" in markdown
    assert "same verdicts and case counts on any machine" in markdown


def _without_what_may_differ(data: object, differs: dict) -> object:
    """The JSON less the fields its own "reproducible" record says a rerun may change (by name, at any depth)."""
    if isinstance(data, dict):
        return {k: _without_what_may_differ(v, differs) for k, v in data.items() if k not in differs}
    if isinstance(data, list):
        return [_without_what_may_differ(v, differs) for v in data]
    return data


@needs_frameworks
@pytest.mark.slow  # a second certificate run, in a fresh process, about 20 s
@pytest.mark.xdist_group("small_run")  # one worker runs the shared fixture once
def test_a_rerun_gives_identical_json_but_what_it_lists(small_run, tmp_path):
    """A second run with the same seed, in a fresh process (its own imports, thread pools and JIT caches), writes the
    same JSON as the shared run, every figure to the last digit, once the fields the JSON itself lists as differing
    (the date, times) are left out; that list names nothing else."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    path = tmp_path / "again.json"
    done = subprocess.run([sys.executable, "-m", "crosscheck", *SMALL, "--quiet", "--json", str(path)], env=env)
    assert done.returncode == 0
    runs = [json.loads((small_run[2] / "c.json").read_text()), json.loads(path.read_text())]
    differs = runs[0]["reproducible"]["differs"]
    assert set(differs) == {"date", "seconds"}, f"the JSON says more may differ: {sorted(differs)}"
    first, second = (_without_what_may_differ(run, differs) for run in runs)
    changed = [key for key in first if first[key] != second.get(key)]
    assert not changed, f"a rerun changed {changed}, which the JSON says are the same on a rerun"


@needs_frameworks
@pytest.mark.slow  # a certificate run of its own, about 3 s
def test_a_planted_mismatch_exits_1_with_the_counterexample(monkeypatch, capsys):
    """A wrong identity derivative (σ' = 2, identity-hidden cells) makes the run exit 1 and print the counterexample."""
    entry = reference_activations.ACTIVATIONS["identity"]
    wrong = reference_activations.Activation("identity", entry.function, lambda z, a: 2 * np.ones_like(z), "wrong")
    monkeypatch.setitem(reference_activations.ACTIVATIONS, "identity", wrong)
    code = main(SMALL)
    out = capsys.readouterr().out
    assert code == 1
    assert "NOT VERIFIED" in out
    assert "Counterexample:" in out and "(the reference), but" in out and "network = Network(" in out


@needs_frameworks
@pytest.mark.parametrize("oracle", ["torch", "jax", "jax_forward", "numeric"])
def test_a_nan_fails_a_cell_unless_finite_differences_skip_it(monkeypatch, oracle):
    """A NaN in a batched autograd oracle's ∂C/∂W fails the cell (|diff|/tol inf); from finite differences it is a
    stencil across a kink, "not checked", and the cell passes."""
    import dataclasses

    from crosscheck import oracles
    from crosscheck.certificate import run as certificate

    def planted(stacks):  # a NaN in the stacked call only: the case checked alone stays clean
        results = original.compute(stacks)
        for stack, (gradients, _) in zip(stacks, results):
            if stack.K > 1:
                gradients.weights[0][0, 0, 0] = np.nan
        return results

    original = oracles.ORACLES[oracle]
    monkeypatch.setitem(oracles.ORACLES, oracle, dataclasses.replace(original, compute=planted))
    cell = certificate.Cell("sigmoid", "sigmoid", "quadratic", np.dtype(np.float64))
    result = certificate.run_cell(cell, seed=0, K=16, oracles=(oracle,))
    if oracle == "numeric":
        assert result.ok, f"finite differences' NaN was not skipped: worst |diff|/tol {result.worst}"
    else:
        assert result.worst[oracle] == np.inf, f"{oracle}'s NaN passed: worst |diff|/tol {result.worst[oracle]}"
        assert not result.ok
        assert f"|diff|/tol inf from stacked {oracle}, but checked alone: the reference agrees with {oracle}" in result.failure


@needs_frameworks
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--cases", "0"], "argument --cases: must be at least 1, got 0"),
        (["--only", "swish"], "argument --only: 'swish' is neither an activation nor a loss"),
        (["--workers", "0"], "argument --workers: must be at least 1, got 0"),
        (["--bogus"], "unrecognized arguments"),
        (["--seed", "-1"], "argument --seed: must be at least 0, got -1"),
        (["--json", "/proc/self/nope/c.json"], "argument --json: /proc/self/nope/c.json: cannot write there"),
        (["--json", "."], "argument --json: .: is a folder, not a file"),
        (["--markdown", "pyproject.toml/c.md"], "cannot write there, pyproject.toml is a file"),
        (["--plots", "pyproject.toml"], "argument --plots: pyproject.toml: is not a folder"),
    ],
)
def test_bad_usage_exits_2(args, words):
    """Bad options, and output paths that cannot be written, exit 2 at once, before any work, with a message naming
    the option (run as a real subprocess)."""
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "crosscheck", *args], capture_output=True, text=True, check=False, cwd=root, timeout=60
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert "VERIFIED" not in result.stdout, "the run did its work before refusing the option"


@needs_frameworks
def test_ctrl_c_stops_with_one_line_exit_130_and_no_files(monkeypatch, tmp_path, capsys):
    """An interrupt during the run exits 130 with one line and leaves no partial output file."""
    from crosscheck.certificate import run as certificate

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(certificate, "run_cell", interrupted)
    code = main([*SMALL, "--json", str(tmp_path / "c.json"), "--markdown", str(tmp_path / "c.md")])
    assert code == 130
    assert capsys.readouterr().err.strip() == "interrupted: stopped, nothing written"
    assert list(tmp_path.iterdir()) == []


def test_files_are_written_atomically(tmp_path, monkeypatch):
    """A write goes to a temporary file and replaces the target in one step: a failure mid-write leaves the old file."""
    from crosscheck import outputs

    target = tmp_path / "c.json"
    target.write_text("old")

    class Broken(Exception):
        pass

    real_fdopen = outputs.os.fdopen

    def failing(fd, mode):
        handle = real_fdopen(fd, mode)
        handle.write(b"partial")
        handle.close()
        raise Broken

    monkeypatch.setattr(outputs.os, "fdopen", failing)
    with pytest.raises(Broken):
        outputs.write(outputs.Output(target), b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"], "the temporary file was left behind"


# --- the code a certificate certifies --------------------------------------------------
DOCS = Path(__file__).parents[1] / "docs" / "CERTIFICATE.md"
REGENERATE = "python -m crosscheck --markdown docs/CERTIFICATE.md --plots docs/figures"


def _copy_of_the_packages(tmp_path: Path) -> Path:
    from crosscheck.certificate import run as certificate

    for package in certificate.CERTIFIED:
        shutil.copytree(certificate.ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_certificate_names_the_source_it_certified(monkeypatch, tmp_path):
    """`code()` digests every .py file of reference/ and crosscheck/: the same bytes give the same digest,
    one changed byte in a file changes it, and a file added changes it."""
    from crosscheck.certificate import run as certificate

    root = _copy_of_the_packages(tmp_path)
    here = certificate.code()
    monkeypatch.setattr(certificate, "ROOT", root)
    copied = certificate.code()
    assert copied["reference/ sha256"] == here["reference/ sha256"]
    assert copied["crosscheck/ sha256"] == here["crosscheck/ sha256"]
    losses = root / "reference" / "losses.py"
    losses.write_text(losses.read_text().replace("(a - y)", "(y - a)", 1))
    changed = certificate.code()
    assert changed["reference/ sha256"] != here["reference/ sha256"], "a changed line of reference/losses.py kept the digest"
    assert changed["crosscheck/ sha256"] == here["crosscheck/ sha256"]
    (root / "crosscheck" / "extra.py").write_text("")
    assert certificate.code()["crosscheck/ sha256"] != here["crosscheck/ sha256"], "a new file kept the digest"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_certificate_names_the_commit_and_whether_the_packages_differ_from_it(monkeypatch, tmp_path):
    """Outside git, or in a repository that does not track the packages, the commit is "unknown"; in a
    checkout it is HEAD, and the status says whether reference/ or crosscheck/ differ from it (changes
    elsewhere do not count)."""
    from crosscheck.certificate import run as certificate

    root = _copy_of_the_packages(tmp_path)
    monkeypatch.setattr(certificate, "ROOT", root)
    unknown = "unknown: reference/ and crosscheck/ are not in a git checkout"
    assert certificate.code()["git commit"] == unknown
    assert "git status" not in certificate.code()

    def git(*args: str) -> str:
        command = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    (root / ".gitignore").write_text("reference/\ncrosscheck/\n")  # an installed copy in an ignored folder
    git("add", ".")
    git("commit", "-q", "-m", "a project that ignores the packages")
    assert certificate.code()["git commit"] == unknown
    (root / ".gitignore").unlink()
    git("add", "-A")
    git("commit", "-q", "-m", "packages")
    clean = certificate.code()
    assert clean["git commit"] == git("rev-parse", "HEAD")
    assert clean["git status"] == "clean"
    (root / "notes.txt").write_text("not certified code")
    assert certificate.code()["git status"] == "clean"
    (root / "reference" / "network.py").write_text((root / "reference" / "network.py").read_text() + "\n")
    assert certificate.code()["git status"] == "uncommitted changes to reference/ or crosscheck/"


def test_the_committed_certificate_names_committed_code():
    """docs/CERTIFICATE.md names the source digests and the commit of the code it certified, and that
    code had no uncommitted changes (a later change to reference/ leaves it a certificate of that commit)."""
    text = DOCS.read_text()
    for package in ("reference", "crosscheck"):
        assert re.search(rf"^- {package}/ sha256: `[0-9a-f]{{64}}` \[Measured\]$", text, re.M), (
            f"docs/CERTIFICATE.md names no {package}/ digest: run `{REGENERATE}`"
        )
    assert re.search(r"^- git commit: `[0-9a-f]{40}` \[Measured\]$", text, re.M), (
        f"docs/CERTIFICATE.md names no commit: run `{REGENERATE}`"
    )
    assert "- git status: `clean`" in text, f"docs/CERTIFICATE.md was made from uncommitted code: commit, then run `{REGENERATE}`"


def test_the_committed_certificate_certifies_this_code():
    """docs/CERTIFICATE.md names the digests of reference/ and crosscheck/ as they are now: a change to either
    without regenerating it fails here, with the command that regenerates it."""
    text = DOCS.read_text()
    for package in ("reference", "crosscheck"):
        found = re.search(rf"^- {package}/ sha256: `([0-9a-f]{{64}})` \[Measured\]$", text, re.M)
        assert found, f"docs/CERTIFICATE.md names no {package}/ digest: run `{REGENERATE}`"
        assert found[1] == source_digest(package), (
            f"docs/CERTIFICATE.md certifies another {package}/ (sha256 {found[1][:12]}, now {source_digest(package)[:12]}): "
            f"it is stale. Regenerate it with `{REGENERATE}` and commit it"
        )


def test_changing_one_character_of_the_reference_makes_the_certificate_stale(tmp_path, monkeypatch):
    """One character changed in a copy of reference/ changes its digest, so the test above would fail on it."""
    from crosscheck.certificate import run as certificate

    root = tmp_path / "checkout"
    for package in certificate.CERTIFIED:
        shutil.copytree(certificate.ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    before = certificate.source_digest("reference")
    monkeypatch.setattr(certificate, "ROOT", root)
    assert certificate.source_digest("reference") == before, "a faithful copy must keep the digest"
    network = root / "reference" / "network.py"
    network.write_text(network.read_text().replace("BP4", "BP5", 1))
    assert certificate.source_digest("reference") != before


@needs_frameworks
@pytest.mark.xdist_group("small_run")  # one worker runs the shared fixture once
def test_a_run_without_the_symbolic_tier_says_it_proves_nothing(small_run):
    """With --no-symbolic the verdict, the terminal report and the Markdown's Proven section say that the symbolic
    tier did not run and that nothing is proven; the JSON says why."""
    _, out, folder = small_run
    out = " ".join(out.split())  # the terminal report wraps its lines
    assert "The symbolic tier did not run (not asked for: --no-symbolic): nothing is proven." in out
    assert "Proven (symbolic): not run (not asked for: --no-symbolic)." in out
    markdown = (folder / "c.md").read_text()
    assert (
        "## Proven\n\nThe symbolic tier did not run (not asked for: --no-symbolic): this certificate proves nothing." in markdown
    )
    assert json.loads((folder / "c.json").read_text())["proven"] == {"skipped": "not asked for: --no-symbolic"}


@needs_frameworks
@pytest.mark.xdist_group("small_run")  # one worker runs the shared fixture once
def test_every_sentence_of_a_certificate_carries_a_ledger_tag(small_run):
    """The trust ledger: each sentence of the Markdown certificate, the one written now and the committed one, ends
    with one tag (Proven, Cross-checked, Hypothesis, Trusted, Measured), and the ledger section lists them."""
    from crosscheck.certificate.ledger import TAGS, untagged

    for name, text in (("this run's", (small_run[2] / "c.md").read_text()), ("docs/CERTIFICATE.md's", DOCS.read_text())):
        missing = untagged(text)
        assert not missing, f"{len(missing)} sentence(s) of {name} certificate carry no tag, the first: {missing[0]!r}"
        ledger = text[text.index("## Trust ledger") :]
        assert all(f"| [{kind}] |" in ledger for kind in TAGS), "the ledger section does not list every tag"


@needs_frameworks
@pytest.mark.xdist_group("small_run")  # one worker runs the shared fixture once
def test_every_scope_a_sentence_states_is_what_the_run_recorded(small_run):
    """Each tagged sentence of the Markdown that states a scope (how many cells, the structures drawn, the cases per
    cell, the cases per oracle) states what the run's JSON recorded; one stating more than ran is named."""
    from scopes import mismatches

    markdown = (small_run[2] / "c.md").read_text()
    data = json.loads((small_run[2] / "c.json").read_text())
    required = ("Cases: ", "over the cells", "cases of it", "Cases checked")
    assert mismatches(markdown, data, required=required) == []
    widened = markdown.replace(f"Cases: {len(data['cells'])} cells", "Cases: 480 cells")
    assert widened != markdown and any("Cases: 480 cells" in m for m in mismatches(widened, data))


def test_the_ledger_check_finds_an_untagged_sentence():
    """untagged() names every sentence without its tag: after the last tag, or a second sentence before one; a tag
    of an unknown kind is no tag; headings, tables and code are not sentences."""
    from crosscheck.certificate.ledger import tag, untagged

    assert untagged("One claim. [Measured] Another claim.") == ["Another claim."]
    assert untagged("First. Second. [Proven]\n\n- an item [Hypothesis: differentiable]") == ["First."]
    assert untagged("A claim. [Believed]") == ["A claim. [Believed]"]
    assert untagged("# Heading\n\n| a | b |\n\n```\ncode.\n```\n\nFine. [Trusted]") == []
    with pytest.raises(ValueError, match="kind must be one of Proven, Cross-checked"):
        tag("Believed")


def test_without_sympy_the_symbolic_command_refuses_with_exit_2(monkeypatch, capsys):
    """`--symbolic` where SymPy is missing proves nothing: exit 2 and one line naming the install command."""
    import crosscheck.proof

    monkeypatch.setattr(crosscheck.proof, "available", lambda: False)
    assert main(["--symbolic"]) == 2
    err = capsys.readouterr().err
    assert err == "python -m crosscheck --symbolic needs SymPy: pip install 'backprop-crosscheck[proof]'\n"


def test_the_committed_certificate_proves_every_identity():
    """docs/CERTIFICATE.md carries the Proven section: every identity proven at every width of the plan, every
    formula mutant refuted, and the verdict says so."""
    from crosscheck.proof import sweep

    text = DOCS.read_text()
    assert "for any σ and C, at every width pair up to 6 × 6 and N ≤ 3" in " ".join(text.split())
    section = text[text.index("## Proven") : text.index("## Figures")]
    rows = [line for line in section.splitlines() if line.startswith(("| BP", "| end to end", "| code paths"))]
    assert len(rows) == 7 and all(row.endswith("| proven |") for row in rows), rows
    table = section[section.index("Each formula mutant of") :].split("\n\n")[1].splitlines()[2:]
    assert [line.split("`")[1] for line in table] == list(sweep.FORMULA_MUTANTS), table
    assert all("| refuted |" in line for line in table), table


def test_the_committed_certificate_shows_both_kinds_of_evidence_against_each_mutant():
    """Each negative control of docs/CERTIFICATE.md carries the numeric counterexample that caught it and, beside it,
    the symbolic tier's residual: refuted, except the update's mutant (out of scope) and the wrong derivatives SymPy
    cannot follow (not expressible, with the reason)."""
    from crosscheck.mutants import MUTANTS

    text = DOCS.read_text()
    rows = [line for line in text[text.index("Negative controls:") :].split("\n\n")[1].splitlines()[2:]]
    listed = [row.split("`")[1] for row in rows]
    lacking, extra = [m for m in MUTANTS if m not in listed], [m for m in listed if m not in MUTANTS]
    assert listed == list(MUTANTS), (
        f"docs/CERTIFICATE.md is stale: its negative controls lack {lacking or 'none'}, list {extra or 'none'} the "
        f"registry does not have{'' if lacking or extra else ', in another order'}: run `{REGENERATE}`"
    )
    for row in rows:
        numeric, symbolic = [cell.strip() for cell in row.split(" | ")[-2:]]
        assert " on [" in numeric, row
        name = row.split("`")[1]
        if MUTANTS[name].check == "step":
            assert symbolic.startswith("out of scope"), row
        else:
            assert symbolic.startswith(("refuted", "not expressible")), row
    refuted = [row for row in rows if row.split(" | ")[-1].startswith("refuted")]
    assert len(refuted) >= len(MUTANTS) - 5, rows  # the update, and elu's, softplus's, gelu's, huber's derivatives


@needs_frameworks
@pytest.mark.xdist_group("small_run")  # one worker runs the shared fixture once
def test_the_committed_certificate_describes_the_method_as_the_code_does(small_run):
    """The method paragraphs of docs/CERTIFICATE.md (what was verified, the oracles, the tolerances and
    their scale) are word for word what the certificate writes now."""
    written = (small_run[2] / "c.md").read_text().split("\n\n")
    start = written.index("## What was verified")
    method = [written[start + 1]] + [p for p in written if p.startswith(("Oracles:", "Tolerances"))]
    assert len(method) == 3
    committed = DOCS.read_text()
    for paragraph in method:
        assert paragraph in committed, f"docs/CERTIFICATE.md is stale, it lacks:\n{paragraph}\nrun `{REGENERATE}`"


def test_every_name_the_certificates_tell_a_reader_to_call_exists():
    """Each `crosscheck.X.f()` or `python -m crosscheck.X` a committed report names resolves to a callable or an
    importable module (a reader who follows the certificate finds what it points at)."""
    import importlib

    root = Path(__file__).resolve().parents[1]
    for report in (root / "docs" / "CERTIFICATE.md", root / "docs" / "ERRATA.md", root / "README.md"):
        text = report.read_text()
        for dotted in sorted(set(re.findall(r"`(crosscheck(?:\.[A-Za-z_]\w*)+)\(\)`", text))):
            module, _, name = dotted.rpartition(".")
            assert callable(getattr(importlib.import_module(module), name, None)), f"{report.name} names {dotted}()"
        for module in sorted(set(re.findall(r"python -m (crosscheck(?:\.\w+)*)", text))):
            assert importlib.util.find_spec(module) is not None, f"{report.name} names python -m {module}"
