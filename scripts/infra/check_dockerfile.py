#!/usr/bin/env python3
"""What hadolint cannot see in infra/Dockerfile: every path copied from the build context
exists and is in the context (infra/Dockerfile.dockerignore), every file the release binary
compiles in (include_str!, include_bytes!, rust-embed folders of portico-server and the
crates it depends on) is copied into the build stage, every `hadolint ignore` is explained
by a comment, and the runtime stage runs `portico` as a numeric non-root user with a
HEALTHCHECK.

usage: check_dockerfile.py [DOCKERFILE]
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from common import REPO, Problems, dockerfile_stages, rel


def ignore_patterns(path: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """A .dockerignore as (excludes, regex) in order; the last match decides (like Docker)."""
    patterns = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:].strip() if negate else line
        pattern = pattern.strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                regex += ".*"
                i += 2
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        patterns.append((not negate, re.compile(regex + "$")))
    return patterns


def in_context(path: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether a path (relative to the context) is sent: a pattern matching the path or one
    of its parent folders applies; the last one that applies wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for excludes, regex in patterns:
        if any(regex.match(c) for c in candidates):
            excluded = excludes
    return not excluded


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def copy_sources(args: str) -> tuple[list[str], list[str], str]:
    """(flags, sources, destination) of a COPY instruction (shell or JSON form)."""
    words = shlex.split(args)
    flags = [w for w in words if w.startswith("--")]
    rest = [w for w in words if not w.startswith("--")]
    if rest and rest[0].startswith("["):
        rest = json.loads(" ".join(rest))
    return flags, rest[:-1], rest[-1] if rest else ""


def server_crates() -> list[Path]:
    """portico-server and the workspace crates it depends on (normal dependencies)."""
    workspace = tomllib.loads((REPO / "Cargo.toml").read_text())
    paths = {
        name: REPO / spec["path"]
        for name, spec in workspace["workspace"]["dependencies"].items()
        if isinstance(spec, dict) and "path" in spec
    }
    seen: list[Path] = []
    todo = ["portico-server"]
    while todo:
        name = todo.pop()
        crate = paths[name]
        if crate in seen:
            continue
        seen.append(crate)
        manifest = tomllib.loads((crate / "Cargo.toml").read_text())
        todo += [dep for dep in manifest.get("dependencies", {}) if dep in paths]
    return seen


def compiled_in_files() -> list[tuple[Path, Path]]:
    """(source file, file or folder it compiles in) for the binary's crates."""
    found = []
    for crate in server_crates():
        for source in sorted((crate / "src").rglob("*.rs")):
            text = source.read_text()
            for target in re.findall(r'include_(?:str|bytes)!\(\s*"([^"]+)"', text):
                found.append((source, (source.parent / target).resolve()))
            for target in re.findall(r'#\[folder\s*=\s*"([^"]+)"\]', text):
                found.append((source, (crate / target).resolve()))
    return found


def main() -> None:
    dockerfile = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPO / "infra/Dockerfile"
    problems = Problems("dockerfile")
    ignore_file = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if not ignore_file.is_file():
        problems.add(dockerfile, f"{ignore_file.name} (the build context's allow-list) is missing")
        problems.exit()
    patterns = ignore_patterns(ignore_file)
    tracked = tracked_files()

    lines = dockerfile.read_text().splitlines()
    for number, line in enumerate(lines, 1):
        if re.match(r"\s*#\s*hadolint\s+ignore=", line):
            previous = lines[number - 2].strip() if number > 1 else ""
            if not previous.startswith("#") or len(previous) < 20:
                problems.add(dockerfile, f"line {number}: `hadolint ignore` without a comment above saying why")

    stages = dockerfile_stages(dockerfile)
    stage_names = {name for name, _ in stages}
    copied: dict[str, list[str]] = {}  # stage -> destinations of context copies (relative)
    for name, instructions in stages:
        for instruction, args, number in instructions:
            if instruction == "ADD":
                problems.add(dockerfile, f"line {number}: use COPY, not ADD")
            if instruction != "COPY":
                continue
            flags, sources, destination = copy_sources(args)
            if any(f.startswith("--from=") for f in flags):
                source_stage = next(f for f in flags if f.startswith("--from=")).split("=", 1)[1]
                if source_stage not in stage_names and ":" not in source_stage:
                    problems.add(dockerfile, f"line {number}: COPY --from={source_stage} names no stage")
                copied.setdefault(name, []).append(os.path.normpath(destination))
                continue
            for source in sources:
                path = REPO / source
                if not path.exists():
                    problems.add(dockerfile, f"line {number}: COPY {source}: no such file or folder in the repository")
                    continue
                if not in_context(source.strip("/"), patterns):
                    problems.add(dockerfile, f"line {number}: COPY {source}: excluded from the build context by {ignore_file.name}")
                    continue
                if path.is_dir():
                    prefix = source.strip("/") + "/"
                    lost = [f for f in tracked if f.startswith(prefix) and not in_context(f, patterns)]
                    if lost:
                        problems.add(
                            dockerfile,
                            f"line {number}: COPY {source}: {len(lost)} tracked file(s) left out of the context by {ignore_file.name}, e.g. {lost[0]}",
                        )
                # Where it lands, relative to WORKDIR (which mirrors the repository's root).
                into_folder = destination.endswith("/") or len(sources) > 1
                landed = os.path.join(destination, path.name) if into_folder else destination
                copied.setdefault(name, []).append(os.path.normpath(landed))

    # The build stage: everything the binary compiles in must be under what it copied.
    build = next((n for n, ins in stages if any(i == "RUN" and "cargo build" in a for i, a, _ in ins)), None)
    if build is None:
        problems.add(dockerfile, "no stage runs `cargo build`")
    else:
        present = copied.get(build, [])
        for source, target in compiled_in_files():
            relative = rel(target)
            if not any(relative == p or relative.startswith(p + "/") for p in present):
                problems.add(dockerfile, f"stage {build}: {relative} (compiled in by {rel(source)}) is not copied into the stage")

    # The runtime stage.
    runtime_name, runtime = stages[-1]
    kinds = {i for i, _, _ in runtime}
    user = [a for i, a, _ in runtime if i == "USER"]
    if not user or not re.fullmatch(r"[1-9]\d*(:\d+)?", user[-1]):
        problems.add(dockerfile, f"stage {runtime_name}: the last USER must be a numeric non-root uid (Kubernetes' runAsNonRoot checks it)")
    if "HEALTHCHECK" not in kinds:
        problems.add(dockerfile, f"stage {runtime_name}: no HEALTHCHECK")
    entrypoint = [a for i, a, _ in runtime if i == "ENTRYPOINT"]
    if not entrypoint or json.loads(entrypoint[-1]) != ["portico"]:
        problems.add(dockerfile, f'stage {runtime_name}: ENTRYPOINT must be ["portico"]')
    if not any(i == "EXPOSE" and "8080" in a for i, a, _ in runtime):
        problems.add(dockerfile, f"stage {runtime_name}: EXPOSE 8080 is missing")
    problems.exit()


if __name__ == "__main__":
    main()
