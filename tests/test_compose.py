"""docker-compose.yml checked without Docker: against the Compose Specification's schema, and
every file, module, port, replica and variable it names."""

from __future__ import annotations

import copy
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.deploy.haproxy_config import HAPROXY_CFG, binds, template_servers
from tests.deploy.needs import NEEDS, REPLICATED, SECRETS, read_by_something

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# compose-spec's schema.json (Apache-2.0), as check-jsonschema ships it (its vendor/ folder,
# licenses/LICENSE.compose-spec): read from the installed package, never fetched.
COMPOSE_SCHEMA = json.loads(
    (files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text()
)
LB = "lb"


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
        if not read_by_something(variable) and variable not in " ".join(command):
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


def schema_errors(compose: dict[str, Any]) -> list[str]:
    """Where the document breaks the Compose Specification."""
    validator = jsonschema.Draft202012Validator(COMPOSE_SCHEMA)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(compose)
    ]


def test_the_compose_file_follows_the_compose_specification() -> None:
    assert COMPOSE_SCHEMA["title"] == "Compose Specification"
    assert schema_errors(COMPOSE) == []


@pytest.mark.parametrize(
    ("service", "field", "value"),
    [
        ("gateway", "replica", 2),  # a misspelt key
        ("gateway", "deploy", {"replicas": [2]}),  # a list for a number
        ("rasa", "healthcheck", {"test": 5}),  # a number for a command
        ("db", "depends_on", "redis"),  # a string for a list or a mapping
    ],
)
def test_the_schema_refuses_what_compose_would(service: str, field: str, value: Any) -> None:
    broken = copy.deepcopy(COMPOSE)
    broken["services"][service][field] = value
    assert schema_errors(broken)


def test_every_replicated_service_runs_twice_and_scales() -> None:
    """`docker compose up --scale gateway=3` works only without a fixed name or host port."""
    services = COMPOSE["services"]
    for name in REPLICATED:
        service = services[name]
        assert service["deploy"]["replicas"] == 2, name
        assert "container_name" not in service and not service.get("ports"), name
    singletons = set(services) - set(REPLICATED)
    assert singletons == {"db", "redis", "directory", LB}
    assert all("replicas" not in services[name].get("deploy", {}) for name in singletons)


def test_every_process_gets_what_it_needs_when_replicated() -> None:
    services = COMPOSE["services"]
    for name, needed in NEEDS.items():
        service = services["directory" if name == "migrate" else name]
        given = set(service.get("environment") or {})
        command = " ".join(str(part) for part in service.get("command") or [])
        given |= set(re.findall(r"\$\{([A-Z_]+)", command))  # Rasa's token, on its command line
        assert needed <= given, f"{name} lacks {sorted(needed - given)}"
    for needed in NEEDS.values():
        assert all(read_by_something(variable) for variable in needed), needed


def _secret_problems(compose: dict[str, Any]) -> list[str]:
    """Secret values written into the file instead of taken from .env."""
    problems = []
    for name, service in compose["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            value = str(value)
            if variable not in SECRETS or value.startswith("${"):
                continue
            password = urlsplit(value).password if "://" in value else value
            if password and not password.startswith("${"):
                problems.append(f"{name}: {variable} holds a literal secret")
    return problems


def test_no_secret_is_committed() -> None:
    assert _secret_problems(COMPOSE) == []
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["gateway"]["environment"]["WAYFINDER_REDIS_URL"] = "redis://:hunter2@redis"
    broken["services"]["reminders"]["environment"]["WAYFINDER_GATEWAY_TOKEN"] = "x" * 40
    assert len(_secret_problems(broken)) == 2
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("WAYFINDER_PSEUDONYM_KEY", "WAYFINDER_GATEWAY_TOKEN", "WAYFINDER_RASA_TOKEN"):
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} must be required"


def _port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname and parts.port, url
    return parts.hostname, parts.port


def test_the_services_reach_each_other_through_the_balancer_on_its_ports() -> None:
    """Every internal URL names a front door docker/haproxy.cfg binds, and every backend there
    names the port its service listens on."""
    services = COMPOSE["services"]
    fronts = binds()
    gateway_port = int(services["gateway"]["environment"]["WAYFINDER_GATEWAY_PORT"])
    assert (LB, fronts["rasa_internal"]) == _port(
        services["gateway"]["environment"]["WAYFINDER_RASA_URL"]
    )
    assert (LB, fronts["rasa_internal"]) == _port(
        services["reminders"]["environment"]["WAYFINDER_RASA_URL"]
    )
    assert (LB, fronts["gateways_internal"]) == _port(
        services["reminders"]["environment"]["WAYFINDER_GATEWAY_URL"]
    )
    action_url = services["rasa"]["environment"]["WAYFINDER_ACTION_SERVER_URL"]
    assert (LB, fronts["actions_internal"]) == _port(action_url)
    assert urlsplit(action_url).path == "/webhook"
    assert template_servers() == {
        "gateways": ("gateway", gateway_port),
        "rasa": ("rasa", int(_flag(services["rasa"]["command"], "-p") or 0)),
        "actions": ("actions", int(_flag(services["actions"]["command"], "-p") or 0)),
    }
    published = services[LB]["ports"]
    assert f"{fronts['public']}:{fronts['public']}" in published
    assert f"127.0.0.1:{fronts['rasa_internal']}:{fronts['rasa_internal']}" in published
    exposed = re.findall(r"^EXPOSE (.+)$", (ROOT / "docker/lb.Dockerfile").read_text(), re.M)
    assert set(exposed[0].split()) == {str(port) for port in fronts.values()}
    assert "docker/haproxy.cfg" in (ROOT / "docker/lb.Dockerfile").read_text()
    assert HAPROXY_CFG.is_file()


def test_redis_holds_the_locks_and_the_gateways_state_apart() -> None:
    """Rasa's locks and the gateways' keys in different Redis databases of the one Redis."""
    services = COMPOSE["services"]
    locks = urlsplit(services["rasa"]["environment"]["WAYFINDER_LOCK_STORE_URL"])
    shared = urlsplit(services["gateway"]["environment"]["WAYFINDER_REDIS_URL"])
    assert locks.hostname == shared.hostname == "redis"
    assert locks.path != shared.path
    assert (
        "redis" in services["rasa"]["depends_on"] and "redis" in services["gateway"]["depends_on"]
    )


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


def test_the_gateway_listens_where_its_health_check_and_the_balancer_look() -> None:
    gateway = COMPOSE["services"]["gateway"]
    port = gateway["environment"]["WAYFINDER_GATEWAY_PORT"]
    health = " ".join(gateway["healthcheck"]["test"])
    assert f"localhost:{port}/health" in health
    assert template_servers()["gateways"] == ("gateway", int(port))
    assert gateway["environment"]["WAYFINDER_GATEWAY_HOST"] == "0.0.0.0"  # reachable from others
    worker = COMPOSE["services"]["reminders"]["environment"]
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
    """Rasa (Python 3.10, a REST channel that answers anyone) is reached through the gateways
    only: the balancer publishes the gateways' routes, and Rasa's front door on the host's
    loopback only; no other service publishes a port."""
    published = {name: service.get("ports", []) for name, service in COMPOSE["services"].items()}
    assert published.pop(LB) == ["8080:8080", "127.0.0.1:5005:5005"]
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
    assert bases.pop("lb.Dockerfile") == ["debian:bookworm-slim"]  # Debian's HAProxy, no Python
    assert bases and all(found == ["python:3.12-slim"] for found in bases.values()), bases
