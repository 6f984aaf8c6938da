"""Docs and configuration stay in step with the code: commands, settings, compose, make targets."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

from knowledge.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")


def command_paths(parser: argparse.ArgumentParser, prefix: str = "wayfinder") -> list[str]:
    """Every leaf command, e.g. `wayfinder directory import`."""
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.extend(command_paths(sub, f"{prefix} {name}"))
    return paths or [prefix]


def test_readme_documents_every_cli_command() -> None:
    missing = [path for path in command_paths(build_parser()) if path not in README]
    assert not missing, f"README.md does not mention: {missing}"


def test_env_example_lists_every_variable_the_code_reads() -> None:
    sources = [
        *ROOT.glob("knowledge/**/*.py"),
        *ROOT.glob("actions/**/*.py"),
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("bot/**/*.yml"),
        *ROOT.glob("benchmarks/**/*.py"),
        *ROOT.glob("tests/**/*.py"),
        ROOT / "Makefile",
        ROOT / ".ci" / "run",
        ROOT / "docker-compose.yml",
    ]
    used = set()
    for path in sources:
        used |= set(
            re.findall(
                r"\b(WAYFINDER_[A-Z_]+|NAVIGATOR_[A-Z_]+|POSTGRES_PASSWORD)\b", path.read_text()
            )
        )
    listed = set(re.findall(r"^([A-Z_]+)=", ENV_EXAMPLE, flags=re.M))
    assert used - listed == set(), f".env.example misses {sorted(used - listed)}"


def test_compose_builds_from_files_that_exist_and_requires_its_secrets() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    known = set(command_paths(build_parser()))
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            assert (ROOT / build["context"]).is_dir(), name
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        for command in re.findall(r"wayfinder [a-z ]+", " ".join(service.get("command") or [])):
            assert any(command.strip().startswith(path) for path in known), (name, command)
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in re.findall(r"\$\{([A-Z_]+):\?", text):
        assert f"{secret}=" in ENV_EXAMPLE
    assert "${POSTGRES_PASSWORD:?" in text, "the database password must be required, not defaulted"


def test_every_make_target_is_listed_by_make_help() -> None:
    makefile = (ROOT / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY: (.+)$", makefile, flags=re.M).group(1).split())  # type: ignore[union-attr]
    helped = set(re.findall(r"^([a-z0-9.-]+):.*## ", makefile, flags=re.M))
    assert phony == helped, f"targets without a `## help` line: {phony - helped}"
    assert "make run" in README and "make test" in README
