"""The provider API's OpenAPI document, in the repository and as served, is a valid OpenAPI 3.1
document by openapi-spec-validator (the official schema plus its semantic checks: every $ref
resolves, path parameters are declared, operation ids are unique)."""

from __future__ import annotations

import copy
from typing import Any

from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing.exceptions import Unresolvable

from bot.api.openapi import DOCUMENT, document
from tests.bot.api.conftest import Api


def problems(spec: dict[str, Any]) -> list[str]:
    """Every finding of the validator, as "where: what", so a failure names them all; a $ref
    that leads nowhere stops it (it raises rather than reports), so it is the last finding."""
    validator = OpenAPIV31SpecValidator(spec, base_uri=DOCUMENT.as_uri())
    found = []
    try:
        for error in validator.iter_errors():
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            found.append(f"{where}: {error.message}")
    except Unresolvable as unresolvable:
        found.append(f"unresolvable reference: {unresolvable}")
    return found


def test_the_document_in_the_repository_is_valid_openapi_3_1() -> None:
    assert document()["openapi"].startswith("3.1")
    assert problems(document()) == []


def test_the_document_the_api_serves_is_valid_openapi_3_1(shared_api: Api) -> None:
    answer = shared_api.call("GET", "/openapi.json", None)
    assert answer.status_code == 200
    assert problems(answer.json()) == []


def test_the_validator_finds_a_broken_reference_an_undeclared_parameter_and_a_bad_field() -> None:
    # The check can fail: three mistakes a hand-edited document makes.
    spec = copy.deepcopy(document())
    spec["info"]["version"] = 1
    del spec["paths"]["/opportunities/{id}"]["parameters"]  # {id} declared nowhere now
    spec["paths"]["/broken"] = {
        "get": {"responses": {"200": {"$ref": "#/components/responses/NoSuchResponse"}}}
    }
    found = problems(spec)
    assert "info/version: 1 is not of type 'string'" in found
    assert any("Path parameter 'id'" in problem for problem in found), found
    assert "NoSuchResponse" in found[-1]
