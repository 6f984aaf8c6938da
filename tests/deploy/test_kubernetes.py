"""deploy/kubernetes checked offline: every manifest against the Kubernetes JSON schemas that
kubernetes-validate ships (strict: an unknown field is an error), and the project's rules:
replicas, probes, resources, secrets, variables, ports and routes."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from kubernetes_validate.utils import (  # type: ignore[import-untyped]
    SchemaNotFoundError,
    ValidationError,
    latest_version,
    validate,
)

from tests.deploy.haproxy_config import public_routes
from tests.deploy.needs import (
    NEEDS,
    REPLICATED,
    ROOT,
    SECRET_LIKE,
    SECRETS,
    read_by_something,
)

FOLDER = ROOT / "deploy" / "kubernetes"
TEMPLATE = FOLDER / "secret.template.yaml"
# The oldest Kubernetes the manifests are written for (docs/deployment.md), and the newest the
# installed kubernetes-validate knows.
VERSIONS = ("1.29", latest_version())
Manifest = dict[str, Any]


def load(path: Path) -> list[Manifest]:
    """The documents of one file."""
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


MANIFESTS = {
    path.name: load(path)
    for path in sorted(FOLDER.glob("*.yaml"))
    if path.name != "kustomization.yaml"
}
APPLIED = [doc for name, docs in MANIFESTS.items() if name != TEMPLATE.name for doc in docs]
KUSTOMIZATION = yaml.safe_load((FOLDER / "kustomization.yaml").read_text())


def schema_problems(manifest: Manifest, version: str) -> list[str]:
    """Where a manifest breaks the Kubernetes schema of that version (a kind the schemas do not
    know is a problem too, never skipped)."""
    name = f"{manifest.get('kind')}/{(manifest.get('metadata') or {}).get('name')}"
    try:
        validate(manifest, version, strict=True)
    except ValidationError as error:
        path = "/".join(str(part) for part in error.path)
        return [f"{name} ({version}): {path}: {error.message}"]
    except SchemaNotFoundError as error:
        return [f"{name} ({version}): {error.message}"]
    return []


def of_kind(kind: str) -> dict[str, Manifest]:
    """The applied manifests of a kind, by name."""
    return {doc["metadata"]["name"]: doc for doc in APPLIED if doc["kind"] == kind}


def workloads() -> dict[str, Manifest]:
    """Deployments by name, and the migration Job as "migrate"."""
    found = of_kind("Deployment")
    (job,) = of_kind("Job").values()
    return {**found, "migrate": job}


def container(workload: Manifest) -> Manifest:
    """The workload's one container."""
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return dict(only)


def settings() -> dict[str, str]:
    """The ConfigMap's settings."""
    return dict(of_kind("ConfigMap")["wayfinder-settings"]["data"])


def given(one: Manifest) -> set[str]:
    """Every variable the container gets: its env, and the ConfigMap's through envFrom."""
    names = {item["name"] for item in one.get("env", [])}
    for source in one.get("envFrom", []):
        assert source["configMapRef"]["name"] == "wayfinder-settings"
        names |= set(settings())
    return names


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_follows_the_kubernetes_schema(version: str) -> None:
    problems = [
        problem
        for docs in MANIFESTS.values()
        for doc in docs
        for problem in schema_problems(doc, version)
    ]
    assert problems == []
    assert sum(len(docs) for docs in MANIFESTS.values()) >= 14


