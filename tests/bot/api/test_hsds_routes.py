"""GET /hsds/…: the HSDS 3.0 read API serves the demo directory as objects that validate against
the official schemas (formats checked), pages as HSDS pages them, and the same rows as the
Tabular Data Package for the same ids."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

from bot.gateway.app import make_app
from bot.gateway.settings import GatewaySettings
from knowledge.db import make_engine
from knowledge.settings import Settings
from knowledge.transfer.hsds import AddressDefaults, export_package
from knowledge.transfer.hsds.package import STANDARD
from tests.bot.api.conftest import sqlite_api
from tests.knowledge.transfer.hsds.schemas import errors, package_objects
from tests.serving import free_port, serving_app

ENV = {
    "WAYFINDER_PSEUDONYM_KEY": "p" * 40,
    "WAYFINDER_STATE_PROVINCE": "Ohio",
    "WAYFINDER_TIMEZONE": "America/New_York",
    "WAYFINDER_LOCALE": "en_US",
    "WAYFINDER_API_RATE_PER_MINUTE": "100000",
}
LISTS = ("services", "organizations", "service_at_locations", "taxonomies", "taxonomy_terms")
# What each list's items and each single object are, as official HSDS schemas.
ITEM = {
    "services": "service_list",
    "organizations": "organization_list",
    "service_at_locations": "service_at_location_list",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}
ONE = {
    "services": "service",
    "organizations": "organization",
    "service_at_locations": "service_at_location",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}
PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


@cache
def compiled(name: str) -> Draft202012Validator:
    """A validator of one of HSDS's compiled list schemas (self-contained), formats checked."""
    path = STANDARD / "schema" / "compiled" / f"{name}.json"
    return Draft202012Validator(
        json.loads(path.read_text(encoding="utf-8")),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def schema_errors(name: str, record: dict[str, Any]) -> list[str]:
    """Every error of an object against its official schema (compiled list or per-object)."""
    if name.endswith("_list"):
        return [
            f"{name} {record.get('id')}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in compiled(name).iter_errors(record)
        ]
    return errors(name, record)


class Hsds:
    """The gateway serving a directory, and its HSDS API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def get(self, path: str, **params: Any) -> requests.Response:
        """GET /hsds<path>."""
        return self.http.get(f"{self.url}/hsds{path}", params=params, timeout=60)

    def ok(self, path: str, **params: Any) -> dict[str, Any]:
        """A 200 answer's JSON."""
        answer = self.get(path, **params)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def every(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list, page by page."""
        found: list[dict[str, Any]] = []
        number = 1
        while True:
            body = self.ok(f"/{name}", page=number, per_page=100, **params)
            found += body["contents"]
            if body["last_page"]:
                return found
            number += 1


@pytest.fixture(scope="module")
def demo(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hsds]:
    """The demo city served (read only)."""
    work = tmp_path_factory.mktemp("hsds-api")
    env = {
        **ENV,
        "WAYFINDER_DATABASE_URL": demo_db_url,
        "WAYFINDER_RASA_URL": f"http://127.0.0.1:{free_port()}",
    }
    app = make_app(GatewaySettings.from_env(env, key_file=work / "key"))
    with serving_app(app) as url:
        hsds = Hsds(url)
        yield hsds
        hsds.http.close()


@pytest.fixture(scope="module")
def package(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo city's HSDS package with the same settings, its rows by table and id."""
    folder = tmp_path_factory.mktemp("hsds-package")
    engine = make_engine(demo_db_url)
    with Session(engine) as session:
        export_package(session, folder, AddressDefaults.of(Settings.from_env(ENV)))
    engine.dispose()
    return {
        table: {row["id"]: row for row in rows} for table, rows in package_objects(folder).items()
    }


def test_the_root_says_which_hsds_this_is(demo: Hsds) -> None:
    info = demo.ok("/")
    assert info["version"] == "3.0"
    assert info["openapi_url"].endswith("/schema/openapi.json") and info["profile"]


@pytest.mark.parametrize("name", LISTS)
def test_every_object_of_every_route_validates(demo: Hsds, name: str) -> None:
    items = demo.every(name)
    assert items
    problems = [problem for item in items for problem in schema_errors(ITEM[name], item)]
    for item in items:
        problems += schema_errors(ONE[name], demo.ok(f"/{name}/{item['id']}"))
    assert problems == []


def test_full_services_validate_and_nest_organization_places_and_terms(demo: Hsds) -> None:
    services = demo.every("services", full="true")
    assert [problem for item in services for problem in errors("service", item)] == []
    placed = [item for item in services if item["service_at_locations"]]
    assert placed
    link = placed[0]["service_at_locations"][0]
    assert link["location"]["id"] == link["location_id"]
    assert all(item["organization"]["id"] == item["organization_id"] for item in services)
    topics = [a for item in services for a in item["attributes"] if a["link_type"] == "topic"]
    assert topics and all(a["taxonomy_term"]["taxonomy_detail"]["name"] for a in topics)


def test_the_apis_rows_are_the_packages_rows(demo: Hsds, package: dict[str, Any]) -> None:
    def flat(record: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in record.items() if not isinstance(value, list | dict)}

    def same(table: str, record: dict[str, Any]) -> None:
        expected = {
            key: float(value) if isinstance(value, int) else value
            for key, value in package[table][record["id"]].items()
        }
        got = {
            key: float(value) if isinstance(value, int) and not isinstance(value, bool) else value
            for key, value in flat(record).items()
        }
        assert got == expected, table

    services = demo.every("services")
    assert {item["id"] for item in services} == set(package["service"])
    assert {item["id"] for item in demo.every("organizations")} == set(package["organization"])
    links = demo.every("service_at_locations")
    assert {item["id"] for item in links} == set(package["service_at_location"])
    for item in services[:20]:
        full = demo.ok(f"/services/{item['id']}")
        same("service", full)
        same("organization", full["organization"])
        for key, table in (("schedules", "schedule"), ("cost_options", "cost_option")):
            for child in full[key]:
                same(table, child)
        for link in full["service_at_locations"]:
            same("service_at_location", link)
            same("location", link["location"])
            for address in link["location"]["addresses"]:
                same("address", address)
        for attribute in full["attributes"]:
            same("attribute", attribute)
            same("taxonomy_term", attribute["taxonomy_term"])
        for record in full["metadata"]:
            same("metadata", record)
    for term in demo.every("taxonomy_terms"):
        same("taxonomy_term", term)


def test_pages_say_where_they_are(demo: Hsds) -> None:
    total = demo.ok("/services", per_page=1)["total_items"]
    first = demo.ok("/services", per_page=2)
    assert set(first) == PAGE_KEYS
    assert (first["page_number"], first["size"], first["first_page"]) == (1, 2, True)
    assert first["total_pages"] == -(-total // 2) and not first["last_page"]
    last = demo.ok("/services", per_page=2, page=first["total_pages"])
    assert last["last_page"] and not last["first_page"] and 1 <= last["size"] <= 2
    beyond = demo.ok("/services", per_page=2, page=first["total_pages"] + 1)
    assert beyond["contents"] == [] and beyond["empty"] and beyond["last_page"]
    second = demo.ok("/services", per_page=2, page=2)
    ids = [item["id"] for item in first["contents"] + second["contents"]]
    assert ids == [item["id"] for item in demo.ok("/services", per_page=4)["contents"]]


def test_filters_narrow_the_services(demo: Hsds) -> None:
    organization = demo.ok("/organizations", per_page=1)["contents"][0]
    theirs = demo.every("services", organization_id=organization["id"])
    assert theirs and all(item["organization_id"] == organization["id"] for item in theirs)
    topic = next(
        term for term in demo.every("taxonomy_terms") if term["taxonomy"] == "Wayfinder topics"
    )
    filed = demo.every("services", taxonomy_term_id=topic["id"], full="true")
    assert filed and all(
        any(a["taxonomy_term_id"] == topic["id"] for a in item["attributes"]) for item in filed
    )
    word = theirs[0]["name"].split()[0].upper()
    assert theirs[0]["id"] in {item["id"] for item in demo.every("services", search=word)}
    assert demo.ok("/services", modified_after="2999-01-01")["empty"]
    assert demo.ok("/services", organization_id="nobody")["total_items"] == 0
    total = demo.ok("/services")["total_items"]
    assert demo.ok("/services", modified_after="2000-01-01T00:00:00Z")["total_items"] == total


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "-5"}, "per_page"),
        ({"full": "yes"}, "full"),
        ({"modified_after": "last week"}, "modified_after"),
        ({"sort": "name"}, "sort"),
    ],
)
def test_bad_paging_or_filters_are_refused_saying_why(
    demo: Hsds, params: dict[str, str], field: str
) -> None:
    answer = demo.get("/services", **params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["problems"][0]["field"] == field and body["error"].startswith(field)


@pytest.mark.parametrize("name", LISTS)
def test_an_unknown_id_is_a_404(demo: Hsds, name: str) -> None:
    answer = demo.get(f"/{name}/00000000-0000-0000-0000-000000000000")
    assert answer.status_code == 404
    assert answer.json()["error"].startswith(f"there is no {ONE[name]} ")


def test_reads_are_limited_per_address(template_db: Any, tmp_path: Path) -> None:
    with sqlite_api(template_db, tmp_path / "slow", 3) as api:
        statuses = [
            api.http.get(f"{api.url}/hsds/taxonomies", timeout=30).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        assert api.call("GET", "/opportunities", "librarian").status_code == 200  # own bucket
