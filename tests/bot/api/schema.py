"""Checking real answers against bot/api/openapi.yaml: the JSON Schema keywords the document uses
(type, enum, required, properties, additionalProperties, items, allOf, oneOf, $ref, bounds)."""

from __future__ import annotations

import re
from typing import Any

import requests

JSON_TYPES = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "null": lambda value: value is None,
}


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow a {"$ref": "#/…"} to what it names."""
    while isinstance(node, dict) and "$ref" in node:
        found: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def mismatches(document: dict[str, Any], schema: Any, value: Any, where: str = "$") -> list[str]:
    """Where `value` does not fit `schema` (empty when it fits)."""
    schema = resolve(document, schema)
    found: list[str] = []
    for part in schema.get("allOf", []):
        found += mismatches(document, part, value, where)
    if "oneOf" in schema:
        fitting = [s for s in schema["oneOf"] if not mismatches(document, s, value, where)]
        if len(fitting) != 1:
            found.append(f"{where}: fits {len(fitting)} of oneOf")
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(JSON_TYPES[kind](value) for kind in kinds):
            return [*found, f"{where}: {value!r:.60} is not {'/'.join(kinds)}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        missing = [key for key in schema.get("required", []) if key not in value]
        found += [f"{where}: {key} is missing" for key in missing]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                found += mismatches(document, properties[key], item, f"{where}.{key}")
            elif extra is False:
                found.append(f"{where}: {key} is not in the schema")
            elif isinstance(extra, dict):
                found += mismatches(document, extra, item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for number, item in enumerate(value):
            found += mismatches(document, schema["items"], item, f"{where}[{number}]")
    if JSON_TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: {value} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: {value} is above {schema['maximum']}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{where}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{where}: {value!r} does not match {schema['pattern']}")
    return found


def answer_mismatches(
    document: dict[str, Any], method: str, template: str, answer: requests.Response
) -> list[str]:
    """Whether the status is documented for the operation and the JSON body fits its schema."""
    operation = document["paths"][template][method.lower()]
    declared = operation["responses"].get(str(answer.status_code))
    if declared is None:
        return [f"{method} {template}: {answer.status_code} is not documented"]
    declared = resolve(document, declared)
    content = declared.get("content", {}).get("application/json")
    if content is None:
        return []
    if not answer.headers.get("Content-Type", "").startswith("application/json"):
        return [f"{method} {template}: {answer.status_code} is not JSON"]
    return mismatches(document, content["schema"], answer.json())
