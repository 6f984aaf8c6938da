"""The OpenAPI document in the repository matches the routes the app registers, is the one
served, and describes what the API really answers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.api import API_PREFIX
from bot.api.openapi import DOCUMENT, document
from bot.gateway.app import make_app
from bot.gateway.settings import GatewaySettings
from tests.bot.api.conftest import Api
from tests.bot.api.schema import answer_mismatches, mismatches, resolve
from tests.bot.api.test_routes import CSV, csv, new_listing

METHODS = {"get", "post", "put", "patch", "delete"}


def routes_of_app(tmp_path: Path) -> set[tuple[str, str]]:
    """(method, path with {…} for each parameter) of every route the app serves under /api/v1."""
    env = {
        "WAYFINDER_PSEUDONYM_KEY": "p" * 40,
        "WAYFINDER_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
    }
    app = make_app(GatewaySettings.from_env(env, key_file=tmp_path / "key"))
    found = set()
    for route in app.router.routes:
        uri = "/" + route.path.lstrip("/")
        if not uri.startswith(API_PREFIX + "/"):
            continue
        template = re.sub(r"<[^>]+>", "{}", uri.removeprefix(API_PREFIX))
        found |= {(method.lower(), template) for method in route.methods}
    return found


def routes_of_document() -> set[tuple[str, str]]:
    """(method, path with {…} for each parameter) of every operation the document describes."""
    found = set()
    for path, item in document()["paths"].items():
        template = re.sub(r"\{[^}]+\}", "{}", path)
        found |= {(method, template) for method in item if method in METHODS}
    return found


def test_the_document_describes_exactly_the_routes_the_app_serves(tmp_path: Path) -> None:
    assert document()["servers"] == [{"url": API_PREFIX}]
    assert routes_of_document() == routes_of_app(tmp_path)


def test_the_document_is_openapi_3_1_and_every_reference_resolves() -> None:
    spec = document()
    assert spec["openapi"].startswith("3.1")
    ids = [
        operation["operationId"]
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(ids) == len(set(ids))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                assert resolve(spec, node) is not None
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                assert operation["responses"], operation["operationId"]


def test_the_served_document_is_the_file_in_the_repository(shared_api: Api) -> None:
    answer = shared_api.call("GET", "/openapi.json", None)
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == document()
    assert DOCUMENT.name == "openapi.yaml" and DOCUMENT.exists()


def test_real_answers_fit_the_documented_schemas(api: Api) -> None:
    spec = document()
    story = api.listing("story_time")
    robots = api.listing("robots")
    listing_path = f"/opportunities/{story['id']}"
    exchanges = [
        ("GET", "/opportunities", api.call("GET", "/opportunities", params={"limit": "1"})),
        ("GET", "/opportunities/{id}", api.call("GET", listing_path)),
        ("GET", "/opportunities/{id}", api.call("GET", listing_path, "artist")),
        ("GET", "/opportunities/{id}", api.call("GET", "/opportunities/999")),
        ("GET", "/opportunities", api.call("GET", "/opportunities", None)),
        ("POST", "/opportunities", api.call("POST", "/opportunities", json=new_listing())),
        ("POST", "/opportunities", api.call("POST", "/opportunities", json={"name": 5})),
        (
            "POST",
            "/opportunities",
            api.call("POST", "/opportunities", "volunteer", json=new_listing()),
        ),
        (
            "PATCH",
            "/opportunities/{id}",
            api.call("PATCH", listing_path, json={"cost": 5, "version": story["version"]}),
        ),
        (
            "PATCH",
            "/opportunities/{id}",
            api.call("PATCH", listing_path, json={"cost": 6, "version": story["version"]}),
        ),
        ("PATCH", "/opportunities/{id}", api.call("PATCH", listing_path, json={"cost": 6})),
        (
            "PATCH",
            "/opportunities/{id}",
            api.call(
                "PATCH",
                f"/opportunities/{robots['id']}",
                "volunteer",
                json={"cost": 6, "version": robots["version"]},
            ),
        ),
        ("POST", "/opportunities/{id}/close", api.call("POST", f"{listing_path}/close")),
        (
            "POST",
            "/imports",
            api.call(
                "POST",
                "/imports",
                data=csv("Story Time,Eastside Library,Stories.,reading,in_person,3,7"),
                headers=CSV,
            ),
        ),
        ("POST", "/imports", api.call("POST", "/imports", data=csv("x,y,z,a,b,c,d"), headers=CSV)),
    ]
    request = exchanges[7][2].json()["request"]
    exchanges.append(
        ("GET", "/requests/{id}", api.call("GET", f"/requests/{request['id']}", "volunteer"))
    )
    exchanges.append(("GET", "/openapi.json", api.call("GET", "/openapi.json", None)))
    statuses = [answer.status_code for _, _, answer in exchanges]
    expected = [200, 200, 403, 404, 401, 201, 422, 202, 200, 409, 428, 202, 200, 200, 422, 200, 200]
    assert statuses == expected
    for method, template, answer in exchanges:
        assert answer_mismatches(spec, method, template, answer) == [], (method, template)


def test_the_schema_check_notices_what_does_not_fit() -> None:
    spec = document()
    listing = {"$ref": "#/components/schemas/Listing"}
    found = mismatches(spec, listing, {"id": "7", "status": "open", "topics": [3]})
    assert "$: version is missing" in found and "$.id: '7' is not integer" in found
    assert any(line.startswith("$.status") for line in found)
    assert any(line.startswith("$.topics[0]") for line in found)
