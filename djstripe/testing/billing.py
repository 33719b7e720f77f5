"""Payment behaviour."""
