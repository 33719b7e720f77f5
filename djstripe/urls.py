"""URLs of djstripe: include them under any prefix, e.g.
``path("stripe/", include("djstripe.urls", namespace="djstripe"))``.

* ``webhook/``: events signed with a secret from the settings
  (``DJSTRIPE_WEBHOOK_SECRET``);
* ``webhook/<uuid>/``: events for one ``WebhookEndpoint`` row, verified with
  that endpoint's own secret and tolerance.
"""

from django.urls import path

from . import views

app_name = "djstripe"

urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    path("webhook/<uuid:uuid>/", views.webhook, name="webhook_by_uuid"),
]
