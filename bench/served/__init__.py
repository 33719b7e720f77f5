"""What the load benchmark's servers import (``bench.load``).

These modules import no djstripe: :mod:`counting` serves djstripe's site and,
from dj-stripe's virtualenv (with this directory on ``PYTHONPATH``, never the
checkout's root), dj-stripe 2.11's, whose settings are
:mod:`legacy_settings` and whose database :mod:`legacy_setup` prepares.
"""
