"""docker-compose.yml checked without Docker: every file, module, port and variable it names."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
CODE = "\n".join(
    path.read_text() for pattern in ("knowledge/**/*.py", "actions/**/*.py", "bot/**/*.py",
                                     "bot/*.yml") for path in ROOT.glob(pattern)
)  # fmt: skip
# Variables the images' own software reads (not ours): PostgreSQL's image.
THIRD_PARTY = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}


def dockerfile_problems(path: Path) -> list[str]:
    """COPY sources that do not exist."""
    problems = []
    for line in path.read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                if not (ROOT / source).exists():
                    problems.append(f"{path.name}: COPY {source} does not exist")
    return problems


def _flag(command: list[str], flag: str) -> str | None:
    """The value after a command-line flag."""
    return command[command.index(flag) + 1] if flag in command else None


def service_problems(name: str, service: dict[str, Any]) -> list[str]:
    """Everything a service names that is missing or inconsistent."""
    problems: list[str] = []
    build = service.get("build")
    dockerfile_text = ""
    if build:
        dockerfile = ROOT / build["context"] / build["dockerfile"]
        if not dockerfile.is_file():
            return [f"{name}: {dockerfile} does not exist"]
        dockerfile_text = dockerfile.read_text()
        problems += dockerfile_problems(dockerfile)
    command = [str(part) for part in service.get("command") or []]
    if 'ENTRYPOINT ["python", "-m"]' in dockerfile_text and command:
        module = command[0]
        if module != "rasa_sdk" and not (
            (ROOT / module.replace(".", "/") / "__main__.py").is_file()
            or (ROOT / f"{module.replace('.', '/')}.py").is_file()
        ):
            problems.append(f"{name}: python -m {module} does not exist")
        if module == "rasa_sdk" and _flag(command, "--actions") != "actions":
            problems.append(f"{name}: the action server must load the actions package")
    for flag in ("--endpoints", "--credentials"):
        value = _flag(command, flag)
        if value is not None and not (ROOT / value).is_file():
            problems.append(f"{name}: {flag} {value} does not exist")
    model = _flag(command, "--model")
    if model is not None:
        trained = re.search(
            r"--out (\S+) --fixed-model-name (\S+)", dockerfile_text.replace("\\\n", " ")
        )
        if not trained or model != f"{trained.group(1)}/{trained.group(2)}.tar.gz":
            problems.append(f"{name}: --model {model} is not what its Dockerfile trains")
    port = _flag(command, "-p")
    health = " ".join(str(part) for part in (service.get("healthcheck") or {}).get("test", []))
    probed = re.findall(r"localhost:(\d+)", health)
    if port and probed and probed != [port]:
        problems.append(
            f"{name}: the health check probes {probed} but the server listens on {port}"
        )
    for variable in service.get("environment") or {}:
        if (
            variable not in THIRD_PARTY
            and variable not in CODE
            and variable not in " ".join(command)
        ):
            problems.append(f"{name}: nothing reads {variable}")
    return problems


def compose_problems(compose: dict[str, Any]) -> list[str]:
    """All problems of a compose document."""
    problems = []
    for name, service in compose["services"].items():
        problems += service_problems(name, service)
        for dependency in service.get("depends_on") or {}:
            if dependency not in compose["services"]:
                problems.append(f"{name}: depends on unknown service {dependency}")
    return problems


def test_the_compose_file_has_no_problems() -> None:
    assert compose_problems(COMPOSE) == []


def test_secrets_are_required_and_every_variable_is_in_env_example() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    env_example = (ROOT / ".env.example").read_text()
    assert "POSTGRES_PASSWORD:-" not in text
    for variable in set(re.findall(r"\$\{([A-Z_]+)", text)):
        assert f"\n{variable}=" in env_example, variable


def test_rasa_never_opens_its_http_api_without_a_required_token() -> None:
    """Rasa's HTTP API reads and rewrites any conversation: --enable-api only with --auth-token,
    and the token is a secret compose refuses to start without (issue #13)."""
    command = COMPOSE["services"]["rasa"]["command"]
    assert "--enable-api" in command
    token = _flag(command, "--auth-token")
    assert token is not None and re.fullmatch(r"\$\{WAYFINDER_RASA_TOKEN:\?[^}]+\}", token)
    assert "WAYFINDER_RASA_TOKEN" in COMPOSE["services"]["reminders"]["environment"]
    assert "/status" not in str(COMPOSE["services"]["rasa"]["healthcheck"])  # /status needs it
    for dockerfile in (ROOT / "docker").glob("*.Dockerfile"):
        text = dockerfile.read_text()
        assert "--enable-api" not in text or "--auth-token" in text, dockerfile.name


def test_rasa_waits_long_enough_for_its_model() -> None:
    start = COMPOSE["services"]["rasa"]["healthcheck"]["start_period"]
    assert int(start.rstrip("s")) >= 120


def _broken(change: str) -> dict[str, Any]:
    broken = copy.deepcopy(COMPOSE)
    services = broken["services"]
    if change == "port":
        services["actions"]["command"][-1] = "5056"
    elif change == "module":
        services["reminders"]["command"] = ["bot.remindres"]
    elif change == "endpoints":
        rasa = services["rasa"]["command"]
        rasa[rasa.index("--endpoints") + 1] = "bot/missing.yml"
    elif change == "variable":
        services["actions"]["environment"]["NO_SUCH_SETTING"] = "1"
    elif change == "model":
        rasa = services["rasa"]["command"]
        rasa[rasa.index("--model") + 1] = "/app/models/other.tar.gz"
    elif change == "dependency":
        services["rasa"]["depends_on"] = {"action": {"condition": "service_healthy"}}
    return broken


@pytest.mark.parametrize(
    "change", ["port", "module", "endpoints", "variable", "model", "dependency"]
)
def test_a_broken_reference_is_caught(change: str) -> None:
    assert compose_problems(_broken(change))


def test_the_gateway_listens_where_its_health_check_and_the_worker_look() -> None:
    gateway = COMPOSE["services"]["gateway"]
    port = gateway["environment"]["WAYFINDER_GATEWAY_PORT"]
    health = " ".join(gateway["healthcheck"]["test"])
    assert f"localhost:{port}/health" in health
    assert gateway["ports"] == [f"{port}:{port}"]
    assert gateway["environment"]["WAYFINDER_GATEWAY_HOST"] == "0.0.0.0"  # reachable from others
    worker = COMPOSE["services"]["reminders"]["environment"]
    assert worker["WAYFINDER_GATEWAY_URL"] == f"http://gateway:{port}"
    # Across containers the deliver endpoint cannot trust "same host": both need the token.
    assert "WAYFINDER_GATEWAY_TOKEN" in gateway["environment"]
    assert "WAYFINDER_GATEWAY_TOKEN" in worker


def test_the_worker_erases_conversations_where_rasa_keeps_them() -> None:
    services = COMPOSE["services"]
    stores = [
        make_url(services[name]["environment"]["WAYFINDER_TRACKER_URL"])
        for name in ("rasa", "reminders")
    ]
    assert len({url.set(drivername="postgresql") for url in stores}) == 1  # drivers differ
    for name in ("gateway", "reminders"):  # the privacy notice and the worker read one value
        assert "WAYFINDER_RETENTION_DAYS" in services[name]["environment"]


def test_only_the_gateway_faces_the_network_and_rasa_stays_internal() -> None:
    """Rasa (Python 3.10, a REST channel that answers anyone) is reached through the gateway only:
    its port is published on the host's loopback, the other services' not at all."""
    published = {name: service.get("ports", []) for name, service in COMPOSE["services"].items()}
    assert published.pop("gateway") == ["8080:8080"]
    assert published.pop("rasa") == ["127.0.0.1:5005:5005"]
    assert all(not ports for ports in published.values()), published
    # Host networking would put every service's port on every address of the host.
    assert all("network_mode" not in service for service in COMPOSE["services"].values())


def test_only_the_rasa_image_stays_on_python_310() -> None:
    """Python 3.10 gets no security fixes after October 2026: only Rasa 3.6, which needs it."""
    bases = {
        path.name: re.findall(r"^FROM (\S+)", path.read_text(), re.MULTILINE)
        for path in (ROOT / "docker").glob("*.Dockerfile")
    }
    assert bases.pop("rasa.Dockerfile") == ["python:3.10-slim"]
    assert bases and all(found == ["python:3.12-slim"] for found in bases.values()), bases
