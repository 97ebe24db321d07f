#!/usr/bin/env python3
"""What the Compose specification's schema cannot see in infra/compose.yaml: every
depends_on names a service (with a condition that service can meet), every mounted file
and env_file exists (infra/.env is checked as infra/env.example), every ${VAR} is
documented in env.example and every variable there is used, env.example holds no real
secret, every Portico container gets the settings its command needs (and only settings
Portico knows), every service but the one-shots has a healthcheck and a read-only root,
and the HAProxy configuration sends traffic to services that exist.

usage: check_compose.py [COMPOSE_FILE]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from common import REPO, Problems, check_portico_env, command_of, image_env, portico_default, portico_settings

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; $$ is a literal $.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")
ONE_SHOT_CONDITION = "service_completed_successfully"
CONDITIONS = {"service_started", "service_healthy", ONE_SHOT_CONDITION}
# Values in env.example that look like real secrets rather than placeholders.
SECRET_NAMES = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.I)
PLACEHOLDER = re.compile(r"^(|change-me.*)$")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as Compose reads them (comments and blank lines skipped, one pair
    of surrounding quotes removed)."""
    values = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.strip()):
            raise ValueError(f"line {number} is not KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def duration_secs(text: str) -> float | None:
    """A Compose duration (`30s`, `1m30s`, `1h`) in seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s|us)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}
    return sum(float(n) * scale[u] for n, u in parts)


def env_names(service: dict) -> set[str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return {item.split("=", 1)[0] for item in environment}
    return set(environment)


def env_file_paths(service: dict) -> list[str]:
    files = service.get("env_file") or []
    if isinstance(files, str):
        files = [files]
    return [f if isinstance(f, str) else f["path"] for f in files]


def mounts(service: dict) -> list[tuple[str, str]]:
    """(source, type) of each volume entry: bind mounts have a path as source."""
    found = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source = volume.split(":", 1)[0] if ":" in volume else ""
            kind = "bind" if source.startswith((".", "/", "~")) else "volume"
            found.append((source, kind))
        else:
            found.append((volume.get("source", ""), volume.get("type", "volume")))
    return found


def strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


def main() -> None:
    compose_path = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPO / "infra/compose.yaml"
    base = compose_path.parent
    problems = Problems("compose")
    try:
        compose = yaml.safe_load(compose_path.read_text())
    except yaml.YAMLError as error:
        problems.add(compose_path, f"not YAML: {' '.join(str(error).split())}")
        problems.exit()
    services: dict[str, dict] = compose.get("services") or {}
    volumes = set((compose.get("volumes") or {}).keys())
    settings = portico_settings()
    defaults = image_env()

    example_path = base / "env.example"
    example: dict[str, str] = {}
    if not example_path.is_file():
        problems.add(compose_path, "env.example (the documented infra/.env) is missing")
    else:
        try:
            example = read_env_file(example_path)
        except ValueError as error:
            problems.add(example_path, str(error))
        for key, value in example.items():
            if SECRET_NAMES.search(key) and not PLACEHOLDER.match(value):
                problems.add(example_path, f"{key} has a value that is not a change-me placeholder; commit no secret")

    # Interpolation: documented in env.example unless it has a default; nothing documented unused.
    used: dict[str, bool] = {}  # name -> always given a default
    for text in strings(compose):
        for name, operator, _, bare in INTERPOLATION.findall(text):
            name = name or bare
            used[name] = used.get(name, True) and operator in (":-", "-")
    for name, has_default in sorted(used.items()):
        if example and name not in example:
            why = "documented with its default" if has_default else "set (it has no default)"
            problems.add(compose_path, f"${{{name}}} is not documented in env.example; it must be {why} there")
    for name in sorted(set(example) - set(used)):
        problems.add(example_path, f"{name} is documented but compose.yaml never uses it")

    env_files_checked: set[Path] = set()
    for name, service in services.items():
        where = f"service {name}"
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {d: {"condition": "service_started"} for d in depends}
        for target, spec in depends.items():
            condition = (spec or {}).get("condition", "service_started")
            if target not in services:
                problems.add(compose_path, f"{where}: depends_on {target!r}, which is not a service")
                continue
            if condition not in CONDITIONS:
                problems.add(compose_path, f"{where}: depends_on {target!r} with unknown condition {condition!r}")
            other = services[target]
            if condition == "service_healthy" and (not other.get("healthcheck") or other["healthcheck"].get("disable")):
                problems.add(compose_path, f"{where}: waits for {target!r} to be healthy, but {target!r} has no healthcheck")
            if condition == ONE_SHOT_CONDITION and other.get("restart", "no") != "no":
                problems.add(compose_path, f"{where}: waits for {target!r} to complete, but {target!r} restarts ({other.get('restart')})")

        one_shot = service.get("restart", "no") == "no"
        if not service.get("read_only"):
            problems.add(compose_path, f"{where}: read_only: true is missing (give it tmpfs or volumes where it writes)")
        if not one_shot and (not service.get("healthcheck") or service["healthcheck"].get("disable")):
            problems.add(compose_path, f"{where}: a long-running service without a healthcheck")

        for source, kind in mounts(service):
            if kind == "bind":
                if not (base / source).exists():
                    problems.add(compose_path, f"{where}: mounts {source}, which does not exist")
            elif kind == "volume" and source and source not in volumes:
                problems.add(compose_path, f"{where}: uses volume {source!r}, which is not declared under volumes:")

        file_names: set[str] = set()  # known settings only: unknown ones are reported per file
        file_values: dict[str, str] = {}
        for env_file in env_file_paths(service):
            checked = base / ("env.example" if env_file == ".env" else env_file)
            if not checked.is_file():
                problems.add(compose_path, f"{where}: env_file {env_file} does not exist")
                continue
            if env_file == ".env":
                problems.add(compose_path, f"{where}: env_file .env would hand every secret to this container; interpolate what it needs")
            try:
                entries = set(read_env_file(checked))
            except ValueError as error:
                problems.add(checked, str(error))
                continue
            file_names |= {n for n in entries if not n.startswith("PORTICO_") or n in settings}
            file_values.update(read_env_file(checked))
            if checked not in env_files_checked:
                env_files_checked.add(checked)
                for name in sorted(n for n in entries - file_names):
                    problems.add(checked, f"{name} is not a Portico setting (config/); Portico would refuse to start")

        image = str(service.get("image", ""))
        if service.get("build") or "portico" in image.split("/")[-1].split(":")[0]:
            command = service.get("command")
            if isinstance(command, str):
                command = command.split()
            kind_of = command_of(command)
            if kind_of is None:
                problems.add(compose_path, f"{where}: runs the Portico image with an unknown command {command!r}")
            names = env_names(service) | file_names | set(defaults)
            check_portico_env(problems, compose_path, where, kind_of, names, settings)
            if kind_of in ("serve", "worker"):
                drain = int(file_values.get("PORTICO_SHUTDOWN_GRACE_SECS", portico_default("PORTICO_SHUTDOWN_GRACE_SECS")))
                period = duration_secs(str(service.get("stop_grace_period", "10s")))
                if period is None or period <= drain:
                    problems.add(compose_path, f"{where}: stop_grace_period {service.get('stop_grace_period', '10s (default)')} does not cover Portico's {drain} s drain (PORTICO_SHUTDOWN_GRACE_SECS)")

    # HAProxy's backends are services of this file.
    for source, kind in (m for s in services.values() for m in mounts(s)):
        path = base / source
        if kind == "bind" and path.suffix == ".cfg" and path.is_file():
            for number, line in enumerate(path.read_text().splitlines(), 1):
                match = re.match(r"\s*server\s+\S+\s+([^:\s]+):\d+", line)
                if match and match.group(1) not in services:
                    problems.add(path, f"line {number}: server {match.group(1)} is not a service of {compose_path.name}")
    problems.exit()


if __name__ == "__main__":
    main()