def _broken(change: str) -> Manifest:
    broken = copy.deepcopy(of_kind("Deployment")["gateway"])
    spec = broken["spec"]
    if change == "unknown field":
        spec["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    elif change == "wrong type":
        spec["replicas"] = "two"
    elif change == "missing field":
        del spec["selector"]
    elif change == "bad probe":
        spec["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"] = {"path": "/health"}
    elif change == "unknown kind":
        broken["kind"] = "Deploymnet"
    return broken


@pytest.mark.parametrize(
    "change", ["unknown field", "wrong type", "missing field", "bad probe", "unknown kind"]
)
def test_a_broken_manifest_is_refused(change: str) -> None:
    assert schema_problems(_broken(change), VERSIONS[0])


def test_kustomize_applies_every_manifest_but_the_secret_template() -> None:
    assert KUSTOMIZATION["kind"] == "Kustomization"
    assert set(KUSTOMIZATION["resources"]) == set(MANIFESTS) - {TEMPLATE.name}
    images = {container(workload)["image"].split(":")[0] for workload in workloads().values()}
    assert {image["name"] for image in KUSTOMIZATION["images"]} == images
    assert len({image["newTag"] for image in KUSTOMIZATION["images"]}) == 1  # one release


def test_every_replicated_process_runs_twice_and_survives_a_node_drain() -> None:
    deployments = of_kind("Deployment")
    assert set(deployments) == set(REPLICATED)
    assert all(deployments[name]["spec"]["replicas"] == 2 for name in REPLICATED)
    budgets = of_kind("PodDisruptionBudget")
    assert set(budgets) == {"rasa", "actions", "gateway"}  # the worker only delays reminders
    for name, budget in budgets.items():
        assert budget["spec"]["minAvailable"] == 1
        assert budget["spec"]["selector"] == deployments[name]["spec"]["selector"]
    for name in budgets:
        rolling = deployments[name]["spec"]["strategy"]["rollingUpdate"]
        assert rolling["maxUnavailable"] == 0, name  # a new pod is ready before an old one goes


def test_probes_ask_each_server_on_its_health_endpoints() -> None:
    """Liveness on /health (the process answers), readiness on /ready where our code serves it
    (its dependencies answer, docs/operations.md); Rasa has "/" for both."""
    expected = {
        "gateway": ("/health", "/ready"),
        "actions": ("/health", "/ready"),
        "reminders": ("/health", "/ready"),
        "rasa": ("/", "/"),
    }
    for name, (alive, ready) in expected.items():
        one = container(of_kind("Deployment")[name])
        assert [port["name"] for port in one["ports"]] == ["http"], name
        assert one["livenessProbe"]["httpGet"] == {"path": alive, "port": "http"}, name
        assert one["readinessProbe"]["httpGet"] == {"path": ready, "port": "http"}, name
        if "startupProbe" in one:
            assert one["startupProbe"]["httpGet"] == {"path": alive, "port": "http"}, name
    rasa = container(of_kind("Deployment")["rasa"])
    startup = rasa["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 180  # the model loads
    worker = {
        item["name"]: item.get("value")
        for item in container(of_kind("Deployment")["reminders"])["env"]
    }
    assert (
        int(worker["WAYFINDER_WORKER_METRICS_PORT"])
        == 9102
        == container(of_kind("Deployment")["reminders"])["ports"][0]["containerPort"]
    )
    assert worker["WAYFINDER_WORKER_METRICS_HOST"] == "0.0.0.0"


def _mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


def test_resources_are_sized_from_the_measured_memory() -> None:
    """docs/benchmarks-assistant.md: each request at least the measured peak, Rasa's limit at
    least the plain `rasa init` bot's RSS (a larger model), with room above each request."""
    text = (ROOT / "docs" / "benchmarks-assistant.md").read_text().split("## Before")[0]
    peaks = {
        name: int(peak)
        for name, peak in re.findall(
            r"(actions|rasa) \d+ / (\d+)", text.split("- Memory")[1].splitlines()[0]
        )
    }
    plain = int(re.search(r"Plain bot memory.*?rasa (\d+)", text).group(1))  # type: ignore[union-attr]
    megabyte = 1_000_000 / 2**20
    for name, workload in workloads().items():
        resources = container(workload)["resources"]
        assert set(resources) == {"requests", "limits"}, name
        assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}, name
        request = _mebibytes(resources["requests"]["memory"])
        limit = _mebibytes(resources["limits"]["memory"])
        assert limit >= 2 * request or limit >= request + 512, name
        if name in peaks:
            assert request >= peaks[name] * megabyte, name
    rasa = _mebibytes(container(of_kind("Deployment")["rasa"])["resources"]["limits"]["memory"])
    assert rasa >= plain * megabyte


def test_every_process_gets_what_it_needs_and_nothing_no_one_reads() -> None:
    for name, workload in workloads().items():
        one = container(workload)
        assert NEEDS[name] <= given(one), f"{name} lacks {sorted(NEEDS[name] - given(one))}"
        unread = [variable for variable in given(one) if not read_by_something(variable)]
        assert unread == [], name
    rasa = container(of_kind("Deployment")["rasa"])["args"]
    assert rasa[rasa.index("--auth-token") + 1] == "$(WAYFINDER_RASA_TOKEN)"
    assert "--enable-api" in rasa


def test_no_secret_value_is_committed() -> None:
    (template,) = MANIFESTS[TEMPLATE.name]
    assert template["kind"] == "Secret" and template["metadata"]["name"] == "wayfinder-secrets"
    values = template["stringData"]
    assert set(values) == SECRETS - {"POSTGRES_PASSWORD"}
    for key, value in values.items():
        assert re.search(r"<[a-z-]+>", value), f"{key} must be a <placeholder>"
        assert not re.search(r"[:@/]\w{8,}@", value), key  # no password beside a placeholder
    for doc in APPLIED:
        assert doc["kind"] != "Secret", "secrets come from the Secret made from the template"
    assert not set(settings()) & SECRETS
    for name, workload in workloads().items():
        for item in container(workload).get("env", []):
            assert "value" not in item or item["name"] not in SECRETS, (name, item["name"])
            reference = item.get("valueFrom", {}).get("secretKeyRef")
            if reference:
                assert reference["name"] == "wayfinder-secrets" and reference["key"] in values
    for path in FOLDER.glob("*.yaml"):
        tokens = [
            token for token in SECRET_LIKE.findall(path.read_text())
            if re.search(r"\d", token) and re.search(r"[A-Za-z]", token)
        ]  # fmt: skip
        assert tokens == [], path.name


def test_the_services_and_urls_name_the_ports_the_servers_listen_on() -> None:
    deployments, services = of_kind("Deployment"), of_kind("Service")
    assert set(services) == {"rasa", "actions", "gateway"}
    listening = {}
    for name, service in services.items():
        one = container(deployments[name])
        port = one["ports"][0]["containerPort"]
        args = one["args"]
        if "-p" in args:
            assert int(args[args.index("-p") + 1]) == port, name
        (exposed,) = service["spec"]["ports"]
        assert exposed["targetPort"] == "http" and exposed["port"] == port, name
        assert service["spec"]["selector"] == deployments[name]["spec"]["selector"]["matchLabels"]
        listening[name] = port
    config = settings()
    assert int(config["WAYFINDER_GATEWAY_PORT"]) == listening["gateway"]
    for variable, target, path in [
        ("WAYFINDER_RASA_URL", "rasa", ""),
        ("WAYFINDER_ACTION_SERVER_URL", "actions", "/webhook"),
        ("WAYFINDER_GATEWAY_URL", "gateway", ""),
    ]:
        url = urlsplit(config[variable])
        assert (url.hostname, url.port, url.path) == (target, listening[target], path), variable


def test_the_ingress_routes_what_the_balancer_routes_to_the_gateways() -> None:
    (ingress,) = of_kind("Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    paths = rule["http"]["paths"]
    exact = {path["path"] for path in paths if path["pathType"] == "Exact"}
    prefixes = {path["path"] for path in paths if path["pathType"] == "Prefix"}
    assert len(exact) + len(prefixes) == len(paths)
    balancer_exact, balancer_prefixes = public_routes()
    assert {f"{prefix}/" for prefix in prefixes} == balancer_prefixes
    assert exact | prefixes == balancer_exact | {prefix.rstrip("/") for prefix in balancer_prefixes}
    assert {path["backend"]["service"]["name"] for path in paths} == {"gateway"}
    assert {path["backend"]["service"]["port"]["name"] for path in paths} == {"http"}
    read = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]
    assert int(read) >= 60  # the widget's long poll waits 25 s
    assert rule["host"] in settings()["WAYFINDER_PUBLIC_URL"]


def test_the_images_are_this_repositorys_and_run_as_their_user() -> None:
    dockerfiles = {
        "wayfinder/rasa": "rasa.Dockerfile",
        "wayfinder/actions": "actions.Dockerfile",
        "wayfinder/gateway": "gateway.Dockerfile",
        "wayfinder/app": "app.Dockerfile",
    }
    for name, workload in workloads().items():
        one = container(workload)
        text = (ROOT / "docker" / dockerfiles[one["image"].split(":")[0]]).read_text()
        user = re.search(r"useradd .*--uid (\d+)", text)
        assert user, name
        security = workload["spec"]["template"]["spec"]["securityContext"]
        assert security["runAsNonRoot"] and security["runAsUser"] == int(user.group(1)), name
        assert one["securityContext"]["allowPrivilegeEscalation"] is False, name
        if 'ENTRYPOINT ["python", "-m"]' in text:
            module = one["args"][0].replace(".", "/")
            assert (ROOT / module / "__main__.py").is_file() or (ROOT / f"{module}.py").is_file()
    rasa = container(of_kind("Deployment")["rasa"])["args"]
    trained = re.search(
        r"--out (\S+) --fixed-model-name (\S+)",
        (ROOT / "docker/rasa.Dockerfile").read_text().replace("\\\n", " "),
    )
    assert trained and rasa[rasa.index("--model") + 1] == f"{trained[1]}/{trained[2]}.tar.gz"
    for flag in ("--endpoints", "--credentials"):
        assert (ROOT / rasa[rasa.index(flag) + 1]).is_file()
