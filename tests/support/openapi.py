"""``openapi.json`` (the REST contract) and one validator of response bodies against it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

import lifecycle_ext

__all__ = ["OPENAPI_PATH", "OpenAPI", "load_openapi"]

OPENAPI_PATH = Path(lifecycle_ext.__file__).parent / "server" / "openapi.json"
API_PREFIX = "/lifecycle/api/"


class OpenAPI(Mapping[str, Any]):
    """The parsed document (read it like the dict it is: ``openapi["paths"]``) plus :meth:`validate`."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def __getitem__(self, key: str) -> Any:
        return self.document[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.document)

    def __len__(self) -> int:
        return len(self.document)

    def response_schema(self, route: str, method: str, status: int) -> dict[str, Any]:
        """The JSON schema declared for ``route`` (``"assets"``, without the prefix), ``method`` and ``status``."""
        op = self.document["paths"][f"{API_PREFIX}{route}"][method.lower()]
        resp = op["responses"][str(status)]
        if "$ref" in resp:
            resp = self.document["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
        schema: dict[str, Any] = resp["content"]["application/json"]["schema"]
        return schema

    def validate(self, route: str, method: str, status: int, body: Any) -> None:
        """Raise ``jsonschema.ValidationError`` unless ``body`` matches the declared response schema."""
        schema = self.response_schema(route, method, status)
        jsonschema.Draft202012Validator({**schema, "components": self.document["components"]}).validate(body)

    def check_components(self) -> None:
        """Raise ``jsonschema.SchemaError`` unless the shared components are valid JSON Schema."""
        jsonschema.Draft202012Validator.check_schema({"components": self.document["components"]})


@cache
def load_openapi(path: Path = OPENAPI_PATH) -> OpenAPI:
    return OpenAPI(json.loads(path.read_text()))
