"""Regenerate ``schema.json`` from Stripe's OpenAPI spec (a development tool).

The fake needs two facts the example objects in ``fixtures3.json`` cannot give:
which fields are nullable (so example values can be reset to ``null``) and
which fields are expandable references.  Rather than ship the 5 MB spec, this
script distils those facts into a small file.  (What requests may carry is in
``contract.json``, built by ``build_contract.py``.)

Usage: python -m djstripe.testing.data.build_schema path/to/spec3.json
"""

import json
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
    return {"objects": objects}


def main(argv: list[str]) -> None:
    spec = json.loads(Path(argv[1]).read_text())
    fixtures = json.loads((HERE / "fixtures3.json").read_text())
    out = build(spec, fixtures)
    text = json.dumps(out, sort_keys=True, separators=(",", ":"))
    (HERE / "schema.json").write_text(text + "\n")


if __name__ == "__main__":
    main(sys.argv)
