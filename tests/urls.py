from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
]

try:  # the webhook URLs arrive with the webhook module
    urlpatterns.append(path("stripe/", include("djstripe.urls", namespace="djstripe")))
except ImportError:  # pragma: no cover
    pass
