from django.contrib import admin
from django.urls import include, path

urlpatterns = [path("admin/", admin.site.urls)]

try:
    urlpatterns.append(path("stripe/", include("djstripe.urls", namespace="djstripe")))
except ImportError:  # the webhook URLs are not built yet
    pass
