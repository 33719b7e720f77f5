"""URLs of djstripe: include them under any prefix, e.g.
``path("stripe/", include("djstripe.urls", namespace="djstripe"))``.

* ``webhook/``: events signed with a secret from the settings
  (``DJSTRIPE_WEBHOOK_SECRET``);
* ``webhook/<uuid>/``: events for one ``WebhookEndpoint`` row, verified with
  that endpoint's own secret and tolerance.

``djstripe_webhook_by_uuid`` is dj-stripe's name for the endpoint URL, with
dj-stripe's shape: no trailing slash when ``APPEND_SLASH`` is off. Stripe keeps
posting to the URLs a dj-stripe site registered, so both shapes are served.
"""

from django.conf import settings
from django.urls import path

from . import views

app_name = "djstripe"

urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    path("webhook/<uuid:uuid>/", views.webhook, name="webhook_by_uuid"),
    path(
        "webhook/<uuid:uuid>/" if settings.APPEND_SLASH else "webhook/<uuid:uuid>",
        views.webhook,
        name="djstripe_webhook_by_uuid",
    ),
]
