"""Regenerate ``schema.json`` from Stripe's OpenAPI spec (a development tool).

The fake needs three facts the example objects in ``fixtures3.json`` cannot give:
which fields are nullable (so example values can be reset to ``null``), which
fields are expandable references, and the type of every request parameter (so
form-encoded strings can be coerced, and unknown parameters rejected).  Rather
than ship the 5 MB spec, this script distils those facts into a small file.

Usage: python -m djstripe.testing.data.build_schema path/to/spec3.json
"""

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
MAX_DEPTH = 4


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _nullable_paths(spec: dict, schema: dict, prefix: str, depth: int) -> list[str]:
    """Dotted paths of nullable fields, descending into non-nullable sub-objects."""
    found = []
    for key, prop in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        if prop.get("nullable"):
            found.append(path)
            continue
        if depth >= MAX_DEPTH or "x-expansionResources" in prop:
            continue
        branches = prop.get("anyOf", [prop])
        if len(branches) != 1:
            continue
        target = _resolve(spec, branches[0])
        if target.get("type") == "object" and "x-resourceId" not in target:
            found += _nullable_paths(spec, target, path + ".", depth + 1)
    return found


def _param_type(schema: dict, depth: int = 0):
    """A compact type tree: "int", "bool", "num", "str", "map", dict or [elem]."""
    branches = schema.get("anyOf", [schema])
    for wanted in ("object", "array"):
        for branch in branches:
            if branch.get("type") != wanted:
                continue
            if wanted == "array":
                return [_param_type(branch.get("items", {}), depth + 1)]
            props = branch.get("properties")
            if not props or depth > 8:
                return "map"
            return {k: _param_type(v, depth + 1) for k, v in props.items()}
    kinds = {b.get("type") for b in branches}
    for kind, code in (("integer", "int"), ("boolean", "bool"), ("number", "num")):
        if kind in kinds:
            return code
    return "str"


def _operation_params(method: str, op: dict) -> dict:
    if method == "post" and "requestBody" in op:
        content = op["requestBody"].get("content", {})
        form = content.get("application/x-www-form-urlencoded") or next(iter(content.values()), {})
        tree = _param_type(form.get("schema", {}))
        return tree if isinstance(tree, dict) else {}
    return {
        p["name"]: _param_type(p.get("schema", {}))
        for p in op.get("parameters", [])
        if p.get("in") == "query"
    }


def build(spec: dict, fixtures: dict) -> dict:
    components = spec["components"]["schemas"]
    objects = {}
    for name in fixtures["resources"]:
        schema = components.get(name)
        if schema is None:
            continue
        objects[name] = {
            "nullable": _nullable_paths(spec, schema, "", 0),
            "expandable": schema.get("x-expandableFields", []),
        }
    operations = {}
    for path, methods in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        template = re.sub(r"\{[^}]+\}", "{id}", path)
        for method, op in methods.items():
            operations[f"{method.upper()} {template}"] = _operation_params(method, op)
    return {"objects": objects, "operations": operations}


def main(argv: list[str]) -> None:
    spec = json.loads(Path(argv[1]).read_text())
    fixtures = json.loads((HERE / "fixtures3.json").read_text())
    out = build(spec, fixtures)
    text = json.dumps(out, sort_keys=True, separators=(",", ":"))
    (HERE / "schema.json").write_text(text + "\n")


if __name__ == "__main__":
    main(sys.argv)
