"""The public surface matches the API reference (tests/data/reference/).

The reference files are the documentation users code against: for each class,
its module, which names are attributes (columns, relations, class attributes)
and which are properties (read from the stored Stripe object), and each
method's signature. This test parses them and checks the code, name by name.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).parent / "data" / "reference"


@dataclass
class Entry:
    name: str
    kind: str  # "attribute", "property" or "method"
    signature: str = ""


@dataclass
class ClassSpec:
    module: str
    name: str
    bases: str
    entries: list[Entry] = field(default_factory=list)


def _parse(path: Path) -> list[ClassSpec]:
    lines = [" ".join(line.split()) for line in path.read_text().splitlines()]
    lines = [line for line in lines if line]
    module = lines[0]
    classes: list[ClassSpec] = []
    i = 1
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt.startswith("Bases: "):
            classes.append(ClassSpec(module, line, nxt[len("Bases: ") :]))
            i += 2
            continue
        if classes and re.fullmatch(r"[A-Za-z_]\w*", line):
            kind_match = re.match(rf"(attribute|property) {line}(:.*)?$", nxt)
            if kind_match:
                classes[-1].entries.append(Entry(line, kind_match.group(1)))
                i += 2
                continue
            if (
                nxt.startswith(f"{line}(")
                and nxt.endswith(")")
                or re.match(rf"{line}\(.*\)( -> .*)?$", nxt)
            ):
                classes[-1].entries.append(Entry(line, "method", nxt))
                i += 2
                continue
        i += 1
    return classes


SPECS = [spec for path in sorted(REFERENCE_DIR.glob("*.txt")) for spec in _parse(path)]


def _params(signature: str) -> list[tuple[str, str, object]]:
    """(name, kind, default) for each parameter of a reference signature."""
    header = re.sub(r"\)\s*->.*$", ")", signature)
    header = header.replace(" = ", "=")
    tree = ast.parse(f"def {header}: pass")
    args = tree.body[0].args
    params: list[tuple[str, str, object]] = []
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(positional, defaults, strict=True):
        params.append((arg.arg, "positional", default))
    if args.vararg:
        params.append((args.vararg.arg, "var_positional", None))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append((arg.arg, "keyword_only", default))
    if args.kwarg:
        params.append((args.kwarg.arg, "var_keyword", None))
    return params


_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


def _cases():
    for spec in SPECS:
        for entry in spec.entries:
            yield pytest.param(spec, entry, id=f"{spec.name}.{entry.name}")


def test_reference_was_parsed():
    names = {spec.name for spec in SPECS}
    assert {"Customer", "Charge", "Session", "Event", "Price"} <= names
    assert sum(len(spec.entries) for spec in SPECS) > 230


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_class_lives_at_its_module_path(spec: ClassSpec):
    from djstripe.models.base import StripeModel

    cls = getattr(importlib.import_module(spec.module), spec.name)
    assert cls.__module__ == spec.module
    if spec.bases == "StripeModel":
        assert issubclass(cls, StripeModel)


@pytest.mark.parametrize("spec,entry", list(_cases()))
def test_reference_entry(spec: ClassSpec, entry: Entry):
    cls = getattr(importlib.import_module(spec.module), spec.name)
    static = inspect.getattr_static(cls, entry.name, None)
    assert static is not None or hasattr(cls, entry.name), (
        f"{spec.name}.{entry.name} missing"
    )
    if entry.kind == "property":
        assert isinstance(static, property), (
            f"{spec.name}.{entry.name} is not a property"
        )
    elif entry.kind == "attribute":
        assert not isinstance(static, property), (
            f"{spec.name}.{entry.name} should be an attribute"
        )
        assert not inspect.isfunction(static), (
            f"{spec.name}.{entry.name} should not be a method"
        )
    else:
        _check_method(cls, static, entry)


def _check_method(cls, static, entry: Entry) -> None:
    expected = _params(entry.signature)
    is_classmethod = expected and expected[0][0] == "cls"
    if is_classmethod:
        assert isinstance(static, classmethod), f"{entry.name} should be a classmethod"
        func = static.__func__
    else:
        assert inspect.isfunction(static), f"{entry.name} should be an instance method"
        func = static
    actual = [
        (p.name, _KINDS[p.kind], p.default)
        for p in inspect.signature(func).parameters.values()
    ]
    assert [(n, k) for n, k, _ in actual] == [(n, k) for n, k, _ in expected], (
        entry.signature
    )
    for (name, _, default), (_, _, expected_default) in zip(
        actual, expected, strict=True
    ):
        if expected_default is None:
            assert default is inspect.Parameter.empty, f"{name} should have no default"
        elif isinstance(expected_default, ast.Constant):
            assert default == expected_default.value, f"default of {name}"
        else:
            assert default is not inspect.Parameter.empty, (
                f"{name} should have a default"
            )
