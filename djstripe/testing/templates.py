"""Stripe's published example objects, turned into blank templates.

``fixtures3.json`` holds one realistic example per resource type; its values
are examples ("Jenny Rosen", ``cus_QXg1o8vcGmoR32``), not defaults.  A template
keeps the example's shape (so the fake returns every field Stripe returns
today) but resets the example values: nullable fields become ``null``, ids
and timestamps are filled in by the fake, sub-lists are emptied.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
EXAMPLE_TIME = 1234567890
"""The timestamp Stripe's examples use; the fake puts its clock's ``now`` there."""
_EXAMPLE_ID = re.compile(r"^[a-z]+(_[a-z]+)*_(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{8,}$")


@cache
def fixtures() -> dict[str, dict]:
    """Stripe's example object for each type, keyed by ``object`` name."""
    return json.loads((DATA / "fixtures3.json").read_text())["resources"]


@cache
def schema() -> dict:
    return json.loads((DATA / "schema.json").read_text())


def object_facts(object_name: str) -> dict:
    return schema()["objects"].get(object_name, {"nullable": [], "expandable": []})


def _keep_example(value: Any) -> bool:
    """Booleans, empty containers and sub-lists are already sane defaults."""
    if isinstance(value, dict) and value.get("object") == "list":
        return True
    return isinstance(value, bool) or value == [] or value == {}


def _is_placeholder(value: Any) -> bool:
    """Fields newer than the spec hold made-up sub-objects ("obj_123")."""
    return isinstance(value, dict) and '"obj_123"' in json.dumps(value)


def _set_path(obj: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for key in parents:
        obj = obj.get(key)
        if not isinstance(obj, dict):
            return
    if leaf in obj and not _keep_example(obj[leaf]):
        obj[leaf] = value


def _blank_lists(obj: dict) -> None:
    for value in obj.values():
        if isinstance(value, dict) and value.get("object") == "list":
            value["data"] = []
            value["has_more"] = False


def _is_example_id(value: Any) -> bool:
    """A reference to an object of the example account (``cus_QXg1o8vcGmoR32``)."""
    return isinstance(value, str) and bool(_EXAMPLE_ID.match(value))


def _is_made_up_number(value: Any) -> bool:
    """Generated filler such as ``"amount_overpaid": 149300825``."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= 100_000_000
        and value != EXAMPLE_TIME
    )


@cache
def _template(object_name: str) -> dict:
    example = copy.deepcopy(fixtures()[object_name])
    for dotted in object_facts(object_name)["nullable"]:
        _set_path(example, dotted, None)
    _blank_lists(example)
    for key, value in example.items():
        if _is_placeholder(value) or _is_example_id(value):
            example[key] = None
        elif _is_made_up_number(value):
            example[key] = 0
    example["livemode"] = False
    example.pop("id", None)
    return example


def template(object_name: str) -> dict:
    """A fresh, blank copy of the template for ``object_name``."""
    return copy.deepcopy(_template(object_name))


def has_template(object_name: str) -> bool:
    return object_name in fixtures()
