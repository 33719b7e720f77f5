"""A test kit for code that uses Stripe: a stateful fake of Stripe's API.

See ``docs/testing.md``.  The pieces:

- :class:`FakeStripe` (``fake.py``): the fake account, its clock and events;
- ``fake.http_client``: a ``stripe.HTTPClient`` answering in-process;
- :class:`FakeStripeServer` (``server.py``): the same over loopback HTTP;
- :func:`sign_payload` and :func:`post_event` (``webhooks.py``);
- ``factories.py`` and ``pytest_plugin.py``.
"""

from .fake import FakeStripe
from .server import FakeStripeServer
from .webhooks import post_event, sign_payload

__all__ = ["FakeStripe", "FakeStripeServer", "post_event", "sign_payload"]
