#!/usr/bin/env python3
"""Cycles between portico-core's areas (its top-level modules).

An area that acts must not depend on an area that reacts to it: reactions go through domain
events (crates/portico-core/src/events/), so a new integration never edits the area it
reacts to. This reads every `crate::<area>` reference in each area's files and fails on any two
areas that name each other, naming them, except those listed with a reason in
scripts/arch/core-cycles-allow.txt (stale entries fail too).
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "crates/portico-core/src"
ALLOW = ROOT / "scripts/arch/core-cycles-allow.txt"
# Shared foundations every area uses; they depend on no area.
FOUNDATION = {"lib", "error", "ids", "db", "tenancy", "entities", "ports", "audit", "caches",
              "sql_params", "statements", "identity"}
# The one module that names both sides of every reaction.
WIRING = {"events"}


def area_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".rs")


def code_of(text: str) -> str:
    """The file without comments and test modules (a test may reach anywhere)."""
    text = re.sub(r"(?s)#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", text)
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def graph() -> dict[str, set[str]]:
    areas = {area_of(p) for p in SRC.rglob("*.rs")}
    edges: dict[str, set[str]] = {a: set() for a in areas}
    for path in SRC.rglob("*.rs"):
        source = area_of(path)
        code = code_of(path.read_text())
        names = set(re.findall(r"\bcrate::([a-z_]+)", code))
        # `use crate::{a, b::c}` groups.
        for group in re.findall(r"\bcrate::\{([^;]*)\}", code, re.S):
            depth, name, names_in = 0, "", []
            for ch in group:
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                elif depth == 0 and ch == ",":
                    names_in.append(name)
                    name = ""
                    continue
                if depth == 0 and ch not in "{}":
                    name += ch
            names_in.append(name)
            for n in names_in:
                head = n.strip().split("::")[0].strip()
                if head:
                    names.add(head)
        for target in names:
            if target in areas and target != source:
                edges[source].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Pairs of areas that name each other (each pair once, sorted). The foundations are
    left out: every area uses them."""
    areas = set(edges) - FOUNDATION - WIRING
    return {
        tuple(sorted((a, b)))
        for a in areas
        for b in edges[a] & areas
        if a in edges[b]
    }


def main() -> int:
    edges = graph()
    found = cycles(edges)
    allowed = {}
    for line in ALLOW.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pair, _, reason = line.partition(":")
        a, b = sorted(pair.split())
        if not reason.strip():
            print(f"{ALLOW.name}: '{line}' gives no reason")
            return 1
        allowed[(a, b)] = reason.strip()
    status = 0
    for a, b in sorted(found - allowed.keys()):
        print(f"portico-core: areas `{a}` and `{b}` depend on each other; make one react to "
              f"the other's domain events (crates/portico-core/src/events/)")
        status = 1
    for a, b in sorted(allowed.keys() - found):
        print(f"{ALLOW.name}: `{a} {b}` no longer depend on each other; remove the line")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
