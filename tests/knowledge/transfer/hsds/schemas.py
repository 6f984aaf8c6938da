"""Validating objects against the official HSDS 3.0 JSON Schemas (Draft 2020-12, formats checked),
from the copy shipped in knowledge/transfer/hsds/standard (so no network and no ../shared)."""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from knowledge.transfer.hsds.package import STANDARD, resources

SCHEMAS = STANDARD / "schema"
BASE = "https://wayfinder.invalid/hsds-3.0/schema/"  # any base: the $refs are relative


@cache
def registry() -> Registry[Any]:
    """Every per-object schema, under one base so `"$ref": "address.json"` resolves (the files
    name no $schema: they are 2020-12, as HSDS says)."""
    pairs = [
        (
            BASE + path.name,
            DRAFT202012.create_resource(json.loads(path.read_text(encoding="utf-8"))),
        )
        for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(pairs)


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator of one HSDS object (service, location, …), format checking on."""
    return Draft202012Validator(
        {"$ref": BASE + f"{name}.json"},
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def errors(name: str, record: dict[str, Any]) -> list[str]:
    """Every schema error of one object, as `path: message`."""
    return [
        f"{name} {record.get('id')}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator(name).iter_errors(record)
    ]


def package_objects(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of a package as the JSON object it stands for (empty cells left out, numbers
    as numbers), by table."""
    known = resources()
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    found: dict[str, list[dict[str, Any]]] = {}
    for resource in descriptor["resources"]:
        types = {
            field["name"]: field["type"] for field in known[resource["name"]]["schema"]["fields"]
        }
        text = (folder / resource["path"]).read_text(encoding="utf-8")
        rows = []
        for cells in csv.DictReader(io.StringIO(text, newline="")):
            rows.append(
                {
                    name: float(value) if types[name] == "number" else value
                    for name, value in cells.items()
                    if value != ""
                }
            )
        found[resource["name"]] = rows
    return found


def package_errors(folder: Path) -> list[str]:
    """Every schema error of every object in a package."""
    return [
        problem
        for table, rows in package_objects(folder).items()
        for row in rows
        for problem in errors(table, row)
    ]
