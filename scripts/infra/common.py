"""What the infra checks share: the repository's paths, Portico's settings as the code
defines them, the environment the image sets, and one-line problem reports."""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "crates/portico-server/src/config"
DOCKERFILE = REPO / "infra/Dockerfile"

# Settings the server reads that are not fields of `Config` (NOT_SETTINGS in config/mod.rs).
EXTRA_SETTINGS = {"PORTICO_CONFIG"}

# What each command needs to start in production (config/: validate / validate_without_queue).
REQUIRED = {
    "serve": {
        "PORTICO_ENV",
        "PORTICO_LISTEN",
        "PORTICO_DATABASE_URL",
        "PORTICO_REDIS_URL",
        "PORTICO_SECRETS_KEY",
        "PORTICO_BASE_DOMAIN",
        "PORTICO_PUBLIC_URL",
        "PORTICO_SMTP_URL",
        "PORTICO_MAIL_FROM",
    },
    "migrate": {
        "PORTICO_ENV",
        "PORTICO_DATABASE_URL",
        "PORTICO_MIGRATION_DATABASE_URL",
        "PORTICO_SECRETS_KEY",
    },
}
REQUIRED["worker"] = set(REQUIRED["serve"])
# Only the migration runs as the owner role: an API or worker with the owner's URL could
# read past row-level security.
FORBIDDEN = {
    "serve": {"PORTICO_MIGRATION_DATABASE_URL"},
    "worker": {"PORTICO_MIGRATION_DATABASE_URL"},
    "migrate": set(),
}


def rel(path: Path | str) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


class Problems:
    """Collects problems as `file: what is wrong` lines; `exit` prints them and fails."""

    def __init__(self, check: str):
        self.check = check
        self.lines: list[str] = []

    def add(self, path: Path | str, message: str) -> None:
        self.lines.append(f"{rel(path)}: {message}")

    def exit(self) -> None:
        for line in self.lines:
            print(line, file=sys.stderr)
        if self.lines:
            print(f"{self.check}: {len(self.lines)} problem(s)", file=sys.stderr)
            sys.exit(1)
        print(f"{self.check}: ok")


def section_files(config_dir: Path = CONFIG_DIR) -> dict[str, tuple[Path, str]]:
    """Every field of the sections of `pub struct Config` (config/mod.rs): the file and the
    struct it is declared in."""
    mod_rs = config_dir / "mod.rs"
    sections = re.findall(r"^\s*pub \w+: (\w+),", struct_body(mod_rs, "pub struct Config"), re.M)
    fields: dict[str, tuple[Path, str]] = {}
    for section in sections:
        found = [path for path in sorted(config_dir.glob("*.rs")) if f"pub struct {section} {{" in path.read_text()]
        if len(found) != 1:
            raise SystemExit(f"{rel(config_dir)}: found `pub struct {section}` in {len(found)} files")
        for field in re.findall(r"^\s*pub (\w+):", struct_body(found[0], f"pub struct {section}"), re.M):
            fields[field] = (found[0], section)
    if len(sections) < 5 or len(fields) < 10:
        raise SystemExit(f"{rel(config_dir)}: found only {len(fields)} settings in {len(sections)} sections of Config")
    return fields


def portico_settings(config_dir: Path = CONFIG_DIR) -> set[str]:
    """Every PORTICO_* variable the server accepts: the fields of Config's sections."""
    return {f"PORTICO_{field.upper()}" for field in section_files(config_dir)} | EXTRA_SETTINGS


def portico_default(setting: str, config_dir: Path = CONFIG_DIR) -> int:
    """A numeric setting's default, as its section's `Default` writes it."""
    field = setting.removeprefix("PORTICO_").lower()
    path, section = section_files(config_dir)[field]
    match = re.search(rf"^\s*{field}: (\d+),$", struct_body(path, f"impl Default for {section}"), re.M)
    if not match:
        raise SystemExit(f"{rel(path)}: no number for {field} in `impl Default for {section}`")
    return int(match.group(1))


def struct_body(path: Path, opening: str) -> str:
    """The text between `{opening} {` and the next `}` at the start of a line in `path`."""
    match = re.search(rf"{re.escape(opening)} \{{(.*?)\n\}}", path.read_text(), re.S)
    if not match:
        raise SystemExit(f"{rel(path)}: cannot find `{opening}`")
    return match.group(1)


def dockerfile_stages(dockerfile: Path = DOCKERFILE) -> list[tuple[str, list[tuple[str, str, int]]]]:
    """The Dockerfile as stages: (name, [(INSTRUCTION, arguments, line)]), continuation
    lines joined, comments dropped."""
    stages: list[tuple[str, list[tuple[str, str, int]]]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(dockerfile.read_text().splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        instruction, _, args = full.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else str(len(stages))
            stages.append((name, []))
        if stages:
            stages[-1][1].append((instruction, args.strip(), start))
    return stages


def image_env(dockerfile: Path = DOCKERFILE) -> dict[str, str]:
    """The ENV of the final stage (what every container of the image starts with)."""
    env: dict[str, str] = {}
    for instruction, args, _ in dockerfile_stages(dockerfile)[-1][1]:
        if instruction == "ENV":
            for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', args):
                env[key] = value.strip('"')
    return env


def command_of(args: list[str] | None) -> str | None:
    """serve, worker or migrate from a container's arguments (the image's CMD when none)."""
    words = list(args) if args else ["serve", "--no-migrate"]
    if words and words[0] == "portico":
        words = words[1:]
    return words[0] if words and words[0] in REQUIRED else None


def check_portico_env(
    problems: Problems, path: Path | str, where: str, command: str | None, names: set[str], settings: set[str]
) -> None:
    """A Portico container's variables: known settings only, the required ones present, the
    forbidden ones absent."""
    for name in sorted(names):
        if name.startswith("PORTICO_") and name not in settings:
            problems.add(path, f"{where}: {name} is not a Portico setting (config/); Portico would refuse to start")
    if command is None:
        return
    for name in sorted(REQUIRED[command] - names):
        problems.add(path, f"{where}: `{command}` needs {name}, which is not set")
    for name in sorted(FORBIDDEN[command] & names):
        problems.add(path, f"{where}: `{command}` must not get {name} (only the migration runs as the owner)")
