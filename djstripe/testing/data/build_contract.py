"""Regenerate ``contract.json``: what each Stripe API operation accepts.

For every operation (``"GET /v1/customers/{id}/sources"``) the file holds a
tree of its parameters: which are required, which are closed objects (so an
unknown key is an error), which are free maps (``metadata``), arrays, and the
values an enumerated parameter may take.  The fake checks every request
against it, so code that sends something Stripe would reject fails in tests.

Two sources are merged, the newer winning per operation:

* Stripe's OpenAPI spec at API version 2023-08-16 (``spec3.json``);
* the request parameter types generated into stripe-python (``stripe.params``
  TypedDicts, found through the services' ``_request("get", "/v1/...")``
  calls), which describe the API version that stripe-python pins today.

Usage: python -m djstripe.testing.data.build_contract path/to/spec3.json
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
import types
import typing
from pathlib import Path

import stripe
import typing_extensions
from stripe._request_options import RequestOptions

HERE = Path(__file__).parent
_PLACEHOLDER = re.compile(r"\{[^}]+\}")
_OPTIONS = set(RequestOptions.__annotations__)
_MAX_DEPTH = 6


def _key(method: str, path: str) -> str:
    return f"{method.upper()} {_PLACEHOLDER.sub('{id}', path)}"


def _merge(into: dict, node: dict) -> dict:
    """The union of two parameter nodes (an ``anyOf``/``Union`` of branches)."""
    for field, value in node.items():
        if field in ("k", "e"):
            into[field] = sorted(set(into.get(field, [])) | set(value))
        elif field == "o":
            into.setdefault("o", {}).update(value)
            into["r"] = sorted(set(into.get("r", [])) | set(node.get("r", [])))
        elif field != "r":
            into[field] = value
    return into


# -- the OpenAPI spec ------------------------------------------------------------


def _from_schema(spec: dict, schema: dict, depth: int = 0) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        node: dict = {}
        for branch in schema["anyOf"]:
            _merge(node, _from_schema(spec, branch, depth))
        return node
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties")
        if not props or depth >= _MAX_DEPTH:
            return {"m": 1}
        return {
            "o": {k: _from_schema(spec, v, depth + 1) for k, v in props.items()},
            "r": sorted(schema.get("required", [])),
        }
    if kind == "array":
        return {"a": _from_schema(spec, schema.get("items", {}), depth + 1)}
    scalar = {"integer": "int", "boolean": "bool", "number": "num"}.get(kind, "str")
    node = {"k": [scalar]}
    enum = [v for v in schema.get("enum", []) if v != ""]
    if enum and scalar == "str":
        node = {"e": enum}
    return node


def from_spec(spec: dict) -> dict[str, dict]:
    operations = {}
    for path, methods in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in methods.items():
            if method == "post":
                content = op.get("requestBody", {}).get("content", {})
                form = content.get("application/x-www-form-urlencoded") or next(
                    iter(content.values()), {}
                )
                node = _from_schema(spec, form.get("schema", {"type": "object"}))
                node.setdefault("o", {})
                node.setdefault("r", [])
                node.pop("m", None)
            else:
                query = [p for p in op.get("parameters", []) if p["in"] == "query"]
                node = {
                    "o": {p["name"]: _from_schema(spec, p["schema"]) for p in query},
                    "r": sorted(p["name"] for p in query if p.get("required")),
                }
            operations[_key(method, path)] = node
    return operations


# -- stripe-python's generated parameter types -----------------------------------


def _from_type(hint, depth: int = 0) -> dict:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        node: dict = {}
        for arg in args:
            if arg is not type(None):
                _merge(node, _from_type(arg, depth))
        return node
    if origin in (typing.Literal, typing_extensions.Literal):
        enum = [v for v in args if v != ""]
        return {"e": enum} if enum else {}
    if origin in (typing_extensions.NotRequired, typing_extensions.Required):
        return _from_type(args[0], depth)
    if origin in (list, typing.List):  # noqa: UP006
        return {"a": _from_type(args[0], depth + 1)}
    if origin in (dict, typing.Dict):  # noqa: UP006
        return {"m": 1}
    if typing_extensions.is_typeddict(hint):
        if depth >= _MAX_DEPTH:
            return {"m": 1}
        hints = _hints(hint)
        return {
            "o": {
                k: _from_type(v, depth + 1)
                for k, v in hints.items()
                if k not in _OPTIONS
            },
            "r": sorted(k for k in hint.__required_keys__ if k not in _OPTIONS),
        }
    scalar = {int: "int", bool: "bool", float: "num"}.get(hint, "str")
    return {"k": [scalar]}


def _hints(typed_dict) -> dict:
    """The TypedDict's field types, forward references resolved (skipping the
    request options every params class inherits)."""
    namespace = vars(sys.modules[typed_dict.__module__])
    return {
        key: typing._eval_type(  # type: ignore[attr-defined]
            typing.ForwardRef(value) if isinstance(value, str) else value,
            namespace,
            None,
        )
        for key, value in typed_dict.__annotations__.items()
        if key not in _OPTIONS
    }


def _service_calls(source: str):
    """``(method, path, params class name)`` of each sync service method."""
    tree = ast.parse(source)
    imports = {
        alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef):
            continue
        annotation = next(
            (a.annotation for a in func.args.args if a.arg == "params"), None
        )
        names = re.findall(r"\w+Params\b", ast.unparse(annotation or ast.Constant("")))
        for call in ast.walk(func):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "_request"
                and len(call.args) >= 2
            ):
                continue
            method, path = call.args[0], call.args[1]
            if isinstance(path, ast.Call):  # "/v1/x/{id}".format(...)
                path = path.func.value  # type: ignore[attr-defined]
            if isinstance(method, ast.Constant) and isinstance(path, ast.Constant):
                module = imports.get(names[0]) if names else None
                yield method.value, path.value, module, names[0] if names else None


def from_stripe_python() -> dict[str, dict]:
    operations = {}
    root = Path(stripe.__file__).parent
    for service in sorted(root.rglob("_*_service.py")):
        for method, path, module, name in _service_calls(service.read_text()):
            if not path.startswith("/v1/"):
                continue
            node: dict = {"o": {}, "r": []}
            if module and name:
                node = _from_type(getattr(importlib.import_module(module), name))
            operations[_key(method, path)] = node
    return operations


def _lenient(old: dict, new: dict) -> dict:
    """What either version accepts: known keys and enum values of both,
    required only what both require."""
    node: dict = {}
    for field in ("k", "e"):
        if field in old or field in new:
            node[field] = sorted(set(old.get(field, [])) | set(new.get(field, [])))
    if "m" in old or "m" in new:
        node["m"] = 1
    if "a" in old or "a" in new:
        node["a"] = _lenient(old.get("a", {}), new.get("a", {}))
    if "o" in old or "o" in new:
        a, b = old.get("o", {}), new.get("o", {})
        node["o"] = {k: _lenient(a.get(k, {}), b.get(k, {})) for k in {*a, *b}}
        node["r"] = sorted(set(old.get("r", [])) & set(new.get("r", [])))
    return node


def _resource_paths() -> set[str]:
    """The first path segments of what the fake serves (``customers``, ``radar``)
    and of the other resources dj-stripe mirrors: the contract keeps those."""
    from djstripe.testing import FakeStripe, hooks
    from djstripe.testing.resources import RESOURCES

    FakeStripe()  # registers the behaviour modules' routes
    paths = [r.path for r in RESOURCES]
    paths += [
        key.split(" ", 1)[-1][4:]
        for _, _, f in hooks.ROUTES
        for key in [f.operation_key]
    ]
    return {p.split("/")[0] for p in paths} | MIRRORED_ELSEWHERE


MIRRORED_ELSEWHERE = {"country_specs", "sigma", "tax_codes"}
"""Mirrored by dj-stripe's models but not (yet) served by the fake."""


def _kept(operations: dict, segments: set[str]) -> dict:
    return {
        key: node
        for key, node in sorted(operations.items())
        if key.split(" ", 1)[1].split("/")[2] in segments
    }


def build(spec: dict) -> dict:
    """``operations`` as of stripe-python's API version; ``older`` the lenient
    union with the 2023 spec, for requests that pin an older ``Stripe-Version``
    (only where the two differ)."""
    segments = _resource_paths()
    older = _kept(from_spec(spec), segments)
    operations = {**older, **_kept(from_stripe_python(), segments)}
    return {
        "api_version": stripe.api_version,
        "spec_version": spec["info"]["version"],
        "operations": operations,
        "older": {
            key: _lenient(older[key], node)
            for key, node in operations.items()
            if key in older and older[key] != node
        },
    }


def main(argv: list[str]) -> None:
    spec = json.loads(Path(argv[1]).read_text())
    text = json.dumps(build(spec), sort_keys=True, separators=(",", ":"))
    (HERE / "contract.json").write_text(text + "\n")


if __name__ == "__main__":
    main(sys.argv)
