"""Build the dj-stripe 2.11 compatibility table from the code and the tests.

Each name of ``dj-stripe-2.11.txt`` is looked up in djstripe (import, getattr,
the management commands, the URLconf, the Django settings djstripe reads)
and in the test suite: a name counts as tested when one test function
mentions it (its last two parts, for members of a class). The result is
written to ``docs/compat-table.md``; nothing in the table is typed by hand.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "scripts" / "compat" / "dj-stripe-2.11.txt"
OUTPUT = ROOT / "docs" / "compat-table.md"
TESTS = ROOT / "tests"
SOURCES = ROOT / "djstripe"

SECTIONS = {
    "module": "Modules",
    "setting": "Django settings",
    "settings-attr": "djstripe_settings",
    "signal": "Signals",
    "function": "Functions",
    "class": "Classes",
    "enum": "Enums",
    "exception": "Exceptions",
    "field": "Model fields",
    "mixin": "Mixins",
    "command": "Management commands",
    "url": "URL names",
    "model": "Models",
    "manager": "Managers and querysets",
    "method": "Model methods",
    "property": "Model properties",
    "attribute": "Model attributes",
}


@dataclass
class Entry:
    kind: str
    name: str
    reason: str = ""
    present: bool = False
    note: str = ""
    test: str = ""

    @property
    def differs(self) -> bool:
        """The data file says how djstripe's behaviour differs (``-- differs: ...``)."""
        return self.reason.startswith("differs:")

    @property
    def status(self) -> str:
        if self.present:
            status = "present, tested" if self.test else "present, not tested"
            return f"{status}, differs" if self.differs else status
        return "absent" if self.reason else "absent (no reason given)"


def read_entries(path: Path = DATA) -> list[Entry]:
    entries: dict[tuple[str, str], Entry] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, _, reason = line.partition(" -- ")
        kind, name = head.split(None, 1)
        if kind not in SECTIONS:
            raise SystemExit(f"{path.name}: unknown kind {kind!r} in {line!r}")
        entries.setdefault((kind, name.strip()), Entry(kind, name.strip(), reason))
    return list(entries.values())


# -- Looking names up in the code ------------------------------------------------


