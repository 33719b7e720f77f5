"""The mirror engine and the registry of mirrored Stripe object types."""

from .engine import (
    UpsertResult,
    delete,
    fold_confirmations,
    normalize,
    observed_stamps,
    upsert,
    use_clock,
)
from .registry import model_for, register, registered

__all__ = [
    "UpsertResult",
    "delete",
    "model_for",
    "fold_confirmations",
    "normalize",
    "observed_stamps",
    "register",
    "registered",
    "upsert",
    "use_clock",
]
