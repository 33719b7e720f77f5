"""MkDocs hooks: keep the model reference complete.

Every module of ``djstripe/models/`` must have its page under
``docs/reference/``; a new module without one fails ``mkdocs build --strict``.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.djstripe")

MODELS = Path(__file__).resolve().parent.parent / "djstripe" / "models"


def on_files(files, config):
    documented = {
        Path(f.src_uri).stem
        for f in files
        if f.src_uri.startswith("reference/") and f.src_uri.endswith(".md")
    }
    for module in sorted(MODELS.glob("*.py")):
        if module.stem != "__init__" and module.stem not in documented:
            log.warning(
                "djstripe.models.%s has no reference page: add "
                "docs/reference/%s.md containing '::: djstripe.models.%s'",
                module.stem,
                module.stem,
                module.stem,
            )
    return files
