"""The pieces of ``example/demo.py``: seeding, the site process, the summary."""
