"""Each scope a report's sentences claim, read back and compared with what the run recorded in its JSON.

A scope phrase is a pattern below; each names the recorded figure it must equal. `mismatches(markdown, data)` lists
every tagged sentence whose scope differs from the record, and every pattern that matches nowhere though the record
says the report should carry it (a sentence reworded out of the check's reach is a failure, not a pass)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from crosscheck.certificate.ledger import TAGS

_TAG = re.compile(r"\[(?:" + "|".join(re.escape(kind) for kind in TAGS) + r")(?::[^\]]*)?\]")


def sentences(markdown: str) -> list[str]:
    """Every sentence that carries a ledger tag, with its tag (whose detail states a scope too), on one line."""
    text = " ".join(markdown.split())
    found, start = [], 0
    for tag in _TAG.finditer(text):
        found.append(text[start : tag.end()].strip())
        start = tag.end()
    return found


def _numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)]


def _net(sizes: list[int]) -> str:
    return "-".join(map(str, sizes))


def _proof(data: dict[str, Any]) -> dict[str, Any] | None:
    """The symbolic tier's record: the certificate's "proven", or the --symbolic report's own JSON."""
    proven = data.get("proven", data)
    return proven.get("scope") if isinstance(proven, dict) else None


def _claims(data: dict[str, Any]) -> list[tuple[str, Callable[[re.Match[str]], str | None]]]:
    """(pattern, check) pairs: check returns None when the matched phrase equals the record, else what differs."""
    claims: list[tuple[str, Callable[[re.Match[str]], str | None]]] = []
    if "cells" in data:
        structures, totals = data["structures"], data["total_cases"]

        def drawn(m: re.Match[str]) -> str | None:
            said = _numbers(m[1])
            recorded = structures["weight_layers"] + structures["widths"] + structures["batch"]
            return None if said == recorded else f"says {said}, the cells recorded {recorded}"

        claims += [
            (
                r"Cases: (\d[\d,]*) cells",
                lambda m: None if int(m[1]) == len(data["cells"]) else f"{len(data['cells'])} cells ran",
            ),
            (r"over the cells: ([^)]*)\)", drawn),
            (
                r"\) and (\d[\d,]*) cases of it",
                lambda m: None if int(m[1]) == data["cases_per_cell"] else f"{data['cases_per_cell']} cases per cell ran",
            ),
            (
                r"Cases checked in all: ([^.]*)\.",
                lambda m: None if m[1] == ", ".join(f"{o} {n:,}" for o, n in totals.items()) else f"the run counted {totals}",
            ),
        ]
    scope = _proof(data)
    if scope:
        depths = [len(n["sizes"]) - 1 for n in scope["end_to_end"]]
        paths = sorted({_net(p["sizes"]) + (" softmax" if p["output"] == "softmax" else "") for p in scope["paths"]})
        claims += [
            (
                r"at every width pair up to (\d+) × (\d+) and N ≤ (\d+)",
                lambda m: (
                    None
                    if [int(m[1]), int(m[2]), int(m[3])] == [max(scope["lemma_widths"])] * 2 + [max(scope["lemma_samples"])]
                    else f"the lemmas ran at widths {scope['lemma_widths']}, N {scope['lemma_samples']}"
                ),
            ),
            (
                r"(\d+) whole networks of (\d+) to (\d+) weight layers and widths ≤ (\d+)",
                lambda m: (
                    None
                    if _numbers(m[0]) == [len(depths), min(depths), max(depths), max(scope["end_to_end_widths"])]
                    else f"end to end ran {[_net(n['sizes']) for n in scope['end_to_end']]}"
                ),
            ),
            (
                r"on a stack of two and with out= on (.*?) at N = ([\d, ]+)",
                lambda m: (
                    None
                    if m[1].split(", ") == paths and _numbers(m[2]) == sorted({p["N"] for p in scope["paths"]})
                    else f"the code paths ran on {paths}"
                ),
            ),
            (
                r"fails at the equation it breaks, on the network (.*?) \(",
                lambda m: (
                    None
                    if m[1] == " and ".join(f"{_net(n['sizes'])} with N = {n['N']}" for n in scope["refuted_on"])
                    else f"the mutants ran on {scope['refuted_on']}"
                ),
            ),
            (
                r"on (\d+) outputs at N = ([\d, ]+)",
                lambda m: (
                    None
                    if [int(m[1]), _numbers(m[2])] == [scope["cost_outputs"], scope["cost_samples"]]
                    else f"the costs ran on {scope['cost_outputs']} outputs at N = {scope['cost_samples']}"
                ),
            ),
            (
                r"beyond (\d+) weight layers",
                lambda m: None if int(m[1]) == max(depths) else f"end to end reached {max(depths)} weight layers",
            ),
            (
                r"checked end to end to (\d+) weight layers",
                lambda m: None if int(m[1]) == max(depths) else f"end to end reached {max(depths)} weight layers",
            ),
        ]
    return claims


def mismatches(markdown: str, data: dict[str, Any], *, required: tuple[str, ...] = ()) -> list[str]:
    """Every tagged sentence whose scope phrase differs from the record, quoted with what the record says; and every
    pattern of `required` (a fragment of the pattern's text) that no tagged sentence carries."""
    found, matched = [], set()
    claims = _claims(data)
    for sentence in sentences(markdown):
        for pattern, check in claims:
            for m in re.finditer(pattern, sentence):
                matched.add(pattern)
                problem = check(m)
                if problem:
                    found.append(f"{sentence!r}: {problem}")
    for fragment in required:
        if not any(fragment in pattern for pattern in matched):
            found.append(f"no tagged sentence states the scope {fragment!r}")
    return found