def _resolve(dotted: str):
    """Import the longest module prefix of ``dotted``, getattr the rest."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def _setting_is_read(name: str) -> bool:
    pattern = re.compile(rf"[\"']{re.escape(name)}[\"']")
    return any(pattern.search(p.read_text()) for p in SOURCES.rglob("*.py"))


def check_code(entry: Entry) -> None:
    from django.core.management import get_commands
    from django.urls import NoReverseMatch, reverse

    from djstripe.settings import djstripe_settings

    try:
        if entry.kind == "setting":
            entry.present = _setting_is_read(entry.name)
        elif entry.kind == "settings-attr":
            getattr(djstripe_settings, entry.name)
            entry.present = True
        elif entry.kind == "command":
            entry.present = entry.name in get_commands()
        elif entry.kind == "url":
            for kwargs in ({}, {"uuid": uuid.uuid4()}):
                try:
                    reverse(entry.name, kwargs=kwargs)
                except NoReverseMatch:
                    continue
                entry.present = True
                break
        elif entry.kind == "manager":
            model_path, _, method = entry.name.rpartition(".objects.")
            manager = _resolve(model_path)._default_manager
            entry.present = callable(getattr(manager, method))
        elif entry.kind == "method":
            entry.present = callable(_resolve(entry.name))
            if not entry.present:
                entry.note = "not callable"
        else:
            _resolve(entry.name)
            entry.present = True
    except (ImportError, AttributeError, LookupError) as exc:
        entry.present = False
        entry.note = entry.note or f"{type(exc).__name__}"


# -- Looking names up in the tests ----------------------------------------------------


def test_tokens() -> dict[str, set[str]]:
    """``tests/x.py::test_y`` → the names and words its code mentions."""
    found: dict[str, set[str]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text())
        imported = _imported_modules(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                words: set[str] = set(imported)
                for part in [*ast.walk(node), *node.decorator_list]:
                    for sub in ast.walk(part):
                        if isinstance(sub, ast.Name):
                            words.add(sub.id)
                        elif isinstance(sub, ast.Attribute):
                            words.add(sub.attr)
                        elif isinstance(sub, ast.Constant) and isinstance(
                            sub.value, str
                        ):
                            words.update(re.findall(r"[\w:]+", sub.value))
                            words.add(sub.value)
                rel = path.relative_to(ROOT)
                found[f"{rel}::{node.name}"] = words
    return found


def _imported_modules(tree: ast.Module) -> set[str]:
    """The modules a test file imports (a module counts as tested by the
    tests of a file that imports it)."""
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def _needles(entry: Entry) -> list[str]:
    """What a test must mention to cover ``entry``."""
    parts = entry.name.replace(".objects.", ".").split(".")
    if entry.kind == "module":
        return [entry.name]
    if entry.kind in ("setting", "settings-attr", "command", "url"):
        return [entry.name.split(":")[-1] if entry.kind == "url" else entry.name]
    if entry.kind in ("method", "property", "attribute", "manager"):
        return parts[-2:]
    return parts[-1:]


def check_tests(entry: Entry, tokens: dict[str, set[str]]) -> None:
    """A member counts as tested by a test that mentions it and its class (a
    ``customer.email`` in a test mentions ``Customer.email``); other names by
    a test that mentions them."""
    needles = _needles(entry)
    owner = needles[0].lower() if len(needles) == 2 else None
    for test, words in tokens.items():
        if owner is not None:
            if needles[1] in words and owner in {w.lower() for w in words}:
                entry.test = test
                return
        elif all(needle in words for needle in needles):
            entry.test = test
            return


# -- Output --------------------------------------------------------------------------


def render(entries: list[Entry]) -> str:
    counts = {
        status: sum(e.status.removesuffix(", differs") == status for e in entries)
        for status in (
            "present, tested",
            "present, not tested",
            "absent",
            "absent (no reason given)",
        )
    }
    counts["of which differ (reason given)"] = sum(
        e.present and e.differs for e in entries
    )
    lines = [
        "# dj-stripe 2.11 compatibility table",
        "",
        "Generated by `scripts/compat_table` from `scripts/compat/dj-stripe-2.11.txt`"
        " (dj-stripe 2.11's documented public names): each name is looked up in"
        " djstripe and in the test suite. Do not edit by hand.",
        "",
        "See [Migrating from dj-stripe](migrating-from-dj-stripe.md) for what the"
        " statuses mean for your code.",
        "",
        "| status | names |",
        "|---|---|",
        *(f"| {status} | {count} |" for status, count in counts.items()),
        "",
    ]
    for kind, title in SECTIONS.items():
        rows = [e for e in entries if e.kind == kind]
        if not rows:
            continue
        lines += [
            f"## {title}",
            "",
            "| name | status | test or reason |",
            "|---|---|---|",
        ]
        for e in rows:
            test = f"`{e.test}`" if e.test else ""
            detail = " ".join(filter(None, [test, e.reason or e.note]))
            lines.append(f"| `{e.name}` | {e.status} | {detail} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    entries = read_entries()
    tokens = test_tokens()
    for entry in entries:
        check_code(entry)
        if entry.present:
            check_tests(entry, tokens)
    args.output.write_text(render(entries))
    missing = [e for e in entries if e.status == "absent (no reason given)"]
    untested = [e for e in entries if e.present and not e.test]
    print(
        f"{args.output.relative_to(ROOT)}: {len(entries)} names, "
        f"{len(missing)} absent without a reason, {len(untested)} not tested"
    )
    if args.check and missing:
        for e in missing:
            print(f"  absent: {e.kind} {e.name}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
