"""A griffe extension: document djstripe models the way they read.

mkdocstrings reads the models statically (no ``django.setup()`` needed), so
two djstripe idioms would otherwise render as bare attributes:

- ``fee = StripeProperty("Fees paid, ...")`` is a property of the model; its
  first argument is its docstring.
- ``amount = StripeDecimalCurrencyAmountField(..., help_text="...")`` is a
  column; its ``help_text`` is its docstring.
"""

from __future__ import annotations

import ast

import griffe

FIELD_SUFFIXES = ("Field", "ForeignKey", "OneToOneField", "ManyToManyField")


def _call(node: ast.AST | None) -> ast.Call | None:
    if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(
        node.value, ast.Call
    ):
        return node.value
    return None


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class DjstripeModels(griffe.Extension):
    def on_attribute_instance(
        self, *, node: ast.AST | griffe.ObjectNode, attr: griffe.Attribute, **kwargs
    ) -> None:
        call = _call(node if isinstance(node, ast.AST) else None)
        if call is None:
            return
        name = _name(call)
        if name == "StripeProperty":
            attr.labels -= {"class-attribute", "instance-attribute"}
            attr.labels.add("property")
            doc = _string(call.args[0]) if call.args else None
            doc = doc or _string(
                next((k.value for k in call.keywords if k.arg == "doc"), None)
            )
        elif name.endswith(FIELD_SUFFIXES):
            attr.labels -= {"class-attribute", "instance-attribute"}
            attr.labels.add("field")
            doc = _string(
                next((k.value for k in call.keywords if k.arg == "help_text"), None)
            )
        else:
            return
        if doc and attr.docstring is None:
            attr.docstring = griffe.Docstring(doc, parent=attr)
        attr.value = None  # the constructor call is noise in the reference
