"""docker/haproxy.cfg read as the tests need it: its front doors, backends and routes, in the
compose form (the default) or the localhost one (LB_LOCAL set)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_CFG = ROOT / "docker" / "haproxy.cfg"
Sections = dict[str, list[list[str]]]  # "frontend public" → its lines, as words


def sections(local: bool = False, text: str | None = None) -> Sections:
    """Each section's lines (comments dropped), `.if defined(LB_LOCAL)` blocks resolved."""
    text = HAPROXY_CFG.read_text() if text is None else text
    found: Sections = {}
    current: list[list[str]] | None = None
    keep = [True]
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith(".if"):
            wanted = "!defined(LB_LOCAL)" not in line
            keep.append(keep[-1] and (local == wanted))
            continue
        if line == ".else":
            keep[-1] = keep[-2] and not keep[-1]
            continue
        if line == ".endif":
            keep.pop()
            continue
        if not keep[-1]:
            continue
        words = shlex.split(line)
        if not raw[0].isspace():
            current = found.setdefault(" ".join(words[:2]), [])
        elif current is not None:
            current.append(words)
    return found


def _default(word: str) -> str:
    """A "${NAME-default}" word with its default put in (what HAProxy does when NAME is unset)."""
    return re.sub(r"\$\{[A-Z_]+-([^}]*)\}", r"\1", word)


def binds() -> dict[str, int]:
    """Each frontend's port (compose form)."""
    ports = {}
    for name, lines in sections().items():
        if name.startswith("frontend "):
            (bind,) = [words[1] for words in lines if words[0] == "bind"]
            ports[name.split()[1]] = int(_default(bind).rsplit(":", 1)[1])
    return ports


def template_servers() -> dict[str, tuple[str, int]]:
    """Each backend's compose service name and port (its server-template line)."""
    servers = {}
    for name, lines in sections().items():
        for words in lines:
            if name.startswith("backend ") and words[0] == "server-template":
                host, port = words[3].rsplit(":", 1)
                servers[name.split()[1]] = (host, int(port))
    return servers


def public_routes() -> tuple[set[str], set[str]]:
    """The public front door's (exact paths, path prefixes) its acl lines name (one fetch per
    line; lines of one name are or'ed)."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    for words in sections()["frontend public"]:
        if words[0] == "acl":
            fetch, values = words[2], words[3:]
            assert fetch in {"path", "path_beg"}, words
            (exact if fetch == "path" else prefixes).update(values)
    return exact, prefixes


def seconds(value: str) -> float:
    """An HAProxy time (40s, 500ms, 2m) in seconds."""
    number, unit = re.fullmatch(r"(\d+)(ms|s|m)?", value).groups()  # type: ignore[union-attr]
    return int(number) * {"ms": 0.001, "s": 1, "m": 60, None: 0.001}[unit]


def timeout(section: str, kind: str) -> float:
    """A section's `timeout <kind>`, else the defaults'."""
    for name in (section, "defaults"):
        for words in sections().get(name, []):
            if words[:2] == ["timeout", kind]:
                return seconds(words[2])
    raise KeyError(kind)
